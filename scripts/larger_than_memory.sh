#!/usr/bin/env bash
# Serve an index file larger than the memory the process may use: search it mapped inside a
# memory cgroup whose limit is well below the file size, and compare recall and QPS with the
# same index mapped without a limit (cold, then warm page cache) and loaded into RAM.
#
#   sudo bash scripts/larger_than_memory.sh [--rows 600000] [--dim 128] [--limit-mib 160] [--dir DIR]
#                                           [--threads N] [--build-under-limit] [--no-serve]
#
# --build-under-limit also builds the index three ways, each timed and searched (loaded) for its
# recall: in RAM, --on-disk without a limit, and --on-disk inside the cgroup (input mapped,
# vectors in a scratch file, distances on 8-bit codes in RAM). --no-serve skips the searches of
# the served index (the first part).
#
# Needs root and a cgroup memory controller (v1 or v2); builds the release binary first.
set -euo pipefail

rows=600000 dim=128 limit_mib=160 dir="${VICINO_BENCH_OUT:-}" queries=1000 ef=64 build_limited=0
serve=1 threads=2
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows="$2"; shift 2 ;;
        --dim) dim="$2"; shift 2 ;;
        --limit-mib) limit_mib="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --ef) ef="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --build-under-limit) build_limited=1; shift ;;
        --no-serve) serve=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir="${dir:-results/larger-than-memory}"
mkdir -p "$dir"
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/vicino"

base="$dir/base-$rows-$dim.fvecs" q="$dir/queries-$dim.fvecs" gt="$dir/gt-$rows-$dim.ivecs" idx="$dir/index-$rows-$dim.vcn"
[ -f "$base" ] || "$bin" generate --rows "$rows" --dim "$dim" --clusters 100 --seed 5 --output "$base" \
    --queries "$queries" --queries-output "$q" >&2
[ -f "$gt" ] || "$bin" groundtruth --base "$base" --queries "$q" --metric l2 --k 10 --output "$gt" >&2
if [ "$serve" = 1 ]; then
    [ -f "$idx" ] || "$bin" build --input "$base" --metric l2 --output "$idx" >&2
    echo "index file: $(stat -c %s "$idx") bytes; cgroup limit: $((limit_mib << 20)) bytes" >&2
fi
echo "input file: $(stat -L -c %s "$base") bytes" >&2

# A memory cgroup with the limit (v2 if mounted, else v1).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg=/sys/fs/cgroup/vicino-ltm; mkdir -p "$cg"; echo $((limit_mib << 20)) > "$cg/memory.max"
    echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
else
    cg=/sys/fs/cgroup/memory/vicino-ltm; mkdir -p "$cg"; echo $((limit_mib << 20)) > "$cg/memory.limit_in_bytes"
fi
limited() { bash -c 'echo $$ > "$0"/cgroup.procs && exec "$@"' "$cg" "$@"; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
search=("$bin" search --index "$idx" --queries "$q" --k 10 --ef "$ef" --gt "$gt")

if [ "$serve" = 1 ]; then
    drop_caches
    echo "mapped, ${limit_mib} MiB cgroup, cold:  $(limited "${search[@]}")"
    echo "mapped, ${limit_mib} MiB cgroup, again: $(limited "${search[@]}")"
    drop_caches
    echo "mapped, no limit, cold:  $("${search[@]}")"
    echo "mapped, no limit, warm:  $("${search[@]}")"
    echo "loaded into RAM:         $("${search[@]}" --load)"
fi
if [ "$build_limited" = 1 ]; then
    # name, then the command that builds into "$dir/built-<name>.vcn"
    built() {
        local name="$1" out="$dir/built-$1.vcn"; shift
        drop_caches
        echo "build $name: $("$@" --output "$out")"
        echo "  its index, loaded: $("$bin" search --index "$out" --queries "$q" --k 10 --ef "$ef" --gt "$gt" --load)"
    }
    build=("$bin" build --input "$base" --metric l2 --threads "$threads")
    built in-ram "${build[@]}"
    built on-disk "${build[@]}" --on-disk
    built on-disk-in-cgroup limited "${build[@]}" --on-disk
fi
rmdir "$cg" 2>/dev/null || true
