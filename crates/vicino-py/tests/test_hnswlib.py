"""vicino.hnswlib: hnswlib's README examples run unchanged, and the API behaves as hnswlib's."""

import pickle
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import vicino
import vicino.hnswlib as hnswlib

from conftest import SEED, clustered, recall

EXAMPLES = Path(__file__).resolve().parent / "hnswlib_examples"


def run_example(name, monkeypatch, tmp_path):
    """Runs one of hnswlib's README examples as written, its `import hnswlib` given ours."""
    monkeypatch.setitem(sys.modules, "hnswlib", hnswlib)
    monkeypatch.chdir(tmp_path)
    np.random.seed(SEED)  # the examples draw unseeded data
    return runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_readme_example_with_pickling(monkeypatch, tmp_path, capsys):
    ns = run_example("readme_pickle.py", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    assert "Parameters passed to constructor:  space=l2, dim=128" in out
    assert "Index construction: M=16, ef_construction=200" in out
    assert "Index size is 10000 and index capacity is 10000" in out
    assert "Search speed/quality trade-off parameter: ef=50" in out
    labels, distances, data = ns["labels"], ns["distances"], ns["data"]
    assert labels.shape == distances.shape == (10000, 1)
    assert labels.dtype == np.uint64 and distances.dtype == np.float32
    # Each vector's nearest neighbour is itself, at squared distance 0.
    self_recall = np.mean(labels[:, 0] == np.arange(10000))
    print(f"self recall@1 at ef 50: {self_recall:.4f} (seed {SEED})")
    # hnswlib 0.8 itself finds 0.992-0.994 on this data (seeds 0-3), and so does vicino.
    assert self_recall >= 0.985
    assert np.all(distances[labels[:, 0] == np.arange(10000)] == 0)
    copy_labels, copy_distances = ns["p_copy"].knn_query(data[:500], k=1)
    np.testing.assert_array_equal(copy_labels, labels[:500])
    np.testing.assert_array_equal(copy_distances, distances[:500])


def test_readme_example_with_updates_after_loading(monkeypatch, tmp_path, capsys):
    ns = run_example("readme_updates.py", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    recalls = [float(line.split(":")[1]) for line in out.splitlines() if line.startswith("Recall")]
    print(out)
    # ef = 10 on 16-d uniform data: hnswlib itself reports about 0.97-0.99 here.
    assert len(recalls) == 2 and min(recalls) >= 0.95
    p = ns["p"]
    assert (p.element_count, p.max_elements, p.get_current_count()) == (10000, 10000, 10000)


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_distances_are_hnswlibs(space):
    rng = np.random.default_rng(SEED)
    data = rng.random((300, 12), dtype=np.float32)
    q = rng.random(12, dtype=np.float32)
    p = hnswlib.Index(space=space, dim=12)
    p.init_index(max_elements=300)
    p.add_items(data)
    p.set_ef(300)
    labels, distances = p.knn_query(q, k=5)
    assert labels.shape == (1, 5)
    expected = {
        "l2": ((data - q) ** 2).sum(axis=1),
        "ip": 1 - data @ q,
        "cosine": 1 - (data @ q) / (np.linalg.norm(data, axis=1) * np.linalg.norm(q)),
    }[space]
    np.testing.assert_array_equal(labels[0], np.argsort(expected, kind="stable")[:5])
    np.testing.assert_allclose(distances[0], expected[labels[0].astype(int)], rtol=1e-4, atol=1e-4)


def test_recall_on_clustered_data():
    data = clustered(3000, 24, seed=SEED + 5)
    base, queries = data[:2800], data[2800:]
    p = hnswlib.Index(space="cosine", dim=24)
    p.init_index(max_elements=2800, M=16, ef_construction=200, random_seed=1)
    p.add_items(base, np.arange(2800) + 10)
    p.set_ef(64)
    labels, _ = p.knn_query(queries, k=10)
    exact = vicino.Index(24, metric="cosine")
    exact.add(base, keys=np.arange(2800) + 10)
    truth, _ = exact.exact_search(queries, k=10)
    assert recall(labels, truth) >= 0.95


def test_limits_and_counts():
    p = hnswlib.Index("l2", 4)
    assert (p.space, p.dim, p.M, p.ef_construction, p.max_elements, p.element_count) == (
        "l2",
        4,
        0,
        0,
        0,
        0,
    )
    assert p.ef == 10 and repr(p) == "<vicino.hnswlib.Index(space='l2', dim=4)>"
    with pytest.raises(RuntimeError, match="not initiated"):
        p.add_items(np.ones((1, 4)))
    p.init_index(max_elements=3, M=8, ef_construction=50)
    with pytest.raises(RuntimeError, match="already initiated"):
        p.init_index(max_elements=3)
    p.add_items(np.eye(4)[:2])
    with pytest.raises(RuntimeError, match="^The number of elements exceeds the specified limit$"):
        p.add_items(np.eye(4)[2:])
    assert p.get_current_count() == 2
    p.resize_index(10)
    p.add_items(np.eye(4)[2:])
    assert (p.get_current_count(), p.get_max_elements(), p.M, p.ef_construction) == (4, 10, 8, 50)
    assert sorted(p.get_ids_list()) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="Cannot resize"):
        p.resize_index(3)
    with pytest.raises(RuntimeError, match="^Cannot return the results in a contiguous 2D array"):
        p.knn_query(np.ones(4), k=5)
    p.ef = 20
    assert p.ef == 20
    p.num_threads = 2
    p.set_num_threads(3)
    assert p.num_threads == 3
    assert p.index_file_size() > 0


def test_errors_are_runtime_errors_with_vicinos_message(tmp_path):
    p = hnswlib.Index("cosine", 4)
    p.init_index(max_elements=10)
    with pytest.raises(RuntimeError, match="^wrong vector dimension: expected 4, got 3$") as e:
        p.add_items(np.ones((2, 3)))
    assert isinstance(e.value, vicino.Error)
    with pytest.raises(RuntimeError, match="all zeros"):
        p.add_items(np.zeros(4))
    assert p.get_current_count() == 0  # the failed adds gave their labels back
    p.add_items(np.ones(4), ids=7)
    with pytest.raises(NotImplementedError, match="adding label 7 again"):
        p.add_items(np.ones(4) * 2, ids=[7])
    with pytest.raises(NotImplementedError, match="adding label 9 again"):
        p.add_items(np.ones((2, 4)), ids=[9, 9])
    with pytest.raises(RuntimeError) as e:
        p.load_index(tmp_path / "missing.bin")
    assert isinstance(e.value, FileNotFoundError) and e.value.errno == 2
    with pytest.raises(RuntimeError, match="Space name must be one of l2, ip, or cosine."):
        hnswlib.Index("hamming", 4)


def test_what_is_not_there_yet_says_so():
    p = hnswlib.Index("l2", 4)
    p.init_index(max_elements=10)
    p.add_items(np.eye(4))
    for call, name in [
        (lambda: p.mark_deleted(0), "mark_deleted"),
        (lambda: p.unmark_deleted(0), "unmark_deleted"),
        (lambda: p.get_items([0]), "get_items"),
        (lambda: p.knn_query(np.ones(4), filter=lambda label: True), "filter"),
        (lambda: p.add_items(np.ones(4), replace_deleted=True), "replace_deleted"),
        (lambda: hnswlib.BFIndex("l2", 4), "BFIndex"),
    ]:
        with pytest.raises(NotImplementedError, match=name):
            call()


def test_save_load_and_pickle_keep_the_answers(tmp_path):
    data = clustered(1000, 8, seed=SEED + 6)
    p = hnswlib.Index("l2", 8)
    p.init_index(max_elements=1000)
    p.add_items(data)
    p.set_ef(40)
    expected = p.knn_query(data[:50], k=5)
    p.save_index(str(tmp_path / "index.bin"))
    q = hnswlib.Index("l2", 8)
    q.load_index(str(tmp_path / "index.bin"))
    q.set_ef(40)
    assert (q.element_count, q.max_elements) == (1000, 1000)
    with pytest.raises(RuntimeError, match="exceeds"):
        q.add_items(data[0] + 1)
    for other in (q, pickle.loads(pickle.dumps(p))):
        got = other.knn_query(data[:50], k=5)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    # An index that is not initialised pickles too.
    empty = pickle.loads(pickle.dumps(hnswlib.Index("ip", 3)))
    assert (empty.space, empty.dim, empty.element_count) == ("ip", 3, 0)
    # Loading as another space is refused rather than answered in the wrong one.
    with pytest.raises(NotImplementedError, match="space 'l2' as space 'cosine'"):
        hnswlib.Index("cosine", 8).load_index(str(tmp_path / "index.bin"))
