#!/bin/sh
# Preemption (issue #10): in-run checkpoints. A sweep of four long runs (momentum and Adam, each with and without
# early stopping, all on a step schedule) killed mid-run goes on from the runs' last checkpoints and ends bitwise
# equal to an uninterrupted sweep: every weights.h5 (cmp), every curve.dat without its seconds column, every
# result.tsv and summary.tsv without their timing columns. Cases: SIGKILL then resume ("resuming RUN from epoch
# N", N > 0, with another train.checkpoint_every, which is not part of the identity); SIGTERM writes a checkpoint
# of every run in flight and exits 143; a flipped byte, a file that is no checkpoint and another run's checkpoint
# are each ignored with one warning line (the run starts from epoch 0); --force discards checkpoints; no
# checkpoint is left once the runs are committed.
# Run from the repo root: RUNNER=./build/runner sh tests/preempt_test.sh. Ends with "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner preempt_test "build it with make runner, or set RUNNER"
make_tmp

# about a second for the sweep on this 2-core machine (0.36 s at 800 epochs once training got faster: a faster CI
# machine finished it before the SIGTERM below came); PREEMPT_EPOCHS changes it, the schedule's step and the
# patience in proportion
epochs=${PREEMPT_EPOCHS:-2400}
cat >"$tmp/sweep.ini" <<INI
[experiment]
name = preempt
seeds = 1
threads = 1
[data]
file = data/digits.h5
scale = 0.0625
[model]
hidden = 32
[train]
epochs = $epochs
learning_rate = 0.01
schedule = step
step_every = $((epochs * 3 / 8))
step_factor = 0.5
checkpoint_every = 0.1
[sweep]
train.optimizer = momentum, adam
train.early_stopping = 0, $((epochs / 2))
INI
runs="optimizer=momentum_early_stopping=0_seed=1 optimizer=momentum_early_stopping=$((epochs / 2))_seed=1
optimizer=adam_early_stopping=0_seed=1 optimizer=adam_early_stopping=$((epochs / 2))_seed=1"

# train ROOT [ARGS...]: the sweep under $tmp/ROOT in the foreground, stderr in $tmp/err, status in $status
train() {
    root=$1
    shift
    capture "$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/$root" "$@" "$ini"
}

# the experiment the helpers below look at, its config and its run ids (the target run's, at the end)
exp=preempt
ini=$tmp/sweep.ini

# checkpoints ROOT: the number of in-run checkpoints in ROOT's runs folder (not the temporaries of their writes)
checkpoints() { find "$tmp/$1/$exp/runs" -name '.ckpt-*' ! -name '*.runner-tmp-*' 2>/dev/null | wc -l; }

# interrupt ROOT SIGNAL [ARGS...]: starts the sweep under ROOT and sends SIGNAL as soon as a checkpoint exists (a
# run is past its first epochs, and the others in flight too); the runner's status in $status
interrupt() {
    root=$1
    sig=$2
    shift 2
    "$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/$root" "$@" "$ini" 2>/dev/null &
    pid=$!
    i=0
    while [ "$(checkpoints "$root")" = 0 ] && [ $i -lt 500 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    kill "-$sig" "$pid" 2>/dev/null
    status=0
    wait "$pid" 2>/dev/null || status=$?
}

# same ROOT: 0 when every run of ROOT equals the uninterrupted one, else prints what differs
same() {
    bad=0
    for r in $runs; do
        a=$tmp/ref/$exp/runs/$r
        b=$tmp/$1/$exp/runs/$r
        cmp -s "$a/weights.h5" "$b/weights.h5" || { echo "$1: $r: weights.h5 differs"; bad=1; }
        awk '{ $6 = ""; print }' "$a/curve.dat" >"$tmp/ca"
        awk '{ $6 = ""; print }' "$b/curve.dat" >"$tmp/cb" 2>/dev/null
        cmp -s "$tmp/ca" "$tmp/cb" || { echo "$1: $r: curve.dat differs"; bad=1; }
        strip "$a/result.tsv" >"$tmp/ra"
        strip "$b/result.tsv" >"$tmp/rb" 2>/dev/null
        cmp -s "$tmp/ra" "$tmp/rb" || { echo "$1: $r: result.tsv differs"; bad=1; }
    done
    strip "$tmp/ref/$exp/summary.tsv" >"$tmp/sa"
    strip "$tmp/$1/$exp/summary.tsv" >"$tmp/sb" 2>/dev/null
    cmp -s "$tmp/sa" "$tmp/sb" || { echo "$1: summary.tsv differs"; bad=1; }
    [ "$(find "$tmp/$1/$exp/runs" -name '.*' | wc -l)" = 0 ] ||
        { echo "$1: in-run checkpoints or temporaries left after the runs committed"; bad=1; }
    return $bad
}

# the uninterrupted sweep, without checkpoints; its wall time in ms (GNU date) sets when the SIGTERM below comes
t0=$(date +%s%N)
train ref --quiet --set train.checkpoint_every=0
ref_ms=$((($(date +%s%N) - t0) / 1000000))
check "uninterrupted sweep" "$status" "$(cat "$tmp/err")"
[ "$(checkpoints ref)" = 0 ]
check "train.checkpoint_every = 0 writes no checkpoint" $?

# SIGKILL mid-run, then resume with another checkpoint_every (not part of the experiment's identity)
interrupt killed KILL
n=$(checkpoints killed)
[ "$n" -gt 0 ] && [ "$(find "$tmp/killed/preempt/runs" -name 'optimizer=*' | wc -l)" -lt 4 ]
check "SIGKILL landed mid-run, after a checkpoint" $? "$n checkpoints"
train killed --set train.checkpoint_every=0.5
check "resume after SIGKILL with another train.checkpoint_every" "$status" "$(cat "$tmp/err")"
grep -Eq "^resuming optimizer=[a-z]+_early_stopping=[0-9]+_seed=1 from epoch [1-9][0-9]*" "$tmp/err"
check "the resumed run says 'resuming RUN from epoch N' with N > 0" $? "$(cat "$tmp/err")"
same killed
check "SIGKILLed and resumed sweep equals the uninterrupted one" $?
train killed --set train.checkpoint_every=7
[ "$status" = 0 ] && grep -q "0 runs to train, 4 already done" "$tmp/err"
check "a finished sweep with another train.checkpoint_every trains nothing" $? "$(cat "$tmp/err")"

# SIGTERM checkpoints every run in flight (mid-epoch) and exits 143. No periodic checkpoint may exist first
# (checkpoint_every 1000 s): the signal is sent once the runner holds the experiment and has trained for a third
# of the uninterrupted sweep's time (at least 0.1 s), so that the runs are in flight on a machine of any speed.
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/term" --set train.checkpoint_every=1000 "$ini" \
    2>/dev/null &
pid=$!
i=0
while ! ls -a "$tmp/term/$exp" 2>/dev/null | grep -q '^\.holder-' && [ $i -lt 1500 ]; do
    sleep 0.02
    i=$((i + 1))
done
wait_ms=$((ref_ms / 3 > 100 ? ref_ms / 3 : 100))
sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
kill -TERM "$pid" 2>/dev/null
status=0
wait "$pid" 2>/dev/null || status=$?
check "SIGTERM exits 143" $((status != 143)) "status $status"
n=$(checkpoints term)
[ "$n" -ge 1 ] && [ "$((n + $(find "$tmp/term/preempt/runs" -name 'optimizer=*' | wc -l)))" -le 4 ]
check "SIGTERM left a checkpoint of the runs in flight" $? "$n checkpoints (signal $wait_ms ms after the hold; the sweep alone took $ref_ms ms)"
train term
# (mid-epoch; or at an epoch's start when the signal came while the runs' fused group was between two epochs)
[ "$status" = 0 ] && [ "$(grep -c '^resuming ' "$tmp/err")" = "$n" ]
check "every run SIGTERM stopped resumes" $? "$(cat "$tmp/err")"
same term
check "SIGTERMed and resumed sweep equals the uninterrupted one" $?

# damaged checkpoints are never trusted: one warning line each, the run starts from epoch 0. Of the runs the
# kill left uncommitted, the first with a checkpoint gets a flipped byte, the next one a copy of that checkpoint
# (another run's) and the one after a file that is no checkpoint.
interrupt bad KILL
dir=$tmp/bad/preempt/runs
victim=""
others=""
for r in $runs; do
    if [ -z "$victim" ] && [ -f "$dir/.ckpt-$r" ] && [ ! -d "$dir/$r" ]; then victim=$r
    elif [ ! -d "$dir/$r" ]; then others="$others $r"
    fi
done
# shellcheck disable=SC2086 # $others is a list of run ids
set -- $others
if [ -n "$victim" ] && [ "$#" -ge 1 ]; then
    cp "$dir/.ckpt-$victim" "$dir/.ckpt-$1"
    [ "$#" -ge 2 ] && echo "not a checkpoint" >"$dir/.ckpt-$2"
    nbad=$(( $# >= 2 ? 3 : 2 ))
    size=$(wc -c <"$dir/.ckpt-$victim")
    byte=$(od -An -tu1 -j $((size / 2)) -N1 "$dir/.ckpt-$victim" | tr -d ' ')
    printf '%b' "\\0$(printf '%03o' $((255 - byte)))" | dd of="$dir/.ckpt-$victim" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    train bad
    [ "$status" = 0 ] &&
        grep -q "^warning: .*/\.ckpt-$victim: damaged (checksum mismatch); ignored, the run starts from epoch 0$" "$tmp/err"
    check "a flipped byte is ignored with a warning" $? "$(cat "$tmp/err")"
    grep -q "^warning: .*/\.ckpt-$1: written for another config, data or model; ignored" "$tmp/err"
    check "another run's checkpoint is ignored with a warning" $? "$(cat "$tmp/err")"
    if [ "$#" -ge 2 ]; then
        grep -q "^warning: .*/\.ckpt-$2: too short for an in-run checkpoint; ignored" "$tmp/err"
        check "a file that is no checkpoint is ignored with a warning" $? "$(cat "$tmp/err")"
    else
        skip "a file that is no checkpoint" "the kill left too few runs uncommitted"
    fi
    [ "$(grep -c '^warning:' "$tmp/err")" = "$nbad" ] && ! grep -q "^resuming $victim \|^resuming $1 " "$tmp/err"
    check "one warning line per bad checkpoint, and none of those runs resumes" $? "$(cat "$tmp/err")"
    same bad
    check "a sweep with bad checkpoints still ends equal" $?
else
    fail "checkpoints to damage" "the kill left no checkpoint, or one uncommitted run only"
fi

# --force discards checkpoints: no run resumes
interrupt force KILL
[ "$(checkpoints force)" -gt 0 ]
check "checkpoints before --force" $?
train force --force
[ "$status" = 0 ] && ! grep -q "^resuming" "$tmp/err"
check "--force discards the checkpoints" $? "$(cat "$tmp/err")"
same force
check "the sweep --force retrained equals the uninterrupted one" $?

# a run with a target it stops at, checked every 7 steps, and the noise scale: SIGKILLed mid-run as a shard (the
# shared lock) and restarted, it resumes its own checkpoint and ends equal, steps, examples, the *_to_target
# numbers and b_simple included; --collect (alone) then writes the tables and leaves no checkpoint
cat >"$tmp/target.ini" <<INI
[experiment]
name = target
seeds = 1
threads = 1
[data]
file = data/digits.h5
scale = 0.0625
[model]
hidden = 32
[train]
optimizer = momentum
epochs = 800
learning_rate = 0.01
checkpoint_every = 0.1
target_accuracy = 0.955
stop_at_target = true
eval_every_steps = 7
noise_scale = true
INI
exp=target
ini=$tmp/target.ini
runs=seed=1
train ref --quiet --set train.checkpoint_every=0
check "uninterrupted run with a target" "$status" "$(cat "$tmp/err")"
steps=$(col "$tmp/ref/target/runs/seed=1/result.tsv" steps_to_target)
[ -n "$steps" ] && [ "$(col "$tmp/ref/target/runs/seed=1/result.tsv" epochs_done)" -lt 800 ]
check "the run stops at its target" $? "steps_to_target '$steps'"
interrupt shard KILL --shard 0/1
[ "$(checkpoints shard)" -gt 0 ] && [ ! -d "$tmp/shard/target/runs/seed=1" ]
check "SIGKILL landed mid-run of the shard, after a checkpoint" $?
train shard --shard 0/1
[ "$status" = 0 ] && grep -q "^resuming seed=1 from epoch [1-9]" "$tmp/err"
check "the shard started again resumes its run" $? "$(cat "$tmp/err")"
train shard --collect --quiet
check "--collect after the shard" "$status" "$(cat "$tmp/err")"
same shard
check "a run with a target and the noise scale, SIGKILLed and resumed, equals the uninterrupted one" $?

finish preempt_test
