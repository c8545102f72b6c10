#!/usr/bin/env python3
"""Checks of scripts/make_real_set.py on a small .npy made here (no download):

    python3 tests/scripts/test_make_real_set.py

The file it writes must be an ANN-benchmarks .hdf5 file whose neighbours are the exact ones
(recomputed here by a full sort), for both metrics, and bad input must fail with one line and
leave no file. Needs numpy and h5py; scripts/test.sh runs it in its virtual environment.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_real_set.py"


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
    print(f"{'all passed' if failures == 0 else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
