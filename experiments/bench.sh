#!/bin/sh
# make bench: kernel throughput against OpenBLAS sgemm, end-to-end runs against scikit-learn, PyTorch and FANN,
# the 75-run sweep against scikit-learn + joblib, thread scaling, the scheduler's crossover and peak memory.
# Every end-to-end measurement is a whole process timed by /usr/bin/time, repeated BENCH_REPS times with the
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
E2E="$OUT/e2e.tsv"
SKIP="$OUT/skipped.tsv"
printf 'workload\ttool\tthreads\trep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tacc\ttrain_s\tstatus\n' > "$E2E"
printf 'what\twhy\n' > "$SKIP"
skip() { printf '%s\t%s\n' "$1" "$2" >> "$SKIP"; echo "bench: skipping $1: $2" >&2; }

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
  printf 'openblas_coretype\t%s\n' "$OPENBLAS_CORETYPE"
} > "$OUT/machine.tsv"

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
  "$BIN/bench_kernels" $q "$OUT" || echo "bench: a kernel check failed (see $OUT/checks.tsv)" >&2
  if [ -x "$BIN/bench_kernels_par" ]; then "$BIN/bench_kernels_par" $q --threshold "$OUT" || true; fi
else
  skip "kernel benchmark" "build/bench/bench_kernels was not built"
fi

# ---- end to end ---------------------------------------------------------------------------------------------
# run WORKLOAD TOOL THREADS REP CMD...: one whole process under /usr/bin/time; its last line `acc=... train_s=...`
# (the peers) or its summary.tsv (the runner) gives the accuracy.
run() {
  w=$1 tool=$2 thr=$3 rep=$4
  shift 4
  status=ok
  rm -rf "$TMP/results"
  if ! timeout 900 /usr/bin/time -f '%e\t%U\t%S\t%M' -o "$TMP/time" "$@" > "$TMP/out" 2> "$TMP/err"; then
    status=failed
    sed 's/^/    /' "$TMP/err" | tail -5 >&2
  fi
  times=$(tail -1 "$TMP/time")
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
R="$RUNNER --force --quiet --no-plots --results $TMP/results"

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
for rep in $(seq "$REPS"); do
  run digits runner "$NCPU" "$rep" $R configs/digits.ini
  run digits runner-1thread 1 "$rep" $R --threads 1 configs/digits.ini
  [ $have_sklearn = 1 ] && run digits scikit-learn "$NCPU" "$rep" $PY experiments/bench_peers.py sklearn-digits $DATA
  [ $have_torch = 1 ] && run digits pytorch-1thread 1 "$rep" $PY experiments/bench_peers.py torch-digits $DATA 1
  [ $have_torch = 1 ] && [ "$NCPU" -gt 1 ] && \
    run digits pytorch "$NCPU" "$rep" $PY experiments/bench_peers.py torch-digits $DATA "$NCPU"
  [ $have_fann = 1 ] && run digits fann 1 "$rep" "$BIN/bench_fann" $DATA
done

echo "bench: the 75-run sweep (configs/grid.ini), $REPS repetitions interleaved" >&2
grid="configs/grid.ini"
[ "$QUICK" = 1 ] && grid_set="--set train.epochs=5" || grid_set=""
for rep in $(seq "$REPS"); do
  run grid runner "$NCPU" "$rep" $R $grid_set $grid
  # scikit-learn scores each fit once, after training: the runner evaluating only after the last epoch does the
  # same work (eval_every larger than the epochs)
  run grid runner-eval-at-end "$NCPU" "$rep" $R $grid_set --set train.eval_every=1000 $grid
  if [ $have_sklearn = 1 ] && [ $have_joblib = 1 ]; then
    run grid scikit-learn+joblib "$NCPU" "$rep" env BENCH_EPOCHS="${grid_set:+5}" \
      $PY experiments/bench_peers.py sklearn-grid $DATA "$NCPU"
  fi
done

echo "bench: thread scaling of whole runs, $REPS repetitions interleaved" >&2
epochs=150; [ "$QUICK" = 1 ] && epochs=2
for rep in $(seq "$REPS"); do
  for t in $(seq "$NCPU"); do
    run scale-small runner "$t" "$rep" $R --threads "$t" configs/digits.ini
    for h in 512 2048; do
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

# the load averages again: a shared machine's other work shows here, and in the ranges of the tables
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
$PY "$(dirname "$0")/bench_report.py" "$OUT" "$PLOTS"
