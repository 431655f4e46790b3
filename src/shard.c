/* Shard parsing from the command line and the environment, and ownership by a greedy over a binary heap of shard
 * loads: O(runs log shards), so that 100,000 runs among 1,000 shards take milliseconds. */
#include "shard.h"
#include "cost.h"
#include "schedule.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole decimal number from 0 to SHARD_MAX: 0 with *v, or -1. */
static int whole(const char *s, long *v)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (!*s || *end || errno || n < 0 || n > SHARD_MAX || *s == '+' || *s == '-' || *s == ' ')
        return -1;
    *v = n;
    return 0;
}

/* The value of the launcher variable name into *v: 1 when set and whole, 0 when unset, -1 (err) when malformed. */
static int env_number(const char *name, long *v, char *err, size_t len)
{
    const char *s = getenv(name);
    if (!s)
        return 0;
    if (whole(s, v) == 0)
        return 1;
    if (*s && strspn(s, "0123456789") == strlen(s)) /* digits alone: too large */
        snprintf(err, len, "runner: --shard auto: %s=%.40s is more than %d", name, s, SHARD_MAX);
    else
        snprintf(err, len, "runner: --shard auto: %s=%.40s is not a whole number", name, s);
    return -1;
}

/* I and N from the variables index_var and count_var (and SLURM_ARRAY_TASK_MIN for an array): 1 when found, 0
 * when neither is set, -1 with err when one is missing or they disagree. */
static int from_env(const char *index_var, const char *count_var, shard *s, char *err, size_t len)
{
    long i = 0, n = 0, min = 0;
    int hi = env_number(index_var, &i, err, len), hn = hi < 0 ? -1 : env_number(count_var, &n, err, len);
    if (hi < 0 || hn < 0)
        return -1;
    if (!hi && !hn)
        return 0;
    if (hi != hn) {
        snprintf(err, len, "runner: --shard auto: %s is set but %s is not", hi ? index_var : count_var,
                 hi ? count_var : index_var);
        return -1;
    }
    /* an array --array=1-8 numbers its tasks from 1, and --array=0-14:2 in steps of 2 */
    long step = 1, max = -1;
    int array = !strcmp(index_var, "SLURM_ARRAY_TASK_ID");
    if (array && (env_number("SLURM_ARRAY_TASK_MIN", &min, err, len) < 0 ||
                  env_number("SLURM_ARRAY_TASK_STEP", &step, err, len) < 0 ||
                  env_number("SLURM_ARRAY_TASK_MAX", &max, err, len) < 0))
        return -1;
    if (step < 1) {
        snprintf(err, len, "runner: --shard auto: SLURM_ARRAY_TASK_STEP=0 is not a step");
        return -1;
    }
    /* an index list (--array=1,3,7) has no step that numbers its tasks: its MAX is not MIN + STEP (COUNT - 1) */
    if (array && max >= 0 && n >= 1 && max != min + step * (n - 1)) {
        snprintf(err, len, "runner: --shard auto: a job array of SLURM_ARRAY_TASK_COUNT=%ld tasks from "
                 "SLURM_ARRAY_TASK_MIN=%ld to SLURM_ARRAY_TASK_MAX=%ld is not a range in steps of %ld (submit a range: "
                 "--array=0-%ld)", n, min, max, step, n - 1);
        return -1;
    }
    if (array && (i < min || (i - min) % step || (i - min) / step >= n || n < 1)) {
        snprintf(err, len, "runner: --shard auto: SLURM_ARRAY_TASK_ID=%ld is not one of SLURM_ARRAY_TASK_COUNT=%ld "
                 "tasks from SLURM_ARRAY_TASK_MIN=%ld in steps of %ld (submit a range: --array=0-%ld)", i, n, min,
                 step, n > 0 ? n - 1 : 0);
        return -1;
    }
    if (!array && (i >= n || n < 1)) {
        snprintf(err, len, "runner: --shard auto: %s=%ld is not below %s=%ld", index_var, i, count_var, n);
        return -1;
    }
    *s = (shard){(int)((i - min) / step), (int)n, index_var};
    return 1;
}

/* 1 when this process is a task of a Slurm job step started by srun: SLURM_STEP_ID is a step's number, not unset
 * (the batch script itself, as in Slurm 22.05) nor one of the special ids from 0xfffffff0 on (batch, extern,
 * interactive; above SHARD_MAX), where SLURM_PROCID is 0 whatever SLURM_NTASKS says. */
static int task_step(void)
{
    const char *id = getenv("SLURM_STEP_ID");
    long v;
    return id && whole(id, &v) == 0;
}

void shard_launcher_note(char *buf, size_t len)
{
    /* not SLURM_NTASKS: a batch script of sbatch -n 4 has it, and runs once */
    static const char *const counts[] = {"SLURM_ARRAY_TASK_COUNT", "OMPI_COMM_WORLD_SIZE"};
    char why[200];
    buf[0] = 0;
    for (int k = 0; k < 2; k++) {
        long n = 0;
        if (env_number(counts[k], &n, why, sizeof why) > 0 && n > 1) {
            snprintf(buf, len, " (%s=%ld: a launcher started %ld of these runners, each training every run; did you "
                     "mean --shard auto?)", counts[k], n, n);
            return;
        }
    }
}

int shard_parse(const char *text, shard *s, char *err, size_t len)
{
    /* Open MPI's rank before SLURM_PROCID: mpirun inside a Slurm allocation passes every rank the batch step's
     * SLURM_PROCID=0 and the allocation's SLURM_NTASKS, which would make them all shard 0 */
    static const char *const vars[][2] = {{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"},
                                          {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                          {"SLURM_PROCID", "SLURM_NTASKS"}};
    if (!strcmp(text, "auto")) {
        for (int k = 0; k < 3; k++) {
            int found = from_env(vars[k][0], vars[k][1], s, err, len);
            if (found > 0 && k == 2 && s->count > 1 && !task_step()) {
                snprintf(err, len, "runner: --shard auto: SLURM_PROCID=%d of SLURM_NTASKS=%d belongs to the batch "
                         "script itself (SLURM_STEP_ID %s), which runs once: the other %d shard%s would never run; "
                         "start the tasks with srun (srun runner --shard auto CONFIG), or submit a job array", s->index,
                         s->count, getenv("SLURM_STEP_ID") ? "names no task step" : "unset", s->count - 1,
                         s->count - 1 == 1 ? "" : "s");
                return -1;
            }
            if (found)
                return found < 0 ? -1 : 0;
        }
        *s = (shard){0, 1, "--shard auto, no launcher variable set"};
        return 0;
    }
    const char *slash = strchr(text, '/');
    char first[24];
    long i, n;
    if (!slash || (size_t)(slash - text) >= sizeof first) {
        snprintf(err, len, "runner: --shard %.60s: expected I/N (0 <= I < N) or auto", text);
        return -1;
    }
    snprintf(first, sizeof first, "%.*s", (int)(slash - text), text);
    if (whole(first, &i) < 0 || whole(slash + 1, &n) < 0 || n < 1 || i >= n) {
        snprintf(err, len, "runner: --shard %.60s: expected I/N with 0 <= I < N <= %d", text, SHARD_MAX);
        return -1;
    }
    *s = (shard){(int)i, (int)n, "--shard"};
    return 0;
}

int shard_cpus(char *err, size_t len)
{
    long v;
    const char *s = getenv("SLURM_CPUS_PER_TASK");
    if (!s)
        return 0;
    if (whole(s, &v) == 0 && v > 0 && v <= 1 << 20)
        return (int)v;
    snprintf(err, len, "runner: SLURM_CPUS_PER_TASK=%.40s: expected the task's cores, a whole number from 1", s);
    return -1;
}

/* Heap of shard indices ordered by (load, index): the least-loaded shard, lowest index among equals, on top. */
static int lighter(const double *load, int a, int b) { return load[a] < load[b] || (load[a] == load[b] && a < b); }

static void sift_down(int *heap, int n, const double *load, int k)
{
    for (;;) {
        int l = 2 * k + 1, r = l + 1, m = k;
        if (l < n && lighter(load, heap[l], heap[m]))
            m = l;
        if (r < n && lighter(load, heap[r], heap[m]))
            m = r;
        if (m == k)
            return;
        int t = heap[k];
        heap[k] = heap[m];
        heap[m] = t;
        k = m;
    }
}

int shard_assign(const sweep_plan *plan, const plandata *data, int count, int *owner, double *load)
{
    long *order = malloc((size_t)plan->nruns * sizeof *order);
    int *heap = malloc((size_t)count * sizeof *heap);
    double *sum = calloc((size_t)count, sizeof *sum);
    for (long r = 0; order && r < plan->nruns; r++)
        order[r] = r;
    /* every shard must order the runs alike: no fallback to plan order here */
    if (!order || !heap || !sum || schedule_order(plan, data, order, plan->nruns) < 0) {
        free(order), free(heap), free(sum);
        return -1;
    }
    for (int k = 0; k < count; k++)
        heap[k] = k; /* all loads 0: index order is already a heap */
    for (long i = 0; i < plan->nruns; i++) {
        int s = heap[0];
        owner[order[i]] = s;
        sum[s] += cost_plan_run(plan, data, order[i]).work;
        sift_down(heap, count, sum, 0);
    }
    if (load)
        memcpy(load, sum, (size_t)count * sizeof *load);
    free(order), free(heap), free(sum);
    return 0;
}
