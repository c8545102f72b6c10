"""The Python libraries scripts/compare.py measures beside vicino: one small adapter class each.

Every adapter builds its index in this process and searches it the same way:

- `build(base)`: one timed build on `--threads-build` threads (where the library lets the build
  use threads); memory is the growth of the process's VmRSS over the build, free heap handed
  back to the OS (malloc_trim) before the baseline and before the reading, so that neither
  memory freed earlier nor a builder's freed scratch counts.
- `query_args()`: the search settings swept, one per step of the sweep (the HNSW libraries:
  `--ef`; ScaNN: pairs of leaves to search and candidates to reorder).
- `search(queries, k, arg)`: one timed call with all queries on one thread; the library loops
  over them in C++, so Python's call overhead is paid once per pass.

| library (`--libraries`) | package            | index                                                           |
|-------------------------|--------------------|-----------------------------------------------------------------|
| hnswlib                 | hnswlib            | HNSW, M, ef_construction                                        |
| faiss                   | faiss-cpu          | IndexHNSWFlat, M, efConstruction                                |
| usearch                 | usearch            | HNSW, connectivity = M, expansion_add = ef_construction, f32    |
| glass                   | pyglass-portable   | HNSW R = 2M, L = ef_construction, SQ8U build, SQ8U search + FP32 refine, optimize() |
| scann                   | scann              | k-means tree (about sqrt(n) leaves) + AH (2 dims/block) + exact reorder |

Cosine is served as each library's inner product on unit vectors (the copies normalised before
the RSS baseline), except hnswlib's own `cosine` space; `ip` data as inner product as it is.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
import time

import numpy as np


def release_free_memory() -> None:
    """Hands free heap memory back to the OS (glibc malloc_trim), so that an index built next
    cannot hide in memory the process freed earlier and the RSS delta counts all of it."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@contextlib.contextmanager
def stdout_to_stderr():
    """C++ code that prints progress to file descriptor 1 (glass does) writes to stderr instead,
    so stdout keeps only the report."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float32, copy=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x /= np.where(norms > 0, norms, 1.0)
    return x


class Peer:
    """One library's index: built once, searched at each query argument."""

    library = ""
    module_name = ""  # what compare.py imports
    package = ""  # the pip package that provides it
    normalise = False  # cosine served as inner product on unit vectors

    def __init__(self, module, metric: str, dim: int, args):
        self.module, self.metric, self.dim, self.args = module, metric, dim, args
        self.index = None

    # -- the parts each library fills in --
    def _build(self, x: np.ndarray) -> None:
        raise NotImplementedError

    def _search(self, q: np.ndarray, k: int, arg) -> np.ndarray:
        raise NotImplementedError

    def config(self) -> str:
        """The index's settings, for the report."""
        return ""

    def query_args(self, n: int) -> list:
        """The search settings swept, in order (ef values unless the library has others)."""
        return list(self.args.efs)

    def library_bytes(self) -> int | None:
        """The index's own account of its size, where the library gives one."""
        return None

    # -- shared --
    def prepare(self, x: np.ndarray) -> np.ndarray:
        if self.normalise and self.metric == "cosine":
            return unit_rows(x)
        return np.ascontiguousarray(x, dtype=np.float32)

    def build(self, base: np.ndarray) -> dict:
        x = self.prepare(base)  # any normalised copy is made before the RSS baseline
        release_free_memory()
        rss0 = rss_bytes()
        t0 = time.perf_counter()
        self._build(x)
        build_s = time.perf_counter() - t0
        release_free_memory()  # the builder's freed scratch; `x` is still held, so still counted
        rss1 = rss_bytes()
        del x
        rss_delta = (rss1 - rss0) if (rss0 is not None and rss1 is not None) else None
        out = {"build_s": build_s, "index_bytes": rss_delta, "index_bytes_source": "rss_delta",
               "config": self.config()}
        own = self.library_bytes()
        if own is not None:
            out["library_bytes"] = own
        return out

    def search(self, queries: np.ndarray, k: int, arg) -> tuple:
        """One timed pass over `queries`: (seconds, ids of shape (queries, k), int64)."""
        q = self.prepare(queries)
        t0 = time.perf_counter()
        labels = self._search(q, k, arg)
        secs = time.perf_counter() - t0
        return secs, np.asarray(labels).astype(np.int64)

    def close(self) -> None:
        self.index = None
        release_free_memory()


class Hnswlib(Peer):
    library, module_name, package = "hnswlib", "hnswlib", "hnswlib"

    def _build(self, x):
        a = self.args
        index = self.module.Index(space=self.metric, dim=self.dim)
        index.init_index(max_elements=len(x), M=a.m, ef_construction=a.ef_construction,
                         random_seed=100)
        index.set_num_threads(a.threads_build)
        index.add_items(x, np.arange(len(x), dtype=np.int64))
        index.set_num_threads(1)
        self.index = index

    def config(self):
        return f"M={self.args.m}, ef_construction={self.args.ef_construction}"

    def _search(self, q, k, ef):
        self.index.set_ef(ef)
        labels, _ = self.index.knn_query(q, k=k, num_threads=1)
        return labels


class Faiss(Peer):
    library, module_name, package = "faiss", "faiss", "faiss-cpu"
    normalise = True

    def _build(self, x):
        faiss, a = self.module, self.args
        fmetric = faiss.METRIC_L2 if self.metric == "l2" else faiss.METRIC_INNER_PRODUCT
        index = faiss.IndexHNSWFlat(self.dim, a.m, fmetric)
        index.hnsw.efConstruction = a.ef_construction
        faiss.omp_set_num_threads(a.threads_build)
        index.add(x)
        faiss.omp_set_num_threads(1)
        self.index = index

    def config(self):
        return f"IndexHNSWFlat M={self.args.m}, efConstruction={self.args.ef_construction}"

    def _search(self, q, k, ef):
        self.index.hnsw.efSearch = ef
        _, labels = self.index.search(q, k)
        return labels


class Usearch(Peer):
    """usearch's HNSW: connectivity = M (its layer 0 keeps 2M links, as hnswlib's),
    expansion_add = ef_construction, expansion_search = ef; vectors stored as --usearch-dtype."""

    library, module_name, package = "usearch", "usearch.index", "usearch"
    normalise = True

    def _metric(self) -> str:
        if self.metric == "l2":
            return "l2sq"
        # Unit vectors under inner product order as cosine; i8 quantises for cosine itself.
        return "cos" if self.args.usearch_dtype == "i8" and self.metric == "cosine" else "ip"

    def _build(self, x):
        a = self.args
        index = self.module.Index(ndim=self.dim, metric=self._metric(), dtype=a.usearch_dtype,
                                  connectivity=a.m, expansion_add=a.ef_construction)
        index.add(np.arange(len(x), dtype=np.uint64), x, threads=a.threads_build)
        self.index = index

    def config(self):
        return (f"connectivity={self.args.m}, expansion_add={self.args.ef_construction}, "
                f"dtype={self.args.usearch_dtype}, metric={self._metric()}")

    def library_bytes(self):
        return int(self.index.memory_usage)

    def _search(self, q, k, ef):
        self.index.expansion_search = ef
        return self.index.search(q, k, threads=1).keys


class Glass(Peer):
    """glass (pyglass-portable) HNSW: the graph built on SQ8U codes (its README's rule of thumb)
    with R = 2M links at layer 0 (glass builds HNSW with M = R/2) and L = ef_construction,
    searched on SQ8U codes with an FP32 refine (re-ranking), after the searcher's optimize()
    step (tunes prefetching on sample queries); ef swept. The README's 4-bit search codes
    (SQ4U, FP16 refine, as its benchmark config) stop near recall 0.90 on GloVe 50-d: the
    refine sees only 1.5k candidates. `--glass-quant` picks others."""

    library, module_name, package = "glass", "glass", "pyglass-portable"
    normalise = True

    def _gmetric(self) -> str:
        return "L2" if self.metric == "l2" else "IP"

    def _quants(self) -> tuple:
        return tuple(s.strip() for s in self.args.glass_quant.split(","))

    def _build(self, x):
        glass, a = self.module, self.args
        build_q, search_q, refine_q = self._quants()
        with stdout_to_stderr():
            glass.set_num_threads(a.threads_build)
            graph = glass.Index("HNSW", self._gmetric(), build_q, R=2 * a.m,
                                L=a.ef_construction).build(x)
            searcher = glass.Searcher(graph, x, self._gmetric(), search_q, refine_q)
            searcher.optimize(1)
        self.index = searcher

    def config(self):
        b, s, r = self._quants()
        return (f"HNSW R={2 * self.args.m}, L={self.args.ef_construction}, build {b}, "
                f"search {s}, refine {r}, optimize(1)")

    def _search(self, q, k, ef):
        self.index.set_ef(ef)
        ids, _ = self.index.batch_search(q, k, 1)
        return ids


class Scann(Peer):
    """ScaNN as ann-benchmarks configures it: a k-means tree of `--scann-leaves` leaves (default
    about sqrt(n), at most n/50), trained on all rows with quantised centroids (spherical for
    cosine), asymmetric hashing with 2 dimensions per block (anisotropic threshold 0.2 for dot
    product, none for L2), exact float reordering; the query argument is a pair (leaves to
    search, candidates reordered), swept from few to many."""

    library, module_name, package = "scann", "scann", "scann"
    normalise = True
    # ann-benchmarks' glove-100 sweep (2000 leaves, k=10) as shares of the leaves, with its
    # reorder counts (scaled by k / 10 at run time).
    SWEEP = ((0.0005, 30), (0.001, 30), (0.002, 30), (0.005, 40), (0.01, 50), (0.02, 80),
             (0.03, 100), (0.05, 120), (0.075, 150), (0.1, 200), (0.15, 300), (0.2, 400),
             (0.3, 600), (0.4, 1000))

    def _leaves(self, n: int) -> int:
        if self.args.scann_leaves:
            return self.args.scann_leaves
        return max(1, min(round(math.sqrt(n)), n // 50))

    def _distance(self) -> str:
        return "squared_l2" if self.metric == "l2" else "dot_product"

    def _build(self, x):
        scann, a = self.module, self.args
        self.n = len(x)
        leaves = self._leaves(len(x))
        dot = self._distance() == "dot_product"
        builder = (scann.scann_ops_pybind.builder(x, a.k, self._distance())
                   .tree(leaves, 1, training_sample_size=len(x),
                         spherical=self.metric == "cosine", quantize_centroids=True)
                   .score_ah(2, anisotropic_quantization_threshold=0.2 if dot else float("nan"))
                   .reorder(1))
        builder.set_n_training_threads(a.threads_build)
        self.index = builder.build()

    def config(self):
        return (f"tree leaves={self._leaves(self.n)}, AH dims_per_block=2, "
                f"{self._distance()}, reorder")

    def query_args(self, n: int) -> list:
        if self.args.scann_args:
            return list(self.args.scann_args)
        leaves, k = self._leaves(n), self.args.k
        out = []
        for share, reorder in self.SWEEP:
            pair = (max(1, min(leaves, round(leaves * share))),
                    max(k, round(reorder * k / 10)))
            if pair not in out:
                out.append(pair)
        return out

    def _search(self, q, k, arg):
        leaves, reorder = arg
        ids, _ = self.index.search_batched(q, k, reorder, leaves)
        return ids


class Vicino(Peer):
    """vicino in-process through its Python package (`pip install ./crates/vicino-py`), timed
    like every other library: built with `threads_build` threads, searched on one thread
    (`search(queries, threads=1)`: the whole batch, one query after another). Cosine is served
    by vicino itself (it normalises at insert)."""

    library, module_name, package = "vicino", "vicino", "./crates/vicino-py"
    quantize = "none"

    def _build(self, x):
        a = self.args
        index = self.module.Index(self.dim, metric=self.metric, m=a.m,
                                  ef_construction=a.ef_construction, capacity=len(x),
                                  quantize=self.quantize)
        index.add(x, threads=a.threads_build)
        self.index = index

    def config(self):
        return (f"M={self.args.m}, ef_construction={self.args.ef_construction}, "
                f"quantize={self.quantize}")

    def library_bytes(self):
        return self.index.memory_bytes

    def _search(self, q, k, ef):
        keys, _ = self.index.search(q, k=k, ef=ef, threads=1)
        return keys.astype(np.int64)


class VicinoSq8(Vicino):
    """vicino walking its graph on 8-bit codes, re-ranking 3k candidates on float vectors
    (`quantize="sq8"`, its default re-rank)."""

    library = "vicino-sq8"
    quantize = "sq8"


PEERS = {cls.library: cls for cls in (Hnswlib, Faiss, Usearch, Glass, Scann, Vicino, VicinoSq8)}


def arg_label(arg) -> str:
    """A query argument as the report writes it: `64` for an ef, `8/120` for ScaNN's pair."""
    return f"{arg[0]}/{arg[1]}" if isinstance(arg, tuple) else str(arg)
