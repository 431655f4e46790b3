#!/bin/sh
# No result lost to a full disk or a read-only results directory. A 6-run sweep writes into a small tmpfs whose
# size is a fraction of what the sweep needs, so the disk fills at a different point each time (a run's files,
# summary.tsv, table.tsv, results.h5). Each time the runner must exit 4 with stdout empty and every stderr line
# naming a path under the results folder and "No space left on device"; every committed run must be whole (its
# 5 files, a result.tsv that parses), no temporary folder may stay; then, the tmpfs made larger, a resume must
# end with the summary of an uninterrupted sweep (timing columns aside). A read-only results directory (chmod
# a-w as the user nobody, since root ignores permission bits, and a read-only bind mount as root) must be
# refused with exit 4 and "not writable" before any training.
#
# Needs root (mount), or unshare for an unprivileged mount namespace (the nobody case is then skipped).
# Run from the repo root: RUNNER=./build/runner sh tests/disk_full_test.sh. Ends with "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner disk_full_test "make, or set RUNNER"
if [ "$(id -u)" != 0 ]; then
    if [ -z "${DISK_FULL_USERNS:-}" ] && unshare -rm true 2>/dev/null; then
        DISK_FULL_USERNS=1 exec unshare -rm sh "$0" "$@"
    fi
    if [ -z "${DISK_FULL_USERNS:-}" ]; then
        echo "disk_full_test: needs root or unshare -rm to mount a small tmpfs" >&2
        exit 2
    fi
fi
case $RUNNER in /*) ;; *) RUNNER=$PWD/$RUNNER ;; esac

make_tmp
chmod 755 "$tmp" # the user nobody works in here too
mnt=$tmp/mnt
mkdir "$mnt" "$tmp/plots"
chmod 777 "$tmp/plots"
unmount_all() {
    for m in "$tmp/ro/full/runs" "$mnt"; do
        mountpoint -q "$m" 2>/dev/null && umount "$m"
    done
}
tmp_cleanup=unmount_all

# 6 short runs: 2 learning rates x 3 seeds
cat >"$tmp/sweep.ini" <<'INI'
[experiment]
name = full
seeds = 1, 2, 3
[data]
file = data/digits.h5
scale = 0.0625
[model]
hidden = 16
[train]
epochs = 5
[sweep]
train.learning_rate = 0.1, 1
INI
runs=6

# the uninterrupted sweep, on a tmpfs too, to measure what it needs
mount -t tmpfs -o size=16m tmpfs "$mnt" || exit 2
"$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$mnt/res" "$tmp/sweep.ini" </dev/null
check "uninterrupted sweep" $?
need=$(df -k "$mnt" | awk 'NR == 2 {print $3}')
cp -r "$mnt/res" "$tmp/ref"
umount "$mnt"
header=$(head -n 1 "$tmp/ref/full/runs/learning_rate=1_seed=1/result.tsv")
strip "$tmp/ref/full/summary.tsv" >"$tmp/ref.summary"

# whole_runs DIR [ckpt]: every run folder of DIR/full/runs holds the 5 files and a result.tsv that parses, and no
# temporary is left (with ckpt, complete in-run checkpoints may be); prints why not
whole_runs() {
    for d in "$1"/full/runs/*; do
        [ -d "$d" ] || continue
        id=${d##*/}
        [ -d "$tmp/ref/full/runs/$id" ] || echo "unknown run $id"
        for f in curve.dat result.tsv weights.h5 config.ini manifest.txt; do
            [ -s "$d/$f" ] || echo "run $id has no $f"
        done
        [ -s "$d/result.tsv" ] && awk -F'\t' -v h="$header" '
            NR == 1 && $0 != h { bad = 1 }
            NR == 2 && (NF != split(h, cols, "\t") || ($1 != "ok" && $1 != "diverged")) { bad = 1 }
            NR == 2 { for (i = 2; i <= NF; i++) if ($i !~ /^-?[0-9.e+-]+$|^nan$|^-?inf$|^$/) bad = 1 }
            END { exit bad || NR != 2 }' "$d/result.tsv" || echo "run $id: result.tsv does not parse"
    done
    # an in-run checkpoint is no temporary while runs are left to train (the runs a failed commit stopped write one
    # where there is space): ckpt allows those, not the temporaries of their writes
    ls -A "$1/full/runs" | grep '^\.' | awk -v ck="${2:-}" '!(ck == "ckpt" && /^\.ckpt-/ && !/\.runner-tmp-/)' |
        sed 's/^/temporary folder left: /'
    if [ -f "$1/full/summary.tsv" ]; then
        tail -n +2 "$1/full/summary.tsv" | cut -f 1 | while read -r id; do
            [ -f "$1/full/runs/$id/result.tsv" ] || echo "summary.tsv lists $id, which is not committed"
        done
    fi
}

# ---- a full disk at several points of the sweep ----------------------------------------------------------------
for pct in 20 35 50 65 80 95; do
    size=$((need * pct / 100))
    mount -t tmpfs -o size=${size}k tmpfs "$mnt" || exit 2
    status=0
    "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$mnt/res" "$tmp/sweep.ini" \
        >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
    committed=$(ls "$mnt/res/full/runs" 2>/dev/null | wc -l)
    name="disk full at ${size} KiB of ${need} ($committed of $runs runs committed)"
    [ "$status" = 4 ]
    check "$name: exit status" $? "$status, expected 4"
    [ -s "$tmp/err" ] && ! grep -Ev "^(warning: )?$mnt/res/[^ ]*: .*No space left on device" "$tmp/err" >/dev/null
    check "$name: each error line names a path and ENOSPC" $? "$(cat "$tmp/err")"
    [ ! -s "$tmp/out" ]
    check "$name: stdout empty" $?
    why=$(whole_runs "$mnt/res" ckpt)
    [ -z "$why" ]
    check "$name: committed runs whole, no half run counted" $? "$why"

    # space freed: the resume trains the rest and ends where an uninterrupted sweep ends
    mount -o remount,size=16m "$mnt"
    "$RUNNER" --quiet --no-plots --plots "$tmp/plots" --results "$mnt/res" "$tmp/sweep.ini" </dev/null
    check "$name: resume" $?
    strip "$mnt/res/full/summary.tsv" 2>/dev/null | cmp -s - "$tmp/ref.summary"
    check "$name: resumed summary equals the uninterrupted one" $?
    why=$(whole_runs "$mnt/res")
    [ -z "$why" ] && [ "$(ls "$mnt/res/full/runs" | wc -l)" = $runs ]
    check "$name: all runs whole after resume" $? "$why"
    umount "$mnt"
done

# ---- a read-only results directory: refused before training --------------------------------------------------
# The refused runner is not quiet: "N runs to train" is printed just before training starts, and must not be.
# It would have 4 runs to train, so it must also take less time than training the first 2 did.
# seconds since the epoch, with fractions
now() { date +%s.%N; }
ro="--no-plots --plots $tmp/plots --results $tmp/ro --set train.epochs=200"
# time_runner OUT ERR ARGS...: runs the runner; sets status, took (seconds) and before (runs committed before)
time_runner() {
    out=$1
    err=$2
    shift 2
    before=$(ls -A "$tmp/ro/full/runs" 2>/dev/null | wc -l)
    t0=$(now)
    status=0
    "$@" >"$out" 2>"$err" </dev/null || status=$?
    took=$(echo "$t0 $(now)" | awk '{printf "%.2f", $2 - $1}')
}
# refused NAME: exit 4 saying "not writable", stdout empty, training never started, nothing committed
refused() {
    [ "$status" = 4 ] && grep -q "not writable" "$tmp/err" && [ ! -s "$tmp/out" ]
    check "$1: exit 4 saying not writable" $? "status $status, took $took s: $(cat "$tmp/err" "$tmp/out")"
    # (no wall-time bound: a refusal of ~20 ms against 2 runs of ~0.1 s failed on one scheduling stall)
    ! grep -q "to train, " "$tmp/err" && [ "$(ls -A "$tmp/ro/full/runs" | wc -l)" = "$before" ]
    check "$1: refused before training" $? \
        "took $took s (the first 2 runs $train_time s): $(ls -A "$tmp/ro/full/runs" | tr '\n' ' ')"
}

mkdir "$tmp/ro"
# shellcheck disable=SC2086 # $as_nobody and $ro are lists of arguments
if [ "$(id -u)" = 0 ] && [ -z "${DISK_FULL_USERNS:-}" ] && command -v setpriv >/dev/null &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    # as nobody, who owns the results: 2 runs (seed 1) committed, then the runs folder made read-only
    as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    chown -R nobody "$tmp/ro" "$tmp/plots"
    time_runner "$tmp/out" "$tmp/err" $as_nobody "$RUNNER" --quiet $ro --set experiment.seeds=1 "$tmp/sweep.ini"
    train_time=$took
    check "read-only (nobody): first 2 runs" "$status" "$(cat "$tmp/err")"
    chmod a-w "$tmp/ro/full/runs"
    time_runner "$tmp/out" "$tmp/err" $as_nobody "$RUNNER" $ro "$tmp/sweep.ini"
    refused "read-only runs folder (chmod a-w, user nobody)"
    chmod u+w "$tmp/ro/full/runs"
    # the experiment folder itself read-only: its lock, summary and tables could not be written
    chmod a-w "$tmp/ro/full"
    time_runner "$tmp/out" "$tmp/err" $as_nobody "$RUNNER" $ro "$tmp/sweep.ini"
    refused "read-only experiment folder (chmod a-w, user nobody)"
    chmod u+w "$tmp/ro/full"
else
    skip "disk_full_test: the chmod a-w cases" "they need root and setpriv to run as the user nobody"
    time_runner "$tmp/out" "$tmp/err" "$RUNNER" --quiet $ro --set experiment.seeds=1 "$tmp/sweep.ini"
    train_time=$took
    check "read-only: first 2 runs" "$status" "$(cat "$tmp/err")"
fi

# as root (root ignores permission bits, not a read-only mount): the runs folder bind-mounted read-only
if mount --bind "$tmp/ro/full/runs" "$tmp/ro/full/runs" && mount -o remount,bind,ro "$tmp/ro/full/runs"; then
    # shellcheck disable=SC2086
    time_runner "$tmp/out" "$tmp/err" "$RUNNER" $ro "$tmp/sweep.ini"
    refused "read-only runs folder (bind mount)"
    umount "$tmp/ro/full/runs"
else
    check "read-only bind mount of the runs folder" 1 "mount --bind failed"
fi

finish disk_full_test
