#!/bin/sh
# Stress for crash safety (make stress): SIGKILL a sweep at random moments ROUNDS times (default 200), each time
# resuming, then check that every committed run validates (runner --verify) and that the final summary equals
# an uninterrupted sweep's (timing columns aside). Run from the repo root; ends with "N passed, M failed".

. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-200}
need_runner stress_kill "build it with make runner, or set RUNNER"
make_tmp

# 40 short runs; a fresh sweep restarts whenever the previous one has finished, so kills keep landing mid-sweep
cat >"$tmp/sweep.ini" <<'INI'
[experiment]
name = stress
seeds = 1, 2, 3, 4, 5
[data]
file = data/digits.h5
scale = 0.0625
[model]
hidden = 32
[train]
epochs = 15
[sweep]
train.learning_rate = 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30
INI
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/ref" "$tmp/sweep.ini"
check "uninterrupted sweep" $?

round=0
completed=0
while [ "$round" -lt "$ROUNDS" ]; do
    delay=$(awk -v s="$round" 'BEGIN { srand(s + 1); printf "%.3f", 0.01 + rand() * 0.4 }')
    "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/killed" "$tmp/sweep.ini" 2>/dev/null &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # (a kill before the runner recorded its plan leaves nothing to verify; runs not trained yet are missing,
    # which --verify reports too: only damage fails here)
    if [ ! -f "$tmp/killed/stress/plan.txt" ] ||
        "$RUNNER" --results "$tmp/killed" --verify stress >/dev/null 2>"$tmp/verify" ||
        ! grep -q ": damaged: " "$tmp/verify"; then :; else
        echo "round $round: --verify found damage:"; cat "$tmp/verify"; check "no damaged run after a kill" 1
    fi
    # a finished sweep gets a fresh start so the next kills land in training, commits and table writes again
    if [ "$(ls "$tmp/killed/stress/runs" 2>/dev/null | wc -l)" = 40 ]; then
        completed=$((completed + 1))
        "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/killed" "$tmp/sweep.ini" >/dev/null 2>&1
        strip "$tmp/ref/stress/summary.tsv" >"$tmp/a"
        strip "$tmp/killed/stress/summary.tsv" >"$tmp/b"
        cmp -s "$tmp/a" "$tmp/b" || check "summary after sweep $completed equals the uninterrupted one" 1
        rm -rf "$tmp/killed"
    fi
    round=$((round + 1))
done
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/killed" "$tmp/sweep.ini"
check "final resume" $?
strip "$tmp/ref/stress/summary.tsv" >"$tmp/a"
strip "$tmp/killed/stress/summary.tsv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"
check "final summary equals the uninterrupted one" $?
echo "stress_kill: $ROUNDS kills, $completed sweeps completed under fire"
finish
