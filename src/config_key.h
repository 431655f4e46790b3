/* Inside the config module only: the key table's entry, and the helpers its three files share (config.c: the
 * table and a config's lifecycle; config_value.c: text <-> typed values; config_load.c: INI files, --set and
 * [sweep] lists). Not for other modules: they use config.h. */
#ifndef CONFIG_KEY_H
#define CONFIG_KEY_H
#include "config.h"
#include <stddef.h>

/* How a key's text becomes its value; config_value.c has one setter, formatter and range text per type. */
typedef enum {
    T_NAME,      /* char[size]: letters, digits, '_' and '-' */
    T_STRING,    /* char[size]: any writable text, not empty */
    T_OPTSTRING, /* char[size]: any writable text, or nothing */
    T_INT,       /* int or long long (size says which) from min to max */
    T_AUTOINT,   /* int: "auto" (stored as 0) or an integer from min to max */
    T_REAL,      /* double from min to max (MIN_OPEN, MAX_OPEN exclude a bound) */
    T_BOOL,      /* int: 1 or 0 */
    T_CHOICE,    /* int: index into choices */
    T_LAYERS,    /* int[size / sizeof(int)], count at count: widths from min to max joined by '-' */
    T_SEEDS,     /* long long[size / sizeof(long long)], count at count: different seeds joined by ',' */
    T_NTYPES
} config_type;

enum {
    MIN_OPEN = 1,     /* the lower bound itself is not allowed */
    MAX_OPEN = 2,     /* the upper bound itself is not allowed */
    NO_EFFECT = 4,    /* does not change a run's numbers (threads, scheduling) */
    NO_SWEEP = 8,     /* may not appear in [sweep] */
    LATER_KEY = 16    /* added after results were first written: their identity leaves it out at its default,
                         so experiments written before it existed still resume */
};

typedef struct config_key {
    const char *section, *name;
    config_type type;
    size_t offset, size;    /* where the value lives in a config, and its storage size in bytes */
    size_t count;           /* T_LAYERS, T_SEEDS: offset of the int holding the number of items */
    const char *def;
    double min, max;
    int flags;
    const char *choices;    /* T_CHOICE: "a|b|c", the index is the stored value */
    const char *help;
} config_key;

extern const config_key config_keys[];

/* Key index of section/name, or -1. */
int config_key_index(const char *section, const char *name);

/* What key KEY allows, for messages and --help: "an integer from 1 to 10000000". */
void config_allowed(int key, char *buf, size_t len);

/* Whole-text integer / finite number, blanks allowed around it: returns 0 and sets *out, or -1 with the reason. */
int config_parse_ll(const char *s, long long *out, const char **why);
int config_parse_real(const char *s, double *out, const char **why);
/* Shortest %g text that reads back as exactly v (no exponent where plain digits read better). */
void config_format_real(double v, char *buf, size_t len);

/* The one list splitter, for every list-valued text (seeds, hidden widths, [sweep] lists): puts the next item
 * of the list joined by sep in *item and *len (blanks at either end dropped when trim) and returns 1, or returns
 * 0 once the last item was taken. Start with *cursor at the text: "" is one empty item, "a," is "a" then "". */
int config_next_item(const char **cursor, char sep, int trim, const char **item, size_t *len);

#endif
