/* --verify: checks every run that an experiment's plan (plan.txt) expects with the store's definition of a
 * committed run, so a missing run counts as much as a damaged one. */
#ifndef VERIFY_H
#define VERIFY_H
#include <stddef.h>
#include <stdio.h>

/* Checks every run of the plan of <root>/<name>: one line per missing, damaged or unreadable run goes to lines as
 * it is found (nothing is held back), then a closing count to lines when there was a problem, else to ok.
 * 0 (with *bad set to the runs that are not committed), or -1 with err when the plan cannot be read. */
int verify_experiment(const char *root, const char *name, FILE *lines, FILE *ok, long *bad, char *err, size_t len);

#endif
