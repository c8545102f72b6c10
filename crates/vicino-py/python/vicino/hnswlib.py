"""hnswlib's Python API on vicino's engine: ``import vicino.hnswlib as hnswlib`` and code
written for hnswlib runs unchanged.

The same as hnswlib: ``Index(space, dim)``, ``init_index``, ``add_items``, ``knn_query`` (labels
uint64 and distances float32 of shape (queries, k), even for one 1-D query), ``set_ef`` /
``ef`` (default 10), ``set_num_threads`` / ``num_threads`` (default: every core),
``save_index``, ``load_index``, ``resize_index``, ``get_ids_list``, the counts and read-only
properties, pickling, and the distances: "l2" is the squared Euclidean distance, "ip"
1 - dot product, "cosine" 1 - cosine similarity. Adding past ``max_elements``, asking for more
neighbours than the index holds, and every refused input raise ``RuntimeError`` (input errors are
also ``vicino.Error``, file errors also their ``OSError``), with vicino's message.

What differs:

- Index files are vicino's: ``load_index`` reads what ``save_index`` wrote, not hnswlib's files.
- A zero vector is refused under "cosine" (it has no direction; hnswlib gives it distance 1).
- Labels must be integers (hnswlib casts floats).
- Not there yet, each raising ``NotImplementedError`` that names it: adding a label that is
  already in the index (hnswlib replaces its vector), loading an index as another space than it
  was saved in, ``mark_deleted``, ``unmark_deleted``, ``get_items``, ``knn_query(filter=...)``,
  ``add_items(replace_deleted=True)``, and ``BFIndex``.
"""

import contextlib
import functools
import os
import threading

import numpy as np

from . import _vicino

__all__ = ["Index", "BFIndex"]

_SPACES = ("l2", "ip", "cosine")


@functools.lru_cache(maxsize=None)
def _also_runtime_error(cls):
    """``cls`` made a RuntimeError too: hnswlib raises RuntimeError for everything, and code
    written for it catches that, while code written for vicino catches ``cls``."""
    return type(cls.__name__, (cls, RuntimeError), {"__module__": __name__})


@contextlib.contextmanager
def _raised_as_hnswlib_does():
    try:
        yield
    except (_vicino.Error, OSError) as e:
        if isinstance(e, RuntimeError):
            raise
        error = _also_runtime_error(type(e))(str(e))
        if isinstance(e, OSError):
            error.errno = e.errno
        raise error from e


def _not_yet(what):
    return NotImplementedError(f"{what} is not supported by vicino.hnswlib yet")


class Index:
    """An HNSW index with hnswlib's interface (see the module's documentation)."""

    def __init__(self, space, dim):
        if space not in _SPACES:
            raise RuntimeError("Space name must be one of l2, ip, or cosine.")
        self._space = space
        self._dim = int(dim)
        self._index = None
        self._max_elements = 0
        self._ef = 10
        self.num_threads = os.cpu_count() or 1
        self._seed = 100
        self._allow_replace_deleted = False
        # Labels in the index or being added, made from the index's keys when first needed
        # (hnswlib replaces the vector of a label added again; vicino cannot yet, so it refuses).
        self._labels = None
        # Rows added or being added: the default labels continue from here, as hnswlib's do.
        self._rows = 0
        self._lock = threading.Lock()

    def init_index(
        self, max_elements, M=16, ef_construction=200, random_seed=100, allow_replace_deleted=False
    ):
        """Makes an empty index for up to ``max_elements`` vectors (room is reserved for them)."""
        if self._index is not None:
            raise RuntimeError("The index is already initiated.")
        with _raised_as_hnswlib_does():
            self._index = _vicino.Index(
                self._dim,
                metric=self._space,
                m=M,
                ef_construction=ef_construction,
                seed=random_seed,
                capacity=max_elements,
            )
        self._max_elements = int(max_elements)
        self._seed = random_seed
        self._allow_replace_deleted = bool(allow_replace_deleted)
        self._labels = set()
        self._rows = 0

    def add_items(self, data, ids=None, num_threads=-1, replace_deleted=False):
        """Adds the rows of ``data`` (or one 1-D vector) under ``ids``; without ids, labels
        continue from the number of rows added so far. A label already in the index is
        refused."""
        if replace_deleted:
            raise _not_yet("add_items(replace_deleted=True) (deleting elements)")
        index = self._ready()
        data = np.asarray(data)
        if data.ndim not in (1, 2):
            raise RuntimeError(
                f"Input vector data wrong shape. Number of dimensions {data.ndim}. "
                "Data must be a 1D or 2D array."
            )
        rows = 1 if data.ndim == 1 else data.shape[0]
        labels = self._reserve(rows, ids)
        try:
            with _raised_as_hnswlib_does():
                index.add(data, keys=labels, threads=self._threads(num_threads))
        except BaseException:
            self._release(labels, rows)
            raise

    def knn_query(self, data, k=1, num_threads=-1, filter=None):
        """The ``k`` nearest labels of each row of ``data`` and their distances: two arrays of
        shape (rows, k), uint64 and float32, nearest first."""
        if filter is not None:
            raise _not_yet("knn_query(filter=...)")
        index = self._ready()
        data = np.asarray(data)
        if data.ndim == 1:
            data = data.reshape(1, -1)
        with _raised_as_hnswlib_does():
            labels, distances = index.search(
                data, k=k, ef=self._ef, threads=self._threads(num_threads)
            )
        if labels.size and labels[:, -1].max() == _vicino.NO_KEY:
            raise RuntimeError(
                "Cannot return the results in a contiguous 2D array. Probably ef or M is too small"
            )
        return labels, distances

    def set_ef(self, ef):
        self._ef = int(ef)

    @property
    def ef(self):
        """The beam width of searches (raised to k when smaller)."""
        return self._ef

    @ef.setter
    def ef(self, ef):
        self.set_ef(ef)

    def set_num_threads(self, num_threads):
        self.num_threads = int(num_threads)

    def save_index(self, path_to_index):
        """Writes the index to a file, atomically (vicino's format, not hnswlib's)."""
        index = self._ready()
        with _raised_as_hnswlib_does():
            index.save(os.fspath(path_to_index))

    def load_index(self, path_to_index, max_elements=0, allow_replace_deleted=False):
        """Reads an index that ``save_index`` wrote; ``max_elements`` raises its capacity."""
        with _raised_as_hnswlib_does():
            index = _vicino.Index.load(os.fspath(path_to_index))
        if index.dim != self._dim:
            raise RuntimeError(
                f"the index in {path_to_index} holds vectors of dimension {index.dim}, "
                f"not {self._dim}"
            )
        if index.metric != self._space:
            raise _not_yet(
                f"loading an index saved in space {index.metric!r} as space {self._space!r}"
            )
        with self._lock:
            self._index = index
            self._max_elements = max(int(max_elements), len(index))
            self._allow_replace_deleted = bool(allow_replace_deleted)
            self._labels = None
            self._rows = len(index)

    def resize_index(self, new_size):
        """Changes the capacity (the index grows as needed; nothing is moved)."""
        index = self._ready()
        if new_size < len(index):
            raise RuntimeError(
                "Cannot resize, max element is less than the current number of elements"
            )
        self._max_elements = int(new_size)

    def get_ids_list(self):
        """Every label in the index."""
        return self._ready().keys().tolist()

    def get_max_elements(self):
        return self._max_elements

    def get_current_count(self):
        return 0 if self._index is None else len(self._index)

    def index_file_size(self):
        """The size in bytes of the file ``save_index`` would write."""
        return len(self._ready().to_bytes())

    def get_items(self, ids=None, return_type="numpy"):
        raise _not_yet("get_items (reading vectors back)")

    def mark_deleted(self, label):
        raise _not_yet("mark_deleted (deleting elements)")

    def unmark_deleted(self, label):
        raise _not_yet("unmark_deleted (deleting elements)")

    @property
    def space(self):
        return self._space

    @property
    def dim(self):
        return self._dim

    @property
    def M(self):
        return 0 if self._index is None else self._index.m

    @property
    def ef_construction(self):
        return 0 if self._index is None else self._index.ef_construction

    @property
    def max_elements(self):
        return self._max_elements

    @property
    def element_count(self):
        return self.get_current_count()

    def __getstate__(self):
        # The index travels as the bytes of its file.
        return {
            "space": self._space,
            "dim": self._dim,
            "ef": self._ef,
            "num_threads": self.num_threads,
            "seed": self._seed,
            "max_elements": self._max_elements,
            "allow_replace_deleted": self._allow_replace_deleted,
            "rows": self._rows,
            "index": None if self._index is None else self._index.to_bytes(),
        }

    def __setstate__(self, state):
        self.__init__(state["space"], state["dim"])
        self._ef = state["ef"]
        self.num_threads = state["num_threads"]
        self._seed = state["seed"]
        self._max_elements = state["max_elements"]
        self._allow_replace_deleted = state["allow_replace_deleted"]
        self._rows = state["rows"]
        if state["index"] is not None:
            with _raised_as_hnswlib_does():
                self._index = _vicino.Index.from_bytes(state["index"])

    def __repr__(self):
        return f"<vicino.hnswlib.Index(space='{self._space}', dim={self._dim})>"

    def _ready(self):
        if self._index is None:
            raise RuntimeError("The index is not initiated: call init_index or load_index first.")
        return self._index

    def _threads(self, num_threads):
        threads = self.num_threads if num_threads is None or num_threads <= 0 else num_threads
        return max(int(threads), 0)

    def _reserve(self, rows, ids):
        """The labels of ``rows`` new vectors, claimed (so that a concurrent add cannot take
        them) after the capacity and repeat checks."""
        with self._lock:
            if self._labels is None:
                self._labels = set(self._index.keys().tolist())
            if len(self._labels) + rows > self._max_elements:
                raise RuntimeError("The number of elements exceeds the specified limit")
            if ids is None:
                labels = np.arange(self._rows, self._rows + rows, dtype=np.uint64)
            else:
                labels = np.asarray(ids)
                if labels.ndim == 0:
                    labels = labels.reshape(1)
            new = set()
            for label in labels.tolist():
                if label in self._labels or label in new:
                    raise _not_yet(f"adding label {label} again (hnswlib would replace its vector)")
                new.add(label)
            self._labels.update(new)
            self._rows += rows
            return labels

    def _release(self, labels, rows):
        """Gives back what ``_reserve`` claimed for an add that failed."""
        with self._lock:
            self._labels.difference_update(labels.tolist())
            self._rows -= rows


class BFIndex:
    """hnswlib's brute-force index is not here yet; ``vicino.Index.exact_search`` is exact."""

    def __init__(self, space, dim):
        raise _not_yet("hnswlib.BFIndex (brute-force search; vicino.Index.exact_search is one)")
