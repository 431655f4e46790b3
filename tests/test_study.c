/* The study's numbers: the noise-scale estimators against an independent NumPy computation with per-sample
 * gradients (tests/reference/noise_scale.py -> tests/fixtures/noise_scale.txt), the best learning rate per batch
 * size, the S/E fit recovering known S_min and E_min, and stats.c's median and summary. */
#include "tests.h"
#include "fileio.h"
#include "mlp.h"
#include "noise.h"
#include "stats.h"
#include "study.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The numbers of "name = ..." in the fixture text into v (at most max); their count. */
static int fixture(const char *text, const char *name, double *v, int max)
{
    size_t n = strlen(name);
    const char *s = text;
    while ((s = strstr(s, name)) && !((s == text || s[-1] == '\n') && !strncmp(s + n, " = ", 3)))
        s++;
    ck_assert_msg(s != NULL, "tests/fixtures/noise_scale.txt has no %s", name);
    s += n + 3;
    int k = 0;
    for (char *end; k < max && *s != '\n'; s = end) {
        v[k] = strtod(s, &end);
        if (end == s)
            break;
        k++;
    }
    return k;
}

START_TEST(test_noise_scale_matches_numpy)
{
    char *text = fileio_read("tests/fixtures/noise_scale.txt");
    ck_assert_ptr_nonnull(text);
    double p[64], x[64], y[16], b[1], want[5];
    static const char *const names[] = {"small_sq", "big_sq", "g2", "trace", "b_simple"};
    int np = fixture(text, "params", p, 64), nx = fixture(text, "x", x, 64), ny = fixture(text, "y", y, 16);
    fixture(text, "batch", b, 1);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(fixture(text, names[i], &want[i], 1), 1);
    free(text);
    int hidden = 4, labels[16];
    float xf[64];
    mlp net;
    ck_assert_int_eq(mlp_init(&net, 3, &hidden, 1, 3, MLP_SIGMOID, MLP_OUT_SOFTMAX, 256), 0);
    ck_assert_int_eq((int)net.nparams, np);
    ck_assert_int_eq(nx, 3 * ny);
    for (int i = 0; i < np; i++)
        net.params[i] = (float)p[i];
    for (int i = 0; i < nx; i++)
        xf[i] = (float)x[i];
    for (int i = 0; i < ny; i++)
        labels[i] = (int)y[i];
    /* the estimators themselves, in double: NumPy's numbers exactly */
    double g2, trace, bs = noise_b_simple(want[0], want[1], b[0], ny, &g2, &trace);
    ck_assert_double_eq_tol(g2, want[2], 1e-12);
    ck_assert_double_eq_tol(trace, want[3], 1e-12);
    ck_assert_double_eq_tol(bs, want[4], 1e-12);
    /* the measurement in float32 kernels: B_simple within float precision, and grads and weights as they were */
    float params[64], grads[64];
    for (int i = 0; i < np; i++)
        net.grads[i] = (float)i / 7;
    memcpy(params, net.params, (size_t)np * sizeof(float));
    memcpy(grads, net.grads, (size_t)np * sizeof(float));
    noise ns;
    ck_assert_int_eq(noise_init(&ns, net.nparams), 0);
    double got = noise_measure(&ns, &net, xf, labels, ny, (int)b[0]);
    ck_assert_msg(fabs(got - want[4]) < 1e-4 * want[4], "B_simple %.9g, NumPy %.9g", got, want[4]);
    ck_assert(memcmp(params, net.params, (size_t)np * sizeof(float)) == 0);
    ck_assert(memcmp(grads, net.grads, (size_t)np * sizeof(float)) == 0);
    /* fewer than two batches: no estimate */
    ck_assert(isnan(noise_measure(&ns, &net, xf, labels, 5, 3)));
    ck_assert(isnan(noise_b_simple(1, 1, 4, 4, &g2, &trace)));
    noise_free(&ns);
    mlp_free(&net);
}
END_TEST

START_TEST(test_best_lr_per_batch)
{
    const double lr[] = {0.1, 0.3, 1, 3, 10};
    const double steps[] = {900, 400, 250, 250, NAN};
    ck_assert_int_eq(study_best_lr(lr, steps, 5), 2); /* fewest steps, ties to the smaller learning rate */
    const double steps2[] = {900, 400, 260, 250, 240};
    ck_assert_int_eq(study_best_lr(lr, steps2, 5), 4);
    const double lr3[] = {3, 1};
    const double steps3[] = {100, 100};
    ck_assert_int_eq(study_best_lr(lr3, steps3, 2), 1); /* order does not matter */
    const double none[] = {NAN, NAN};
    ck_assert_int_eq(study_best_lr(lr3, none, 2), -1);
}
END_TEST

START_TEST(test_fit_recovers_smin_emin)
{
    /* points on S = S_min + E_min / B exactly */
    const double s_min = 120, e_min = 4000;
    double B[8], S[8];
    for (int i = 0; i < 8; i++) {
        B[i] = 4 << i;
        S[i] = s_min + e_min / B[i];
    }
    study_fit f;
    ck_assert_int_eq(study_fit_steps(B, S, 8, &f), 0);
    ck_assert_msg(fabs(f.s_min / s_min - 1) < 1e-6 && fabs(f.e_min / e_min - 1) < 1e-6, "S_min %g, E_min %g",
                  f.s_min, f.e_min);
    ck_assert_double_eq_tol(f.b_crit, e_min / s_min, 1e-4);
    ck_assert(f.rms < 1e-6 && f.b_err < 1 + 1e-6);
    /* the points satisfy McCandlish's (S/S_min - 1)(E/E_min - 1) = 1 with E = B S */
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq_tol((S[i] / f.s_min - 1) * (B[i] * S[i] / f.e_min - 1), 1, 1e-5);
    /* noisy points (+-10 % alternately): near, with an error factor above 1 */
    for (int i = 0; i < 8; i++)
        S[i] *= i % 2 ? 1.1 : 1 / 1.1;
    ck_assert_int_eq(study_fit_steps(B, S, 8, &f), 0);
    ck_assert(fabs(log(f.s_min / s_min)) < 0.15 && fabs(log(f.e_min / e_min)) < 0.3);
    ck_assert(f.b_err > 1 && isfinite(f.b_err));
    /* two points: a fit without errors; one: none */
    ck_assert_int_eq(study_fit_steps(B, S, 2, &f), 0);
    ck_assert(isnan(f.b_err));
    ck_assert_int_eq(study_fit_steps(B, S, 1, &f), -1);
}
END_TEST

/* stats.c: the median of the finite values (odd, even, none) and the summary of a point's seeds. */
START_TEST(test_stats_median_and_summary)
{
    double odd[] = {3, NAN, 1, INFINITY, 2}, even[] = {4, 1, -INFINITY, 3, 2}, none[] = {NAN, INFINITY};
    ck_assert_double_eq(stats_median(odd, 5), 2);
    ck_assert_double_eq(stats_median(even, 5), 2.5);
    ck_assert(isnan(stats_median(none, 2)));
    double v[] = {1, 2, 3, 6}, out[4];
    stats_summary(v, 4, out);
    ck_assert_double_eq(out[0], 3);
    ck_assert_double_eq_tol(out[1], sqrt(14.0 / 3), 1e-12);
    ck_assert_double_eq(out[2], 1);
    ck_assert_double_eq(out[3], 6);
    stats_summary(v, 1, out);
    ck_assert(isnan(out[1])); /* one value has no spread to measure */
    char buf[64];
    ck_assert_str_eq(stats_pm(buf, sizeof buf, 97.5, out[1], 2, "±"), "97.50");
    ck_assert_str_eq(stats_pm(buf, sizeof buf, 97.5, 0.4, 2, "±"), "97.50 ± 0.40");
    /* counts and their medians: in full past %g's 6 digits, halves kept */
    ck_assert_str_eq(stats_count(buf, sizeof buf, 1234567), "1234567");
    ck_assert_str_eq(stats_count(buf, sizeof buf, 25.5), "25.5");
    ck_assert_str_eq(stats_count(buf, sizeof buf, 12345678901.5), "12345678901.5");
    ck_assert_str_eq(stats_count(buf, sizeof buf, 0.25), "0.25");
}
END_TEST

Suite *study_suite(void)
{
    Suite *s = suite_create("study");
    TCase *tc = tcase_create("study");
    tcase_add_test(tc, test_noise_scale_matches_numpy);
    tcase_add_test(tc, test_best_lr_per_batch);
    tcase_add_test(tc, test_fit_recovers_smin_emin);
    tcase_add_test(tc, test_stats_median_and_summary);
    suite_add_tcase(s, tc);
    return s;
}
