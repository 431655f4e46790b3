#!/bin/sh
# Scale-out (issue 10): --shard I/N|auto, --collect, --status, --dry-run, and sweeps across processes that share
# an experiment: three shards with one SIGKILLed and started again, a real `mpirun --oversubscribe -np 3`, and a
# real single-node Slurm (munged, slurmctld, slurmd started here with a private key, socket, ports and state
# folder) running an array sweep with one task requeued mid-run and a dependent collect job. Each ends equal to
# one process: summary.tsv without its timing columns, every curve.dat without its seconds column, every
# weights.h5 by h5diff. What needs packages (experiments/deps.sh cluster) says "SKIP: reason" when they are not
# installed. Run from the repo root: RUNNER=./build/runner sh tests/cluster_test.sh. Ends "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner cluster_test "make runner builds one"
make_tmp
RUNNER=$(cd "$(dirname "$RUNNER")" && pwd)/$(basename "$RUNNER")
repo=$(pwd)
daemons=""
# every daemon stopped by its PID, then waited for (an orphan slurmstepd would keep its job's files open)
tmp_cleanup='for p in $daemons; do kill "$p" 2>/dev/null; done; for p in $daemons; do wait "$p" 2>/dev/null; done'

# 24 runs of 8 each for 3 shards, each run long enough (0.1 s here at 1000 epochs) to be killed mid-run: at 300
# epochs (0.03 s) a shard's last 7 runs took 0.2 s, a thin margin for the requeue below on a faster machine
cat >"$tmp/c.ini" <<EOF
[experiment]
name = c
seeds = 1, 2, 3, 4
threads = 1
[data]
file = $repo/data/digits.h5
scale = 0.0625
[train]
epochs = ${CLUSTER_EPOCHS:-1000}
batch_size = 16
[sweep]
train.learning_rate = 0.03, 0.1, 0.3
model.hidden = 16, 32
EOF
run() { "$RUNNER" --quiet --no-plots "$@" "$tmp/c.ini"; }
R="$RUNNER --quiet --no-plots" # for a runner in the background, whose PID $! must be the runner's

# same_results A B: experiment folders A and B hold the same runs with the same numbers
same_results() {
    [ "$(ls "$1/runs" | wc -l)" = "$(ls "$2/runs" | wc -l)" ] || { echo "run counts differ"; return 1; }
    strip "$1/summary.tsv" >"$tmp/sa" && strip "$2/summary.tsv" >"$tmp/sb" && cmp -s "$tmp/sa" "$tmp/sb" ||
        { echo "summary.tsv differs"; return 1; }
    for d in "$2"/runs/*/; do
        n=$(basename "$d")
        awk '{NF = 5; print}' "$1/runs/$n/curve.dat" >"$tmp/ca" 2>/dev/null
        awk '{NF = 5; print}' "$d/curve.dat" >"$tmp/cb"
        cmp -s "$tmp/ca" "$tmp/cb" || { echo "$n: curve.dat differs"; return 1; }
        h5diff -q "$1/runs/$n/weights.h5" "$d/weights.h5" >/dev/null 2>&1 || { echo "$n: weights.h5 differ"; return 1; }
    done
}

# ---- bad input: exit 2, one line, nothing written ---------------------------------------------------------
for s in 3/3 -1/2 1/0 x 1/ /2 1/2/3 "0/+2" " 0/2" 0/1000001 ""; do
    "$RUNNER" --shard "$s" --results "$tmp/bad" "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -e "$tmp/bad" ] && [ ! -s "$tmp/out" ]
    check "--shard '$s': exit 2, one line, nothing written" $? "rc $rc: $(cat "$tmp/err")"
done
for vars in "SLURM_ARRAY_TASK_ID=1" "SLURM_ARRAY_TASK_COUNT=3" "SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3" \
    "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_COUNT=3" "SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=3" \
    "SLURM_PROCID=2 SLURM_NTASKS=2" "SLURM_NTASKS=2" "OMPI_COMM_WORLD_RANK=0" "OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=0" \
    "OMPI_COMM_WORLD_RANK=3 OMPI_COMM_WORLD_SIZE=3 SLURM_PROCID=0 SLURM_NTASKS=3" "SLURM_PROCID=0 SLURM_NTASKS=2" \
    "SLURM_PROCID=0 SLURM_NTASKS=2 SLURM_STEP_ID=4294967294"; do
    env $vars "$RUNNER" --shard auto --results "$tmp/bad" "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -e "$tmp/bad" ]
    check "--shard auto with $vars: exit 2, one line" $? "rc $rc: $(cat "$tmp/err")"
done
env SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 SLURM_PROCID=0 SLURM_NTASKS=1 \
    "$RUNNER" --shard auto --dry-run "$tmp/c.ini" >"$tmp/out" 2>&1 && grep -q "24 runs, 3 shards" "$tmp/out" &&
    [ "$(grep -c '^# shard' "$tmp/out")" = 3 ] &&
    grep -qx "# this process: shard 1/3 (from SLURM_ARRAY_TASK_ID)" "$tmp/out"
check "--shard auto: a Slurm array task (ID minus MIN of COUNT) before SLURM_PROCID" $?
# SLURM_PROCID of several tasks outside a task step is the batch script's own (sbatch -n 2 without srun): refused
# above; inside an srun step (SLURM_STEP_ID a step's number) it is the task's
env SLURM_PROCID=0 SLURM_NTASKS=2 "$RUNNER" --shard auto --dry-run "$tmp/c.ini" 2>&1 |
    grep -q "SLURM_PROCID=0 of SLURM_NTASKS=2 belongs to the batch script itself (SLURM_STEP_ID unset), which runs once: the other 1 shard would never run; start the tasks with srun" &&
    env SLURM_PROCID=1 SLURM_NTASKS=2 SLURM_STEP_ID=0 "$RUNNER" --shard auto --dry-run "$tmp/c.ini" 2>&1 |
    grep -qx "# this process: shard 1/2 (from SLURM_PROCID)"
check "--shard auto: SLURM_PROCID counts inside an srun step only" $?
env SLURM_ARRAY_TASK_ID=14 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=3 \
    "$RUNNER" --shard auto --dry-run "$tmp/c.ini" >"$tmp/out" 2>&1 &&
    grep -qx "# this process: shard 2/3 (from SLURM_ARRAY_TASK_ID)" "$tmp/out"
check "--shard auto: a stepped array (--array=10-14:2): task 14 is shard 2 of 3" $? "$(cat "$tmp/out")"
for id in 13 16; do
    env SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=3 \
        "$RUNNER" --shard auto --dry-run "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && grep -qx "runner: --shard auto: SLURM_ARRAY_TASK_ID=$id is not one of SLURM_ARRAY_TASK_COUNT=3 tasks \
from SLURM_ARRAY_TASK_MIN=10 in steps of 2 (submit a range: --array=0-2)" "$tmp/err"
    check "--shard auto: task $id outside a stepped array: exit 2, says how to submit" $? "rc $rc: $(cat "$tmp/err")"
done
# an index list (--array=1,3,7): MAX is not MIN + STEP (COUNT - 1), so no task can know its shard
for step in "" "SLURM_ARRAY_TASK_STEP=1" "SLURM_ARRAY_TASK_STEP=2"; do
    env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=7 SLURM_ARRAY_TASK_COUNT=3 $step \
        "$RUNNER" --shard auto --dry-run "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q "runner: --shard auto: a job array of SLURM_ARRAY_TASK_COUNT=3 tasks \
from SLURM_ARRAY_TASK_MIN=1 to SLURM_ARRAY_TASK_MAX=7 is not a range in steps of [12] (submit a range: --array=0-2)" "$tmp/err"
    check "--shard auto: an index-list array (1,3,7; ${step:-no step}) is refused in every task" $? "rc $rc: $(cat "$tmp/err")"
done
env SLURM_ARRAY_TASK_ID=14 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_MAX=14 SLURM_ARRAY_TASK_STEP=2 \
    SLURM_ARRAY_TASK_COUNT=3 "$RUNNER" --shard auto --dry-run "$tmp/c.ini" 2>&1 | grep -qx "# this process: shard 2/3 (from SLURM_ARRAY_TASK_ID)"
check "--shard auto: a stepped array with its MAX" $?
env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2000000 "$RUNNER" --shard auto --dry-run "$tmp/c.ini" 2>"$tmp/err"
grep -qx "runner: --shard auto: OMPI_COMM_WORLD_SIZE=2000000 is more than 1000000" "$tmp/err"
check "--shard auto: a count past the limit says so (not 'not a whole number')" $? "$(cat "$tmp/err")"
for s in 3/3 -1/2 1/0 x; do
    printf 'shard %s: ' "$s"
    "$RUNNER" --shard "$s" "$tmp/c.ini" 2>&1
done >"$tmp/msgs"
grep -q "^shard 3/3: runner: --shard 3/3: expected I/N with 0 <= I < N" "$tmp/msgs" &&
    grep -q "^shard x: runner: --shard x: expected I/N (0 <= I < N) or auto" "$tmp/msgs"
check "--shard messages name the text and what is allowed" $? "$(cat "$tmp/msgs")"
"$RUNNER" --collect --results "$tmp/none" "$tmp/c.ini" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q "no such experiment" "$tmp/err" && [ ! -e "$tmp/none/c" ]
check "--collect of an experiment that does not exist: exit 2, nothing written" $? "rc $rc"
"$RUNNER" --status --results "$tmp/none" "$tmp/c.ini" 2>/dev/null
check "--status of an experiment that does not exist: exit 2" $(($? != 2))
"$RUNNER" --collect --shard 0/2 "$tmp/c.ini" 2>/dev/null
check "--collect with --shard is a usage error" $(($? != 2))

# ---- ownership: a fixed function of the plan, every run once, balanced ----------------------------------------
"$RUNNER" --dry-run --shard 0/3 --results "$tmp/dry" "$tmp/c.ini" >"$tmp/plan3" 2>&1
rc=$?
[ $rc = 0 ] && [ ! -e "$tmp/dry" ] && [ "$(grep -vc '^#' "$tmp/plan3")" = 24 ] &&
    [ "$(grep -v '^#' "$tmp/plan3" | cut -f2 | sort | uniq -c | awk '{print $1}' | sort -u)" = 8 ]
check "--dry-run lists every run once with its shard, 8 runs each, and writes nothing" $? "rc $rc"

# ---- one process: the reference --------------------------------------------------------------------------
run --results "$tmp/single" || echo "FAIL the reference run"

# ---- three shards, one killed by SIGKILL mid-run and started again ----------------------------------------
own1=$(grep -v '^#' "$tmp/plan3" | awk -F'\t' '$2 == 1 {print $4}')
committed1() { n=0; for id in $own1; do [ -d "$tmp/k/c/runs/$id" ] && n=$((n + 1)); done; echo $n; }
$R --results "$tmp/k" --shard 0/3 "$tmp/c.ini" &
p0=$!
$R --results "$tmp/k" --shard 2/3 "$tmp/c.ini" &
p2=$!
# one run at a time (scheduling is no part of the identity), so shard 1 is still training when killed
$R --results "$tmp/k" --shard 1/3 --set experiment.parallel_runs=1 "$tmp/c.ini" &
p1=$!
echo "$own1" >"$tmp/own1"
# (up to 2 minutes: a sanitized build trains its first run slowly)
timeout 120 sh -c "until ls '$tmp/k/c/runs' 2>/dev/null | grep -qxFf '$tmp/own1'; do sleep 0.02; done"
kill -KILL $p1
wait $p1 2>/dev/null
k1=$(committed1)
wait $p0 && wait $p2
check "two shards beside each other finish" $?
[ "$k1" -gt 0 ] && [ "$k1" -lt 8 ]
check "shard 1 was killed mid-sweep" $? "$k1 of its 8 runs committed"
"$RUNNER" --status --results "$tmp/k" "$tmp/c.ini" >"$tmp/status" 2>&1
grep -q "shard 1/3: $k1/8 runs committed$" "$tmp/status" && grep -q "shard 0/3: 8/8 runs committed (done)" "$tmp/status"
check "--status counts committed runs per shard (N as the shards recorded it)" $? "$(cat "$tmp/status")"
"$RUNNER" --status --results "$tmp/k" --set train.epochs=7 "$tmp/c.ini" >"$tmp/status" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "different configuration (train.epochs: .* -> 7)" "$tmp/status" && ! grep -q damaged "$tmp/status"
check "--status of a changed config is refused as a run would be (exit 2), not counted as damaged runs" $? \
    "rc $rc: $(cat "$tmp/status")"
"$RUNNER" --collect --no-plots --results "$tmp/k" --set train.epochs=7 "$tmp/c.ini" >"$tmp/status" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "give the configuration they were trained with" "$tmp/status" && ! grep -q -- "--force" "$tmp/status"
check "--collect of a changed config: exit 2, asking for the trained config (it takes no --force)" $? \
    "rc $rc: $(cat "$tmp/status")"
run --results "$tmp/k" --collect 2>"$tmp/err"
rc=$?
[ $rc = 6 ] && grep -q "incomplete: $((8 - k1)) of 24 runs missing or damaged .*owned by shard 1/3 (" "$tmp/err" &&
    [ -f "$tmp/k/c/summary.tsv" ]
check "--collect of an incomplete sweep exits 6 naming the shard" $? "rc $rc: $(tail -1 "$tmp/err")"
run --results "$tmp/k" --shard 1/3 --set train.epochs=7 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q "train.epochs\|epochs = 7" "$tmp/err"
check "a shard with another config is refused naming the key" $? "rc $rc: $(cat "$tmp/err")"
run --results "$tmp/k" --shard 1/3 2>"$tmp/err"
check "the killed shard, started again, finishes" $? "$(cat "$tmp/err")"
run --results "$tmp/k" --collect
check "--collect of the complete sweep exits 0" $?
[ -f "$tmp/k/c/report.md" ] && [ -f "$tmp/k/c/results.h5" ] && msg=$(same_results "$tmp/single/c" "$tmp/k/c")
check "three shards, one killed and restarted, equal one process" $? "$msg"
[ -z "$(ls -a "$tmp/k/c/runs" | grep '^\.tmp-\|^\.old-')" ] && [ -z "$(ls -a "$tmp/k/c" | grep '^\.holder-')" ]
check "no temporary run folder or holder file is left" $?

# ---- --collect before any run is committed: its report says the machine is not known yet ------------------
run --results "$tmp/nocommit" --shard 1/2 --set experiment.seeds=1 --set sweep.model.hidden=16 \
    --set sweep.train.learning_rate=0.1 --set train.epochs=1 2>/dev/null
run --results "$tmp/nocommit" --collect --set experiment.seeds=1 --set sweep.model.hidden=16 \
    --set sweep.train.learning_rate=0.1 --set train.epochs=1 2>/dev/null
rc=$?
[ $rc = 6 ] && grep -q '^- \*\*Machine, build:\*\* not known yet (no run is committed' "$tmp/nocommit/c/report.md" &&
    ! grep -q 'manifest of run `none`' "$tmp/nocommit/c/report.md" &&
    grep -q 'Machine, build:</b> not known yet' "$tmp/nocommit/c/report.html" &&
    ! grep -q 'unknown logical CPUs' "$tmp/nocommit/c/report.html"
check "a report of no committed run names no manifest (report.md and report.html)" $? "rc $rc"

# ---- threads: SLURM_CPUS_PER_TASK when experiment.threads is 0 --------------------------------------------
SLURM_CPUS_PER_TASK=1 "$RUNNER" --no-plots --results "$tmp/cpus" --shard 0/3 --set experiment.threads=0 \
    --set train.epochs=1 "$tmp/c.ini" 2>&1 | grep -q "1 side by side x 1 thread each (auto: .* on 1 core)"
check "a shard's threads honour SLURM_CPUS_PER_TASK" $?
SLURM_CPUS_PER_TASK=1 "$RUNNER" --no-plots --results "$tmp/cpus1" --shard 0/3 --set experiment.threads=1 \
    --set train.epochs=1 "$tmp/c.ini" 2>&1 | grep -q "1 side by side x 1 thread each (auto: 1 core / 1 thread"
check "with threads given, the runs side by side share SLURM_CPUS_PER_TASK" $?
SLURM_CPUS_PER_TASK=abc "$RUNNER" --no-plots --results "$tmp/cpus2" --shard 0/3 "$tmp/c.ini" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && [ "$(cat "$tmp/err")" = "runner: SLURM_CPUS_PER_TASK=abc: expected the task's cores, a whole number from 1" ] &&
    [ ! -e "$tmp/cpus2" ]
check "a malformed SLURM_CPUS_PER_TASK is exit 2 with one line, nothing written" $? "rc $rc: $(cat "$tmp/err")"

# submit.sh's default cores per task: 4, or the most any node has (sinfo) where that is fewer, so that an array
# never waits for a node that does not exist. Stand-in sinfo and sbatch record what it would submit.
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\nprintf "%%b\\n" "$FAKE_CPUS"\n' >"$tmp/fakebin/sinfo"
printf '#!/bin/sh\necho "$*" >>"$FAKE_LOG"\necho 42\n' >"$tmp/fakebin/sbatch"
chmod +x "$tmp/fakebin/sinfo" "$tmp/fakebin/sbatch"
for case in "2 2" "2\\n32 4" "1\\n3 3" "4 4" "x 4"; do
    node=${case% *} want=${case#* }
    : >"$tmp/fake.log"
    env -u CPUS PATH="$tmp/fakebin:$PATH" FAKE_CPUS=$node FAKE_LOG="$tmp/fake.log" sh experiments/slurm/submit.sh 3 \
        "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    grep -q -- "--array=0-2 --cpus-per-task=$want " "$tmp/fake.log" && [ "$(cat "$tmp/out")" = "42 42" ] &&
        { [ "$want" = 4 ] || grep -q "CPUS=$want a task: no node has more" "$tmp/err"; }
    check "submit.sh: nodes of $node CPUs (sinfo): --cpus-per-task=$want" $? "$(cat "$tmp/fake.log" "$tmp/err")"
done

# submit.sh submits nothing for what would fail in every task: its own options among the runner's, N at the
# cluster's MaxArraySize (a stand-in scontrol), a config the runner refuses (its line shown), a RUNNER that is
# not a program; a LOGS folder that does not exist is made (Slurm cannot open a log there: every task failed)
printf '#!/bin/sh\necho "MaxArraySize            = 4"\n' >"$tmp/fakebin/scontrol"
chmod +x "$tmp/fakebin/scontrol"
for case in "3|--shard 0/2|--shard: not a runner option here" "3|--collect|--collect: not a runner option here" \
    "3|--help|--help: not a runner option here" "3|--vers|--vers: not a runner option here" \
    "3|--dry|--dry: not a runner option here" "08||N must be a positive integer (no leading zero)" \
    "5||N = 5: this cluster's MaxArraySize is 4 (task indices up to 3), so N is at most 4" \
    "3|--set train.epochs=0|nothing submitted: .*--dry-run --shard 0/3 ... exited 2" \
    "3|RUNNER=/nonexistent/runner|RUNNER=/nonexistent/runner is not a program"; do
    n=${case%%|*} rest=${case#*|} args=${rest%%|*} want=${rest#*|}
    : >"$tmp/fake.log"
    case "$args" in RUNNER=*) runner=${args#RUNNER=} args= ;; *) runner=$RUNNER ;; esac
    # shellcheck disable=SC2086 # args: words
    PATH="$tmp/fakebin:$PATH" FAKE_CPUS=4 FAKE_LOG="$tmp/fake.log" RUNNER=$runner sh experiments/slurm/submit.sh "$n" \
        $args "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$tmp/fake.log" ] && [ ! -s "$tmp/out" ] && grep -q -- "$want" "$tmp/err"
    check "submit.sh refuses ${args:-N=$n}${runner%%./runner} before submitting (exit 2)" $? "rc $rc: $(cat "$tmp/err" "$tmp/fake.log")"
done
: >"$tmp/fake.log"
PATH="$tmp/fakebin:$PATH" FAKE_CPUS=4 FAKE_LOG="$tmp/fake.log" LOGS="$tmp/new/logs" sh experiments/slurm/submit.sh 3 \
    "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
[ -d "$tmp/new/logs" ] && grep -q -- "--output=$tmp/new/logs/runner-sweep-" "$tmp/fake.log" && [ "$(cat "$tmp/out")" = "42 42" ]
check "submit.sh makes the LOGS folder" $? "$(cat "$tmp/err" "$tmp/fake.log")"
# N = MaxArraySize fits (indices 0 to N - 1); data the submitting host cannot read (only on the compute nodes) is
# said and submitted anyway, as with CHECK=0, which skips the check
for case in "4||" "3|--set data.file=/nonexistent/digits.h5|the check could not run here (" "3|CHECK=0|"; do
    n=${case%%|*} rest=${case#*|} args=${rest%%|*} want=${rest#*|}
    : >"$tmp/fake.log"
    check=1
    case "$args" in CHECK=0) check=0 args= ;; esac
    # shellcheck disable=SC2086 # args: words
    PATH="$tmp/fakebin:$PATH" FAKE_CPUS=4 FAKE_LOG="$tmp/fake.log" CHECK=$check sh experiments/slurm/submit.sh "$n" \
        $args "$tmp/c.ini" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 0 ] && grep -q -- "--array=0-$((n - 1)) " "$tmp/fake.log" && [ "$(cat "$tmp/out")" = "42 42" ] &&
        { [ -z "$want" ] || grep -q -- "$want" "$tmp/err"; }
    check "submit.sh submits N=$n ${args:-CHECK=$check}" $? "rc $rc: $(cat "$tmp/err" "$tmp/fake.log")"
done
printf '#!/bin/sh\necho "MaxArraySize            = 0"\n' >"$tmp/fakebin/scontrol"
: >"$tmp/fake.log"
PATH="$tmp/fakebin:$PATH" FAKE_LOG="$tmp/fake.log" sh experiments/slurm/submit.sh 2 "$tmp/c.ini" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && [ ! -s "$tmp/fake.log" ] && grep -q "job arrays turned off (MaxArraySize = 0)" "$tmp/err"
check "submit.sh on a cluster without job arrays: exit 2, nothing submitted" $? "$(cat "$tmp/err")"
rm "$tmp/fakebin/scontrol"

# ---- locks: shards share, a plain run or --collect is alone -----------------------------------------------
run --results "$tmp/l" --shard 0/2 --force 2>/dev/null
check "--force with --shard is a usage error" $(($? != 2))
$R --results "$tmp/l" --shard 0/2 "$tmp/c.ini" &
pl=$!
timeout 10 sh -c "until ls -a '$tmp/l/c' 2>/dev/null | grep -q '^\.holder-'; do sleep 0.01; done"
# its claim on shard 0/2 follows the shared lock: wait until /proc/locks lists it (a probe with flock(1) would
# take the lock for an instant and could make the runner refuse itself)
f=$tmp/l/c/.shard-0-of-2
timeout 10 sh -c "until [ -e '$f' ] && grep -q \":\$(stat -c %i '$f') \" /proc/locks; do sleep 0.01; done"
kill -STOP $pl # holding its shared lock for as long as the checks take, however busy the machine
run --results "$tmp/l" --shard 1/2 2>"$tmp/err"
check "a second shard shares the lock" $? "$(cat "$tmp/err")"
run --results "$tmp/l" --shard 0/2 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q "shard 0/2 is already running in another process (pid $pl@" "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" = 1 ]
check "a second copy of the same shard is refused (exit 2, one line)" $? "rc $rc: $(cat "$tmp/err")"
cp "$tmp/l/c/shards.txt" "$tmp/shards.before"
run --results "$tmp/l" --shard 2/3 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q "shard 0/2 (pid $pl@.*) is running in another process (shards of 2 and of 3 would train the same runs twice)" "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" = 1 ] && cmp -s "$tmp/l/c/shards.txt" "$tmp/shards.before"
check "a shard of another count beside a running shard is refused (exit 2, one line), shards.txt kept" $? \
    "rc $rc: $(cat "$tmp/err")"
# a shard of the same count but other seeds or sweep lists: its runs and their owners differ, so beside the running
# shard it would train some runs twice (at the same time) and leave others to nobody
for change in "experiment.seeds=1, 2, 3, 4, 5|experiment.seeds: 1, 2, 3, 4 -> 1, 2, 3, 4, 5" \
    "sweep.model.hidden=16, 32, 64|sweep.model.hidden: 16, 32 -> 16, 32, 64"; do
    run --results "$tmp/l" --shard 1/2 --set "${change%%|*}" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && grep -q "shard 0/2 (pid $pl@.*) is running in another process with other runs (${change#*|}; " \
        "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] && cmp -s "$tmp/l/c/shards.txt" "$tmp/shards.before"
    check "a shard of other runs (${change%%=*}) beside a running shard is refused (exit 2, one line)" $? \
        "rc $rc: $(cat "$tmp/err")"
done
run --results "$tmp/l" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q "another runner (pid $pl) is working on this experiment" "$tmp/err"
check "a plain run beside a shard is refused, naming the shard's pid" $? "rc $rc: $(cat "$tmp/err")"
run --results "$tmp/l" --collect 2>/dev/null
check "--collect beside a shard is refused" $(($? != 2))
"$RUNNER" --status --results "$tmp/l" "$tmp/c.ini" >/dev/null
check "--status beside a running shard (no lock)" $?
kill -CONT $pl
wait $pl
check "the stopped shard finishes" $?
run --results "$tmp/l" --collect >/dev/null 2>&1
! ls -a "$tmp/l/c" | grep -q '^\.shard-'
check "--collect (alone under the lock) removes the shards' claim files" $?
# a runner that took the exclusive lock an instant ago, before its holder file exists: "another runner", no "pid ?"
hold_lock "$tmp/l/c/.lock" ">"
run --results "$tmp/l" --shard 0/2 2>"$tmp/err"
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[ $rc = 2 ] && grep -q "another runner is working on this experiment alone" "$tmp/err" && ! grep -q "pid ?" "$tmp/err"
check "a lock held without a holder file: 'another runner' without a pid" $? "rc $rc: $(cat "$tmp/err")"
# more shards than runs: a shard past the runs says it owns none, and why
"$RUNNER" --quiet --no-plots --results "$tmp/many" --shard 5/10 --set train.epochs=1 --set "experiment.seeds=1, 2" \
    configs/digits.ini 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/err")" = "digits: warning: shard 5/10 owns no run: 10 shards for 2 runs (shards 2 to 9 \
train nothing)" ]
check "a shard past the sweep's runs warns that it owns none" $? "rc $rc: $(cat "$tmp/err")"
# a plain runner that a launcher started as one of 3 (mpirun without --shard auto): refused beside its sibling,
# with the hint
hold_lock "$tmp/l/c/.lock" ">"
OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=1 run --results "$tmp/l" 2>"$tmp/err"
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
    grep -q "(OMPI_COMM_WORLD_SIZE=3: a launcher started 3 of these runners, each training every run; did you mean \
--shard auto?)$" "$tmp/err"
check "a plain runner started by mpirun, refused beside its sibling, is pointed at --shard auto" $? \
    "rc $rc: $(cat "$tmp/err")"

# ---- mpirun: Open MPI's rank and size, without linking MPI -------------------------------------------------
if command -v mpirun >/dev/null && command -v h5diff >/dev/null; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self OMPI_MCA_plm_rsh_agent=false \
        timeout 300 mpirun --oversubscribe -np 3 "$RUNNER" --quiet --no-plots --results "$tmp/mpi" --shard auto \
        "$tmp/c.ini" >"$tmp/mpi.out" 2>&1
    check "mpirun -np 3 runner --shard auto" $? "$(tail -3 "$tmp/mpi.out")"
    [ "$(cat "$tmp/mpi/c/shards.txt")" = 3 ] && run --results "$tmp/mpi" --collect && msg=$(same_results "$tmp/single/c" "$tmp/mpi/c")
    check "mpirun's 3 shards, collected, equal one process" $? "$msg"
else
    echo "SKIP: mpirun or h5diff not installed (experiments/deps.sh cluster): the Open MPI test"
fi

# ---- Slurm: a single-node cluster of our own ---------------------------------------------------------------
slurm_up() {
    for c in munged slurmctld slurmd sbatch scontrol squeue sinfo setpriv python3 h5diff; do
        command -v $c >/dev/null || { echo "SKIP: $c not installed (experiments/deps.sh cluster): the Slurm test"; return 1; }
    done
    [ "$(id -u)" = 0 ] && id munge >/dev/null 2>&1 || { echo "SKIP: not root, or no munge user: the Slurm test"; return 1; }
    s=$tmp/slurm
    chmod 755 "$tmp"
    mkdir -p "$s/munge" "$s/state" "$s/spool" "$s/log" && chmod 755 "$s"
    chown munge:munge "$s/munge" && chmod 711 "$s/munge"
    dd if=/dev/urandom of="$s/munge/key" bs=1024 count=1 2>/dev/null
    chown munge:munge "$s/munge/key" && chmod 400 "$s/munge/key"
    setpriv --reuid=munge --regid=munge --clear-groups munged -F --socket="$s/munge/sock" --key-file="$s/munge/key" \
        --log-file="$s/munge/log" --pid-file="$s/munge/pid" --seed-file="$s/munge/seed" >"$s/munged.out" 2>&1 &
    daemons="$daemons $!"
    # two free ports: bound by the kernel's choice, then released
    set -- $(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
    host=$(hostname)
    cat >"$s/slurm.conf" <<EOF
ClusterName=runnertest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$1
SlurmdPort=$2
AuthType=auth/munge
AuthInfo=socket=$s/munge/sock
CredType=cred/munge
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/log/slurmctld.log
SlurmdLogFile=$s/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=5
MinJobAge=600
MaxArraySize=1001
NodeName=rtnode NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=rt Nodes=rtnode Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
    SLURM_CONF=$s/slurm.conf
    export SLURM_CONF
    timeout 10 sh -c "until [ -S '$s/munge/sock' ]; do sleep 0.05; done" || { echo "munged did not start"; return 2; }
    slurmctld -D -f "$s/slurm.conf" >"$s/log/slurmctld.out" 2>&1 &
    daemons="$daemons $!"
    slurmd -D -N rtnode -f "$s/slurm.conf" >"$s/log/slurmd.out" 2>&1 &
    daemons="$daemons $!"
    timeout 20 sh -c 'until sinfo -h -N -o %t 2>/dev/null | grep -q idle; do sleep 0.1; done' ||
        { echo "the Slurm node did not become idle"; tail -5 "$s/log/slurmctld.log" "$s/log/slurmd.log"; return 2; }
}
slurm_up
up=$?
[ $up = 2 ] && check "a single-node Slurm starts" 1
if [ $up = 0 ]; then
    ids=$(RUNNER=$RUNNER LOGS=$s/log CPUS=1 sh experiments/slurm/submit.sh 3 --no-plots --results "$tmp/slurm-res" "$tmp/c.ini")
    check "experiments/slurm/submit.sh submits the array and its collect job" $? "$ids"
    set -- $ids
    sweep=$1 collect=$2
    # task 1 requeued once it is training: SIGTERM, then back to pending (Slurm holds a requeued job ~2 minutes:
    # StartTime lets it go again sooner)
    timeout 20 sh -c "until squeue -h -j ${sweep}_1 -o %T 2>/dev/null | grep -q RUNNING; do sleep 0.05; done"
    timeout 20 sh -c "until grep -q '^\[1/' '$s/log/runner-sweep-${sweep}_1.out' 2>/dev/null; do sleep 0.02; done"
    scontrol requeue "${sweep}_1"
    check "scontrol requeue of a running task" $?
    timeout 20 sh -c "until squeue -h -j ${sweep}_1 -o %T 2>/dev/null | grep -q PENDING; do sleep 0.05; done"
    check "the requeued task is pending again" $?
    # not within the second of the requeue: slurmd refuses a job whose new credential is as old as the revocation
    # of its previous one ("Job credential revoked"), which would end the task for good
    sleep 1.2
    scontrol update jobid="${sweep}_1" StartTime=now
    timeout 300 sh -c "while squeue -h -j $sweep,$collect 2>/dev/null | grep -q .; do sleep 0.2; done"
    check "the array and the collect job end" $?
    grep -q "stopped by signal 15" "$s/log/runner-sweep-${sweep}_1.out"
    check "the requeued task was stopped mid-run (SIGTERM) and started again" $? \
        "$(cat "$s/log/runner-sweep-${sweep}_1.out")"
    scontrol show job "$collect" | grep -q "JobState=COMPLETED .*\|ExitCode=0:0"
    check "the dependent collect job exits 0" $? "$(cat "$s/log/runner-collect-$collect.out")"
    msg=$(same_results "$tmp/single/c" "$tmp/slurm-res/c")
    check "the Slurm array, requeue included, equals one process" $? "$msg"
    # a batch script of 2 tasks: --shard auto in the script itself is refused; under srun each task is a shard
    job=$(sbatch --parsable -n 2 -c 1 --output="$s/log/tasks-%j.out" --wrap "$RUNNER --dry-run --shard auto \
        '$tmp/c.ini' >/dev/null; echo rc=\$?; srun $RUNNER --dry-run --shard auto '$tmp/c.ini' | grep 'this process'")
    timeout 60 sh -c "while squeue -h -j $job 2>/dev/null | grep -q .; do sleep 0.2; done"
    out=$s/log/tasks-$job.out
    grep -q "belongs to the batch script itself" "$out" && grep -qx "rc=2" "$out" &&
        grep -qx "# this process: shard 0/2 (from SLURM_PROCID)" "$out" &&
        grep -qx "# this process: shard 1/2 (from SLURM_PROCID)" "$out"
    check "sbatch -n 2: --shard auto refused in the batch script, each srun task a shard" $? "$(cat "$out")"
    [ -n "${KEEP:-}" ] && cp -r "$s/log" "$KEEP"
fi

finish cluster_test
