"""Bad input: each raises its exception, with the engine's own message, and never crashes."""

import re

import numpy as np
import pytest
import vicino


@pytest.fixture()
def index():
    ix = vicino.Index(8, metric="cosine")
    ix.add(np.eye(8, dtype=np.float32) + 0.5)
    return ix


def raises(exception, message):
    """pytest.raises for exactly this message (the Rust error's text)."""
    return pytest.raises(exception, match="^" + re.escape(message) + "$")


def test_wrong_dimension(index):
    with raises(vicino.Error, "wrong vector dimension: expected 8, got 7"):
        index.search(np.ones((3, 7), np.float32))
    with raises(vicino.Error, "wrong vector dimension: expected 8, got 9"):
        index.add(np.ones(9, np.float32))
    with raises(vicino.Error, "wrong vector dimension: expected 8, got 0"):
        index.exact_search(np.ones(0, np.float32))
    # A matrix whose floats would make whole rows of 8 is still refused by its shape.
    with raises(vicino.Error, "wrong vector dimension: expected 8, got 4"):
        index.add(np.ones((4, 4), np.float32))
    assert issubclass(vicino.Error, ValueError)


def test_nan_and_infinity_name_the_row(index):
    vectors = np.ones((5, 8), np.float32)
    vectors[3, 2] = np.nan
    with raises(vicino.Error, "vector 3 has a non-finite value at component 2"):
        index.add(vectors)
    assert len(index) == 8  # nothing was added
    queries = np.ones((2, 8))
    queries[1, 7] = np.inf
    with raises(vicino.Error, "vector 1 has a non-finite value at component 7"):
        index.search(queries)


def test_float64_too_large_for_float32_is_refused_not_wrapped(index):
    import warnings

    with warnings.catch_warnings():
        # numpy warns of the overflow as it converts to float32; the engine then refuses the inf.
        warnings.simplefilter("ignore", RuntimeWarning)
        with raises(vicino.Error, "vector 0 has a non-finite value at component 0"):
            index.add(np.full((1, 8), 1e300))


def test_zero_vector_under_cosine(index):
    with raises(vicino.Error, "vector 0 is all zeros, which has no cosine direction"):
        index.add(np.zeros(8, np.float32))


def test_bad_parameters():
    with raises(vicino.Error, 'unknown metric "hamming" (expected l2, cosine or ip; euclidean and angular are aliases)'):
        vicino.Index(8, metric="hamming")
    with raises(vicino.Error, "invalid parameter m: must be between 2 and 1024, got 1"):
        vicino.Index(8, m=1)
    with raises(vicino.Error, "invalid parameter dim: must be between 1 and 1048576, got 0"):
        vicino.Index(0)
    with raises(vicino.Error, "invalid parameter dim: must not be negative, got -3"):
        vicino.Index(-3)
    with raises(vicino.Error, "invalid parameter ef_construction: must not be negative, got -1"):
        vicino.Index(8, ef_construction=-1)


def test_bad_search_arguments(index):
    with raises(vicino.Error, "invalid parameter k: must be at least 1"):
        index.search(np.ones(8), k=0)
    with raises(vicino.Error, "invalid parameter k: must not be negative, got -1"):
        index.exact_search(np.ones(8), k=-1)
    with raises(vicino.Error, "invalid parameter threads: must be 0 (one per core) or more, got -2"):
        index.search(np.ones((2, 8)), threads=-2)
    with raises(vicino.Error, "queries must be one vector (1-D) or one vector per row (2-D), got an array of shape [2, 2, 8]"):
        index.search(np.ones((2, 2, 8)))
    with raises(vicino.Error, "queries must be one vector (1-D) or one vector per row (2-D), got an array of shape []"):
        index.search(1.0)


def test_an_absurd_k_is_a_memory_error_not_a_crash(index):
    # The engine clamps k to the vectors there are; the padded result could not be allocated.
    with raises(MemoryError, "cannot allocate results for 2 queries of k = 4611686018427387904"):
        index.search(np.ones((2, 8)), k=2**62)
    keys, _ = index.exact_search(np.ones(8), k=20)
    assert keys.shape == (20,) and (keys == vicino.NO_KEY).sum() == 12


def test_non_numeric_input_is_a_type_error(index):
    with pytest.raises(TypeError, match="vectors must be numbers .float or integer., got an array of dtype <U1"):
        index.add([["a"] * 8])
    with pytest.raises(TypeError, match="dtype bool"):
        index.search(np.ones(8, bool))
    with pytest.raises(TypeError, match="dtype complex128"):
        index.search(np.ones(8, complex))
    with pytest.raises(TypeError, match="dtype object"):
        index.search(None)
    with pytest.raises(TypeError, match="keys must be integers, got an array of dtype float64"):
        index.add(np.ones(8), keys=[1.5])


def test_bad_keys(index):
    with raises(vicino.Error, "3 keys for 2 vectors"):
        index.add(np.ones((2, 8)), keys=[1, 2, 3])
    with raises(vicino.Error, "key -4 (at position 1) is negative; keys are unsigned 64-bit integers"):
        index.add(np.ones((2, 8)), keys=[1, -4])
    with raises(
        vicino.Error,
        "key 2**64-1 (at position 0) is reserved: it pads search results with fewer than k hits (vicino.NO_KEY)",
    ):
        index.add(np.ones(8), keys=np.array([vicino.NO_KEY], np.uint64))
    with raises(vicino.Error, "keys must be one integer per vector (1-D), got an array of shape [1, 2]"):
        index.add(np.ones((2, 8)), keys=[[1, 2]])
    assert len(index) == 8


def test_files_that_cannot_be_read(tmp_path):
    missing = tmp_path / "missing.vicino"
    with pytest.raises(FileNotFoundError) as e:
        vicino.Index.load(missing)
    assert f"{missing}: No such file or directory (os error 2)" in str(e.value)
    with pytest.raises(FileNotFoundError):
        vicino.Index.view(missing)
    with pytest.raises(OSError, match="not a regular file"):
        vicino.Index.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        vicino.Index(4).save(tmp_path / "no" / "such" / "folder" / "x.vicino")


def test_files_that_are_not_index_files(tmp_path, index):
    junk = tmp_path / "junk.vicino"
    junk.write_bytes(b"this is not an index file" * 10)
    for opener in (vicino.Index.load, vicino.Index.view):
        with pytest.raises(vicino.FileFormatError, match=f"^{junk}: not a valid index file: "):
            opener(junk)
    assert issubclass(vicino.FileFormatError, vicino.Error)
    # A saved index cut short.
    good = tmp_path / "good.vicino"
    index.save(good)
    cut = tmp_path / "cut.vicino"
    cut.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(vicino.FileFormatError):
        vicino.Index.load(cut)
    with pytest.raises(vicino.FileFormatError):
        vicino.Index.from_bytes(good.read_bytes()[:200])


def test_read_vectors_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        vicino.read_vectors(tmp_path / "missing.fvecs")
    unknown = tmp_path / "data.csv"
    unknown.write_text("1,2,3\n")
    with raises(vicino.Error, f"{unknown}: unknown file format (expected .fvecs, .bvecs, .ivecs or .npy)"):
        vicino.read_vectors(unknown)
    bad = tmp_path / "bad.fvecs"
    bad.write_bytes(b"\x03\x00\x00\x00\x00\x00")
    with pytest.raises(vicino.FileFormatError, match=f"^{bad}: malformed fvecs file: "):
        vicino.read_vectors(bad)
    with raises(vicino.Error, f'dataset="test" applies to ann-benchmarks .hdf5 files only, not {bad}'):
        vicino.read_vectors(bad, dataset="test")
