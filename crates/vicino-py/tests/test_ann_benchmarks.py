"""The ann-benchmarks module: imported as ann-benchmarks imports it (from its algorithms
package, next to a stand-in for its BaseANN), and run on seeded data."""

import importlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import vicino
from conftest import SEED, clustered, recall

FOLDER = Path(__file__).resolve().parents[1] / "ann_benchmarks" / "vicino"

# What the runner uses of ann-benchmarks' BaseANN (ann_benchmarks/algorithms/base/module.py).
BASE_MODULE = '''
class BaseANN:
    def done(self):
        pass

    def get_memory_usage(self):
        return None

    def fit(self, X):
        pass

    def query(self, q, n):
        return []

    def batch_query(self, X, n):
        self.res = [self.query(q, n) for q in X]

    def get_batch_results(self):
        return self.res

    def get_additional(self):
        return {}

    def __str__(self):
        return self.name
'''


@pytest.fixture()
def algorithms(tmp_path, monkeypatch):
    """A package tree like ann-benchmarks': ann_benchmarks/algorithms/{base,vicino}/."""
    root = tmp_path / "ann_benchmarks"
    (root / "algorithms" / "base").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "algorithms" / "__init__.py").write_text("")
    (root / "algorithms" / "base" / "__init__.py").write_text("")
    (root / "algorithms" / "base" / "module.py").write_text(BASE_MODULE)
    shutil.copytree(FOLDER, root / "algorithms" / "vicino")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("ann_benchmarks")]:
        monkeypatch.delitem(sys.modules, name)
    return root / "algorithms" / "vicino"


def test_config_names_the_module_and_its_constructor(algorithms):
    config = yaml.safe_load((algorithms / "config.yml").read_text())
    (definition,) = config["float"]["any"]
    assert definition["module"] == "ann_benchmarks.algorithms.vicino"
    assert definition["docker_tag"] == "ann-benchmarks-vicino"
    assert definition["base_args"] == ["@metric"]
    module = importlib.import_module(definition["module"] + ".module")
    assert hasattr(module, definition["constructor"])
    for group in definition["run_groups"].values():
        for args in group["arg_groups"]:
            assert set(args) == {"M", "efConstruction"}
        assert all(isinstance(ef, int) for ef in group["query_args"][0])


@pytest.mark.parametrize("metric", ["euclidean", "angular"])
def test_fit_query_and_batch_query(algorithms, metric):
    from ann_benchmarks.algorithms.vicino.module import Vicino

    data = clustered(2100, 16, seed=SEED + 8).astype(np.float64)  # ann-benchmarks hands float64 at times
    train, test = data[:2000], data[2000:]
    algo = Vicino(metric, {"M": 16, "efConstruction": 100})
    before = algo.get_memory_usage()
    algo.fit(train)
    assert algo.get_memory_usage() >= before > 0
    assert algo.get_additional()["index_bytes"] > 0
    algo.set_query_arguments(80)
    assert str(algo) == "vicino ({'M': 16, 'efConstruction': 100}, 'efQuery': 80)"

    exact = vicino.Index(16, metric={"euclidean": "l2", "angular": "cosine"}[metric])
    exact.add(train)
    truth, _ = exact.exact_search(test, k=10)

    single = [algo.query(v, 10) for v in test]
    assert all(len(ids) == 10 and len(set(ids.tolist())) == 10 for ids in single)
    assert recall(np.array(single), truth) >= 0.95
    algo.batch_query(test, 10)
    batch = algo.get_batch_results()
    assert len(batch) == 100
    np.testing.assert_array_equal(np.array(batch), np.array(single))
    # Every id is a row of train, usable as X_train[idx] by the runner.
    assert all(0 <= int(i) < 2000 for ids in batch for i in ids)
    algo.freeIndex()


def test_fewer_rows_than_asked_for_gives_no_padding(algorithms):
    from ann_benchmarks.algorithms.vicino.module import Vicino

    algo = Vicino("euclidean", {"M": 8, "efConstruction": 20})
    algo.fit(np.eye(3, dtype=np.float32))
    algo.set_query_arguments(10)
    assert sorted(algo.query(np.ones(3), 5).tolist()) == [0, 1, 2]


def test_other_distances_are_refused(algorithms):
    from ann_benchmarks.algorithms.vicino.module import Vicino

    with pytest.raises(NotImplementedError, match="hamming"):
        Vicino("hamming", {"M": 16, "efConstruction": 100})
