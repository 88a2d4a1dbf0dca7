/*
 * pool.c - the fork-join thread pool of pool.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/pool.h"
#include "core/util.h"

/* The shared state of one dpi_pool_run() call. */
typedef struct pool_run {
    dpi_pool_fn fn;
    void *arg;
    size_t njobs;
    atomic_size_t next; /* next job to hand out */
} pool_run;

/* One worker's handle on the run. */
typedef struct pool_worker {
    pool_run *run;
    unsigned id;
} pool_worker;

/* Test hook: creations left before pthread_create "fails"; -1 = off. */
static unsigned test_creations_left = (unsigned)-1;

void dpi_pool_test_fail_after(unsigned n)
{
    test_creations_left = n;
}

unsigned dpi_pool_threads(unsigned asked)
{
    long n;
    if (asked)
        return DP_MIN(asked, DP_POOL_MAX_THREADS);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)DP_MIN((unsigned long)n, DP_POOL_MAX_THREADS) : 1;
}

static void work(pool_run *r, unsigned id)
{
    size_t j;
    while ((j = atomic_fetch_add(&r->next, 1)) < r->njobs)
        r->fn(r->arg, id, j);
}

static void *worker_main(void *p)
{
    pool_worker *w = p;
    work(w->run, w->id);
    return NULL;
}

static int spawn(pthread_t *tid, pool_worker *w)
{
    if (test_creations_left != (unsigned)-1) {
        if (test_creations_left == 0)
            return -1;
        test_creations_left--;
    }
    return pthread_create(tid, NULL, worker_main, w) == 0 ? 0 : -1;
}

unsigned dpi_pool_run(unsigned threads, dpi_pool_fn fn, void *arg, size_t njobs)
{
    pthread_t tid[DP_POOL_MAX_THREADS];
    pool_worker w[DP_POOL_MAX_THREADS];
    pool_run r;
    unsigned t, started = 0;

    if (njobs == 0)
        return 1;
    threads = DP_MIN(DP_MAX(threads, 1u), DP_POOL_MAX_THREADS);
    if (threads > njobs)
        threads = (unsigned)njobs;
    r.fn = fn;
    r.arg = arg;
    r.njobs = njobs;
    atomic_init(&r.next, 0);
    /* Workers are numbered densely in the order they started, so a
     * failed creation leaves no gap in the worker ids. */
    for (t = 1; t < threads; t++) {
        w[started + 1].run = &r;
        w[started + 1].id = started + 1;
        if (spawn(&tid[started + 1], &w[started + 1]) != 0)
            break;
        started++;
    }
    work(&r, 0);
    for (t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    return started + 1;
}
