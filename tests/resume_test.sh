#!/bin/sh
# Crash safety of a sweep: SIGKILL at several points, then resume, must end with exactly the summary of an
# uninterrupted sweep (timing columns aside), every committed run complete, no temporary folder counted. Also:
# a finished sweep run again trains nothing and rewrites no run file; a changed config is refused unless
# --force; a second runner on a locked experiment is refused; SIGINT and SIGTERM stop with 130 and 143.
# Run from the repo root: RUNNER=./build/runner sh tests/resume_test.sh. Ends with "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner resume_test "build it with make runner, or set RUNNER"
make_tmp

# 12 short runs: 4 learning rates x 3 seeds, 0.6 s for the sweep on this 2-core machine; RESUME_EPOCHS changes
# their length. Two side by side on any machine (not part of the identity): the kills below count on waves of
# commits, which 12 runs side by side on 12 or more cores would not have
cat >"$tmp/sweep.ini" <<INI
[experiment]
name = resume
seeds = 1, 2, 3
parallel_runs = 2
[data]
file = data/digits.h5
scale = 0.0625
[model]
hidden = 128
[train]
epochs = ${RESUME_EPOCHS:-150}
[sweep]
train.learning_rate = 0.01, 0.1, 1, 3
INI

"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/ref" "$tmp/sweep.ini"
check "uninterrupted sweep" $?

# kill at several points, each a quarter later than the one before (from 40 ms), until a kill finds runs
# committed (a fixed list of delays let a faster machine finish the sweep between kills, and a sanitized runner
# needs seconds); the runner is started anew after every kill. A life commits only the runs it trains from start
# to end: the first to do so is killed at most a quarter past the time the first runs take, well before the last
# ones (3 groups of runs, 2 side by side).
delay=40
kills=0
while [ "$(ls "$tmp/killed/resume/runs" 2>/dev/null | wc -l)" = 0 ] && [ $kills -lt 40 ]; do
    "$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/killed" "$tmp/sweep.ini" &
    pid=$!
    sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    last=$delay
    delay=$((delay * 5 / 4))
    kills=$((kills + 1))
done
# every committed run is complete; temporary folders are never counted as runs
bad=0
for d in "$tmp/killed/resume/runs/"*; do
    [ -d "$d" ] || continue
    for f in curve.dat result.tsv weights.h5 config.ini manifest.txt confusion.tsv; do
        [ -s "$d/$f" ] || { echo "incomplete committed run: $d (no $f)"; bad=1; }
    done
done
check "committed runs complete after SIGKILL" $bad
committed=$(ls "$tmp/killed/resume/runs" | wc -l)
echo "resume_test: $committed of 12 runs committed when the kills stopped ($kills kills, the last $last ms in)"
[ "$committed" -gt 0 ] && [ "$committed" -lt 12 ]
check "the kills landed mid-sweep, after some runs committed" $?
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/killed" "$tmp/sweep.ini"
check "resume after SIGKILL" $?
strip "$tmp/ref/resume/summary.tsv" >"$tmp/a"
strip "$tmp/killed/resume/summary.tsv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"
check "resumed summary equals uninterrupted summary" $?
[ "$(ls -A "$tmp/killed/resume/runs" | grep -c '^\.')" = 0 ]
check "no temporary folders left after resume" $?

# run again: nothing trained, no run file rewritten
before=$(find "$tmp/killed/resume/runs" -type f -newer "$tmp/b" | wc -l)
sleep 1.1
touch "$tmp/mark"
out=$("$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/killed" "$tmp/sweep.ini" 2>&1)
check "finished sweep run again exits 0" $?
echo "$out" | grep -q "0 runs to train, 12 already done" 
check "finished sweep says it skipped all 12" $?
[ "$(find "$tmp/killed/resume/runs" -type f -newer "$tmp/mark" | wc -l)" = 0 ]
check "finished sweep rewrites no run file" $?

# a damaged run is found by --verify, and a resume retrains only it
first=$(ls "$tmp/killed/resume/runs" | head -n 1)
echo "1 2 3" >"$tmp/killed/resume/runs/$first/curve.dat"
"$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/killed" --verify resume >"$tmp/out" 2>"$tmp/err"
[ $? = 4 ] && grep -q "runs/$first: damaged: curve.dat has no header line" "$tmp/err" &&
    grep -q "12 runs, 11 intact, 1 damaged" "$tmp/out" && ! grep -q "intact" "$tmp/err"
check "--verify names the damaged run and exits 4" $?
out=$("$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/killed" "$tmp/sweep.ini" 2>&1)
echo "$out" | grep -q "1 run to train, 11 already done" && "$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/killed" --verify resume >/dev/null
check "resume retrains only the damaged run" $?
strip "$tmp/killed/resume/summary.tsv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"
check "summary after retraining equals the uninterrupted one" $?

# a sweep in which every run diverges says so and exits 5
# (the article's digits setup, raw pixels and summed loss, with learning rates 10 and 100 times the article's)
diverging() {
    "$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/div" --set experiment.name=div --set data.scale=1 \
        --set model.init=normal --set model.output=sigmoid --set train.loss=sum --set train.batch_size=0 \
        --set "sweep.train.learning_rate=1, 10" --set train.epochs=5 "$@" "$tmp/sweep.ini" 2>"$tmp/err"
    [ $? = 5 ] && grep -q "every run diverged" "$tmp/err"
}
diverging
check "all-diverged sweep exits 5" $?
grep -q 'No point is in bold as the best: every run of every point diverged\.' "$tmp/div/div/report.md" &&
    ! grep -q 'The best point, in bold' "$tmp/div/div/report.md"
check "all-diverged sweep: report.md names no best point" $?
# the verdict is the experiment's, not this process's: a rerun that trains nothing, and --collect, say it again
diverging
check "all-diverged sweep, run again: exits 5 again" $?
diverging --collect
check "all-diverged sweep, --collect: exits 5" $?

# a config change that makes old runs incomparable is refused, --force retrains
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/killed" --set model.hidden=16 "$tmp/sweep.ini" 2>"$tmp/err"
[ $? = 2 ] && grep -q "different configuration (model.hidden: 128 -> 16)" "$tmp/err"
check "changed config refused with exit 2" $?
# train.eval_every at its default is left out of the identity, so experiments written before the key existed
# resume; any other value is a different configuration
! grep -q eval_every "$tmp/killed/resume/experiment.ini"
check "experiment.ini leaves train.eval_every out at its default" $?
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/killed" --set train.eval_every=5 "$tmp/sweep.ini" 2>"$tmp/err"
[ $? = 2 ] && grep -qF "(train.eval_every: 1 (the default) -> 5)" "$tmp/err"
check "a changed train.eval_every is refused with exit 2" $?
# sparse curves: rows at epochs 0, 7, 14, 20 pass --verify; epochs that do not rise are damage
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/sparse" --set experiment.seeds=1 \
    --set train.epochs=20 --set train.eval_every=7 "$tmp/sweep.ini" &&
    "$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/sparse" --verify resume >/dev/null 2>&1 &&
    [ "$(cut -d' ' -f1 "$tmp/sparse/resume/runs/learning_rate=0.1_seed=1/curve.dat" | tr '\n' ' ')" = "# 0 7 14 20 " ]
check "train.eval_every=7 writes rows 0 7 14 20 that --verify accepts" $?
# dropping epoch 7 leaves the rows rising, but not the schedule's: damage too
sed -i '3d' "$tmp/sparse/resume/runs/learning_rate=0.1_seed=1/curve.dat"
sed -i '3s/^7 /0 /' "$tmp/sparse/resume/runs/learning_rate=0.01_seed=1/curve.dat"
"$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/sparse" --verify resume >"$tmp/out" 2>"$tmp/err"
[ $? = 4 ] && grep -q "learning_rate=0.01_seed=1: damaged: curve.dat's epochs do not rise from 0" "$tmp/err" &&
    grep -q "learning_rate=0.1_seed=1: damaged: curve.dat has no row for epoch 7 (train.eval_every = 7)" "$tmp/err" &&
    grep -q "4 runs, 2 intact, 2 damaged" "$tmp/out"
check "--verify finds a curve whose epochs do not rise, and one without a row its schedule makes" $? "$(cat "$tmp/err")"
# adding a sweep value keeps the existing runs
out=$("$RUNNER" --no-plots --plots "$tmp/plots" --results "$tmp/killed" --set 'sweep.train.learning_rate=0.01, 0.1, 1, 3, 0.3' "$tmp/sweep.ini" 2>&1)
echo "$out" | grep -q "3 runs to train, 12 already done"
check "adding a sweep value trains only the new runs" $?

# until the runner $1 has written its holder file in $tmp/lock (it has the lock), at most a minute, then a tenth
# of a second more. A fixed sleep could come first on a slow machine, and a second runner would take the lock. (Its
# signal handlers come after the store is open: the SIGINT below is sent only after a whole second process has run,
# and a SIGTERM before them exits 143 all the same.)
holding() {
    i=0
    while ! ls -a "$tmp"/lock/*/ 2>/dev/null | grep -q "^\.holder-$1@" && kill -0 "$1" 2>/dev/null &&
        [ $i -lt 3000 ]; do
        sleep 0.02
        i=$((i + 1))
    done
    sleep 0.1
}

# a second runner on a locked experiment is refused (the first trains long enough, 2000 epochs, that it still
# holds the lock, and is still running for the signals below, on a faster machine too)
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/lock" --set train.epochs=2000 "$tmp/sweep.ini" &
pid=$!
holding $pid
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/lock" --set train.epochs=2000 "$tmp/sweep.ini" 2>"$tmp/err"
st=$?
[ $st = 2 ] && grep -q "another runner (pid $pid) is working on this experiment" "$tmp/err"
check "second runner refused while the first holds the lock" $?

# SIGINT and SIGTERM stop cleanly with 130 and 143
kill -INT "$pid"
wait "$pid"
check "SIGINT exits 130" $(( $? != 130 ))
"$RUNNER" --no-plots --plots "$tmp/plots" --quiet --results "$tmp/lock" --set train.epochs=2000 "$tmp/sweep.ini" &
pid=$!
holding $pid
kill -TERM "$pid"
wait "$pid"
check "SIGTERM exits 143" $(( $? != 143 ))

# A run trained again with --force after a config change and stopped keeps its checkpoint: the next runner
# resumes it. (Was: the folder still held the run of the old config, a committed run, so opening the results
# removed the checkpoint as stale and the run started over from epoch 0.) The checkpoint of a run that is done (a
# kill between the commit and the checkpoint's removal) still goes, at a plain start and at --collect.
d=$tmp/again
"$RUNNER" --threads 1 --quiet --no-plots --results "$d" --set train.epochs=2 configs/digits.ini
long="--threads 1 --no-plots --results $d --set train.epochs=1000000 --set train.eval_every=1000000
      --set train.checkpoint_every=0.1"
# stop_when PATTERN: sigint_runner $pid once PATTERN is in $tmp/err and it has written a checkpoint of its own (or
# it has exited; up to 5 minutes each), then reap it
stop_when() {
    wait_for_line "$pid" "$1"
    i=0
    while [ ! "$d/digits/runs/.ckpt-seed=1" -nt "$tmp/err" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 1500 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    sigint_runner "$pid"
    wait "$pid"
}
# shellcheck disable=SC2086 # $long is a list of options
"$RUNNER" --force $long configs/digits.ini 2>"$tmp/err" &
pid=$!
stop_when "to train, "
[ -f "$d/digits/runs/.ckpt-seed=1" ] && [ -f "$d/digits/runs/seed=1/manifest.txt" ]
check "a run trained again with --force and stopped: a checkpoint beside the old committed run" $? "$(cat "$tmp/err")"
# shellcheck disable=SC2086
"$RUNNER" $long configs/digits.ini 2>"$tmp/err" &
pid=$!
stop_when "^resuming "
# any position: on a busy machine the first checkpoint can come inside epoch 1 ("from epoch 0 (and 256 rows of
# epoch 1)"); the bug this guards left no checkpoint, so no "resuming" line at all
grep -q "^resuming seed=1 from epoch [0-9]" "$tmp/err"
check "the next runner resumes that checkpoint" $? "$(cat "$tmp/err")"
# with train.checkpoint_every = 0 (write none; not part of the identity) the checkpoint is still resumed from, and
# kept. (Was: the run started over from epoch 0, and its commit would have removed the checkpoint.)
# shellcheck disable=SC2086
"$RUNNER" $long --set train.checkpoint_every=0 configs/digits.ini 2>"$tmp/err" &
pid=$!
wait_for_line "$pid" "^resuming "
sigint_runner "$pid"
wait "$pid"
grep -q "^resuming seed=1 from epoch [0-9]" "$tmp/err" && [ -f "$d/digits/runs/.ckpt-seed=1" ]
check "checkpoint_every = 0 resumes the checkpoint and keeps it" $? "$(cat "$tmp/err")"
stale=$tmp/stale/digits/runs/.ckpt-seed=1
"$RUNNER" --threads 1 --quiet --no-plots --force --results "$tmp/stale" configs/digits.ini &&
    echo "not read" >"$stale" && "$RUNNER" --threads 1 --quiet --no-plots --results "$tmp/stale" configs/digits.ini &&
    [ ! -e "$stale" ] && echo "not read" >"$stale" &&
    "$RUNNER" --quiet --no-plots --results "$tmp/stale" --collect configs/digits.ini && [ ! -e "$stale" ]
check "the checkpoint of a run that is done is removed by a plain start and by --collect" $?

finish
