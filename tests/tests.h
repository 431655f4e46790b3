/* The Check suites of the project and small helpers they share. */
#ifndef TESTS_H
#define TESTS_H
#include <check.h>

Suite *mlp_suite(void);
Suite *mlp_kernels_suite(void);
Suite *train_suite(void);
Suite *config_suite(void);
Suite *data_suite(void);
Suite *report_suite(void);
Suite *results_suite(void);
Suite *schedule_suite(void);
Suite *formats_suite(void);
Suite *runckpt_suite(void);
Suite *study_suite(void);
Suite *fused_suite(void);

#endif
