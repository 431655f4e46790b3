#!/bin/sh
# Submits a sweep as a Slurm job array of N shards and its collect job, which starts when every task has ended
# (afterany). Prints the two job ids, "SWEEP COLLECT". Usage:
#   experiments/slurm/submit.sh N [runner options] CONFIG
# Environment: RUNNER (default ./runner, made absolute), LOGS (the folder of the jobs' logs, default .),
# CPUS (cores per task, default 4), SBATCH_ARGS (more sbatch options for both jobs, e.g. "-p long -t 12:00:00").
# N is at most the cluster's MaxArraySize minus 1 (scontrol show config | grep MaxArraySize).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 N [runner options] CONFIG" >&2; exit 2; }
n=$1
shift
case "$n" in '' | *[!0-9]* | 0) echo "$0: N must be a positive integer" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
RUNNER=$(cd "$(dirname "${RUNNER:-./runner}")" && pwd)/$(basename "${RUNNER:-./runner}")
export RUNNER
logs=${LOGS:-.}
# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
sweep=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((n - 1)) --cpus-per-task="${CPUS:-4}" \
    --output="$logs/runner-sweep-%A_%a.out" "$here/sweep.sbatch" "$@")
sweep=${sweep%%;*}
# shellcheck disable=SC2086
collect=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterany:"$sweep" --kill-on-invalid-dep=no \
    --output="$logs/runner-collect-%j.out" "$here/collect.sbatch" "$@")
echo "${sweep} ${collect%%;*}"
