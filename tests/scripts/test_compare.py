#!/usr/bin/env python3
"""Checks of scripts/compare.py on tiny data sets (1,000 synthetic rows; ANN-benchmarks .hdf5
files of 3,000 x 32 that the checks write with h5py), end to end, for vicino and each peer
(hnswlib, faiss, usearch, glass, ScaNN): bench-schema lines, and a recall floor at the sweep's
last setting for every library.

    python3 tests/scripts/test_compare.py

vicino runs in-process from its package (`pip install ./crates/vicino-py`); its binary draws
the chart. A check whose packages (numpy, hnswlib, faiss, usearch, glass, scann, h5py, vicino) or
the vicino binary are missing is skipped and says why, unless VICINO_REQUIRE_ALL=1 (set by scripts/test.sh, which installs them into a virtual
environment first, and so by CI): then a missing package fails the check, so a run that tested
nothing cannot pass. The binary is $VICINO_BIN, else target/release/vicino, else
target/debug/vicino (what `cargo test` builds). Prints one line per check and ends with
"N passed, M failed, K skipped"; exits non-zero if any failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "compare.py"
BENCH_KEYS = ["library", "dataset", "metric", "m", "ef_construction", "ef", "k", "recall", "qps",
              "build_s", "index_bytes", "bytes_per_vector", "rows", "dim", "queries"]

counts = {"passed": 0, "failed": 0, "skipped": 0}


def has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent is missing
        return False


# Each peer's import name (scripts/peers.py), as `check` looks it up.
MODULES = {"hnswlib": "hnswlib", "faiss": "faiss", "usearch": "usearch", "glass": "glass",
           "scann": "scann"}
PEERS = list(MODULES)
# ScaNN sweeps (leaves to search, reorder) pairs, not --ef: two of them, so that every library
# gives one line per step of a two-step sweep; the second searches most leaves.
SCANN_ARGS = ["--scann-args", "4:50,16:300"]


def binary() -> Path | None:
    candidates = [os.environ.get("VICINO_BIN"), ROOT / "target/release/vicino",
                  ROOT / "target/debug/vicino"]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    return None


def check(name: str, needs: list, body) -> None:
    missing = [n for n in needs if not has(n)]
    if "vicino" in needs and binary() is None:
        missing.append("the vicino binary (it draws the chart)")
    if missing and os.environ.get("VICINO_REQUIRE_ALL") == "1":
        counts["failed"] += 1
        print(f"FAIL {name}: VICINO_REQUIRE_ALL=1 and no {', '.join(missing)}")
        return
    if missing:
        counts["skipped"] += 1
        print(f"skip {name} (no {', '.join(missing)})")
        return
    try:
        body()
    except AssertionError as e:
        counts["failed"] += 1
        print(f"FAIL {name}: {e}")
        return
    counts["passed"] += 1
    print(f"ok   {name}")


def run(args: list, hide: tuple = (), env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs compare.py with `args`; the modules in `hide` fail to import, as if not installed."""
    prelude = "import runpy, sys\n"
    prelude += "".join(f"sys.modules[{m!r}] = None\n" for m in hide)
    prelude += f"sys.argv = [{str(SCRIPT)!r}] + sys.argv[1:]\n"
    prelude += f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    return subprocess.run([sys.executable, "-c", prelude, *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=600)


def missing_library_names_the_pip_line():
    p = run(["--libraries", "hnswlib,faiss"], hide=("faiss",))
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert "pip install faiss-cpu" in p.stderr, p.stderr
    assert "pip install -r" in p.stderr, p.stderr
    if has("hnswlib"):
        assert "or leave it out:  --libraries hnswlib" in p.stderr, p.stderr


def missing_default_peer_is_skipped_with_a_note():
    hide = ("usearch", "usearch.index", "glass", "scann", "faiss")
    with tempfile.TemporaryDirectory() as out:
        p = run(["--dataset", "synth-l2-128", "--rows", 500, "--queries", 10, "--runs", 1,
                 "--ef", "20", "--threads-build", 1, "--chart", "none", "--vicino", binary(),
                 "--out", out], hide=hide, env={"VICINO_REQUIRE_ALL": "0"})
        assert p.returncode == 0, f"exit {p.returncode}: {p.stderr[-2000:]}"
        for lib, package in (("usearch", "usearch"), ("glass", "pyglass-portable"),
                             ("scann", "scann"), ("faiss", "faiss-cpu")):
            assert f"note: {lib} is not installed" in p.stderr, p.stderr[-3000:]
            assert f"pip install {package}" in p.stderr, p.stderr[-3000:]
        rows = [json.loads(line) for f in Path(out).glob("synth-l2-128-*.jsonl")
                for line in f.read_text().splitlines()]
        assert [r["library"] for r in rows] == ["hnswlib", "vicino", "vicino-sq8"], rows
        p = run(["--dataset", "synth-l2-128", "--rows", 500, "--queries", 10, "--runs", 1,
                 "--ef", "20", "--threads-build", 1, "--chart", "none", "--vicino", binary(),
                 "--out", out], hide=hide, env={"VICINO_REQUIRE_ALL": "1"})
        assert p.returncode == 1 and "pip install scann" in p.stderr, \
            f"VICINO_REQUIRE_ALL=1 stops the run: {p.stderr[-2000:]}"
    p = run(["--libraries", "hnswlib", "--dataset", "synth-l2-128"], hide=("hnswlib",),
            env={"VICINO_REQUIRE_ALL": "0"})
    assert p.returncode == 1 and "pip install hnswlib" in p.stderr, "named: not skipped"


def unknown_library_is_refused():
    p = run(["--libraries", "hnswlib,annoy"])
    assert p.returncode == 2 and "unknown library 'annoy'" in p.stderr, p.stderr


def one_run_writes_bench_lines_and_a_chart(libraries: list):
    def body():
        with tempfile.TemporaryDirectory() as out:
            p = run(["--dataset", "synth-l2-128", "--rows", 1000, "--queries", 30, "--runs", 1,
                     "--ef", "10,40", "--threads-build", 1, "--libraries",
                     ",".join(libraries), "--out", out, "--vicino", binary(), *SCANN_ARGS])
            assert p.returncode == 0, f"exit {p.returncode}: {p.stderr[-2000:]}"
            files = sorted(Path(out).glob("synth-l2-128-*.jsonl"))
            assert len(files) == 1, f"one JSON lines file per run: {files}"
            rows = [json.loads(line) for line in files[0].read_text().splitlines()]
            assert len(rows) == 2 * len(libraries), f"{len(rows)} lines"
            for row in rows:
                assert list(row)[: len(BENCH_KEYS)] == BENCH_KEYS, list(row)
                assert (row["rows"], row["dim"], row["queries"], row["k"]) == (1000, 128, 30, 10)
                assert row["qps"] > 0 and 0 <= row["recall"] <= 1, row
            assert [r["library"] for r in rows[::2]] == libraries, rows
            for row in rows[1::2]:
                want = 16 if row["library"] == "scann" else 40  # ScaNN: leaves searched
                assert row["ef"] == want and row["recall"] >= 0.8, f"recall at ef 40: {row}"
            for row in rows:
                if row["library"] == "scann":
                    assert (row["ef"], row["reorder"]) in ((4, 50), (16, 300)), row
                assert row["config"], f"the index's settings are recorded: {row}"
            chart = files[0].with_suffix(".png")
            assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the chart is a PNG"
    return body


def write_ann_file(path: Path, distance: str, rows: int = 3000, queries: int = 100,
                   dim: int = 32, drop: tuple = ()) -> None:
    """An ANN-benchmarks-style file: clustered float32 train/test, the exact top-100 of each test
    row as neighbors (numpy, float64), and the distance attribute; `drop` leaves datasets out."""
    import h5py
    import numpy as np

    rng = np.random.default_rng(7)
    centres = 3.0 * rng.standard_normal((20, dim))
    x = centres[rng.integers(0, 20, rows + queries)] + rng.standard_normal((rows + queries, dim))
    x = x.astype(np.float32)
    train, test = x[:rows].astype(np.float64), x[rows:].astype(np.float64)
    if distance == "angular":
        train /= np.linalg.norm(train, axis=1, keepdims=True)
        test /= np.linalg.norm(test, axis=1, keepdims=True)
        dist = -test @ train.T
    else:
        dist = (test**2).sum(1)[:, None] - 2.0 * test @ train.T + (train**2).sum(1)[None, :]
    neighbors = np.argsort(dist, axis=1, kind="stable")[:, :100].astype(np.int32)
    with h5py.File(path, "w") as f:
        f.attrs["distance"] = distance
        for name, data in (("train", x[:rows]), ("test", x[rows:]), ("neighbors", neighbors)):
            if name not in drop:
                f.create_dataset(name, data=data)


def hdf5_file_runs_end_to_end(distance: str, metric: str):
    def body():
        with tempfile.TemporaryDirectory() as tmp:
            stem = f"tiny-32-{distance}"
            write_ann_file(Path(tmp) / f"{stem}.hdf5", distance)
            out = Path(tmp) / "out"
            libraries = PEERS + ["vicino", "vicino-sq8"]
            p = run(["--dataset", Path(tmp) / f"{stem}.hdf5", "--runs", 1, "--ef", "10,64",
                     "--threads-build", 1, "--libraries", ",".join(libraries), "--out", out,
                     "--vicino", binary(), *SCANN_ARGS])
            assert p.returncode == 0, f"exit {p.returncode}: {p.stderr[-2000:]}"
            files = sorted(out.glob(f"{stem}-*.jsonl"))
            assert len(files) == 1, f"one JSON lines file named for the file's stem: {files}"
            rows = [json.loads(line) for line in files[0].read_text().splitlines()]
            assert len(rows) == 2 * len(libraries), f"{len(rows)} lines"
            for row in rows:
                assert list(row)[: len(BENCH_KEYS)] == BENCH_KEYS, list(row)
                assert (row["dataset"], row["metric"]) == (stem, metric), row
                assert (row["rows"], row["dim"], row["queries"]) == (3000, 32, 100), row
                assert row["ground_truth"] == "file", f"the file's neighbors are used: {row}"
            assert sorted({r["library"] for r in rows}) == sorted(libraries), rows
            for lib in libraries:
                last = [r for r in rows if r["library"] == lib][-1]
                assert last["recall"] >= 0.9, f"recall at the last setting (ef 64): {last}"
            assert "| scann leaves to search / reorder |" in p.stdout, p.stdout[-3000:]
            for lib in libraries:
                assert f" {lib} |" in p.stdout.split("| headline |")[1].splitlines()[0], lib
            assert files[0].with_suffix(".png").read_bytes()[:4] == b"\x89PNG", "a PNG chart"
    return body


def cutting_train_recomputes_the_ground_truth():
    with tempfile.TemporaryDirectory() as tmp:
        write_ann_file(Path(tmp) / "cut-l2.hdf5", "euclidean")
        out = Path(tmp) / "out"
        p = run(["--dataset", "cut-l2", "--data-dir", tmp, "--rows", 2000, "--queries", 40,
                 "--runs", 1, "--ef", "64", "--threads-build", 1, "--libraries", "hnswlib",
                 "--gt-source", "numpy", "--chart", "none", "--out", out])
        assert p.returncode == 0, f"exit {p.returncode}: {p.stderr[-2000:]}"
        assert "computing the ground truth (train is cut" in p.stderr, p.stderr
        (row,) = [json.loads(line) for f in out.glob("cut-l2-*.jsonl")
                  for line in f.read_text().splitlines()]
        assert (row["rows"], row["queries"], row["ground_truth"]) == (2000, 40, "numpy"), row
        assert row["recall"] >= 0.9, row


def missing_dataset_names_the_fetch_command():
    with tempfile.TemporaryDirectory() as tmp:
        p = run(["--dataset", "glove-100-angular", "--data-dir", tmp, "--libraries", "hnswlib"])
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert len(p.stderr.strip().splitlines()) == 1, f"one line: {p.stderr}"
    assert "fetch_dataset.sh glove-100-angular" in p.stderr and "bash " in p.stderr, p.stderr
    assert "glove-100-angular.hdf5" in p.stderr, p.stderr


def malformed_file_is_refused_in_one_line():
    with tempfile.TemporaryDirectory() as tmp:
        for drop in ("train", "test"):
            path = Path(tmp) / f"no-{drop}.hdf5"
            write_ann_file(path, "euclidean", rows=200, queries=10, dim=8, drop=(drop,))
            p = run(["--dataset", path, "--libraries", "hnswlib"])
            assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
            assert len(p.stderr.strip().splitlines()) == 1, f"one line: {p.stderr}"
            assert f"no '{drop}' dataset" in p.stderr, p.stderr
        import h5py

        path = Path(tmp) / "flat.hdf5"
        with h5py.File(path, "w") as f:
            f.attrs["distance"] = "euclidean"
            f.create_dataset("train", data=[1.0, 2.0, 3.0])
            f.create_dataset("test", data=[[1.0]])
        p = run(["--dataset", path, "--libraries", "hnswlib"])
        assert p.returncode == 1 and "'train' has shape (3,), expected 2-D" in p.stderr, p.stderr


def reading_hdf5_without_h5py_names_the_pip_line():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "any.hdf5"
        path.write_bytes(b"")
        p = run(["--dataset", path, "--libraries", "hnswlib"], hide=("h5py",))
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert "pip install h5py" in p.stderr and "pip install -r" in p.stderr, p.stderr


def qps_is_interpolated_on_the_pareto_front():
    sys.path.insert(0, str(SCRIPT.parent))
    import compare
    ef = {16: {"recall": 0.80, "qps": 8000.0}, 32: {"recall": 0.90, "qps": 4000.0},
          48: {"recall": 0.89, "qps": 3000.0},  # dominated by ef 32: not on the front
          64: {"recall": 1.00, "qps": 1000.0}}
    front = compare.pareto_front([(r["recall"], r["qps"]) for r in ef.values()])
    assert front == [(0.80, 8000.0), (0.90, 4000.0), (1.00, 1000.0)], front
    # Log-linear between 4000 at 0.90 and 1000 at 1.00: 2000 at 0.95.
    got = compare.interpolated_qps(ef, 0.95)
    assert abs(got - 2000.0) < 1e-6, got
    assert compare.interpolated_qps(ef, 0.90) == 4000.0
    assert compare.interpolated_qps(ef, 0.50) == 8000.0  # below the front: its fastest point
    assert compare.interpolated_qps({16: {"recall": 0.8, "qps": 10.0}}, 0.9) is None


def main() -> int:
    check("QPS at a recall is interpolated on the Pareto front", ["numpy"],
          qps_is_interpolated_on_the_pareto_front)
    check("a missing library names its pip line", ["numpy"], missing_library_names_the_pip_line)
    check("an unknown library is refused", ["numpy"], unknown_library_is_refused)
    check("a peer missing from the default list is skipped with a note; a named one stops",
          ["numpy", "hnswlib", "vicino"], missing_default_peer_is_skipped_with_a_note)
    for peer in PEERS:
        check(f"one run of {peer} and vicino: bench-schema lines, recall >= 0.8, a PNG chart",
              ["numpy", MODULES[peer], "vicino"],
              one_run_writes_bench_lines_and_a_chart([peer, "vicino"]))
    for distance, metric in (("euclidean", "l2"), ("angular", "cosine")):
        check(f"an ANN-benchmarks {distance} .hdf5 file, all seven libraries: stem, metric, "
              "the file's ground truth, recall >= 0.9, chart",
              ["numpy", "h5py", *MODULES.values(), "vicino"],
              hdf5_file_runs_end_to_end(distance, metric))
    check("--rows cuts a file's train and the ground truth is recomputed",
          ["numpy", "h5py", "hnswlib"], cutting_train_recomputes_the_ground_truth)
    check("a dataset name without its file names the fetch command", ["numpy"],
          missing_dataset_names_the_fetch_command)
    check("a file without train or test, or of a wrong shape, is refused in one line",
          ["numpy", "h5py"], malformed_file_is_refused_in_one_line)
    check("reading .hdf5 without h5py names the pip line", ["numpy"],
          reading_hdf5_without_h5py_names_the_pip_line)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
