"""ANN-benchmarks `.hdf5` files for scripts/compare.py: finding one, checking it, reading it.

    NAME.hdf5, as ann-benchmarks writes it (h5py)
      /train       n x d   float     base vectors; row i is id i
      /test        q x d   float     queries
      /neighbors   q x K   integer   true neighbour ids into /train, nearest first (optional)
      /distances   q x K   float     their distances (not read: recall needs only the ids)
      @distance    string            "euclidean" -> l2, "angular" -> cosine, "dot"/"ip" -> ip

A dataset is named by a path ending in `.hdf5`, or by NAME, looked up as `<data dir>/NAME.hdf5`;
the data dir is --data-dir, else $VICINO_DATA, else `<repo>/datasets`, as for
scripts/fetch_dataset.sh, whose `--list` gives the names it can fetch. Every problem is raised as
a `DatasetError` whose message is one line. Only `inspect` and `load` need h5py (imported when
first called), so a run on synthetic data does not.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent
FETCH_SCRIPT = SCRIPT_DIR / "fetch_dataset.sh"
DEFAULT_DATA_DIR = REPO_ROOT / "datasets"

# The file's `distance` attribute -> compare.py's metric (the names vicino's --metric takes).
METRICS = {"euclidean": "l2", "l2": "l2", "angular": "cosine", "cosine": "cosine",
           "dot": "ip", "ip": "ip", "inner_product": "ip"}


class DatasetError(Exception):
    """A dataset that cannot be used; the message is one line, meant for the user."""


@dataclass(frozen=True)
class AnnFile:
    """What `inspect` found in a file, before any vectors are read."""

    path: Path
    name: str  # the file stem: the `dataset` of the JSON lines
    metric: str  # l2, cosine or ip
    train_rows: int
    test_rows: int
    dim: int
    neighbor_cols: int  # 0 when the file has no /neighbors


def data_dir(flag: Path | None) -> Path:
    """--data-dir, else $VICINO_DATA, else <repo>/datasets."""
    if flag is not None:
        return Path(flag)
    env = os.environ.get("VICINO_DATA")
    return Path(env) if env else DEFAULT_DATA_DIR


def fetchable() -> dict:
    """NAME -> "hdf5" or "texmex" for each dataset `fetch_dataset.sh --list` names ({} if the
    script cannot be run)."""
    try:
        p = subprocess.run(["bash", str(FETCH_SCRIPT), "--list"], capture_output=True, text=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    names = {}
    for line in p.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 2 and "://" in cols[-1]:
            names[cols[0]] = "hdf5" if cols[-1].endswith(".hdf5") else "texmex"
    return names


def fetch_hint(name: str, folder: Path) -> str:
    cmd = f"bash {os.path.relpath(FETCH_SCRIPT)} {name}"
    if folder.resolve() != data_dir(None).resolve():
        cmd += f" --data-dir {folder}"
    return f"fetch it with:  {cmd}"


def resolve(spec: str, folder: Path, others: list) -> Path:
    """The file that `spec` (a path ending in .hdf5, or a NAME) stands for. `others` are the
    synthetic names, for the message about an unknown name."""
    known = fetchable()
    if spec.endswith(".hdf5"):
        path = Path(spec).expanduser()
        if path.is_file():
            return path
        hint = f"; {fetch_hint(path.stem, path.parent)}" if known.get(path.stem) == "hdf5" else ""
        raise DatasetError(f"no such file: {path}{hint}")
    path = folder / f"{spec}.hdf5"
    if path.is_file():
        return path
    if known.get(spec) == "hdf5":
        raise DatasetError(f"{spec}: no {path}; {fetch_hint(spec, folder)}")
    if known.get(spec) == "texmex":
        hdf5 = [n for n, kind in known.items() if kind == "hdf5"]
        same = "; its base and queries are sift-128-euclidean" if spec == "sift-1m" else ""
        raise DatasetError(f"{spec} is a texmex .fvecs dataset; compare.py reads ANN-benchmarks "
                           f".hdf5 files ({', '.join(hdf5)}){same}")
    hdf5 = [n for n, kind in known.items() if kind == "hdf5"]
    raise DatasetError(
        f"unknown dataset {spec!r}: no {path}; choose from {', '.join(others)}, "
        f"{', '.join(hdf5) or 'an ANN-benchmarks name'}, or a path ending in .hdf5")


def _h5py():
    try:
        import h5py
    except ImportError as e:
        req = os.path.relpath(SCRIPT_DIR / "requirements.txt")
        raise DatasetError(f"reading .hdf5 datasets needs h5py ({e}): pip install h5py "
                           f"(or everything: pip install -r {req})") from None
    return h5py


def _matrix(f, path: Path, key: str, kind: str, required: bool):
    """The 2-D dataset `key` of open file `f` (None if absent and not required); `kind` is the
    numpy dtype kind expected: "f" floats, "iu" integers."""
    if key not in f:
        if not required:
            return None
        raise DatasetError(f"{path}: no '{key}' dataset (an ANN-benchmarks file has train, test, "
                           "neighbors and a distance attribute)")
    ds = f[key]
    shape = getattr(ds, "shape", None)
    if shape is None:
        raise DatasetError(f"{path}: '{key}' is a group, not a dataset")
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise DatasetError(f"{path}: '{key}' has shape {tuple(shape)}, expected 2-D and not empty")
    if ds.dtype.kind not in kind:
        want = "floats" if kind == "f" else "integers"
        raise DatasetError(f"{path}: '{key}' holds {ds.dtype}, expected {want}")
    return ds


def inspect(path: Path) -> AnnFile:
    """Checks the file's layout, shapes, types and metric without reading its vectors."""
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise DatasetError(f"{path}: not a readable HDF5 file ({str(e).splitlines()[0]})") from None
    with f:
        raw = f.attrs.get("distance")
        if raw is None:
            raise DatasetError(f"{path}: no 'distance' attribute (euclidean, angular or dot)")
        if isinstance(raw, np.ndarray) and raw.size == 1:
            raw = raw.reshape(-1)[0]
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        metric = METRICS.get(value.strip().lower())
        if metric is None:
            raise DatasetError(f"{path}: distance {value!r} is not one compare.py measures "
                               "(euclidean, angular, dot/ip)")
        train = _matrix(f, path, "train", "f", True)
        test = _matrix(f, path, "test", "f", True)
        if test.shape[1] != train.shape[1]:
            raise DatasetError(f"{path}: 'test' has dimension {test.shape[1]}, but 'train' has "
                               f"{train.shape[1]}")
        nb = _matrix(f, path, "neighbors", "iu", False)
        if nb is not None and nb.shape[0] != test.shape[0]:
            raise DatasetError(f"{path}: 'neighbors' has {nb.shape[0]} rows, but 'test' has "
                               f"{test.shape[0]} queries")
        return AnnFile(path=path, name=path.stem, metric=metric, train_rows=train.shape[0],
                       test_rows=test.shape[0], dim=train.shape[1],
                       neighbor_cols=0 if nb is None else nb.shape[1])


def load(info: AnnFile, rows: int, queries: int) -> tuple:
    """The first `rows` train vectors and first `queries` test vectors as contiguous float32,
    and the first `queries` rows of /neighbors as int64 (None when the file has none)."""
    h5py = _h5py()
    with h5py.File(info.path, "r") as f:
        base = np.ascontiguousarray(f["train"][:rows], dtype=np.float32)
        test = np.ascontiguousarray(f["test"][:queries], dtype=np.float32)
        nb = f["neighbors"][:queries].astype(np.int64) if info.neighbor_cols else None
    return base, test, nb
