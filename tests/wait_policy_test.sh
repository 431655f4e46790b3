#!/bin/sh
# The runner's default OpenMP wait policy (src/main.c), run from the repository root:
#   RUNNER=./build/runner sh tests/wait_policy_test.sh
# libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT before main, so the runner sets its short spin by re-executing
# itself; the environment it trained under is what its children see, so a fake gnuplot first on PATH records
# it (and runs the real one). Cases: nothing set (GOMP_SPINCOUNT is the runner's), the user's OMP_WAIT_POLICY or GOMP_SPINCOUNT (kept,
# nothing added), --threads 1 and OMP_NUM_THREADS=1 (no re-exec: nothing added), and every case trains and
# exits 0. Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner wait_policy_test "build it with make runner, or set RUNNER"
case $RUNNER in /*) ;; *) RUNNER=$(pwd)/$RUNNER ;; esac
make_tmp

real=$(command -v gnuplot) || { echo "SKIP all: gnuplot is not installed"; finish; exit; }
mkdir "$tmp/bin"
cat > "$tmp/bin/gnuplot" <<SH
#!/bin/sh
printf '%s|%s\\n' "\${OMP_WAIT_POLICY-unset}" "\${GOMP_SPINCOUNT-unset}" > "\$WAIT_SEEN"
exec "$real" "\$@"
SH
chmod +x "$tmp/bin/gnuplot"

# seen NAME WANT ENV... -- ARGS...: runs the runner under ENV with ARGS; a pass when it exits 0 and its gnuplot
# saw WANT (OMP_WAIT_POLICY|GOMP_SPINCOUNT, "unset" for a variable not set).
seen() {
    name=$1 want=$2
    shift 2
    envs=""
    while [ "$1" != -- ]; do envs="$envs $1"; shift; done
    shift
    rm -rf "$tmp/results" "$tmp/seen"
    capture env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT $envs PATH="$tmp/bin:$PATH" WAIT_SEEN="$tmp/seen" \
        "$RUNNER" --quiet --results "$tmp/results" --set train.epochs=1 "$@" configs/digits.ini
    got=$(head -1 "$tmp/seen" 2>/dev/null)
    if [ "$status" = 0 ] && [ "$got" = "$want" ]; then pass
    else fail "$name" "exit $status, gnuplot saw '$got', want '$want'"; sed 's/^/  stderr: /' "$tmp/err"; fi
}

if [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ] && [ -r /proc/self/exe ]; then
    seen default "unset|10000" --
else
    skip default "one core or no /proc: the runner keeps libgomp's default"
fi
seen user-policy "passive|unset" OMP_WAIT_POLICY=passive --
seen user-spincount "unset|12345" GOMP_SPINCOUNT=12345 --
seen one-thread "unset|unset" -- --threads 1
seen omp-one-thread "unset|unset" OMP_NUM_THREADS=1 --
finish
