#!/usr/bin/env python3
"""Compare vicino with hnswlib, faiss, usearch, glass and ScaNN on the same data, in the same run
(ANN-benchmarks style).

For each dataset (seeded synthetic, or an ANN-benchmarks .hdf5 file read by scripts/ann_hdf5.py)
this script
  1. generates (or reuses from its cache) seeded synthetic base and query vectors, or reads the
     file's train and test vectors (the first --rows / --queries of them when asked), writes
     them as .fvecs for vicino and keeps them in memory for the Python libraries;
  2. takes the file's neighbors as ground truth where they serve (at least k per query, train
     not cut), else computes the exact top-100 with `vicino groundtruth` (cached); either way
     checks it against a numpy brute force on 20 queries;
  3. builds one index per library, one after the other: the Python ones through the adapters of
     scripts/peers.py (hnswlib, faiss IndexHNSWFlat, usearch, glass: HNSW with the same M /
     ef_construction; ScaNN: tree + AH + reorder, as ann-benchmarks configures it), vicino with
     its binary, all with the same build threads;
  4. sweeps the search settings step by step (ef; ScaNN: leaves to search and reorder), searching
     with one thread, alternating the libraries run by run, `--runs` runs each (median QPS), and
     measures recall@k against the ground truth;
  5. writes one JSON line per (library, setting), in the schema of `vicino bench`, to a new file
     <out>/<dataset>-<run>.jsonl, appends a markdown report (per-ef table, QPS at recall
     0.90 / 0.95 / 0.99 on each library's Pareto front, build time, bytes/vector) to
     <out>/<dataset>.md, and draws the chart with `vicino plot`.

A library of the default list whose package is missing is skipped with a note (unless
VICINO_REQUIRE_ALL=1); one named in --libraries must be installed.

Run `python3 scripts/compare.py --help` for the options; scripts/README.md has more.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent
REQUIREMENTS = SCRIPT_DIR / "requirements.txt"
if str(SCRIPT_DIR) not in sys.path:  # also when run through runpy, as the tests do
    sys.path.insert(0, str(SCRIPT_DIR))

try:
    import numpy as np
except ImportError as _err:  # pragma: no cover - depends on the machine
    sys.exit(
        f"compare.py needs numpy: {_err}\n"
        f"install it with:  pip install -r {os.path.relpath(REQUIREMENTS)}"
    )

import ann_hdf5  # noqa: E402 - needs numpy, checked above; h5py only when a file is read
import peers  # noqa: E402 - one adapter class per Python library
from peers import arg_label  # noqa: E402

# The libraries compared, in the order they are built and searched, with the module each needs
# and the pip package that provides it (vicino's: this repository's crates/vicino-py).
LIBRARIES = {name: (cls.module_name, cls.package) for name, cls in peers.PEERS.items()}
# The keys of a `vicino bench` JSON line, in its order; compare.py writes them first.
BENCH_KEYS = ("library", "dataset", "metric", "m", "ef_construction", "ef", "k", "recall", "qps",
              "build_s", "index_bytes", "bytes_per_vector", "rows", "dim", "queries")

# Bump when a generator changes, so that cached files of the old generator are not reused.
GENERATOR_VERSION = 1
GT_K = 100
DEFAULT_ROWS, DEFAULT_QUERIES = 200_000, 1000  # synthetic; a file's default is all its rows
DEFAULT_EFS = "10,16,24,32,48,64,96,128,192,256,384,512"
RECALL_TARGETS = (0.90, 0.95, 0.99)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------


def _orthonormal_rows(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    """`rows` orthonormal vectors of length `dim` (rows <= dim), as a (rows, dim) matrix."""
    q, _ = np.linalg.qr(rng.standard_normal((dim, rows)))
    return q.T.copy()


class ClusteredL2:
    """SIFT-like clustered Gaussian data for L2.

    100 clusters of uneven sizes. Their centres lie mostly in a few directions of a decaying
    global spectrum; each cluster has its own scale (drawn log-uniformly over a 4x range) and
    its own low-dimensional (12 to 32) subspace with a decaying spectrum, plus a little isotropic
    noise. Locally the data is low-dimensional, globally it is not, and clusters overlap. With
    M=16 / ef_construction=200, hnswlib reaches recall@10 of about 0.8 at ef=10 and 0.99 near
    ef=64 on 100k rows (SIFT1M-like behaviour).
    """

    clusters = 100
    centre_spread = 1.5  # centres' scale along the leading global direction
    scale_range = (0.5, 2.0)  # per-cluster scale, drawn log-uniformly
    local_dims = (12, 32)  # per-cluster intrinsic dimension, inclusive
    local_decay = 0.3  # local spectrum: sigma_i = i ** -local_decay
    noise = 0.06  # isotropic noise per coordinate, times the cluster's scale

    def __init__(self, dim: int, rng: np.random.Generator):
        k = self.clusters
        self.dim = dim
        self.weights = rng.dirichlet(np.full(k, 2.0))
        frame = _orthonormal_rows(rng, dim, dim)
        global_spec = np.arange(1, dim + 1, dtype=np.float64) ** -0.5
        self.centres = (rng.standard_normal((k, dim)) * global_spec * self.centre_spread) @ frame
        lo, hi = self.scale_range
        self.scales = np.exp(rng.uniform(np.log(lo), np.log(hi), k))
        self.local = []
        for _ in range(k):
            ld = int(rng.integers(self.local_dims[0], self.local_dims[1] + 1))
            spec = np.arange(1, ld + 1, dtype=np.float64) ** -self.local_decay
            self.local.append(_orthonormal_rows(rng, ld, dim) * spec[:, None])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lab = rng.choice(self.clusters, size=n, p=self.weights)
        x = self.centres[lab].copy()
        for c in range(self.clusters):
            idx = np.flatnonzero(lab == c)
            if idx.size == 0:
                continue
            basis = self.local[c]
            z = rng.standard_normal((idx.size, basis.shape[0]))
            x[idx] += self.scales[c] * (z @ basis)
        x += (self.scales[lab] * self.noise)[:, None] * rng.standard_normal((n, self.dim))
        return x


class TopicsCosine:
    """Embedding-like data for cosine.

    A mixture of 200 topics (Zipf-like sizes) in a 32-dim latent space with a decaying
    spectrum, each topic with its own spread; latent vectors are projected to `dim` by one
    random matrix, isotropic noise is added (about 30% of the signal's energy), and every
    vector is normalised.
    """

    topics = 200
    latent = 32
    noise_energy = 0.30

    def __init__(self, dim: int, rng: np.random.Generator):
        t, ld = self.topics, self.latent
        self.dim = dim
        w = np.arange(1, t + 1, dtype=np.float64) ** -0.7
        self.weights = rng.permutation(w / w.sum())
        spec = np.arange(1, ld + 1, dtype=np.float64) ** -0.3
        self.spec = spec
        self.centres = rng.standard_normal((t, ld)) * spec
        self.spreads = rng.uniform(0.5, 1.0, t)
        self.proj = rng.standard_normal((ld, dim)) / np.sqrt(ld)
        mean_latent_energy = float((spec**2).sum() * (1.0 + np.mean(self.spreads**2)))
        # Projected signal energy ~ dim * E|latent|^2 / ld; noise energy = dim * sigma^2.
        self.sigma = np.sqrt(self.noise_energy * mean_latent_energy / ld)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lab = rng.choice(self.topics, size=n, p=self.weights)
        z = self.centres[lab] + self.spreads[lab, None] * self.spec * rng.standard_normal(
            (n, self.latent)
        )
        x = z @ self.proj + self.sigma * rng.standard_normal((n, self.dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x


DATASETS = {
    "synth-l2-128": {"metric": "l2", "dim": 128, "model": ClusteredL2},
    "synth-cosine-96": {"metric": "cosine", "dim": 96, "model": TopicsCosine},
    "synth-cosine-384": {"metric": "cosine", "dim": 384, "model": TopicsCosine},
}


def _rng(seed: int, name: str, stream: int) -> np.random.Generator:
    """Independent streams for (model, base, queries): base rows never depend on the query count
    and queries never depend on the row count."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), stream])


def draw(name: str, seed: int, n: int, stream: int, chunk: int = 32768) -> np.ndarray:
    spec = DATASETS[name]
    model = spec["model"](spec["dim"], _rng(seed, name, 0))
    rng = _rng(seed, name, stream)
    out = np.empty((n, spec["dim"]), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        out[start : start + m] = model.sample(m, rng)
    return out


# --------------------------------------------------------------------------------------------
# .fvecs / .ivecs
# --------------------------------------------------------------------------------------------


def _tmp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def write_fvecs(path: Path, x: np.ndarray) -> None:
    n, d = x.shape
    buf = np.empty((n, d + 1), dtype="<f4")
    buf[:, 1:] = x
    buf.view("<i4")[:, 0] = d
    tmp = _tmp_path(path)
    buf.tofile(tmp)
    os.replace(tmp, path)


def _read_vecs(path: Path, dtype: str) -> np.ndarray:
    raw = np.fromfile(path, dtype="<i4")
    if raw.size == 0:
        raise ValueError(f"{path}: empty file")
    d = int(raw[0])
    if d <= 0 or raw.size % (d + 1) != 0:
        raise ValueError(f"{path}: not a vecs file of dimension {d}")
    rows = raw.reshape(-1, d + 1)
    if not np.all(rows[:, 0] == d):
        raise ValueError(f"{path}: rows of mixed dimension")
    return np.ascontiguousarray(rows[:, 1:].view(dtype))


def read_fvecs(path: Path) -> np.ndarray:
    return _read_vecs(path, "<f4")


def read_ivecs(path: Path) -> np.ndarray:
    return _read_vecs(path, "<i4")


def write_ivecs(path: Path, x: np.ndarray) -> None:
    n, d = x.shape
    buf = np.empty((n, d + 1), dtype="<i4")
    buf[:, 1:] = x
    buf[:, 0] = d
    tmp = _tmp_path(path)
    buf.tofile(tmp)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Exact distances (numpy), used to check the ground truth
# --------------------------------------------------------------------------------------------


def exact_dist64(base: np.ndarray, ids: np.ndarray, q: np.ndarray, metric: str) -> np.ndarray:
    """Exact float64 distances from query `q` to base rows `ids`: squared L2, 1 - cos, or
    1 - dot (as hnswlib's "ip"; only the order matters)."""
    b = base[ids].astype(np.float64)
    q = q.astype(np.float64)
    if metric == "l2":
        diff = b - q
        return np.einsum("ij,ij->i", diff, diff)
    if metric == "cosine":
        return 1.0 - (b @ q) / (np.linalg.norm(b, axis=1) * np.linalg.norm(q))
    if metric == "ip":
        return 1.0 - b @ q
    raise ValueError(metric)


def brute_topk(base: np.ndarray, queries: np.ndarray, metric: str, k: int) -> tuple:
    """Exact top-k ids and float64 distances, by a float32 screen then a float64 rescoring."""
    extra = max(4 * k, k + 64)
    if metric == "cosine":
        bnorm = np.linalg.norm(base, axis=1)
    elif metric == "l2":
        bsq = np.einsum("ij,ij->i", base, base)
    ids_out = np.empty((len(queries), k), dtype=np.int64)
    dist_out = np.empty((len(queries), k), dtype=np.float64)
    block = 64
    for s in range(0, len(queries), block):
        qb = queries[s : s + block]
        dots = qb @ base.T
        if metric == "cosine":
            approx = -dots / bnorm
        elif metric == "ip":
            approx = -dots
        else:
            approx = bsq - 2.0 * dots
        c = min(extra, base.shape[0])
        cand = np.argpartition(approx, c - 1, axis=1)[:, :c]
        for i in range(len(qb)):
            d = exact_dist64(base, cand[i], qb[i], metric)
            order = np.lexsort((cand[i], d))[:k]
            ids_out[s + i] = cand[i][order]
            dist_out[s + i] = d[order]
    return ids_out, dist_out


def verify_groundtruth(base, queries, gt, metric, n_check=20, k=10) -> str:
    """Asserts that the first k ids of `gt` are an exact top-k on `n_check` queries: same
    distances as a numpy brute force, rank by rank, within float32 rounding (so ties may come
    in either order or be swapped for an equally distant id)."""
    nq = len(queries)
    if gt.shape[0] != nq or gt.shape[1] < k:
        raise AssertionError(f"ground truth has shape {gt.shape}, expected ({nq}, >={k})")
    picks = np.unique(np.linspace(0, nq - 1, min(n_check, nq)).astype(int))
    bf_ids, want = brute_topk(base, queries[picks], metric, k)
    exact_ids = 0
    for row, qi in enumerate(picks):
        ids = gt[qi, :k].astype(np.int64)
        if np.any(ids < 0) or np.any(ids >= base.shape[0]):
            raise AssertionError(f"ground truth query {qi}: id out of range: {ids.tolist()}")
        if len(set(ids.tolist())) != k:
            raise AssertionError(f"ground truth query {qi}: repeated ids: {ids.tolist()}")
        got = exact_dist64(base, ids, queries[qi], metric)
        tol = 2e-5 * np.maximum(1.0, np.abs(want[row])) + 1e-6
        bad = np.flatnonzero(np.abs(got - want[row]) > tol)
        if bad.size:
            r = int(bad[0])
            raise AssertionError(
                f"ground truth query {qi}, rank {r}: id {ids[r]} at distance {got[r]:.7g}, "
                f"but the exact rank-{r} distance is {want[row][r]:.7g} (id {bf_ids[row][r]})"
            )
        exact_ids += len(set(ids.tolist()) & set(bf_ids[row].tolist()))
    return (f"ground truth checked on {len(picks)} queries: distances agree, "
            f"{exact_ids}/{len(picks) * k} ids identical")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def recall_at_k(found: np.ndarray, gt: np.ndarray, k: int) -> float:
    hits = 0
    for row, want in zip(found[:, :k], gt[:, :k]):
        hits += len(set(row.tolist()) & set(want.tolist()))
    return hits / (k * len(gt))


def parse_json_line(text: str, what: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise RuntimeError(f"{what}: no JSON line in its output:\n{text[-2000:]}")


def run_vicino(binary: Path, args: list, what: str) -> dict:
    cmd = [str(binary)] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n"
            f"stdout:\n{p.stdout[-2000:]}\nstderr:\n{p.stderr[-4000:]}"
        )
    return parse_json_line(p.stdout, what)


def git_rev() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(package: str, module) -> str:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # noqa: BLE001 - best effort only
        return getattr(module, "__version__", "unknown")


def import_libraries(names: list, explicit: bool) -> tuple:
    """(the Python modules of the libraries in `names`, the libraries measured). A library
    named in --libraries that is missing stops the run, naming its pip line; one that only the
    default list brings is skipped with a note, unless VICINO_REQUIRE_ALL=1."""
    modules, missing = {}, []
    for name in names:
        module_name, package = LIBRARIES[name]
        if module_name is None:
            continue
        try:
            modules[name] = importlib.import_module(module_name)
        except ImportError as e:
            missing.append((name, package, e))
    if missing and not explicit and os.environ.get("VICINO_REQUIRE_ALL") != "1":
        for name, package, e in missing:
            log(f"note: {name} is not installed ({e}), so it is not measured: pip install "
                f"{package} (or pip install -r {os.path.relpath(REQUIREMENTS)})")
        gone = {m[0] for m in missing}
        names = [n for n in names if n not in gone]
        if not names:
            sys.exit("compare.py: error: none of the libraries is installed")
        return modules, names
    if missing:
        lines = [f"{name} is not installed ({e}): pip install {package}"
                 for name, package, e in missing]
        others = [n for n in names if n not in {m[0] for m in missing}]
        sys.exit(
            "\n".join(lines)
            + f"\nor install everything with:  pip install -r {os.path.relpath(REQUIREMENTS)}"
            + (f"\nor leave it out:  --libraries {','.join(others)}" if others else "")
        )
    return modules, names


def write_text_atomic(path: Path, text: str) -> None:
    tmp = _tmp_path(path)
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def remove_path(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists() or p.is_symlink():
        p.unlink()


# --------------------------------------------------------------------------------------------
# One dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One dataset of the run, resolved (and any file checked) before the work starts."""

    name: str  # the JSON lines' `dataset`: a synthetic name, or the .hdf5 file's stem
    metric: str  # l2, cosine or ip
    dim: int
    rows: int  # base vectors measured
    queries: int
    hdf5: ann_hdf5.AnnFile | None = None  # None: synthetic

    @property
    def cut(self) -> bool:
        """Whether only the first `rows` of the file's train vectors are used."""
        return self.hdf5 is not None and self.rows < self.hdf5.train_rows

    def describe(self, args) -> str:
        if self.hdf5 is None:
            return f"synthetic, seed {args.seed}"
        h = self.hdf5
        # The file's name, not its path: a report should not carry one machine's folders.
        out = f"{h.path.name}"
        if self.cut or self.queries < h.test_rows:
            out += (f" (the first {self.rows:,} of {h.train_rows:,} train rows, the first "
                    f"{self.queries:,} of {h.test_rows:,} test rows)")
        return out


def resolve_sources(args) -> list:
    """Each --dataset as a Source. A file not found, not readable or not of the ANN-benchmarks
    layout stops the run here with one line, before anything is built."""
    folder = ann_hdf5.data_dir(args.data_dir)
    sources = []
    for spec in args.datasets:
        if spec in DATASETS:
            d = DATASETS[spec]
            sources.append(Source(spec, d["metric"], d["dim"], args.rows or DEFAULT_ROWS,
                                  args.queries or DEFAULT_QUERIES))
            continue
        try:
            info = ann_hdf5.inspect(ann_hdf5.resolve(spec, folder, list(DATASETS)))
        except ann_hdf5.DatasetError as e:
            sys.exit(f"compare.py: error: {e}")
        for flag, asked, have, what in (("--rows", args.rows, info.train_rows, "train"),
                                        ("--queries", args.queries, info.test_rows, "test")):
            if asked is not None and asked > have:
                sys.exit(f"compare.py: error: {flag} {asked}, but {info.path} has {have:,} "
                         f"{what} rows")
        sources.append(Source(info.name, info.metric, info.dim, args.rows or info.train_rows,
                              args.queries or info.test_rows, info))
    for src in sources:
        if args.k > src.rows:
            sys.exit(f"compare.py: error: --k {args.k}, but {src.name} has {src.rows} rows")
    names = [s.name for s in sources]
    for name in names:
        if names.count(name) > 1:
            sys.exit(f"compare.py: error: dataset {name!r} is named twice (its outputs would "
                     "share file names)")
    return sources


def _gt_paths(ddir: Path, rows: int, queries: int) -> dict:
    k = min(GT_K, rows)
    return {"gt_k": k,
            "gt_path_vicino": ddir / f"gt-n{rows}-q{queries}-k{k}.vicino.ivecs",
            "gt_path_numpy": ddir / f"gt-n{rows}-q{queries}-k{k}.numpy.ivecs"}


def prepare_data(src: Source, args) -> dict:
    return prepare_synthetic(src, args) if src.hdf5 is None else prepare_hdf5(src, args)


def prepare_synthetic(src: Source, args) -> dict:
    name, rows, nq = src.name, src.rows, src.queries
    ddir = args.out / "data" / f"{name}-g{GENERATOR_VERSION}-s{args.seed}"
    ddir.mkdir(parents=True, exist_ok=True)
    base_path = ddir / f"base-n{rows}.fvecs"
    query_path = ddir / f"queries-q{nq}.fvecs"

    if base_path.exists():
        log(f"{name}: reusing {base_path}")
        base = read_fvecs(base_path)
    else:
        log(f"{name}: generating {rows} x {src.dim} base vectors")
        base = draw(name, args.seed, rows, stream=1)
        write_fvecs(base_path, base)
    if query_path.exists():
        queries = read_fvecs(query_path)
    else:
        queries = draw(name, args.seed, nq, stream=2)
        write_fvecs(query_path, queries)
    if base.shape != (rows, src.dim) or queries.shape != (nq, src.dim):
        raise RuntimeError(f"{name}: cached files in {ddir} have unexpected shapes")
    return {"dir": ddir, "base_path": base_path, "query_path": query_path, "base": base,
            "queries": queries, **_gt_paths(ddir, rows, nq)}


def prepare_hdf5(src: Source, args) -> dict:
    """Reads the file's vectors (the first `rows` / `queries` of them) and writes them as .fvecs
    for vicino, cached under a folder keyed by the file's path, size and mtime; keeps the
    file's neighbors as ground truth where they serve (train not cut, k valid ids per query)."""
    info, name, rows, nq = src.hdf5, src.name, src.rows, src.queries
    st = info.path.stat()
    key = zlib.crc32(f"{info.path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    ddir = args.out / "data" / f"{name}-hdf5-{key:08x}"
    ddir.mkdir(parents=True, exist_ok=True)
    log(f"{name}: reading {src.describe(args)}")
    base, queries, neighbors = ann_hdf5.load(info, rows, nq)
    base_path = ddir / f"base-n{rows}.fvecs"
    query_path = ddir / f"queries-q{nq}.fvecs"
    for path, x in ((base_path, base), (query_path, queries)):
        if path.exists() and path.stat().st_size == x.shape[0] * (x.shape[1] + 1) * 4:
            log(f"{name}: reusing {path}")
        else:
            write_fvecs(path, x)
    data = {"dir": ddir, "base_path": base_path, "query_path": query_path, "base": base,
            "queries": queries, **_gt_paths(ddir, rows, nq), "file_gt": None}
    if neighbors is None:
        data["file_gt_why_not"] = "the file has no neighbors"
    elif src.cut:
        data["file_gt_why_not"] = (f"train is cut to its first {rows:,} rows (--rows), and the "
                                   f"file's neighbors are ids among all {info.train_rows:,}")
    else:
        # The usable columns: a prefix in which every id is a train row (ann-benchmarks pads
        # short rows with -1).
        ok = ((neighbors >= 0) & (neighbors < rows)).all(axis=0)
        cols = min(GT_K, neighbors.shape[1] if ok.all() else int(np.argmin(ok)))
        if cols < args.k:
            data["file_gt_why_not"] = (f"the file's neighbors give {cols} valid ids per query, "
                                       f"fewer than --k {args.k}")
        else:
            data["file_gt"] = np.ascontiguousarray(neighbors[:, :cols], dtype=np.int32)
            data["gt_path_file"] = ddir / f"gt-file-q{nq}-k{cols}.ivecs"
    return data


def ground_truth(src: Source, data: dict, args) -> tuple:
    """(ground truth ids, its .ivecs path for `vicino search --gt`, where it came from: file,
    vicino or numpy), checked against a numpy brute force on 20 queries."""
    name, metric = src.name, src.metric
    if data.get("file_gt") is not None and args.gt_source == "auto":
        source, path, gt = "file", data["gt_path_file"], data["file_gt"]
        if not path.exists():
            write_ivecs(path, gt)
        log(f"{name}: ground truth: the file's neighbors, {gt.shape[1]} per query -> {path}")
    else:
        source = gt_source(args)
        if src.hdf5 is not None:
            why = data.get("file_gt_why_not") or f"--gt-source {args.gt_source}"
            log(f"{name}: computing the ground truth ({why})")
        path, gt_k = data[f"gt_path_{source}"], data["gt_k"]
        if not path.exists():
            t0 = time.perf_counter()
            if source == "vicino":
                log(f"{name}: exact top-{gt_k} with `vicino groundtruth`")
                # vicino writes --output atomically, so a failed run leaves no file behind.
                run_vicino(
                    args.vicino,
                    ["groundtruth", "--base", data["base_path"], "--queries", data["query_path"],
                     "--metric", metric, "--k", gt_k, "--output", path],
                    "vicino groundtruth",
                )
            else:
                log(f"{name}: exact top-{gt_k} with numpy")
                ids, _ = brute_topk(data["base"], data["queries"], metric, gt_k)
                write_ivecs(path, ids.astype(np.int32))
            log(f"{name}: ground truth took {time.perf_counter() - t0:.1f}s -> {path}")
        else:
            log(f"{name}: reusing {path}")
        gt = read_ivecs(path)
    try:
        log(f"{name}: " + verify_groundtruth(data["base"], data["queries"], gt, metric,
                                             k=min(10, gt.shape[1])))
    except AssertionError as e:
        fix = ("rerun with --gt-source vicino (or numpy) to compute it instead"
               if source == "file" else "delete it to recompute")
        raise SystemExit(f"{name}: ground truth {path} ({source}) is WRONG: {e}\n({fix})")
    return gt, path, source


def bench_dataset(src: Source, args, meta: dict, modules: dict) -> None:
    name, metric, dim = src.name, src.metric, src.dim
    data = prepare_data(src, args)
    base, queries = data["base"], data["queries"]
    n, nq, k = src.rows, src.queries, args.k
    gt, gt_path, gt_from = ground_truth(src, data, args)
    gt_k = gt[:, :k]

    results = {lib: {"build": {}, "ef": {}} for lib in args.libraries}

    # ---- builds, one after the other, never overlapping ----
    python_indexes = {}
    for lib in args.libraries:
        log(f"{name}: {lib} build (M={args.m}, efC={args.ef_construction}, "
            f"threads={args.threads_build})")
        index = peers.PEERS[lib](modules[lib], metric, dim, args)
        results[lib]["build"] = index.build(base)
        python_indexes[lib] = index
        b = results[lib]["build"]
        log(f"{name}: {lib} built in {b['build_s']:.2f}s, RSS delta {b['index_bytes']} "
            f"({b['config']})")

    # ---- search sweep: step by step (each library's i-th query argument: the i-th --ef, or
    # ScaNN's i-th pair), alternating the libraries run by run ----
    sweeps = {lib: python_indexes[lib].query_args(n) for lib in args.libraries}
    for lib, index in python_indexes.items():
        index.search(queries, k, sweeps[lib][0])  # warm-up, untimed
    for step in range(max(len(v) for v in sweeps.values())):
        libs = [lib for lib in args.libraries if step < len(sweeps[lib])]
        runs = {lib: [] for lib in libs}
        recalls = {lib: [] for lib in libs}
        for _ in range(args.runs):
            for lib in libs:
                arg = sweeps[lib][step]
                secs, labels = python_indexes[lib].search(queries, k, arg)
                runs[lib].append(nq / secs)
                recalls[lib].append(recall_at_k(labels, gt_k, k))
        line = [f"step {step + 1:>2}"]
        for lib in libs:
            arg, rec = sweeps[lib][step], recalls[lib]
            if max(rec) - min(rec) > 1e-9:
                log(f"WARNING {name} {lib} {arg_label(arg)}: recall differs between runs: {rec}")
            qps = statistics.median(runs[lib]) if args.qps_stat == "median" else max(runs[lib])
            results[lib]["ef"][arg] = {"recall": rec[0], "qps": qps, "qps_runs": runs[lib]}
            line.append(f"{lib} {arg_label(arg)}: recall {rec[0]:.4f} qps {qps:.0f}")
        log(f"{name}: " + "  ".join(line))

    for index in python_indexes.values():
        index.close()

    # ---- outputs ----
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = meta["run"].replace("-", "").replace(":", "")
    jsonl = args.out / f"{name}-{stamp}.jsonl"
    lines = [json.dumps(row) for row in result_rows(src, args, meta, results, gt_from)]
    write_text_atomic(jsonl, "\n".join(lines) + "\n")
    md = render_markdown(src, args, meta, results, gt_from)
    with open(args.out / f"{name}.md", "a") as f:
        f.write(md + "\n")
    print(md, flush=True)
    log(f"{name}: wrote {jsonl} and appended to {args.out / (name + '.md')}")
    draw_chart(src, jsonl, args, stamp)


def result_rows(src: Source, args, meta, results, gt_from: str) -> list:
    """One dict per (library, ef): the keys of `vicino bench` first, in its order, then what
    this run adds (where the data and ground truth came from, how QPS was combined, build
    threads, versions, machine)."""
    rows = []
    for lib in args.libraries:
        build = results[lib]["build"]
        index_bytes = build.get("index_bytes")
        for arg, r in results[lib]["ef"].items():
            # ScaNN's query argument is (leaves to search, candidates reordered): `ef` holds the
            # leaves, and both go into their own keys below.
            ef = arg[0] if isinstance(arg, tuple) else arg
            row = {
                "library": lib, "dataset": src.name, "metric": src.metric, "m": args.m,
                "ef_construction": args.ef_construction, "ef": ef, "k": args.k,
                "recall": r["recall"], "qps": r["qps"], "build_s": build["build_s"],
                "index_bytes": index_bytes,
                "bytes_per_vector": None if index_bytes is None else index_bytes / src.rows,
                "rows": src.rows, "dim": src.dim, "queries": src.queries,
            }
            assert tuple(row) == BENCH_KEYS
            row.update({
                "index_bytes_source": build.get("index_bytes_source"),
                "source": "synthetic" if src.hdf5 is None else src.hdf5.path.name,
                "ground_truth": gt_from,
                "qps_runs": r["qps_runs"], "qps_stat": args.qps_stat, "runs": args.runs,
                "threads_build": args.threads_build, "threads_search": 1,
                "seed": args.seed if src.hdf5 is None else None,
                "version": meta["versions"].get(lib), "run": meta["run"], "cpu": meta["cpu"],
                "loadavg": meta["loadavg"],
            })
            if isinstance(arg, tuple):
                row["leaves_to_search"], row["reorder"] = arg
            if build.get("config"):
                row["config"] = build["config"]
            if build.get("library_bytes") is not None:
                row["library_bytes"] = build["library_bytes"]
            rows.append(row)
    return rows


def draw_chart(src: Source, jsonl: Path, args, stamp: str) -> None:
    """Draws the run's chart with `vicino plot`, or prints the command when there is no
    binary to run it."""
    if args.chart == "none":
        return
    name = src.name
    chart = args.out / f"{name}-{stamp}.{args.chart}"
    cmd = [str(args.vicino), "plot", "--input", str(jsonl), "--output", str(chart),
           "--k", str(args.k), "--title",
           f"{name}: {src.rows:,} rows, M={args.m}, QPS vs recall@{args.k}"]
    shown = " ".join(cmd[:-1]) + f" '{cmd[-1]}'"
    if not (args.vicino.is_file() and os.access(args.vicino, os.X_OK)):
        log(f"{name}: no vicino binary to draw the chart; after `cargo build --release`:\n"
            f"  {shown}")
        return
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        log(f"{name}: the chart failed ({p.stderr.strip()}); the command was:\n  {shown}")
        return
    log(f"{name}: chart {chart}")


def gt_source(args) -> str:
    if args.gt_source == "auto":
        return "vicino" if "vicino" in args.libraries else "numpy"
    return args.gt_source


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _fmt_qps(q):
    return "n/a" if q is None else f"{q:,.0f}"


def _fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def _fmt_bytes(b):
    return "n/a" if b is None else f"{b:,.0f}"


def best_qps(ef_results: dict, target: float):
    best = None
    for ef, r in ef_results.items():
        if r["recall"] >= target and (best is None or r["qps"] > best[1]):
            best = (ef, r["qps"])
    return best


def pareto_front(points):
    """The (recall, qps) points no other point beats on both, by recall ascending."""
    front = []
    for r, q in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not front or q > front[-1][1]:
            front.append((r, q))
    return front[::-1]


def interpolated_qps(ef_results: dict, target: float):
    """QPS at recall `target` on the library's Pareto front: log-linear between the two front
    points around it; the front's own point when one sits below the lowest recall measured;
    None above the highest."""
    front = pareto_front([(r["recall"], r["qps"]) for r in ef_results.values() if r["qps"] > 0])
    if not front or target > front[-1][0]:
        return None
    if target <= front[0][0]:
        return front[0][1]
    for (ra, qa), (rb, qb) in zip(front, front[1:]):
        if target == ra or target == rb:
            return qa if target == ra else qb
        if ra < target < rb:
            w = (target - ra) / (rb - ra)
            return math.exp(math.log(qa) + w * (math.log(qb) - math.log(qa)))
    return None


GT_FROM = {"file": "the file's neighbors", "vicino": "`vicino groundtruth` (exact)",
           "numpy": "numpy brute force (exact)"}


def render_markdown(src: Source, args, meta, results, gt_from: str) -> str:
    libs = args.libraries
    # Ratios put each vicino mode measured (f32, sq8) over each other library measured with it.
    mine = [lib for lib in ("vicino", "vicino-sq8") if lib in libs]
    others = [lib for lib in libs if lib not in mine] if mine else []
    pairs = [(m, p) for m in mine for p in others]
    # The libraries swept over --ef share the per-ef table; ScaNN's (leaves, reorder) pairs
    # have a table of their own.
    ef_libs = [lib for lib in libs
               if not any(isinstance(a, tuple) for a in results[lib]["ef"])]
    pair_libs = [lib for lib in libs if lib not in ef_libs]
    ef_others = [lib for lib in others if lib in ef_libs] if "vicino" in libs else []
    versions = ", ".join(f"{lib} {meta['versions'][lib]}" for lib in libs)
    out = []
    out.append(f"### {src.name}: {src.rows:,} x {src.dim}, {src.metric}, {src.queries} queries, "
               f"k={args.k}")
    out.append("")
    out.append(f"Data: {src.describe(args)}; ground truth: {GT_FROM[gt_from]}.")
    out.append("")
    out.append(
        f"M={args.m}, ef_construction={args.ef_construction}, build threads={args.threads_build}, "
        f"search threads=1, QPS = {args.qps_stat} of {args.runs} runs. Run {meta['run']}, "
        f"{versions}, {meta['cpu']}, {meta['cores']} cores, load average {meta['loadavg']} at "
        "start."
    )
    configs = [f"{lib}: {results[lib]['build']['config']}" for lib in libs
               if results[lib]["build"].get("config")]
    if configs:
        out.append("")
        out.append("Indexes: " + "; ".join(configs) + ".")
    out.append("")
    if ef_libs:
        head = "| ef |" + "".join(f" {lib} recall | {lib} QPS |" for lib in ef_libs)
        head += "".join(f" QPS vicino/{p} |" for p in ef_others)
        sep = "|---:|" + "---:|---:|" * len(ef_libs) + "---:|" * len(ef_others)
        out += [head, sep]
        for ef in args.efs:
            row = f"| {ef} |"
            for lib in ef_libs:
                r = results[lib]["ef"][ef]
                row += f" {r['recall']:.4f} | {_fmt_qps(r['qps'])} |"
            for p in ef_others:
                ratio = _fmt_ratio(results["vicino"]["ef"][ef]["qps"],
                                   results[p]["ef"][ef]["qps"])
                row += f" {ratio} |"
            out.append(row)
        out.append("")
    for lib in pair_libs:
        out.append(f"| {lib} leaves to search / reorder | recall | QPS |")
        out.append("|---:|---:|---:|")
        for arg, r in results[lib]["ef"].items():
            out.append(f"| {arg_label(arg)} | {r['recall']:.4f} | {_fmt_qps(r['qps'])} |")
        out.append("")

    out.append("| headline |" + "".join(f" {lib} |" for lib in libs)
               + "".join(f" {m}/{p} |" for m, p in pairs))
    out.append("|---|" + "---:|" * (len(libs) + len(pairs)))
    for t in RECALL_TARGETS:
        row = f"| best QPS at recall >= {t:.2f} |"
        best = {lib: best_qps(results[lib]["ef"], t) for lib in libs}
        for lib in libs:
            b = best[lib]
            row += " n/a |" if b is None else f" {_fmt_qps(b[1])} ({arg_label(b[0])}) |"
        for m, p in pairs:
            v, h = best[m], best[p]
            row += f" {_fmt_ratio(v and v[1], h and h[1])} |"
        out.append(row)

    for t in RECALL_TARGETS:
        row = f"| QPS at recall {t:.2f}, interpolated on the Pareto front |"
        qps = {lib: interpolated_qps(results[lib]["ef"], t) for lib in libs}
        for lib in libs:
            row += " n/a |" if qps[lib] is None else f" {_fmt_qps(qps[lib])} |"
        for m, p in pairs:
            row += f" {_fmt_ratio(qps[m], qps[p])} |"
        out.append(row)

    def build_row(title, key, fmt):
        row = f"| {title} |"
        for lib in libs:
            row += f" {fmt(results[lib]['build'].get(key))} |"
        for m, p in pairs:
            ratio = _fmt_ratio(results[m]["build"].get(key), results[p]["build"].get(key))
            row += f" {ratio} |"
        return row

    out.append(build_row(f"build seconds ({args.threads_build} threads)", "build_s",
                         lambda v: "n/a" if v is None else f"{v:.2f}"))
    per_vector = {lib: results[lib]["build"].get("index_bytes") for lib in libs}
    for lib in libs:
        b = per_vector[lib]
        results[lib]["build"]["bytes_per_vector"] = None if b is None else b / src.rows
    out.append(build_row("bytes/vector (RSS growth of the build)", "bytes_per_vector", _fmt_bytes))
    own = {lib: results[lib]["build"].get("library_bytes") for lib in libs}
    if any(v is not None for v in own.values()):
        out.append("| bytes/vector (the library's own account) |"
                   + "".join(f" {_fmt_bytes(own[lib] and own[lib] / src.rows)} |"
                             for lib in libs) + " |" * len(pairs))
    if "vicino" in libs:
        mem = results["vicino"]["build"].get("library_bytes")
        cells = ["" if lib != "vicino" else _fmt_bytes(mem and mem / src.rows) for lib in libs]
        out.append("| vicino bytes/vector (its memory_bytes) |"
                   + "".join(f" {c} |" for c in cells) + " |" * len(pairs))
    out.append("")
    out.append(
        "bytes/vector: growth of the process's RSS over the build, divided by rows (the Python "
        "libraries: measured here around the build, free heap handed back before both "
        "readings, vicino too). ScaNN's QPS is per (leaves to search / "
        "reorder) pair, the others' per ef; compare them at equal recall. Ratios are vicino / "
        "the other library: below 1 favours vicino for build time and bytes, above 1 for QPS."
    )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Compare vicino with hnswlib, faiss, usearch, glass and ScaNN on seeded "
                    "synthetic data or ANN-benchmarks .hdf5 files (same run, same vectors).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--dataset", default="all",
                   help=f"synthetic ({', '.join(DATASETS)}), or an ANN-benchmarks file: a path "
                        "ending in .hdf5, or NAME for <data dir>/NAME.hdf5 (names: "
                        "`bash scripts/fetch_dataset.sh --list`); a comma list, or 'all' (the "
                        "synthetic ones)")
    # No argparse default for these three (None, not shown): theirs depend on the dataset.
    p.add_argument("--rows", type=int, default=argparse.SUPPRESS,
                   help=f"base vectors (default: {DEFAULT_ROWS} synthetic; all of a file's "
                        "train rows, and --rows N takes its first N, the ground truth then "
                        "computed)")
    p.add_argument("--queries", type=int, default=argparse.SUPPRESS,
                   help=f"query vectors (default: {DEFAULT_QUERIES} held-out synthetic; all of "
                        "a file's test rows, and --queries N takes its first N)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of NAME.hdf5 files (default: $VICINO_DATA, else "
                        "<repo>/datasets, as for scripts/fetch_dataset.sh)")
    p.add_argument("--threads-build", type=int, default=2, help="build threads, every library")
    p.add_argument("--ef", default=DEFAULT_EFS, help="comma list of search ef values")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (recall@k)")
    p.add_argument("--m", type=int, default=16, help="HNSW M")
    p.add_argument("--ef-construction", type=int, default=200, help="HNSW ef_construction")
    p.add_argument("--runs", type=int, default=3, help="timed runs per (library, ef)")
    p.add_argument("--qps-stat", choices=["median", "max"], default="median",
                   help="how the runs' QPS are combined (max = best of N, ANN-benchmarks style)")
    p.add_argument("--seed", type=int, default=42, help="data seed")
    p.add_argument("--out", type=Path,
                   default=Path(os.environ.get("VICINO_BENCH_OUT", REPO_ROOT / "results")),
                   help="results and cache folder (env VICINO_BENCH_OUT)")
    p.add_argument("--vicino", type=Path,
                   default=Path(os.environ.get("VICINO_BIN",
                                               REPO_ROOT / "target" / "release" / "vicino")),
                   help="vicino binary (env VICINO_BIN)")
    p.add_argument("--libraries", default=argparse.SUPPRESS,
                   help=f"comma list out of {','.join(LIBRARIES)} (default: all; of those, a "
                        "Python library that is not installed is skipped with a note, unless "
                        "VICINO_REQUIRE_ALL=1; one named here must be installed). vicino and vicino-sq8 "
                        "run in-process from its package (pip install ./crates/vicino-py); the "
                        "vicino binary only draws the chart (else the command is printed)")
    p.add_argument("--usearch-dtype", choices=["f32", "f16", "bf16", "i8"], default="f32",
                   help="how usearch stores the vectors")
    p.add_argument("--glass-quant", default="SQ8U,SQ8U,FP32",
                   help="glass quantisers: BUILD,SEARCH,REFINE (its README's rule of thumb, "
                        "SQ8U,SQ4U with an FP16 refine as its benchmark config, stops near "
                        "recall 0.90 on GloVe 50-d: 4-bit codes and a 1.5k re-rank)")
    p.add_argument("--scann-leaves", type=int, default=0,
                   help="ScaNN tree leaves (0: about sqrt(rows), at most rows/50)")
    p.add_argument("--scann-args", default="",
                   help="ScaNN query arguments LEAVES:REORDER,... (default: ann-benchmarks' "
                        "sweep scaled to the leaves)")
    p.add_argument("--gt-source", choices=["auto", "vicino", "numpy"], default="auto",
                   help="the ground truth: auto = a file's own neighbors where they serve, else "
                        "the exact top-100 from vicino when it is benchmarked, else numpy; "
                        "vicino / numpy: always computed by that")
    p.add_argument("--chart", choices=["png", "svg", "none"], default="png",
                   help="format of the chart `vicino plot` draws from the run's JSON lines")
    args = p.parse_args(argv)
    for opt in ("rows", "queries", "data_dir"):
        setattr(args, opt, getattr(args, opt, None))

    if args.dataset == "all":
        names = list(DATASETS)
    else:
        names = [s.strip() for s in args.dataset.split(",") if s.strip()]
    if not names:
        p.error("--dataset is empty")
    # Names that are not synthetic are looked up as files by resolve_sources.
    args.datasets = names
    try:
        args.efs = [int(e) for e in args.ef.split(",") if e.strip()]
    except ValueError:
        p.error(f"--ef must be a comma list of integers, got {args.ef!r}")
    try:
        args.scann_args = [tuple(int(v) for v in pair.split(":"))
                           for pair in args.scann_args.split(",") if pair.strip()]
    except ValueError:
        p.error(f"--scann-args must be LEAVES:REORDER,..., got {args.scann_args!r}")
    if any(len(a) != 2 or min(a) < 1 for a in args.scann_args):
        p.error("--scann-args must be LEAVES:REORDER,... of positive integers")
    quants = [q.strip() for q in args.glass_quant.split(",")]
    if len(quants) != 3 or not all(quants[:2]):
        p.error(f"--glass-quant must be BUILD,SEARCH,REFINE (REFINE may be empty), got "
                f"{args.glass_quant!r}")
    if not args.efs or min(args.efs) < 1:
        p.error("--ef needs at least one positive value")
    args.libraries_explicit = hasattr(args, "libraries")
    if not args.libraries_explicit:
        args.libraries = ",".join(LIBRARIES)
    libs = [s.strip() for s in args.libraries.split(",") if s.strip()]
    for s in libs:
        if s not in LIBRARIES:
            p.error(f"unknown library {s!r}; choose from {','.join(LIBRARIES)}")
    args.libraries = [lib for lib in LIBRARIES if lib in libs]
    if not args.libraries:
        p.error("--libraries is empty")
    if (args.rows is not None and args.rows < 1) or (args.queries is not None and args.queries < 1):
        p.error("--rows and --queries must be positive")
    if args.k < 1 or args.k > GT_K:
        p.error(f"--k must be 1 to {GT_K}")
    args.out = args.out.resolve()
    args.vicino = args.vicino.resolve()
    needs_bin = args.gt_source == "vicino"
    if needs_bin and not (args.vicino.is_file() and os.access(args.vicino, os.X_OK)):
        p.error(
            f"no vicino binary at {args.vicino}: run `cargo build --release`, or pass "
            f"--vicino PATH / set VICINO_BIN, or use --libraries hnswlib,faiss"
        )
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    sources = resolve_sources(args)
    modules, args.libraries = import_libraries(args.libraries, args.libraries_explicit)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    meta = {
        "run": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu_name(),
        "cores": cores,
        "loadavg": None,
    }
    meta["versions"] = {
        lib: git_rev() if lib.startswith("vicino") else package_version(LIBRARIES[lib][1],
                                                                        modules[lib])
        for lib in args.libraries
    }
    try:
        load1 = os.getloadavg()[0]
        meta["loadavg"] = round(load1, 2)
        if load1 > 0.5 * (cores or 1):
            log(f"WARNING: load average {load1:.2f} on {cores} cores: other work is running, "
                "QPS and build times will be noisy (the report records the load)")
    except OSError:
        pass
    if "vicino" in modules:
        built = Path(modules["vicino"].__file__).parent
        newest = max((p.stat().st_mtime for p in (REPO_ROOT / "crates").rglob("*.rs")), default=0)
        if max((p.stat().st_mtime for p in built.rglob("*.so")), default=0) < newest:
            log("WARNING: the installed vicino package is older than some file in crates/; "
                "pip install ./crates/vicino-py to measure the current code")
    args.out.mkdir(parents=True, exist_ok=True)
    for src in sources:
        bench_dataset(src, args, meta, modules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
