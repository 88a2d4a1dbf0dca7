/* test_pool.c - the core thread pool: every job once, whatever number of
 * threads starts, and dedup's clusters unchanged when threads cannot be
 * created (the test-only creation-failure hook). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "../test.h"
#include "core/pool.h"
#include "doppel.h"

typedef struct count_job {
    atomic_uint runs[1000];
    atomic_uint max_worker;
} count_job;

static void count_fn(void *arg, unsigned worker, size_t job)
{
    count_job *c = arg;
    unsigned m = atomic_load(&c->max_worker);
    atomic_fetch_add(&c->runs[job], 1);
    while (worker > m &&
           !atomic_compare_exchange_weak(&c->max_worker, &m, worker))
        ;
}

static int each_job_once(const count_job *c, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (atomic_load(&c->runs[i]) != 1)
            return 0;
    return 1;
}

TEST(pool_runs_every_job_once)
{
    static count_job c;
    unsigned used;
    memset(&c, 0, sizeof c);
    used = dpi_pool_run(4, count_fn, &c, 1000);
    CHECK(used >= 1 && used <= 4);
    CHECK(each_job_once(&c, 1000));
    CHECK(atomic_load(&c.max_worker) < used);
}

TEST(pool_caps_threads_at_jobs_and_handles_zero)
{
    static count_job c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(dpi_pool_run(8, count_fn, &c, 0), 1);
    CHECK_EQ(dpi_pool_run(8, count_fn, &c, 2) <= 2, 1);
    CHECK(each_job_once(&c, 2));
    CHECK_EQ(dpi_pool_threads(3), 3);
    CHECK(dpi_pool_threads(0) >= 1);
    CHECK_EQ(dpi_pool_threads(100000), DP_POOL_MAX_THREADS);
}

TEST(pool_thread_creation_failure_runs_work_on_caller)
{
    static count_job c;
    memset(&c, 0, sizeof c);
    dpi_pool_test_fail_after(0);
    CHECK_EQ(dpi_pool_run(4, count_fn, &c, 1000), 1);
    dpi_pool_test_fail_after((unsigned)-1);
    CHECK(each_job_once(&c, 1000));
    CHECK_EQ(atomic_load(&c.max_worker), 0);

    /* Only the first of three extra threads starts. */
    memset(&c, 0, sizeof c);
    dpi_pool_test_fail_after(1);
    CHECK_EQ(dpi_pool_run(4, count_fn, &c, 1000), 2);
    dpi_pool_test_fail_after((unsigned)-1);
    CHECK(each_job_once(&c, 1000));
}

/* Dedup 4000 Reuters articles (with some made copies) on 4 threads and
 * return its clusters as text, one line per cluster. */
static char *dedup_clusters(const char *path)
{
    dp_reader_opts ro;
    dp_reader *r = NULL;
    dp_dedup_opts o;
    dp_dedup *d = NULL;
    dp_record rec;
    char *out = NULL;
    size_t olen = 0, i, n = 0;
    FILE *f;
    dp_status st;

    dp_reader_opts_init(&ro);
    if (dp_reader_open(&path, 1, &ro, &r, NULL))
        return NULL;
    dp_dedup_opts_init(&o);
    o.threads = 4;
    if (dp_dedup_create(&o, &d)) {
        dp_reader_free(r);
        return NULL;
    }
    while (n < 4000 && dp_reader_next(r, &rec, NULL) == DP_OK) {
        dp_dedup_doc doc = {rec.id,       rec.id_len, rec.text,
                            rec.text_len, NULL,       0};
        char copy_id[64];
        if (dp_dedup_add(d, &doc, 1, &st))
            break;
        if (n % 7 == 0) { /* an exact copy under another id */
            snprintf(copy_id, sizeof copy_id, "copy-%zu", n);
            doc.id = copy_id;
            doc.id_len = strlen(copy_id);
            dp_dedup_add(d, &doc, 1, &st);
        }
        n++;
    }
    dp_reader_free(r);
    if (dp_dedup_run(d) == DP_OK && (f = open_memstream(&out, &olen))) {
        for (i = 0; i < dp_dedup_clusters(d); i++) {
            const uint32_t *m;
            const float *sim;
            size_t k, nm;
            dp_dedup_cluster(d, i, &m, &sim, &nm);
            for (k = 0; k < nm; k++)
                fprintf(f, "%u:%.4f ", m[k], sim[k]);
            fputc('\n', f);
        }
        fclose(f);
    }
    dp_dedup_free(d);
    return out;
}

TEST(pool_failed_threads_give_identical_dedup_clusters)
{
    char path[4096], *normal, *starved;
    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    normal = dedup_clusters(path);
    REQUIRE(normal != NULL);
    dpi_pool_test_fail_after(0); /* no worker thread ever starts */
    starved = dedup_clusters(path);
    dpi_pool_test_fail_after((unsigned)-1);
    REQUIRE(starved != NULL);
    CHECK(strlen(normal) > 500); /* 4000 articles and 572 copies */
    CHECK_STR(normal, starved);
    free(normal);
    free(starved);
}
