/*
 * index_query.c - query-latency driver for bench/index: opens an index
 * read-only and runs dp_index_query_text() (the whole path: text pipeline,
 * band lookups, candidate scores) or dp_index_query_id() (the index part
 * alone) on THREADS threads for SECONDS seconds, cycling over the records
 * of a JSONL file. Prints one JSON object: queries/s, latency p50/p90/p99
 * and mean, and the mean number of hits.
 *
 * Built by bench/index against the shared library (public API only):
 *   index_query DB QUERIES.jsonl text|id SECONDS THREADS
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doppel.h"

typedef struct job {
    dp_index *ix;
    char **texts, **ids;
    size_t n, start;
    int by_id;
    double seconds;
    uint64_t *lat; /* ns per query */
    size_t nlat, cap;
    size_t hits, errors;
} job;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker(void *p)
{
    job *j = p;
    uint64_t end = now_ns() + (uint64_t)(j->seconds * 1e9);
    size_t i = j->start;
    while (now_ns() < end) {
        dp_index_hit *h = NULL;
        size_t nh = 0;
        uint64_t t0 = now_ns();
        dp_status st;
        size_t k = i++ % j->n;
        if (j->by_id)
            st = dp_index_query_id(j->ix, j->ids[k], strlen(j->ids[k]), NULL,
                                   &h, &nh, NULL);
        else
            st = dp_index_query_text(j->ix, j->texts[k], strlen(j->texts[k]),
                                     NULL, &h, &nh, NULL);
        if (j->nlat == j->cap) {
            j->cap = j->cap ? j->cap * 2 : 65536;
            j->lat = realloc(j->lat, j->cap * sizeof *j->lat);
            if (!j->lat)
                abort();
        }
        j->lat[j->nlat++] = now_ns() - t0;
        if (st && st != DP_EEMPTY && st != DP_ENOTFOUND)
            j->errors++;
        j->hits += nh;
        dp_free(h);
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    dp_index *ix = NULL;
    dp_index_opts o;
    dp_reader *r = NULL;
    dp_record rec;
    const char *in[1];
    char **texts = NULL, **ids = NULL;
    size_t n = 0, cap = 0, t, total = 0, hits = 0, errors = 0, k;
    unsigned threads;
    double seconds;
    job *jobs;
    pthread_t *tid;
    uint64_t *all;
    double sum = 0;
    dp_error err;

    if (argc != 6) {
        fprintf(stderr, "usage: index_query DB QUERIES.jsonl text|id "
                        "SECONDS THREADS\n");
        return 2;
    }
    seconds = atof(argv[4]);
    threads = (unsigned)atoi(argv[5]);
    if (threads < 1)
        threads = 1;
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_RDONLY;
    if (dp_index_open(argv[1], &o, NULL, &ix, &err)) {
        fprintf(stderr, "index_query: %s\n", err.message);
        return 1;
    }
    in[0] = argv[2];
    if (dp_reader_open(in, 1, NULL, &r, NULL))
        return 1;
    while (dp_reader_next(r, &rec, NULL) == DP_OK) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            ids = realloc(ids, cap * sizeof *ids);
            if (!texts || !ids)
                return 1;
        }
        texts[n] = strdup(rec.text);
        ids[n] = strdup(rec.id);
        n++;
    }
    dp_reader_free(r);
    if (n == 0)
        return 1;
    jobs = calloc(threads, sizeof *jobs);
    tid = calloc(threads, sizeof *tid);
    for (t = 0; t < threads; t++) {
        jobs[t] = (job){ix,
                        texts,
                        ids,
                        n,
                        t * (n / threads),
                        strcmp(argv[3], "id") == 0,
                        seconds,
                        NULL,
                        0,
                        0,
                        0,
                        0};
        pthread_create(&tid[t], NULL, worker, &jobs[t]);
    }
    for (t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        total += jobs[t].nlat;
        hits += jobs[t].hits;
        errors += jobs[t].errors;
    }
    all = malloc(total * sizeof *all);
    for (t = 0, k = 0; t < threads; t++) {
        memcpy(all + k, jobs[t].lat, jobs[t].nlat * sizeof *all);
        k += jobs[t].nlat;
        free(jobs[t].lat);
    }
    qsort(all, total, sizeof *all, cmp_u64);
    for (k = 0; k < total; k++)
        sum += (double)all[k];
    printf("{\"mode\":\"%s\",\"threads\":%u,\"queries\":%zu,"
           "\"qps\":%.0f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
           "\"mean_us\":%.1f,\"mean_hits\":%.2f,\"errors\":%zu}\n",
           argv[3], threads, total, total / seconds, all[total / 2] / 1e3,
           all[total * 9 / 10] / 1e3, all[total * 99 / 100] / 1e3,
           sum / total / 1e3, (double)hits / total, errors);
    free(all);
    free(jobs);
    free(tid);
    for (k = 0; k < n; k++) {
        free(texts[k]);
        free(ids[k]);
    }
    free(texts);
    free(ids);
    dp_index_close(ix);
    return errors ? 1 : 0;
}
