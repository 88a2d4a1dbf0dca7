/*
 * bench_align.c - the C driver behind bench/pan13 and bench/compare.
 *
 * Linked with the static library so it can call the internal aligner
 * (dpi_align_docs, dpi_align_tokens) as well as the public API. Three modes:
 *
 *   bench_align pan13 DIR OUT.jsonl [options]
 *       align every pair of DIR/pairs.txt (suspicious document = A, source
 *       = B) and write one detection per passage as JSONL: susp, src,
 *       susp_start, susp_end, src_start, src_end (byte offsets, end
 *       exclusive), words. Prints a summary line to stderr.
 *   bench_align speed A.txt B.txt [options]
 *       time, on one pair held in memory: the text pipeline on both sides
 *       (dp_doc_create), the alignment alone (dpi_align_docs) and the whole
 *       comparison (dp_doc_create x 2 + dp_compare, when the library has
 *       dp_compare). Prints one JSON object.
 *   bench_align tokens A.words B.words [options]
 *       time dpi_align_tokens on two word lists (one word per line, hashed
 *       with XXH3), for a like-for-like comparison with other aligners.
 *       Prints one JSON object.
 *
 * Options: --min-words N --max-gap N --seed N --chain-min N --max-occ N
 * (alignment), --time S (seconds to spend per timed quantity; 1): each is
 * timed as the best of 5 batches after one warm-up call.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "align/align.h"
#include "doppel.h"

/* dp_compare is another module's: weak references (with the whole static
 * library linked in) let the driver build and time the alignment alone
 * while it is missing, and time the whole comparison once it exists. */
#pragma weak dp_compare
#pragma weak dp_comparison_free
#pragma weak dp_compare_opts_init

static dp_align_opts g_opts;
static double g_time = 1.0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_align: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    exit(1);
}

static char *slurp(const char *path, size_t *len)
{
    char *buf = NULL;
    dp_error err;
    if (dp_file_read(path, &buf, len, DP_MAX_DOC_BYTES, &err))
        die(path, err.message);
    return buf;
}

static dp_doc *make_doc(const char *text, size_t len, const char *name)
{
    dp_text_opts to;
    dp_doc *d = NULL;
    dp_error err;
    dp_text_opts_init(&to);
    to.utf8 = DP_UTF8_REPLACE;
    if (dp_doc_create(text, len, &to, &d, &err))
        die(name, err.message);
    return d;
}

/* Parse alignment options from argv[i..]; returns the first unused index. */
static void parse_opts(int argc, char **argv, int i)
{
    dpi_align_opts_init(&g_opts);
    for (; i + 1 < argc; i += 2) {
        unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--min-words"))
            g_opts.min_words = v;
        else if (!strcmp(argv[i], "--max-gap"))
            g_opts.max_gap = v;
        else if (!strcmp(argv[i], "--seed"))
            g_opts.seed_words = v;
        else if (!strcmp(argv[i], "--chain-min"))
            g_opts.chain_min = v;
        else if (!strcmp(argv[i], "--max-occ"))
            g_opts.max_occ = v;
        else if (!strcmp(argv[i], "--time"))
            g_time = strtod(argv[i + 1], NULL);
        else
            die("unknown option", argv[i]);
    }
    if (i < argc)
        die("option without a value", argv[i]);
}

static int cmd_pan13(const char *dir, const char *outpath)
{
    char path[4096], line[1024];
    FILE *pairs, *out;
    size_t npairs = 0, ndet = 0;
    double t0 = now(), talign = 0;

    snprintf(path, sizeof path, "%s/pairs.txt", dir);
    pairs = fopen(path, "r");
    if (!pairs)
        die("cannot open", path);
    out = fopen(outpath, "w");
    if (!out)
        die("cannot write", outpath);
    while (fgets(line, sizeof line, pairs)) {
        char susp[512], src[512];
        char *ta, *tb;
        size_t la, lb, n = 0, u;
        dp_doc *a, *b;
        dp_passage *p = NULL;
        double t;
        if (sscanf(line, "%511s %511s", susp, src) != 2)
            continue;
        snprintf(path, sizeof path, "%s/susp/%s", dir, susp);
        ta = slurp(path, &la);
        a = make_doc(ta, la, path);
        snprintf(path, sizeof path, "%s/src/%s", dir, src);
        tb = slurp(path, &lb);
        b = make_doc(tb, lb, path);
        t = now();
        if (dpi_align_docs(a, b, &g_opts, &p, &n))
            die("dpi_align_docs failed on", susp);
        talign += now() - t;
        for (u = 0; u < n; u++)
            fprintf(out,
                    "{\"susp\": \"%s\", \"src\": \"%s\", \"susp_start\": %zu, "
                    "\"susp_end\": %zu, \"src_start\": %zu, \"src_end\": %zu, "
                    "\"words\": %zu}\n",
                    susp, src, p[u].a.start, p[u].a.end, p[u].b.start,
                    p[u].b.end, p[u].words);
        ndet += n;
        npairs++;
        free(p);
        dp_doc_free(a);
        dp_doc_free(b);
        dp_free(ta);
        dp_free(tb);
    }
    fclose(pairs);
    if (fclose(out))
        die("cannot write", outpath);
    fprintf(
        stderr,
        "pan13: %zu pairs, %zu detections, %.3f s in all, %.4f s aligning\n",
        npairs, ndet, now() - t0, talign);
    return 0;
}

/* What one timed call works on. */
typedef struct job {
    const char *ta, *tb, *pa, *pb; /* texts and their names */
    size_t la, lb;
    dp_doc *a, *b;    /* ready documents */
    size_t npassages; /* from the last alignment */
} job;

static void run_docs(job *j)
{
    dp_doc *a = make_doc(j->ta, j->la, j->pa),
           *b = make_doc(j->tb, j->lb, j->pb);
    dp_doc_free(a);
    dp_doc_free(b);
}

static void run_align(job *j)
{
    dp_passage *p = NULL;
    if (dpi_align_docs(j->a, j->b, &g_opts, &p, &j->npassages))
        die("dpi_align_docs failed", NULL);
    free(p);
}

static void run_compare(job *j)
{
    dp_compare_opts co;
    dp_doc *a = make_doc(j->ta, j->la, j->pa),
           *b = make_doc(j->tb, j->lb, j->pb);
    dp_comparison *c = NULL;
    dp_compare_opts_init(&co);
    co.min_words = g_opts.min_words;
    co.max_gap = g_opts.max_gap;
    if (dp_compare(a, b, &co, &c))
        die("dp_compare failed", NULL);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
}

static int by_double(const void *x, const void *y)
{
    double p = *(const double *)x, q = *(const double *)y;
    return (p > q) - (p < q);
}

/* Seconds per call of @fn: one warm-up call, then 5 batches of about
 * g_time / 5 seconds each; the best batch's time per call (the machine
 * may be shared: the fastest batch is the one least disturbed). */
static double time_per_call(void (*fn)(job *), job *j)
{
    double per[5];
    int k;
    fn(j);
    for (k = 0; k < 5; k++) {
        size_t reps = 0;
        double t0 = now(), t;
        do {
            fn(j);
            reps++;
            t = now() - t0;
        } while (t < g_time / 5);
        per[k] = t / (double)reps;
    }
    qsort(per, 5, sizeof per[0], by_double);
    return per[0];
}

static int cmd_speed(const char *pa, const char *pb)
{
    job j;
    double tdoc, talign, tcmp = -1;

    memset(&j, 0, sizeof j);
    j.pa = pa;
    j.pb = pb;
    j.ta = slurp(pa, &j.la);
    j.tb = slurp(pb, &j.lb);
    j.a = make_doc(j.ta, j.la, pa);
    j.b = make_doc(j.tb, j.lb, pb);

    tdoc = time_per_call(run_docs, &j);    /* text pipeline, both sides */
    talign = time_per_call(run_align, &j); /* alignment alone */
    if (dp_compare && dp_compare_opts_init && dp_comparison_free)
        tcmp = time_per_call(run_compare, &j); /* pipeline + dp_compare */

    printf("{\"bytes\": %zu, \"words_a\": %zu, \"words_b\": %zu, "
           "\"passages\": %zu, \"doc_s\": %.9f, \"align_s\": %.9f, ",
           j.la + j.lb, dp_doc_words(j.a), dp_doc_words(j.b), j.npassages, tdoc,
           talign);
    if (tcmp >= 0)
        printf("\"compare_s\": %.9f}\n", tcmp);
    else
        printf("\"compare_s\": null}\n");
    dp_doc_free(j.a);
    dp_doc_free(j.b);
    dp_free((void *)j.ta);
    dp_free((void *)j.tb);
    return 0;
}

/* Read a file of words, one per line, as XXH3 hashes. */
static uint64_t *read_words(const char *path, size_t *n)
{
    size_t len, cap = 0, u = 0;
    char *text = slurp(path, &len), *s = text, *e;
    uint64_t *h = NULL;
    for (e = text; e <= text + len; e++) {
        if (e < text + len && *e != '\n')
            continue;
        if (e > s) {
            if (u == cap) {
                cap = cap ? 2 * cap : 1024;
                h = realloc(h, cap * sizeof *h);
                if (!h)
                    die("out of memory", NULL);
            }
            h[u++] = XXH3_64bits(s, (size_t)(e - s));
        }
        s = e + 1;
    }
    dp_free(text);
    *n = u;
    return h;
}

static const uint64_t *g_ta, *g_tb;
static size_t g_na, g_nb;

static void run_tokens(job *j)
{
    dp_match *m = NULL;
    if (dpi_align_tokens(g_ta, g_na, g_tb, g_nb, &g_opts, &m, &j->npassages))
        die("dpi_align_tokens failed", NULL);
    free(m);
}

static int cmd_tokens(const char *pa, const char *pb)
{
    size_t na, nb, n = 0, matched = 0, u;
    uint64_t *a = read_words(pa, &na), *b = read_words(pb, &nb);
    dp_match *m = NULL;
    job j;
    double t;

    memset(&j, 0, sizeof j);
    g_ta = a;
    g_tb = b;
    g_na = na;
    g_nb = nb;
    t = time_per_call(run_tokens, &j);
    if (dpi_align_tokens(a, na, b, nb, &g_opts, &m, &n))
        die("dpi_align_tokens failed", NULL);
    for (u = 0; u < n; u++)
        matched += m[u].a_end - m[u].a_begin;
    printf("{\"words_a\": %zu, \"words_b\": %zu, \"passages\": %zu, "
           "\"passage_words_a\": %zu, \"align_s\": %.9f}\n",
           na, nb, n, matched, t);
    free(m);
    free(a);
    free(b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "pan13")) {
        parse_opts(argc, argv, 4);
        return cmd_pan13(argv[2], argv[3]);
    }
    if (argc >= 4 && !strcmp(argv[1], "speed")) {
        parse_opts(argc, argv, 4);
        return cmd_speed(argv[2], argv[3]);
    }
    if (argc >= 4 && !strcmp(argv[1], "tokens")) {
        parse_opts(argc, argv, 4);
        return cmd_tokens(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: bench_align pan13 DIR OUT.jsonl [options]\n"
                    "       bench_align speed A.txt B.txt [options]\n"
                    "       bench_align tokens A.words B.words [options]\n"
                    "options: --min-words N --max-gap N --seed N --chain-min N "
                    "--max-occ N --time SECONDS\n");
    return 2;
}
