/* The display reads the runs in flight through their _Atomic progress counters, which workers publish with
 * release stores. */
#include "progress.h"
#include "plural.h"
#include "timing.h"
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void progress_init(progress *pr, int quiet, long total, double epochs_total)
{
    *pr = (progress){.tty = isatty(2), .quiet = quiet, .total = total, .epochs_total = epochs_total,
                     .start = timing_now(), .every = PROGRESS_EVERY};
}

/* Called before the job is handed to a worker: at_epoch is still the one train_prepare or a checkpoint set. */
void progress_started(progress *pr, const char *id, const train_job *job)
{
    int i = pr->nair++;
    pr->air[i] = job;
    pr->ids[i] = id;
    pr->began[i] = pr->said[i] = timing_now();
    pr->from[i] = job->at_epoch > 0 ? job->at_epoch - 1 : 0;
}

void progress_landed(progress *pr, const train_job *job)
{
    for (int i = 0; i < pr->nair; i++)
        if (pr->air[i] == job) {
            pr->nair--;
            pr->air[i] = pr->air[pr->nair];
            pr->ids[i] = pr->ids[pr->nair];
            pr->began[i] = pr->began[pr->nair];
            pr->said[i] = pr->said[pr->nair];
            pr->from[i] = pr->from[pr->nair];
        }
}

/* Off a terminal: a line for each run in flight whose last one is pr->every seconds old. */
static void show_lines(progress *pr)
{
    double now = timing_now();
    for (int i = 0; i < pr->nair; i++) {
        if (now - pr->said[i] < pr->every)
            continue;
        const train_job *j = pr->air[i];
        int epoch = atomic_load_explicit(&j->progress_epoch, memory_order_acquire);
        int eval = atomic_load_explicit(&j->progress_eval, memory_order_acquire);
        double rate = epoch > pr->from[i] ? (now - pr->began[i]) / (epoch - pr->from[i]) : 0;
        fprintf(stderr, "[%ld/%ld] %s: epoch %d/%lld, train loss %.4f, ETA %.0f s\n", pr->done, pr->total, pr->ids[i],
                epoch, j->cfg.epochs, j->curve[eval].train_loss, rate * (double)(j->cfg.epochs - epoch));
        pr->said[i] = now;
    }
}

void progress_show(progress *pr)
{
    if (pr->quiet)
        return;
    if (!pr->tty) {
        show_lines(pr);
        return;
    }
    double epochs = pr->epochs_done;
    for (int i = 0; i < pr->nair; i++)
        epochs += atomic_load_explicit(&pr->air[i]->progress_epoch, memory_order_acquire);
    double elapsed = timing_now() - pr->start, eta = epochs > 0 ? elapsed * (pr->epochs_total - epochs) / epochs : 0;
    if (pr->nair) {
        /* the worker writes a curve row before it publishes progress_eval, so that row is complete */
        const train_job *j = pr->air[0];
        int epoch = atomic_load_explicit(&j->progress_epoch, memory_order_acquire);
        int eval = atomic_load_explicit(&j->progress_eval, memory_order_acquire);
        fprintf(stderr, "\r\033[K[%ld/%ld] %s epoch %d/%lld train loss %.4f  elapsed %.0fs  ETA %.0fs", pr->done,
                pr->total, pr->ids[0], epoch, j->cfg.epochs, j->curve[eval].train_loss, elapsed, eta);
    }
    fflush(stderr);
}

/* On a terminal only diverged runs keep a line. */
void progress_committed(progress *pr, const char *id, const train_job *job)
{
    pr->done++;
    pr->epochs_done += (double)job->cfg.epochs;
    const train_epoch *e = &job->curve[job->epochs_done];
    if (pr->quiet || (pr->tty && job->status != TRAIN_DIVERGED))
        return;
    if (pr->tty)
        fprintf(stderr, "\r\033[K");
    if (job->status == TRAIN_DIVERGED)
        fprintf(stderr, "[%ld/%ld] %s: DIVERGED at epoch %d (last finite epoch %d: test_acc %.4f)\n", pr->done,
                pr->total, id, job->diverged_epoch, job->epochs_done, e->test_acc);
    else
        fprintf(stderr, "[%ld/%ld] %s: ok, test_acc %.4f, test_loss %.4f, %d epoch%s in %.2f s\n", pr->done,
                pr->total, id, e->test_acc, e->test_loss, job->epochs_done, plural(job->epochs_done),
                job->train_seconds);
}

void progress_end(const progress *pr, const char *name, long diverged, const char *dir)
{
    if (pr->tty && !pr->quiet)
        fprintf(stderr, "\r\033[K");
    if (!pr->quiet)
        fprintf(stderr, "%s: %ld run%s trained (%ld diverged) in %.1f s; results in %s\n", name, pr->done,
                plural(pr->done), diverged, timing_now() - pr->start, dir);
}
