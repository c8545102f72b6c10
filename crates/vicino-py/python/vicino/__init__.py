"""vicino: approximate nearest-neighbour search (HNSW) in Rust, for numpy arrays.

    import numpy as np
    import vicino

    data = np.random.default_rng(0).random((10_000, 64), dtype=np.float32)
    index = vicino.Index(64, metric="l2")
    index.add(data)                                   # keys 0..9999, on every core
    keys, distances = index.search(data[:5], k=10, ef=64)   # (5, 10) uint64, (5, 10) float32
    index.save("my.index")
    same = vicino.Index.load("my.index")              # or Index.view: memory-mapped

Distances: "l2" is the squared Euclidean distance, "cosine" 1 - cosine similarity, "ip"
1 - dot product (hnswlib's conventions). A row with fewer than k hits is padded with NO_KEY
(2**64 - 1) and inf. The GIL is released while the engine works, so other Python threads run.

`vicino.hnswlib` is a drop-in for hnswlib's Index (`import vicino.hnswlib as hnswlib`).
"""

from ._vicino import NO_KEY, Error, FileFormatError, Index, __version__, read_vectors

__all__ = ["Index", "Error", "FileFormatError", "NO_KEY", "read_vectors", "__version__"]
