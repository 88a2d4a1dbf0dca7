/*
 * pool.h - the library's one way to spread work over threads.
 *
 * dpi_pool_run() is a fork-join pool: it hands the jobs 0..njobs-1 to up
 * to `threads` threads, the caller's thread being one of them, and returns
 * when every job has run. Jobs are taken from a shared atomic counter, so
 * a thread that could not be created simply leaves its share to the
 * others and, in the worst case, the caller runs every job itself: work
 * is never lost and the results (written by each job into its own slots)
 * are the same for any number of threads that actually started.
 *
 * Each job is told which worker runs it (0 is the caller, 1.. the threads
 * that started), so a caller can give every worker its own scratch (a
 * dp_work, a buffer) indexed by that number without locks.
 *
 * Threads are created per call and joined before it returns; there is no
 * hidden global pool and no thread-local state. A call costs one
 * pthread_create per extra worker (~10-20 us), which is why callers batch
 * documents (dedup and the index sign whole batches per call).
 */
#ifndef DP_CORE_POOL_H
#define DP_CORE_POOL_H

#include <stddef.h>

/* Most workers one call uses (the caller included). */
#define DP_POOL_MAX_THREADS 256u

/* One job: @arg as given to dpi_pool_run(), @worker in [0, threads), @job
 * in [0, njobs). */
typedef void (*dpi_pool_fn)(void *arg, unsigned worker, size_t job);

/*
 * dpi_pool_threads - @asked, or the number of online cores when 0; never
 * more than DP_POOL_MAX_THREADS, never 0.
 */
unsigned dpi_pool_threads(unsigned asked);

/*
 * dpi_pool_run - run @fn for every job in [0, @njobs) on at most @threads
 * workers (capped by @njobs and DP_POOL_MAX_THREADS; 0 means 1). Each job
 * runs exactly once. Returns the number of workers that took part (the
 * caller included: 1 when no thread could be created). Cannot fail.
 */
unsigned dpi_pool_run(unsigned threads, dpi_pool_fn fn, void *arg,
                      size_t njobs);

/*
 * dpi_pool_test_fail_after - test-only hook: after @n more successful
 * thread creations, every pthread_create of the pool is treated as failed
 * (no thread starts). (unsigned)-1 turns the hook off. Not thread-safe;
 * tests call it between runs. Never used by the library itself.
 */
void dpi_pool_test_fail_after(unsigned n);

#endif /* DP_CORE_POOL_H */
