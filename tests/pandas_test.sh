#!/bin/sh
# results.h5 from Python and the everyday command line (issue 12). README's pandas snippet (between its
# pandas-snippet markers) runs on a fresh small experiment with Debian's /usr/bin/python3, and the types it
# loads are checked; then the command-line answers: -h, --set hints and refusals, [report] keys that the sweep
# cannot serve, [report] keys outside the identity, experiment.name from the file name, a refused config naming
# its keys, and the results and plots folders created (or refused) before training.
# Usage: RUNNER=./build/runner sh tests/pandas_test.sh
. "$(dirname "$0")/lib.sh"
need_runner pandas_test "build it with make"
make_tmp
repo=$(pwd)
case $RUNNER in /*) runner_abs=$RUNNER ;; *) runner_abs=$repo/$RUNNER ;; esac
small="--set train.epochs=2 --set experiment.seeds=1 --set model.hidden=16"

# ---- README's pandas snippet ------------------------------------------------------------------------------------
sed -n '/<!-- pandas-snippet -->/,/<!-- end pandas-snippet -->/p' README.md | sed '/^<!--/d; /^```/d' >"$tmp/snippet.py"
[ -s "$tmp/snippet.py" ]
check "README has the pandas snippet between its markers" $?
if ! /usr/bin/python3 -c 'import h5py, pandas' 2>/dev/null; then
    echo "SKIP: README's pandas snippet: /usr/bin/python3 lacks h5py or pandas (sh experiments/deps.sh python)"
else
    # the snippet's own experiment: lr_sweep with two learning rates, one seed, two epochs
    # shellcheck disable=SC2086
    "$RUNNER" --quiet --no-plots --results "$tmp/py/results" $small \
        --set "sweep.train.learning_rate=0.1, 1" configs/lr_sweep.ini 2>"$tmp/err"
    check "the snippet's experiment trains" $? "$(cat "$tmp/err")"
    cat "$tmp/snippet.py" - >"$tmp/test.py" <<'EOF'
# the checks of tests/pandas_test.sh, after README's snippet
assert list(summary["hidden"]) == ["16", "16"], summary["hidden"]
assert summary["learning_rate"].dtype == "float64" and table["test_acc_mean"].dtype == "float64"
assert summary["seed"].dtype == "int64", summary["seed"].dtype
assert all(isinstance(v, str) for v in summary["run_id"]) and set(summary["status"]) == {"ok"}
assert list(table["point_id"]) == ["learning_rate=0.1", "learning_rate=1"], table["point_id"]
assert list(curve.columns) == ["epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds",
                               "val_loss", "val_acc", "lr", "b_simple"], list(curve.columns)
for name in ["val_loss", "val_acc", "best_val_acc"]:
    assert summary[name].dtype == "float64", (name, summary[name].dtype)
for name in ["val_acc_mean", "val_acc_std", "val_loss_mean", "val_loss_max"]:
    assert table[name].dtype == "float64", (name, table[name].dtype)
with h5py.File("results/lr_sweep/results.h5") as f:
    cm = f["confusion/learning_rate=0.1_seed=1"]
    assert cm.dtype == "int64" and cm.shape == (10, 10), (cm.dtype, cm.shape)
assert len(curve) == 3 and curve["epoch"].tolist() == [0, 1, 2]
print("snippet ok")
EOF
    (cd "$tmp/py" && /usr/bin/python3 "$tmp/test.py") >"$tmp/out" 2>&1
    check "README's pandas snippet loads summary, table and a curve with their types" $? "$(cat "$tmp/out")"
fi

# ---- options --------------------------------------------------------------------------------------------------
"$RUNNER" -h >"$tmp/out" 2>&1 && head -1 "$tmp/out" | grep -q '^usage: runner'
check "-h prints the usage" $?

# answer STATUS ARGS...: runs the runner with a results root in $tmp/a (which must stay unwritten) and checks the
# exit status and that stderr is one line; the line is in $tmp/err
answer() {
    want=$1
    shift
    rm -rf "$tmp/a"
    "$RUNNER" --quiet --results "$tmp/a" "$@" >/dev/null 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -e "$tmp/a" ]
}

answer 2 --set train.epochs 3 configs/digits.ini && grep -qx \
    "runner: --set train.epochs: expected section.key=value as one argument (--set train.epochs=VALUE)" "$tmp/err"
check "--set KEY VALUE gets the one-argument hint" $? "$(cat "$tmp/err")"
answer 2 --set train.learning_rate=0.5 configs/lr_sweep.ini &&
    grep -q "use --set sweep.train.learning_rate=LIST" "$tmp/err"
check "--set on a swept key is refused with the sweep hint" $? "$(cat "$tmp/err")"

# ---- [report] -----------------------------------------------------------------------------------------------
answer 2 --set report.panel_key=model.hidden configs/lr_sweep.ini && grep -qx "runner: --set report.panel_key: \
model.hidden is not a swept key (allowed: auto, none, or a swept key: train.learning_rate)" "$tmp/err"
check "a panel key that is not swept: exit 2, one line, nothing written" $? "$(cat "$tmp/err")"
answer 2 --set report.x_axis=minutes configs/lr_sweep.ini && grep -q "report.x_axis" "$tmp/err"
check "an unknown report.x_axis: exit 2, one line naming the key" $? "$(cat "$tmp/err")"
answer 2 --set "report.points=train.learning_rate=0.5" configs/lr_sweep.ini &&
    grep -q "report.points: 0.5 is not a value of train.learning_rate" "$tmp/err"
check "report.points naming a value not swept: exit 2, one line" $? "$(cat "$tmp/err")"
printf '[experiment]\nname = bad_report\n[train]\nepochs = 1\n[report]\npanel_key = train.optimizer\n' \
    >"$tmp/bad_report.ini"
answer 2 "$tmp/bad_report.ini" && grep -q "^$tmp/bad_report.ini:6: report.panel_key: train.optimizer is not a swept key" \
    "$tmp/err"
check "a bad [report] key in a file names the file and line" $? "$(cat "$tmp/err")"

# [report] keys are not part of the experiment: changing them resumes
# shellcheck disable=SC2086
"$RUNNER" --quiet --results "$tmp/r" --plots "$tmp/p" $small --set "sweep.train.learning_rate=0.1, 1" \
    configs/lr_sweep.ini 2>"$tmp/err"
check "a small lr sweep trains" $? "$(cat "$tmp/err")"
# shellcheck disable=SC2086
"$RUNNER" --results "$tmp/r" --plots "$tmp/p" $small --set "sweep.train.learning_rate=0.1, 1" \
    --set report.x_axis=seconds --set report.panel_key=none --set report.points=train.learning_rate=1 \
    configs/lr_sweep.ini 2>"$tmp/err" && grep -q "0 runs to train, 2 already done" "$tmp/err"
check "changed [report] keys resume without training" $? "$(cat "$tmp/err")"
grep -q "using 13:6" "$tmp/p/lr_sweep/loss_curves.gp" && [ "$(grep -c '^# index' "$tmp/p/lr_sweep/loss_curves.dat")" = 2 ]
check "report.x_axis = seconds draws against seconds; the .dat keeps both points" $?

# ---- refusals and names ---------------------------------------------------------------------------------------
# shellcheck disable=SC2086
"$RUNNER" --quiet --results "$tmp/r" --plots "$tmp/p" $small --set "sweep.train.learning_rate=0.1, 1" \
    --set model.activation=relu --set train.batch_size=16 configs/lr_sweep.ini 2>"$tmp/err"
[ $? = 2 ] && grep -q "(model.activation: sigmoid -> relu, train.batch_size: 32 -> 16)" "$tmp/err"
check "a refused config names each differing key as section.key: old -> new" $? "$(cat "$tmp/err")"
grep -v '^name = ' configs/digits.ini >"$tmp/my_study.ini"
(cd "$tmp" && "$runner_abs" --quiet --no-plots --results "$tmp/n" --set train.epochs=1 \
    --set data.file="$repo/data/digits.h5" my_study.ini) 2>"$tmp/err"
[ $? = 0 ] && [ -d "$tmp/n/my_study/runs" ]
check "experiment.name defaults to the config file's base name" $? "$(cat "$tmp/err")"

# ---- folders ----------------------------------------------------------------------------------------------------
"$RUNNER" --quiet --no-plots --results "$tmp/deep/a/b" --plots "$tmp/deep/p/q" --set train.epochs=1 \
    configs/digits.ini 2>"$tmp/err" && [ -d "$tmp/deep/a/b/digits/runs" ] && [ -d "$tmp/deep/p/q/digits" ]
check "--results and --plots are created with their parents" $? "$(cat "$tmp/err")"
: >"$tmp/file"
"$RUNNER" --quiet --results "$tmp/f" --plots "$tmp/file/p" --set train.epochs=1 configs/digits.ini 2>"$tmp/err"
[ $? = 4 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "^$tmp/file: " "$tmp/err" && [ ! -e "$tmp/f/digits/runs" ]
check "an unusable --plots is refused before training" $? "$(cat "$tmp/err")"

# ---- the memory check counts the runs allocated at once ------------------------------------------------------
# the next run is allocated before the finished one is written and freed: two at once with parallel_runs = 1 when
# another run is to come, one when none is, and parallel + 1 beside each other
memory() {
    "$RUNNER" --quiet --results "$tmp/m" --max-memory 1K --set "experiment.seeds=$1" \
        --set "experiment.parallel_runs=$2" configs/digits.ini 2>"$tmp/err"
    [ $? = 2 ] && grep -q "($3 at once, the largest" "$tmp/err"
}
memory "1, 2" 1 2
check "parallel_runs = 1 with a second run to come: 2 runs in memory at once" $? "$(cat "$tmp/err")"
memory 1 1 1
check "parallel_runs = 1 and a single run: 1 in memory" $? "$(cat "$tmp/err")"
memory "1, 2" 2 2
check "parallel_runs = 2 and two runs: 2 in memory, none to come" $? "$(cat "$tmp/err")"
memory "1, 2, 3" 2 3
check "parallel_runs = 2 and three runs: 3 in memory at once" $? "$(cat "$tmp/err")"

finish
