#!/bin/sh
# Fused sweep training (issue #13), run from the repository root: RUNNER=./build/runner sh tests/fused_test.sh
# (1) configs/grid.ini (75 runs, 10 epochs here) says it trains in fused groups, and --no-fuse that every run
#     trains alone; both give the same summary.tsv without its timing columns, and every run the same
#     weights.h5 (cmp), curve.dat without its seconds column, result.tsv without its timing columns and
#     confusion.tsv.
# (2) The same with 2 threads per run (--threads 2: one group of a kind at a time, its runs shared out among a
#     team of two).
# (3) A run with train.noise_scale (not supported in lockstep) trains alone: the line says so.
# Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner fused_test "build it with make runner, or set RUNNER"
make_tmp

# grid ROOT [ARGS...]: trains configs/grid.ini for 10 epochs under $tmp/ROOT; stderr in $tmp/ROOT.err
grid() {
    root=$1
    shift
    "$RUNNER" --no-plots --results "$tmp/$root" --plots "$tmp/p" --set train.epochs=10 "$@" configs/grid.ini \
        >/dev/null 2>"$tmp/$root.err"
}

# same A B NAME: the experiments under $tmp/A and $tmp/B hold the same numbers, timing aside
same() {
    a=$tmp/$1/grid
    b=$tmp/$2/grid
    strip "$a/summary.tsv" >"$tmp/sa"
    strip "$b/summary.tsv" >"$tmp/sb"
    cmp -s "$tmp/sa" "$tmp/sb"
    check "$3: summary.tsv" $? "$(diff "$tmp/sa" "$tmp/sb" | head -3)"
    runs=0
    bad=""
    for r in "$a"/runs/*/; do
        id=$(basename "$r")
        runs=$((runs + 1))
        cmp -s "$r/weights.h5" "$b/runs/$id/weights.h5" || bad="$bad $id/weights.h5"
        cmp -s "$r/confusion.tsv" "$b/runs/$id/confusion.tsv" || bad="$bad $id/confusion.tsv"
        # curve.dat's sixth column is the epoch's seconds
        awk '{ $6 = "" } 1' "$r/curve.dat" >"$tmp/ca"
        awk '{ $6 = "" } 1' "$b/runs/$id/curve.dat" >"$tmp/cb"
        cmp -s "$tmp/ca" "$tmp/cb" || bad="$bad $id/curve.dat"
        strip "$r/result.tsv" >"$tmp/ra"
        strip "$b/runs/$id/result.tsv" >"$tmp/rb"
        cmp -s "$tmp/ra" "$tmp/rb" || bad="$bad $id/result.tsv"
    done
    [ "$runs" = 75 ] && [ -z "$bad" ]
    check "$3: every run" $? "$runs runs;$(echo "$bad" | cut -c1-300)"
}

# ---- (1) fused and alone ---------------------------------------------------------------------------------------
grid fused
grep -q "75 runs to train.*fused groups of up to" "$tmp/fused.err"
check "the grid trains fused" $? "$(head -1 "$tmp/fused.err")"
grid alone --no-fuse
grep -q "75 runs to train.*each alone (--no-fuse)" "$tmp/alone.err"
check "--no-fuse trains each run alone" $? "$(head -1 "$tmp/alone.err")"
same fused alone "fused vs --no-fuse"

# ---- (2) a team of two -----------------------------------------------------------------------------------------
grid team --threads 2
grep -q "fused groups of up to [0-9]* (shared batches), 1 side by side x 2 threads" "$tmp/team.err"
check "--threads 2: one group of a kind at a time, on two threads" $? "$(head -1 "$tmp/team.err")"
same team alone "fused on two threads vs --no-fuse"

# ---- (3) what does not fuse ------------------------------------------------------------------------------------
"$RUNNER" --no-plots --results "$tmp/noise" --plots "$tmp/p" --set train.epochs=2 --set train.noise_scale=true \
    --set sweep.model.hidden=16,32 --set sweep.train.learning_rate=0.1 configs/grid.ini >/dev/null 2>"$tmp/noise.err"
grep -q "6 runs to train.*each alone," "$tmp/noise.err"
check "train.noise_scale trains each run alone" $? "$(head -1 "$tmp/noise.err")"

finish fused_test
