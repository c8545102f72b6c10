#!/usr/bin/env bash
# Fetch public ANN benchmark datasets into the data folder, resumably and verified.
#
#   bash scripts/fetch_dataset.sh [--data-dir DIR] NAME [NAME...]
#   bash scripts/fetch_dataset.sh --list
#
# Data folder: --data-dir DIR, else $VICINO_DATA, else datasets/ at the repository root.
#
# Each download goes to DIR/.partial/NAME.part (curl -C - / wget -c resume it on a rerun), is
# verified (exact size where known, magic bytes, for tarballs the member list and every member's
# vecs header and length), and only then moved into place with mv: DIR/NAME.hdf5 for the
# ANN-Benchmarks files, DIR/NAME/ for the texmex tarballs (unpacked into a temporary folder in
# DIR, then renamed). A dataset already present and verified is skipped. A file that fails
# verification stays in DIR/.partial/ for inspection.
#
# vicino_bench::datasets (and so `VICINO_BENCH_DATASET=NAME cargo bench --bench search`) loads
# sets by name from this layout; crates/vicino-bench/tests/datasets.rs runs this script and
# checks that it does, reading the tables below: keep their shape.
#
# Environment:
#   VICINO_DATA       data folder when --data-dir is not given
#   VICINO_FETCH_CMD  download command used instead of curl/wget, invoked as
#                       `$VICINO_FETCH_CMD URL OUTFILE` (split on spaces). OUTFILE may already
#                       hold a partial download to resume. Its exit status is read as curl's
#                       (6, 7, 28: host unreachable; 0: success). Meant for tests.
#
# Exit status: 0 when every dataset asked for is in place; 1 on the first failure, with one line
# on stderr saying what went wrong; 2 on a usage error.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$script_dir")"
prog="fetch_dataset"

TEXMEX="ftp://ftp.irisa.fr/local/texmex/corpus"
ANN="http://ann-benchmarks.com"

# name|kind|url|size in bytes (- when not known exactly)|approximate size|metric|dims|rows
# Exact sizes: the Content-Length served for the file, as recorded in TensorFlow Datasets'
# checksums.tsv (glove_100_angular, sift1m) and in independent wget/curl logs. The others are
# left to the magic and structure checks rather than pinned to a figure seen only once.
# rows = base vectors + queries.
dataset_table() {
    cat <<EOF
sift-10k|texmex|$TEXMEX/siftsmall.tar.gz|-|~5 MB|l2|128|10000+100
sift-1m|texmex|$TEXMEX/sift.tar.gz|-|~161 MB|l2|128|1000000+10000
glove-25-angular|hdf5|$ANN/glove-25-angular.hdf5|-|~121 MB|cosine|25|1183514+10000
glove-50-angular|hdf5|$ANN/glove-50-angular.hdf5|-|~235 MB|cosine|50|1183514+10000
glove-100-angular|hdf5|$ANN/glove-100-angular.hdf5|485413888|463 MiB|cosine|100|1183514+10000
glove-200-angular|hdf5|$ANN/glove-200-angular.hdf5|-|~918 MB|cosine|200|1183514+10000
sift-128-euclidean|hdf5|$ANN/sift-128-euclidean.hdf5|525128288|501 MiB|l2|128|1000000+10000
fashion-mnist-784-euclidean|hdf5|$ANN/fashion-mnist-784-euclidean.hdf5|-|~217 MB|l2|784|60000+10000
gist-960-euclidean|hdf5|$ANN/gist-960-euclidean.hdf5|-|~3.6 GB|l2|960|1000000+1000
nytimes-256-angular|hdf5|$ANN/nytimes-256-angular.hdf5|-|~301 MB|cosine|256|290000+10000
EOF
}

# Members of each texmex tarball: file|dims|rows (vectors of `dims` 4-byte values, each row
# prefixed by its 4-byte little-endian dimension, as in .fvecs/.ivecs).
texmex_members() {
    case "$1" in
        sift-10k)
            printf '%s\n' \
                "siftsmall_base.fvecs|128|10000" \
                "siftsmall_query.fvecs|128|100" \
                "siftsmall_groundtruth.ivecs|100|100" \
                "siftsmall_learn.fvecs|128|25000"
            ;;
        sift-1m)
            printf '%s\n' \
                "sift_base.fvecs|128|1000000" \
                "sift_query.fvecs|128|10000" \
                "sift_groundtruth.ivecs|100|10000" \
                "sift_learn.fvecs|128|100000"
            ;;
    esac
}

die() {
    echo "$prog: error: $*" >&2
    exit 1
}

usage_error() {
    echo "$prog: $*; run with --help for usage" >&2
    exit 2
}

known_names() {
    dataset_table | cut -d'|' -f1 | paste -sd' ' -
}

# Sets the globals kind, url, size, approx for NAME; returns 1 if unknown.
lookup() {
    local line
    line="$(dataset_table | awk -F'|' -v n="$1" '$1 == n')"
    [[ -n "$line" ]] || return 1
    IFS='|' read -r _ kind url size approx _ <<<"$line"
}

print_list() {
    local fmt='%-28s %-6s %4s %-15s %-8s %-11s %s\n'
    # shellcheck disable=SC2059 # the format is the constant above
    printf "$fmt" NAME METRIC DIMS ROWS SIZE CHECK SOURCE
    local n k u s a m d r check
    while IFS='|' read -r n k u s a m d r; do
        case "$k" in
            hdf5) check="magic" ;;
            texmex) check="tar+vecs" ;;
        esac
        [[ "$s" == "-" ]] || check="bytes+$check"
        # shellcheck disable=SC2059
        printf "$fmt" "$n" "$m" "$d" "$r" "$a" "$check" "$u"
    done < <(dataset_table)
    echo "rows = base + queries; NAME.hdf5 files land in DIR/, texmex tarballs unpack into DIR/NAME/"
}

print_help() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "${BASH_SOURCE[0]}"
}

file_size() {
    wc -c <"$1" | tr -d ' '
}

# The first N bytes of FILE as lower-case hex pairs separated by single spaces.
head_hex() {
    head -c "$2" "$1" | od -An -v -t x1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

# The 4-byte little-endian unsigned integer at offset 0 of FILE (empty if the file is shorter).
le_u32() {
    local -a b
    read -r -a b <<<"$(head -c 4 "$1" | od -An -t x1)"
    ((${#b[@]} == 4)) || return 0
    echo $((16#${b[3]}${b[2]}${b[1]}${b[0]}))
}

HDF5_MAGIC="89 48 44 46 0d 0a 1a 0a"
GZIP_MAGIC="1f 8b"

# Checks a downloaded file before it is put in place. Prints the reason and returns 1 on failure.
verify_download() {
    local file="$1" got
    [[ -s "$file" ]] || { echo "the file is empty"; return 1; }
    if [[ "$size" != "-" ]]; then
        got="$(file_size "$file")"
        if [[ "$got" != "$size" ]]; then
            echo "size is $got bytes, expected $size"
            return 1
        fi
    fi
    case "$kind" in
        hdf5)
            [[ "$(head_hex "$file" 8)" == "$HDF5_MAGIC" ]] ||
                { echo "no HDF5 signature at byte 0"; return 1; }
            ;;
        texmex)
            [[ "$(head_hex "$file" 2)" == "$GZIP_MAGIC" ]] ||
                { echo "not a gzip file"; return 1; }
            local listing member
            listing="$(tar -tzf "$file" 2>/dev/null)" ||
                { echo "tar cannot list it (truncated or damaged archive)"; return 1; }
            while IFS='|' read -r member _; do
                grep -Eq "(^|/)${member//./\\.}\$" <<<"$listing" ||
                    { echo "archive lacks $member"; return 1; }
            done < <(texmex_members "$name")
            ;;
    esac
}

# Checks an unpacked vecs file: header dimension and length. Prints the reason on failure.
verify_vecs() {
    local file="$1" want_dim="$2" want_rows="$3" got_dim got_size want_size
    [[ -f "$file" ]] || { echo "$(basename "$file") is missing"; return 1; }
    got_dim="$(le_u32 "$file")"
    [[ "$got_dim" == "$want_dim" ]] ||
        { echo "$(basename "$file") has dimension '${got_dim}', expected $want_dim"; return 1; }
    got_size="$(file_size "$file")"
    want_size=$((want_rows * (4 + 4 * want_dim)))
    [[ "$got_size" == "$want_size" ]] ||
        { echo "$(basename "$file") is $got_size bytes, expected $want_size ($want_rows rows)"; return 1; }
}

# Is NAME already in place and sound? 0: yes; 1: absent; 2: present but fails (reason printed).
check_installed() {
    local target reason member d r
    case "$kind" in
        hdf5)
            target="$data_dir/$name.hdf5"
            [[ -e "$target" ]] || return 1
            reason="$(verify_download "$target")" || { echo "$reason"; return 2; }
            ;;
        texmex)
            target="$data_dir/$name"
            [[ -e "$target" ]] || return 1
            while IFS='|' read -r member d r; do
                reason="$(verify_vecs "$target/$member" "$d" "$r")" || { echo "$reason"; return 2; }
            done < <(texmex_members "$name")
            ;;
    esac
}

host_of() {
    local rest="${1#*://}"
    rest="${rest%%/*}"
    echo "${rest%%:*}"
}

curl_reason() {
    case "$1" in
        5) echo "could not resolve proxy" ;;
        6) echo "could not resolve host" ;;
        7) echo "could not connect" ;;
        18) echo "transfer ended early" ;;
        22) echo "server answered with an HTTP error" ;;
        28) echo "timed out" ;;
        33) echo "server refused to resume" ;;
        35) echo "TLS handshake failed" ;;
        52) echo "empty reply from server" ;;
        56) echo "connection lost while receiving" ;;
        78) echo "remote file not found" ;;
        *) echo "exit status $1" ;;
    esac
}

# Downloads URL into OUT (resuming OUT if it exists). Returns the downloader's status, mapped to
# curl's numbering.
run_fetch() {
    local url="$1" out="$2" status=0
    if [[ -n "${VICINO_FETCH_CMD:-}" ]]; then
        local -a cmd
        read -r -a cmd <<<"$VICINO_FETCH_CMD"
        "${cmd[@]}" "$url" "$out" || status=$?
    elif command -v curl >/dev/null 2>&1; then
        local progress=(-s)
        [[ -t 2 ]] && progress=(--progress-bar)
        curl -fL --retry 3 -C - --connect-timeout 30 "${progress[@]}" -o "$out" "$url" ||
            status=$?
    elif command -v wget >/dev/null 2>&1; then
        local quiet=(-q)
        [[ -t 2 ]] && quiet=(-q --show-progress)
        wget -c --tries=3 --timeout=30 "${quiet[@]}" -O "$out" "$url" || status=$?
        case "$status" in
            4) status=7 ;;  # wget: network failure
            8) status=22 ;; # wget: server error response
        esac
    else
        die "neither curl nor wget is installed: install one (or set VICINO_FETCH_CMD)"
    fi
    return "$status"
}

unpack_texmex() {
    local archive="$1" target="$data_dir/$name" member found
    unpack_tmp="$(mktemp -d "$data_dir/.$name.tmp-XXXXXX")"
    tar -xzf "$archive" -C "$unpack_tmp" ||
        die "$name: tar could not unpack $archive (kept for inspection)"
    mkdir "$unpack_tmp/out"
    while IFS='|' read -r member _; do
        found="$(find "$unpack_tmp" -path "$unpack_tmp/out" -prune -o \
            -type f -name "$member" -print -quit)"
        [[ -n "$found" ]] || die "$name: $member not found after unpacking $archive"
        mv "$found" "$unpack_tmp/out/$member"
    done < <(texmex_members "$name")
    local reason d r
    while IFS='|' read -r member d r; do
        reason="$(verify_vecs "$unpack_tmp/out/$member" "$d" "$r")" ||
            die "$name: unpacked data failed verification: $reason; archive kept at $archive"
    done < <(texmex_members "$name")
    mv "$unpack_tmp/out" "$target"
    rm -rf "$unpack_tmp"
    unpack_tmp=""
}

fetch_one() {
    name="$1"
    lookup "$name" || die "unknown dataset '$name'"
    local state=0 reason
    reason="$(check_installed)" || state=$?
    case "$state" in
        0)
            echo "$name: already there ($(target_path))"
            return 0
            ;;
        2)
            die "$name: $(target_path) exists but fails verification ($reason): remove it and rerun"
            ;;
    esac

    local partial_dir="$data_dir/.partial"
    local part="$partial_dir/$name.part"
    mkdir -p "$partial_dir"
    if command -v flock >/dev/null 2>&1; then
        lock_file="$partial_dir/$name.lock"
        exec 9>"$lock_file"
        flock -n 9 || {
            lock_file=""
            die "$name: another fetch of it is running (lock $partial_dir/$name.lock)"
        }
    fi

    local had_part=0 status=0
    if [[ -s "$part" ]]; then
        had_part=1
        echo "$name: resuming $part ($(file_size "$part") bytes so far) from $url"
    else
        echo "$name: downloading $url${approx:+ ($approx)}"
    fi
    if [[ "$size" != "-" && $had_part == 1 && "$(file_size "$part")" == "$size" ]]; then
        : # complete already: a resume request would only be refused
    else
        run_fetch "$url" "$part" || status=$?
    fi

    if ((status != 0)); then
        # A finished .part left by an interrupted earlier run makes the server refuse the range
        # (HTTP 416): accept the file if it verifies.
        if ! { ((had_part)) && [[ $status == 22 || $status == 33 ]] && verify_download "$part" >/dev/null; }; then
            [[ -e "$part" && ! -s "$part" ]] && rm -f "$part"
            local host
            host="$(host_of "$url")"
            case "$status" in
                5 | 6 | 7 | 28)
                    die "cannot reach $host: are you offline? ($name: $(curl_reason "$status"); rerun when connected, the download resumes)"
                    ;;
                *)
                    if [[ -s "$part" ]]; then
                        die "$name: download from $url failed ($(curl_reason "$status")); partial data kept in $part, rerun to resume"
                    fi
                    die "$name: download from $url failed ($(curl_reason "$status"))"
                    ;;
            esac
        fi
    fi

    reason="$(verify_download "$part")" ||
        die "$name: download failed verification ($reason); kept $part for inspection: delete it and rerun to download afresh"

    case "$kind" in
        hdf5)
            mv "$part" "$data_dir/$name.hdf5"
            ;;
        texmex)
            unpack_texmex "$part"
            rm -f "$part"
            ;;
    esac
    release_lock
    echo "$name: ready at $(target_path)"
}

target_path() {
    case "$kind" in
        hdf5) echo "$data_dir/$name.hdf5" ;;
        texmex) echo "$data_dir/$name/" ;;
    esac
}

# Drops this run's lock file, and .partial/ itself once nothing is left in it.
release_lock() {
    if [[ -n "$lock_file" ]]; then
        rm -f "$lock_file"
        exec 9>&-
        rmdir "$(dirname "$lock_file")" 2>/dev/null || true
        lock_file=""
    fi
}

unpack_tmp=""
lock_file=""
cleanup() {
    if [[ -n "$unpack_tmp" && -d "$unpack_tmp" ]]; then
        rm -rf "$unpack_tmp"
    fi
    release_lock
}
trap cleanup EXIT

data_dir="${VICINO_DATA:-$repo_root/datasets}"
names=()
list=0
while (($# > 0)); do
    case "$1" in
        --list) list=1 ;;
        --data-dir)
            (($# >= 2)) || usage_error "--data-dir needs a folder"
            data_dir="$2"
            shift
            ;;
        --data-dir=*) data_dir="${1#--data-dir=}" ;;
        -h | --help)
            print_help
            exit 0
            ;;
        --)
            shift
            names+=("$@")
            break
            ;;
        -*) usage_error "unknown option '$1'" ;;
        *) names+=("$1") ;;
    esac
    shift
done

if ((list)); then
    print_list
    exit 0
fi
((${#names[@]} > 0)) || usage_error "name at least one dataset ($(known_names)), or --list"

for n in "${names[@]}"; do
    lookup "$n" || die "unknown dataset '$n'; known: $(known_names)"
done
[[ -n "$data_dir" ]] || die "the data folder is an empty string"
mkdir -p "$data_dir" || die "cannot create the data folder $data_dir"
data_dir="$(cd "$data_dir" && pwd)"

for n in "${names[@]}"; do
    fetch_one "$n"
done
