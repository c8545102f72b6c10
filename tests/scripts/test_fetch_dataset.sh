#!/usr/bin/env bash
# Offline tests of scripts/fetch_dataset.sh. No network: every download goes through a fake
# command (VICINO_FETCH_CMD) that simulates success, corruption, an HTTP error, being offline
# and resuming, and logs what it saw.
#
#   bash tests/scripts/test_fetch_dataset.sh
#
# Prints one line per check and ends with "N passed, M failed"; exits non-zero if any failed.
# shellcheck disable=SC2016 # the `bash -c '...' _ ARGS` checks expand their arguments inside
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$(cd "$here/../.." && pwd)/scripts/fetch_dataset.sh"
bash_bin="$(command -v bash)"
unset VICINO_DATA VICINO_FETCH_CMD

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

# check DESCRIPTION COMMAND...: one test line.
check() {
    local desc="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $desc"
    else
        failed=$((failed + 1))
        echo "FAIL $desc"
        echo "     rc=$rc stdout: ${out//$'\n'/ | }"
        echo "     stderr: ${err//$'\n'/ | }"
    fi
}

# run COMMAND...: runs it, setting rc, out and err.
run() {
    rc=0
    "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
    out="$(cat "$work/stdout")"
    err="$(cat "$work/stderr")"
}

# A fresh, empty data folder.
fresh() { mktemp -d "$work/data.XXXXXX"; }

contains() { [[ "$1" == *"$2"* ]]; }
lacks() { [[ "$1" != *"$2"* ]]; }
one_line() { [[ -n "$1" && "$1" != *$'\n'* ]]; }
starts_hdf5() { [[ "$(head -c 8 "$1" | od -An -t x1 | tr -s ' \n' ' ')" == " 89 48 44 46 0d 0a 1a 0a " ]]; }
nothing_but() { # nothing_but DIR ENTRY...: DIR holds exactly these entries (hidden ones too)
    local dir="$1"
    shift
    [[ "$(cd "$dir" && find . -mindepth 1 -maxdepth 1 | sed 's|^\./||' | sort | paste -sd' ' -)" == "$*" ]]
}
log_is_empty() { [[ ! -s "$fake_log" ]]; }

# The fake download command: FAKE_MODE picks what it does with (URL, OUTFILE).
fake="$work/fake_fetch"
fake_log="$work/fake.log"
cat >"$fake" <<'EOF'
#!/usr/bin/env bash
url="$1" out="$2"
if [[ -e "$out" ]]; then existing="$(wc -c <"$out" | tr -d ' ')"; else existing=none; fi
echo "url=$url existing=$existing" >>"$FAKE_LOG"
magic() { printf '\211HDF\r\n\032\n'; }
case "$FAKE_MODE" in
    offline) exit 6 ;;
    offline-empty) : >"$out"; exit 7 ;;
    http-error) exit 22 ;;
    cut-short) printf 'some bytes' >>"$out"; exit 18 ;;
    corrupt) printf 'GARBAGE-not-an-hdf5-file' >"$out" ;;
    hdf5) # resumes: appends to an existing partial file
        if [[ -e "$out" ]]; then printf 'TAIL' >>"$out"; else { magic; printf 'BODY'; } >"$out"; fi ;;
    hdf5-sized) { magic; printf 'BODY'; } >"$out"; truncate -s "$FAKE_SIZE" "$out" ;;
    copy) cat "$FAKE_SRC" >"$out" ;;
    *) echo "fake_fetch: unknown FAKE_MODE '$FAKE_MODE'" >&2; exit 99 ;;
esac
EOF
chmod +x "$fake"

# fetch MODE ARGS...: runs the script with the fake downloader.
fetch() {
    local mode="$1"
    shift
    : >"$fake_log"
    run env FAKE_MODE="$mode" FAKE_LOG="$fake_log" VICINO_FETCH_CMD="$fake" \
        "$bash_bin" "$script" "$@"
}

# mkvecs FILE DIM ROWS: a .fvecs/.ivecs-shaped file (first header right, zeros elsewhere).
mkvecs() {
    # shellcheck disable=SC2059 # builds the little-endian dimension byte
    printf "\\$(printf '%03o' "$2")\\000\\000\\000" >"$1"
    truncate -s $(($3 * (4 + 4 * $2))) "$1"
}

# A fake siftsmall.tar.gz laid out as the texmex one (a siftsmall/ folder).
mk_siftsmall() { # mk_siftsmall OUT [skip-learn|short-gt]
    local src="$work/src-$RANDOM"
    mkdir -p "$src/siftsmall"
    mkvecs "$src/siftsmall/siftsmall_base.fvecs" 128 10000
    mkvecs "$src/siftsmall/siftsmall_query.fvecs" 128 100
    if [[ "${2:-}" == short-gt ]]; then
        mkvecs "$src/siftsmall/siftsmall_groundtruth.ivecs" 100 99
    else
        mkvecs "$src/siftsmall/siftsmall_groundtruth.ivecs" 100 100
    fi
    [[ "${2:-}" == skip-learn ]] || mkvecs "$src/siftsmall/siftsmall_learn.fvecs" 128 25000
    tar -czf "$1" -C "$src" siftsmall
    rm -rf "$src"
}

# --- the table and the arguments --------------------------------------------------------------

run "$bash_bin" "$script" --list
check "--list exits 0" test "$rc" -eq 0
check "--list names every dataset" bash -c '
    for n in sift-10k sift-1m glove-25-angular glove-50-angular glove-100-angular \
        glove-200-angular sift-128-euclidean fashion-mnist-784-euclidean gist-960-euclidean \
        nytimes-256-angular; do grep -q "^$n " <<<"$1" || exit 1; done' _ "$out"
check "--list shows metric, dims, rows, size and source" \
    contains "$out" "glove-100-angular            cosine  100 1183514+10000   463 MiB"
check "--list shows the texmex source" contains "$out" "ftp://ftp.irisa.fr/local/texmex/corpus/siftsmall.tar.gz"

run "$bash_bin" "$script" --help
check "--help exits 0 and shows usage" bash -c '[[ $1 == 0 && $2 == *"--data-dir DIR"* ]]' _ "$rc" "$out"

run "$bash_bin" "$script"
check "no dataset named: exit 2" test "$rc" -eq 2

run "$bash_bin" "$script" --frobnicate glove-25-angular
check "unknown option: exit 2" test "$rc" -eq 2

d="$(fresh)"
fetch hdf5 --data-dir "$d" glove-25-angular no-such-set
check "unknown name: non-zero exit" test "$rc" -ne 0
check "unknown name: one line on stderr" one_line "$err"
check "unknown name: says which" contains "$err" "unknown dataset 'no-such-set'"
check "unknown name: lists the known ones" contains "$err" "known: sift-10k sift-1m glove-25-angular"
check "unknown name: nothing downloaded, even the valid name" log_is_empty
check "unknown name: data folder untouched" nothing_but "$d"

# --- offline and failed downloads -------------------------------------------------------------

d="$(fresh)"
fetch offline --data-dir "$d" glove-25-angular
check "offline (exit 6): non-zero exit" test "$rc" -ne 0
check "offline: one line on stderr" one_line "$err"
check "offline: says so" contains "$err" "cannot reach ann-benchmarks.com: are you offline?"
check "offline: the fake was asked for the ANN-Benchmarks URL" \
    contains "$(cat "$fake_log")" "url=http://ann-benchmarks.com/glove-25-angular.hdf5 existing=none"
check "offline: nothing left in the data folder" nothing_but "$d"

d="$(fresh)"
fetch offline-empty --data-dir "$d" sift-10k
check "connect failure (exit 7) on the texmex FTP host: offline message" \
    contains "$err" "cannot reach ftp.irisa.fr: are you offline?"
check "connect failure: the empty .part is not kept" nothing_but "$d"

d="$(fresh)"
fetch http-error --data-dir "$d" glove-50-angular
check "HTTP error: non-zero exit, not called offline" \
    bash -c '[[ $1 != 0 && $2 == *"failed (server answered with an HTTP error)"* && $2 != *offline* ]]' _ "$rc" "$err"
check "HTTP error: nothing left" nothing_but "$d"

d="$(fresh)"
fetch cut-short --data-dir "$d" glove-50-angular
check "cut short (exit 18): keeps the partial data and says rerun resumes" \
    bash -c '[[ $1 != 0 && $2 == *"partial data kept in"*"rerun to resume"* ]]' _ "$rc" "$err"
check "cut short: .part kept, target absent" \
    bash -c '[[ -s $1/.partial/glove-50-angular.part && ! -e $1/glove-50-angular.hdf5 ]]' _ "$d"

# --- verification -----------------------------------------------------------------------------

d="$(fresh)"
fetch corrupt --data-dir "$d" glove-25-angular
check "corrupt download: non-zero exit" test "$rc" -ne 0
check "corrupt download: one line on stderr" one_line "$err"
check "corrupt download: names the check and the kept .part" \
    bash -c '[[ $1 == *"failed verification (no HDF5 signature at byte 0)"* && $1 == *"kept "*"/.partial/glove-25-angular.part for inspection"* ]]' _ "$err"
check "corrupt download: .part kept" test -s "$d/.partial/glove-25-angular.part"
check "corrupt download: target absent" test ! -e "$d/glove-25-angular.hdf5"

d="$(fresh)"
fetch hdf5 --data-dir "$d" glove-100-angular
check "known size, wrong size: fails with both sizes" \
    bash -c '[[ $1 != 0 && $2 == *"size is 12 bytes, expected 485413888"* ]]' _ "$rc" "$err"
check "known size, wrong size: target absent" test ! -e "$d/glove-100-angular.hdf5"

d="$(fresh)"
FAKE_SIZE=485413888 fetch hdf5-sized --data-dir "$d" glove-100-angular
check "known size, matching (sparse 485413888-byte file): in place" \
    bash -c '[[ $1 == 0 && $(wc -c <"$2/glove-100-angular.hdf5") == 485413888 ]]' _ "$rc" "$d"

# --- a good download, then "already there" ----------------------------------------------------

d="$(fresh)"
fetch hdf5 --data-dir "$d" glove-25-angular
check "good hdf5: exit 0" test "$rc" -eq 0
check "good hdf5: nothing on stderr" test -z "$err"
check "good hdf5: file in place with the HDF5 signature" starts_hdf5 "$d/glove-25-angular.hdf5"
check "good hdf5: .partial cleaned up" nothing_but "$d" glove-25-angular.hdf5
check "good hdf5: says where it is" contains "$out" "glove-25-angular: ready at $d/glove-25-angular.hdf5"
fetch hdf5 --data-dir "$d" glove-25-angular
check "second run: exit 0, 'already there'" \
    bash -c '[[ $1 == 0 && $2 == *"glove-25-angular: already there"* ]]' _ "$rc" "$out"
check "second run: no download attempted" log_is_empty

d="$(fresh)"
printf 'not hdf5' >"$d/glove-25-angular.hdf5"
fetch hdf5 --data-dir "$d" glove-25-angular
check "damaged file in place: refused, not overwritten" \
    bash -c '[[ $1 != 0 && $2 == *"exists but fails verification"* && $(cat "$3") == "not hdf5" ]]' _ "$rc" "$err" "$d/glove-25-angular.hdf5"
check "damaged file in place: no download attempted" log_is_empty

# --- resuming ---------------------------------------------------------------------------------

d="$(fresh)"
mkdir -p "$d/.partial"
{ printf '\211HDF\r\n\032\n'; printf 'HEAD'; } >"$d/.partial/nytimes-256-angular.part"
fetch hdf5 --data-dir "$d" nytimes-256-angular
check "resume: exit 0 and says it resumes" \
    bash -c '[[ $1 == 0 && $2 == *"resuming"*"12 bytes so far"* ]]' _ "$rc" "$out"
check "resume: the fake was handed the existing 12-byte .part" \
    contains "$(cat "$fake_log")" "url=http://ann-benchmarks.com/nytimes-256-angular.hdf5 existing=12"
check "resume: the result is the old bytes plus the new ones" \
    bash -c '[[ $(tail -c 8 "$1") == HEADTAIL ]]' _ "$d/nytimes-256-angular.hdf5"
check "resume: .partial cleaned up" nothing_but "$d" nytimes-256-angular.hdf5

d="$(fresh)"
mkdir -p "$d/.partial"
{ printf '\211HDF\r\n\032\n'; printf 'COMPLETE'; } >"$d/.partial/glove-200-angular.part"
fetch http-error --data-dir "$d" glove-200-angular
check "resume refused (HTTP 416 -> exit 22) on a finished .part: accepted after verification" \
    bash -c '[[ $1 == 0 && $(tail -c 8 "$2") == COMPLETE ]]' _ "$rc" "$d/glove-200-angular.hdf5"

d="$(fresh)"
mkdir -p "$d/.partial"
printf 'junk' >"$d/.partial/glove-200-angular.part"
fetch offline --data-dir "$d" glove-200-angular
check "offline with a .part: offline message, .part kept for the next try" \
    bash -c '[[ $1 != 0 && $2 == *"are you offline?"* && $(cat "$3") == junk ]]' _ "$rc" "$err" "$d/.partial/glove-200-angular.part"

# --- texmex tarballs --------------------------------------------------------------------------

tarball="$work/siftsmall.tar.gz"
mk_siftsmall "$tarball"
d="$(fresh)"
FAKE_SRC="$tarball" fetch copy --data-dir "$d" sift-10k
check "texmex: exit 0" test "$rc" -eq 0
check "texmex: asked for the texmex URL" \
    contains "$(cat "$fake_log")" "url=ftp://ftp.irisa.fr/local/texmex/corpus/siftsmall.tar.gz"
check "texmex: the four files land flat in DIR/sift-10k/" bash -c '
    cd "$1/sift-10k" && [[ $(ls | paste -sd" " -) == "siftsmall_base.fvecs siftsmall_groundtruth.ivecs siftsmall_learn.fvecs siftsmall_query.fvecs" ]]' _ "$d"
check "texmex: no archive, temp folder or .partial left" nothing_but "$d" sift-10k
FAKE_SRC="$tarball" fetch copy --data-dir "$d" sift-10k
check "texmex second run: 'already there', no download" \
    bash -c '[[ $1 == 0 && $2 == *"sift-10k: already there"* && ! -s $3 ]]' _ "$rc" "$out" "$fake_log"

mk_siftsmall "$work/no-learn.tar.gz" skip-learn
d="$(fresh)"
FAKE_SRC="$work/no-learn.tar.gz" fetch copy --data-dir "$d" sift-10k
check "texmex missing member: fails naming it, .part kept, no target" \
    bash -c '[[ $1 != 0 && $2 == *"archive lacks siftsmall_learn.fvecs"* && -s $3/.partial/sift-10k.part && ! -e $3/sift-10k ]]' _ "$rc" "$err" "$d"

mk_siftsmall "$work/short-gt.tar.gz" short-gt
d="$(fresh)"
FAKE_SRC="$work/short-gt.tar.gz" fetch copy --data-dir "$d" sift-10k
check "texmex member of the wrong length: fails, archive kept, no target, no temp folder" \
    bash -c '[[ $1 != 0 && $2 == *"siftsmall_groundtruth.ivecs is 39996 bytes, expected 40400"* ]] && [[ $(ls -A "$3" | paste -sd" " -) == .partial ]]' _ "$rc" "$err" "$d"

d="$(fresh)"
printf 'GARBAGE' >"$work/garbage.tar.gz"
FAKE_SRC="$work/garbage.tar.gz" fetch copy --data-dir "$d" sift-10k
check "texmex not gzip: fails verification" contains "$err" "failed verification (not a gzip file)"

# --- where the data goes ----------------------------------------------------------------------

d="$(fresh)"
VICINO_DATA="$d" fetch hdf5 glove-25-angular
check "VICINO_DATA picks the folder" test -f "$d/glove-25-angular.hdf5"

d="$(fresh)"
d2="$(fresh)"
VICINO_DATA="$d2" fetch hdf5 --data-dir="$d" glove-25-angular
check "--data-dir=DIR wins over VICINO_DATA" \
    bash -c '[[ -f $1/glove-25-angular.hdf5 ]] && [[ -z $(ls -A "$2") ]]' _ "$d" "$d2"

d="$(fresh)/not/yet/there"
fetch hdf5 --data-dir "$d" glove-25-angular glove-50-angular
check "two names in one run, data folder created" \
    bash -c '[[ $1 == 0 && -f $2/glove-25-angular.hdf5 && -f $2/glove-50-angular.hdf5 ]]' _ "$rc" "$d"

fake_repo="$work/repo"
mkdir -p "$fake_repo/scripts"
cp "$script" "$fake_repo/scripts/fetch_dataset.sh"
rc=0
(cd "$work" && env FAKE_MODE=hdf5 FAKE_LOG="$fake_log" VICINO_FETCH_CMD="$fake" \
    "$bash_bin" repo/scripts/fetch_dataset.sh glove-25-angular >/dev/null 2>&1) || rc=$?
check "default folder: datasets/ at the repo root, found relative to the script" \
    bash -c '[[ $1 == 0 && -f $2/datasets/glove-25-angular.hdf5 ]]' _ "$rc" "$fake_repo"

# --- no downloader, a concurrent run ----------------------------------------------------------

nodl="$work/nodl-bin"
mkdir -p "$nodl"
for tool in dirname cat cut paste awk sed head od tr wc mkdir mv rm rmdir mktemp tar gzip find \
    grep flock basename; do
    path="$(command -v "$tool")" && ln -s "$path" "$nodl/$tool"
done
d="$(fresh)"
run env PATH="$nodl" "$bash_bin" "$script" --data-dir "$d" glove-25-angular
check "no curl or wget: one line saying so, non-zero exit" \
    bash -c '[[ $1 != 0 && $2 == *"neither curl nor wget is installed"* && $2 != *$'"'\n'"'* ]]' _ "$rc" "$err"
check "no curl or wget: nothing left" nothing_but "$d"

if command -v flock >/dev/null 2>&1; then
    d="$(fresh)"
    mkdir -p "$d/.partial"
    exec 8>"$d/.partial/glove-25-angular.lock"
    flock -n 8
    fetch hdf5 --data-dir "$d" glove-25-angular
    check "a second fetch of the same dataset while one runs: refused" \
        bash -c '[[ $1 != 0 && $2 == *"another fetch of it is running"* ]] && [[ ! -e $3/glove-25-angular.hdf5 ]]' _ "$rc" "$err" "$d"
    exec 8>&-
fi

echo "$passed passed, $failed failed"
((failed == 0))
