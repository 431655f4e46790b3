#!/bin/sh
# Submits a sweep as a Slurm job array of N shards and its collect job, which starts when every task has ended
# (afterany). Prints the two job ids, "SWEEP COLLECT". Usage:
#   experiments/slurm/submit.sh N [runner options] CONFIG
# Environment: RUNNER (default ./runner, made absolute), LOGS (the folder of the jobs' logs, default .),
# CPUS (cores per task; default 4, or the most CPUs any node has where that is fewer, which sinfo tells: a task
# asking for more than any node has would wait for ever), SBATCH_ARGS (more sbatch options for both jobs, e.g. "-p long -t 12:00:00").
# N is at most the cluster's MaxArraySize (task indices 0 to N - 1; scontrol show config | grep MaxArraySize).
# Before submitting anything it asks the runner for shard 0/N's plan (--dry-run), so a config error or a bad
# option fails here, not in N tasks. Exit 2: usage (N, an option that is submit.sh's own, a RUNNER that is not a
# program, a config or option the runner refuses: its line is printed); 1 when sbatch failed. Where the check
# itself cannot run here (the data only on the compute nodes: exit 3; a runner built for their CPU: a signal) it
# says so and submits anyway; CHECK=0 skips it.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 N [runner options] CONFIG" >&2; exit 2; }
n=$1
shift
# no leading zero: the checks read N as decimal, the shell's arithmetic below as octal
case "$n" in '' | *[!0-9]* | 0*) echo "$0: N must be a positive integer (no leading zero)" >&2; exit 2 ;; esac
# the runner's options that are submit.sh's own or that train nothing, as the runner reads them: a long option
# or any prefix of it that names no other one (getopt_long takes "--vers" for --version)
for arg in "$@"; do
    case "$arg" in
    -h) name=help ;;
    --?*) name=${arg#--}; name=${name%%=*} ;;
    *) continue ;;
    esac
    own= other=
    for o in shard collect force status dry-run verify list compare help version; do
        case "$o" in "$name"*) own=$o ;; esac
    done
    for o in threads set quiet no-plots results max-runs max-memory plots profile no-fuse; do
        case "$o" in "$name"*) other=$o ;; esac
    done
    if [ -n "$own" ] && [ -z "$other" ]; then
        echo "$0: $arg: not a runner option here (every task runs --shard auto, the collect job --collect)" >&2
        exit 2
    fi
done
max=$(scontrol show config 2>/dev/null | sed -n 's/^MaxArraySize *= *\([0-9]*\).*/\1/p') || max=
if [ "$max" = 0 ]; then
    echo "$0: this cluster has job arrays turned off (MaxArraySize = 0): run the shards another way (README)" >&2
    exit 2
elif [ -n "$max" ] && [ "$n" -gt "$max" ]; then
    echo "$0: N = $n: this cluster's MaxArraySize is $max (task indices up to $((max - 1))), so N is at most $max" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
RUNNER=${RUNNER:-./runner}
rdir=$(cd "$(dirname "$RUNNER")" 2>/dev/null && pwd) && [ -f "$rdir/${RUNNER##*/}" ] && [ -x "$rdir/${RUNNER##*/}" ] ||
    { echo "$0: RUNNER=$RUNNER is not a program (make runner, or set RUNNER)" >&2; exit 2; }
RUNNER=$rdir/${RUNNER##*/}
export RUNNER
status=0
[ "${CHECK:-1}" = 0 ] || "$RUNNER" --dry-run --shard "0/$n" "$@" >/dev/null || status=$?
if [ "$status" = 2 ]; then
    echo "$0: nothing submitted: $RUNNER --dry-run --shard 0/$n ... exited 2" >&2
    exit 2
elif [ "$status" != 0 ]; then
    echo "$0: the check could not run here ($RUNNER --dry-run --shard 0/$n ... exited $status: data only on the" \
        "compute nodes, or a runner built for their CPU?); submitting anyway (CHECK=0 skips the check)" >&2
fi
logs=${LOGS:-.}
mkdir -p "$logs" || exit 2 # Slurm cannot open a log in a missing folder: every task would fail without one
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
