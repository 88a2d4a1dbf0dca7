/*
 * bench_dedup.c - time dp_dedup_add (signatures) and dp_dedup_run apart.
 *
 * Driver for bench/dedup, public API only. Reads a JSONL corpus into
 * memory first (timed separately: the reader), then adds it to a dp_dedup
 * in batches of 4096 records (the CLI's batch size): dp_dedup_add runs the
 * text pipeline, shingle hashing and MinHash on the collection's threads,
 * so its time is "signatures from text". Then dp_dedup_run (LSH, candidate
 * verification, clusters). Wall time (CLOCK_MONOTONIC) and process CPU
 * time (getrusage: all threads) for each phase. --threads takes a list
 * ("1,2"): the corpus is read once and one fresh collection is built and
 * run per thread count. One JSON object per thread count on stdout.
 *
 * --repeat N builds each collection N times and reports the best times.
 * The read time is the time spent inside dp_reader_next() alone (one
 * thread, no parse-ahead), not the copying into memory.
 *
 * Usage: bench_dedup CORPUS.jsonl [--threads N[,N...]] [--limit N]
 *                    [--repeat N] [--verify auto|exact|estimate] [--no-run]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "doppel.h"

#define BATCH 4096

/*
 * Allocation counting: the link wraps malloc, calloc and realloc of every
 * object linked in (this file and the static libdoppel; shared libraries
 * such as jansson are not wrapped), and the calls made while dp_dedup_add
 * runs are counted: "add_allocs" in the output.
 */
static atomic_size_t n_allocs;
static atomic_int counting;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __real_realloc(p, n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* Process CPU time through the vDSO-free clock (cheap enough per record). */
static double pcpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* All records in one growing buffer: id NUL text NUL, offsets apart. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t *id_off, *text_off, *text_len, *id_len;
    size_t n, ncap;
} corpus;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "bench_dedup: out of memory\n");
        exit(1);
    }
    return q;
}

static size_t put(corpus *c, const char *s, size_t n)
{
    size_t at = c->len;
    if (c->len + n + 1 > c->cap) {
        while (c->len + n + 1 > c->cap)
            c->cap = c->cap ? c->cap * 2 : (64u << 20);
        c->buf = xrealloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, s, n);
    c->buf[c->len + n] = '\0';
    c->len += n + 1;
    return at;
}

typedef struct {
    double add_s, add_cpu, run_s, run_cpu;
} timing;

/* One collection: add everything, run; the times in *tm, and the JSON line
 * printed when @print. */
static int bench_once(const corpus *c, dp_dedup_opts o, unsigned threads,
                      int do_run, size_t bad, double read_s, double read_cpu,
                      const timing *best, timing *tm, int print)
{
    dp_dedup *d = NULL;
    dp_dedup_doc *docs;
    dp_status *sts, st;
    dp_dedup_stats s;
    size_t i, refused = 0;
    uint64_t text_bytes = 0;
    double t0, c0, add_s, add_cpu, run_s = 0, run_cpu = 0;
    long rss_before = maxrss_kb(), rss_after_add;

    o.threads = threads;
    if ((st = dp_dedup_create(&o, &d)) != DP_OK) {
        fprintf(stderr, "bench_dedup: %s\n", dp_strerror(st));
        return 1;
    }
    docs = malloc(BATCH * sizeof *docs);
    sts = malloc(BATCH * sizeof *sts);
    if (!docs || !sts)
        return 1;
    t0 = now();
    c0 = cpu();
    atomic_store(&n_allocs, 0);
    for (i = 0; i < c->n; i += BATCH) {
        size_t k, m = c->n - i < BATCH ? c->n - i : BATCH;
        for (k = 0; k < m; k++) {
            docs[k].id = c->buf + c->id_off[i + k];
            docs[k].id_len = c->id_len[i + k];
            docs[k].text = c->buf + c->text_off[i + k];
            docs[k].text_len = c->text_len[i + k];
            docs[k].date = NULL;
            docs[k].date_len = 0;
            text_bytes += c->text_len[i + k];
        }
        atomic_store(&counting, 1);
        st = dp_dedup_add(d, docs, m, sts);
        atomic_store(&counting, 0);
        if (st != DP_OK) {
            fprintf(stderr, "bench_dedup: add: %s\n", dp_strerror(st));
            return 1;
        }
        for (k = 0; k < m; k++)
            refused += sts[k] != DP_OK;
    }
    add_s = now() - t0;
    add_cpu = cpu() - c0;
    rss_after_add = maxrss_kb();
    if (do_run) {
        t0 = now();
        c0 = cpu();
        if ((st = dp_dedup_run(d)) != DP_OK) {
            fprintf(stderr, "bench_dedup: run: %s\n", dp_strerror(st));
            return 1;
        }
        run_s = now() - t0;
        run_cpu = cpu() - c0;
    }
    dp_dedup_stats_get(d, &s);
    tm->add_s = add_s;
    tm->add_cpu = add_cpu;
    tm->run_s = run_s;
    tm->run_cpu = run_cpu;
    if (best) { /* report the best of the repeats */
        add_s = best->add_s < add_s ? best->add_s : add_s;
        add_cpu = best->add_cpu < add_cpu ? best->add_cpu : add_cpu;
        run_s = best->run_s < run_s ? best->run_s : run_s;
        run_cpu = best->run_cpu < run_cpu ? best->run_cpu : run_cpu;
        tm->add_s = add_s;
        tm->add_cpu = add_cpu;
        tm->run_s = run_s;
        tm->run_cpu = run_cpu;
    }
    if (print)
        printf(
            "{\"docs\":%zu,\"refused\":%zu,\"bad_records\":%zu,"
            "\"text_bytes\":%llu,\"corpus_bytes_in_memory\":%zu,"
            "\"read_seconds\":%.4f,\"read_cpu_seconds\":%.4f,"
            "\"add_seconds\":%.4f,\"add_cpu_seconds\":%.4f,"
            "\"run_seconds\":%.4f,\"run_cpu_seconds\":%.4f,"
            "\"threads\":%u,\"exact\":%s,\"bands\":%u,\"rows\":%u,"
            "\"candidates\":%zu,\"verified\":%zu,\"clusters\":%zu,"
            "\"duplicates\":%zu,\"memory_bytes\":%zu,\"maxrss_before_kb\":%ld,"
            "\"maxrss_after_add_kb\":%ld,\"maxrss_kb\":%ld,"
            "\"add_allocs\":%zu}\n",
            s.docs, refused, bad, (unsigned long long)text_bytes, c->len,
            read_s, read_cpu, add_s, add_cpu, run_s, run_cpu, threads,
            s.exact ? "true" : "false", s.bands, s.rows, s.candidates,
            s.verified, s.clusters, s.duplicates, s.memory, rss_before,
            rss_after_add, maxrss_kb(), atomic_load(&n_allocs));
    fflush(stdout);
    dp_dedup_free(d);
    free(docs);
    free(sts);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *tlist = "0";
    size_t limit = (size_t)-1, bad = 0;
    int do_run = 1, a, rc = 0, repeat = 1;
    dp_dedup_opts o;
    dp_reader_opts ro;
    dp_reader *r = NULL;
    dp_record rec;
    dp_status st;
    corpus c = {0};
    double t0, c0, read_s, read_cpu;
    char *list, *tok, *save = NULL;

    dp_dedup_opts_init(&o);
    o.verify = DP_VERIFY_ESTIMATE;
    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--threads") && a + 1 < argc)
            tlist = argv[++a];
        else if (!strcmp(argv[a], "--limit") && a + 1 < argc)
            limit = (size_t)atoll(argv[++a]);
        else if (!strcmp(argv[a], "--repeat") && a + 1 < argc)
            repeat = atoi(argv[++a]) > 0 ? atoi(argv[a]) : 1;
        else if (!strcmp(argv[a], "--no-run"))
            do_run = 0;
        else if (!strcmp(argv[a], "--verify") && a + 1 < argc) {
            a++;
            o.verify = !strcmp(argv[a], "exact")  ? DP_VERIFY_EXACT
                       : !strcmp(argv[a], "auto") ? DP_VERIFY_AUTO
                                                  : DP_VERIFY_ESTIMATE;
        } else if (argv[a][0] != '-' && !path)
            path = argv[a];
        else {
            fprintf(stderr, "usage: bench_dedup CORPUS.jsonl [--threads N,...] "
                            "[--limit N] [--repeat N] [--verify MODE] "
                            "[--no-run]\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "bench_dedup: no corpus\n");
        return 2;
    }

    /* Read everything first: the reader's own speed, not part of add. */
    dp_reader_opts_init(&ro);
    read_s = read_cpu = 0;
    if (dp_reader_open(&path, 1, &ro, &r, NULL) != DP_OK) {
        fprintf(stderr, "bench_dedup: cannot open %s\n", path);
        return 1;
    }
    for (;;) {
        if (c.n >= limit)
            break;
        t0 = now();
        c0 = pcpu();
        st = dp_reader_next(r, &rec, NULL);
        read_cpu += pcpu() - c0;
        read_s += now() - t0;
        if (st == DP_EOF)
            break;
        if (st != DP_OK) {
            bad++;
            continue;
        }
        if (c.n == c.ncap) {
            c.ncap = c.ncap ? c.ncap * 2 : 65536;
            c.id_off = xrealloc(c.id_off, c.ncap * sizeof *c.id_off);
            c.id_len = xrealloc(c.id_len, c.ncap * sizeof *c.id_len);
            c.text_off = xrealloc(c.text_off, c.ncap * sizeof *c.text_off);
            c.text_len = xrealloc(c.text_len, c.ncap * sizeof *c.text_len);
        }
        c.id_off[c.n] = put(&c, rec.id, rec.id_len);
        c.id_len[c.n] = rec.id_len;
        c.text_off[c.n] = put(&c, rec.text, rec.text_len);
        c.text_len[c.n] = rec.text_len;
        c.n++;
    }
    dp_reader_free(r);

    list = strdup(tlist);
    for (tok = strtok_r(list, ",", &save); tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        timing best, tm;
        int k;
        for (k = 0; k < repeat && !rc; k++) {
            rc = bench_once(&c, o, (unsigned)atoi(tok), do_run, bad, read_s,
                            read_cpu, k ? &best : NULL, &tm, k == repeat - 1);
            best = tm;
        }
    }
    free(list);
    free(c.buf);
    free(c.id_off);
    free(c.id_len);
    free(c.text_off);
    free(c.text_len);
    return rc;
}
