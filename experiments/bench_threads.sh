#!/bin/sh
# Thread scaling beyond this machine's 2 cores: run on a machine with many (the lent 16-core one; see README
# "Thread scaling to 16 cores"). Every measurement is a whole runner process or a bench_kernels table; the
# report (experiments/bench_threads_report.py) takes medians. Needs only the runner, bench_kernels and
# data/digits.h5 (no HDF5, Python or gnuplot on the machine itself); python3 with scikit-learn and h5py, when
# there, adds a larger synthetic workload (experiments/make_classification.py).
# Environment: RUNNER, BENCH_BIN (bench_kernels), BENCH_OUT (the tables), REPS (default 3), THREADS (default:
# 1 2 4 8 ... up to the cores, and the cores), PY (default python3), BENCH_LIMIT_S (default 330: parts left
# out once the script has run this long; the report names them).
set -u
. "$(dirname "$0")/bench_lib.sh"
RUNNER=${RUNNER:-./build/runner}
BIN=${BENCH_BIN:-build/bench}
OUT=${BENCH_OUT:-results/bench/threads}
REPS=${REPS:-3}
PY=${PY:-python3}
LIMIT=${BENCH_LIMIT_S:-330}
NCPU=$(nproc)
if [ -z "${THREADS:-}" ]; then
  THREADS="" t=1
  while [ $t -lt "$NCPU" ]; do THREADS="$THREADS $t"; t=$((t * 2)); done
  THREADS="$THREADS $NCPU"
fi
START=$(date +%s)
mkdir -p "$OUT"
TMP=$(mktemp -d)
busy=""
# the busy loops of the loaded part go with the script, however it ends (a background job of a script ignores
# SIGINT)
trap 'kill $busy 2>/dev/null; rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
E2E="$OUT/e2e.tsv"
printf "$E2E_HEADER" > "$E2E"
printf 'key\tvalue\n' > "$OUT/machine.tsv"
{
  machine_info
  printf 'threads\t%s\n' "$THREADS"
} >> "$OUT/machine.tsv"

left() { [ $(($(date +%s) - START)) -lt "$LIMIT" ] || { printf 'skipped\t%s (the time limit)\n' "$1" >> "$OUT/machine.tsv"; return 1; }; }

R="$RUNNER --force --quiet --no-plots --results $TMP/results --set data.validation_fraction=0"

echo "bench_threads: $NCPU cores, threads:$THREADS" >&2
# the kernels: a training step at 1..all threads (64-H-10, batch 32..256) and the multi-layer steps
"$BIN/bench_kernels" --sgemm > "$OUT/sgemm.tsv" 2>&1
grep -q avx512f /proc/cpuinfo && OPENBLAS_CORETYPE=SkylakeX "$BIN/bench_kernels" --sgemm >> "$OUT/sgemm.tsv" 2>&1
timeout 150 "$BIN/bench_kernels" --only=scaling "$TMP" > "$TMP/k.log" 2>&1 && cp "$TMP/scaling.tsv" "$OUT/"
timeout 60 "$BIN/bench_kernels" --only=deep "$TMP" > "$TMP/d.log" 2>&1 && cp "$TMP/deep.tsv" "$OUT/"

# whole runs, one run using t threads: width 512 and 2048 at batch 256, the 3x256 model, the default wait
# policy against libgomp's; REPS repetitions, the thread counts interleaved
for rep in $(seq "$REPS"); do
  left "runs, repetition $rep" || break
  for t in $THREADS; do
    run run-512 runner "$t" "$rep" $R --threads "$t" --set model.hidden=512 --set train.batch_size=256 \
      --set train.epochs=150 configs/digits.ini
    run run-2048 runner "$t" "$rep" $R --threads "$t" --set model.hidden=2048 --set train.batch_size=256 \
      --set train.epochs=150 configs/digits.ini
    run run-2048 libgomp-default "$t" "$rep" env GOMP_SPINCOUNT=300000 $R --threads "$t" \
      --set model.hidden=2048 --set train.batch_size=256 --set train.epochs=150 configs/digits.ini
    run deep-3x256 runner "$t" "$rep" $R --threads "$t" --set model.hidden=256-256-256 \
      --set train.batch_size=128 --set train.epochs=20 configs/digits.ini
  done
done

# a sweep on t cores: the 75-run grid, t runs side by side with 1 thread each, and the scheduler's own choice
# on all cores
for rep in $(seq "$REPS"); do
  left "grid, repetition $rep" || break
  for t in $THREADS; do
    run grid side-by-side "$t" "$rep" $R --threads 1 --set experiment.parallel_runs="$t" configs/grid.ini
  done
  run grid scheduler-auto "$NCPU" "$rep" $R configs/grid.ini
done

# a larger workload, when this machine can make its data: 100,000 x 784 make_classification, hidden 1024,
# batch 256, 2 epochs
SYN="$TMP/syn.h5"
if left "synthetic 100000 x 784"; then
  if $PY "$(dirname "$0")/make_classification.py" 100000 784 "$SYN" > /dev/null 2> "$TMP/syn.err"; then
    for rep in $(seq "$REPS"); do
      left "synthetic, repetition $rep" || break
      for t in $THREADS; do
        run syn-1024 runner "$t" "$rep" $R --threads "$t" --set data.file="$SYN" --set data.scale=1 \
          --set model.hidden=1024 --set train.batch_size=256 --set train.epochs=2 --set train.eval_every=1000 \
          configs/digits.ini
      done
    done
  else
    printf 'skipped\tsynthetic 100000 x 784 (%s could not make its data%s)\n' "$PY" \
      "$(tail -1 "$TMP/syn.err" | sed 's/^/: /')" >> "$OUT/machine.tsv"
  fi
fi

# the wait policy: hidden 2048, batch 256, 40 epochs at 1, 8 and all threads with the runner's spin and three
# others, quiet; then with NCPU busy loops of other processes, at 1 and all threads (twice each: a collapse is
# what this looks for, not a median)
SPIN="$OUT/spin.tsv"
printf 'load\tspin\tthreads\trep\twall_s\ttrain_s\tstatus\n' > "$SPIN"
spin() {  # LOAD SPIN THREADS REP
  env_spin=""; [ "$2" = runner ] || env_spin="GOMP_SPINCOUNT=$2"
  E2E="$TMP/spin_e2e" TO=40 run "wait-$1" "$2" "$3" "$4" env $env_spin $R --threads "$3" --set model.hidden=2048 \
    --set train.batch_size=256 --set train.epochs=40 configs/digits.ini
  tail -1 "$TMP/spin_e2e" | awk -F'\t' -v l="$1" '{printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l, $2, $3, $4, $5, $6, $7}' \
    >> "$SPIN"
}
WT=$(printf '%s\n' 1 8 "$NCPU" | awk -v n="$NCPU" '$1 <= n' | sort -un)
if left "wait policy, quiet"; then
  for rep in $(seq "$REPS"); do
    for s in runner 30000 100000 300000; do for t in $WT; do spin quiet $s "$t" "$rep"; done; done
  done
fi
if left "wait policy, loaded"; then
  for i in $(seq "$NCPU"); do sh -c 'while :; do :; done' & busy="$busy $!"; done
  for rep in 1 2; do
    for s in runner 100000 300000; do for t in 1 "$NCPU"; do spin loaded $s "$t" "$rep"; done; done
  done
  kill $busy
  busy=""
fi
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
printf 'seconds\t%s\n' "$(($(date +%s) - START))" >> "$OUT/machine.tsv"
echo "bench_threads: done in $(($(date +%s) - START)) s; tables in $OUT" >&2
