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

/* One valid, non-default value of every key: the text given and the canonical text config_format must make of
 * it. A key missing here fails test_every_key_round_trips. */
static const struct { const char *key, *text, *canon; } non_default[] = {
    {"experiment.name", "run_2-b", "run_2-b"},
    {"experiment.seeds", "7,3,  1000000000000", "7, 3, 1000000000000"},
    {"experiment.threads", " 3", "3"},
    {"experiment.parallel_runs", "2", "2"},
    {"data.file", "other dir/x.h5", "other dir/x.h5"},
    {"data.features", "feat;ures", "feat;ures"},
    {"data.labels", "lab", "lab"},
    {"data.test_file", "t.h5", "t.h5"},
    {"data.test_fraction", "0.123456789", "0.123456789"},
    {"data.validation_fraction", "0", "0"},
    {"data.split_seed", "9223372036854775807", "9223372036854775807"},
    {"data.scale", "6.25e-2", "0.0625"},
    {"data.standardize", "yes", "true"},
    {"model.hidden", "256-128-3", "256-128-3"},
    {"model.activation", "relu", "relu"},
    {"model.output", "sigmoid", "sigmoid"},
    {"model.init", "he", "he"},
    {"model.init_file", "w.h5", "w.h5"},
    {"train.optimizer", "adam", "adam"},
    {"train.learning_rate", "3e-4", "0.0003"},
    {"train.momentum", "0.5", "0.5"},
    {"train.adam_beta1", "0.8", "0.8"},
    {"train.adam_beta2", "0.99", "0.99"},
    {"train.adam_eps", "0.0000001", "1e-07"},
    {"train.batch_size", "0", "0"},
    {"train.epochs", "+7", "7"},
    {"train.shuffle", "Off", "false"},
    {"train.diverge_factor", "1e20", "1e+20"},
    {"train.eval_every", "5", "5"},
    {"train.loss", "sum", "sum"},
    {"train.early_stopping", " 3 ", "3"},
    {"train.weight_decay", "5E-4", "0.0005"},
    {"train.schedule", "cosine", "cosine"},
    {"train.warmup_epochs", "3", "3"},
    {"train.step_every", "+20", "20"},
    {"train.step_factor", "0.50", "0.5"},
    {"train.min_learning_rate", "1e-3", "0.001"},
    {"train.checkpoint_every", "0.25", "0.25"},
    {"train.target_accuracy", "0.95", "0.95"},
    {"train.stop_at_target", "yes", "true"},
    {"train.eval_every_steps", "10", "10"},
    {"train.noise_scale", "true", "true"},
    {"train.noise_big_batch", "512", "512"},
    {"report.x_axis", "seconds", "seconds"},
    {"report.points", "train.learning_rate=0.1", "train.learning_rate=0.1"},
    {"report.panel_key", "model.hidden", "model.hidden"},
};
#define NNON_DEFAULT ((int)(sizeof non_default / sizeof non_default[0]))

/* Every value of a against b, field by field. */
static void assert_same_values(const config *a, const config *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(a->nseeds, b->nseeds);
    for (int i = 0; i < a->nseeds; i++)
        ck_assert_int_eq(a->seeds[i], b->seeds[i]);
    ck_assert_int_eq(a->threads, b->threads);
    ck_assert_int_eq(a->parallel_runs, b->parallel_runs);
    ck_assert_str_eq(a->file, b->file);
    ck_assert_str_eq(a->features, b->features);
    ck_assert_str_eq(a->labels, b->labels);
    ck_assert_str_eq(a->test_file, b->test_file);
    ck_assert_double_eq(a->test_fraction, b->test_fraction);
    ck_assert_double_eq(a->validation_fraction, b->validation_fraction);
    ck_assert_int_eq(a->split_seed, b->split_seed);
    ck_assert_double_eq(a->scale, b->scale);
    ck_assert_int_eq(a->nhidden, b->nhidden);
    for (int i = 0; i < a->nhidden; i++)
        ck_assert_int_eq(a->hidden[i], b->hidden[i]);
    ck_assert_int_eq(a->activation, b->activation);
    ck_assert_int_eq(a->output, b->output);
    ck_assert_int_eq(a->init, b->init);
    ck_assert_str_eq(a->init_file, b->init_file);
    ck_assert_int_eq(a->optimizer, b->optimizer);
    ck_assert_double_eq(a->learning_rate, b->learning_rate);
    ck_assert_double_eq(a->momentum, b->momentum);
    ck_assert_double_eq(a->adam_beta1, b->adam_beta1);
    ck_assert_double_eq(a->adam_beta2, b->adam_beta2);
    ck_assert_double_eq(a->adam_eps, b->adam_eps);
    ck_assert_double_eq(a->diverge_factor, b->diverge_factor);
    ck_assert_int_eq(a->batch_size, b->batch_size);
    ck_assert_int_eq(a->epochs, b->epochs);
    ck_assert_int_eq(a->eval_every, b->eval_every);
    ck_assert_int_eq(a->shuffle, b->shuffle);
    ck_assert_int_eq(a->loss, b->loss);
    ck_assert_int_eq(a->early_stopping, b->early_stopping);
    ck_assert_int_eq(a->report_x_axis, b->report_x_axis);
    ck_assert_str_eq(a->report_points, b->report_points);
    ck_assert_str_eq(a->report_panel_key, b->report_panel_key);
}

/* The resolved dump of c, as config_write makes it; free the result. */
static char *written(const config *c)
{
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(config_write(c, f, CONFIG_WRITE_ALL), 0);
    fclose(f);
    return text;
}

/* Every key set to a value other than its default, written as INI, read back: the same values. */
START_TEST(test_every_key_round_trips)
{
    config a, b, defaults;
    config_errors errs = {0};
    config_defaults(&a);
    config_defaults(&defaults);
    char text[1024], def[1024], why[400], path[64];
    for (int k = 0; k < config_nkeys(); k++) {
        char dotted[128];
        snprintf(dotted, sizeof dotted, "%s.%s", config_key_section(k), config_key_name(k));
        int i = 0;
        while (i < NNON_DEFAULT && strcmp(non_default[i].key, dotted))
            i++;
        ck_assert_msg(i < NNON_DEFAULT, "%s has no non-default value in this test", dotted);
        ck_assert_msg(config_set(&a, k, non_default[i].text, why, sizeof why) == 0, "%s = %s: %s", dotted,
                      non_default[i].text, why);
        config_format(&a, k, text, sizeof text);
        ck_assert_str_eq(text, non_default[i].canon);
        config_format(&defaults, k, def, sizeof def);
        ck_assert_msg(strcmp(text, def), "%s: %s is its default", dotted, text);
    }
    for (int i = 0; i < NNON_DEFAULT; i++)
        ck_assert_msg(config_find(non_default[i].key) >= 0, "%s is not a key", non_default[i].key);
    /* a few values by their types: an int, a long long at its limit, a list, a choice, a bool */
    ck_assert_int_eq(a.threads, 3);
    ck_assert_int_eq(a.split_seed, 9223372036854775807LL);
    ck_assert_int_eq(a.nseeds, 3);
    ck_assert_int_eq(a.seeds[2], 1000000000000LL);
    ck_assert_int_eq(a.nhidden, 3);
    ck_assert_int_eq(a.hidden[2], 3);
    ck_assert_int_eq(a.activation, MLP_RELU);
    ck_assert_int_eq(a.optimizer, OPT_ADAM);
    ck_assert_int_eq(a.shuffle, 0);

    /* set in the opposite order, no value overwrites another's storage */
    config_defaults(&b);
    for (int k = config_nkeys() - 1; k >= 0; k--) {
        int i = config_find(non_default[k].key);
        ck_assert_int_eq(config_set(&b, i, non_default[k].text, why, sizeof why), 0);
    }
    assert_same_values(&a, &b);

    char *ini = written(&a);
    ck_assert_int_eq(load_text(&b, &errs, ini, path, sizeof path), 0);
    assert_same_values(&a, &b);
    char *again = written(&b);
    ck_assert_str_eq(ini, again);
    free(ini);
    free(again);
    config_errors_free(&errs);
}
END_TEST

/* Each type's setter refuses a value outside its range, says what is allowed, and keeps the old value. */
START_TEST(test_setters_reject_out_of_range)
{
    char long_name[65], long_path[200];
    memset(long_name, 'a', 64);
    long_name[64] = 0;
    memset(long_path, 'p', 199);
    long_path[199] = 0;
    const struct { const char *key, *value, *why; } bad[] = {
        {"experiment.name", long_name,
         "name too long 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (1 to 63 letters, digits, '_' or '-')"},
        {"data.file", long_path, "too long 'pppppppppppppppppppppppppppppppppppppppp' (a non-empty text of at most "
                                 "192 characters, no ';' at the start or after a blank)"},
        {"data.test_file", long_path, "too long 'pppppppppppppppppppppppppppppppppppppppp' (a text of at most 187 "
                                      "characters, no ';' at the start or after a blank, or nothing)"},
        {"experiment.threads", "1025", "out of range '1025' (an integer from 0 to 1024)"},
        {"train.epochs", "10000001", "out of range '10000001' (an integer from 1 to 10000000)"},
        {"data.split_seed", "-1", "out of range '-1' (an integer from 0 to 9223372036854775807)"},
        {"experiment.parallel_runs", "0", "out of range '0' (auto, or an integer from 1 to 1024)"},
        {"data.test_fraction", "1", "out of range '1' (a number > 0 and < 1)"},
        {"data.validation_fraction", "1", "out of range '1' (a number >= 0 and < 1)"},
        {"data.validation_fraction", "-0.1", "out of range '-0.1' (a number >= 0 and < 1)"},
        {"train.early_stopping", "-1", "out of range '-1' (an integer from 0 to 10000000)"},
        {"train.early_stopping", "2.5", "not an integer '2.5' (an integer from 0 to 10000000)"},
        {"train.learning_rate", "1000001", "out of range '1000001' (a number > 0 and <= 1e+06)"},
        {"train.shuffle", "maybe", "not a boolean 'maybe' (true or false; also yes/no, on/off, 1/0)"},
        {"model.activation", "gelu", "unknown value 'gelu' (one of sigmoid, tanh, relu)"},
        {"model.hidden", "128-65537",
         "layer width out of range '128-65537' (1 to 16 widths from 1 to 65536 joined by '-', e.g. 256-128)"},
        {"model.hidden", "-3", "negative layer width '-3' (1 to 16 widths from 1 to 65536 joined by '-', e.g. 256-128)"},
        {"model.hidden", " -64-32", "negative layer width ' -64-32' (1 to 16 widths from 1 to 65536 joined by '-', e.g. "
                                    "256-128)"},
        {"model.hidden", "-", "empty layer width '-' (1 to 16 widths from 1 to 65536 joined by '-', e.g. 256-128)"},
        {"model.hidden", "1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17", "too many hidden layers "
         "'1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-1' (1 to 16 widths from 1 to 65536 joined by '-', e.g. 256-128)"},
        {"experiment.seeds", "1, -2",
         "negative seed '1, -2' (1 to 256 different integers from 0 to 9223372036854775807, joined by ',')"},
    };
    config c;
    config_defaults(&c);
    char why[400], before[1024], after[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int k = config_find(bad[i].key);
        ck_assert_int_ge(k, 0);
        config_format(&c, k, before, sizeof before);
        ck_assert_msg(config_set(&c, k, bad[i].value, why, sizeof why) == -1, "%s accepted", bad[i].key);
        ck_assert_str_eq(why, bad[i].why);
        config_format(&c, k, after, sizeof after);
        ck_assert_str_eq(before, after);
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
    /* blanks around the key and the value, as on an INI line */
    ck_assert_int_eq(config_override(&c, " train.epochs = 7 ", &errs), 0);
    ck_assert_int_eq(c.epochs, 7);
    ck_assert_int_eq(config_override(&c, "\tsweep.model.hidden\t= 8, 16 ", &errs), 0);
    ck_assert_int_eq(c.nsweep, 1);
    ck_assert_int_eq(config_override(&c, "train.optimizer = adam\t", &errs), 0);
    ck_assert_int_eq(c.optimizer, OPT_ADAM);
    ck_assert_int_eq(config_override(&c, "train.shuffle = false", &errs), 0);
    ck_assert_int_eq(c.shuffle, 0);
    ck_assert_int_eq(config_override(&c, "data.file = d ata.h5 ", &errs), 0);
    ck_assert_str_eq(c.file, "d ata.h5");
    ck_assert_int_eq(config_override(&c, "  = 7", &errs), 1);
    ck_assert_str_eq(errs.text, "runner: --set   = 7: expected section.key=value\n");
    config_errors_free(&errs);
    config_free(&c);
}
END_TEST

/* Where a key was set, as messages about its value name it: a line of the file, --set (a key or a sweep list), the
 * default of the config's file; a sweep line of the file. */
START_TEST(test_key_origins)
{
    config c;
    config_errors errs = {0};
    char origin[700];
    config_defaults(&c);
    ck_assert_int_eq(config_load(&c, "configs/lr_sweep.ini", &errs), 0);
    config_origin(&c, config_find("data.file"), origin, sizeof origin);
    ck_assert_str_eq(origin, "configs/lr_sweep.ini:8: data.file");
    config_origin(&c, config_find("data.labels"), origin, sizeof origin);
    ck_assert_str_eq(origin, "configs/lr_sweep.ini: data.labels (its default)");
    config_sweep_origin(&c, config_find("train.learning_rate"), origin, sizeof origin);
    ck_assert_str_eq(origin, "configs/lr_sweep.ini:25: sweep.train.learning_rate");
    ck_assert_int_eq(config_override(&c, "data.file=x.h5", &errs), 0);
    config_origin(&c, config_find("data.file"), origin, sizeof origin);
    ck_assert_str_eq(origin, "runner: --set data.file");
    ck_assert_int_eq(config_override(&c, "sweep.train.warmup_epochs=0,1", &errs), 0);
    config_sweep_origin(&c, config_find("train.warmup_epochs"), origin, sizeof origin);
    ck_assert_str_eq(origin, "runner: --set sweep.train.warmup_epochs");
    ck_assert_int_eq(config_override(&c, "sweep.train.learning_rate=0.1,0.2", &errs), 0); /* replaces the file's */
    config_sweep_origin(&c, config_find("train.learning_rate"), origin, sizeof origin);
    ck_assert_str_eq(origin, "runner: --set sweep.train.learning_rate");
    /* in its place: the order of the swept keys makes the run ids */
    ck_assert_int_eq(c.nsweep, 2);
    ck_assert_int_eq(c.sweep[0].key, config_find("train.learning_rate"));
    ck_assert_int_eq(c.sweep[0].nvalues, 2);
    ck_assert_int_eq(c.sweep[1].key, config_find("train.warmup_epochs"));
    config_free(&c);
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
             "%1$s:9: [modle]: unknown section (allowed: experiment, data, model, train, report, sweep)\n",
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
    ck_assert_msg(strstr(err, "has 56 points x 2 seeds, more than 100 runs (raise --max-runs"), "%s", err);
    /* the points alone exceed it: the message still gives the sweep's size */
    ck_assert_int_eq(sweep_plan_init(&p, &c, 20, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "has 56 points x 2 seeds, more than 20 runs (raise --max-runs"), "%s", err);
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
    ck_assert_int_eq(load_text(&a, &errs, "[experiment]\nname = x\nthreads = 1\nseeds = 1\n[report]\nx_axis = step\n[sweep]\ntrain.epochs = 1, 2\n", path,
                               sizeof path), 0);
    ck_assert_int_eq(load_text(&b, &errs, "[experiment]\nname = x\nthreads = 2\nseeds = 1, 5\n[sweep]\ntrain.epochs = 3\n",
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

/* experiment.name defaults to the config file's base name, characters a name may not hold becoming '_'. */
START_TEST(test_name_defaults_to_file_name)
{
    static const char *const cases[][2] = {{"my_study.ini", "my_study"}, {"a.b.ini", "a_b"}, {"plain", "plain"}};
    char dir[] = "/tmp/runner_name_XXXXXX", path[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        config c;
        config_errors errs = {0};
        snprintf(path, sizeof path, "%s/%s", dir, cases[i][0]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "[train]\nepochs = 2\n");
        fclose(f);
        config_defaults(&c);
        ck_assert_int_eq(config_load(&c, path, &errs), 0);
        ck_assert_str_eq(c.name, cases[i][1]);
        unlink(path);
        config_free(&c);
    }
    rmdir(dir);
}
END_TEST

/* --set on a swept key would change nothing: refused with the sweep.KEY hint; the sweep form replaces the list. */
START_TEST(test_set_on_a_swept_key_refused)
{
    config c;
    config_errors errs = {0};
    config_defaults(&c);
    ck_assert_int_eq(config_load(&c, "configs/lr_sweep.ini", &errs), 0);
    ck_assert_int_eq(config_override(&c, "train.learning_rate=0.5", &errs), 1);
    ck_assert_str_eq(errs.text, "runner: --set train.learning_rate: the key is swept, so a single value would change "
                                "nothing (use --set sweep.train.learning_rate=LIST to replace its list)\n");
    ck_assert_int_eq(config_override(&c, "sweep.train.learning_rate=0.5", &errs), 0);
    ck_assert_int_eq(c.sweep[0].nvalues, 1);
    config_errors_free(&errs);
    config_free(&c);
}
END_TEST

/* Two identities differ key by key, each named with its old and new value, swept keys included. */
START_TEST(test_identity_diff_names_keys)
{
    char out[600];
    const char *old = "[experiment]\nname = x\n\n[model]\nhidden = 128\nactivation = sigmoid\n",
               *now = "[experiment]\nname = x\n\n[model]\nactivation = relu\n\n[sweep]\nmodel.hidden = (swept)\n";
    config_identity_diff(old, now, out, sizeof out);
    ck_assert_str_eq(out, "sweep.model.hidden: (not swept) -> (swept), model.activation: sigmoid -> relu");
    /* a key left out at its default, or at the value results from before it were made with */
    const char *dflt = "[experiment]\nname = x\n\n[data]\nfile = d.h5\n",
               *set = "[experiment]\nname = x\n\n[data]\nfile = d.h5\nvalidation_fraction = 0.1\n\n[train]\n"
                      "eval_every = 5\n";
    config_identity_diff(dflt, set, out, sizeof out);
    ck_assert_str_eq(out, "data.validation_fraction: 0 (as results from before the key) -> 0.1, "
                          "train.eval_every: 1 (the default) -> 5");
    config_identity_diff(old, old, out, sizeof out);
    ck_assert_str_eq(out, "the files differ in a line that is not a key");
    /* the same swept keys in another order (they make the run ids) */
    const char *ab = "[experiment]\nname = x\n\n[sweep]\ntrain.learning_rate = (swept)\nmodel.hidden = (swept)\n",
               *ba = "[experiment]\nname = x\n\n[sweep]\nmodel.hidden = (swept)\ntrain.learning_rate = (swept)\n";
    config_identity_diff(ab, ba, out, sizeof out);
    ck_assert_str_eq(out, "the swept keys in another order: train.learning_rate, model.hidden -> model.hidden, "
                          "train.learning_rate; the order makes the run ids, so list them as before");
}
END_TEST

/* Keys added later stay out of the identity at the value results were made with before them, so those results
 * resume: train.early_stopping at its default 0; data.validation_fraction at 0, not at its default 0.1 (results
 * made on every training row must not be mixed with results made on 90 % of them). */
START_TEST(test_identity_of_later_keys)
{
    static const struct { const char *set, *line; int named; } cases[] = {
        {"train.early_stopping=0", "early_stopping", 0},
        {"train.early_stopping=3", "early_stopping = 3\n", 1},
        {"data.validation_fraction=0", "validation_fraction", 0},
        {"data.validation_fraction=0.1", "validation_fraction = 0.1\n", 1},
        {"data.validation_fraction=0.2", "validation_fraction = 0.2\n", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config c;
        config_errors errs = {0};
        config_defaults(&c);
        ck_assert_int_eq(config_override(&c, cases[i].set, &errs), 0);
        char *text = NULL;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        ck_assert_int_eq(config_write(&c, f, CONFIG_WRITE_IDENTITY), 0);
        fclose(f);
        ck_assert_msg((strstr(text, cases[i].line) != NULL) == cases[i].named, "%s: %s", cases[i].set, text);
        free(text);
        config_free(&c);
    }
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_every_key_round_trips);
    tcase_add_test(tc, test_key_origins);
    tcase_add_test(tc, test_identity_of_later_keys);
    tcase_add_test(tc, test_setters_reject_out_of_range);
    tcase_add_test(tc, test_digits_config_values);
    tcase_add_test(tc, test_all_errors_reported_with_lines);
    tcase_add_test(tc, test_sweep_values_and_ids);
    tcase_add_test(tc, test_adding_a_value_keeps_ids);
    tcase_add_test(tc, test_identity_ignores_threads_seeds_and_swept_values);
    tcase_add_test(tc, test_name_defaults_to_file_name);
    tcase_add_test(tc, test_set_on_a_swept_key_refused);
    tcase_add_test(tc, test_identity_diff_names_keys);
    suite_add_tcase(s, tc);
    return s;
}
