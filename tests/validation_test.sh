#!/bin/sh
# Selection on a validation set (issue #11), run from the repository root:
#   RUNNER=./build/runner sh tests/validation_test.sh
# (1) A 5-learning-rate x 2-seed sweep with data.validation_fraction = 0.2: report.md and index.md name as best
#     the point of table.tsv with the highest mean validation accuracy (lowest mean validation loss on ties), say
#     that it was selected on validation accuracy and give its test accuracy (measured: learning rate 4, where
#     choosing on test accuracy would take 2).
# (2) Early stopping (patience 3, 300 epochs, learning rate 1 on digits) stops well before 300 (measured: at
#     epoch 12); the summary's final numbers are the curve row with the lowest validation loss, three
#     evaluations before epochs_done, where the curve ends.
# (3) Without a validation set the validation columns hold nan (curve.dat, summary.tsv, table.tsv), the run is
#     intact, and the report says its selection on the test set is optimistic. A curve.dat whose validation
#     columns disagree with its result.tsv is a damaged run.
# (4) A run written before the validation columns existed (curve.dat of six columns, result.tsv of eleven) is
#     still a committed run of an experiment with validation_fraction = 0: it resumes without retraining.
# Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner validation_test "build it with make runner, or set RUNNER"
make_tmp

# run NAME [--set ...]: trains configs/digits.ini as experiment NAME under $tmp/r
run() {
    name=$1
    shift
    "$RUNNER" --quiet --no-plots --results "$tmp/r" --plots "$tmp/p" --set experiment.name="$name" "$@" \
        configs/digits.ini >"$tmp/out" 2>&1
}

# ---- (1) the best point is chosen on validation accuracy ------------------------------------------------------
cat >"$tmp/sweep.ini" <<'INI'
[experiment]
name = val_sweep
seeds = 1, 2

[data]
file = data/digits.h5
scale = 0.0625
validation_fraction = 0.2

[model]
hidden = 16

[train]
epochs = 10

[sweep]
train.learning_rate = 0.3, 0.6, 1, 2, 4
INI
"$RUNNER" --quiet --no-plots --results "$tmp/r" --plots "$tmp/p" "$tmp/sweep.ini" >"$tmp/out" 2>&1
check "sweep with validation_fraction = 0.2 runs" $? "$(cat "$tmp/out")"
table=$tmp/r/val_sweep/table.tsv
# the row with the highest val_acc_mean, the lowest val_loss_mean on ties: "point_id learning_rate test_acc_mean"
want=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    best == "" || $c["val_acc_mean"] > acc || ($c["val_acc_mean"] == acc && $c["val_loss_mean"] < loss) {
        best = $c["point_id"] " " $c["learning_rate"] " " $c["test_acc_mean"]; acc = $c["val_acc_mean"]
        loss = $c["val_loss_mean"] }
    END { print best }' "$table")
# shellcheck disable=SC2086 # split on purpose: three words
set -- $want
[ $# = 3 ]
check "table.tsv has validation accuracy for every point" $? "$want"
point=$1 lr=$2 test_acc=$3
report=$tmp/r/val_sweep/report.md
test_pct=$(awk -v a="$test_acc" 'BEGIN { printf "%.2f", 100 * a }')
grep -q "^\*\*Best configuration:\*\* learning_rate = $lr: selected on validation accuracy .*; test accuracy $test_pct " \
    "$report"
check "report.md names the point with the highest mean validation accuracy and its test accuracy" $? \
    "expected learning_rate = $lr (test $test_pct): $(grep 'Best configuration' "$report")"
grep -q "highest mean validation accuracy" "$report"
check "report.md says the best point is chosen on validation accuracy" $?
grep -q "| $test_pct ± [0-9.]* | \`$point\` | validation |" "$tmp/r/index.md"
check "index.md names the same point, selected on validation" $? "$(tail -n 1 "$tmp/r/index.md")"
# measured: the highest mean test accuracy is at learning rate 2, the highest mean validation accuracy at 4
top_test=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    best == "" || $c["test_acc_mean"] > acc { best = $c["learning_rate"]; acc = $c["test_acc_mean"] }
    END { print best }' "$table")
[ "$top_test" != "$lr" ] || echo "NOTE: here validation and test accuracy choose the same point ($lr)"
n=$(awk -F'\t' 'NR > 1 && $NF != "nan"' "$tmp/r/val_sweep/summary.tsv" | wc -l)
[ "$n" = 10 ]
check "summary.tsv has best_val_acc for all 10 runs" $? "$n"

# ---- (2) early stopping ---------------------------------------------------------------------------------------
run es --set train.epochs=300 --set train.learning_rate=1 --set train.early_stopping=3
check "early-stopped run" $? "$(cat "$tmp/out")"
sum=$tmp/r/es/summary.tsv
done_at=$(col "$sum" epochs_done)
[ -n "$done_at" ] && [ "$done_at" -lt 100 ]
check "patience 3, 300 epochs, learning rate 1 stops well before 300" $? "epochs_done = $done_at"
echo "early stopping: stopped at epoch $done_at of 300"
curve=$tmp/r/es/runs/seed=1/curve.dat
# the curve row with the lowest val_loss (earliest on ties): "epoch test_acc val_acc"
low=$(awk 'NR > 1 && (best == "" || $7 < loss) { best = $1 " " $5 " " $8; loss = $7 } END { print best }' "$curve")
last=$(tail -n 1 "$curve" | cut -d' ' -f1)
[ "$last" = "$done_at" ] && [ "${low%% *}" = $((done_at - 3)) ]
check "the curve ends at epochs_done, three evaluations after the lowest validation loss" $? "last $last, lowest $low"
[ "$(col "$sum" test_acc) $(col "$sum" val_acc)" = "${low#* }" ]
check "the summary's final numbers are those of the lowest validation loss" $? \
    "$(col "$sum" test_acc) $(col "$sum" val_acc) vs ${low#* }"

# ---- (3) no validation set ------------------------------------------------------------------------------------
run noval --set data.validation_fraction=0 --set train.epochs=3
check "run without a validation set" $? "$(cat "$tmp/out")"
curve=$tmp/r/noval/runs/seed=1/curve.dat
head -n 1 "$curve" | grep -q " seconds val_loss val_acc" &&
    [ "$(awk 'NR > 1 && ($7 != "nan" || $8 != "nan")' "$curve")" = "" ]
check "curve.dat's validation columns hold nan" $? "$(cat "$curve")"
[ "$(col "$tmp/r/noval/summary.tsv" val_acc) $(col "$tmp/r/noval/summary.tsv" best_val_acc)" = "nan nan" ] &&
    [ "$(col "$tmp/r/noval/table.tsv" val_acc_mean)" = nan ]
check "summary.tsv and table.tsv hold nan for validation" $?
grep -q "optimistic" "$tmp/r/noval/report.md"
check "the report says a selection on the test set is optimistic" $?
"$RUNNER" --results "$tmp/r" --verify noval 2>&1 | grep -q "1 run, 1 intact"
check "a run without a validation set is intact" $?

# a curve.dat that lost its validation numbers while result.tsv has them: damaged
cp -r "$tmp/r/es" "$tmp/r/esd"
awk 'NR > 1 { $7 = "nan"; $8 = "nan" } 1' "$tmp/r/esd/runs/seed=1/curve.dat" >"$tmp/curve" &&
    cp "$tmp/curve" "$tmp/r/esd/runs/seed=1/curve.dat"
"$RUNNER" --results "$tmp/r" --verify esd 2>&1 | grep -q "damaged: curve.dat and result.tsv disagree on the validation set"
check "validation columns that disagree with result.tsv are damage" $?

# ---- (4) runs written before the validation columns ------------------------------------------------------------
d=$tmp/r/noval/runs/seed=1
awk 'NR == 1 { print "# epoch train_loss test_loss train_acc test_acc seconds"; next } { NF = 6; print }' \
    "$d/curve.dat" >"$tmp/c" && mv "$tmp/c" "$d/curve.dat"
awk -F'\t' 'BEGIN { OFS = "\t" } { NF = 11; print }' "$d/result.tsv" >"$tmp/t" && mv "$tmp/t" "$d/result.tsv"
"$RUNNER" --results "$tmp/r" --verify noval 2>&1 | grep -q "1 run, 1 intact"
check "a run of the old format is intact" $?
"$RUNNER" --no-plots --results "$tmp/r" --plots "$tmp/p" --set experiment.name=noval \
    --set data.validation_fraction=0 --set train.epochs=3 configs/digits.ini >"$tmp/out" 2>&1 &&
    grep -q "0 runs to train, 1 already done" "$tmp/out" && [ "$(col "$tmp/r/noval/summary.tsv" val_acc)" = nan ]
check "an experiment of the old format resumes with validation_fraction = 0" $? "$(cat "$tmp/out")"
"$RUNNER" --no-plots --results "$tmp/r" --plots "$tmp/p" --set experiment.name=noval --set train.epochs=3 \
    configs/digits.ini >"$tmp/out" 2>&1
[ $? = 2 ] && grep -qF "(data.validation_fraction: 0 (as results from before the key) -> 0.1)" "$tmp/out"
check "with the default validation_fraction it is another experiment" $? "$(cat "$tmp/out")"

finish
