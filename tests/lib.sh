# Helpers of the shell tests, sourced by each (. "$(dirname "$0")/lib.sh"): the runner under test, a temporary
# folder removed on exit, pass/fail/skip counting, captured runs and the final tally. The tests run from the repo
# root; RUNNER names the binary (default ./runner).

RUNNER=${RUNNER:-./runner}

# SHIMMED: the runner a test's LD_PRELOAD shim reaches. The dynamic loader reads LD_PRELOAD, and a static binary
# (make links the runner so where it can: the Makefile's STATIC_RUNNER) never runs one: for a static $RUNNER, its
# twin $RUNNER_SHARED, the same objects with the C library shared (make run-tests passes $(BUILD)/runner-shared;
# unset: runner-shared beside $RUNNER, or build/runner-shared for a runner in the repository's root), taken only
# when it is linked dynamically and says the same --version (the same revision, flags and compiler). Empty
# otherwise, with the reason in $shimmed_why: shimmed_missing counts that as a failure, never as a pass.
shimmed_why=
if ldd "$RUNNER" >/dev/null 2>&1; then
    SHIMMED=$RUNNER
else
    case $RUNNER in */*) dir=${RUNNER%/*} ;; *) dir=. ;; esac
    if [ -n "${RUNNER_SHARED:-}" ]; then
        SHIMMED=$RUNNER_SHARED
    elif [ -x "$dir/runner-shared" ] || [ ! "$dir" -ef . ]; then
        SHIMMED=$dir/runner-shared
    else
        SHIMMED=build/runner-shared
    fi
    if [ ! -x "$SHIMMED" ]; then
        shimmed_why="no dynamically linked twin ($SHIMMED): make build/runner-shared, or set RUNNER_SHARED"
    elif ! ldd "$SHIMMED" >/dev/null 2>&1; then
        shimmed_why="its twin $SHIMMED is linked statically too"
    elif [ "$("$SHIMMED" --version 2>&1)" != "$("$RUNNER" --version 2>&1)" ]; then
        shimmed_why="its twin $SHIMMED is another build (--version differs): make build/runner-shared"
    fi
    [ -z "$shimmed_why" ] || SHIMMED=
fi
LC_ALL=C
export LC_ALL
passed=0
failed=0

# need_runner NAME HINT: stops with status 2 unless $RUNNER is an executable; HINT says how to build one.
need_runner() {
    if [ ! -x "$RUNNER" ]; then
        echo "$1: $RUNNER is not an executable ($2)" >&2
        exit 2
    fi
}

# make_tmp: a fresh folder in $tmp, removed on exit (after running $tmp_cleanup, a command, when set); SIGINT
# and SIGTERM exit 130 and 143 through that cleanup.
make_tmp() {
    tmp=$(mktemp -d) || exit 2
    trap 'eval "${tmp_cleanup:-:}"; rm -rf "$tmp"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# pass: counts a passed case.
pass() { passed=$((passed + 1)); }

# fail NAME [WHY]: counts a failed case and prints "FAIL NAME: WHY" (or "FAIL NAME").
fail() {
    failed=$((failed + 1))
    echo "FAIL $1${2:+: $2}"
}

# skip NAME REASON: prints "SKIP NAME: REASON"; a skipped case counts neither way.
skip() { echo "SKIP $1: $2"; }

# check NAME STATUS [DETAIL]: a pass when STATUS is 0, else a failure printed with DETAIL.
check() {
    if [ "$2" = 0 ]; then pass; else fail "$1" "$3"; fi
}

# capture CMD...: runs CMD with stdin /dev/null, stdout to $tmp/out and stderr to $tmp/err; its status in $status.
capture() {
    status=0
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
}

# wait_for_line PID PATTERN: returns once PATTERN is in $tmp/err or the process PID has exited, at most 5 minutes.
wait_for_line() {
    i=0
    while ! grep -q "$2" "$tmp/err" && kill -0 "$1" 2>/dev/null && [ $i -lt 1500 ]; do
        sleep 0.2
        i=$((i + 1))
    done
}

# sigint_runner PID: SIGINT the runner PID, again until it says in $tmp/err that it stopped (the first may come
# before its handler), at most 20 s.
sigint_runner() {
    i=0
    while kill -INT "$1" 2>/dev/null && ! grep -q "stopped by signal" "$tmp/err" && [ $i -lt 100 ]; do
        sleep 0.2
        i=$((i + 1))
    done
}

# hold_lock FILE [>]: a background process opens FILE (for reading, or with > for writing), takes flock -x on it
# and keeps it until killed (at most 5 minutes, its output on /dev/null, so that a test that ends early leaves no
# pipe open); returns once the lock is held (a fixed sleep could come first on a slow machine), at most a minute,
# the process's PID in $holder. Kill and wait for it when done.
hold_lock() {
    rm -f "$tmp/held"
    if [ "${2:-}" = ">" ]; then
        sh -c 'exec 9>"$1" && flock -x 9 && : >"$2" && exec sleep 300' sh "$1" "$tmp/held" </dev/null >/dev/null 2>&1 &
    else
        sh -c 'exec 9<"$1" && flock -x 9 && : >"$2" && exec sleep 300' sh "$1" "$tmp/held" </dev/null >/dev/null 2>&1 &
    fi
    holder=$!
    i=0
    while [ ! -e "$tmp/held" ] && kill -0 "$holder" 2>/dev/null && [ $i -lt 3000 ]; do
        sleep 0.02
        i=$((i + 1))
    done
}

# col FILE NAME [ROW]: the cell of column NAME in data row ROW (default 1) of a TSV file
col() {
    awk -F'\t' -v name="$2" -v row="${3:-1}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == row + 1 && c { print $c }' "$1"
}

# strip FILE: FILE (a summary.tsv) without its timing columns, found by name in the header: train_seconds,
# samples_per_second and every column whose name starts with seconds.
strip() {
    awk -F'\t' 'BEGIN { OFS = "\t" }
        NR == 1 {
            for (i = 1; i <= NF; i++)
                drop[i] = $i == "train_seconds" || $i == "samples_per_second" || $i ~ /^seconds/
        }
        { line = ""; n = 0; for (i = 1; i <= NF; i++) if (!drop[i]) line = n++ ? line OFS $i : $i; print line }' "$1"
}

# finish [NAME]: the tally, "NAME: N passed, M failed"; the status is 0 when nothing failed.
finish() {
    echo "${1:+$1: }$passed passed, $failed failed"
    [ "$failed" = 0 ]
}

# shim_open_wrappers: the C source of open and open64 for an LD_PRELOAD shim (a test's), each calling the shim's
# own `static void on_open(const char *path)` before the real call; the shim includes dlfcn.h and stdarg.h.
shim_open_wrappers() {
    cat <<'C'
#define SHIM_OPEN(name)                                                                                         \
    int name(const char *path, int flags, ...)                                                                 \
    {                                                                                                          \
        static int (*real)(const char *, int, ...);                                                            \
        if (!real)                                                                                             \
            real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);                                   \
        va_list ap;                                                                                            \
        va_start(ap, flags);                                                                                   \
        int mode = va_arg(ap, int);                                                                            \
        va_end(ap);                                                                                            \
        on_open(path);                                                                                         \
        return real(path, flags, mode);                                                                        \
    }
SHIM_OPEN(open)
SHIM_OPEN(open64)
C
}

# shimmed_missing NAME: true (and NAME counted as failed) when no runner takes an LD_PRELOAD shim (SHIMMED).
shimmed_missing() {
    [ -n "$SHIMMED" ] && return 1
    fail "$1" "$RUNNER is linked statically, which LD_PRELOAD cannot reach, and $shimmed_why"
    return 0
}

# preload SHIM: the LD_PRELOAD value that puts SHIM (a library compiled by a test) under $SHIMMED; a runner built
# with AddressSanitizer (make asan) needs its runtime first in the list.
preload() {
    asan_rt=$(ldd "$SHIMMED" 2>/dev/null | awk '/libasan/ { print $3 }')
    echo "${asan_rt:+$asan_rt }$1"
}
