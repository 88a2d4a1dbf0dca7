/*
 * cmd_dedup.c - `doppel dedup`: find the near-duplicate groups of a
 * corpus and say what to keep.
 *
 * Pass 1 streams the inputs through a dp_reader into batches that
 * dp_dedup_add() signs on all threads; bad records are reported with file
 * and line, counted and skipped (or, with --strict, end the run). Then one
 * dp_dedup_run(), and the outputs: summary (stderr), clusters, keep/drop
 * id lists, --explain. --output needs pass 2: the inputs are read again
 * and the kept records written in their own format (standard input is
 * spooled to a temporary file in pass 1 for this).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel dedup [options] INPUT...\n"
    "\n"
    "Find every group of near-duplicate documents in a corpus and say which\n"
    "to keep. INPUT: text files (one document each), directories (read\n"
    "recursively), JSONL (.jsonl/.ndjson/.json: one {\"id\",\"text\"} object\n"
    "per line), any of them .gz or .zst compressed, or - for stdin.\n"
    "\n"
    "similarity:\n"
    "  --threshold T       Jaccard of 5-word shingle sets at or above which\n"
    "                      two documents are near-duplicates (default 0.8)\n"
    "  --shingle K         words per shingle (default 5)\n"
    "  --perms N           MinHash permutations (default 128)\n"
    "  --bands B --rows R  LSH banding by hand (default: chosen from the\n"
    "                      threshold, see docs/dedup.md)\n"
    "  --lsh-weights FP,FN choose the banding by weighted false-positive and\n"
    "                      false-negative areas (datasketch: 0.5,0.5)\n"
    "  --verify MODE       auto (default: exact up to --exact-max docs),\n"
    "                      exact, or estimate (from the signatures)\n"
    "  --exact-max N       corpus size up to which auto is exact (200000)\n"
    "  --keep POLICY       first (default), longest, or earliest (by the\n"
    "                      date field)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "\n"
    "input:\n"
    "  --id-field F        JSONL id field (default id)\n"
    "  --text-field F      JSONL text field (default text)\n"
    "  --date-field F      JSONL date field for --keep earliest (default date)\n"
    "  --invalid-utf8 MODE reject (default) or replace, for text files\n"
    "  --strict            stop at the first bad record (exit 3 or 4)\n"
    "\n"
    "output:\n"
    "  --clusters FILE     clusters as JSONL (docs/dedup.md)\n"
    "  --keep-ids FILE     ids of the documents to keep, one per line\n"
    "  --drop-ids FILE     ids of the duplicates to drop, one per line\n"
    "  --output FILE       the kept documents in the input's own format\n"
    "  --json              the run summary as one JSON object on stdout\n"
    "  --explain ID1 ID2   why two documents were or were not grouped\n"
    "  --progress WHEN     auto (default: only on a terminal), always, never\n"
    "  -q, --quiet         no summary on stderr\n"
    "  -h, --help          show this help\n"
    "\n"
    "Without --json, --clusters or --explain, the clusters are printed on\n"
    "stdout. Exit codes: 0 done (bad records skipped and counted); 2 usage;\n"
    "3/4 with --strict, an unreadable input / a bad record; 5 internal.\n";

enum {
    OPT_THRESHOLD = 256, OPT_SHINGLE, OPT_PERMS, OPT_BANDS, OPT_ROWS,
    OPT_WEIGHTS, OPT_VERIFY, OPT_EXACT_MAX, OPT_KEEP, OPT_THREADS,
    OPT_ID_FIELD, OPT_TEXT_FIELD, OPT_DATE_FIELD, OPT_UTF8, OPT_STRICT,
    OPT_CLUSTERS, OPT_KEEP_IDS, OPT_DROP_IDS, OPT_OUTPUT, OPT_JSON,
    OPT_EXPLAIN, OPT_PROGRESS
};

static const struct option options[] = {
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"perms", required_argument, NULL, OPT_PERMS},
    {"bands", required_argument, NULL, OPT_BANDS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"lsh-weights", required_argument, NULL, OPT_WEIGHTS},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"exact-max", required_argument, NULL, OPT_EXACT_MAX},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"clusters", required_argument, NULL, OPT_CLUSTERS},
    {"keep-ids", required_argument, NULL, OPT_KEEP_IDS},
    {"drop-ids", required_argument, NULL, OPT_DROP_IDS},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define BATCH_DOCS 4096
#define BATCH_BYTES ((size_t)32 << 20)

typedef struct run {
    dp_dedup_opts dopts;
    dp_reader_opts ropts;
    const char *clusters_path, *keep_path, *drop_path, *output_path;
    const char *explain[2];
    int json, strict, quiet, progress;
    char **inputs;
    size_t ninputs;
    char *spool;          /* temporary copy of stdin for pass 2 */

    dp_dedup *d;
    int32_t *doc_of;      /* record number -> document number, or -1 */
    size_t nrecords, cap_records;
    cli_skips sk;
    size_t bytes;         /* text bytes read */
    char *explain_text[2];
    size_t explain_len[2];

    /* the current batch: copies of the records */
    dp_dedup_doc *batch;
    size_t *batch_rec;    /* record number of each batch entry */
    size_t nbatch;
    char *arena;
    size_t arena_len, arena_cap;
    dp_status *status;
    double t0;
} run;

static int bad_value(const char *opt, const char *val)
{
    return cli_bad_value("dedup", opt, val);
}

/* Count a skipped record by reason; with --strict say which exit code. */
static int count_skip(run *r, dp_status rc)
{
    switch (rc) {
    case DP_EJSON: r->sk.json++; return EXIT_INPUT;
    case DP_EFIELD: r->sk.field++; return EXIT_INPUT;
    case DP_EUTF8: r->sk.utf8++; return EXIT_INPUT;
    case DP_EBINARY: r->sk.binary++; return EXIT_INPUT;
    case DP_EEMPTY: r->sk.empty++; return EXIT_INPUT;
    case DP_ETOOBIG: r->sk.toobig++; return EXIT_FILE;
    case DP_ECOMPRESS: r->sk.compress++; return EXIT_FILE;
    case DP_EIO: case DP_ENOENT: case DP_EACCES: case DP_EISDIR:
        r->sk.io++;
        return EXIT_FILE;
    default: r->sk.other++; return EXIT_INTERNAL;
    }
}

static int note_record(run *r, int32_t doc)
{
    if (cli_grow((void **)&r->doc_of, &r->cap_records, r->nrecords + 1,
             sizeof *r->doc_of))
        return -1;
    r->doc_of[r->nrecords++] = doc;
    return 0;
}

/* Sign the current batch; report documents the library refused. */
static int flush_batch(run *r)
{
    size_t i, before = dp_dedup_docs(r->d);
    dp_status rc;

    if (r->nbatch == 0)
        return EXIT_OK;
    rc = dp_dedup_add(r->d, r->batch, r->nbatch, r->status);
    if (rc) {
        fprintf(stderr, "doppel dedup: %s\n", dp_strerror(rc));
        return EXIT_INTERNAL;
    }
    for (i = 0; i < r->nbatch; i++) {
        if (r->status[i] == DP_OK) {
            r->doc_of[r->batch_rec[i]] = (int32_t)before++;
            if (dp_dedup_id_repeats(r->d, before - 1) && !r->quiet)
                fprintf(stderr, "doppel dedup: duplicate id '%s' (record %zu)\n",
                        dp_dedup_id(r->d, before - 1, NULL),
                        r->batch_rec[i] + 1);
            continue;
        }
        fprintf(stderr, "doppel dedup: id '%s': %s, skipped\n",
                r->batch[i].id,
                r->status[i] == DP_EEMPTY ? "no words"
                                          : dp_strerror(r->status[i]));
        if (count_skip(r, r->status[i]) && r->strict)
            return EXIT_INPUT;
    }
    r->nbatch = 0;
    r->arena_len = 0;
    return EXIT_OK;
}

/* Copy @n bytes into the batch arena; returns the offset. */
static size_t arena_put(run *r, const char *s, size_t n)
{
    size_t off = r->arena_len;
    memcpy(r->arena + off, s, n);
    r->arena[off + n] = '\0';
    r->arena_len += n + 1;
    return off;
}

static int sign_batch(run *r);

static int add_record(run *r, const dp_record *rec)
{
    size_t need = rec->id_len + rec->text_len + rec->date_len + 3, k;
    size_t id_off, text_off, date_off = 0;
    int rc;

    if (r->nbatch == BATCH_DOCS ||
        (r->nbatch && r->arena_len + need > BATCH_BYTES)) {
        if ((rc = sign_batch(r)))
            return rc;
    }
    if (cli_grow((void **)&r->arena, &r->arena_cap, r->arena_len + need, 1)) {
        fputs("doppel dedup: out of memory\n", stderr);
        return EXIT_INTERNAL;
    }
    id_off = arena_put(r, rec->id, rec->id_len);
    text_off = arena_put(r, rec->text, rec->text_len);
    if (rec->date)
        date_off = arena_put(r, rec->date, rec->date_len);
    for (k = 0; k < 2; k++) {
        if (r->explain[k] && !r->explain_text[k] &&
            strcmp(r->explain[k], rec->id) == 0) {
            r->explain_text[k] = malloc(rec->text_len + 1);
            if (r->explain_text[k]) {
                memcpy(r->explain_text[k], rec->text, rec->text_len + 1);
                r->explain_len[k] = rec->text_len;
            }
        }
    }
    /* Pointers are fixed up at flush time, as the arena may move. */
    r->batch[r->nbatch].id = (const char *)(uintptr_t)id_off;
    r->batch[r->nbatch].id_len = rec->id_len;
    r->batch[r->nbatch].text = (const char *)(uintptr_t)text_off;
    r->batch[r->nbatch].text_len = rec->text_len;
    r->batch[r->nbatch].date = rec->date ? (const char *)(uintptr_t)date_off
                                         : NULL;
    r->batch[r->nbatch].date_len = rec->date_len;
    r->batch_rec[r->nbatch] = r->nrecords - 1;
    r->nbatch++;
    return EXIT_OK;
}

/* Turn the batch's arena offsets into pointers, then sign it. */
static int sign_batch(run *r)
{
    size_t i;
    for (i = 0; i < r->nbatch; i++) {
        dp_dedup_doc *b = &r->batch[i];
        b->id = r->arena + (uintptr_t)b->id;
        b->text = r->arena + (uintptr_t)b->text;
        if (b->date)
            b->date = r->arena + (uintptr_t)b->date;
    }
    return flush_batch(r);
}

static void show_progress(run *r, int final)
{
    static double last;
    double t = cli_now();
    if (!r->progress || (!final && t - last < 0.25))
        return;
    last = t;
    fprintf(stderr, "\r\033[Kreading: %zu records, %.1f MB, %.0f docs/s%s",
            r->nrecords, r->bytes / 1e6,
            r->nrecords / (t - r->t0 > 0 ? t - r->t0 : 1), final ? "\n" : "");
}

/* Copy standard input to a temporary file, so pass 2 can read it again. */
static int spool_stdin(run *r)
{
    char path[] = "/tmp/doppel-stdin.XXXXXX";
    char buf[1 << 16];
    ssize_t n;
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("doppel dedup: spooling stdin");
        return EXIT_FILE;
    }
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) != n) {
            perror("doppel dedup: spooling stdin");
            close(fd);
            unlink(path);
            return EXIT_FILE;
        }
    }
    close(fd);
    r->spool = strdup(path);
    return r->spool ? EXIT_OK : EXIT_INTERNAL;
}

/* Pass 1: read every input into the collection. */
static int read_all(run *r)
{
    dp_reader *rd = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    int ex = EXIT_OK;

    if (dp_reader_open((const char *const *)r->inputs, r->ninputs, &r->ropts,
                       &rd, &err)) {
        fprintf(stderr, "doppel dedup: %s\n", err.message);
        return EXIT_USAGE;
    }
    while ((rc = dp_reader_next(rd, &rec, &err)) != DP_EOF) {
        if (rc) {
            int code;
            fprintf(stderr, "doppel dedup: %s, skipped\n", err.message);
            code = count_skip(r, rc);
            if (note_record(r, -1)) {
                ex = EXIT_INTERNAL;
                break;
            }
            if (r->strict) {
                ex = code;
                break;
            }
            continue;
        }
        r->bytes += rec.text_len;
        if (note_record(r, -1) || (ex = add_record(r, &rec)) != EXIT_OK) {
            if (ex == EXIT_OK)
                ex = EXIT_INTERNAL;
            break;
        }
        show_progress(r, 0);
    }
    dp_reader_free(rd);
    if (ex == EXIT_OK)
        ex = sign_batch(r);
    show_progress(r, 1);
    return ex;
}

static FILE *open_out(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        fprintf(stderr, "doppel dedup: %s: cannot write: %m\n", path);
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad) {
        fprintf(stderr, "doppel dedup: %s: write failed\n", path);
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

static int write_clusters(run *r, FILE *f, int as_json)
{
    size_t c, k, nc = dp_dedup_clusters(r->d);
    for (c = 0; c < nc; c++) {
        const uint32_t *m;
        const float *sim;
        size_t n;
        dp_dedup_cluster(r->d, c, &m, &sim, &n);
        if (as_json) {
            json_t *o = json_object(), *arr = json_array();
            for (k = 0; k < n; k++) {
                json_t *e = json_object();
                json_object_set_new(e, "id",
                                    json_string(dp_dedup_id(r->d, m[k], NULL)));
                json_object_set_new(e, "similarity",
                                    json_real(((int)(sim[k] * 10000 + 0.5)) /
                                              10000.0));
                json_array_append_new(arr, e);
            }
            json_object_set_new(o, "cluster", json_integer((json_int_t)c));
            json_object_set_new(o, "kept",
                                json_string(dp_dedup_id(r->d, m[0], NULL)));
            json_object_set_new(o, "size", json_integer((json_int_t)n));
            json_object_set_new(o, "members", arr);
            json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
            fputc('\n', f);
            json_decref(o);
        } else {
            fprintf(f, "cluster %zu: %zu documents, keep %s\n", c, n,
                    dp_dedup_id(r->d, m[0], NULL));
            for (k = 1; k < n; k++)
                fprintf(f, "  drop %-40s %.3f\n", dp_dedup_id(r->d, m[k], NULL),
                        sim[k]);
        }
    }
    return EXIT_OK;
}

static int write_ids(run *r, const char *path, int dropped)
{
    FILE *f = open_out(path);
    size_t i, n = dp_dedup_docs(r->d);
    if (!f)
        return EXIT_FILE;
    for (i = 0; i < n; i++)
        if (dp_dedup_is_dropped(r->d, i) == dropped)
            fprintf(f, "%s\n", dp_dedup_id(r->d, i, NULL));
    return close_out(f, path);
}

/* Pass 2: write the kept records in their own format. */
static int write_output(run *r)
{
    dp_reader *rd = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    size_t k = 0;
    FILE *f = open_out(r->output_path);

    if (!f)
        return EXIT_FILE;
    if (r->spool) {
        size_t i;
        for (i = 0; i < r->ninputs; i++)
            if (strcmp(r->inputs[i], "-") == 0)
                r->inputs[i] = r->spool;
    }
    if (dp_reader_open((const char *const *)r->inputs, r->ninputs, &r->ropts,
                       &rd, &err)) {
        fprintf(stderr, "doppel dedup: %s\n", err.message);
        close_out(f, r->output_path);
        return EXIT_INTERNAL;
    }
    while ((rc = dp_reader_next(rd, &rec, &err)) != DP_EOF &&
           k < r->nrecords) {
        int32_t doc = r->doc_of[k++];
        if (rc || doc < 0 || dp_dedup_is_dropped(r->d, (size_t)doc))
            continue;
        if (rec.raw) {
            fwrite(rec.raw, 1, rec.raw_len, f);
        } else {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_stringn(rec.id, rec.id_len));
            json_object_set_new(o, "text",
                                json_stringn(rec.text, rec.text_len));
            json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
            json_decref(o);
        }
        fputc('\n', f);
    }
    dp_reader_free(rd);
    return close_out(f, r->output_path);
}

static int explain(run *r)
{
    long i = dp_dedup_find(r->d, r->explain[0], strlen(r->explain[0]));
    long j = dp_dedup_find(r->d, r->explain[1], strlen(r->explain[1]));
    dp_dedup_explain e;
    dp_dedup_stats st;
    int k;

    for (k = 0; k < 2; k++)
        if ((k ? j : i) < 0) {
            fprintf(stderr, "doppel dedup: --explain: no document with id "
                            "'%s' was read\n", r->explain[k]);
            return EXIT_USAGE;
        }
    dp_dedup_explain_pair(r->d, (size_t)i, (size_t)j, &e);
    dp_dedup_stats_get(r->d, &st);
    printf("A  %s\nB  %s\n\n", r->explain[0], r->explain[1]);
    printf("estimated Jaccard  %.4f  (%u-permutation MinHash signatures)\n",
           e.estimated, r->dopts.perms);
    if (e.exact >= 0)
        printf("exact Jaccard      %.4f  (%u-word shingle sets)\n", e.exact,
               r->dopts.shingle_k);
    else
        printf("exact Jaccard      not kept (estimate verification)\n");
    printf("threshold          %.4f\n", r->dopts.threshold);
    printf("LSH bands shared   %u of %u (%u rows each): %s\n",
           e.bands_shared, e.bands, st.rows,
           e.bands_shared ? "a candidate pair, verified"
                          : "never a candidate pair");
    if (e.grouped) {
        const uint32_t *m;
        size_t n;
        dp_dedup_cluster(r->d, (size_t)e.cluster_a, &m, NULL, &n);
        printf("grouped            yes: cluster %ld (%zu documents, keep %s)\n",
               e.cluster_a, n, dp_dedup_id(r->d, m[0], NULL));
    } else {
        printf("grouped            no");
        if (e.cluster_a >= 0 || e.cluster_b >= 0)
            printf(": A in %s%ld, B in %s%ld (each is within the threshold "
                   "of its own cluster's kept document)",
                   e.cluster_a >= 0 ? "cluster " : "none ", e.cluster_a,
                   e.cluster_b >= 0 ? "cluster " : "none ", e.cluster_b);
        printf("\n");
    }
    if (r->explain_text[0] && r->explain_text[1]) {
        dp_doc *a = NULL, *b = NULL;
        dp_comparison *c = NULL;
        size_t p;
        if (dp_doc_create(r->explain_text[0], r->explain_len[0],
                          &r->dopts.text, &a, NULL) == DP_OK &&
            dp_doc_create(r->explain_text[1], r->explain_len[1],
                          &r->dopts.text, &b, NULL) == DP_OK &&
            dp_compare(a, b, NULL, &c) == DP_OK) {
            const char *ta = dp_doc_text(a, NULL);
            printf("\nshared passages    %zu\n", dp_comparison_passages(c));
            for (p = 0; p < dp_comparison_passages(c); p++) {
                const dp_passage *ps = dp_comparison_passage(c, p);
                size_t span = ps->a.end - ps->a.start;
                int len = (int)(span < 300 ? span : 300);
                printf("  %zu words  A %zu-%zu  B %zu-%zu\n    %.*s%s\n",
                       ps->words, ps->a.start, ps->a.end, ps->b.start,
                       ps->b.end, len, ta + ps->a.start,
                       (size_t)len < ps->a.end - ps->a.start ? " ..." : "");
            }
        }
        dp_comparison_free(c);
        dp_doc_free(a);
        dp_doc_free(b);
    }
    return EXIT_OK;
}

static void summary(run *r, double secs)
{
    dp_dedup_stats st;
    size_t skipped = cli_skipped_total(&r->sk);
    dp_dedup_stats_get(r->d, &st);
    if (r->json) {
        json_t *o = json_object(), *s = json_object();
        json_object_set_new(s, "malformed_json", json_integer((json_int_t)r->sk.json));
        json_object_set_new(s, "missing_field", json_integer((json_int_t)r->sk.field));
        json_object_set_new(s, "invalid_utf8", json_integer((json_int_t)r->sk.utf8));
        json_object_set_new(s, "binary", json_integer((json_int_t)r->sk.binary));
        json_object_set_new(s, "no_words", json_integer((json_int_t)r->sk.empty));
        json_object_set_new(s, "too_big", json_integer((json_int_t)r->sk.toobig));
        json_object_set_new(s, "unreadable", json_integer((json_int_t)(r->sk.io + r->sk.compress)));
        json_object_set_new(o, "records", json_integer((json_int_t)r->nrecords));
        json_object_set_new(o, "docs", json_integer((json_int_t)st.docs));
        json_object_set_new(o, "skipped", json_integer((json_int_t)skipped));
        json_object_set_new(o, "skipped_by_reason", s);
        json_object_set_new(o, "dup_ids", json_integer((json_int_t)st.dup_ids));
        json_object_set_new(o, "clusters", json_integer((json_int_t)st.clusters));
        json_object_set_new(o, "duplicates", json_integer((json_int_t)st.duplicates));
        json_object_set_new(o, "kept", json_integer((json_int_t)(st.docs - st.duplicates)));
        json_object_set_new(o, "candidates", json_integer((json_int_t)st.candidates));
        json_object_set_new(o, "verified", json_integer((json_int_t)st.verified));
        json_object_set_new(o, "threshold", json_real(r->dopts.threshold));
        json_object_set_new(o, "bands", json_integer(st.bands));
        json_object_set_new(o, "rows", json_integer(st.rows));
        json_object_set_new(o, "exact", json_boolean(st.exact));
        json_object_set_new(o, "threads", json_integer(r->dopts.threads));
        json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
        json_object_set_new(o, "seconds", json_real(secs));
        json_object_set_new(o, "memory_bytes", json_integer((json_int_t)st.memory));
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
        json_decref(o);
    }
    if (r->quiet)
        return;
    fprintf(stderr,
            "doppel dedup: %zu documents read (%.1f MB), %zu skipped", st.docs,
            r->bytes / 1e6, skipped);
    if (skipped)
        fprintf(stderr, " [malformed JSON %zu, missing field %zu, invalid "
                        "UTF-8 %zu, binary %zu, no words %zu, too big %zu, "
                        "unreadable %zu]",
                r->sk.json, r->sk.field, r->sk.utf8, r->sk.binary,
                r->sk.empty, r->sk.toobig, r->sk.io + r->sk.compress);
    fprintf(stderr, "\n  %zu duplicate ids; %zu clusters, %zu duplicates to "
                    "drop, %zu to keep\n",
            st.dup_ids, st.clusters, st.duplicates, st.docs - st.duplicates);
    fprintf(stderr, "  LSH %u bands x %u rows: %zu candidate pairs, %zu at "
                    "or above %.2f (%s Jaccard)\n",
            st.bands, st.rows, st.candidates, st.verified,
            r->dopts.threshold, st.exact ? "exact" : "estimated");
    fprintf(stderr, "  %.2f s, %.0f docs/s, %.1f MB/s, %u threads\n", secs,
            st.docs / (secs > 0 ? secs : 1), r->bytes / 1e6 / (secs > 0 ? secs : 1),
            r->dopts.threads);
}

static int parse_args(run *r, int argc, char **argv)
{
    int c;
    unsigned long v;
    cli_color prog = COLOR_AUTO;

    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", options, NULL)) != -1) {
        switch (c) {
        case OPT_THRESHOLD:
            if (cli_parse_double(optarg, 1e-6, 1.0, &r->dopts.threshold))
                return bad_value("threshold", optarg);
            break;
        case OPT_SHINGLE:
            if (cli_parse_uint(optarg, 64, &v) || v < 1)
                return bad_value("shingle", optarg);
            r->dopts.shingle_k = (unsigned)v;
            break;
        case OPT_PERMS:
            if (cli_parse_uint(optarg, 1024, &v) || v < 1)
                return bad_value("perms", optarg);
            r->dopts.perms = (unsigned)v;
            break;
        case OPT_BANDS:
            if (cli_parse_uint(optarg, 1024, &v) || v < 1)
                return bad_value("bands", optarg);
            r->dopts.bands = (unsigned)v;
            break;
        case OPT_ROWS:
            if (cli_parse_uint(optarg, 1024, &v) || v < 1)
                return bad_value("rows", optarg);
            r->dopts.rows = (unsigned)v;
            break;
        case OPT_WEIGHTS: {
            char *comma = strchr(optarg, ',');
            if (!comma)
                return bad_value("lsh-weights", optarg);
            *comma = '\0';
            if (cli_parse_double(optarg, 0, 1e6, &r->dopts.fp_weight) ||
                cli_parse_double(comma + 1, 0, 1e6, &r->dopts.fn_weight) ||
                r->dopts.fp_weight + r->dopts.fn_weight <= 0) {
                *comma = ',';
                return bad_value("lsh-weights", optarg);
            }
            break;
        }
        case OPT_VERIFY:
            if (strcmp(optarg, "auto") == 0)
                r->dopts.verify = DP_VERIFY_AUTO;
            else if (strcmp(optarg, "exact") == 0)
                r->dopts.verify = DP_VERIFY_EXACT;
            else if (strcmp(optarg, "estimate") == 0)
                r->dopts.verify = DP_VERIFY_ESTIMATE;
            else
                return bad_value("verify", optarg);
            break;
        case OPT_EXACT_MAX:
            if (cli_parse_uint(optarg, (unsigned long)1 << 31, &v))
                return bad_value("exact-max", optarg);
            r->dopts.exact_max_docs = v;
            break;
        case OPT_KEEP:
            if (strcmp(optarg, "first") == 0)
                r->dopts.keep = DP_KEEP_FIRST;
            else if (strcmp(optarg, "longest") == 0)
                r->dopts.keep = DP_KEEP_LONGEST;
            else if (strcmp(optarg, "earliest") == 0)
                r->dopts.keep = DP_KEEP_EARLIEST;
            else
                return bad_value("keep", optarg);
            break;
        case OPT_THREADS:
            if (cli_parse_uint(optarg, 256, &v) || v < 1)
                return bad_value("threads", optarg);
            r->dopts.threads = (unsigned)v;
            break;
        case OPT_ID_FIELD: r->ropts.id_field = optarg; break;
        case OPT_TEXT_FIELD: r->ropts.text_field = optarg; break;
        case OPT_DATE_FIELD: r->ropts.date_field = optarg; break;
        case OPT_UTF8:
            if (strcmp(optarg, "reject") == 0)
                r->ropts.utf8 = r->dopts.text.utf8 = DP_UTF8_REJECT;
            else if (strcmp(optarg, "replace") == 0)
                r->ropts.utf8 = r->dopts.text.utf8 = DP_UTF8_REPLACE;
            else
                return bad_value("invalid-utf8", optarg);
            break;
        case OPT_STRICT: r->strict = 1; break;
        case OPT_CLUSTERS: r->clusters_path = optarg; break;
        case OPT_KEEP_IDS: r->keep_path = optarg; break;
        case OPT_DROP_IDS: r->drop_path = optarg; break;
        case OPT_OUTPUT: r->output_path = optarg; break;
        case OPT_JSON: r->json = 1; break;
        case OPT_EXPLAIN:
            if (optind >= argc)
                return bad_value("explain", "(needs two ids)");
            r->explain[0] = optarg;
            r->explain[1] = argv[optind++];
            break;
        case OPT_PROGRESS:
            if (cli_color_parse(optarg, &prog))
                return bad_value("progress", optarg);
            break;
        case 'q': r->quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default:
            fputs("try: doppel dedup --help\n", stderr);
            return EXIT_USAGE;
        }
    }
    if ((r->dopts.bands == 0) != (r->dopts.rows == 0)) {
        fputs("doppel dedup: --bands and --rows go together\n", stderr);
        return EXIT_USAGE;
    }
    if ((unsigned long)r->dopts.bands * r->dopts.rows > r->dopts.perms) {
        fputs("doppel dedup: --bands x --rows exceeds --perms\n", stderr);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fputs("doppel dedup: no input given (use - for stdin)\n", stderr);
        return EXIT_USAGE;
    }
    r->inputs = argv + optind;
    r->ninputs = (size_t)(argc - optind);
    r->progress = cli_use_color(prog, stderr) && !r->quiet;
    return EXIT_OK;
}

int cmd_dedup(int argc, char **argv)
{
    run r;
    int ex;
    size_t i;
    dp_status rc;
    double t0;

    memset(&r, 0, sizeof r);
    dp_dedup_opts_init(&r.dopts);
    dp_reader_opts_init(&r.ropts);
    ex = parse_args(&r, argc, argv);
    if (ex)
        return ex < 0 ? EXIT_OK : ex;
    if ((rc = dp_dedup_create(&r.dopts, &r.d))) {
        fprintf(stderr, "doppel dedup: %s\n", dp_strerror(rc));
        return rc == DP_ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
    }
    r.dopts.threads = r.dopts.threads ? r.dopts.threads
                                      : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    /* JSON parsing (jansson) runs ahead on the reader's own threads while
     * the previous batch is being signed. */
    r.ropts.threads = r.dopts.threads;
    r.batch = malloc(BATCH_DOCS * sizeof *r.batch);
    r.batch_rec = malloc(BATCH_DOCS * sizeof *r.batch_rec);
    r.status = malloc(BATCH_DOCS * sizeof *r.status);
    if (!r.batch || !r.batch_rec || !r.status) {
        ex = EXIT_INTERNAL;
        goto done;
    }
    t0 = r.t0 = cli_now();
    if (r.output_path)
        for (i = 0; i < r.ninputs; i++)
            if (strcmp(r.inputs[i], "-") == 0 && !r.spool &&
                (ex = spool_stdin(&r)) != EXIT_OK)
                goto done;
    if (r.spool) {
        /* Pass 1 reads the spooled copy too. */
        for (i = 0; i < r.ninputs; i++)
            if (strcmp(r.inputs[i], "-") == 0)
                r.inputs[i] = r.spool;
    }
    if ((ex = read_all(&r)) != EXIT_OK)
        goto done;
    if ((rc = dp_dedup_run(r.d))) {
        fprintf(stderr, "doppel dedup: %s\n", dp_strerror(rc));
        ex = EXIT_INTERNAL;
        goto done;
    }
    summary(&r, cli_now() - t0);
    if (r.clusters_path) {
        FILE *f = open_out(r.clusters_path);
        if (!f) {
            ex = EXIT_FILE;
            goto done;
        }
        write_clusters(&r, f, 1);
        if ((ex = close_out(f, r.clusters_path)))
            goto done;
    }
    if (r.keep_path && (ex = write_ids(&r, r.keep_path, 0)))
        goto done;
    if (r.drop_path && (ex = write_ids(&r, r.drop_path, 1)))
        goto done;
    if (r.output_path && (ex = write_output(&r)))
        goto done;
    if (r.explain[0])
        ex = explain(&r);
    else if (!r.json && !r.clusters_path)
        write_clusters(&r, stdout, 0);
done:
    if (r.spool) {
        unlink(r.spool);
        free(r.spool);
    }
    free(r.explain_text[0]);
    free(r.explain_text[1]);
    free(r.batch);
    free(r.batch_rec);
    free(r.status);
    free(r.arena);
    free(r.doc_of);
    dp_dedup_free(r.d);
    return ex;
}
