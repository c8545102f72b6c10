#!/usr/bin/env bash
# Every test of the project, as the README's second command and CI run it:
#
#   bash scripts/test.sh
#
# 1. `cargo test --workspace`: the engine, the bench/io crate and the command line (unit,
#    integration and doc tests).
# 2. The script tests: scripts/make_real_set.py on a small .npy, and scripts/fetch_dataset.sh
#    offline. Their Python packages (scripts/requirements.txt) are installed from PyPI into a
#    virtual environment, $VICINO_VENV (default target/venv), made once and reused.
# 3. The Python package: `pip install ./crates/vicino-py` (the wheel, built by maturin, which pip
#    fetches) into a virtual environment made afresh on every run ($VICINO_WHEEL_VENV, default
#    target/venv-wheel), as a user installs it, with the peers of scripts/requirements.txt;
#    then scripts/compare.py end to end (vicino in-process from the wheel against hnswlib,
#    faiss, usearch, glass and ScaNN) and the package's pytest suite (crates/vicino-py/tests).
#    VICINO_REQUIRE_ALL=1 makes a missing package a failure, not a skip. The wheel is a release
#    build: about 4 minutes the first time on 2 cores, about 1 minute after that (cargo keeps
#    the compiled crates in the target folder).
#
# Needs only the Rust toolchain, python3 with pip (and venv), and access to crates.io and PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${CARGO_TARGET_DIR:-target}"

echo "== cargo test --workspace"
cargo test --workspace --locked

venv="${VICINO_VENV:-$target/venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "== python virtual environment in $venv"
    python3 -m venv "$venv"
fi
echo "== pip install -r scripts/requirements.txt"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt

echo "== scripts/make_real_set.py checks (a small .npy made on the spot)"
"$venv/bin/python" tests/scripts/test_make_real_set.py

echo "== scripts/fetch_dataset.sh checks (offline, fake downloader)"
bash tests/scripts/test_fetch_dataset.sh

wheel_venv="${VICINO_WHEEL_VENV:-$target/venv-wheel}"
echo "== the Python package: pip install ./crates/vicino-py into a fresh $wheel_venv"
rm -rf "$wheel_venv"
python3 -m venv "$wheel_venv"
"$wheel_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    ./crates/vicino-py -r crates/vicino-py/requirements-test.txt -r scripts/requirements.txt

# compare.py runs vicino in-process from the wheel, beside the peers; the binary `cargo test`
# just built (the test profile is optimised) draws the charts.
echo "== scripts/compare.py checks"
VICINO_REQUIRE_ALL=1 VICINO_BIN="$target/debug/vicino" "$wheel_venv/bin/python" tests/scripts/test_compare.py

echo "== the Python package's tests (pytest crates/vicino-py/tests, on the installed wheel)"
"$wheel_venv/bin/python" -m pytest -q crates/vicino-py/tests
