#!/bin/sh
# The store's promises under adversity (issue 15): a committed run belongs to the current configuration and data
# or is retrained; a run being replaced survives a kill at any instant; a run locked by another process is not
# damaged; every temporary is cleaned; index.md keeps every experiment when two runners finish together;
# --verify counts the plan's runs and streams its lines; whatever stands where a run folder belongs is removed.
# Kills and delays come from an LD_PRELOAD shim compiled here (no test code in the runner).
# Run from the repo root: RUNNER=./build/runner sh tests/store_test.sh. Ends with "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner store_test "build it with make runner, or set RUNNER"
make_tmp
# run [ARGS]: the runner ($run_bin in its place: run_bin=$SHIMMED before a call that preloads the shim)
run() { "${run_bin:-$RUNNER}" --no-plots --plots "$tmp/plots" --results "$tmp/res" "$@"; }

# the shim: SHIM_KILL_RENAME kills the process renaming a ".tmp-" run folder into place, SHIM_FAIL_RENAME makes
# that rename fail with ENOSPC; SHIM_SLOW_RENAME=TEXT
# makes a rename onto a path containing TEXT wait 2 s, after touching SHIM_MARK; SHIM_COUNT_OPEN=TEXT appends a
# line to SHIM_COUNT_FILE for every open of a path containing TEXT
cat >"$tmp/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
    if (getenv("SHIM_KILL_RENAME") && !strncmp(base, ".tmp-", 5))
        kill(getpid(), SIGKILL);
    if (getenv("SHIM_FAIL_RENAME") && !strncmp(base, ".tmp-", 5)) {
        errno = ENOSPC;
        return -1;
    }
    const char *slow = getenv("SHIM_SLOW_RENAME");
    if (slow && strstr(to, slow)) {
        FILE *f = fopen(getenv("SHIM_MARK"), "w");
        if (f)
            fclose(f);
        sleep(2);
    }
    return real(from, to);
}
static void on_open(const char *path)
{
    const char *what = getenv("SHIM_COUNT_OPEN");
    if (what && strstr(path, what)) {
        FILE *f = fopen(getenv("SHIM_COUNT_FILE"), "a");
        if (f) {
            fputs("open\n", f);
            fclose(f);
        }
    }
}
C
shim_open_wrappers >>"$tmp/shim.c"
shim=""
if shimmed_missing "kill, delay and open-count tests"; then
    :
elif cc -shared -fPIC -o "$tmp/shim.so" "$tmp/shim.c" -ldl 2>"$tmp/cc.err"; then
    shim="$tmp/shim.so"
else
    skip "kill, delay and open-count tests" "cannot compile the LD_PRELOAD shim ($(head -1 "$tmp/cc.err"))"
fi

# two widths x one seed, tiny runs
cat >"$tmp/a.ini" <<INI
[experiment]
name = a
seeds = 1
[data]
file = $tmp/d.h5
scale = 0.0625
[train]
epochs = 2
[sweep]
model.hidden = 16, 64
INI
cp data/digits.h5 "$tmp/d.h5"

# 1. a --force with a changed key and a narrowed sweep leaves hidden=64 of the old epochs; widening the sweep
# again must retrain it, not adopt it
run --quiet "$tmp/a.ini"
run --quiet --force --set train.epochs=3 --set sweep.model.hidden=16 "$tmp/a.ini"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
grep -q "1 run to train, 1 already done" "$tmp/err" && grep -q "^hidden = 64" "$tmp/res/a/runs/hidden=64_seed=1/config.ini" &&
    grep -q "^epochs = 3" "$tmp/res/a/runs/hidden=64_seed=1/config.ini"
check "a run of another configuration is retrained, never adopted" $?
# a run whose config.ini says another width is not a run of this plan: --verify names it
cp "$tmp/res/a/runs/hidden=16_seed=1/config.ini" "$tmp/res/a/runs/hidden=64_seed=1/config.ini"
"$RUNNER" --results "$tmp/res" --verify a >/dev/null 2>"$tmp/err"
[ $? = 4 ] && grep -q "hidden=64_seed=1: damaged: trained with another configuration" "$tmp/err"
check "--verify names a run whose config.ini is of another configuration" $?

# 2. data changed in place: a resume is refused naming the file (exit 2); --force retrains everything; an
# experiment from before data.fnv1a64 resumes on the same data and refuses changed data
run --quiet --set train.epochs=3 "$tmp/a.ini"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    x = f['X'][...]; x[0, 0] += 1; f['X'][...] = x
    del f.attrs['fnv1a64']  # changed on purpose: the file's own checksum would refuse it as damaged
" "$tmp/d.h5"
run --quiet --set train.epochs=3 --set experiment.seeds=1,2 "$tmp/a.ini" 2>"$tmp/err"
[ $? = 2 ] && grep -q "$tmp/d.h5 changed since the results there were trained" "$tmp/err"
check "a resume on changed data is refused naming the file, exit 2" $?
run --force --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
[ $? = 0 ] && grep -q "2 runs to train, 0 already done" "$tmp/err"
check "--force on changed data retrains everything" $?
rm "$tmp/res/a/data.fnv1a64"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
[ $? = 0 ] && grep -q "0 runs to train, 2 already done" "$tmp/err" && [ -f "$tmp/res/a/data.fnv1a64" ]
check "an experiment without data.fnv1a64 resumes when its manifests agree" $?
rm "$tmp/res/a/data.fnv1a64"
cp data/digits.h5 "$tmp/d.h5"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
[ $? = 2 ] && grep -q "the data changed since the results there were trained: $tmp/d.h5" "$tmp/err"
check "an experiment without data.fnv1a64 refuses data its manifests disagree with" $?
cp "$tmp/res/a/runs/hidden=16_seed=1/weights.h5" "$tmp/init.h5"
if [ -n "$shim" ]; then
    for seeds in 1 "1,2,3,4"; do
        rm -f "$tmp/count"
        SHIM_COUNT_OPEN=init.h5 SHIM_COUNT_FILE="$tmp/count" run_bin=$SHIMMED LD_PRELOAD="$(preload "$shim")" \
            run --quiet --force --set model.init_file="$tmp/init.h5" --set experiment.seeds="$seeds" \
            --set sweep.model.hidden=16 --set experiment.name=init "$tmp/a.ini"
        wc -l <"$tmp/count" >"$tmp/count.$(echo "$seeds" | wc -c)"
    done
    cmp -s "$tmp/count.2" "$tmp/count.8"
    check "model.init_file is read once per sweep, not once per run" $?
    grep -q "init.h5" "$tmp/res/init/data.fnv1a64"
    check "the init file's checksum belongs to the experiment's identity" $?
fi

# 3. a kill between the two renames of a replaced run: the next start promotes the complete new copy; --verify
# counts the plan's runs, so the run that is missing meanwhile is reported
run --quiet --force --set train.epochs=3 "$tmp/a.ini" # both runs on the data as it is now
if [ -n "$shim" ]; then
    SHIM_KILL_RENAME=1 run_bin=$SHIMMED LD_PRELOAD="$(preload "$shim")" run --quiet --force --set train.epochs=3 \
        "$tmp/a.ini" 2>/dev/null
    ls -a "$tmp/res/a/runs" | grep -q "^\.tmp-" && ls -a "$tmp/res/a/runs" | grep -q "^\.old-"
    check "the shim kills a --force between its renames" $?
    "$RUNNER" --results "$tmp/res" --verify a >"$tmp/out" 2>"$tmp/err"
    [ $? = 4 ] && grep -q ": missing$" "$tmp/err" && grep -q "2 runs, 1 intact, 0 damaged, 1 missing" "$tmp/out"
    check "--verify reports the run the plan expects but the folder lacks (exit 4)" $?
    run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
    grep -q "0 runs to train, 2 already done" "$tmp/err" && [ "$(ls -a "$tmp/res/a/runs" | grep -c '^\.')" = 2 ]
    check "the next start promotes the complete copy and removes the old one" $?
fi
# hand-made states: an .old- alone comes back; an incomplete .tmp- goes and the .old- comes back
mv "$tmp/res/a/runs/hidden=16_seed=1" "$tmp/res/a/runs/.old-hidden=16_seed=1-999"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
grep -q "0 runs to train, 2 already done" "$tmp/err"
check "a run renamed to .old- by a killed commit is restored" $?
cp -r "$tmp/res/a/runs/hidden=16_seed=1" "$tmp/res/a/runs/.tmp-hidden=16_seed=1-998"
rm "$tmp/res/a/runs/.tmp-hidden=16_seed=1-998/weights.h5"
mv "$tmp/res/a/runs/hidden=16_seed=1" "$tmp/res/a/runs/.old-hidden=16_seed=1-998"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
grep -q "0 runs to train, 2 already done" "$tmp/err" && [ "$(ls -a "$tmp/res/a/runs" | grep -c '^\.')" = 2 ]
check "an incomplete .tmp- is removed and the .old- restored" $?
# a complete .tmp- without its .old- (a commit killed before its renames, when its files may be written but not yet
# on disk) is never promoted: it goes and its run trains again (was: promoted if its files read whole)
mv "$tmp/res/a/runs/hidden=16_seed=1" "$tmp/res/a/runs/.tmp-hidden=16_seed=1@$(hostname)@997"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
grep -q "1 run to train, 1 already done" "$tmp/err" && [ "$(ls -a "$tmp/res/a/runs" | grep -c '^\.')" = 2 ] &&
    [ -f "$tmp/res/a/runs/hidden=16_seed=1/weights.h5" ]
check "a .tmp- without its .old- is removed and its run trained again" $? "$(cat "$tmp/err")"

# 11. a weights.h5 locked by another process is busy, not damaged: --verify and a run exit 4, nothing retrained
if command -v flock >/dev/null; then
    w="$tmp/res/a/runs/hidden=64_seed=1/weights.h5"
    before=$(ls -li "$w")
    # one process holds the lock, so killing it by its PID releases it
    hold_lock "$w"
    "$RUNNER" --results "$tmp/res" --verify a >/dev/null 2>"$tmp/err"
    [ $? = 4 ] && grep -q "hidden=64_seed=1: cannot be read now" "$tmp/err" && ! grep -q "damaged:" "$tmp/err"
    check "--verify reports a locked weights.h5 as busy, not damaged (exit 4)" $?
    run --quiet --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
    [ $? = 4 ] && grep -q "cannot be read now" "$tmp/err" && [ "$(ls -li "$w")" = "$before" ]
    check "a run on a locked weights.h5 exits 4 and retrains nothing" $?
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
else
    skip "the locked weights.h5 tests" "no flock(1)"
fi

# 13. temporaries of a killed rebuild (this version's and the earlier ".tmpPID") are cleaned under the lock
run --quiet --set train.epochs=3 "$tmp/a.ini"
for f in "$tmp/res/a/summary.tsv.tmp123" "$tmp/res/a/results.h5.runner-tmp-77" "$tmp/res/index.md.tmp55" \
    "$tmp/plots/a/loss_curves.dat.runner-tmp-9"; do : >"$f"; done
"$RUNNER" --plots "$tmp/plots" --results "$tmp/res" --no-plots --quiet --set train.epochs=3 "$tmp/a.ini"
[ -z "$(find "$tmp/res" "$tmp/plots" -name '*.tmp[0-9]*' -o -name '*.runner-tmp-*')" ]
check "temporaries in the experiment, the results root and the plots folder are cleaned" $?

# 14. two runners on different experiments finishing together: index.md lists both
if [ -n "$shim" ]; then
    sed 's/^name = a/name = b/' "$tmp/a.ini" >"$tmp/b.ini"
    rm -f "$tmp/mark"
    SHIM_SLOW_RENAME=index.md SHIM_MARK="$tmp/mark" run_bin=$SHIMMED LD_PRELOAD="$(preload "$shim")" run --quiet \
        --set train.epochs=3 --set experiment.name=c "$tmp/a.ini" &
    slow=$!
    i=0
    while [ ! -f "$tmp/mark" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    run --quiet "$tmp/b.ini"
    wait "$slow"
    grep -q "^| \[b\]" "$tmp/res/index.md" && grep -q "^| \[c\]" "$tmp/res/index.md"
    check "index.md keeps both experiments when two runners finish together" $?
fi

# 15. --verify streams: 1024 missing runs (far more than 64 KiB of lines) and the closing count
mkdir -p "$tmp/res/big/runs"
cat >"$tmp/res/big/plan.txt" <<INI
experiment.name=big
sweep.train.learning_rate=linspace(0.01, 1, 64)
sweep.train.epochs=1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
INI
"$RUNNER" --results "$tmp/res" --verify big >"$tmp/out" 2>"$tmp/err"
[ $? = 4 ] && [ "$(grep -c ": missing$" "$tmp/err")" = 1024 ] && [ "$(wc -c <"$tmp/err")" -gt 65536 ] &&
    grep -q "1024 runs, 0 intact, 0 damaged, 1024 missing" "$tmp/out"
check "--verify prints every line and the count beyond 64 KiB" $?

# a plan cut short in its first key is named with its line and the line itself, not as a --set's error
printf 'experiment.name=big\nexperime' >"$tmp/res/big/plan.txt"
"$RUNNER" --results "$tmp/res" --verify big >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" = 4 ] && [ "$(cat "$tmp/err")" = "$tmp/res/big/plan.txt:2: damaged (not a line of the plan a runner \
writes: 'experime'); run the config again to rewrite it" ]
check "--verify of a damaged plan.txt names its line (exit 4, one line)" $? "status $status: $(cat "$tmp/err")"

# a plan whose sweep list is longer than an INI line is recorded whole
run --quiet --set experiment.name=long --set sweep.train.learning_rate="linspace(0.01, 1, 40)" \
    --set sweep.model.hidden=2 --set train.epochs=1 "$tmp/a.ini"
"$RUNNER" --results "$tmp/res" --verify long 2>&1 | grep -q "40 runs, 40 intact, 0 damaged, 0 missing"
check "--verify reads back a plan with a 40-value sweep list" $?

# 15b. a row lost from the middle of curve.dat, a row the schedule (train.eval_every) does not make, a missing
# confusion.tsv: each run is damaged, named with its cause, and trained again; a run from before confusion.tsv (its
# curve.dat without the lr column) is intact without one
run --quiet --set experiment.name=sched --set train.epochs=4 --set train.eval_every=2 --set "experiment.seeds=1, 2" \
    "$tmp/a.ini"
s="$tmp/res/sched/runs"
sed -i '3d' "$s/hidden=16_seed=1/curve.dat"
awk 'NR == 2 { print; $1 = 1 } 1' "$s/hidden=16_seed=2/curve.dat" >"$tmp/c" && mv "$tmp/c" "$s/hidden=16_seed=2/curve.dat"
rm "$s/hidden=64_seed=1/confusion.tsv" "$s/hidden=64_seed=2/confusion.tsv"
awk '{ NF = NR == 1 ? 9 : 8; print }' "$s/hidden=64_seed=2/curve.dat" >"$tmp/c" && mv "$tmp/c" "$s/hidden=64_seed=2/curve.dat"
"$RUNNER" --results "$tmp/res" --verify sched >"$tmp/out" 2>"$tmp/err"
[ $? = 4 ] && grep -q "hidden=16_seed=1: damaged: curve.dat has no row for epoch 2 (train.eval_every = 2)$" "$tmp/err" &&
    grep -q "hidden=16_seed=2: damaged: curve.dat has a row for epoch 1, which is not evaluated" "$tmp/err" &&
    grep -q "hidden=64_seed=1: damaged: confusion.tsv missing$" "$tmp/err" && ! grep -q "hidden=64_seed=2" "$tmp/err" &&
    grep -q "4 runs, 1 intact, 3 damaged" "$tmp/out"
check "--verify finds a curve row lost or added against the schedule and a missing confusion.tsv" $? "$(cat "$tmp/err")"
run --set experiment.name=sched --set train.epochs=4 --set train.eval_every=2 --set "experiment.seeds=1, 2" \
    "$tmp/a.ini" 2>"$tmp/err"
grep -q "3 runs to train, 1 already done" "$tmp/err" && "$RUNNER" --results "$tmp/res" --verify sched >/dev/null 2>&1
check "the damaged runs are trained again, the older run kept" $? "$(cat "$tmp/err")"

# 15c. result.tsv must tell a run that ended as training ends one, and curve.dat's last row must be an evaluated
# epoch: a run cut short at epoch 2 of 4 (its curve too) that did not diverge or stop early; a last row at epoch 3,
# which train.eval_every = 2 does not evaluate (epochs_done to match); a best epoch past the last; a diverged run
# whose divergence comes before its last evaluation. Each is damaged, named, and trained again.
res() { awk -F'\t' -v OFS='\t' -v col="$2" -v val="$3" 'NR == 2 { $col = val } 1' "$s/$1/result.tsv" >"$tmp/r" &&
    mv "$tmp/r" "$s/$1/result.tsv"; }
head -3 "$s/hidden=16_seed=1/curve.dat" >"$tmp/c" && mv "$tmp/c" "$s/hidden=16_seed=1/curve.dat"
res hidden=16_seed=1 2 2
awk '$1 == 4 { $1 = 3 } 1' "$s/hidden=16_seed=2/curve.dat" >"$tmp/c" && mv "$tmp/c" "$s/hidden=16_seed=2/curve.dat"
res hidden=16_seed=2 2 3
res hidden=64_seed=1 8 9
res hidden=64_seed=2 1 diverged && res hidden=64_seed=2 3 1
"$RUNNER" --results "$tmp/res" --verify sched >"$tmp/out" 2>"$tmp/err"
[ $? = 4 ] &&
    grep -q "hidden=16_seed=1: damaged: result.tsv: the run ends at epoch 2 of 4, but it did not diverge, stop early or reach its target$" "$tmp/err" &&
    grep -q "hidden=16_seed=2: damaged: curve.dat has a row for epoch 3, which is not evaluated (train.eval_every = 2)$" "$tmp/err" &&
    grep -q "hidden=64_seed=1: damaged: result.tsv: best_epoch 9 is not between 0 and epochs_done 4$" "$tmp/err" &&
    grep -q "hidden=64_seed=2: damaged: result.tsv: diverged_epoch 1 is not between epochs_done 4 and train.epochs 4$" "$tmp/err" &&
    grep -q "4 runs, 0 intact, 4 damaged" "$tmp/out"
check "--verify finds a result.tsv that does not end as a run ends, and a last curve row off the schedule" $? "$(cat "$tmp/err")"
run --set experiment.name=sched --set train.epochs=4 --set train.eval_every=2 --set "experiment.seeds=1, 2" \
    "$tmp/a.ini" 2>"$tmp/err"
grep -q "4 runs to train, 0 already done" "$tmp/err" && "$RUNNER" --results "$tmp/res" --verify sched >/dev/null 2>&1
check "those runs are trained again" $? "$(cat "$tmp/err")"

# 16. a file, and a nested folder, where a run folder belongs: replaced, and no .old- left behind
rm -rf "$tmp/res/a/runs/hidden=16_seed=1"
echo junk >"$tmp/res/a/runs/hidden=16_seed=1"
rm -rf "$tmp/res/a/runs/hidden=64_seed=1"
mkdir -p "$tmp/res/a/runs/hidden=64_seed=1/sub/deeper"
: >"$tmp/res/a/runs/hidden=64_seed=1/sub/deeper/x"
ln -s "$tmp/d.h5" "$tmp/res/a/runs/hidden=64_seed=1/sub/link"
run --set train.epochs=3 "$tmp/a.ini" 2>"$tmp/err"
grep -q "2 runs to train, 0 already done" "$tmp/err" && [ -z "$(ls -a "$tmp/res/a/runs" | grep '^\.[a-z]')" ] &&
    [ -f "$tmp/d.h5" ] && "$RUNNER" --results "$tmp/res" --verify a >/dev/null
check "a file or a nested folder where a run belongs is replaced and removed (links not followed)" $?

# 17. a run that cannot be committed stops the runs in flight, as a signal would (each writes its checkpoint), and
# the runner exits 4 (was: they trained on to their end, here a million epochs, and were then not written). Two runs
# side by side, then fused on two threads: one diverges at once and fails to commit; the other would train for
# minutes. No checkpoint but the one the stop writes (checkpoint_every 1e9). a.ini at hidden 16 alone.
for threads in 1 2; do
    [ -n "$shim" ] || break
    SHIM_FAIL_RENAME=1 LD_PRELOAD="$(preload "$shim")" timeout 60 "$SHIMMED" --threads $threads --no-plots \
        --plots "$tmp/plots" --results "$tmp/halt$threads" --set experiment.name=halt --set train.epochs=1000000 \
        --set sweep.model.hidden=16 --set sweep.train.learning_rate=1000,0.01 --set train.checkpoint_every=1e9 \
        --set "experiment.parallel_runs=$([ $threads = 2 ] && echo auto || echo 2)" "$tmp/a.ini" 2>"$tmp/err"
    status=$?
    [ "$status" = 4 ] && grep -q "cannot commit run: No space left on device" "$tmp/err" &&
        [ -n "$(find "$tmp/halt$threads/halt/runs" -name '.ckpt-*' ! -name '*.runner-tmp-*')" ]
    check "a failed commit stops the runs in flight with their checkpoints, exit 4 ($threads threads a run)" $? \
        "status $status: $(cat "$tmp/err")"
    [ $threads = 1 ] || grep -q "fused group" "$tmp/err" ||
        skip "a failed commit in a fused group" "the scheduler did not fuse the two runs here: $(head -1 "$tmp/err")"
done

# 18. a damaged experiment.ini (cut short, overwritten) is named as such, exit 4, not compared key by key as if
# every key had changed; --force starts over
rm -rf "$tmp/dmg"
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/dmg" --set train.epochs=1 "$tmp/a.ini"
head -c 20 "$tmp/dmg/a/experiment.ini" >"$tmp/cut" && mv "$tmp/cut" "$tmp/dmg/a/experiment.ini"
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/dmg" --set train.epochs=1 "$tmp/a.ini" 2>"$tmp/err"
status=$?
[ "$status" = 4 ] && grep -q "experiment.ini is damaged (not the identity a runner writes" "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" = 1 ] && ! grep -q "different configuration" "$tmp/err"
check "a cut experiment.ini is refused as damaged (exit 4, one line)" $? "status $status: $(cat "$tmp/err")"
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/dmg" --set train.epochs=1 --force "$tmp/a.ini" &&
    "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/dmg" --set train.epochs=1 "$tmp/a.ini"
check "--force rewrites a damaged experiment.ini, and the next run resumes" $?
# a section may be absent (every key of it swept): such a file is a configuration, compared key by key
awk '/^\[model\]$/ { skip = 1; next } /^\[/ { skip = 0 } !skip' "$tmp/dmg/a/experiment.ini" >"$tmp/nomodel" &&
    mv "$tmp/nomodel" "$tmp/dmg/a/experiment.ini"
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$tmp/dmg" --set train.epochs=1 "$tmp/a.ini" 2>"$tmp/err"
status=$?
[ "$status" = 2 ] && grep -q "different configuration (model\." "$tmp/err"
check "an experiment.ini without a [model] section is compared, not called damaged (exit 2)" $? \
    "status $status: $(cat "$tmp/err")"

# 19. a --plots (or --results) that cannot be a folder is refused before either folder is made: exit 4, one line,
# nothing written (the results root was made first and left empty)
: >"$tmp/file"
"$RUNNER" --quiet --no-plots --plots "$tmp/file/sub" --results "$tmp/nores" --set train.epochs=1 "$tmp/a.ini" \
    2>"$tmp/err"
status=$?
[ "$status" = 4 ] && [ "$(cat "$tmp/err")" = "$tmp/file: exists and is not a directory" ] && [ ! -e "$tmp/nores" ]
check "a --plots under a file: exit 4, one line, no results folder made" $? "status $status: $(cat "$tmp/err")"
"$RUNNER" --quiet --no-plots --plots "$tmp/noplots" --results "$tmp/file" --set train.epochs=1 "$tmp/a.ini" 2>"$tmp/err"
status=$?
[ "$status" = 4 ] && [ ! -e "$tmp/noplots" ]
check "a --results that is a file: exit 4, no plots folder made" $? "status $status: $(cat "$tmp/err")"

finish
