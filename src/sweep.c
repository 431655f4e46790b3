/* Sweep expansion: mixed-radix decoding of a point index, first swept key slowest. */
#include "sweep.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sweep_value_index(const sweep_plan *p, long pt, int i)
{
    const config *c = p->base;
    long stride = 1;
    for (int j = c->nsweep - 1; j > i; j--)
        stride *= c->sweep[j].nvalues;
    return (int)(pt / stride % c->sweep[i].nvalues);
}

/* Appends "name=value" with characters that do not belong in a file name replaced by '-'. */
static size_t append_part(char *id, size_t used, size_t len, const char *name, const char *value)
{
    int n = snprintf(id + used, used < len ? len - used : 0, "%s%s=", used ? "_" : "", name);
    used += (size_t)(n > 0 ? n : 0);
    for (const char *v = value; *v && used + 1 < len; v++) {
        char ch = *v;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                 ch == '-' || ch == '+';
        id[used++] = ok ? ch : '-';
    }
    if (used < len)
        id[used] = 0;
    return used;
}

void sweep_point_id(const sweep_plan *p, long pt, char *id, size_t idlen)
{
    const config *c = p->base;
    size_t used = 0;
    id[0] = 0;
    for (int i = 0; i < c->nsweep; i++)
        used = append_part(id, used, idlen, config_key_name(c->sweep[i].key),
                           c->sweep[i].values[sweep_value_index(p, pt, i)]);
    if (!c->nsweep)
        snprintf(id, idlen, "all");
}

long sweep_point(const sweep_plan *p, long r) { return r / p->base->nseeds; }

void sweep_run(const sweep_plan *p, long r, config *out, long long *seed, char *id, size_t idlen)
{
    const config *c = p->base;
    long pt = sweep_point(p, r);
    *out = *c;
    out->sweep = NULL;
    out->nsweep = 0;
    out->swept = 0;
    char why[300];
    size_t used = 0;
    id[0] = 0;
    for (int i = 0; i < c->nsweep; i++) {
        const char *v = c->sweep[i].values[sweep_value_index(p, pt, i)];
        config_set(out, c->sweep[i].key, v, why, sizeof why); /* validated when the sweep was read */
        out->key_line[c->sweep[i].key] = c->sweep[i].line; /* messages about the value name the sweep */
        out->swept |= 1ull << c->sweep[i].key;
        used = append_part(id, used, idlen, config_key_name(c->sweep[i].key), v);
    }
    *seed = c->seeds[r % c->nseeds];
    snprintf(id + used, used < idlen ? idlen - used : 0, "%sseed=%lld", used ? "_" : "", *seed);
}

int sweep_plan_init(sweep_plan *p, const config *base, long max_runs, char *err, size_t len)
{
    p->base = base;
    long n = 1;
    for (int i = 0; i < base->nsweep; i++) {
        if (n > max_runs / base->sweep[i].nvalues) {
            double points = 1; /* the whole product, which may not fit a long: only to be printed */
            for (int j = 0; j < base->nsweep; j++)
                points *= base->sweep[j].nvalues;
            snprintf(err, len, "%s: the sweep has %.15g points x %d seeds, more than %ld runs (raise --max-runs to "
                     "allow it)", base->path, points, base->nseeds, max_runs);
            return -1;
        }
        n *= base->sweep[i].nvalues;
    }
    p->npoints = n;
    if (n > max_runs / base->nseeds) {
        snprintf(err, len, "%s: the sweep has %ld points x %d seeds, more than %ld runs (raise --max-runs to allow it)",
                 base->path, n, base->nseeds, max_runs);
        return -1;
    }
    p->nruns = n * base->nseeds;
    /* ids must be unique: a sanitised value could collide with another */
    char (*ids)[SWEEP_ID] = malloc((size_t)p->npoints * SWEEP_ID);
    if (!ids) {
        snprintf(err, len, "out of memory planning %ld sweep points", p->npoints);
        return -1;
    }
    /* the longest "_seed=N" that sweep_run appends */
    size_t seed_width = 0;
    for (int s = 0; s < base->nseeds; s++) {
        char part[48];
        int w = snprintf(part, sizeof part, "%sseed=%lld", base->nsweep ? "_" : "", base->seeds[s]);
        seed_width = (size_t)w > seed_width ? (size_t)w : seed_width;
    }
    int rc = 0;
    for (long i = 0; i < p->npoints && rc == 0; i++) {
        /* long enough for every swept key's "_name=value": ids are measured here, never cut */
        char full[CONFIG_MAX_SWEEP * (CONFIG_VALUE + 40)];
        sweep_point_id(p, i, full, sizeof full);
        size_t idlen = (base->nsweep ? strlen(full) : 0) + seed_width;
        if (idlen > SWEEP_ID_MAX) {
            int longest = 0; /* the swept key with the longest value at this point: the first to shorten */
            for (int k = 1; k < base->nsweep; k++)
                if (strlen(base->sweep[k].values[sweep_value_index(p, i, k)]) >
                    strlen(base->sweep[longest].values[sweep_value_index(p, i, longest)]))
                    longest = k;
            char origin[CONFIG_PATH + 64];
            config_sweep_origin(base, base->sweep[longest].key, origin, sizeof origin);
            snprintf(err, len, "%s: run id '%.60s...' is %zu characters long, more than %d (it names a folder: "
                     "shorten the swept values or sweep fewer keys)", origin, full, idlen, SWEEP_ID_MAX);
            rc = -1;
            break;
        }
        config run;
        long long seed;
        char id[SWEEP_ID];
        sweep_run(p, i * base->nseeds, &run, &seed, id, sizeof id);
        char at[sizeof full + 20] = "";
        if (base->nsweep)
            snprintf(at, sizeof at, " at sweep point %s", full);
        if (config_check_run(base, &run, at, err, len) < 0) {
            rc = -1;
            break;
        }
        snprintf(ids[i], SWEEP_ID, "%s", full);
        for (long j = 0; j < i; j++)
            if (!strcmp(ids[i], ids[j])) {
                /* the first key whose values differ between the two points: they differ only in characters a
                 * folder name replaces ('_' and '=' among them, so no two keys' parts can run together) */
                int k = 0;
                while (k + 1 < base->nsweep && sweep_value_index(p, i, k) == sweep_value_index(p, j, k))
                    k++;
                char origin[CONFIG_PATH + 64];
                config_sweep_origin(base, base->sweep[k].key, origin, sizeof origin);
                snprintf(err, len, "%s: '%s' and '%s' give the same run id '%s' (make the values differ in letters "
                         "or digits)", origin, base->sweep[k].values[sweep_value_index(p, j, k)],
                         base->sweep[k].values[sweep_value_index(p, i, k)], ids[i]);
                rc = -1;
                break;
            }
    }
    free(ids);
    return rc;
}
