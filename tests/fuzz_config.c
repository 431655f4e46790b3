/* libFuzzer target for the config layer: the input is a config file, optionally followed by a line "#--set" and
 * one --set assignment per line. It is parsed and validated (config_load, config_override) and, when free of
 * errors, planned (sweep_plan_init), expanded (sweep_run, sweep_point_id) and written back (config_write).
 * Besides crashes and sanitizer reports it checks two properties: run ids are distinct whole folder names, and
 * a run's resolved config written as INI reads back without errors to the same text (the config.ini beside
 * every run is a config the runner accepts).
 *
 *   make -f Makefile -f experiments/reliability.mk fuzz         (60 s from tests/fuzz_corpus)
 *   build/fuzz/fuzz_config CRASH_FILE                           (replays one input) */
#define _GNU_SOURCE
#include "config.h"
#include "sweep.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { FUZZ_MAX_RUNS = 256, FUZZ_RUNS_EXPANDED = 4 };
static const char set_marker[] = "#--set\n";

/* The input's file part lives in one memfd, read through its /proc path like any config file. */
static int input_fd = -1;
static char input_path[64];

static void fill_input(const uint8_t *data, size_t size)
{
    if (input_fd < 0) {
        input_fd = memfd_create("fuzz_config.ini", 0);
        if (input_fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(input_path, sizeof input_path, "/proc/self/fd/%d", input_fd);
    }
    if (ftruncate(input_fd, 0) != 0 || (size && pwrite(input_fd, data, size, 0) != (ssize_t)size)) {
        perror("memfd write");
        abort();
    }
}

/* config_write(CONFIG_WRITE_ALL) into a malloc'd string. */
static char *written(const config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || config_write(c, f, CONFIG_WRITE_ALL) != 0 || fclose(f) != 0)
        abort();
    return text;
}

/* A run's resolved config, written and read back, must load without errors and write the same text. */
static void check_round_trip(const config *run)
{
    char *text = written(run);
    fill_input((const uint8_t *)text, strlen(text));
    config back;
    config_errors errs = {0};
    config_defaults(&back);
    if (config_load(&back, input_path, &errs) != 0) {
        fprintf(stderr, "fuzz_config: the resolved config does not read back:\n%s--- written:\n%s", errs.text, text);
        abort();
    }
    char *again = written(&back);
    if (strcmp(text, again)) {
        fprintf(stderr, "fuzz_config: the resolved config reads back differently:\n%s--- read back:\n%s", text, again);
        abort();
    }
    free(again);
    free(text);
    config_errors_free(&errs);
    config_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* split off the --set lines */
    size_t file_size = size;
    const uint8_t *sets = NULL;
    const uint8_t *m = memmem(data, size, set_marker, sizeof set_marker - 1);
    if (m && (m == data || m[-1] == '\n')) {
        file_size = (size_t)(m - data);
        sets = m + sizeof set_marker - 1;
    }
    fill_input(data, file_size);

    config c;
    config_errors errs = {0};
    config_defaults(&c);
    config_load(&c, input_path, &errs);
    if (sets) {
        char *rest = strndup((const char *)sets, size - (size_t)(sets - data)); /* stops at a NUL, as argv does */
        for (char *line = rest, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = 0;
            config_override(&c, line, &errs);
        }
        free(rest);
    }
    if (errs.n == 0) {
        sweep_plan plan;
        char err[1200], id[SWEEP_ID];
        if (sweep_plan_init(&plan, &c, FUZZ_MAX_RUNS, err, sizeof err) == 0) {
            char seen[FUZZ_RUNS_EXPANDED + 1][SWEEP_ID];
            int nseen = 0;
            for (long r = 0; r < plan.nruns; r++) {
                if (r >= FUZZ_RUNS_EXPANDED && r != plan.nruns - 1)
                    continue;
                config run;
                long long seed;
                sweep_run(&plan, r, &run, &seed, id, sizeof id);
                /* a planned id is a whole folder name, and names one run only */
                if (strlen(id) > SWEEP_ID_MAX) {
                    fprintf(stderr, "fuzz_config: run %ld has an id of %zu characters: %s\n", r, strlen(id), id);
                    abort();
                }
                for (int j = 0; j < nseen; j++)
                    if (!strcmp(seen[j], id)) {
                        fprintf(stderr, "fuzz_config: two runs share the id %s\n", id);
                        abort();
                    }
                memcpy(seen[nseen++], id, sizeof id);
                sweep_point_id(&plan, sweep_point(&plan, r), id, sizeof id);
                config copy;
                if (config_copy(&copy, &run) != 0)
                    abort();
                check_round_trip(&copy);
                config_free(&copy);
            }
        }
        char *all = written(&c);
        free(all);
        char *identity = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&identity, &len);
        if (!f || config_write(&c, f, CONFIG_WRITE_IDENTITY) != 0 || fclose(f) != 0)
            abort();
        free(identity);
    }
    config_errors_free(&errs);
    config_free(&c);
    return 0;
}
