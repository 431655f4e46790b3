#!/bin/sh
# Valgrind's memcheck on short runs of the runner: a 2-point sweep of the digits MLP for 2 epochs (worker threads,
# HDF5 writes), the same sweep again (all runs skipped: reading committed results), one run on two OpenMP
# threads, a config with several errors and a truncated HDF5 file (the error paths). Each must keep its exit
# status with no memcheck error and no definite leak. Run from the repo root on a build without -march=native
# (valgrind 3.19 cannot decode AVX-512) linked against the shared C library (a static one's malloc is not
# valgrind's, and its glibc start-up reads as uninitialised memory):
#
#   make BUILD=build/valgrind ARCH= STATIC_RUNNER=0 build/valgrind/runner &&
#     RUNNER=./build/valgrind/runner sh tests/valgrind_test.sh
#
# (make valgrind does both). Ends with one line "valgrind_test: N passed, M failed".

RUNNER=${RUNNER:-./build/valgrind/runner}
. "$(dirname "$0")/lib.sh"
# Threads stay few and sleep when idle: valgrind runs one thread at a time, and a spinning one only burns time.
OMP_NUM_THREADS=2
OMP_WAIT_POLICY=passive
export OMP_NUM_THREADS OMP_WAIT_POLICY

if ! command -v valgrind >/dev/null; then
    echo "valgrind_test: valgrind is not installed (apt-get install valgrind, or make valgrind)" >&2
    exit 2
fi
need_runner valgrind_test "make BUILD=build/valgrind ARCH= STATIC_RUNNER=0 build/valgrind/runner"
if ! ldd "$RUNNER" >/dev/null 2>&1; then
    echo "valgrind_test: $RUNNER is linked statically, whose malloc valgrind cannot replace; build it with" \
        "STATIC_RUNNER=0" >&2
    exit 2
fi
if command -v objdump >/dev/null && objdump -d "$RUNNER" | grep -q zmm; then
    echo "valgrind_test: $RUNNER uses AVX-512, which valgrind cannot run; build it without -march=native" >&2
    exit 2
fi

make_tmp

# vg NAME EXPECTED_STATUS ARGS...: the runner under memcheck; --error-exitcode=1 is a status the runner never uses.
vg() {
    name=$1
    want=$2
    shift 2
    status=0
    valgrind --tool=memcheck --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --track-origins=yes --num-callers=30 --log-file="$tmp/$name.vg" \
        "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/results" "$@" \
        >"$tmp/$name.out" 2>&1 </dev/null || status=$?
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$tmp/$name.vg" | tail -n 1)
    [ "$status" = "$want" ] && [ "$errors" = 0 ]
    check "$name" $? "exit status $status (expected $want), ${errors:-no} memcheck errors" && return
    sed 's/^/  runner: /' "$tmp/$name.out" | head -n 20
    grep -v '^==[0-9]*== *$' "$tmp/$name.vg" | sed 's/^/  /' | head -n 60
}

sweep="--set train.epochs=2 --set sweep.train.learning_rate=0.1,0.5"
# shellcheck disable=SC2086 # $sweep is a list of arguments
vg short_sweep 0 $sweep configs/digits.ini
# shellcheck disable=SC2086
vg sweep_again 0 $sweep configs/digits.ini
# one run with two OpenMP threads inside its kernels (the sweep above trains its runs side by side, one thread each)
vg omp_threads 0 --threads 2 --set train.epochs=2 --set experiment.name=digits_threads configs/digits.ini
vg several_errors 2 tests/bad_configs/several_errors.ini
vg truncated_hdf5 3 tests/bad_data/truncated.ini

finish valgrind_test
