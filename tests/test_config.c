/* Configuration and sweep plans: every key round-trips through its canonical text, files parse to the values
 * they say, every error is reported with its line, sweeps expand to the expected values and stable run ids.
 * The full catalogue of bad configs and their exact messages lives in tests/cli_test.sh. */
#include "tests.h"
#include "config.h"
#include "sweep.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a temporary file and loads it over the defaults; returns the error count. */
static int load_text(config *c, config_errors *errs, const char *text, char *path, size_t len)
{
    snprintf(path, len, "/tmp/runner_cfg_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    config_defaults(c);
    int n = config_load(c, path, errs);
    unlink(path);
    return n;
}

START_TEST(test_every_key_round_trips)
{
    config c, d;
    config_defaults(&c);
    config_defaults(&d);
    char text[1024], again[1024], why[400];
    for (int k = 0; k < config_nkeys(); k++) {
        config_format(&c, k, text, sizeof text);
        ck_assert_msg(config_set(&d, k, text, why, sizeof why) == 0, "%s.%s = %s: %s", config_key_section(k),
                      config_key_name(k), text, why);
        config_format(&d, k, again, sizeof again);
        ck_assert_str_eq(text, again);
    }
}
END_TEST

START_TEST(test_digits_config_values)
{
    config c;
    config_errors errs = {0};
    config_defaults(&c);
    ck_assert_int_eq(config_load(&c, "configs/digits.ini", &errs), 0);
    ck_assert_str_eq(c.name, "digits");
    ck_assert_double_eq(c.scale, 0.0625);
    ck_assert_int_eq(c.nhidden, 1);
    ck_assert_int_eq(c.hidden[0], 128);
    ck_assert_int_eq(c.batch_size, 32);
    ck_assert_int_eq(c.epochs, 50);
    ck_assert_int_eq(c.output, MLP_OUT_SOFTMAX);
    ck_assert_int_eq(c.loss, LOSS_MEAN);
    /* --set overrides the file, and a bad one says which */
    ck_assert_int_eq(config_override(&c, "model.hidden=256-128", &errs), 0);
    ck_assert_int_eq(c.nhidden, 2);
    ck_assert_int_eq(c.hidden[1], 128);
    ck_assert_int_eq(config_override(&c, "train.epochs=0", &errs), 1);
    ck_assert_str_eq(errs.text, "runner: --set train.epochs: out of range '0' (an integer from 1 to 10000000)\n");
    config_errors_free(&errs);
}
END_TEST

START_TEST(test_all_errors_reported_with_lines)
{
    config c;
    config_errors errs = {0};
    char path[64], expect[2048];
    const char *text = "[experiment]\n"                 /* 1 */
                       "name = ../up\n"                 /* 2 */
                       "[train]\n"                      /* 3 */
                       "epochs = 2.5\n"                 /* 4 */
                       "learning_rate = 0.1x\n"         /* 5 */
                       "lerning_rate = 0.1\n"           /* 6 */
                       "this line is wrong\n"           /* 7 */
                       "epochs = 3\n"                   /* 8 */
                       "[modle]\n"                      /* 9 */
                       "hidden = 5\n";                  /* 10 */
    ck_assert_int_eq(load_text(&c, &errs, text, path, sizeof path), 7);
    snprintf(expect, sizeof expect,
             "%1$s:2: experiment.name: name could escape results/ '../up' (1 to 63 letters, digits, '_' or '-')\n"
             "%1$s:4: train.epochs: not an integer '2.5' (an integer from 1 to 10000000)\n"
             "%1$s:5: train.learning_rate: trailing characters after the number '0.1x' (a number > 0 and <= 1e+06)\n"
             "%1$s:6: train.lerning_rate: unknown key (did you mean train.learning_rate?)\n"
             "%1$s:7: malformed line 'this line is wrong' (expected key = value, [section] or a ; comment)\n"
             "%1$s:8: train.epochs: duplicate key (first set on line 4)\n"
             "%1$s:9: [modle]: unknown section (allowed: experiment, data, model, train, sweep)\n",
             path);
    ck_assert_str_eq(errs.text, expect);
    config_errors_free(&errs);
}
END_TEST

START_TEST(test_sweep_values_and_ids)
{
    config c;
    config_errors errs = {0};
    char path[64];
    const char *text = "[experiment]\nname = s\nseeds = 1, 2\n"
                       "[sweep]\n"
                       "train.learning_rate = logspace(1e-3, 3, 7)\n"
                       "model.hidden = 16, 128-64\n"
                       "train.batch_size = linspace(16, 256, 4)\n";
    ck_assert_int_eq(load_text(&c, &errs, text, path, sizeof path), 0);
    ck_assert_int_eq(c.nsweep, 3);
    /* 10^(-3 + i * log10(3000) / 6), rounded to 4 significant digits */
    const char *lr[] = {"0.001", "0.003798", "0.01442", "0.05477", "0.208", "0.79", "3"};
    for (int i = 0; i < 7; i++)
        ck_assert_str_eq(c.sweep[0].values[i], lr[i]);
    const char *bs[] = {"16", "96", "176", "256"};
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(c.sweep[2].values[i], bs[i]);

    sweep_plan p;
    char err[300], id[SWEEP_ID];
    ck_assert_int_eq(sweep_plan_init(&p, &c, 10000, err, sizeof err), 0);
    ck_assert_int_eq(p.nruns, 7 * 2 * 4 * 2);
    config rc;
    long long seed;
    sweep_run(&p, 0, &rc, &seed, id, sizeof id);
    ck_assert_str_eq(id, "learning_rate=0.001_hidden=16_batch_size=16_seed=1");
    ck_assert_double_eq(rc.learning_rate, 0.001);
    sweep_run(&p, p.nruns - 1, &rc, &seed, id, sizeof id);
    ck_assert_str_eq(id, "learning_rate=3_hidden=128-64_batch_size=256_seed=2");
    ck_assert_int_eq(rc.nhidden, 2);
    ck_assert_int_eq(rc.batch_size, 256);
    ck_assert_int_eq(seed, 2);

    /* a smaller plan cannot exceed --max-runs */
    ck_assert_int_eq(sweep_plan_init(&p, &c, 100, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "more than 100 runs (raise --max-runs"), "%s", err);
    config_free(&c);
}
END_TEST

START_TEST(test_adding_a_value_keeps_ids)
{
    config a, b;
    config_errors errs = {0};
    char path[64], err[300];
    ck_assert_int_eq(load_text(&a, &errs, "[sweep]\ntrain.learning_rate = 0.1, 1\n", path, sizeof path), 0);
    ck_assert_int_eq(load_text(&b, &errs, "[sweep]\ntrain.learning_rate = 0.01, 0.1, 1\n", path, sizeof path), 0);
    sweep_plan pa, pb;
    ck_assert_int_eq(sweep_plan_init(&pa, &a, 100, err, sizeof err), 0);
    ck_assert_int_eq(sweep_plan_init(&pb, &b, 100, err, sizeof err), 0);
    config rc;
    long long seed;
    char ida[SWEEP_ID], idb[SWEEP_ID];
    for (long i = 0; i < pa.nruns; i++) {
        sweep_run(&pa, i, &rc, &seed, ida, sizeof ida);
        int found = 0;
        for (long j = 0; j < pb.nruns; j++) {
            sweep_run(&pb, j, &rc, &seed, idb, sizeof idb);
            found |= !strcmp(ida, idb);
        }
        ck_assert_msg(found, "run %s lost its id", ida);
    }
    config_free(&a);
    config_free(&b);
}
END_TEST

START_TEST(test_identity_ignores_threads_seeds_and_swept_values)
{
    config a, b;
    config_errors errs = {0};
    char path[64];
    ck_assert_int_eq(load_text(&a, &errs, "[experiment]\nthreads = 1\nseeds = 1\n[sweep]\ntrain.epochs = 1, 2\n", path,
                               sizeof path), 0);
    ck_assert_int_eq(load_text(&b, &errs, "[experiment]\nthreads = 2\nseeds = 1, 5\n[sweep]\ntrain.epochs = 3\n",
                               path, sizeof path), 0);
    char *ta = NULL, *tb = NULL;
    size_t la, lb;
    FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
    ck_assert_int_eq(config_write(&a, fa, CONFIG_WRITE_IDENTITY), 0);
    ck_assert_int_eq(config_write(&b, fb, CONFIG_WRITE_IDENTITY), 0);
    fclose(fa);
    fclose(fb);
    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_null(strstr(ta, "threads"));
    ck_assert_ptr_nonnull(strstr(ta, "learning_rate = 0.1\n"));
    /* but a different learning rate is a different experiment */
    config_override(&b, "train.learning_rate=0.2", &errs);
    free(tb);
    fb = open_memstream(&tb, &lb);
    config_write(&b, fb, CONFIG_WRITE_IDENTITY);
    fclose(fb);
    ck_assert_str_ne(ta, tb);
    free(ta);
    free(tb);
    config_free(&a);
    config_free(&b);
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_every_key_round_trips);
    tcase_add_test(tc, test_digits_config_values);
    tcase_add_test(tc, test_all_errors_reported_with_lines);
    tcase_add_test(tc, test_sweep_values_and_ids);
    tcase_add_test(tc, test_adding_a_value_keeps_ids);
    tcase_add_test(tc, test_identity_ignores_threads_seeds_and_swept_values);
    suite_add_tcase(s, tc);
    return s;
}
