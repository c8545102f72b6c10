"""vicino.Index: recall, keys, shapes, conversions, files and pickling."""

import pickle

import numpy as np
import pytest
import vicino

from conftest import SEED, clustered, recall


@pytest.fixture(scope="module")
def built(data):
    """A cosine index over the base vectors, built on every core."""
    base, _ = data
    index = vicino.Index(32, metric="cosine", m=16, ef_construction=200, seed=SEED)
    index.add(base)
    return index


@pytest.mark.parametrize("metric", ["l2", "cosine", "ip"])
def test_recall_against_exact_search(data, metric):
    base, queries = data
    if metric == "ip":
        # Inner product on unit vectors: the same order as cosine, with exact ties broken alike.
        base = base / np.linalg.norm(base, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    index = vicino.Index(32, metric=metric, seed=SEED)
    index.add(base)
    assert len(index) == 4000
    truth, truth_distances = index.exact_search(queries, k=10)
    found, distances = index.search(queries, k=10, ef=64)
    assert found.shape == truth.shape == (200, 10)
    assert found.dtype == np.uint64 and distances.dtype == np.float32
    got = recall(found, truth)
    print(f"{metric}: recall@10 at ef 64 = {got:.4f} (seed {SEED})")
    assert got >= 0.95
    # Nearest first, and never closer than the exact answer.
    assert np.all(np.diff(distances, axis=1) >= 0)
    assert np.all(distances[:, 0] >= truth_distances[:, 0] - 1e-5)


def test_distances_follow_the_documented_formulas(data):
    base, queries = data
    q, v = queries[0], base
    for metric, expected in [
        ("l2", ((v - q) ** 2).sum(axis=1)),
        ("ip", 1 - v @ q),
        ("cosine", 1 - (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))),
    ]:
        index = vicino.Index(32, metric=metric)
        index.add(base[:500])
        keys, distances = index.exact_search(q, k=5)
        np.testing.assert_allclose(distances, expected[keys.astype(np.int64)], rtol=1e-4, atol=1e-3)
        np.testing.assert_array_equal(keys, np.argsort(expected[:500], kind="stable")[:5])


def test_higher_ef_does_not_lower_recall(built, data):
    _, queries = data
    truth, _ = built.exact_search(queries, k=10)
    low = recall(built.search(queries, k=10, ef=10)[0], truth)
    high = recall(built.search(queries, k=10, ef=200)[0], truth)
    assert high >= low and high >= 0.99


def test_one_query_gives_one_row(built, data):
    _, queries = data
    keys, distances = built.search(queries[3], k=7)
    assert keys.shape == distances.shape == (7,)
    batch_keys, batch_distances = built.search(queries, k=7)
    np.testing.assert_array_equal(keys, batch_keys[3])
    np.testing.assert_array_equal(distances, batch_distances[3])
    exact_keys, _ = built.exact_search(queries[3], k=7)
    assert exact_keys.shape == (7,)


def test_thread_counts_give_the_same_answers(built, data):
    _, queries = data
    one = built.search(queries, k=10, threads=1)
    for threads in (0, 2, 3):
        many = built.search(queries, k=10, threads=threads)
        np.testing.assert_array_equal(one[0], many[0])
        np.testing.assert_array_equal(one[1], many[1])


def test_keys_are_returned_and_default_keys_continue_the_count(data):
    base, _ = data
    index = vicino.Index(32, metric="l2")
    index.add(base[:100])
    index.add(base[100:200], keys=np.arange(1000, 1100, dtype=np.uint64))
    index.add(base[200:300])  # numbered from the count: 200..299
    index.add(base[300], keys=[12345])  # one vector, a list of one key
    keys, distances = index.exact_search(base[[5, 150, 250, 300]], k=1)
    np.testing.assert_array_equal(keys[:, 0], [5, 1050, 250, 12345])
    np.testing.assert_array_equal(distances[:, 0], 0.0)
    assert sorted(index.keys().tolist()) == sorted(
        list(range(100)) + list(range(1000, 1100)) + list(range(200, 300)) + [12345]
    )
    # int64 keys are taken when none is negative.
    index.add(base[301:303], keys=np.array([7, 8], dtype=np.int64))
    assert len(index) == 303
    assert index.repair() >= 0  # after a series of adds


def test_fewer_hits_than_k_are_padded(data):
    base, queries = data
    index = vicino.Index(32, metric="l2")
    keys, distances = index.search(queries[:2], k=3)  # empty index
    assert np.all(keys == vicino.NO_KEY) and np.all(np.isinf(distances))
    index.add(base[:2])
    for keys, distances in [index.search(queries[:4], k=5), index.exact_search(queries[:4], k=5)]:
        assert keys.shape == (4, 5)
        assert np.all(keys[:, :2] < 2) and np.all(keys[:, 2:] == vicino.NO_KEY)
        assert np.all(np.isfinite(distances[:, :2])) and np.all(np.isinf(distances[:, 2:]))
    assert vicino.NO_KEY == 2**64 - 1


def test_float64_integer_and_strided_input_are_converted(built, data):
    _, queries = data
    expected = built.search(queries[:20], k=10)
    as_f64 = built.search(queries[:20].astype(np.float64), k=10)
    doubled = np.repeat(queries[:20], 2, axis=1)[:, ::2]  # a strided view of the same values
    assert not doubled.flags["C_CONTIGUOUS"]
    strided = built.search(doubled, k=10)
    fortran = built.search(np.asfortranarray(queries[:20]), k=10)
    listed = built.search(queries[:20].tolist(), k=10)
    for got in (as_f64, strided, fortran, listed):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    readonly = queries[:20].copy()
    readonly.flags.writeable = False
    np.testing.assert_array_equal(built.search(readonly, k=10)[0], expected[0])
    # Integers are numbers too.
    small = vicino.Index(3, metric="l2")
    small.add(np.array([[0, 0, 1], [5, 5, 5]], dtype=np.int32))
    assert small.search(np.array([4, 5, 6], dtype=np.int64), k=1)[0][0] == 1


def test_properties_and_repr(built):
    assert (len(built), built.dim, built.metric, built.m, built.ef_construction) == (
        4000,
        32,
        "cosine",
        16,
        200,
    )
    assert built.seed == SEED
    assert built.memory_bytes > 4000 * 32 * 4
    assert "dim=32" in repr(built) and "len=4000" in repr(built)
    assert vicino.Index(8, metric="euclidean").metric == "l2"
    assert vicino.Index(8, metric="angular").metric == "cosine"
    assert vicino.Index(8, metric="dot").metric == "ip"
    assert vicino.Index(8).metric == "cosine"


def test_save_load_and_view_answer_identically(built, data, tmp_path):
    _, queries = data
    path = tmp_path / "cosine.vicino"
    built.save(path)
    loaded = vicino.Index.load(path)
    viewed = vicino.Index.view(str(path))
    expected = built.search(queries, k=10, ef=64)
    for other in (loaded, viewed):
        assert (len(other), other.dim, other.metric, other.m) == (4000, 32, "cosine", 16)
        got = other.search(queries, k=10, ef=64)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_array_equal(other.keys(), built.keys())
    # A viewed index takes adds; they stay in memory.
    extra = clustered(10, 32, seed=SEED + 7)
    viewed.add(extra, keys=np.arange(10**6, 10**6 + 10))
    assert len(viewed) == 4010
    assert viewed.search(extra[4], k=1)[0][0] == 10**6 + 4


def test_pickling_round_trip_gives_the_same_answers(built, data):
    _, queries = data
    copy = pickle.loads(pickle.dumps(built))
    assert isinstance(copy, vicino.Index) and copy is not built
    expected = built.search(queries, k=10)
    got = copy.search(queries, k=10)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    again = vicino.Index.from_bytes(built.to_bytes())
    np.testing.assert_array_equal(again.search(queries, k=10)[0], expected[0])


def test_a_seeded_one_thread_build_is_reproducible(data):
    base, queries = data

    def build():
        index = vicino.Index(32, metric="l2", seed=7)
        index.add(base[:1000], threads=1)
        return index

    a, b = build(), build()
    assert a.to_bytes() == b.to_bytes()
    np.testing.assert_array_equal(a.search(queries, k=10)[0], b.search(queries, k=10)[0])


def test_searches_run_while_another_thread_adds(data):
    import threading

    base, queries = data
    index = vicino.Index(32, metric="l2")
    index.add(base[:500])
    errors = []

    def add_rest():
        try:
            for start in range(500, 4000, 500):
                index.add(base[start : start + 500], threads=1)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    adder = threading.Thread(target=add_rest)
    adder.start()
    while adder.is_alive():
        keys, _ = index.search(queries[:20], k=5, threads=1)
        assert np.all(keys < 4000)
    adder.join()
    assert not errors and len(index) == 4000


def test_float32_input_is_read_in_place_and_others_are_copied_once(built):
    import tracemalloc

    # numpy reports its allocations to tracemalloc; the engine's (Rust) are not seen.
    queries = clustered(8000, 32, seed=SEED + 9)  # 1 MB of float32
    as_f64 = queries.astype(np.float64)

    def numpy_peak(call):
        tracemalloc.start()
        try:
            call()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    in_place = numpy_peak(lambda: built.search(queries, k=1, ef=10))
    converted = numpy_peak(lambda: built.search(as_f64, k=1, ef=10))
    assert in_place < queries.nbytes // 4
    assert converted >= queries.nbytes  # the float32 copy: the measure does see copies


@pytest.mark.parametrize("metric", ["l2", "cosine", "ip"])
def test_a_quantized_index_keeps_recall_and_exact_distances(data, metric):
    base, queries = data
    full = vicino.Index(32, metric=metric, seed=SEED)
    full.add(base)
    coded = vicino.Index(32, metric=metric, seed=SEED, quantize="sq8")
    coded.add(base)
    assert coded.quantize == "sq8" and full.quantize == "none"
    assert "quantize='sq8'" in repr(coded) or 'quantize="sq8"' in repr(coded)
    truth, truth_distances = coded.exact_search(queries, k=10)
    found, distances = coded.search(queries, k=10, ef=64)
    full_found, _ = full.search(queries, k=10, ef=64)
    got, baseline = recall(found, truth), recall(full_found, truth)
    print(f"{metric}: sq8 recall@10 at ef 64 = {got:.4f}, f32 {baseline:.4f}")
    assert got >= baseline - 0.01 and got >= 0.95
    # Re-ranked distances are the float vectors' own: the exact search's where the keys agree.
    same = found[:, 0] == truth[:, 0]
    np.testing.assert_allclose(distances[same, 0], truth_distances[same, 0], rtol=1e-5, atol=1e-6)
    one, _ = coded.search(queries, k=10, ef=64, rerank=1)
    assert one.shape == (200, 10)
    assert coded.memory_bytes > full.memory_bytes


def test_a_bad_quantize_mode_is_refused():
    with pytest.raises(vicino.Error, match="sq8"):
        vicino.Index(8, quantize="pq")
    with pytest.raises(vicino.Error, match="rerank"):
        vicino.Index(8).search(np.ones(8, dtype=np.float32), rerank=-1)


def test_exact_build_and_the_default_build_on_codes_reach_the_same_recall():
    # Batches from 4,096 rows on are built on codes.
    rows = clustered(6200, 32)
    base, queries = rows[:6000], rows[6000:]
    truth = None
    got = {}
    for exact in (True, False):
        index = vicino.Index(32, metric="l2", seed=SEED, exact_build=exact)
        index.add(base, threads=1)
        if truth is None:
            truth, _ = index.exact_search(queries, k=10)
        found, _ = index.search(queries, k=10, ef=64)
        got[exact] = (recall(found, truth), found)
    print(f"recall@10 at ef 64: exact build {got[True][0]:.4f}, on codes {got[False][0]:.4f}")
    assert got[False][0] >= got[True][0] - 0.005 and got[False][0] >= 0.95
    # The codes only find the candidates (links are chosen on the floats), so the graphs can
    # match; with a narrow beam the codes find other candidates, and some answers differ.
    narrow = {}
    for exact in (True, False):
        index = vicino.Index(32, metric="l2", ef_construction=16, seed=SEED, exact_build=exact)
        index.add(base, threads=1)
        narrow[exact], _ = index.search(queries, k=10, ef=64)
    assert not np.array_equal(narrow[True], narrow[False])
