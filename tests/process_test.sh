#!/bin/sh
# Process-level reliability tests (issue 15 and the plots root of issue 12): empty path options, threads beyond
# the cores or beyond what can be created, closed standard descriptors, standard output that cannot be written,
# a reader that went away, memory sizes in readable units, and plots that belong to their results root. Run
# from the repo root:
#
#   RUNNER=./build/runner sh tests/process_test.sh     (RUNNER defaults to ./runner)
#
# Thread creation is limited by an LD_PRELOAD shim compiled here with cc: pthread_create fails with EAGAIN once
# SHIM_MAX_THREADS threads made through it are alive. A case whose tool is missing says SKIP. Ends with one line
# "N passed, M failed"; exits non-zero when a case failed.

. "$(dirname "$0")/lib.sh"
need_runner process_test "build it with make runner, or set RUNNER"
unset OMP_NUM_THREADS OMP_THREAD_LIMIT
name=proctest$$
tmp_cleanup='rm -rf "plots/$name" "/$name"'
make_tmp
cfg=tests/bad_configs/valid.ini

# run [args...]: runs the runner on the test config (experiment $name, no rendering) with the environment's
# VAR=VALUE words in $run_env added (and $run_bin in $RUNNER's place: $SHIMMED for a shim), stdout to $tmp/out,
# stderr to $tmp/err; the exit status in $status.
run_env=
run() {
    # shellcheck disable=SC2086 # $run_env is a list of words
    capture env $run_env "${run_bin:-$RUNNER}" --no-plots --set experiment.name="$name" "$@" "$cfg"
}

# one_line CASE STATUS WANT_STATUS PATTERN: the status is WANT_STATUS and stderr is one line matching PATTERN.
one_line() {
    if [ "$2" != "$3" ]; then
        fail "$1" "exit status $2, expected $3 ($(head -c 300 "$tmp/err"))"
    elif [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q -e "$4" "$tmp/err"; then
        fail "$1" "stderr is not one line matching '$4': $(head -c 300 "$tmp/err")"
    else
        return 0
    fi
    return 1
}

# nothing_written CASE: passes the case when nothing exists under $tmp/r.
nothing_written() {
    if [ -e "$tmp/r" ]; then
        fail "$1" "files were created under the results root"
    else
        pass
    fi
}

# --- empty paths are usage errors, naming the option
for opt in plots results; do
    rm -rf "$tmp/r"
    if [ "$opt" = plots ]; then run --results "$tmp/r" --plots ''; else run --results ''; fi
    one_line "empty --$opt" "$status" 2 "--$opt" && nothing_written "empty --$opt"
done
capture "$RUNNER" --results "$tmp/r" --verify ''
one_line "empty --verify" "$status" 2 "--verify" && pass
capture "$RUNNER" --results "$tmp/r" --verify nope
one_line "--verify of an experiment that does not exist" "$status" 2 "no such experiment" && pass

# --- threads: capped at the cores, and a failure to create them refused before anything is written
cores=$(nproc)
# a sweep over experiment.threads gives no one thread count for its runs, so the plan line names none
rm -rf "$tmp/r"
run --results "$tmp/r" --set sweep.experiment.threads=1,2 --set train.epochs=1
if [ "$status" = 0 ] && grep -q "each alone, each run on its own experiment.threads (one run at a time" "$tmp/err"
then
    pass
else
    fail "experiment.threads swept" "exit status $status, or a plan line with a thread count: $(head -c 300 "$tmp/err")"
fi
shim=$tmp/shim.so
cat >"$tmp/shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int live;
struct start { void *(*fn)(void *); void *arg; };

static void *started(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    void *r = s.fn(s.arg);
    __atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
    return r;
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    create_fn *real = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
    const char *max = getenv("SHIM_MAX_THREADS");
    if (!max)
        return real(t, a, fn, arg);
    struct start *s = malloc(sizeof *s);
    if (!s || __atomic_add_fetch(&live, 1, __ATOMIC_SEQ_CST) > atoi(max)) {
        __atomic_sub_fetch(&live, !!s, __ATOMIC_SEQ_CST);
        free(s);
        return EAGAIN;
    }
    s->fn = fn;
    s->arg = arg;
    int rc = real(t, a, started, s);
    if (rc) {
        __atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
        free(s);
    }
    return rc;
}
EOF
# AddressSanitizer's own pthread_create interceptor crashes when another library wraps pthread_create under it
# (make asan): the shim cases run in the plain build of make test
asan=$(ldd "$RUNNER" 2>/dev/null | awk '/libasan/ { print $3 }')
preload=$shim
if [ -n "$asan" ]; then
    skip "threads" "$RUNNER is built with AddressSanitizer, whose pthread_create interceptor the shim cannot wrap"
elif shimmed_missing "threads"; then
    :
elif ! cc -shared -fPIC -o "$shim" "$tmp/shim.c" -ldl 2>"$tmp/cc.err"; then
    skip "threads" "cannot compile the pthread_create shim with cc: $(head -c 200 "$tmp/cc.err")"
elif [ "$cores" -ge 1024 ]; then
    skip "threads" "$cores cores: --threads 1024 is not beyond them"
else
    # the runner needs its pool and each run's threads, at most the cores, alive at once; libgomp aborted
    # ("Thread creation failed", exit 1) on the 1024 threads asked for. A model big enough for the kernels to
    # go parallel:
    big="--set model.hidden=512 --set train.batch_size=256"
    run_bin=$SHIMMED
    rm -rf "$tmp/r"
    run_env="SHIM_MAX_THREADS=$((cores + 2)) LD_PRELOAD=$preload"
    # shellcheck disable=SC2086 # $big is a list of options
    run --results "$tmp/r" --threads 1024 $big
    if [ "$status" != 0 ]; then
        fail "--threads 1024" "exit status $status, expected 0 ($(head -c 300 "$tmp/err"))"
    elif ! grep -q "1024 threads per run requested, capped at the $cores cores* available" "$tmp/err"; then
        fail "--threads 1024" "no line saying the threads were capped: $(head -c 300 "$tmp/err")"
    elif ! grep -q "x $cores threads* each (auto: $cores cores* / $cores threads* per run, 1024 asked)" "$tmp/err"; then
        fail "--threads 1024" "the plan line does not give the capped count: $(head -c 300 "$tmp/err")"
    elif ! grep -q "^openmp_threads = $cores\$" "$tmp"/r/"$name"/runs/*/manifest.txt; then
        fail "--threads 1024" "the run's manifest does not say it ran on $cores threads"
    else
        pass
    fi
    rm -rf "$tmp/r"
    run_env="OMP_NUM_THREADS=100000 SHIM_MAX_THREADS=$((cores + 2)) LD_PRELOAD=$preload"
    # shellcheck disable=SC2086
    run --results "$tmp/r" $big
    if [ "$status" != 0 ] || ! grep -q "100000 threads per run requested, capped at the $cores cores" "$tmp/err"
    then
        fail "OMP_NUM_THREADS=100000" "exit status $status, expected 0 and a line saying the threads were capped"
    else
        pass
    fi
    # no thread can be created: one line, exit 2, nothing written (was: exit 4 after the results folder existed)
    rm -rf "$tmp/r"
    run_env="SHIM_MAX_THREADS=0 LD_PRELOAD=$preload"
    # shellcheck disable=SC2086
    run --results "$tmp/r" $big
    run_env= run_bin=
    one_line "no threads" "$status" 2 "cannot start .* threads" && nothing_written "no threads"
fi

# --- fds 0-2 closed: messages must not land in the lock or any other file the runner opens
rm -rf "$tmp/r"
status=0
"$RUNNER" --no-plots --set experiment.name="$name" --results "$tmp/r" "$cfg" >/dev/null 2>&- </dev/null || status=$?
if [ "$status" != 0 ]; then
    fail "stderr closed" "exit status $status, expected 0"
elif grep -r -l -e "to train, " -e " trained (" "$tmp/r" >"$tmp/stray"; then
    fail "stderr closed" "messages written into $(tr '\n' ' ' <"$tmp/stray")"
else
    pass
fi
rm -rf "$tmp/r"
status=0
"$RUNNER" --no-plots --set experiment.name="$name" --results "$tmp/r" "$cfg" <&- >&- 2>&- || status=$?
if [ "$status" != 0 ] || [ ! -s "$tmp/r/$name/summary.tsv" ]; then
    fail "fds 0-2 closed" "exit status $status, expected 0 and a summary"
elif grep -r -l -e "to train, " -e " trained (" "$tmp/r" >"$tmp/stray"; then
    fail "fds 0-2 closed" "messages written into $(tr '\n' ' ' <"$tmp/stray")"
else
    pass
fi

# --- standard output that cannot be written is an output error (exit 4, one line), not success
if [ ! -w /dev/full ]; then
    skip "/dev/full" "no writable /dev/full"
else
    for opt in --help --version "--verify $name"; do
        status=0
        # shellcheck disable=SC2086 # $opt is the option and its argument
        "$RUNNER" --results "$tmp/r" $opt >/dev/full 2>"$tmp/err" || status=$?
        one_line "$opt >/dev/full" "$status" 4 "cannot write standard output" && pass
    done
fi

# --- a reader that went away (runner cfg 2>&1 | head -1) does not end the sweep (was: SIGPIPE, exit 141)
if ! mkfifo "$tmp/fifo"; then
    skip "closed pipe" "cannot make a FIFO"
else
    rm -rf "$tmp/r"
    # a pipe whose only reader is gone: open the FIFO for reading and writing, add a writer, drop the reader
    # shellcheck disable=SC2094 # reading and writing the FIFO at once is the point
    exec 3<>"$tmp/fifo" 4>"$tmp/fifo"
    exec 3<&-
    status=0
    "$RUNNER" --no-plots --set experiment.name="$name" --set experiment.seeds=1,2,3 --results "$tmp/r" "$cfg" \
        2>&4 </dev/null || status=$?
    exec 4>&-
    if [ "$status" != 0 ]; then
        fail "closed pipe" "exit status $status, expected 0"
    elif [ "$(grep -c '^seed=[123]	' "$tmp/r/$name/summary.tsv" 2>/dev/null)" != 3 ]; then
        fail "closed pipe" "the summary does not hold the sweep's 3 runs"
    else
        pass
    fi
fi

# --- memory sizes in a unit that shows them (was "0.00 GiB ... the 0.00 GiB allowed")
rm -rf "$tmp/r"
run --results "$tmp/r" --max-memory 1
if one_line "--max-memory 1" "$status" 2 "more than the 1 B allowed"; then
    if grep -q "0\.00 " "$tmp/err"; then fail "--max-memory 1" "a size shown as 0.00: $(cat "$tmp/err")"; else pass; fi
fi

# --- plots follow the results root: a second root with the same experiment keeps its hands off the first's
had_plots=
[ -e "plots/$name" ] && had_plots=1
rm -rf "$tmp/a" "$tmp/b"
run --results "$tmp/a"
a_status=$status
(cd "$tmp/a/plots/$name" 2>/dev/null && cksum ./* >"$tmp/a.sum")
run --results "$tmp/b" --set train.epochs=2
b_status=$status
if [ "$a_status" != 0 ] || [ "$b_status" != 0 ]; then
    fail "plots root" "exit status $a_status and $b_status, expected 0"
elif [ ! -s "$tmp/a.sum" ] || [ ! -f "$tmp/b/plots/$name/loss_curves.gp" ]; then
    fail "plots root" "no plots in DIR/plots/$name for --results DIR"
elif ! (cd "$tmp/a/plots/$name" && cksum ./*) | cmp -s - "$tmp/a.sum"; then
    fail "plots root" "the second results root changed the first one's plots"
elif ! grep -q "(\.\./plots/$name/" "$tmp/a/$name/report.md"; then
    fail "plots root" "report.md does not link its plots in ../plots/$name/"
elif [ -z "$had_plots" ] && [ -e "plots/$name" ]; then
    fail "plots root" "./plots/$name was written for a results root other than ./results"
else
    pass
fi

finish
