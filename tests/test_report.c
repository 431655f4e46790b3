/* The report: a fake experiment on disk (the files the runner writes for a small sweep, one run diverged) must
 * give .gp scripts, .dat aggregates, report.md and index.md equal to the golden files in tests/fixtures/report,
 * aggregates equal to numbers computed by hand, relative links, a warning without gnuplot, and with gnuplot
 * installed, rendered PNG and SVG files (without it that test says SKIP). The test never writes a golden file: it
 * leaves what it got in GOT_DIR, and `make golden` copies that over the goldens (read the diff before committing).
 * Run from the repository root; each test works in its own mkdtemp folder. */
#include "tests.h"
#include "config.h"
#include "report.h"
#include "curve.h"
#include "gnuplot.h"
#include "h5util.h"
#include "plot_parts.h"
#include "tables.h"
#include "tsv.h"
#include "sweep.h"
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES "tests/fixtures/report"
#define GOT_DIR "build/report-got" /* relative to the repository root */
enum { TRAIN_ROWS = 1437 };

/* Where the tests start and the temporary root of the running one: the teardown returns there even when a
 * check failed (with CK_NOFORK a failure jumps straight out of the test). */
static char repo_dir[4096], temp_dir[64];

typedef struct fake {
    char root[64];     /* the mkdtemp folder: the working directory while the report is written */
    char results[256], plots[256];
    config cfg;
    sweep_plan plan;
} fake;

/* The fake runner's numbers for point p, seed number s and epoch e: the two seeds sit a fixed step either side
 * of a mean, so the aggregates are known by hand. */
static double fake_test_loss(long p, int s, int e) { return (1 + 0.5 * p) / (e + 1) + (s ? 0.05 : -0.05); }
static double fake_train_loss(long p, int s, int e) { return 0.8 * (1 + 0.5 * p) / (e + 1) + (s ? 0.02 : -0.02); }
static double fake_test_acc(long p, int s, int e) { return 0.5 + 0.1 * e + 0.01 * p + (s ? 0.005 : -0.005); }
/* 1: the runs have a validation set, its accuracy 0.01 over the test accuracy; else none has */
static int fake_val;

/* Seconds per epoch: 0.1 for 16 hidden units, proportional to the width; 2 threads are 1.6x faster, 4 are 3.2x. */
static double fake_seconds(const config *c)
{
    double speedup = c->threads == 2 ? 1.6 : c->threads == 4 ? 3.2 : 1;
    return 0.1 * c->hidden[0] / 16 / speedup;
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    return f;
}

static void done(FILE *f) { ck_assert_int_eq(fclose(f), 0); }

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&buf, &size);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            char sub[4096];
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                remove_tree(sub);
            }
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* The two files of a committed run the report does not read: config.ini (the run's resolved config: the store
 * checks that a run belongs to the plan) and a weights.h5 that opens. */
static void fake_run_extras(const char *dir, const config *c)
{
    char path[700], err[600];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    FILE *f = create(path);
    fprintf(f, "; a fake run\n");
    config_write(c, f, CONFIG_WRITE_ALL);
    done(f);
    snprintf(path, sizeof path, "%s/weights.h5", dir);
    hid_t h5 = h5util_create_memory();
    ck_assert_int_ge(h5, 0);
    ck_assert_int_eq(h5util_put_string(h5, "layers", "64-16-10"), 0);
    ck_assert_msg(h5util_save(h5, path, err, sizeof err) == 0, "%s", err);
}

static int fake_cpus = 8; /* the manifests' logical_cpus */

/* One run's folder, committed as the store defines it: curve.dat up to epoch last, result.tsv, manifest.txt. The
 * curve has the columns up to val_acc, as before the lr column came with confusion.tsv, which a run with that column
 * must have (the per-class test writes its own). */
static void fake_run(const char *dir, const config *c, long p, int s, int last, int diverged, double sec)
{
    char path[700];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/curve.dat", dir);
    FILE *f = create(path);
    fprintf(f, "%.*s\n", (int)(strstr(curve_header, " lr") - curve_header), curve_header);
    for (int e = 0; e <= last; e++) {
        fprintf(f, "%d %.9g %.9g %.9g %.9g %.6f ", e, fake_train_loss(p, s, e), fake_test_loss(p, s, e),
                fake_test_acc(p, s, e) + 0.02, fake_test_acc(p, s, e), e ? sec : 0.0);
        if (fake_val)
            fprintf(f, "%.9g %.9g\n", fake_test_loss(p, s, e) + 0.1, fake_test_acc(p, s, e) + 0.01);
        else
            fprintf(f, "nan nan\n");
    }
    done(f);
    snprintf(path, sizeof path, "%s/result.tsv", dir);
    f = create(path);
    fprintf(f, "%s\n%s\t%d\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.9g\t%.6f\t%.1f\t", tsv_result_header,
            diverged ? "diverged" : "ok", last, diverged ? last + 1 : 0, fake_train_loss(p, s, last),
            fake_test_loss(p, s, last), fake_test_acc(p, s, last) + 0.02, fake_test_acc(p, s, last), last,
            fake_test_acc(p, s, last), sec * last, TRAIN_ROWS / sec);
    if (fake_val) /* val_loss val_acc best_val_acc */
        fprintf(f, "%.9g\t%.9g\t%.9g\t\t\t\t\t\n", fake_test_loss(p, s, last) + 0.1, fake_test_acc(p, s, last) + 0.01,
                fake_test_acc(p, s, last) + 0.01);
    else
        fprintf(f, "nan\tnan\tnan\t\t\t\t\t\n");
    done(f);
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    f = create(path);
    /* the threads a run ran on: its experiment.threads, capped at the cores as the runner caps it */
    int ran = c->threads > 0 ? (c->threads < fake_cpus ? c->threads : fake_cpus) : 4;
    fprintf(f, "git_revision = 0123abc\ncompiler = gcc 12.2.0\ncflags = -O3 -march=native -fopenmp\n"
               "openmp_threads = %d\nhdf5_version = 1.10.8\ndata_file = data/digits.h5\nseed = %d\n"
               "host = testhost\ncpu = Test CPU @ 3.00GHz\nlogical_cpus = %d\ndate = 2024-01-01T00:00:00Z\n", ran,
            s + 1, fake_cpus);
    done(f);
    fake_run_extras(dir, c);
}

static double sample_std(const double *v, int n, double mean)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    return n > 1 ? sqrt(ss / (n - 1)) : NAN; /* as stats_summary: one value has no spread */
}

/* A table.tsv row after the swept values (columns of tables_header): aggregates over the n runs of a
 * point from each run's final accuracy, loss, seconds per epoch and epochs. */
static void table_row(FILE *t, const double *acc, const double *loss, const double *sec, const int *ep, int n,
                      int ndiv)
{
    double am = 0, lm = 0, amin = 1e9, amax = -1e9, lmin = 1e9, lmax = -1e9, secs = 0, epochs = 0;
    for (int i = 0; i < n; i++) {
        am += acc[i] / n, lm += loss[i] / n, secs += sec[i] * ep[i], epochs += ep[i];
        amin = fmin(amin, acc[i]), amax = fmax(amax, acc[i]), lmin = fmin(lmin, loss[i]), lmax = fmax(lmax, loss[i]);
    }
    /* no validation set: its eight columns are nan */
    fprintf(t, "\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%d\t%.6f\t%.6f\t%.1f"
               "\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\t0\t\t\t\t\t\t\t\t\t\n", n, am,
            sample_std(acc, n, am), amin, amax, lm, sample_std(loss, n, lm), lmin, lmax, ep[0], ndiv, secs / n,
            secs / epochs, TRAIN_ROWS * epochs / secs);
}

/* summary.tsv gives swept keys other than its fixed columns a column of their own: here only threads can be. */
static int extra_column(const config *b)
{
    for (int i = 0; i < b->nsweep; i++)
        if (b->sweep[i].key == config_find("experiment.threads"))
            return i;
    return -1;
}

/* Writes results/<name>/ as the runner would for f->plan; run number diverged (-1: none) stops after epoch 1 and
 * is marked diverged at epoch 2. */
static void fake_experiment(fake *f, long diverged)
{
    const config *b = &f->cfg;
    char path[600], id[SWEEP_ID];
    mkdir("results", 0777);
    mkdir(f->results, 0777);
    snprintf(path, sizeof path, "%s/runs", f->results);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/summary.tsv", f->results);
    FILE *sum = create(path);
    snprintf(path, sizeof path, "%s/table.tsv", f->results);
    FILE *table = create(path);
    fprintf(sum, "run_id\tseed\thidden\tlearning_rate\tactivation\toutput\toptimizer\tbatch_size\tepochs%s\t%s\n",
            extra_column(b) >= 0 ? "\tthreads" : "", tsv_result_header);
    fprintf(table, "point_id");
    for (int i = 0; i < b->nsweep; i++)
        fprintf(table, "\t%s", config_key_name(b->sweep[i].key));
    fprintf(table, "\t%s\n", tables_header);
    for (long p = 0; p < f->plan.npoints; p++) {
        double acc[CONFIG_MAX_SEEDS], loss[CONFIG_MAX_SEEDS], sec[CONFIG_MAX_SEEDS];
        int ep[CONFIG_MAX_SEEDS], ndiv = 0;
        for (int s = 0; s < b->nseeds; s++) {
            config c;
            long long seed;
            long r = p * b->nseeds + s;
            sweep_run(&f->plan, r, &c, &seed, id, sizeof id);
            ep[s] = r == diverged ? 1 : (int)c.epochs;
            ndiv += r == diverged;
            sec[s] = fake_seconds(&c);
            acc[s] = fake_test_acc(p, s, ep[s]);
            loss[s] = fake_test_loss(p, s, ep[s]);
            snprintf(path, sizeof path, "%s/runs/%s", f->results, id);
            fake_run(path, &c, p, s, ep[s], r == diverged, sec[s]);
            fprintf(sum, "%s\t%lld\t%d\t%g\tsigmoid\tsoftmax\tsgd\t32\t3", id, seed, c.hidden[0], c.learning_rate);
            if (extra_column(b) >= 0)
                fprintf(sum, "\t%d", c.threads);
            fprintf(sum, "\t%s\t%d\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.9g"
                         "\t%.6f\t%.1f\tnan\tnan\tnan\t\t\t\t\t\n", r == diverged ? "diverged" : "ok",
                    ep[s], r == diverged ? 2 : 0, fake_train_loss(p, s, ep[s]), loss[s], acc[s] + 0.02, acc[s], ep[s],
                    acc[s], sec[s] * ep[s], TRAIN_ROWS / sec[s]);
        }
        sweep_point_id(&f->plan, p, id, sizeof id);
        fprintf(table, "%s", id);
        config c;
        long long seed;
        sweep_run(&f->plan, p * b->nseeds, &c, &seed, path, sizeof path);
        for (int i = 0; i < b->nsweep; i++) {
            config_format(&c, b->sweep[i].key, path, sizeof path);
            fprintf(table, "\t%s", path);
        }
        table_row(table, acc, loss, sec, ep, b->nseeds, ndiv);
    }
    done(sum);
    done(table);
}

/* Loads the config fixture, plans it, and moves into a fresh temporary root holding its fake results. */
static void fake_open(fake *f, const char *ini, long diverged)
{
    config_errors errs = {0};
    char err[600];
    h5util_quiet();
    config_defaults(&f->cfg);
    config_load(&f->cfg, ini, &errs);
    ck_assert_msg(errs.n == 0, "%s", errs.text);
    ck_assert_msg(sweep_plan_init(&f->plan, &f->cfg, 10000, err, sizeof err) == 0, "%s", err);
    snprintf(f->root, sizeof f->root, "/tmp/report_test_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->root));
    memcpy(temp_dir, f->root, sizeof temp_dir);
    ck_assert_int_eq(chdir(f->root), 0);
    snprintf(f->results, sizeof f->results, "results/%s", f->cfg.name);
    snprintf(f->plots, sizeof f->plots, "plots/%s", f->cfg.name);
    fake_experiment(f, diverged);
}

static void fake_close(fake *f) { config_free(&f->cfg); }

/* fake_open, then the report of its runs, which must be written. */
static void fake_report(fake *f, const char *ini)
{
    char err[600], warning[300];
    fake_open(f, ini, -1);
    ck_assert_msg(report_write(&f->cfg, &f->plan, f->results, f->plots, 0, warning, sizeof warning, err, sizeof err) ==
                      0, "%s", err);
}

static void enter(void) { ck_assert_ptr_nonnull(getcwd(repo_dir, sizeof repo_dir)); }

static void leave(void)
{
    fake_val = 0; /* should a test have stopped between setting and clearing it */
    if (chdir(repo_dir) != 0)
        abort(); /* every later test would run in the wrong folder */
    if (*temp_dir)
        remove_tree(temp_dir);
    temp_dir[0] = 0;
}

/* Keeps what the report wrote as GOT_DIR/golden, for a diff and for `make golden`. */
static void keep_got(const char *golden, const char *got)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/build", repo_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/" GOT_DIR, repo_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/" GOT_DIR "/%s", repo_dir, golden);
    FILE *out = fopen(path, "w");
    if (out) {
        fputs(got, out);
        fclose(out);
    }
}

/* Compares file (relative to the temporary root) with FIXTURES/golden. */
static void check_golden(const fake *f, const char *file, const char *golden)
{
    char want_path[4400];
    snprintf(want_path, sizeof want_path, "%s/" FIXTURES "/%s", repo_dir, golden);
    char *got = slurp(file);
    ck_assert_msg(got != NULL, "%s was not written", file);
    keep_got(golden, got);
    char *want = slurp(want_path);
    ck_assert_msg(want != NULL, "%s: no golden file (make golden writes it from " GOT_DIR ")", want_path);
    ck_assert_msg(strstr(got, f->root) == NULL, "%s names the temporary folder %s", file, f->root);
    ck_assert_msg(!strcmp(got, want), "%s differs from the golden (diff " FIXTURES "/%s " GOT_DIR "/%s; if the "
                  "change is meant, make golden)", file, golden, golden);
    free(got);
    free(want);
}

/* Reads the numeric row of block `block` (gnuplot index) whose first column is key into v (n numbers). */
static void dat_row(const char *path, int block, double key, double *v, int n)
{
    char *text = slurp(path), tag[32];
    ck_assert_ptr_nonnull(text);
    snprintf(tag, sizeof tag, "# index %d:", block);
    const char *s = strstr(text, tag);
    ck_assert_msg(s != NULL, "%s: no block %d", path, block);
    for (s += strcspn(s, "\n") + 1; *s && *s != '\n' && *s != '#'; s += strcspn(s, "\n") + 1) {
        char *end;
        if (strtod(s, &end) != key)
            continue;
        for (int i = 0; i < n; i++)
            v[i] = strtod(s, &end), s = end;
        free(text);
        return;
    }
    ck_abort_msg("%s: block %d has no row %g", path, block, key);
}

static const char *const lr_hidden_files[] = {"loss_curves.gp", "loss_curves.dat", "acc_curves.gp", "loss_time.gp",
                                              "acc_vs_lr.gp", "acc_vs_lr.dat",
                                              "heatmap.gp", "heatmap.dat", "time.gp", "time.dat"};

START_TEST(test_report_matches_golden)
{
    fake f;
    char err[600], warning[300], path[600];
    fake_open(&f, FIXTURES "/lr_hidden.ini", 5); /* learning_rate=0.1_hidden=16_seed=2 diverges */
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(warning, "");
    for (size_t i = 0; i < sizeof lr_hidden_files / sizeof *lr_hidden_files; i++) {
        snprintf(path, sizeof path, "%s/%s", f.plots, lr_hidden_files[i]);
        check_golden(&f, path, lr_hidden_files[i]);
    }
    check_golden(&f, "results/report_test/report.md", "report.md");
    ck_assert_int_ne(access("plots/report_test/speedup.gp", F_OK), 0); /* threads were not swept */
    ck_assert_int_eq(report_index("results", err, sizeof err), 0);
    check_golden(&f, "results/index.md", "index.md");
    fake_close(&f);
}
END_TEST

/* The aggregates of the loss curves, by hand from the fake numbers: the seeds sit 0.05 (test) and 0.02 (train)
 * either side of (1 + 0.5 p) / (e + 1) and 0.8 times that; the diverged run of point 2 stops after epoch 1. */
START_TEST(test_curve_aggregates_by_hand)
{
    fake f;
    char err[600], warning[300];
    double v[8];
    fake_open(&f, FIXTURES "/lr_hidden.ini", 5);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    /* epoch runs train_mean train_min train_max test_mean test_min test_max */
    dat_row("plots/report_test/loss_curves.dat", 0, 1, v, 8); /* learning_rate=0.01, hidden=16 */
    const double p0e1[8] = {1, 2, 0.4, 0.38, 0.42, 0.5, 0.45, 0.55};
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq_tol(v[i], p0e1[i], 1e-9);
    dat_row("plots/report_test/loss_curves.dat", 2, 1, v, 8); /* learning_rate=0.1, hidden=16: both seeds */
    const double p2e1[8] = {1, 2, 0.8, 0.78, 0.82, 1.0, 0.95, 1.05};
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq_tol(v[i], p2e1[i], 1e-9);
    dat_row("plots/report_test/loss_curves.dat", 2, 3, v, 8); /* only seed 1 reached epoch 3 */
    const double p2e3[8] = {3, 1, 0.38, 0.38, 0.38, 0.45, 0.45, 0.45};
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq_tol(v[i], p2e3[i], 1e-9);
    /* learning_rate acc_mean% acc_min% acc_max% runs diverged, hidden=16: seed 1 ends at 81.5 %, seed 2 at 62.5 % */
    dat_row("plots/report_test/acc_vs_lr.dat", 0, 0.1, v, 6);
    const double acc[6] = {0.1, 72, 62.5, 81.5, 2, 1};
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(v[i], acc[i], 1e-7);
    fake_close(&f);
}
END_TEST

/* The accuracy plot draws the validation accuracy dashed when runs have one; without (the golden files) it stays
 * the test accuracy alone. The fixture's config with a validation set. */
START_TEST(test_validation_accuracy_curves)
{
    fake f;
    char err[600], warning[300], ini[] = "/tmp/report_val_XXXXXX";
    double v[16];
    char *text = slurp(FIXTURES "/lr_hidden.ini"), *at = text ? strstr(text, "validation_fraction = 0") : NULL;
    ck_assert_ptr_nonnull(at);
    int fd = mkstemp(ini);
    ck_assert_int_ge(fd, 0);
    FILE *w = fdopen(fd, "w");
    fprintf(w, "%.*svalidation_fraction = 0.1%s", (int)(at - text), text, at + strlen("validation_fraction = 0"));
    done(w);
    free(text);
    fake_val = 1;
    fake_open(&f, ini, -1);
    fake_val = 0;
    unlink(ini);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    /* epoch runs, then column 14 on: val_acc mean, min, max in %, each seed's 0.01 over its test accuracy */
    dat_row("plots/report_test/acc_curves.dat", 1, 2, v, 16); /* point 1, epoch 2: test 70.5 and 71.5 % */
    const double want[3] = {72, 71.5, 72.5};
    ck_assert_double_eq_tol(v[1], 2, 1e-9);
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq_tol(v[13 + i], want[i], 1e-7);
    char *gp = slurp("plots/report_test/acc_curves.gp");
    ck_assert_ptr_nonnull(gp);
    ck_assert_msg(strstr(gp, "title 'validation (dashed)'") && strstr(gp, "using 1:14 with lines lw 2 dt 2") &&
                      strstr(gp, "using 1:15:16 with filledcurves") && strstr(gp, "set ylabel 'accuracy (%)'"),
                  "acc_curves.gp draws no validation line:\n%s", gp);
    free(gp);
    fake_close(&f);
}
END_TEST

/* Runs with a confusion.tsv: the report sums the best point's over its seeds into a per-class table and a
 * confusion plot (seed s: class neg 3 + s right and 1 taken for pos; pos 4 right). */
START_TEST(test_per_class_results)
{
    fake f;
    char err[600], warning[300], path[700], id[SWEEP_ID];
    fake_open(&f, FIXTURES "/lr_hidden.ini", -1);
    for (long r = 0; r < f.plan.nruns; r++) {
        config c;
        long long seed;
        sweep_run(&f.plan, r, &c, &seed, id, sizeof id);
        snprintf(path, sizeof path, "%s/runs/%s/confusion.tsv", f.results, id);
        FILE *out = create(path);
        fprintf(out, "true\tname\t0\t1\n0\tneg\t%ld\t1\n1\tpos\t0\t4\n", 3 + r % f.cfg.nseeds);
        done(out);
    }
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    char *md = slurp("results/report_test/report.md"), *dat = slurp("plots/report_test/confusion.dat");
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(dat);
    ck_assert_ptr_nonnull(strstr(md, "## Per-class results"));
    ck_assert_msg(strstr(md, "| 0 | neg | 9 | 7 | 77.78 | pos (2) |\n| 1 | pos | 8 | 8 | 100.00 |  |\n"), "%s", md);
    ck_assert_ptr_nonnull(strstr(md, "### Confusion matrix"));
    ck_assert_ptr_nonnull(strstr(dat, "\n0 0 7 77.7777778\n1 0 2 22.2222222\n\n0 1 0 0\n1 1 8 100\n"));
    free(md);
    free(dat);
    fake_close(&f);
}
END_TEST

/* Speedup over threads: 2 threads are 1.6x faster and 4 threads 3.2x, so efficiency is 80 % for both. */
START_TEST(test_speedup)
{
    fake f;
    char err[600], warning[300];
    double v[5];
    fake_open(&f, FIXTURES "/threads.ini", -1);
    mkdir("plots", 0777);
    mkdir(f.plots, 0777);
    FILE *stale = create("plots/report_threads/heatmap.gp"); /* left by an earlier sweep of the same name */
    done(stale);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    check_golden(&f, "plots/report_threads/speedup.gp", "threads_speedup.gp");
    check_golden(&f, "plots/report_threads/speedup.dat", "threads_speedup.dat");
    /* threads seconds_per_epoch speedup ideal efficiency%, hidden=32 */
    dat_row("plots/report_threads/speedup.dat", 1, 4, v, 5);
    const double want[5] = {4, 0.0625, 3.2, 4, 80};
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq_tol(v[i], want[i], 1e-6);
    ck_assert_int_ne(access("plots/report_threads/heatmap.gp", F_OK), 0);
    ck_assert_int_ne(access("plots/report_threads/acc_vs_lr.gp", F_OK), 0);
    fake_close(&f);
}
END_TEST

/* Ten widths: acc_vs_lr draws its first 8 and names the other two in its caption and title; its x tics are the
 * learning rates swept. */
START_TEST(test_acc_vs_lr_many_series)
{
    fake f;
    fake_report(&f, FIXTURES "/many_series.ini");
    char *gp = slurp("plots/report_many/acc_vs_lr.gp"), *md = slurp("results/report_many/report.md");
    ck_assert_ptr_nonnull(gp);
    ck_assert_ptr_nonnull(md);
    ck_assert_msg(strstr(md, "Not drawn (8 lines at most; table.tsv has every point): hidden = 36, 40."), "%s", md);
    ck_assert_msg(strstr(gp, "the first 8 of 10 series"), "%s", gp);
    ck_assert_msg(strstr(gp, "set xtics (0.5, 2)\n"), "%s", gp);
    free(gp);
    free(md);
    fake_close(&f);
}
END_TEST

/* On 2 cores the runner ran threads = 4 on 2 (the manifests' openmp_threads): the speedup plot leaves it out (it was
 * drawn at 4, against an ideal of 4) and its caption says so. */
START_TEST(test_speedup_capped)
{
    fake f;
    fake_cpus = 2;
    fake_report(&f, FIXTURES "/threads.ini");
    fake_cpus = 8;
    char *dat = slurp("plots/report_threads/speedup.dat"), *gp = slurp("plots/report_threads/speedup.gp");
    char *md = slurp("results/report_threads/report.md");
    ck_assert_ptr_nonnull(dat);
    ck_assert_ptr_nonnull(gp);
    ck_assert_ptr_nonnull(md);
    ck_assert_msg(!strstr(dat, "\n4 "), "%s", dat);
    ck_assert_ptr_nonnull(strstr(dat, "\n2 "));
    ck_assert_msg(strstr(gp, "set xtics (1, 2)\n"), "%s", gp);
    ck_assert_msg(strstr(md, "Not drawn: threads = 4 (ran on 2): more than the cores the runs had, so the runner capped "
                             "them."), "%s", md);
    free(dat);
    free(gp);
    free(md);
    fake_close(&f);
}
END_TEST

/* The distinct blocks "dat index N" that a script draws, as a bit per block (blocks < 4096). */
static int drawn_blocks(const char *gp, unsigned char *seen)
{
    int n = 0;
    memset(seen, 0, 4096);
    for (const char *s = gp; (s = strstr(s, "dat index ")); s++) {
        int b = atoi(s + 10);
        ck_assert_int_lt(b, 4096);
        n += !seen[b];
        seen[b] = 1;
    }
    return n;
}

/* The number of "# index N:" blocks in a .dat. */
static int dat_blocks(const char *path)
{
    char *text = slurp(path);
    int n = 0;
    ck_assert_ptr_nonnull(text);
    for (const char *s = text; (s = strstr(s, "# index ")); s++)
        n++;
    free(text);
    return n;
}

/* Every curve plot of dir draws each of the n points, and its .dat holds them all. */
static void check_all_points(const char *dir, int n)
{
    static const char *const names[] = {"loss_curves", "acc_curves", "loss_time"};
    unsigned char seen[4096];
    char path[700];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s.dat", dir, names[k]);
        ck_assert_msg(dat_blocks(path) == n, "%s: %d blocks, want %d", path, dat_blocks(path), n);
        snprintf(path, sizeof path, "%s/%s.gp", dir, names[k]);
        char *gp = slurp(path);
        ck_assert_ptr_nonnull(gp);
        ck_assert_msg(drawn_blocks(gp, seen) == n, "%s draws %d of %d points", path, drawn_blocks(gp, seen), n);
        free(gp);
    }
}

/* The seeds a figure's means are over: the points' committed runs, a range where they differ. */
START_TEST(test_seeds_note)
{
    sweep_plan plan = {.npoints = 3};
    point pts[3] = {{.n = 2}, {.n = 0}, {.n = 2}};
    points x = {.plan = &plan, .pts = pts};
    char note[64];
    points_seeds_note(&x, note, sizeof note);
    ck_assert_str_eq(note, "2 seeds");
    pts[2].n = 1;
    points_seeds_note(&x, note, sizeof note);
    ck_assert_str_eq(note, "1 to 2 seeds");
    pts[0].n = 1;
    points_seeds_note(&x, note, sizeof note);
    ck_assert_str_eq(note, "1 seed");
}
END_TEST

/* A third swept key: acc_vs_lr and the heatmap draw a panel per batch size (every point, one key, one colour
 * scale), not the first batch size alone. */
START_TEST(test_summary_panels)
{
    fake f;
    char err[600], warning[300];
    fake_report(&f, FIXTURES "/three.ini");
    ck_assert_int_eq(dat_blocks("plots/report_three/acc_vs_lr.dat"), 6); /* 3 panels x 2 hidden sizes */
    char *dat = slurp("plots/report_three/acc_vs_lr.dat"), *gp = slurp("plots/report_three/acc_vs_lr.gp");
    ck_assert_ptr_nonnull(dat);
    ck_assert_ptr_nonnull(gp);
    int rows = 0;
    for (const char *l = dat; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        rows += *l != '#' && *l != '\n';
    ck_assert_int_eq(rows, 12); /* every point */
    ck_assert_msg(strstr(gp, "set multiplot layout 2,2") && strstr(gp, "set title 'batch_size=8'") &&
                  strstr(gp, "set title 'batch_size=16'") && strstr(gp, "set title 'batch_size=full'") &&
                  strstr(gp, "dat index 4 using 1:2:3:4") && strstr(gp, "keyentry with yerrorlines") &&
                  !strstr(gp, " at batch_size"), "%.3000s", gp);
    free(dat);
    free(gp);
    gp = slurp("plots/report_three/heatmap.gp");
    ck_assert_ptr_nonnull(gp);
    ck_assert_msg(strstr(gp, "set multiplot layout 1,3") && strstr(gp, "set cbrange [") &&
                  strstr(gp, "dat index 2 using 1:2:(cell(") && strstr(gp, "set title 'batch_size=full'"), "%.3000s", gp);
    free(gp);
    /* a panel without committed runs (as --collect meets one): drawn empty on the shared ranges, and its blocks
     * hold a row each, or gnuplot's index would skip them and the next panel would draw nothing */
    char *table = slurp("results/report_three/table.tsv"), *kept = calloc(strlen(table) + 1, 1);
    for (const char *l = table; *l; l += strcspn(l, "\n") + 1)
        if (!strstr(l, "batch_size=16") || strstr(l, "batch_size=16") > l + strcspn(l, "\n"))
            strncat(kept, l, strcspn(l, "\n") + 1);
    FILE *t = create("results/report_three/table.tsv");
    fputs(kept, t);
    done(t);
    free(table);
    free(kept);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(dat_blocks("plots/report_three/acc_vs_lr.dat"), 6);
    dat = slurp("plots/report_three/acc_vs_lr.dat");
    gp = slurp("plots/report_three/acc_vs_lr.gp");
    ck_assert_msg(strstr(dat, "batch_size=16\nnan nan nan nan 0 0\n") && strstr(gp, "set title 'batch_size=16 (no runs)'") &&
                  strstr(gp, "    plot NaN notitle\n") && strstr(gp, "    set xrange [") &&
                  strstr(gp, "    set yrange [") && !strstr(gp, "set yrange [*") &&
                  strstr(gp, "dat index 4 using 1:2:3:4") && strstr(gp, "(mean over 2 seeds,"), "%.3000s", gp);
    free(dat);
    free(gp);
    /* no committed run at all: no acc_vs_lr (gnuplot had nothing to scale an axis on), the rest as before */
    t = create("results/report_three/table.tsv");
    fprintf(t, "point_id\tlearning_rate\thidden\tbatch_size\t%s\n", tables_header);
    done(t);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_ne(access("plots/report_three/acc_vs_lr.gp", F_OK), 0);
    fake_close(&f);
}
END_TEST

/* A panel's key goes where the fewest plotted values are: the spec's corner while it is free, else the first free
 * place, and the spec's corner with nothing plotted. */
START_TEST(test_key_place)
{
    double at[40][2];
    for (int i = 0; i < 10; i++) { /* a falling loss: top left and bottom right taken */
        at[i][0] = i, at[i][1] = 9 - i;
    }
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 10, 0), "top right");
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 10, 1), "top right"); /* its own corner is taken */
    for (int i = 0; i < 10; i++) /* a rising accuracy: bottom left and top right taken */
        at[i][1] = i;
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 10, 1), "bottom right");
    for (int i = 0; i < 20; i++) { /* flat lines at the top and at the bottom (runs at chance): the middle is free */
        at[i][0] = i % 10, at[i][1] = i < 10 ? 100 : 10;
    }
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 20, 1), "right center");
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 20, 0), "right center");
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 0, 1), "bottom right");
    ck_assert_str_eq(plot_key_place((const double(*)[2])at, 0, 0), "top right");
}
END_TEST

/* Ten points are too many curves for one legend: a panel per hidden size, each with the five learning rates. */
START_TEST(test_many_points_are_grouped)
{
    fake f;
    fake_report(&f, FIXTURES "/many.ini");
    check_all_points(f.plots, 10);
    char *gp = slurp("plots/report_many/loss_curves.gp");
    ck_assert_ptr_nonnull(gp);
    /* both panels draw the same learning rates: one key, in a cell of its own, none over the data; one y range */
    ck_assert_msg(strstr(gp, "set multiplot layout 1,3") && strstr(gp, "set title 'hidden=16'") &&
                  strstr(gp, "set title 'hidden=32'") && strstr(gp, "title 'learning_rate=0.03'"), "%.3000s", gp);
    const char *cell = strstr(gp, "    set key center center box");
    ck_assert_msg(cell && strstr(cell, "keyentry with lines lw 2 lc rgb '#2ca02c' title 'learning_rate=0.01'") &&
                  !strstr(gp, "    set key top") && !strstr(gp, "    set key bottom") &&
                  strstr(gp, "\nset yrange [0.1:10]\n") && strstr(gp, "    set yrange [0.1:10]\n"), "%.3000s", gp);
    free(gp);
    fake_close(&f);
}
END_TEST

/* report.points draws the chosen values only, yet the .dat keeps every point; panel_key = none: one panel. */
START_TEST(test_report_points_and_panel_key)
{
    fake f;
    char err[600], warning[300];
    unsigned char seen[4096];
    fake_open(&f, FIXTURES "/many.ini", -1);
    snprintf(f.cfg.report_points, sizeof f.cfg.report_points, "train.learning_rate=0.01, 1e-1");
    snprintf(f.cfg.report_panel_key, sizeof f.cfg.report_panel_key, "train.learning_rate");
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(dat_blocks("plots/report_many/loss_curves.dat"), 10);
    char *gp = slurp("plots/report_many/loss_curves.gp");
    ck_assert_int_eq(drawn_blocks(gp, seen), 4);
    ck_assert_msg(strstr(gp, "set title 'learning_rate=0.1'") && strstr(gp, "set title 'learning_rate=0.01'") && strstr(gp, "title 'hidden=32'") &&
                  strstr(gp, "4 of 10 points as report.points"), "%s", gp);
    free(gp);
    snprintf(f.cfg.report_points, sizeof f.cfg.report_points, "all");
    snprintf(f.cfg.report_panel_key, sizeof f.cfg.report_panel_key, "none");
    ck_assert_int_eq(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err), 0);
    gp = slurp("plots/report_many/loss_curves.gp");
    ck_assert_int_eq(drawn_blocks(gp, seen), 10);
    ck_assert_ptr_null(strstr(gp, "multiplot"));
    free(gp);
    fake_close(&f);
}
END_TEST

/* A [report] key the sweep cannot serve is one error naming the key; values in range pass. */
START_TEST(test_report_keys_checked)
{
    static const char *const bad[][2] = {
        {"report.panel_key=model.init", "runner: --set report.panel_key: model.init is not a swept key (allowed: "
                                        "auto, none, or a swept key: train.learning_rate, model.hidden)\n"},
        {"report.points=model.hidden=16,48", "runner: --set report.points: 48 is not a value of model.hidden (its "
                                             "values: 16, 32)\n"},
        {"report.points=hidden", "runner: --set report.points: hidden: expected all, or a swept key=values (a swept "
                                 "key: train.learning_rate, model.hidden)\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        config c;
        config_errors errs = {0};
        config_defaults(&c);
        ck_assert_int_eq(config_load(&c, FIXTURES "/many.ini", &errs), 0);
        ck_assert_int_eq(config_override(&c, bad[i][0], &errs), 0);
        ck_assert_int_eq(config_check_report(&c, &errs), 1);
        ck_assert_str_eq(errs.text, bad[i][1]);
        config_errors_free(&errs);
        config_free(&c);
    }
    config c;
    config_errors errs = {0};
    config_defaults(&c);
    config_load(&c, FIXTURES "/many.ini", &errs);
    config_override(&c, "report.panel_key=model.hidden", &errs);
    config_override(&c, "report.x_axis=seconds", &errs);
    ck_assert_int_eq(config_check_report(&c, &errs), 0);
    ck_assert_int_eq(config_override(&c, "report.x_axis=minutes", &errs), 1);
    config_errors_free(&errs);
    config_free(&c);
}
END_TEST

/* Every shipped config's sweep: its curve plots draw every point (fake runs of 2 epochs). */
START_TEST(test_every_config_draws_every_point)
{
    static const char *const inis[] = {"lr_sweep", "hidden_sweep", "batch_sweep", "grid", "threads", "digits"};
    for (size_t i = 0; i < sizeof inis / sizeof *inis; i++) {
        fake f;
        char err[600], warning[300], path[100];
        snprintf(path, sizeof path, "configs/%s.ini", inis[i]);
        fake_open(&f, path, -1);
        ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err,
                                   sizeof err) == 0, "%s", err);
        check_all_points(f.plots, (int)f.plan.npoints);
        if (!strcmp(inis[i], "grid")) { /* 25 bars: their labels upright, not piled up at 60 degrees */
            char gpath[400];
            snprintf(gpath, sizeof gpath, "%s/time.gp", f.plots);
            char *gp = slurp(gpath);
            ck_assert_ptr_nonnull(gp);
            ck_assert_msg(strstr(gp, "set xtics format '%g' rotate by 90 right") && strstr(gp, "size 900,760"), "%s",
                          gp);
            free(gp);
        }
        fake_close(&f);
        leave();
    }
}
END_TEST

START_TEST(test_missing_table_column)
{
    fake f;
    char err[600], warning[300];
    fake_open(&f, FIXTURES "/lr_hidden.ini", -1);
    FILE *t = create("results/report_test/table.tsv");
    fprintf(t, "point_id\tn\n");
    done(t);
    ck_assert_int_eq(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err), -1);
    ck_assert_str_eq(err, "results/report_test/table.tsv: no column 'diverged' in the header");
    unlink("results/report_test/table.tsv");
    ck_assert_int_eq(report_write(&f.cfg, &f.plan, f.results, f.plots, 0, warning, sizeof warning, err, sizeof err), -1);
    ck_assert_str_eq(err, "results/report_test/table.tsv: cannot read: No such file or directory");
    fake_close(&f);
}
END_TEST

START_TEST(test_relative_links)
{
    char out[64];
    ck_assert_int_eq(report_relative("results/x", "plots/x", out, sizeof out), 0);
    ck_assert_str_eq(out, "../../plots/x");
    ck_assert_int_eq(report_relative("./results//x/", "results/../plots/x", out, sizeof out), 0);
    ck_assert_str_eq(out, "../../plots/x");
    ck_assert_int_eq(report_relative("a/b", "a/b/c", out, sizeof out), 0);
    ck_assert_str_eq(out, "c");
    ck_assert_int_eq(report_relative("a/b", "a/b", out, sizeof out), 0);
    ck_assert_str_eq(out, ".");
    ck_assert_int_eq(report_relative("/r/a", "/p/b", out, sizeof out), 0);
    ck_assert_str_eq(out, "../../p/b");
    ck_assert_int_eq(report_relative("/r/a", "/p/b", out, 5), -1);
}
END_TEST

/* Without gnuplot on PATH the scripts are still written, with a one-line warning. */
START_TEST(test_no_gnuplot_is_a_warning)
{
    fake f;
    char err[600], warning[300];
    fake_open(&f, FIXTURES "/lr_hidden.ini", 5);
    char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", f.root, 1);
    int rc = report_write(&f.cfg, &f.plan, f.results, f.plots, 1, warning, sizeof warning, err, sizeof err);
    if (path)
        setenv("PATH", path, 1);
    free(path);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(warning, "gnuplot not found: plots not rendered (apt-get install gnuplot-nox; then make plots)");
    ck_assert_int_eq(access("plots/report_test/loss_curves.gp", R_OK), 0);
    ck_assert_int_ne(access("plots/report_test/loss_curves.png", F_OK), 0);
    fake_close(&f);
}
END_TEST

/* gnuplot_installed looks where posix_spawnp would: an executable file named gnuplot in a PATH entry, an empty
 * entry meaning the working directory. */
START_TEST(test_gnuplot_on_path)
{
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL, dir[] = "/tmp/report_path_XXXXXX", path[200];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    memcpy(temp_dir, dir, sizeof dir);
    snprintf(path, sizeof path, "/nonexistent:%s", dir);
    setenv("PATH", path, 1);
    int none = gnuplot_installed();
    snprintf(path, sizeof path, "%s/gnuplot", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0644), 0);
    int not_executable = gnuplot_installed();
    ck_assert_int_eq(chmod(path, 0755), 0);
    int executable = gnuplot_installed();
    ck_assert_int_eq(chdir(dir), 0);
    setenv("PATH", "/nonexistent:", 1);
    int empty_entry = gnuplot_installed();
    setenv("PATH", "/nonexistent", 1);
    int elsewhere = gnuplot_installed();
    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    free(saved);
    ck_assert_int_eq(none, 0);
    ck_assert_int_eq(not_executable, 0);
    ck_assert_int_eq(executable, 1);
    ck_assert_int_eq(empty_entry, 1);
    ck_assert_int_eq(elsewhere, 0);
}
END_TEST

static void check_rendered(const char *plots, const char *const *names, int n)
{
    for (int i = 0; i < 2 * n; i++) {
        char path[600];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.%s", plots, names[i / 2], i % 2 ? "svg" : "png");
        ck_assert_msg(stat(path, &st) == 0 && st.st_size > 0, "%s was not rendered", path);
    }
}

/* With gnuplot installed every script renders without an error into a non-empty PNG and SVG. */
START_TEST(test_render)
{
    fake f;
    char err[600], warning[300];
    fake_open(&f, FIXTURES "/lr_hidden.ini", 5);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 1, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    if (*warning) {
        printf("SKIP: test_render: %s; rendering not checked\n", warning);
        fflush(stdout);
        fake_close(&f);
        return;
    }
    static const char *const names[] = {"loss_curves", "acc_curves", "loss_time", "acc_vs_lr", "heatmap", "time"};
    check_rendered(f.plots, names, 6);
    fake_close(&f);
    leave();
    fake_open(&f, FIXTURES "/threads.ini", 3);
    ck_assert_msg(report_write(&f.cfg, &f.plan, f.results, f.plots, 1, warning, sizeof warning, err, sizeof err) == 0,
                  "%s", err);
    static const char *const tnames[] = {"loss_curves", "time", "speedup"};
    check_rendered(f.plots, tnames, 3);
    /* a folder where an image goes: gnuplot fails, and its error line comes back */
    ck_assert_int_eq(unlink("plots/report_threads/loss_curves.png"), 0);
    ck_assert_int_eq(mkdir("plots/report_threads/loss_curves.png", 0777), 0);
    ck_assert_int_eq(report_write(&f.cfg, &f.plan, f.results, f.plots, 1, warning, sizeof warning, err, sizeof err), -1);
    const char *want = "plots/report_threads/loss_curves.gp: gnuplot exited with status 1: line ";
    ck_assert_msg(!strncmp(err, want, strlen(want)) &&
                  strstr(err, ": cannot open file; output not changed (its output is in "
                              "plots/report_threads/loss_curves.log)"), "%s", err);
    fake_close(&f);
}
END_TEST

/* Writes text into dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A render's stamp: current once marked, and no more when the script's or the data's text changes (again when it is
 * back as it was), when an image is written again (its time), emptied, missing or a folder, or without the stamp;
 * a stamp holds the texts as they were before the render, and unmarking removes the images too. */
START_TEST(test_render_stamp)
{
    char dir[] = "/tmp/stamp_XXXXXX", path[600], sums[GNUPLOT_SUMS];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    put(dir, "p.gp", "plot 1\n");
    put(dir, "p.dat", "1 2\n");
    put(dir, "p.png", "png");
    put(dir, "p.svg", "svg");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0); /* no stamp */
    gnuplot_mark_drawn(dir, "p", sums);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 1);
    put(dir, "p.gp", "plot 2\n");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    put(dir, "p.gp", "plot 1\n");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 1);
    put(dir, "p.dat", "1 3\n");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    /* the data rewritten while gnuplot drew: the stamp keeps the sums taken before */
    char before[GNUPLOT_SUMS];
    memcpy(before, sums, sizeof before);
    put(dir, "p.dat", "1 2\n");
    gnuplot_mark_drawn(dir, "p", before);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    put(dir, "p.dat", "1 3\n");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 1);
    snprintf(path, sizeof path, "%s/p.png", dir);
    struct timespec later[2] = {{0, UTIME_OMIT}, {4102444800, 0}}; /* 2100: a clock ahead, or a copy */
    ck_assert_int_eq(utimensat(AT_FDCWD, path, later, 0), 0);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    gnuplot_mark_drawn(dir, "p", sums);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 1);
    put(dir, "p.svg", "");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    snprintf(path, sizeof path, "%s/p.svg", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    ck_assert_int_eq(rmdir(path), 0);
    put(dir, "p.svg", "svg");
    gnuplot_current(dir, "p", sums);
    gnuplot_mark_drawn(dir, "p", sums);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 1);
    /* a FIFO in the stamp's place is not read (a blocking open would hang here) */
    snprintf(path, sizeof path, "%s/p.drawn", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mkfifo(path, 0666), 0);
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    ck_assert_int_eq(unlink(path), 0);
    gnuplot_mark_drawn(dir, "p", sums);
    gnuplot_unmark(dir, "p");
    ck_assert_int_eq(gnuplot_current(dir, "p", sums), 0);
    snprintf(path, sizeof path, "%s/p.png", dir);
    ck_assert_msg(access(path, F_OK) != 0, "unmarking left the image");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, enter, leave);
    tcase_add_test(tc, test_report_matches_golden);
    tcase_add_test(tc, test_key_place);
    tcase_add_test(tc, test_summary_panels);
    tcase_add_test(tc, test_seeds_note);
    tcase_add_test(tc, test_curve_aggregates_by_hand);
    tcase_add_test(tc, test_validation_accuracy_curves);
    tcase_add_test(tc, test_speedup);
    tcase_add_test(tc, test_speedup_capped);
    tcase_add_test(tc, test_acc_vs_lr_many_series);
    tcase_add_test(tc, test_per_class_results);
    tcase_add_test(tc, test_many_points_are_grouped);
    tcase_add_test(tc, test_report_points_and_panel_key);
    tcase_add_test(tc, test_report_keys_checked);
    tcase_add_test(tc, test_every_config_draws_every_point);
    tcase_add_test(tc, test_missing_table_column);
    tcase_add_test(tc, test_relative_links);
    tcase_add_test(tc, test_no_gnuplot_is_a_warning);
    tcase_add_test(tc, test_gnuplot_on_path);
    tcase_add_test(tc, test_render_stamp);
    suite_add_tcase(s, tc);
    TCase *render = tcase_create("render");
    tcase_add_checked_fixture(render, enter, leave);
    tcase_set_timeout(render, 60); /* gnuplot draws 14 images */
    tcase_add_test(render, test_render);
    suite_add_tcase(s, render);
    return s;
}
