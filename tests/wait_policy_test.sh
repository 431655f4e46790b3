#!/bin/sh
# The runner's default OpenMP wait policy (src/main.c), run from the repository root:
#   RUNNER=./build/runner sh tests/wait_policy_test.sh
# libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT before main, so the runner sets its short spin by re-executing
# itself; the environment it trained under is what its children see, so a fake gnuplot first on PATH records it
# (and runs the real one). Cases: nothing set (GOMP_SPINCOUNT is the runner's), the user's OMP_WAIT_POLICY or
# GOMP_SPINCOUNT (kept, nothing added), --threads 1 and OMP_NUM_THREADS=1 (no re-exec: nothing added), the loader
# run as the program (no re-exec), and every case trains and exits 0. Then where the threads run: pinned to a core
# each where a run's team fills the process's cores, left alone under OMP_PROC_BIND. Ends with one line "N passed,
# M failed".

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

# the dynamic loader run as the program (ld.so RUNNER; a static runner has no loader, so its shared twin,
# $SHIMMED): /proc/self/exe is the loader, which would take the options as its own, so no re-exec and libgomp's
# default is kept; a static runner re-executes itself (the default case above)
loader=$(ldd "$SHIMMED" 2>/dev/null | awk '$1 ~ /^\/.*ld-linux/ { print $1 }')
if shimmed_missing "ld.so runner"; then
    :
elif [ -z "$loader" ]; then
    skip "ld.so runner" "no loader in ldd's list for $SHIMMED"
elif ldd "$SHIMMED" | grep -q libasan; then
    # LeakSanitizer reports the loader's own dlopen allocation (56 bytes, elf/dl-deps.c) when it runs as the program
    skip "ld.so runner" "$SHIMMED is built with AddressSanitizer, which counts the loader's own allocation as a leak"
else
    rm -rf "$tmp/results" "$tmp/seen"
    capture env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT PATH="$tmp/bin:$PATH" WAIT_SEEN="$tmp/seen" "$loader" \
        "$SHIMMED" --quiet --results "$tmp/results" --set train.epochs=1 configs/digits.ini
    got=$(head -1 "$tmp/seen" 2>/dev/null)
    [ "$status" = 0 ] && [ "$got" = "unset|unset" ]
    check "ld.so runner" $? "exit $status, gnuplot saw '$got', want 'unset|unset': $(head -c 300 "$tmp/err")"
fi

# Pinning (src/schedule.c): one run of 2 threads on 2 cores (taskset gives the process two) pins its worker and
# its OpenMP team thread one to each core; with OMP_PROC_BIND set (the user's placement) nothing is pinned. The
# run trains long enough to be watched through /proc/PID/task/*/status, then is stopped.
# pinned_cpus PID: the cores of the tasks allowed a single core, sorted, one line; empty when none.
pinned_cpus() {
    for f in /proc/"$1"/task/*/status; do
        awk '/^Cpus_allowed_list:/ && $2 ~ /^[0-9]+$/ { print $2 }' "$f" 2>/dev/null
    done | sort -n | tr '\n' ' '
}

# pinning NAME WANT ENV...: starts the run under ENV; a pass when, once its team exists (3 tasks or more), the
# single-core tasks are WANT ("C0 C1 " or "" for none).
pinning() {
    name=$1 want=$2
    shift 2
    rm -rf "$tmp/results"
    env "$@" taskset -c "$c0,$c1" "$RUNNER" --quiet --no-plots --results "$tmp/results" --threads 2 \
        --set model.hidden=256-256 --set train.epochs=2000 configs/digits.ini >/dev/null 2>&1 &
    pid=$!
    got="" tasks=0 i=0
    while [ $i -lt 500 ] && kill -0 $pid 2>/dev/null; do
        tasks=$(ls /proc/$pid/task 2>/dev/null | wc -l)
        got=$(pinned_cpus $pid)
        [ "$tasks" -ge 3 ] && [ -n "$want" ] && [ "$got" = "$want" ] && break
        [ "$tasks" -ge 3 ] && [ -z "$want" ] && [ $i -ge 50 ] && break  # the team has trained a while: no pin came
        sleep 0.01
        i=$((i + 1))
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ "$tasks" -ge 3 ] && [ "$got" = "$want" ]; then pass
    else fail "$name" "$tasks tasks, single-core tasks on '$got', want '$want'"; fi
}

cpus=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //')
c0=$(awk -v l="$cpus" 'BEGIN { n = split(l, r, ","); for (i = 1; i <= n; i++) { split(r[i], a, "-");
    for (c = a[1]; c <= (a[2] == "" ? a[1] : a[2]); c++) print c } }' | head -2 | tr '\n' ' ')
c1=${c0#* } c1=${c1% } c0=${c0%% *}
if [ -n "$c1" ] && [ -d /proc/$$/task ]; then
    pinning pinned "$c0 $c1 "
    pinning proc-bind "" OMP_PROC_BIND=false
else
    skip pinning "fewer than 2 cores, taskset or /proc missing"
fi
finish
