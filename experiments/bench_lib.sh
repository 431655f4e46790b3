# Shared by experiments/bench_threads.sh and experiments/bench_pairs.sh (sourced, not run). Both need RUNNER and
# TMP (a scratch folder) set; run also needs E2E (the table it appends to).

# machine_info: the machine.tsv rows both scripts start with (its caller adds its own)
machine_info() {
  printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'memory_kb\t%s\n' "$(awk '/MemTotal/{print $2}' /proc/meminfo)"
  printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'runner\t%s\n' "$($RUNNER --version 2>&1 | head -1)"
  printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
}

E2E_HEADER='workload\ttool\tthreads\trep\twall_s\ttrain_s\tstatus\n'

# run WORKLOAD TOOL THREADS REP CMD...: one whole runner process (its results under $TMP/results, a limit of
# ${TO:-120} s), a row of $E2E; train_s sums summary.tsv's train_seconds
run() {
  w=$1 tool=$2 thr=$3 rep=$4
  shift 4
  rm -rf "$TMP/results"
  status=ok
  t0=$(date +%s%N)
  timeout "${TO:-120}" "$@" > "$TMP/out" 2> "$TMP/err" || { status=failed; tail -3 "$TMP/err" >&2; }
  t1=$(date +%s%N)
  tr=$(awk -F'\t' 'FNR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {t+=$c["train_seconds"]} END{printf "%.6f", t}' \
       "$TMP"/results/*/summary.tsv 2>/dev/null)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$tool" "$thr" "$rep" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b - a) / 1e9}')" "${tr:-0}" "$status" >> "$E2E"
}
