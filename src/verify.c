/* Verification reads the runs folder in directory order and names each damaged run with the store's reason. */
#include "verify.h"
#include "store.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int verify_experiment(const char *root, const char *name, char *report, size_t len, int *damaged)
{
    char runs[STORE_PATH + 16];
    snprintf(runs, sizeof runs, "%s/%s/runs", root, name);
    DIR *d = opendir(runs);
    *damaged = 0;
    if (!d) {
        snprintf(report, len, "%s: cannot open: %s", runs, strerror(errno));
        return -1;
    }
    char dir[STORE_PATH];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    size_t used = 0;
    int total = 0;
    struct dirent *e;
    report[0] = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .. and temporary folders, which are never runs */
        char why[300];
        total++;
        if (store_read_run(dir, e->d_name, NULL, why, sizeof why) < 0) {
            (*damaged)++;
            used += (size_t)snprintf(report + used, used < len ? len - used : 0, "%s/%s: damaged: %s\n", runs,
                                     e->d_name, why);
        }
    }
    closedir(d);
    snprintf(report + used, used < len ? len - used : 0, "%s: %d runs, %d intact, %d damaged%s\n", dir, total,
             total - *damaged, *damaged, *damaged ? " (run the config again to retrain them)" : "");
    return 0;
}
