#!/bin/sh
# The deeper models' 2-thread target (64-256-256-10 batch 64, 64-256-256-256-10 batch 128: >= 1.8x) on a machine
# where a pair of cores can be chosen, such as the lent 16-core one. On the 2-core development VM the host decides
# whether the two vCPUs are near each other or far apart (experiments/performance-log.md); here the script
# chooses. It reads the cross-core round trip from CPU 0 to every other CPU, then, on the nearest pair, the
# farthest and CPUs 0,1, times the deep steps (bench_kernels --only=deep) and whole runs at 1 and 2 threads,
# interleaved, with the process held to that pair (taskset). Needs only the runner, bench_kernels and
# data/digits.h5.
# Environment: RUNNER, BENCH_BIN (bench_kernels' folder), BENCH_OUT (the tables), REPS (default 5).
# Writes topology.tsv, round_trip.tsv, deep.tsv (step tables, a pair per row) and runs.tsv (whole runs).
set -u
RUNNER=${RUNNER:-./build/runner}
BIN=${BENCH_BIN:-build/bench}
OUT=${BENCH_OUT:-results/bench/pairs}
REPS=${REPS:-5}
NCPU=$(nproc)
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
START=$(date +%s)

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
  printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'cores\t%s\n' "$NCPU"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'runner\t%s\n' "$($RUNNER --version 2>&1 | head -1)"
  printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
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

# the pairs to time: the nearest and the farthest from CPU 0 (median of the two passes), and 0,1
pairs=$(awk -F'\t' 'NR > 1 && $1 == 0 && $4 != "none" {s[$2] += $4; n[$2]++}
  END {for (b in s) print b, s[b] / n[b]}' "$OUT/round_trip.tsv" | sort -k2 -n |
  awk 'NR == 1 {near = $1} {far = $1} END {if (near != "") print "0," near, "0," far}')
pairs=$(printf '%s\n' $pairs 0,1 | awk '!seen[$0]++' | tr '\n' ' ')
[ "$NCPU" -ge 2 ] || { echo "bench_pairs: one CPU, no pair to time" >&2; exit 0; }
echo "bench_pairs: $NCPU CPUs, pairs $pairs" >&2

# deep steps: bench_kernels' table at 1 and 2 threads, held to each pair and each thread pinned to its own CPU
# (bench_kernels pins nothing itself, and left to the kernel a 2-thread team can share one CPU for long stretches)
printf 'pair\tround_trip_ns\tbatch\tmodel\tthreads\tstep_us\tlo_us\thi_us\tspeedup\n' > "$OUT/deep.tsv"
for p in $pairs; do
  ns=$(timeout 20 taskset -c "$p" "$BIN/bench_kernels" --round-trip || echo none)
  if timeout 90 env OMP_PROC_BIND=true OMP_PLACES=cores taskset -c "$p" "$BIN/bench_kernels" --only=deep "$TMP" > "$TMP/d.log" 2>&1; then
    awk -F'\t' -v p="$p" -v ns="$ns" 'NR > 1 {print p "\t" ns "\t" $0}' "$TMP/deep.tsv" >> "$OUT/deep.tsv"
  else
    printf '%s\t%s\tfailed\n' "$p" "$ns" >> "$OUT/deep.tsv"
  fi
done

# whole runs: train_seconds from summary.tsv, 1 and 2 threads interleaved, REPS repetitions, a round trip just
# before each 2-thread run
R="$RUNNER --force --quiet --no-plots --results $TMP/results --set data.validation_fraction=0"
printf 'pair\tworkload\tthreads\trep\tround_trip_ns\twall_s\ttrain_s\tstatus\n' > "$OUT/runs.tsv"
run() {  # PAIR WORKLOAD THREADS REP HIDDEN BATCH
  ns=-
  [ "$3" = 2 ] && ns=$(timeout 20 taskset -c "$1" "$BIN/bench_kernels" --round-trip || echo none)
  rm -rf "$TMP/results"
  status=ok
  t0=$(date +%s%N)
  timeout 60 taskset -c "$1" $R --threads "$3" --set model.hidden="$5" --set train.batch_size="$6" \
    --set train.epochs=20 configs/digits.ini > /dev/null 2> "$TMP/err" || { status=failed; tail -2 "$TMP/err" >&2; }
  t1=$(date +%s%N)
  tr=$(awk -F'\t' 'FNR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {t+=$c["train_seconds"]} END{printf "%.6f", t}' \
       "$TMP"/results/*/summary.tsv 2>/dev/null)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$ns" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b - a) / 1e9}')" "${tr:-0}" "$status" >> "$OUT/runs.tsv"
}
for rep in $(seq "$REPS"); do
  for p in $pairs; do
    for t in 1 2; do
      run "$p" deep-2x256 "$t" "$rep" 256-256 64
      run "$p" deep-3x256 "$t" "$rep" 256-256-256 128
    done
  done
done
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.tsv"
printf 'seconds\t%s\n' "$(($(date +%s) - START))" >> "$OUT/machine.tsv"

# medians: training seconds at 1 and 2 threads per pair and workload, and the ratio
awk -F'\t' 'NR > 1 && $8 == "ok" {k = $1 "\t" $2 "\t" $3; v[k] = v[k] " " $7}
  END {for (k in v) print k "\t" v[k]}' "$OUT/runs.tsv" | sort > "$TMP/v"
printf 'pair\tworkload\tthreads\ttrain_s_median\tn\n' > "$OUT/runs_median.tsv"
while IFS="$(printf '\t')" read -r p w t vals; do
  printf '%s\t%s\t%s\t%s\n' "$p" "$w" "$t" "$(printf '%s\n' $vals | sort -g |
    awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.6f\t%d", m, NR}')"
done < "$TMP/v" >> "$OUT/runs_median.tsv"
echo "bench_pairs: done in $(($(date +%s) - START)) s; tables in $OUT" >&2
