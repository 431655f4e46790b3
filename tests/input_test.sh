#!/bin/sh
# Input files and gnuplot (issue #15, items 4, 5, 9, 10, 17), run from the repository root:
#   RUNNER=./build/runner sh tests/input_test.sh
# (1) Bad data in the style of tests/cli_test.sh: exit 3, stderr equal to tests/bad_data/NAME.expected or to the
#     line given here ($TMP for the temporary folder), nothing under the results root, empty stdout:
#     a uint64 label of 2^64-1, a feature that overflows once scaled, a virtual dataset whose source is missing,
#     external storage that is short; and data.file, data.test_file, model.init_file being a FIFO or /dev/zero,
#     which must not block (each case runs under a time limit).
# (2) A fake gnuplot first on PATH: one that fails, one that never exits (with a short RUNNER_GNUPLOT_TIMEOUT),
#     and SIGTERM / SIGINT sent while one hangs: the runner ends in bounded time with exit 4, 143 or 130, keeps
#     its runs, tables, scripts, report.md and index.md, and kills gnuplot's whole process group.
# Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner input_test "build it with make runner, or set RUNNER"
case $RUNNER in /*) ;; *) RUNNER=$(pwd)/$RUNNER ;; esac
make_tmp

# verdict NAME: a pass when $why is empty, else a failure printed with $why and the case's stderr.
verdict() {
    if [ -z "$why" ]; then
        pass
    else
        fail "$1" "${why#; }"
        [ -f "$tmp/stderr" ] && sed 's/^/  stderr: /' "$tmp/stderr"
    fi
}

# bounded CMD...: runs CMD with stdout and stderr in $tmp, killing it after 20 s; sets status (124 when killed).
bounded() {
    status=0
    "$@" >"$tmp/stdout" 2>"$tmp/stderr.raw" </dev/null &
    pid=$!
    (sleep 20 && kill -9 "$pid" 2>/dev/null) &
    watchdog=$!
    wait "$pid" || status=$?
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    [ "$status" = 137 ] && status=124
    sed "s|$tmp|\$TMP|g" "$tmp/stderr.raw" >"$tmp/stderr"
}

# bad_case NAME CONFIG WANT: the runner on CONFIG exits 3 with stderr WANT (a file, or the text itself), empty
# stdout and nothing under the results root.
bad_case() {
    rm -rf "$tmp/results"
    bounded "$RUNNER" --results "$tmp/results" --plots "$tmp/plots" "$2"
    if [ -f "$3" ]; then cp "$3" "$tmp/want"; else printf '%s\n' "$3" >"$tmp/want"; fi
    why=
    [ "$status" = 3 ] || why="$why; exit status $status, expected 3"
    cmp -s "$tmp/stderr" "$tmp/want" || why="$why; stderr differs: $(diff "$tmp/want" "$tmp/stderr" | tr '\n' ' ')"
    [ -e "$tmp/results" ] && why="$why; files were created under the results root"
    [ -s "$tmp/stdout" ] && why="$why; stdout is not empty"
    verdict "$1"
}

# ---- (1) bad data --------------------------------------------------------------------------------------------
for name in uint64_label overflow_after_scale vds_missing_source external_short; do
    bad_case "$name" "tests/bad_data/$name.ini" "tests/bad_data/$name.expected"
done

# config KEY=FILE ...: writes $tmp/cfg.ini, a 1-epoch config on good.h5 with the [data] and [model] keys given
config() {
    data=$1 model=$2
    printf '[experiment]\nname = input_test\n\n[data]\nfile = tests/bad_data/good.h5\n%s\n[model]\nhidden = 5\n%s\n[train]\nepochs = 1\n' \
        "$data" "$model" >"$tmp/cfg.ini"
}

mkfifo "$tmp/fifo" || { echo "input_test: mkfifo failed" >&2; exit 2; }
config "" ""
sed "s|^file = .*|file = $tmp/fifo|" "$tmp/cfg.ini" >"$tmp/fifo_file.ini"
bad_case fifo_data_file "$tmp/fifo_file.ini" \
    "\$TMP/fifo_file.ini:5: data.file: \$TMP/fifo: not a regular file (a FIFO)"
sed "s|^file = .*|file = /dev/zero|" "$tmp/cfg.ini" >"$tmp/dev_zero.ini"
bad_case dev_zero_data_file "$tmp/dev_zero.ini" \
    "\$TMP/dev_zero.ini:5: data.file: /dev/zero: not a regular file (a character device)"
config "test_file = $tmp/fifo" ""
bad_case fifo_test_file "$tmp/cfg.ini" "\$TMP/cfg.ini:6: data.test_file: \$TMP/fifo: not a regular file (a FIFO)"
config "" "init_file = $tmp/fifo"
bad_case fifo_init_file "$tmp/cfg.ini" "\$TMP/cfg.ini:9: model.init_file: \$TMP/fifo: not a regular file (a FIFO)"

# damaged inside its values, which HDF5 reads without complaint: 64 bytes of X overwritten in a copy of digits.h5
# are caught by the file's own fnv1a64 attribute
config "" "" # the cases before left init_file at the FIFO
cp data/digits.h5 "$tmp/damaged.h5"
printf '%064d' 0 | tr 0 A | dd of="$tmp/damaged.h5" bs=1 seek=200000 conv=notrunc 2>/dev/null
sed "s|^file = .*|file = $tmp/damaged.h5|; s|^hidden = .*|hidden = 16|" "$tmp/cfg.ini" >"$tmp/damaged.ini"
bad_case damaged_values "$tmp/damaged.ini" "\$TMP/damaged.ini:5: data.file: \$TMP/damaged.h5: X and y do not \
match the file's fnv1a64 attribute (9edd6a71afe3044f stored, 4e4c15a347c37b7c read): the file is damaged, or X or \
y was changed without updating it (experiments/h5layout.py computes it; delete \
it if another tool wrote it)"
# damaged in its metadata: the root group cannot be read, which is not "no dataset"
cp data/digits.h5 "$tmp/damaged.h5"
head -c 400 /dev/zero | tr '\0' '\377' | dd of="$tmp/damaged.h5" bs=1 seek=800 conv=notrunc 2>/dev/null
rm -rf "$tmp/results"
bounded "$RUNNER" --results "$tmp/results" --plots "$tmp/plots" "$tmp/damaged.ini"
why=
[ "$status" = 3 ] || why="$why; exit status $status, expected 3"
grep -q "^\$TMP/damaged.ini:5: data.file: \$TMP/damaged.h5: .*the file is damaged" "$tmp/stderr" ||
    why="$why; stderr does not say the file is damaged"
[ "$(wc -l <"$tmp/stderr")" = 1 ] || why="$why; stderr is not one line"
[ -e "$tmp/results" ] && why="$why; files were created under the results root"
verdict damaged_metadata

# ---- (2) a fake gnuplot ---------------------------------------------------------------------------------------
mkdir "$tmp/bin" "$tmp/hang" "$tmp/fail"
# it records its pid and a child's, then waits on the child forever: killing only gnuplot would leave the child
cat >"$tmp/hang/gnuplot" <<EOF
#!/bin/sh
echo \$\$ >"$tmp/gnuplot.pid"
sleep 1000 &
echo \$! >"$tmp/child.pid"
wait
EOF
printf '#!/bin/sh\necho "\\"$1\\" line 1: fake failure" >&2\nexit 1\n' >"$tmp/fail/gnuplot"
chmod +x "$tmp/hang/gnuplot" "$tmp/fail/gnuplot"
config "" ""

# results_kept WHAT: the runs, tables, scripts, report.md and index.md of $tmp/cfg.ini are there and whole
results_kept() {
    r=$tmp/results/input_test
    for f in summary.tsv table.tsv report.md ../index.md; do
        [ -s "$r/$f" ] || { why="$why; $1: no $f"; return; }
    done
    grep -q input_test "$tmp/results/index.md" || why="$why; $1: index.md does not list the experiment"
    [ -s "$tmp/plots/input_test/loss_curves.gp" ] || why="$why; $1: no loss_curves.gp"
    [ -e "$tmp/plots/input_test/loss_curves.png" ] && why="$why; $1: a loss_curves.png from a failed render"
    # the reports say why, with the new numbers, and show no image (stale.png: one left from an earlier render)
    ls "$tmp/plots/input_test" | grep -q '\.png$\|\.svg$' && why="$why; $1: images left: $(ls "$tmp/plots/input_test" | grep '\.png$\|\.svg$' | tr '\n' ' ')"
    grep -q '^Not drawn yet: rendering failed (' "$r/report.md" || why="$why; $1: report.md does not say the render failed"
    grep -q 'No plot is drawn in this page: rendering failed (' "$r/report.html" 2>/dev/null ||
        why="$why; $1: report.html missing or does not say the render failed"
    "$RUNNER" --results "$tmp/results" --verify input_test >/dev/null 2>&1 || why="$why; $1: --verify fails"
}

# ended PID: the process ends within 5 s (a killed process whose parent died too is a zombie until reaped)
ended() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
        case $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) in Z) return 0 ;; esac
        sleep 0.1
        i=$((i + 1))
    done
    ! kill -0 "$1" 2>/dev/null
}

# gone WHAT: gnuplot and its child are no longer running
gone() {
    for f in gnuplot.pid child.pid; do
        if [ ! -s "$tmp/$f" ]; then
            why="$why; $1: the fake gnuplot did not write $f"
        elif ! ended "$(cat "$tmp/$f")"; then
            why="$why; $1: process $(cat "$tmp/$f") ($f) still runs"
            kill -9 "$(cat "$tmp/$f")" 2>/dev/null
        fi
    done
}

rm -rf "$tmp/results" "$tmp/plots"
mkdir -p "$tmp/plots/input_test" && : >"$tmp/plots/input_test/acc_curves.png"
bounded env PATH="$tmp/fail:$PATH" "$RUNNER" --quiet --results "$tmp/results" --plots "$tmp/plots" "$tmp/cfg.ini"
why=
[ "$status" = 4 ] || why="$why; exit status $status, expected 4"
want="\$TMP/plots/input_test/loss_curves.gp: gnuplot exited with status 1: line 1: fake failure (its output is in \$TMP/plots/input_test/loss_curves.log)"
[ "$(cat "$tmp/stderr")" = "$want" ] || why="$why; stderr is not the one line $want"
results_kept failing
verdict "gnuplot_fails"

rm -rf "$tmp/results" "$tmp/plots" "$tmp"/*.pid
mkdir -p "$tmp/plots/input_test" && : >"$tmp/plots/input_test/acc_curves.png"
bounded env PATH="$tmp/hang:$PATH" RUNNER_GNUPLOT_TIMEOUT=1 "$RUNNER" --quiet --results "$tmp/results" \
    --plots "$tmp/plots" "$tmp/cfg.ini"
why=
[ "$status" = 4 ] || why="$why; exit status $status, expected 4 (124: still running after 20 s)"
want="\$TMP/plots/input_test/loss_curves.gp: gnuplot did not finish within 1 s and was killed (RUNNER_GNUPLOT_TIMEOUT sets the limit; its output is in \$TMP/plots/input_test/loss_curves.log)"
[ "$(cat "$tmp/stderr")" = "$want" ] || why="$why; stderr is not the one line $want"
results_kept timeout
gone timeout
verdict "gnuplot_timeout"

# signal_case SIG CODE: SIG sent once the hanging gnuplot runs (default time limit) ends the runner with CODE
signal_case() {
    rm -rf "$tmp/results" "$tmp/plots" "$tmp"/*.pid
    PATH="$tmp/hang:$PATH" "$RUNNER" --quiet --results "$tmp/results" --plots "$tmp/plots" "$tmp/cfg.ini" \
        >"$tmp/stdout" 2>"$tmp/stderr.raw" </dev/null &
    pid=$!
    i=0
    while [ ! -s "$tmp/child.pid" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill -"$1" "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    why=
    if kill -0 "$pid" 2>/dev/null; then
        why="; still running 10 s after SIG$1"
        kill -9 "$pid"
    fi
    status=0
    wait "$pid" || status=$?
    sed "s|$tmp|\$TMP|g" "$tmp/stderr.raw" >"$tmp/stderr"
    [ "$status" = "$2" ] || why="$why; exit status $status, expected $2"
    want="input_test: stopped by signal $3; committed runs are kept, run again to resume"
    [ "$(cat "$tmp/stderr")" = "$want" ] || why="$why; stderr is not the one line $want"
    results_kept "SIG$1"
    gone "SIG$1"
    [ -e "$tmp/plots/input_test/loss_curves.log" ] && why="$why; a log of the stopped render is left"
    verdict "gnuplot_sig$1"
}
signal_case TERM 143 15
signal_case INT 130 2

rm -rf "$tmp/results" "$tmp/plots"
bounded env RUNNER_GNUPLOT_TIMEOUT=soon "$RUNNER" --results "$tmp/results" --plots "$tmp/plots" "$tmp/cfg.ini"
why=
[ "$status" = 2 ] || why="$why; exit status $status, expected 2"
want="runner: RUNNER_GNUPLOT_TIMEOUT=soon: expected seconds per plot script, more than 0 and at most 86400"
[ "$(cat "$tmp/stderr")" = "$want" ] || why="$why; stderr is not the one line $want"
[ -e "$tmp/results" ] && why="$why; files were created under the results root"
verdict "bad_gnuplot_timeout"

# ---- (3) a re-run draws only what changed -----------------------------------------------------------------------
# gnuplot behind a wrapper that records each script it is given: a run with nothing new draws nothing and leaves
# the images as they were; a missing image, an empty one, a render's stamp gone (a render cut short leaves none) and
# an image whose time moved (drawn again by hand, or a clock or a copy ahead) each draw that plot alone; new numbers
# (a run trained again: its seconds differ) draw the plots whose data changed; --no-plots removes the images, so the
# next run draws them all.
if real=$(command -v gnuplot); then
    mkdir "$tmp/count"
    printf '#!/bin/sh\necho "${1##*/}" >>"%s/rendered"\nexec "%s" "$@"\n' "$tmp" "$real" >"$tmp/count/gnuplot"
    chmod +x "$tmp/count/gnuplot"
    rm -rf "$tmp/results" "$tmp/plots"
    p=$tmp/plots/input_test
    # drawn [ARG...]: runs the runner with the wrapper; why gets what was drawn unless that is $want (any: not
    # checked; every: each script in the folder)
    drawn() {
        rm -f "$tmp/rendered"
        bounded env PATH="$tmp/count:$PATH" "$RUNNER" --quiet --results "$tmp/results" --plots "$tmp/plots" "$@" \
            "$tmp/cfg.ini"
        [ "$status" = 0 ] || why="$why; exit status $status"
        got=$(sort "$tmp/rendered" 2>/dev/null | tr '\n' ' ')
        if [ "$want" = every ]; then
            want=$(cd "$p" && ls ./*.gp | sed 's|^\./||' | sort | tr '\n' ' ')
            [ -n "$want" ] || why="$why; no plot script was written"
        fi
        [ "$want" = any ] || [ "$got" = "$want" ] || why="$why; drew '$got', expected '$want'"
    }
    why= want=every
    drawn
    ls -l --time-style=full-iso "$p" >"$tmp/before"
    want=
    drawn
    ls -l --time-style=full-iso "$p" | cmp -s - "$tmp/before" || why="$why; a run with nothing new changed the plots"
    verdict "rerun_draws_nothing"
    why=
    rm "$p/loss_curves.svg" "$p/acc_curves.drawn"
    : >"$p/time.png"
    touch -d '+10 minutes' "$p/confusion.png"
    want="acc_curves.gp confusion.gp loss_curves.gp time.gp "
    drawn
    [ -s "$p/loss_curves.svg" ] || why="$why; loss_curves.svg is not drawn again"
    want=
    drawn
    verdict "rerun_draws_what_changed"
    why=
    (cd "$p" && cksum ./*.dat ./*.gp) >"$tmp/sums"
    rm -r "$tmp/results/input_test/runs/"*
    want=any
    drawn
    # the plots whose script or data the new run changed, and only those (the curves carry each epoch's seconds)
    want=$(cd "$p" && cksum ./*.dat ./*.gp | cmp -s - "$tmp/sums" ||
        cksum ./*.dat ./*.gp | diff - "$tmp/sums" | sed -n 's|^< .* \./\(.*\)\.[a-z]*$|\1.gp|p' | sort -u | tr '\n' ' ')
    [ -n "$want" ] || why="$why; the new run changed no plot's data"
    [ "$got" = "$want" ] || why="$why; drew '$got', expected the changed '$want'"
    verdict "rerun_draws_new_numbers"
    why=
    want=
    drawn --no-plots
    ls "$p" | grep -q '\.png$\|\.svg$\|\.drawn$' && why="$why; --no-plots left images or stamps"
    want=every
    drawn
    verdict "rerun_after_no_plots_draws_all"
else
    for c in rerun_draws_nothing rerun_draws_what_changed rerun_draws_new_numbers rerun_after_no_plots_draws_all; do
        skip "$c" "gnuplot is not installed"
    done
fi

finish
