#!/bin/sh
# make bench: kernel throughput against OpenBLAS sgemm, end-to-end runs against scikit-learn, PyTorch and FANN,
# the 75-run sweep against scikit-learn + joblib, thread scaling, the scheduler's crossover and peak memory.
# Every end-to-end measurement is a whole process (wall clock around it, CPU and memory from wait4),
# with its own in-process training time (train_s), repeated BENCH_REPS times with the
# contenders interleaved (each repetition runs every one in turn, so a noisy phase of a shared machine hits all
# alike); medians are taken by experiments/bench_report.py, which writes results/bench/report.md and the plots.
# A peer that is not installed (make bench-deps) is skipped and named in the report.
# Environment: RUNNER, BENCH_BIN (the bench programs), BENCH_OUT, BENCH_PLOTS, BENCH_REPS (default 5),
# BENCH_CFLAGS (for the report), BENCH_QUICK=1 (a fast smoke run: 2 repetitions, small workloads).
set -eu
RUNNER=${RUNNER:-build/runner}
BIN=${BENCH_BIN:-build/bench}
OUT=${BENCH_OUT:-results/bench}
PLOTS=${BENCH_PLOTS:-plots/bench}
REPS=${BENCH_REPS:-5}
QUICK=${BENCH_QUICK:-0}
PY=/usr/bin/python3
DATA=data/digits.h5
# Debian's OpenBLAS 0.3.21 does not know this CPU by name, and this machine's environment pins an AVX2 core;
# SkylakeX selects the AVX-512 kernels (the report shows sgemm with each choice).
export OPENBLAS_CORETYPE="${BENCH_OPENBLAS_CORETYPE:-SkylakeX}"
NCPU=$(nproc)
[ "$QUICK" = 1 ] && REPS=2

mkdir -p "$OUT" "$PLOTS"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# a signal ends the bench through its EXIT trap (dash runs none when a signal kills it), so the results set aside
# below are removed too
trap 'exit 130' INT HUP
trap 'exit 143' TERM
# set_aside: the last process's results folder moved out of the way, deleted only with $TMP at the end. On an
# ext4 mounted without a journal (this VM's), the kernel will not reuse an inode freed in the last minutes, and
# every file then created near the freed ones searches past them. Deleting each repetition's results before the
# next made the bench's own runs pay that: the 75-run grid (some 1,000 files a process) took 806 ms right after an
# rm -rf of the last repetition's results and 764 ms with them set aside (medians of 6, interleaved, each way in
# its own folder; a file created there afterwards cost 257 vs 82 us); a digits process (35 files) 31.6 vs 32.1 ms,
# the same within the noise (10 interleaved).
kept=0
set_aside() {
  [ -e "$TMP/results" ] || return 0
  kept=$((kept + 1))
  mkdir -p "$TMP/kept" && mv "$TMP/results" "$TMP/kept/$kept"
}
# create_cost NAME: microseconds per file for 200 empty files created in a new folder of $TMP, where the runner's
# results go (kept until the end, as they are): the state of the file system the runs met
create_cost() {
  $PY -c 'import os, sys, time
d = sys.argv[1]; os.makedirs(d); t = time.perf_counter()
for i in range(200): os.close(os.open("%s/f%d" % (d, i), os.O_WRONLY | os.O_CREAT, 0o644))
print("%.0f us a file (200 created in the results folder)" % ((time.perf_counter() - t) / 200 * 1e6))' "$TMP/$1" \
    2>/dev/null || echo "not measured"
}
E2E="$OUT/e2e.tsv"
SKIP="$OUT/skipped.tsv"
printf 'workload\ttool\tthreads\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tacc\ttrain_s\tstatus\n' > "$E2E"
printf 'what\twhy\n' > "$SKIP"
printf 'workload\trows\tfeatures\thidden\tbytes\n' > "$OUT/synthetic.tsv"
# the arithmetic of every end-to-end workload, from which the report computes GFLOP/s and % of the sgemm peak:
# runs x epochs x training rows x the training FLOP of one sample (bench_report.py's sample_flop); rows: the
# training rows (digits' 1438 unless given)
WL="$OUT/workloads.tsv"
printf 'workload\tlayers\tepochs\truns\trows\n' > "$WL"
wl() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-1438}" >> "$WL"; }
skip() { printf '%s\t%s\n' "$1" "$2" >> "$SKIP"; echo "bench: skipping $1: $2" >&2; }
# round_trip WORKLOAD TOOL REP: the cross-core round trip (bench_kernels --round-trip, ns) just before a 2-thread run,
# a row of round_trip.tsv: on this VM the two vCPUs are near each other in some minutes and far apart in others, and
# a 2-thread step's barriers and shared activations pay the distance (bench_kernels.c says what it measured)
printf 'workload\ttool\trep\tns\n' > "$OUT/round_trip.tsv"
round_trip() {
  [ -x "$BIN/bench_kernels" ] || return 0
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(timeout 20 "$BIN/bench_kernels" --round-trip || echo none)" \
    >> "$OUT/round_trip.tsv"
}

# os_costs: what the kernel charges a short process (bench_kernels --os-costs), which the whole-process rows pay many
# times; read before and after the runs, as the host's other work moves it
os_costs() {
  { [ -x "$BIN/bench_kernels" ] && timeout 60 "$BIN/bench_kernels" --os-costs; } | awk -F'\t' '
    NF == 3 { printf "page fault %s us, system call %s us, bare process (/bin/true spawned) %s ms", $1, $2, $3; ok = 1 }
    END { if (!ok) print "not measured" }'
}

# ---- machine ------------------------------------------------------------------------------------------------
{
  printf 'key\tvalue\n'
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  printf 'cpu_family_model\t%s\n' \
    "$(awk -F': ' '/^cpu family/{f=$2} /^model[[:space:]]*:/{m=$2} END{print f "/" m}' /proc/cpuinfo)"
  printf 'avx512\t%s\n' "$(grep -q avx512f /proc/cpuinfo && echo yes || echo no)"
  printf 'cores\t%s\n' "$NCPU"
  printf 'memory\t%s\n' "$(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  printf 'os\t%s\n' "$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}") / Linux $(uname -r)"
  printf 'compiler\t%s\n' "$(${CC:-gcc} --version | head -1)"
  printf 'cflags\t%s\n' "${BENCH_CFLAGS:-unknown}"
  printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'repetitions\t%s\n' "$REPS"
  if [ "$QUICK" = 1 ]; then printf 'run\tsmoke run (BENCH_QUICK=1): short trainings, not measurements\n'
  else printf 'run\tfull\n'; fi
  printf 'openblas_coretype\t%s\n' "$OPENBLAS_CORETYPE"
  printf 'file_create_before\t%s\n' "$(create_cost probe-before)"
  printf 'os_costs\t%s\n' "$(os_costs)"
} > "$OUT/machine.tsv"
# the host's steal time (/proc/stat: time this VM's cores were ready but ran another guest), over the bench: a
# shared machine's noise that no load average shows
STAT0=$(awk '/^cpu /{t=0; for (i=2;i<=9;i++) t+=$i; print $9, t}' /proc/stat)

# ---- OpenBLAS core check and kernels ------------------------------------------------------------------------
if [ -x "$BIN/bench_kernels" ] && "$BIN/bench_kernels" --sgemm | grep -qv '^none'; then
  printf 'setting\tcore\tgflops\n' > "$OUT/coretype.tsv"
  for ct in unset Haswell SkylakeX Cooperlake; do
    if [ $ct = unset ]; then line=$(env -u OPENBLAS_CORETYPE "$BIN/bench_kernels" --sgemm)
    else line=$(OPENBLAS_CORETYPE=$ct "$BIN/bench_kernels" --sgemm); fi
    printf '%s\t%s\n' "$ct" "$line" >> "$OUT/coretype.tsv"
  done
else
  skip "OpenBLAS sgemm" \
    "libopenblas-dev is not installed (make bench-deps); kernels are timed without the sgemm columns"
fi
if [ -x "$BIN/bench_kernels" ]; then
  q=""; [ "$QUICK" = 1 ] && q=--quick
  # the kernels wait at their barriers as the runner does (src/main.c sets this spin unless the user set one)
  spin=${GOMP_SPINCOUNT:-10000}
  [ -n "${OMP_WAIT_POLICY:-}" ] && spin=${GOMP_SPINCOUNT:-}
  env ${spin:+GOMP_SPINCOUNT=$spin} "$BIN/bench_kernels" $q "$OUT" ||
    echo "bench: a kernel check failed (see $OUT/checks.tsv)" >&2
  if [ -x "$BIN/bench_kernels_par" ]; then
    env ${spin:+GOMP_SPINCOUNT=$spin} "$BIN/bench_kernels_par" $q --threshold "$OUT" || true
  fi
  # the deeper models' 2-thread step phase by phase (what crosses between the cores, and what a share costs alone),
  # with the round trip just before it
  rm -f "$OUT/phases.tsv"
  if [ ! -x "$BIN/bench_phases" ]; then
    skip "the multi-layer step phase by phase" "build/bench/bench_phases was not built"
  elif [ "$NCPU" -lt 2 ]; then
    skip "the multi-layer step phase by phase" "one core: no 2-thread step"
  else
    round_trip phases bench_phases 1
    rc=0
    env ${spin:+GOMP_SPINCOUNT=$spin} "$BIN/bench_phases" $q "$OUT" || rc=$?
    [ $rc = 0 ] || echo "bench: bench_phases failed (exit $rc; 1: the phases of its threads did not line up)" >&2
  fi
  # a fused group's first layers stacked and its evaluation chunk by chunk, against its runs apart (one thread)
  rm -f "$OUT/fused.tsv"
  if [ -x "$BIN/bench_fused" ]; then
    rc=0
    OMP_NUM_THREADS=1 "$BIN/bench_fused" $q "$OUT" || rc=$?
    [ $rc = 0 ] || echo "bench: bench_fused failed (exit $rc; 1: a pass together gave other bits than apart)" >&2
  else
    skip "a fused group's layers stacked" "build/bench/bench_fused was not built"
  fi
else
  skip "kernel benchmark" "build/bench/bench_kernels was not built"
fi

# ---- end to end ---------------------------------------------------------------------------------------------
# timed COMMAND...: runs it and leaves its wall time in seconds in $TMP/wall, from a monotonic clock read just before
# its spawn and just after its exit (bench_kernels --time; /usr/bin/time's %e has 10 ms steps, a fifth of a digits
# run, and a shell's $(date) on each side adds a process start of its own, 5-7 ms on the third host); its status
timed() {
  if [ -x "$BIN/bench_kernels" ]; then
    "$BIN/bench_kernels" --time "$TMP/wall" "$@"
  else
    _t0=$(date +%s%N)
    "$@"
    _rc=$?
    _t1=$(date +%s%N)
    awk -v a="$_t0" -v b="$_t1" 'BEGIN{printf "%.6f\n", (b - a) / 1e9}' > "$TMP/wall"
    return $_rc
  fi
}
# run WORKLOAD TOOL THREADS REP CMD...: one whole process, timed with its CPU time and peak memory, at most 900 s:
# the process alone (bench_kernels --time --timeout, from wait4), or without bench_kernels under timeout(1) and
# /usr/bin/time, whose two execs and waits then count in its wall time (15 ms of a digits process on the VM of
# 2026-12-03); its last line `acc=... train_s=...` (the peers) or its summary.tsv (the runner) gives the accuracy.
run() {
  w=$1 tool=$2 thr=$3 rep=$4
  shift 4
  status=ok
  set_aside
  rm -f "$TMP/wall" "$TMP/time"
  if [ -x "$BIN/bench_kernels" ]; then
    "$BIN/bench_kernels" --time "$TMP/wall" --timeout 900 "$@" > "$TMP/out" 2> "$TMP/err" || status=failed
    [ -s "$TMP/wall" ] || printf '0\t0\t0\t0\n' > "$TMP/wall"
    times=$(awk '{printf "%.4f\t%s\t%s\t%s", $1, $2, $3, $4}' "$TMP/wall")
  else
    timed timeout 900 /usr/bin/time -f '%U\t%S\t%M' -o "$TMP/time" "$@" > "$TMP/out" 2> "$TMP/err" || status=failed
    [ -s "$TMP/time" ] || printf '0\t0\t0\n' > "$TMP/time"
    times=$(printf '%s\t%s' "$(awk '{printf "%.4f", $1}' "$TMP/wall")" "$(tail -1 "$TMP/time")")
  fi
  [ $status = ok ] || sed 's/^/    /' "$TMP/err" | tail -5 >&2
  if ls "$TMP"/results/*/summary.tsv > /dev/null 2>&1; then
    set -- $(awk -F'\t' 'FNR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
                        {a=$c["test_acc"]; if (a>m) m=a; t+=$c["train_seconds"]}
                        END{printf "%s %s", m+0, t+0}' "$TMP"/results/*/summary.tsv)
  else
    set -- $(tail -1 "$TMP/out" | sed -n 's/.*acc=\([0-9.]*\).*train_s=\([0-9.]*\).*/\1 \2/p')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$tool" "$thr" "$rep" "$times" "${1:-0}" "${2:-0}" "$status" >> "$E2E"
  printf '  %-8s %-16s %2s threads  rep %s: %s s wall, acc %s\n' "$w" "$tool" "$thr" "$rep" "${times%%	*}" "${1:-?}" >&2
}
# no validation split: the runner trains on every training row, as the peers do (like for like)
R="$RUNNER --force --quiet --no-plots --results $TMP/results --set data.validation_fraction=0"

have_sklearn=0 have_torch=0 have_joblib=0 have_fann=0
peers=$($PY "$(dirname "$0")/bench_peers.py" check 2>/dev/null || true)
printf '%s\n' "$peers" > "$OUT/peers.tsv"
echo "$peers" | grep -q '^sklearn	[0-9]' && echo "$peers" | grep -q '^h5py	[0-9]' && have_sklearn=1
echo "$peers" | grep -q '^torch	[0-9]' && echo "$peers" | grep -q '^h5py	[0-9]' && have_torch=1
echo "$peers" | grep -q '^joblib	[0-9]' && have_joblib=1
[ -x "$BIN/bench_fann" ] && have_fann=1
[ $have_sklearn = 1 ] || skip "scikit-learn" "python3-sklearn or python3-h5py is not installed (make bench-deps)"
[ $have_torch = 1 ] || skip "PyTorch" "python3-torch is not installed (make bench-deps)"
[ $have_joblib = 1 ] || skip "scikit-learn + joblib sweep" "python3-joblib is not installed (make bench-deps)"
[ $have_fann = 1 ] || skip "FANN" "libfann-dev is not installed (make bench-deps)"

echo "bench: digits, whole processes, $REPS repetitions interleaved" >&2
wl digits 64-128-10 50 1
for rep in $(seq "$REPS"); do
  run digits runner "$NCPU" "$rep" $R configs/digits.ini
  run digits runner-1thread 1 "$rep" $R --threads 1 configs/digits.ini
  # scikit-learn's fit evaluates nothing per epoch: the like-for-like whole process evaluates once, at the end
  run digits runner-1thread-evalonce 1 "$rep" $R --threads 1 --set train.eval_every=1000 configs/digits.ini
  # scikit-learn on one thread, as the runner-1thread and pytorch-1thread rows (its GEMMs are too small for
  # OpenBLAS's threads to pay)
  [ $have_sklearn = 1 ] && run digits scikit-learn-1thread 1 "$rep" env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    $PY experiments/bench_peers.py sklearn-digits $DATA
  [ $have_torch = 1 ] && run digits pytorch-1thread 1 "$rep" $PY experiments/bench_peers.py torch-digits $DATA 1
  [ $have_torch = 1 ] && [ "$NCPU" -gt 1 ] && \
    run digits pytorch "$NCPU" "$rep" $PY experiments/bench_peers.py torch-digits $DATA "$NCPU"
  [ $have_fann = 1 ] && run digits fann 1 "$rep" "$BIN/bench_fann" $DATA
done

# where the like-for-like digits processes' wall time goes (evaluating every epoch, the default, and once at the
# end, as scikit-learn): their --profile (src/timing.c) on stderr, each line kept with its process and repetition,
# beside the wall time measured around the process
echo "bench: the digits processes part by part (--profile), $REPS repetitions interleaved" >&2
printf 'process\trep\twall_s\tline\n' > "$OUT/profile.tsv"
for rep in $(seq "$REPS"); do
  for process in default evalonce; do
    set --
    [ $process = evalonce ] && set -- --set train.eval_every=1000
    set_aside
    timed $R --threads 1 --profile "$@" configs/digits.ini 2> "$TMP/profile" ||
      echo "bench: the profiled run failed" >&2
    wall=$(awk '{printf "%.4f", $1}' "$TMP/wall")
    grep '^profile: ' "$TMP/profile" | sed "s/^/$process\t$rep\t$wall\t/" >> "$OUT/profile.tsv"
  done
done

echo "bench: the 75-run sweep (configs/grid.ini), $REPS repetitions interleaved" >&2
grid="configs/grid.ini"
[ "$QUICK" = 1 ] && grid_set="--set train.epochs=5" || grid_set=""
for h in 16 32 64 128 256; do wl grid "64-$h-10" "$([ "$QUICK" = 1 ] && echo 5 || echo 50)" 15; done
for rep in $(seq "$REPS"); do
  run grid runner "$NCPU" "$rep" $R $grid_set $grid
  # scikit-learn scores each fit once, after training: the runner evaluating only after the last epoch does the
  # same work (eval_every larger than the epochs)
  run grid runner-eval-at-end "$NCPU" "$rep" $R $grid_set --set train.eval_every=1000 $grid
  # every run alone (no fused groups): the same numbers, the time fusing saves or costs
  run grid runner-no-fuse "$NCPU" "$rep" $R $grid_set --no-fuse $grid
  run grid runner-eval-at-end-no-fuse "$NCPU" "$rep" $R $grid_set --no-fuse --set train.eval_every=1000 $grid
  if [ $have_sklearn = 1 ] && [ $have_joblib = 1 ]; then
    run grid scikit-learn+joblib "$NCPU" "$rep" env BENCH_EPOCHS="${grid_set:+5}" \
      $PY experiments/bench_peers.py sklearn-grid $DATA "$NCPU"
  fi
done

# any run inside a sweep vs the same run alone: the grid fused and with --no-fuse (every run alone), each run's
# weights.h5, curve.dat without its seconds column and summary.tsv's row without its timing columns compared
grid_fused_equal() {
  for m in fused no-fuse; do
    f=""; [ $m = no-fuse ] && f=--no-fuse
    $RUNNER --force --quiet --no-plots --results "$TMP/eq-$m" --set data.validation_fraction=0 $grid_set $f $grid
  done
  a=$TMP/eq-fused/grid b=$TMP/eq-no-fuse/grid runs=0 differ=0
  notime='NR == 1 { for (i = 1; i <= NF; i++) drop[i] = $i == "train_seconds" || $i == "samples_per_second" ||
          $i ~ /^seconds/ } { for (i = 1; i <= NF; i++) if (!drop[i]) printf "%s\t", $i; print "" }'
  awk -F'\t' "$notime" "$a/summary.tsv" > "$TMP/sa"; awk -F'\t' "$notime" "$b/summary.tsv" > "$TMP/sb"
  cmp -s "$TMP/sa" "$TMP/sb" || differ=$((differ + 1))
  for r in "$a"/runs/*/; do
    id=$(basename "$r"); runs=$((runs + 1))
    awk '{ $6 = "" } 1' "$r/curve.dat" > "$TMP/ca"; awk '{ $6 = "" } 1' "$b/runs/$id/curve.dat" > "$TMP/cb"
    { cmp -s "$r/weights.h5" "$b/runs/$id/weights.h5" && cmp -s "$TMP/ca" "$TMP/cb"; } || differ=$((differ + 1))
  done
  printf 'what\truns\tdiffering\n%s\t%s\t%s\n' "grid fused vs --no-fuse" "$runs" "$differ" > "$OUT/fused_equal.tsv"
}
grid_fused_equal

echo "bench: thread scaling of whole runs, $REPS repetitions interleaved" >&2
epochs=150; [ "$QUICK" = 1 ] && epochs=2
wl scale-small 64-128-10 50 1; wl scale-512 64-512-10 $epochs 1; wl scale-2048 64-2048-10 $epochs 1
for rep in $(seq "$REPS"); do
  for t in $(seq "$NCPU"); do
    run scale-small runner "$t" "$rep" $R --threads "$t" configs/digits.ini
    for h in 512 2048; do
      if [ "$t" = 2 ]; then round_trip "scale-$h" runner "$rep"; fi
      run "scale-$h" runner "$t" "$rep" $R --threads "$t" --set model.hidden=$h --set train.batch_size=256 \
        --set train.epochs=$epochs configs/digits.ini
    done
  done
done
epochs=10; [ "$QUICK" = 1 ] && epochs=2

if [ "$NCPU" -gt 1 ]; then
  # NCPU + 1 runs: side by side they take two rounds, the second with idle cores; one at a time with every
  # thread they take (NCPU + 1) / speedup. Threads inside win once a run is big enough to scale.
  nruns=$((NCPU + 1))
  echo "bench: scheduler crossover: $nruns runs side by side x 1 thread, or one at a time x $NCPU threads" >&2
  seeds=$(seq -s, "$nruns")
  for h in 64 256 512 1024 2048; do wl "cross-$h" "64-$h-10" $epochs $nruns; done
  for rep in $(seq "$REPS"); do
    for h in 64 256 512 1024 2048; do
      for mode in side-by-side threads-inside; do
        if [ $mode = side-by-side ]; then p=$NCPU t=1; else p=1 t=$NCPU; fi
        run "cross-$h" "$mode" "$t" "$rep" $R --threads $t --set experiment.parallel_runs=$p \
          --set "experiment.seeds=$seeds" --set model.hidden=$h --set train.batch_size=256 \
          --set train.epochs=$epochs configs/digits.ini
      done
      run "cross-$h" scheduler-auto "$NCPU" "$rep" $R --set "experiment.seeds=$seeds" --set model.hidden=$h \
        --set train.batch_size=256 --set train.epochs=$epochs configs/digits.ini
    done
  done
fi

echo "bench: optimizers and deeper models, $REPS repetitions interleaved" >&2
wl optimizers 64-128-10 50 1
epochs=20; [ "$QUICK" = 1 ] && epochs=2
wl deep-2x256 64-256-256-10 $epochs 1; wl deep-3x256 64-256-256-256-10 $epochs 1
for rep in $(seq "$REPS"); do
  for o in sgd momentum adam; do
    lr=0.1; [ $o = adam ] && lr=0.001  # Adam's usual rate; at SGD's 0.1 it diverges and stops early
    run optimizers "$o" 1 "$rep" $R --threads 1 --set train.optimizer=$o --set train.learning_rate=$lr \
      configs/digits.ini
  done
  for t in $(seq "$NCPU"); do
    if [ "$t" = 2 ]; then round_trip deep-2x256 runner "$rep"; fi
    run deep-2x256 runner "$t" "$rep" $R --threads "$t" --set model.hidden=256-256 --set train.batch_size=64 \
      --set train.epochs=$epochs configs/digits.ini
    if [ "$t" = 2 ]; then round_trip deep-3x256 runner "$rep"; fi
    run deep-3x256 runner "$t" "$rep" $R --threads "$t" --set model.hidden=256-256-256 --set train.batch_size=128 \
      --set train.epochs=$epochs configs/digits.ini
  done
  # the same 2-thread runs with their threads left to the kernel (OMP_PROC_BIND set: the runner pins nothing)
  if [ "$NCPU" = 2 ]; then
    run deep-2x256 runner-unpinned 2 "$rep" env OMP_PROC_BIND=false $R --threads 2 --set model.hidden=256-256 \
      --set train.batch_size=64 --set train.epochs=$epochs configs/digits.ini
    run deep-3x256 runner-unpinned 2 "$rep" env OMP_PROC_BIND=false $R --threads 2 \
      --set model.hidden=256-256-256 --set train.batch_size=128 --set train.epochs=$epochs configs/digits.ini
  fi
done

if [ "$NCPU" -gt 1 ]; then
  # a busy machine: NCPU busy loops of other processes while a 2-thread run at hidden 2048 waits at its barriers.
  # The runner's own wait policy (main.c) against libgomp's default (GOMP_SPINCOUNT=300000, which is what
  # libgomp spins when nothing is set) and OMP_WAIT_POLICY=passive; quiet first, the same runs loaded after.
  epochs=20; [ "$QUICK" = 1 ] && epochs=2
  wl quiet-2048 64-2048-10 $epochs 1; wl loaded-2048 64-2048-10 $epochs 1
  H="--set model.hidden=2048 --set train.batch_size=256 --set train.epochs=$epochs configs/digits.ini"
  for load in quiet loaded; do
    echo "bench: hidden 2048 on a $load machine, $REPS repetitions interleaved" >&2
    busy=""
    if [ $load = loaded ]; then
      for i in $(seq "$NCPU"); do sh -c 'while :; do :; done' & busy="$busy $!"; done
      trap 'kill $busy 2>/dev/null; rm -rf "$TMP"' EXIT
    fi
    for rep in $(seq "$REPS"); do
      run "$load-2048" runner 1 "$rep" $R --threads 1 $H
      run "$load-2048" runner 2 "$rep" $R --threads 2 $H
      run "$load-2048" libgomp-default 2 "$rep" env GOMP_SPINCOUNT=300000 $R --threads 2 $H
      run "$load-2048" passive 2 "$rep" env OMP_WAIT_POLICY=passive $R --threads 2 $H
      [ "$NCPU" = 2 ] && run "$load-2048" unpinned 2 "$rep" env OMP_PROC_BIND=false $R --threads 2 $H
    done
    [ -n "$busy" ] && kill $busy
    trap 'rm -rf "$TMP"' EXIT
  done
fi

# ---- scaling with work (synthetic data) ---------------------------------------------------------------------
# make_classification data of 10^3..10^6 rows x 64 and 10^3..10^5 x 784 features (10^6 x 784 is 3.1 GB: only
# with BENCH_SCALE_FULL=1), written under build/scale (not committed; kept between runs), trained at hidden
# 16..4096 on 1 thread, once each (no repetitions: the points of one curve check each other), evaluating once
# at the end. Epochs give each run about 2e10 FLOP (1..20 epochs); a run over 2e11 FLOP in one epoch is left out.
SCALE="${BENCH_SCALE_DIR:-build/scale}"
if [ $have_sklearn = 1 ]; then
  echo "bench: scaling with rows, features and width (synthetic data in $SCALE)" >&2
  mkdir -p "$SCALE"
  if [ "$QUICK" = 1 ]; then sizes="1000:64 10000:64"; widths="16 256"
  else
    sizes="1000:64 10000:64 100000:64 1000000:64 1000:784 10000:784 100000:784"; widths="16 64 256 1024 4096"
    [ "${BENCH_SCALE_FULL:-0}" = 1 ] && sizes="$sizes 1000000:784"
  fi
  for s in $sizes; do
    rows=${s%:*} f=${s#*:} file="$SCALE/classification-${s%:*}x${s#*:}.h5"
    [ -f "$file" ] || $PY experiments/make_classification.py "$rows" "$f" "$file" >&2
    ntrain=$((rows - (rows + 2) / 5))  # test_fraction 0.2, rounded as the runner splits
    for h in $widths; do
      epochs=$(awk -v n=$ntrain -v f=$f -v h=$h 'BEGIN{w = 6 * n * (f * h + h * 10); e = int(2e10 / w);
                                                        print (w > 2e11 ? 0 : e < 1 ? 1 : e > 20 ? 20 : e)}')
      [ "$epochs" = 0 ] && continue
      w="syn-$rows-$f-$h"
      wl "$w" "$f-$h-10" "$epochs" 1 "$ntrain"
      printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$rows" "$f" "$h" "$(wc -c < "$file")" >> "$OUT/synthetic.tsv"
      run "$w" runner 1 1 $R --threads 1 --set data.file="$file" --set data.scale=1 --set model.hidden=$h \
        --set train.batch_size=128 --set train.epochs=$epochs --set train.eval_every=1000 configs/digits.ini
    done
  done
else
  skip "scaling section" "it makes its data with scikit-learn (python3-sklearn, python3-h5py)"
fi

# the load averages again: a shared machine's other work shows here, and in the ranges of the tables
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
printf 'file_create_after\t%s\n' "$(create_cost probe-after)" >> "$OUT/machine.tsv"
printf 'os_costs_after\t%s\n' "$(os_costs)" >> "$OUT/machine.tsv"
printf 'cpu_steal\t%s\n' "$(awk -v s0="${STAT0% *}" -v t0="${STAT0#* }" '/^cpu /{t=0; for (i=2;i<=9;i++) t+=$i;
  printf "%.2f %% of the cores'"'"' time during the bench went to other guests of the host", 100 * ($9 - s0) / (t - t0)}' \
  /proc/stat)" >> "$OUT/machine.tsv"
$PY "$(dirname "$0")/bench_report.py" "$OUT" "$PLOTS"
