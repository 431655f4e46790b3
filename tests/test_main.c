/* Runs every Check suite; the exit status is non-zero when any check failed. Run with CK_FORK=no: the
 * suites use OpenMP, and libgomp can hang in a child forked after the parent used it. */
#include "tests.h"
#include <stdlib.h>

int main(void)
{
    SRunner *sr = srunner_create(mlp_suite());
    srunner_add_suite(sr, mlp_kernels_suite());
    srunner_add_suite(sr, train_suite());
    srunner_add_suite(sr, config_suite());
    srunner_add_suite(sr, data_suite());
    srunner_add_suite(sr, report_suite());
    srunner_add_suite(sr, results_suite());
    srunner_add_suite(sr, schedule_suite());
    srunner_add_suite(sr, formats_suite());
    srunner_add_suite(sr, runckpt_suite());
    srunner_add_suite(sr, study_suite());
    srunner_add_suite(sr, fused_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
