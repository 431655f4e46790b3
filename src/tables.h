/* The tables of an experiment, rebuilt from its committed runs: summary.tsv (one row per run), table.tsv (one row
 * per sweep point, aggregated over seeds) and results.h5 (both tables as compound datasets, and every curve). */
#ifndef TABLES_H
#define TABLES_H
#include <stddef.h>
#include "sweep.h"

/* Column names of table.tsv after point_id and the swept keys. */
extern const char tables_header[];

/* Rebuilds dir/summary.tsv, dir/table.tsv and dir/results.h5 from the committed runs of p (store_read_run), in
 * plan order. 0, or -1 with err. */
int tables_write(const char *dir, const sweep_plan *p, char *err, size_t len);

#endif
