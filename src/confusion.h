/* confusion.tsv, a run's test confusion matrix, and its one reader and writer: a header "true name 0 1 ... K-1"
 * (the predicted classes), then one row per true class k: "k name count_0 ... count_K-1", tab-separated; name is
 * the class's name from the data file, or k. */
#ifndef CONFUSION_H
#define CONFUSION_H
#include <stddef.h>
#include <stdio.h>

typedef struct confusion {
    int k;              /* classes */
    long *count;        /* (k, k): rows true class, columns predicted */
    char **name;        /* (k) class names */
} confusion;

/* Writes the K x K matrix m (rows true class) with the class names (NULL: the class numbers). 0, or -1. */
int confusion_write(FILE *f, const int *m, int K, char *const *names);
/* Reads path. 0 with c filled (confusion_free), or -1 with "path[:line]: why" in err. */
int confusion_load(const char *path, confusion *c, char *err, size_t len);
/* Adds b's counts to a (same classes). 0, or -1 when the classes differ. */
int confusion_add(confusion *a, const confusion *b);
void confusion_free(confusion *c);
/* True class i's test rows (returned) and, in *worst, the class it is most often predicted as instead (the lowest on
 * ties; -1 when never wrong). */
long confusion_row(const confusion *c, int i, int *worst);

#endif
