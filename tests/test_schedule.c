/* The scheduler's choices (runs side by side, threads per run, the reason shown) for a few plans and core counts,
 * the largest-first order of runs, and the run-cost model against work and bytes counted by hand. Run from the
 * repository root. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "tests.h"
#include "config.h"
#include "cost.h"
#include "h5util.h"
#include "identity.h"
#include "placement.h"
#include "plandata.h"
#include "schedule.h"
#include "shard.h"
#include "sweep.h"
#include "train.h"
#include "trainer.h"
#include <omp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* A config from the defaults and overrides ("section.key=value" or "sweep.section.key=list", NULL-terminated). */
static void config_of(config *c, const char *const *sets)
{
    config_errors errs = {0};
    config_defaults(c);
    for (; *sets; sets++)
        config_override(c, *sets, &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);
}

/* The config and its plan. */
static void plan_of(config *c, sweep_plan *plan, const char *const *sets)
{
    config_of(c, sets);
    char err[300];
    ck_assert_msg(sweep_plan_init(plan, c, 10000, err, sizeof err) == 0, "%s", err);
}

static void check_choice(const char *const *sets, long ntodo, int cores, int parallel, int threads, const char *why)
{
    config c;
    sweep_plan plan;
    plan_of(&c, &plan, sets);
    int p = -1, t = -1;
    char text[200];
    schedule_choose(&plan, NULL, ntodo, cores, &p, &t, text, sizeof text);
    ck_assert_int_eq(p, parallel);
    ck_assert_int_eq(t, threads);
    ck_assert_str_eq(text, why);
    config_free(&c);
}

START_TEST(threads_sweep_runs_alone)
{
    const char *sets[] = {"model.hidden=16", "sweep.experiment.threads=1,2", "sweep.model.hidden=16,512", NULL};
    check_choice(sets, 4, 8, 1, 8, "one run at a time: experiment.threads is swept, so each timing is alone");
}
END_TEST

START_TEST(small_runs_side_by_side)
{
    /* 32 x 16 units per step: below the big-run threshold, so one run per core */
    const char *sets[] = {"model.hidden=16", "train.batch_size=32", "sweep.train.learning_rate=0.1,0.2,0.3", NULL};
    check_choice(sets, 12, 8, 8, 1, "auto: 12 runs of up to 512 batch x hidden units on 8 cores");
    /* fewer runs than cores: each run gets the cores left over */
    check_choice(sets, 3, 8, 2, 4, "auto: 3 runs of up to 512 batch x hidden units on 8 cores");
    /* two rounds of four beat five rounds of one: threads do not speed small runs up */
    check_choice(sets, 5, 16, 4, 4, "auto: 5 runs of up to 512 batch x hidden units on 16 cores");
}
END_TEST

START_TEST(big_runs_get_threads)
{
    /* 256 x 1024 units: two threads pay, so two runs on 8 cores take 4 threads each (1 / 1.75 < 2 / 2.75) */
    const char *sets[] = {"model.hidden=1024", "train.batch_size=256", "sweep.train.learning_rate=0.1,0.2", NULL};
    check_choice(sets, 2, 8, 2, 4, "auto: 2 runs of up to 262144 batch x hidden units on 8 cores");
    check_choice(sets, 1, 8, 1, 8, "auto: 1 run of up to 262144 batch x hidden units on 8 cores");
    /* sixteen runs fill eight cores one each: eight rounds of 1 beat sixteen of 1 / 2.75 */
    check_choice(sets, 16, 8, 8, 1, "auto: 16 runs of up to 262144 batch x hidden units on 8 cores");
    /* five runs on sixteen cores: one at a time on 16 threads (5 / 4.75) beats two rounds of four (2 / 1.75) */
    check_choice(sets, 5, 16, 1, 16, "auto: 5 runs of up to 262144 batch x hidden units on 16 cores");
}
END_TEST

START_TEST(largest_step_over_sweep)
{
    /* the largest batch and the largest hidden units are taken each on its own; layer widths add up and batch 0
     * (the whole training set) counts as COST_WHOLE_SET rows */
    const char *sets[] = {"model.hidden=16", "train.batch_size=32", "sweep.model.hidden=8,300-70",
                          "sweep.train.batch_size=8,0", NULL};
    check_choice(sets, 1, 1, 1, 1, "auto: 1 run of up to 387973120 batch x hidden units on 1 core");
}
END_TEST

START_TEST(config_decides)
{
    const char *runs[] = {"experiment.parallel_runs=3", "sweep.train.learning_rate=0.1,0.2,0.3,0.4", NULL};
    check_choice(runs, 4, 8, 3, 2, "experiment.parallel_runs = 3");
    const char *threads[] = {"experiment.threads=2", "sweep.train.learning_rate=0.1,0.2,0.3,0.4,0.5", NULL};
    check_choice(threads, 5, 8, 4, 2, "auto: 8 cores / 2 threads per run");
    check_choice(threads, 5, 1, 1, 2, "auto: 1 core / 1 thread per run, 2 asked");
}
END_TEST

/* Six runs on one data set: hidden 4, 16 and 8, two seeds each. */
static void six_runs(config *c, sweep_plan *plan, plandata *data)
{
    const char *sets[] = {"data.file=tests/bad_data/good.h5", "experiment.seeds=1,2", "sweep.model.hidden=4,16,8",
                          NULL};
    plan_of(c, plan, sets);
    char err[600];
    h5util_quiet();
    ck_assert_msg(plandata_load(data, plan, err, sizeof err) == 0, "%s", err);
}

START_TEST(whole_set_batch_is_its_rows)
{
    /* with the data known, batch 0 is the training rows (good.h5: 40 rows, 8 held out for test and 3 of the
     * other 32 for validation: 29) times 300 + 70 hidden units, never the placeholder */
    const char *sets[] = {"data.file=tests/bad_data/good.h5", "model.hidden=16", "train.batch_size=32",
                          "sweep.model.hidden=8,300-70", "sweep.train.batch_size=8,0", NULL};
    config c;
    sweep_plan plan;
    static plandata data;
    plan_of(&c, &plan, sets);
    char err[600], text[200];
    h5util_quiet();
    ck_assert_msg(plandata_load(&data, &plan, err, sizeof err) == 0, "%s", err);
    int rows = data.sets[0].train.rows, p, t;
    ck_assert_int_eq(rows, 29);
    schedule_choose(&plan, &data, 1, 1, &p, &t, text, sizeof text);
    ck_assert_str_eq(text, "auto: 1 run of up to 10730 batch x hidden units on 1 core");
    plandata_free(&data);
    config_free(&c);
}
END_TEST

START_TEST(order_largest_first)
{
    config c;
    sweep_plan plan;
    static plandata data;
    six_runs(&c, &plan, &data);
    ck_assert_int_eq(data.n, 1);
    long todo[] = {0, 1, 2, 3, 4, 5}, want[] = {2, 3, 4, 5, 0, 1}; /* hidden 16, then 8, then 4; seeds in order */
    schedule_order(&plan, &data, todo, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(todo[i], want[i]);
    long some[] = {5, 0, 3}, some_want[] = {3, 5, 0};
    schedule_order(&plan, &data, some, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(some[i], some_want[i]);
    plandata_free(&data);
    config_free(&c);
}
END_TEST

/* Ownership: largest first, each run to the least-loaded shard (lowest index among equals), whatever is committed. */
START_TEST(shard_owners_balanced)
{
    config c;
    sweep_plan plan;
    static plandata data;
    six_runs(&c, &plan, &data);
    int owner[6], two[] = {0, 1, 0, 1, 0, 1}, four[] = {2, 3, 0, 1, 2, 3};
    double load[4];
    ck_assert_int_eq(shard_assign(&plan, &data, 2, owner, load), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(owner[i], two[i]);
    ck_assert(load[0] == load[1] && load[0] > 0);
    ck_assert_int_eq(shard_assign(&plan, &data, 4, owner, NULL), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(owner[i], four[i]);
    ck_assert_int_eq(shard_assign(&plan, &data, 1, owner, NULL), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(owner[i], 0);
    plandata_free(&data);
    config_free(&c);
}
END_TEST

/* Shards of two plans are told apart by their whole seed and sweep lists, however long (a difference after the
 * first 300 characters passed as none); the message names the first list that differs, cut short. */
START_TEST(plan_lists_differ_anywhere)
{
    char a[4000] = "experiment.seeds=1, 2\nsweep.train.learning_rate=", b[4000], out[700];
    for (int i = 0; i < 60; i++)
        snprintf(a + strlen(a), sizeof a - strlen(a), "%s0.%04d", i ? ", " : "", i + 1);
    snprintf(b, sizeof b, "%s, 0.9\n", a);
    strcat(a, ", 0.8\n");
    ck_assert_int_eq(identity_plan_diff(a, a, out, sizeof out), 0);
    ck_assert_int_eq(identity_plan_diff(a, b, out, sizeof out), 1);
    ck_assert_msg(!strncmp(out, "sweep.train.learning_rate: 0.0001, ", 35) && strstr(out, "... -> 0.0001") &&
                  strlen(out) < 500, "%s", out);
    char c[4000];
    snprintf(c, sizeof c, "%ssweep.model.hidden=16\n", a); /* a list only one of them has */
    ck_assert_int_eq(identity_plan_diff(a, c, out, sizeof out), 1);
    ck_assert_str_eq(out, "sweep.model.hidden: none -> 16");
    ck_assert_int_eq(identity_plan_diff(c, a, out, sizeof out), 1);
    ck_assert_str_eq(out, "sweep.model.hidden: 16 -> none");
}
END_TEST

START_TEST(shard_parse_text_and_launchers)
{
    static const char *const bad[] = {"3/3", "-1/2", "1/0", "x", "", "1/", "/2", "0/+2", "1/2/3", "auto1"};
    static const char *const vars[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                                       "SLURM_PROCID", "SLURM_NTASKS", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                                       "SLURM_STEP_ID"};
    shard s;
    char err[300];
    for (int i = 0; i < 8; i++)
        unsetenv(vars[i]);
    ck_assert_int_eq(shard_parse("2/5", &s, err, sizeof err), 0);
    ck_assert(s.index == 2 && s.count == 5);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(shard_parse(bad[i], &s, err, sizeof err) < 0 && strstr(err, "--shard"), "%s", bad[i]);
    ck_assert_int_eq(shard_parse("auto", &s, err, sizeof err), 0);
    ck_assert(s.index == 0 && s.count == 1);
    setenv("SLURM_PROCID", "1", 1);
    setenv("SLURM_NTASKS", "2", 1);
    /* outside a task step (no SLURM_STEP_ID, or the batch step's), SLURM_PROCID is the batch script's own */
    ck_assert_msg(shard_parse("auto", &s, err, sizeof err) < 0 && strstr(err, "start the tasks with srun"), "%s", err);
    setenv("SLURM_STEP_ID", "4294967294", 1);
    ck_assert_int_lt(shard_parse("auto", &s, err, sizeof err), 0);
    setenv("SLURM_STEP_ID", "0", 1);
    ck_assert_int_eq(shard_parse("auto", &s, err, sizeof err), 0);
    ck_assert(s.index == 1 && s.count == 2);
    setenv("SLURM_PROCID", "0", 1); /* mpirun in an allocation: the batch step's task, and Open MPI's rank */
    setenv("OMPI_COMM_WORLD_RANK", "2", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
    ck_assert_int_eq(shard_parse("auto", &s, err, sizeof err), 0);
    ck_assert(s.index == 2 && s.count == 3);
    setenv("SLURM_ARRAY_TASK_ID", "7", 1); /* an array before Open MPI's rank */
    setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    ck_assert_int_eq(shard_parse("auto", &s, err, sizeof err), 0);
    ck_assert(s.index == 3 && s.count == 4);
    setenv("SLURM_ARRAY_TASK_ID", "8", 1);
    ck_assert_int_lt(shard_parse("auto", &s, err, sizeof err), 0);
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    ck_assert_msg(shard_parse("auto", &s, err, sizeof err) < 0 && strstr(err, "SLURM_ARRAY_TASK_COUNT"), "%s", err);
    for (int i = 0; i < 8; i++)
        unsetenv(vars[i]);
}
END_TEST

/* A 4-3-2 net: 10 training rows, batches of 5, 2 epochs, SGD. */
START_TEST(cost_small_net)
{
    config c;
    const char *sets[] = {"model.hidden=3", "model.output=softmax", "train.batch_size=5", "train.epochs=2",
                          "train.optimizer=sgd", "experiment.threads=1", NULL};
    config_of(&c, sets);
    cost k = cost_run(&c, 4, 2, 10);
    /* (4 x 3 + 3 x 2) multiply-adds per row, 10 rows, 2 epochs */
    ck_assert_double_eq(k.work, 360);
    /* floats: 23 params x 3 (params, grads, last finite), 3 x 256 rows x 5 units, the gathered batch 5 rows x 4
     * inputs (one thread: one copy), the chunked workspace 256 x 2 + 2 x 3 x 2 + 2 = 526: 4455 floats; per row 9
     * bytes; 5 gathered labels; 10 order ints; 3 curve rows */
    ck_assert_double_eq(k.bytes, 4 * 4455 + 9 * 256 + 4 * 5 + 4 * 10 + 3 * sizeof(train_epoch));
    config_free(&c);
}
END_TEST

/* The same layers with one sigmoid output for two classes, Adam, the whole 300-row set as one batch, 1 epoch. */
START_TEST(cost_whole_set_adam)
{
    config c;
    const char *sets[] = {"model.hidden=3", "model.output=sigmoid", "train.batch_size=0", "train.epochs=1",
                          "train.optimizer=adam", "experiment.threads=1", NULL};
    config_of(&c, sets);
    cost k = cost_run(&c, 4, 2, 300);
    /* work counts one output per class: it ranks runs, and always did */
    ck_assert_double_eq(k.work, 18 * 300);
    /* 19 params x 5 (with Adam's m and v), 3 x 300 rows x 4 units, 300 x 4 inputs, chunked 300 + 6 + 1 = 307 */
    ck_assert_double_eq(k.bytes, 4 * (95 + 3600 + 1200 + 307) + 13 * 300 + 4 * 300 + 2 * sizeof(train_epoch));
    ck_assert_int_eq(cost_step_rows(&c), 1048576);
    ck_assert_int_eq(cost_hidden_units(&c), 3);
    config_free(&c);
}
END_TEST

START_TEST(cost_step)
{
    config c;
    const char *sets[] = {"model.hidden=300-70", "train.batch_size=32", NULL};
    config_of(&c, sets);
    ck_assert_int_eq(cost_step_rows(&c), 32);
    ck_assert_int_eq(cost_hidden_units(&c), 370);
    config_free(&c);
}
END_TEST

/* 8 groups of 32 runs side by side (the display's PROGRESS_MAX_AIR runs), 16 in all; each run lands alone, a
 * group's in the pool's order (the run handed in last first), and a new group starts whenever fewer than 8 are in
 * flight: the runs in flight never exceed the display's, and a group ends with its last run only. */
START_TEST(groups_in_flight_until_last_run)
{
    enum { PARALLEL = 8, K = 32, GROUPS = 16 };
    trainer_flights f = {0};
    int stack[GROUPS * K], top = 0, started = 0, landed = 0, ended = 0;
    for (;;) {
        while (f.groups < PARALLEL && started < GROUPS) {
            ck_assert_int_le(f.nair + K, PROGRESS_MAX_AIR);
            int slot = trainer_flights_add(&f, K);
            for (int i = 0; i < K; i++)
                stack[top++] = slot;
            started++;
        }
        if (!top)
            break;
        int slot = stack[--top];
        landed++;
        int last = trainer_flights_land(&f, slot);
        ended += last;
        ck_assert_int_eq(last, f.members[slot] == 0);
        ck_assert_int_eq(f.nair, started * K - landed);
    }
    ck_assert_int_eq(ended, GROUPS);
    ck_assert_int_eq(f.groups, 0);
    ck_assert_int_eq(f.nair, 0);
}
END_TEST

/* The calling thread's single core, or -1 when it may run on more than one. */
static int only_core(void)
{
    cpu_set_t m;
    if (sched_getaffinity(0, sizeof m, &m) != 0 || CPU_COUNT(&m) != 1)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &m))
            return c;
    return -1;
}

/* placement_pin pins every thread of the team it is asked for, also after a smaller region made libgomp replace
 * the team's extra threads (new threads start with their creator's single core), and a region of the pinned size
 * then finds thread t on core t. The cores given need not differ, so any machine with a core runs it; the threads
 * get the process's whole mask back at the end. */
START_TEST(placement_pins_every_team)
{
    cpu_set_t all;
    ck_assert_int_eq(sched_getaffinity(0, sizeof all, &all), 0);
    int first = -1, last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all))
            first = first < 0 ? c : first, last = c;
    /* the third not the master's: a new thread inherits the master's core (on one core the test shows nothing) */
    const int cores[3] = {first, last, last};
    int smaller[2], seen[3];
    placement_give(cores, 3);
    placement_pin(3);
    #pragma omp parallel num_threads(2)
    smaller[omp_get_thread_num()] = only_core();  /* a smaller team: libgomp ends the third thread */
    placement_pin(3);
    #pragma omp parallel num_threads(3)
    seen[omp_get_thread_num()] = only_core();
    placement_give(NULL, 0);
    placement_pin(3); /* nothing given: nothing pinned */
    /* the whole mask back before any check, so that a failure leaves no later test on one core */
    #pragma omp parallel num_threads(3)
    sched_setaffinity(0, sizeof all, &all);
    ck_assert_int_eq(only_core() == -1, CPU_COUNT(&all) > 1);
    ck_assert_int_eq(smaller[0], cores[0]);
    ck_assert_int_eq(smaller[1], cores[1]);
    for (int t = 0; t < 3; t++)
        ck_assert_msg(seen[t] == cores[t], "thread %d on core %d, want %d", t, seen[t], cores[t]);
}
END_TEST

Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("choose");
    tcase_add_test(tc, threads_sweep_runs_alone);
    tcase_add_test(tc, small_runs_side_by_side);
    tcase_add_test(tc, big_runs_get_threads);
    tcase_add_test(tc, largest_step_over_sweep);
    tcase_add_test(tc, whole_set_batch_is_its_rows);
    tcase_add_test(tc, config_decides);
    tcase_add_test(tc, order_largest_first);
    tcase_add_test(tc, shard_owners_balanced);
    tcase_add_test(tc, shard_parse_text_and_launchers);
    tcase_add_test(tc, plan_lists_differ_anywhere);
    tcase_add_test(tc, groups_in_flight_until_last_run);
    tcase_add_test(tc, placement_pins_every_team);
    suite_add_tcase(s, tc);
    TCase *tc_cost = tcase_create("cost");
    tcase_add_test(tc_cost, cost_small_net);
    tcase_add_test(tc_cost, cost_whole_set_adam);
    tcase_add_test(tc_cost, cost_step);
    suite_add_tcase(s, tc_cost);
    return s;
}
