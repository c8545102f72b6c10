"""vicino in ann-benchmarks: copy this folder to ann_benchmarks/algorithms/vicino/ there.

Build on every core; single queries on the calling thread, batch queries (--batch) on every core.
"""

import os

import numpy as np
import vicino

from ..base.module import BaseANN

# ann-benchmarks' distance names, and vicino's metric for each.
_METRICS = {"euclidean": "l2", "angular": "cosine"}


class Vicino(BaseANN):
    def __init__(self, metric, method_param):
        if metric not in _METRICS:
            raise NotImplementedError(f"vicino does not support the {metric!r} distance")
        self.metric = _METRICS[metric]
        self.method_param = method_param
        self.ef = 10
        self.index = None
        self.name = f"vicino ({method_param})"

    def fit(self, X):
        X = np.ascontiguousarray(X, dtype=np.float32)
        self.index = vicino.Index(
            X.shape[1],
            metric=self.metric,
            m=self.method_param["M"],
            ef_construction=self.method_param["efConstruction"],
            capacity=X.shape[0],
        )
        self.index.add(X, threads=0)

    def set_query_arguments(self, ef):
        self.ef = ef
        self.name = f"vicino ({self.method_param}, 'efQuery': {ef})"

    def query(self, v, n):
        keys, _ = self.index.search(np.asarray(v, dtype=np.float32), k=n, ef=self.ef, threads=1)
        return _found(keys)

    def batch_query(self, X, n):
        X = np.ascontiguousarray(X, dtype=np.float32)
        self.res, _ = self.index.search(X, k=n, ef=self.ef, threads=0)

    def get_batch_results(self):
        return [_found(row) for row in self.res]

    def get_memory_usage(self):
        # The process's resident memory in KiB, as BaseANN (and so every other algorithm)
        # reports it: the runner takes its growth over fit() as the index's size.
        # index.memory_bytes would leave out what the allocator holds beyond the index.
        with open("/proc/self/statm") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1024

    def get_additional(self):
        return {} if self.index is None else {"index_bytes": self.index.memory_bytes}

    def __str__(self):
        return self.name

    def freeIndex(self):
        self.index = None


def _found(keys):
    """The keys of a result row, without the padding of a row with fewer than n hits."""
    return keys[keys != vicino.NO_KEY]

