#!/bin/sh
# The deeper models' 2-thread target (64-256-256-10 batch 64, 64-256-256-256-10 batch 128: >= 1.8x) on a machine
# where a pair of cores can be chosen, such as the lent 16-core one. On the 2-core development VM the host decides
# whether the two vCPUs are near each other or far apart (experiments/performance-log.md); here the script
# chooses. It reads the cross-core round trip from CPU 0 to every other CPU, then, on the nearest pair, the
# farthest and CPUs 0,1, times the deep steps (bench_kernels --only=deep) and whole runs at 1 and 2 threads,
# interleaved, with the process held to that pair (taskset). Needs only the runner, bench_kernels and
# data/digits.h5.
# Environment: RUNNER, BENCH_BIN (bench_kernels' folder), BENCH_OUT (the tables), REPS (default 5).
# Writes topology.tsv, round_trip.tsv (the survey), deep.tsv (step tables, a pair per row), runs.tsv (whole runs:
# bench_threads.sh's e2e.tsv with the pair as the tool) and trips.tsv (the round trip before each 2-thread run);
# experiments/bench_threads_report.py reports them.
set -u
. "$(dirname "$0")/bench_lib.sh"
RUNNER=${RUNNER:-./build/runner}
BIN=${BENCH_BIN:-build/bench}
OUT=${BENCH_OUT:-results/bench/pairs}
REPS=${REPS:-5}
NCPU=$(nproc)
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
START=$(date +%s)
[ "$NCPU" -ge 2 ] || { echo "bench_pairs: one CPU, no pair to time" >&2; exit 0; }

{
  printf 'cpu\tcore_id\tpackage\tsiblings\tl3_shared\n'
  for d in /sys/devices/system/cpu/cpu[0-9]*; do
    c=${d##*cpu}
    l3=""
    for i in "$d"/cache/index*; do
      [ "$(cat "$i/level" 2>/dev/null)" = 3 ] && l3=$(cat "$i/shared_cpu_list")
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$(cat "$d/topology/core_id" 2>/dev/null)" \
      "$(cat "$d/topology/physical_package_id" 2>/dev/null)" "$(cat "$d/topology/thread_siblings_list" 2>/dev/null)" \
      "${l3:-?}"
  done | sort -n
} > "$OUT/topology.tsv"
{
  printf 'key\tvalue\n'
  machine_info
} > "$OUT/machine.tsv"

# the round trip (ns) between CPU 0 and each other CPU, twice, and between a few more pairs
printf 'a\tb\tpass\tns\n' > "$OUT/round_trip.tsv"
rt() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(timeout 20 taskset -c "$1,$2" "$BIN/bench_kernels" --round-trip ||
       echo none)" >> "$OUT/round_trip.tsv"; }
for pass in 1 2; do
  for b in $(seq 1 $((NCPU - 1))); do rt 0 "$b" "$pass"; done
done
[ "$NCPU" -ge 4 ] && rt 1 2 1 && rt 2 3 1
[ "$NCPU" -ge 10 ] && rt 8 9 1 && rt 1 9 1

# the pairs to time: the nearest and the farthest from CPU 0 (the mean of the two passes), and 0,1
pairs=$(awk -F'\t' 'NR > 1 && $1 == 0 && $4 != "none" {s[$2] += $4; n[$2]++}
  END {for (b in s) print b, s[b] / n[b]}' "$OUT/round_trip.tsv" | sort -k2 -n |
  awk 'NR == 1 {near = $1} {far = $1} END {if (near != "") print "0," near, "0," far}')
pairs=$(printf '%s\n' $pairs 0,1 | awk '!seen[$0]++' | tr '\n' ' ')
echo "bench_pairs: $NCPU CPUs, pairs $pairs" >&2

# deep steps: bench_kernels' table at 1 and 2 threads, held to each pair and each thread pinned to its own CPU
# (bench_kernels pins nothing itself, and left to the kernel a 2-thread team can share one CPU for long stretches)
printf 'pair\tround_trip_ns\tbatch\tmodel\tthreads\tstep_us\tlo_us\thi_us\tspeedup\n' > "$OUT/deep.tsv"
for p in $pairs; do
  ns=$(timeout 20 taskset -c "$p" "$BIN/bench_kernels" --round-trip || echo none)
  if timeout 90 env OMP_PROC_BIND=true OMP_PLACES=cores taskset -c "$p" "$BIN/bench_kernels" --only=deep "$TMP" \
       > "$TMP/d.log" 2>&1; then
    awk -F'\t' -v p="$p" -v ns="$ns" 'NR > 1 {print p "\t" ns "\t" $0}' "$TMP/deep.tsv" >> "$OUT/deep.tsv"
  else
    printf '%s\t%s\tfailed\n' "$p" "$ns" >> "$OUT/deep.tsv"
  fi
done

# whole runs: train_seconds from summary.tsv, 1 and 2 threads interleaved, REPS repetitions, a round trip just
# before each 2-thread run
R="$RUNNER --force --quiet --no-plots --results $TMP/results --set data.validation_fraction=0"
E2E="$OUT/runs.tsv" TO=60
printf "$E2E_HEADER" > "$E2E"
printf 'pair\tworkload\trep\tns\n' > "$OUT/trips.tsv"
for rep in $(seq "$REPS"); do
  for p in $pairs; do
    for t in 1 2; do
      for m in deep-2x256:256-256:64 deep-3x256:256-256-256:128; do
        w=${m%%:*} h=${m#*:} b=${m##*:}
        h=${h%:*}
        [ "$t" = 2 ] && printf '%s\t%s\t%s\t%s\n' "$p" "$w" "$rep" \
          "$(timeout 20 taskset -c "$p" "$BIN/bench_kernels" --round-trip || echo none)" >> "$OUT/trips.tsv"
        run "$w" "$p" "$t" "$rep" taskset -c "$p" $R --threads "$t" --set model.hidden="$h" \
          --set train.batch_size="$b" --set train.epochs=20 configs/digits.ini
      done
    done
  done
done
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
printf 'seconds\t%s\n' "$(($(date +%s) - START))" >> "$OUT/machine.tsv"

echo "bench_pairs: done in $(($(date +%s) - START)) s; tables in $OUT" >&2
