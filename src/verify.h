/* --verify: checks every run folder of an experiment with the store's definition of a committed run. */
#ifndef VERIFY_H
#define VERIFY_H
#include <stddef.h>

/* Checks every run under <root>/<name>/runs; report gets one line per damaged run and a closing count.
 * 0 (with *damaged set), or -1 when the experiment cannot be read. */
int verify_experiment(const char *root, const char *name, char *report, size_t len, int *damaged);

#endif
