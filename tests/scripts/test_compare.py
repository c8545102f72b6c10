#!/usr/bin/env python3
"""Checks of scripts/compare.py on a tiny data set (1,000 rows), end to end.

    python3 tests/scripts/test_compare.py

CI does not need numpy, hnswlib or faiss: a check whose packages (or the vicinity binary) are
missing is skipped and says why. The binary is $VICINITY_BIN, else target/release/vicinity, else
target/debug/vicinity (what `cargo test` builds). Prints one line per check and ends with
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
    return importlib.util.find_spec(module) is not None


def binary() -> Path | None:
    candidates = [os.environ.get("VICINITY_BIN"), ROOT / "target/release/vicinity",
                  ROOT / "target/debug/vicinity"]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    return None


def check(name: str, needs: list, body) -> None:
    missing = [n for n in needs if n != "vicinity" and not has(n)]
    if "vicinity" in needs and binary() is None:
        missing.append("the vicinity binary")
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


def unknown_library_is_refused():
    p = run(["--libraries", "hnswlib,annoy"])
    assert p.returncode == 2 and "unknown library 'annoy'" in p.stderr, p.stderr


def one_run_writes_bench_lines_and_a_chart(libraries: list):
    def body():
        with tempfile.TemporaryDirectory() as out:
            p = run(["--dataset", "synth-l2-128", "--rows", 1000, "--queries", 30, "--runs", 1,
                     "--ef", "10,40", "--threads-build", 1, "--libraries",
                     ",".join(libraries), "--out", out, "--vicinity", binary()])
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
                assert row["ef"] == 40 and row["recall"] >= 0.8, f"recall at ef 40: {row}"
            chart = files[0].with_suffix(".png")
            assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the chart is a PNG"
    return body


def main() -> int:
    check("a missing library names its pip line", ["numpy"], missing_library_names_the_pip_line)
    check("an unknown library is refused", ["numpy"], unknown_library_is_refused)
    for peer in ("hnswlib", "faiss"):
        check(f"one run of {peer} and vicinity: bench-schema lines and a PNG chart",
              ["numpy", peer, "vicinity"],
              one_run_writes_bench_lines_and_a_chart([peer, "vicinity"]))
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
