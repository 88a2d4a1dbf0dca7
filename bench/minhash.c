/*
 * minhash.c - the C driver behind bench/minhash: how fast MinHash
 * signatures and LSH banding run on real text, one thread.
 *
 *   bench_minhash REUTERS.jsonl [--k N] [--perms N] [--threshold T]
 *                 [--time S] [--scale N] [--json]
 *
 * Untimed preparation: every `text` of the JSONL file goes through the
 * text pipeline (dp_doc_create) and its token hashes are kept flat.
 * Timed, each as the best of 5 batches of about S/5 seconds (default S = 1)
 * after a warm-up, on one thread:
 *   shingles    dpi_shingle_hash over every document (k-word shingles);
 *   kperm, oph  dpi_minhash_signature over every document's shingles, per
 *               mode (documents shorter than k words use the documented
 *               dpi_minhash_short_shingle stand-in);
 *   bandkeys    dpi_lsh_band_keys for every signature;
 *   table       dp_lsh_table insert + build + pairs for the corpus.
 * Rates are given per shingle, per document and per byte of original text
 * (the bytes of the documents whose shingles were processed), so MB/s is
 * measured on real text rather than assumed from a bytes-per-shingle ratio.
 * It then checks the estimate on the corpus itself: for every LSH candidate
 * pair, the exact Jaccard of the two shingle sets against the estimate.
 * With --scale N it also times the bucket table on N synthetic documents
 * (random signatures, 10% planted near-copies), reporting bytes per
 * document. --json prints one JSON object instead of the text report.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <malloc.h>

#include "sketch/lsh.h"
#include "doppel.h"
#include "sketch/minhash.h"
#include "sketch/shingle.h"

typedef struct corpus {
    size_t ndocs;      /* documents with at least one word */
    size_t text_bytes; /* their original bytes */
    uint64_t *toks;    /* token hashes, all documents back to back */
    size_t *tok_off;   /* ndocs + 1 offsets into toks */
    uint64_t *sh;      /* shingle hashes (or the short stand-in), flat */
    size_t *sh_off;    /* ndocs + 1 offsets into sh */
    size_t nshort;     /* documents shorter than k words */
} corpus;

static unsigned g_k = 5, g_perms = 128;
static double g_time = 1.0, g_threshold = 0.8;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: less disturbed than wall time on a shared
 * machine (another process on the core stops this clock). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_minhash: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory", NULL);
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory", NULL);
    return p;
}

/* Read the JSONL corpus and run the text pipeline (untimed). */
static void load(const char *path, corpus *c)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0, tcap = 1 << 20, dcap = 1024, i;
    ssize_t len;

    if (!f)
        die("cannot open", path);
    memset(c, 0, sizeof *c);
    c->toks = xmalloc(tcap * sizeof *c->toks);
    c->tok_off = xmalloc((dcap + 1) * sizeof *c->tok_off);
    c->tok_off[0] = 0;
    while ((len = getline(&line, &lcap, f)) > 0) {
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)len, 0, &jerr), *t;
        dp_doc *doc = NULL;
        const char *text;
        size_t tl, nw;
        if (!o)
            continue;
        t = json_object_get(o, "text");
        if (!json_is_string(t)) {
            json_decref(o);
            continue;
        }
        text = json_string_value(t);
        tl = json_string_length(t);
        if (dp_doc_create(text, tl, NULL, &doc, NULL) == DP_OK &&
            (nw = dp_doc_words(doc)) > 0) {
            size_t base = c->tok_off[c->ndocs];
            if (base + nw > tcap) {
                while (base + nw > tcap)
                    tcap *= 2;
                c->toks = xrealloc(c->toks, tcap * sizeof *c->toks);
            }
            for (i = 0; i < nw; i++) {
                dp_token tok;
                dp_doc_token(doc, i, &tok);
                c->toks[base + i] = tok.hash;
            }
            if (c->ndocs + 1 >= dcap) {
                dcap *= 2;
                c->tok_off =
                    xrealloc(c->tok_off, (dcap + 1) * sizeof *c->tok_off);
            }
            c->text_bytes += tl;
            c->ndocs++;
            c->tok_off[c->ndocs] = base + nw;
        }
        dp_doc_free(doc);
        json_decref(o);
    }
    free(line);
    fclose(f);
    if (c->ndocs == 0)
        die("no documents in", path);
    /* Shingle layout: max(1, words - k + 1) per document. */
    c->sh_off = xmalloc((c->ndocs + 1) * sizeof *c->sh_off);
    c->sh_off[0] = 0;
    for (i = 0; i < c->ndocs; i++) {
        size_t nw = c->tok_off[i + 1] - c->tok_off[i];
        size_t m = dpi_shingle_count(nw, g_k);
        c->sh_off[i + 1] = c->sh_off[i] + (m ? m : 1);
    }
    c->sh = xmalloc(c->sh_off[c->ndocs] * sizeof *c->sh);
}

/* The shingles (or the short-document stand-in) of every document. */
static void do_shingles(corpus *c)
{
    size_t i;
    c->nshort = 0;
    for (i = 0; i < c->ndocs; i++) {
        const uint64_t *t = c->toks + c->tok_off[i];
        size_t nw = c->tok_off[i + 1] - c->tok_off[i];
        if (nw >= g_k) {
            dpi_shingle_hash(t, nw, g_k, c->sh + c->sh_off[i]);
        } else {
            c->sh[c->sh_off[i]] = dpi_minhash_short_shingle(t, nw);
            c->nshort++;
        }
    }
}

static void do_signatures(const corpus *c, const dp_minhash *mh, uint32_t *sigs)
{
    size_t i;
    for (i = 0; i < c->ndocs; i++)
        if (dpi_minhash_signature(mh, c->sh + c->sh_off[i],
                                  c->sh_off[i + 1] - c->sh_off[i],
                                  sigs + i * g_perms))
            die("signature failed", NULL);
}

static void do_bandkeys(size_t n, const dp_lsh_params *p, const uint32_t *sigs,
                        uint64_t *keys)
{
    size_t i;
    for (i = 0; i < n; i++)
        dpi_lsh_band_keys(p, sigs + i * g_perms, keys + i * p->bands);
}

/* Insert, build, enumerate; returns the pairs (caller frees). */
static dp_lsh_pair *do_table(size_t n, const dp_lsh_params *p,
                             const uint64_t *keys, size_t *npairs,
                             dp_lsh_stats *st, size_t *mem)
{
    dp_lsh_table *t = NULL;
    dp_lsh_pair *pairs = NULL;
    size_t i;
    if (dpi_lsh_table_create(p->bands, DP_LSH_DEFAULT_MAX_BUCKET, &t) ||
        dpi_lsh_table_reserve(t, n))
        die("table create failed", NULL);
    for (i = 0; i < n; i++)
        if (dpi_lsh_table_insert(t, (uint32_t)i, keys + i * p->bands))
            die("insert failed", NULL);
    if (dpi_lsh_table_build(t) || dpi_lsh_table_pairs(t, &pairs, npairs, st))
        die("table failed", NULL);
    if (mem)
        *mem = dpi_lsh_table_memory(t);
    dpi_lsh_table_free(t);
    return pairs;
}

static int by_double(const void *x, const void *y)
{
    double p = *(const double *)x, q = *(const double *)y;
    return (p > q) - (p < q);
}

/* Seconds per call: a warm-up, then the best of 5 batches of ~g_time/5,
 * by wall clock (into @out) and by thread CPU time (into @cpu). */
#define TIME_BEST(out, cpu, stmt)                                              \
    do {                                                                       \
        double per_[5], pcpu_[5];                                              \
        int k_;                                                                \
        stmt;                                                                  \
        for (k_ = 0; k_ < 5; k_++) {                                           \
            size_t reps_ = 0;                                                  \
            double t0_ = now(), c0_ = cpu_now(), t_;                           \
            do {                                                               \
                stmt;                                                          \
                reps_++;                                                       \
                t_ = now() - t0_;                                              \
            } while (t_ < g_time / 5);                                         \
            per_[k_] = t_ / (double)reps_;                                     \
            pcpu_[k_] = (cpu_now() - c0_) / (double)reps_;                     \
        }                                                                      \
        qsort(per_, 5, sizeof per_[0], by_double);                             \
        qsort(pcpu_, 5, sizeof pcpu_[0], by_double);                           \
        (out) = per_[0];                                                       \
        (cpu) = pcpu_[0];                                                      \
    } while (0)

static int cmp_u64(const void *x, const void *y)
{
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return (p > q) - (p < q);
}

/* Exact Jaccard of two sorted, duplicate-free arrays. */
static double exact_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
                            size_t nb)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            inter++;
            i++;
            j++;
        }
    }
    return (na + nb - inter) ? (double)inter / (double)(na + nb - inter) : 1;
}

/* Sorted unique shingle sets of every document (untimed). */
static void shingle_sets(const corpus *c, uint64_t **sets, size_t **off)
{
    size_t i, j, w, total = c->sh_off[c->ndocs];
    uint64_t *s = xmalloc(total * sizeof *s);
    size_t *o = xmalloc((c->ndocs + 1) * sizeof *o);
    o[0] = 0;
    for (i = 0, w = 0; i < c->ndocs; i++) {
        size_t a = c->sh_off[i], n = c->sh_off[i + 1] - a, start = w;
        memcpy(s + w, c->sh + a, n * sizeof *s);
        qsort(s + w, n, sizeof *s, cmp_u64);
        for (j = 0; j < n; j++)
            if (j == 0 || s[start + j] != s[w - 1])
                s[w++] = s[start + j];
        o[i + 1] = w;
    }
    *sets = s;
    *off = o;
}

/* Synthetic scale test of the bucket table: @n documents. */
static void scale_test(size_t n, const dp_lsh_params *p, int json)
{
    uint32_t *sigs = xmalloc(n * g_perms * sizeof *sigs);
    uint64_t *keys = xmalloc(n * p->bands * sizeof *keys);
    uint64_t st = 12345;
    size_t i, j, npairs = 0, mem = 0;
    dp_lsh_stats stats;
    dp_lsh_pair *pairs;
    double t_keys, t_table, t0;

    for (i = 0; i < n; i++) {
        uint32_t *s = sigs + i * g_perms;
        if (i % 10 == 9) { /* a near-copy of a random earlier document */
            st = st * 6364136223846793005u + 1442695040888963407u;
            memcpy(s, sigs + (size_t)(st >> 33) % i * g_perms,
                   g_perms * sizeof *s);
            for (j = 0; j < g_perms / 10; j++) { /* ~J 0.9 */
                st = st * 6364136223846793005u + 1442695040888963407u;
                s[(st >> 33) % g_perms] = (uint32_t)(st >> 7);
            }
        } else {
            for (j = 0; j < g_perms; j++) {
                st = st * 6364136223846793005u + 1442695040888963407u;
                s[j] = (uint32_t)(st >> 32);
            }
        }
    }
    /* Twice each: the first run pays for first-touching fresh memory
     * (slow in a VM), the second (reported) runs on memory the allocator
     * kept (see the mallopt() calls in main). */
    for (j = 0; j < 2; j++) {
        t0 = now();
        do_bandkeys(n, p, sigs, keys);
        t_keys = now() - t0;
        t0 = now();
        pairs = do_table(n, p, keys, &npairs, &stats, &mem);
        t_table = now() - t0;
        free(pairs);
        if (getenv("BENCH_VERBOSE"))
            fprintf(stderr, "scale run %zu: keys %.3f s table %.3f s\n", j,
                    t_keys, t_table);
    }
    if (json)
        printf(",\"scale\":{\"docs\":%zu,\"bandkeys_s\":%.4f,"
               "\"table_s\":%.4f,\"pairs\":%zu,\"table_bytes_per_doc\":%.1f}",
               n, t_keys, t_table, npairs, (double)mem / (double)n);
    else
        printf("scale       %zu synthetic docs (10%% near-copies): band keys "
               "%.3f s, table insert+build+pairs %.3f s, %zu pairs, "
               "table %.1f B/doc\n",
               n, t_keys, t_table, npairs, (double)mem / (double)n);
    free(sigs);
    free(keys);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, i;
    size_t scale = 0, nsh, npairs = 0, mem = 0, p;
    corpus c;
    dp_minhash *mk = NULL, *mo = NULL;
    dp_minhash_opts o;
    dp_lsh_params lp;
    dp_lsh_stats st;
    dp_lsh_pair *pairs;
    uint32_t *sig_k, *sig_o;
    uint64_t *keys, *sets;
    size_t *set_off;
    double t_sh, t_k, t_o, t_keys, t_table, mb;
    double c_sh, c_k, c_o, c_keys, c_table;
    double err_k = 0, err2_k = 0, err_o = 0, err2_o = 0;

    /* Keep freed memory mapped so repeated batches measure the code, not
     * the VM's first-touch page faults. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, -1);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--k") && i + 1 < argc)
            g_k = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--perms") && i + 1 < argc)
            g_perms = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--time") && i + 1 < argc)
            g_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threshold") && i + 1 < argc)
            g_threshold = atof(argv[++i]);
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            die("usage: bench_minhash REUTERS.jsonl [--k N] [--perms N] "
                "[--threshold T] [--time S] [--scale N] [--json]",
                NULL);
    }
    if (!path || g_k < 1)
        die("usage: bench_minhash REUTERS.jsonl [options]", NULL);

    load(path, &c);
    do_shingles(&c);
    nsh = c.sh_off[c.ndocs];
    mb = (double)c.text_bytes / 1e6;

    dpi_minhash_opts_init(&o);
    o.perms = g_perms;
    if (dpi_minhash_create(&o, &mk))
        die("bad --perms", NULL);
    o.mode = DP_MINHASH_OPH;
    if (dpi_minhash_create(&o, &mo))
        die("bad --perms", NULL);
    if (dpi_lsh_params_choose(g_threshold, g_perms, 0.5, 0.5, &lp))
        die("bad --threshold", NULL);
    sig_k = xmalloc(c.ndocs * g_perms * sizeof *sig_k);
    sig_o = xmalloc(c.ndocs * g_perms * sizeof *sig_o);
    keys = xmalloc(c.ndocs * lp.bands * sizeof *keys);

    TIME_BEST(t_sh, c_sh, do_shingles(&c));
    TIME_BEST(t_k, c_k, do_signatures(&c, mk, sig_k));
    TIME_BEST(t_o, c_o, do_signatures(&c, mo, sig_o));
    TIME_BEST(t_keys, c_keys, do_bandkeys(c.ndocs, &lp, sig_k, keys));
    TIME_BEST(t_table, c_table,
              free(do_table(c.ndocs, &lp, keys, &npairs, &st, &mem)));
    pairs = do_table(c.ndocs, &lp, keys, &npairs, &st, &mem);

    /* The estimate against exact Jaccard on the candidate pairs. */
    shingle_sets(&c, &sets, &set_off);
    for (p = 0; p < npairs; p++) {
        size_t a = pairs[p].a, b = pairs[p].b;
        double j =
            exact_jaccard(sets + set_off[a], set_off[a + 1] - set_off[a],
                          sets + set_off[b], set_off[b + 1] - set_off[b]);
        double ek = dpi_minhash_jaccard(sig_k + a * g_perms,
                                        sig_k + b * g_perms, g_perms) -
                    j;
        double eo = dpi_minhash_jaccard(sig_o + a * g_perms,
                                        sig_o + b * g_perms, g_perms) -
                    j;
        err_k += ek;
        err2_k += ek * ek;
        err_o += eo;
        err2_o += eo * eo;
    }
    if (npairs) {
        err_k /= (double)npairs;
        err_o /= (double)npairs;
        err2_k = sqrt(err2_k / (double)npairs);
        err2_o = sqrt(err2_o / (double)npairs);
    }

    if (json) {
        printf("{\"docs\":%zu,\"text_mb\":%.3f,\"shingles\":%zu,"
               "\"short_docs\":%zu,\"k\":%u,\"perms\":%u,"
               "\"bytes_per_shingle\":%.2f,"
               "\"shingles_s\":%.5f,\"kperm_s\":%.5f,\"oph_s\":%.5f,"
               "\"kperm_shingles_per_s\":%.0f,\"kperm_mb_per_s\":%.1f,"
               "\"oph_shingles_per_s\":%.0f,\"oph_mb_per_s\":%.1f,"
               "\"bands\":%u,\"rows\":%u,\"bandkeys_s\":%.5f,"
               "\"table_s\":%.5f,\"pairs\":%zu,\"capped\":%zu,"
               "\"largest_bucket\":%zu,\"signature_bytes_per_doc\":%zu,"
               "\"table_bytes_per_doc\":%.1f,"
               "\"kperm_err_mean\":%.4f,\"kperm_err_rms\":%.4f,"
               "\"oph_err_mean\":%.4f,\"oph_err_rms\":%.4f,"
               "\"cpu_s\":{\"shingles\":%.5f,\"kperm\":%.5f,\"oph\":%.5f,"
               "\"bandkeys\":%.5f,\"table\":%.5f}",
               c.ndocs, mb, nsh, c.nshort, g_k, g_perms,
               (double)c.text_bytes / (double)nsh, t_sh, t_k, t_o,
               (double)nsh / t_k, mb / t_k, (double)nsh / t_o, mb / t_o,
               lp.bands, lp.rows, t_keys, t_table, npairs, st.capped,
               st.largest, (size_t)g_perms * 4, (double)mem / (double)c.ndocs,
               err_k, err2_k, err_o, err2_o, c_sh, c_k, c_o, c_keys, c_table);
        if (scale)
            scale_test(scale, &lp, 1);
        printf("}\n");
    } else {
        printf("corpus      %zu docs, %.1f MB of text, %zu shingles (k=%u), "
               "%.2f bytes of text per shingle, %zu docs shorter than k\n",
               c.ndocs, mb, nsh, g_k, (double)c.text_bytes / (double)nsh,
               c.nshort);
        printf("(wall clock, best of 5 batches; [cpu] = by thread CPU time)\n");
        printf("shingles    %.4f s   %6.1f M shingles/s  %7.1f MB/s"
               "                 [%6.1f M/s, %7.1f MB/s]\n",
               t_sh, (double)nsh / t_sh / 1e6, mb / t_sh,
               (double)nsh / c_sh / 1e6, mb / c_sh);
        printf("kperm       %.4f s   %6.1f M shingles/s  %7.1f MB/s  "
               "%7.0f docs/s  [%6.1f M/s, %7.1f MB/s]  (%u perms)\n",
               t_k, (double)nsh / t_k / 1e6, mb / t_k, (double)c.ndocs / t_k,
               (double)nsh / c_k / 1e6, mb / c_k, g_perms);
        printf("oph         %.4f s   %6.1f M shingles/s  %7.1f MB/s  "
               "%7.0f docs/s  [%6.1f M/s, %7.1f MB/s]\n",
               t_o, (double)nsh / t_o / 1e6, mb / t_o, (double)c.ndocs / t_o,
               (double)nsh / c_o / 1e6, mb / c_o);
        printf("lsh         t=%.2f -> b=%u r=%u; band keys %.4f s "
               "(%.1f M docs/s); table %.4f s; %zu candidate pairs, "
               "%zu capped buckets (largest %zu)\n",
               g_threshold, lp.bands, lp.rows, t_keys,
               (double)c.ndocs / t_keys / 1e6, t_table, npairs, st.capped,
               st.largest);
        printf("memory      signature %u B/doc, table %.1f B/doc\n",
               g_perms * 4, (double)mem / (double)c.ndocs);
        printf("estimate    on the %zu candidate pairs, estimate - exact: "
               "kperm mean %+.4f rms %.4f; oph mean %+.4f rms %.4f "
               "(theory rms <= %.4f)\n",
               npairs, err_k, err2_k, err_o, err2_o, sqrt(0.25 / g_perms));
        if (scale)
            scale_test(scale, &lp, 0);
    }
    free(pairs);
    free(sets);
    free(set_off);
    free(sig_k);
    free(sig_o);
    free(keys);
    free(c.toks);
    free(c.tok_off);
    free(c.sh);
    free(c.sh_off);
    dpi_minhash_free(mk);
    dpi_minhash_free(mo);
    return 0;
}
