"""vicino.read_vectors: every format vicino-bench reads, as numpy arrays."""

from pathlib import Path

import numpy as np
import vicino

FIXTURES = Path(__file__).resolve().parents[2] / "vicino-bench" / "tests" / "data"


def write_vecs(path, rows, dtype):
    """A .fvecs / .ivecs / .bvecs file: each row is its length (int32) then its values."""
    with open(path, "wb") as f:
        for row in rows:
            f.write(np.int32(len(row)).tobytes())
            f.write(np.asarray(row, dtype=dtype).tobytes())


def test_fvecs_bvecs_ivecs_npy(tmp_path):
    rows = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    write_vecs(tmp_path / "a.fvecs", rows, "<f4")
    write_vecs(tmp_path / "a.bvecs", rows * 4, "u1")
    write_vecs(tmp_path / "a.ivecs", rows * 4, "<i4")
    np.save(tmp_path / "a.npy", rows.astype(np.float64))
    for name, expected, dtype in [
        ("a.fvecs", rows, np.float32),
        ("a.bvecs", rows * 4, np.float32),
        ("a.ivecs", rows * 4, np.int32),
        ("a.npy", rows, np.float32),
    ]:
        got = vicino.read_vectors(tmp_path / name)
        assert got.dtype == dtype and got.shape == (3, 4), name
        np.testing.assert_array_equal(got, expected.astype(dtype))


def test_ann_benchmarks_hdf5():
    path = FIXTURES / "ann-tiny.hdf5"
    train = vicino.read_vectors(path)
    test = vicino.read_vectors(str(path), dataset="test")
    neighbors = vicino.read_vectors(path, dataset="neighbors")
    assert (train.shape, test.shape, neighbors.shape) == ((50, 8), (5, 8), (5, 10))
    assert train.dtype == test.dtype == np.float32 and neighbors.dtype == np.int32
    # The file's neighbours are the exact ones (L2): vicino's exact search agrees.
    index = vicino.Index(8, metric="l2")
    index.add(train)
    keys, _ = index.exact_search(test, k=10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(keys.tolist(), neighbors.tolist())])
    assert overlap >= 0.9
