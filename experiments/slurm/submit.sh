#!/bin/sh
# Submits a sweep as a Slurm job array of N shards and its collect job, which starts when every task has ended
# (afterany). Prints the two job ids, "SWEEP COLLECT". Usage:
#   experiments/slurm/submit.sh N [runner options] CONFIG
# Environment: RUNNER (default ./runner, made absolute), LOGS (the folder of the jobs' logs, default .),
# CPUS (cores per task; default 4, or the most CPUs any node has where that is fewer, which sinfo tells: a task
# asking for more than any node has would wait for ever), SBATCH_ARGS (more sbatch options for both jobs, e.g. "-p long -t 12:00:00").
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
if [ -z "${CPUS:-}" ]; then
    CPUS=4
    most=$(sinfo -h -N -o %c 2>/dev/null | tr -d '+' | sort -n | tail -n 1) || most=  # -N: a line per node
    case "$most" in
    '' | *[!0-9]* | 0) ;;
    *) if [ "$most" -lt "$CPUS" ]; then
        CPUS=$most
        echo "$0: CPUS=$CPUS a task: no node has more (sinfo)" >&2
    fi ;;
    esac
fi
# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
sweep=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((n - 1)) --cpus-per-task="$CPUS" \
    --output="$logs/runner-sweep-%A_%a.out" "$here/sweep.sbatch" "$@")
sweep=${sweep%%;*}
# shellcheck disable=SC2086
collect=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterany:"$sweep" --kill-on-invalid-dep=no \
    --output="$logs/runner-collect-%j.out" "$here/collect.sbatch" "$@")
echo "${sweep} ${collect%%;*}"
