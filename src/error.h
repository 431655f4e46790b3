/* Classes of failure. A module that can fail in more than one way returns the class of what it met (and fills a
 * one-line message); only main.c maps classes to exit codes. Nobody decides by searching an error's text. */
#ifndef ERROR_H
#define ERROR_H

typedef enum {
    ERROR_NONE = 0,  /* success */
    ERROR_USAGE,     /* the command line or the config: the user's choice to make (exit 2) */
    ERROR_DATA,      /* the data or a checkpoint to start from (exit 3) */
    ERROR_OUTPUT     /* writing or reading results, plots, reports (exit 4) */
} error_class;

#endif
