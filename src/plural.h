/* The plural ending of a count in messages: "1 run", "0 runs", "2 runs". */
#ifndef PLURAL_H
#define PLURAL_H

static inline const char *plural(long long n) { return n == 1 ? "" : "s"; }

#endif
