#!/usr/bin/env bash
# Quickstart: build the release binary, make a small clustered data set, compute its exact
# neighbours, build an index and search it at three beam widths, printing one JSON line per step.
#
#   bash scripts/quickstart.sh [DIR]
#
# DIR holds the files (base.fvecs, queries.fvecs, gt.ivecs, index.vicino); by default a fresh
# temporary folder. The data steps take a few seconds on two cores.
set -euo pipefail

dir="${1:-$(mktemp -d)}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release -p vicino-cli
bin="${CARGO_TARGET_DIR:-target}/release/vicino"

"$bin" generate --rows 20000 --dim 64 --clusters 32 --seed 1 \
    --output "$dir/base.fvecs" --queries 200 --queries-output "$dir/queries.fvecs"
"$bin" groundtruth --base "$dir/base.fvecs" --queries "$dir/queries.fvecs" \
    --metric l2 --k 10 --output "$dir/gt.ivecs"
"$bin" build --input "$dir/base.fvecs" --metric l2 --m 16 --ef-construction 200 \
    --output "$dir/index.vicino"
for ef in 16 64 128; do
    "$bin" search --index "$dir/index.vicino" --queries "$dir/queries.fvecs" \
        --k 10 --ef "$ef" --gt "$dir/gt.ivecs"
done
echo "files are in $dir" >&2
