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
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
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
    "per line), CSV/TSV with a header row (.csv/.tsv: columns named like\n"
    "JSONL fields), any of them .gz or .zst compressed, or - for stdin.\n"
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
    "  --keep POLICY       which member of a cluster is kept: first\n"
    "                      (default: the first read, i.e. input order:\n"
    "                      INPUTs in the order given, a directory walked\n"
    "                      depth first with the entries of each directory\n"
    "                      in byte order of their names (for plain files:\n"
    "                      path order), JSONL in line order), longest\n"
    "                      (most words; ties: first), or\n"
    "                      earliest (by the date field; undated documents\n"
    "                      come last; with no date at all: input order,\n"
    "                      and a warning)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "\n"
    "input:\n"
    "  --id-field F        JSONL id field (default id)\n"
    "  --text-field F      JSONL text field (default text)\n"
    "  --date-field F      JSONL date field for --keep earliest (default "
    "date)\n"
    "  --invalid-utf8 MODE reject (default) or replace, for text files\n"
    "  --strict            stop at the first bad record (exit 3 or 4)\n"
    "  A later record with an id already read is reported and skipped:\n"
    "  the first one wins.\n"
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
    "stdout: the readable clusters, only when none of --clusters,\n"
    "--keep-ids, --drop-ids, --output, --json, --explain is given; else\n"
    "just what those put there (--json, --explain, or FILE -).\n"
    "Exit codes: 0 done (bad records skipped and counted); 2 usage; 3 an\n"
    "input could not be read (the other inputs are still processed and\n"
    "every output written); with --strict, 3 or 4 at the first bad record;\n"
    "5 internal. The table for every command: doppel(1).\n";

static const char synopsis[] = "doppel dedup [options] INPUT...";

enum {
    OPT_THRESHOLD = 256,
    OPT_SHINGLE,
    OPT_PERMS,
    OPT_BANDS,
    OPT_ROWS,
    OPT_WEIGHTS,
    OPT_VERIFY,
    OPT_EXACT_MAX,
    OPT_KEEP,
    OPT_THREADS,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_DATE_FIELD,
    OPT_UTF8,
    OPT_STRICT,
    OPT_CLUSTERS,
    OPT_KEEP_IDS,
    OPT_DROP_IDS,
    OPT_OUTPUT,
    OPT_JSON,
    OPT_EXPLAIN,
    OPT_PROGRESS
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

#define BATCH_DOCS  4096
#define BATCH_BYTES ((size_t)32 << 20)

typedef struct run {
    dp_dedup_opts dopts;
    dp_reader_opts ropts;
    const char *clusters_path, *keep_path, *drop_path, *output_path;
    const char *explain[2];
    int json, strict, quiet, progress;
    char **inputs;
    size_t ninputs;
    char *spool; /* temporary copy of stdin for pass 2 */

    dp_dedup *d;
    int32_t *doc_of; /* record number -> document number, or -1 */
    size_t nrecords, cap_records;
    /* where each document was read: an index into srcs, and its line (0
     * for a whole-file document) */
    uint32_t *doc_src;
    uint64_t *doc_line;
    size_t cap_docs, cap_docs2;
    char **srcs; /* the inputs records came from, in order */
    size_t nsrcs, cap_srcs;
    size_t dated;   /* records with a date field */
    int unreadable; /* an input could not be read: exit 3 */
    cli_skips sk;
    size_t bytes; /* text bytes read */
    char *explain_text[2];
    size_t explain_len[2];

    /* the current batch: copies of the records */
    dp_dedup_doc *batch;
    size_t *batch_rec;   /* record number of each batch entry */
    uint32_t *batch_src; /* its source (index into srcs) and line */
    uint64_t *batch_line;
    uint32_t *batch_ids; /* open addressing over the batch's ids: entry
                            number + 1, 0 for an empty slot */
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

#define ID_SLOTS (2 * BATCH_DOCS) /* a power of two */

static uint32_t id_hash(const char *id, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    return h;
}

/* The slot of @id in the batch's id table: holding it, or the empty one
 * where it would go. */
static uint32_t *batch_slot(run *r, const char *id, size_t n)
{
    uint32_t i = id_hash(id, n) & (ID_SLOTS - 1);
    for (;; i = (i + 1) & (ID_SLOTS - 1)) {
        uint32_t e = r->batch_ids[i];
        const dp_dedup_doc *b;
        if (!e)
            return &r->batch_ids[i];
        b = &r->batch[e - 1];
        if (b->id_len == n && memcmp(r->arena + (uintptr_t)b->id, id, n) == 0)
            return &r->batch_ids[i];
    }
}

/* The index in srcs of @path, the input of the record just read. */
static int source_of(run *r, const char *path, uint32_t *out)
{
    if (r->nsrcs && strcmp(r->srcs[r->nsrcs - 1], path) == 0) {
        *out = (uint32_t)(r->nsrcs - 1);
        return 0;
    }
    if (r->nsrcs >= UINT32_MAX || cli_grow((void **)&r->srcs, &r->cap_srcs,
                                           r->nsrcs + 1, sizeof *r->srcs))
        return -1;
    if (!(r->srcs[r->nsrcs] = strdup(path)))
        return -1;
    *out = (uint32_t)r->nsrcs++;
    return 0;
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
    if (rc)
        return cli_fail("dedup", NULL, 0, rc, NULL, 0, NULL);
    if (cli_grow((void **)&r->doc_src, &r->cap_docs, before + r->nbatch,
                 sizeof *r->doc_src) ||
        cli_grow((void **)&r->doc_line, &r->cap_docs2, before + r->nbatch,
                 sizeof *r->doc_line))
        return cli_fail("dedup", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    for (i = 0; i < r->nbatch; i++) {
        const char *src = r->srcs[r->batch_src[i]];
        int code;
        if (r->status[i] == DP_OK) {
            r->doc_src[before] = r->batch_src[i];
            r->doc_line[before] = r->batch_line[i];
            r->doc_of[r->batch_rec[i]] = (int32_t)before++;
            continue;
        }
        /* A whole-file document's id is its path: not said twice. */
        code = cli_refused("dedup", src, r->batch_line[i], r->batch[i].id,
                           r->status[i], &r->sk);
        if (r->strict)
            return code;
    }
    r->nbatch = 0;
    r->arena_len = 0;
    memset(r->batch_ids, 0, ID_SLOTS * sizeof *r->batch_ids);
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

static int add_record(run *r, const dp_record *rec, uint32_t src, uint64_t line)
{
    size_t need = rec->id_len + rec->text_len + rec->date_len + 3, k;
    size_t id_off, text_off, date_off = 0;
    int rc;

    if (r->nbatch == BATCH_DOCS ||
        (r->nbatch && r->arena_len + need > BATCH_BYTES)) {
        if ((rc = sign_batch(r)))
            return rc;
    }
    if (cli_grow((void **)&r->arena, &r->arena_cap, r->arena_len + need, 1))
        return cli_fail("dedup", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
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
    r->batch[r->nbatch].date =
        rec->date ? (const char *)(uintptr_t)date_off : NULL;
    r->batch[r->nbatch].date_len = rec->date_len;
    r->batch_rec[r->nbatch] = r->nrecords - 1;
    r->batch_src[r->nbatch] = src;
    r->batch_line[r->nbatch] = line;
    r->nbatch++;
    *batch_slot(r, rec->id, rec->id_len) = (uint32_t)r->nbatch;
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

/* Copy standard input to a temporary file, so pass 2 can read it again. */
static int spool_stdin(run *r)
{
    char path[] = "/tmp/doppel-stdin.XXXXXX";
    char buf[1 << 16];
    ssize_t n;
    int fd = mkstemp(path);
    if (fd < 0) {
        cli_msg("dedup", "(stdin)", 0, "cannot copy to %s for --output: %s",
                path, strerror(errno));
        return cli_exit_of(DP_EIO);
    }
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) != n) {
            cli_msg("dedup", "(stdin)", 0, "cannot copy to %s for --output: %s",
                    path, strerror(errno));
            close(fd);
            unlink(path);
            return cli_exit_of(DP_EIO);
        }
    }
    close(fd);
    r->spool = strdup(path);
    return r->spool ? EXIT_OK : EXIT_INTERNAL;
}

/*
 * "First wins": is @rec's id one a record read before already holds? Then
 * say so (with where the first one was) and return 1. A first record that
 * is still in the batch is signed first, so that one the library refuses
 * (no words, say) leaves the id to the next record that has it.
 */
static int repeated_id(run *r, const dp_record *rec, const char *src,
                       uint64_t line, int *ex)
{
    long first;
    *ex = EXIT_OK;
    if (*batch_slot(r, rec->id, rec->id_len) && (*ex = sign_batch(r)))
        return 0;
    first = dp_dedup_find(r->d, rec->id, rec->id_len);
    if (first < 0)
        return 0;
    if (r->doc_line[first])
        cli_msg("dedup", src, line,
                "duplicate id '%s' (first at %s:%" PRIu64 "), skipped", rec->id,
                r->srcs[r->doc_src[first]], r->doc_line[first]);
    else
        cli_msg("dedup", src, line, "duplicate id '%s' (first at %s), skipped",
                rec->id, r->srcs[r->doc_src[first]]);
    r->sk.dupid++;
    if (r->strict)
        *ex = EXIT_INPUT;
    return 1;
}

/* A bad record still has a number: pass 2 walks the same records. */
static int bad_record(void *ctx, dp_status st)
{
    (void)st;
    return note_record(ctx, -1) ? EXIT_INTERNAL : EXIT_OK;
}

/* One good record of pass 1: numbered, checked for its id, batched. */
static int read_record(void *ctx, dp_reader *rd, const dp_record *rec,
                       uint64_t line)
{
    run *r = ctx;
    uint32_t src;
    int ex = EXIT_OK;

    (void)rd;
    if (note_record(r, -1) || source_of(r, rec->source, &src))
        return cli_fail("dedup", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    if (repeated_id(r, rec, r->srcs[src], line, &ex))
        return ex;
    if (ex)
        return ex;
    r->bytes += rec->text_len;
    r->dated += rec->date != NULL;
    return add_record(r, rec, src, line);
}

/* Pass 1: read every input into the collection. */
static int read_all(run *r)
{
    cli_corpus_opts o;
    cli_corpus_stats st;
    int ex;

    cli_corpus_opts_init(&o);
    o.reader = r->ropts;
    o.strict = r->strict;
    o.progress = r->progress;
    o.on_bad = bad_record;
    ex = cli_corpus_read("dedup", r->inputs, r->ninputs, &o, read_record, r,
                         &st);
    /* the reader's refusals, beside the library's and the repeated ids
     * counted while reading */
    cli_skips_add(&r->sk, &st.skips);
    r->unreadable = st.unreadable;
    if (ex == EXIT_OK)
        ex = sign_batch(r);
    return ex;
}

static FILE *open_out(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        cli_msg("dedup", path, 0, "cannot write: %s", strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad)
        return cli_fail("dedup", path, 0, DP_EIO, NULL, 0, NULL);
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
                json_object_set_new(
                    e, "similarity",
                    json_real(((int)(sim[k] * 10000 + 0.5)) / 10000.0));
                json_array_append_new(arr, e);
            }
            json_object_set_new(o, "cluster", json_integer((json_int_t)c));
            json_object_set_new(o, "kept",
                                json_string(dp_dedup_id(r->d, m[0], NULL)));
            json_object_set_new(o, "size", json_integer((json_int_t)n));
            json_object_set_new(o, "members", arr);
            json_dumpf(o, f,
                       JSON_COMPACT | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(6));
            fputc('\n', f);
            json_decref(o);
        } else {
            fprintf(f, "cluster %zu: %zu document%s, keep %s\n", c, n, cli_s(n),
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
    if ((rc = dp_reader_open((const char *const *)r->inputs, r->ninputs,
                             &r->ropts, &rd, &err))) {
        close_out(f, r->output_path);
        return cli_fail("dedup", NULL, 0, rc, &err, 0, NULL);
    }
    while ((rc = dp_reader_next(rd, &rec, &err)) != DP_EOF && k < r->nrecords) {
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
            json_dumpf(o, f,
                       JSON_COMPACT | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(6));
            json_decref(o);
        }
        fputc('\n', f);
    }
    dp_reader_free(rd);
    return close_out(f, r->output_path);
}

/* Print @x with the fewest decimals (4 to 8) that tell it apart from
 * @y, so that "0.7999 < 0.8000" never reads "0.8000 < 0.8000". */
static int decimals(double x, double y)
{
    int k;
    char a[32], b[32];
    for (k = 4; k < 8; k++) {
        snprintf(a, sizeof a, "%.*f", k, x);
        snprintf(b, sizeof b, "%.*f", k, y);
        if (strcmp(a, b) != 0 || x == y)
            break;
    }
    return k;
}

/* Where document @i stands in the clusters, for --explain: "the kept
 * document of cluster 3", "in cluster 3, kept document 'K' (Jaccard
 * 0.9100 to it)" or "in no cluster". */
static void put_standing(run *r, const char *label, size_t i)
{
    long c = dp_dedup_cluster_of(r->d, i);
    const uint32_t *m;
    const float *sim;
    size_t n, k;
    if (c < 0) {
        printf("  %s is in no cluster (no document within the threshold "
               "of it was kept)\n",
               label);
        return;
    }
    dp_dedup_cluster(r->d, (size_t)c, &m, &sim, &n);
    if (m[0] == i) {
        printf("  %s is the kept document of cluster %ld (%zu document%s)\n",
               label, c, n, cli_s(n));
        return;
    }
    for (k = 1; k < n && m[k] != i; k++)
        ;
    printf("  %s is in cluster %ld, whose kept document is '%s' (Jaccard "
           "%.4f to it)\n",
           label, c, dp_dedup_id(r->d, m[0], NULL), k < n ? sim[k] : 0.0);
}

static int explain(run *r)
{
    long i = dp_dedup_find(r->d, r->explain[0], strlen(r->explain[0]));
    long j = dp_dedup_find(r->d, r->explain[1], strlen(r->explain[1]));
    dp_dedup_explain e;
    dp_dedup_stats st;
    double score, t = r->dopts.threshold, p;
    int k;

    for (k = 0; k < 2; k++)
        if ((k ? j : i) < 0) {
            cli_msg("dedup", NULL, 0,
                    "--explain: no document with id '%s' was read",
                    r->explain[k]);
            return cli_exit_of(DP_ENOTFOUND);
        }
    dp_dedup_explain_pair(r->d, (size_t)i, (size_t)j, &e);
    dp_dedup_stats_get(r->d, &st);
    /* the score the run decided with */
    score = st.exact && e.exact >= 0 ? e.exact : e.estimated;
    p = 1.0 - pow(1.0 - pow(score, st.rows), st.bands);
    printf("A  %s\nB  %s\n\n", r->explain[0], r->explain[1]);
    printf("estimated Jaccard  %.4f  (%u-permutation MinHash signatures)\n",
           e.estimated, r->dopts.perms);
    if (e.exact >= 0)
        printf("exact Jaccard      %.4f  (%u-word shingle sets)\n", e.exact,
               r->dopts.shingle_k);
    else
        printf("exact Jaccard      not kept (estimate verification)\n");
    printf("threshold          %.4f  (pairs are verified with the %s "
           "Jaccard)\n",
           t, st.exact ? "exact" : "estimated");
    printf("LSH bands shared   %u of %u (%u rows each): %s\n", e.bands_shared,
           e.bands, st.rows,
           e.bands_shared ? "a candidate pair, verified"
                          : "never a candidate pair");
    if (e.grouped) {
        const uint32_t *m;
        size_t n;
        dp_dedup_cluster(r->d, (size_t)e.cluster_a, &m, NULL, &n);
        printf("grouped            yes: cluster %ld (%zu document%s, keep "
               "%s)\n",
               e.cluster_a, n, cli_s(n), dp_dedup_id(r->d, m[0], NULL));
        put_standing(r, "A", (size_t)i);
        put_standing(r, "B", (size_t)j);
    } else if (score < t) {
        k = decimals(score, t);
        printf("grouped            no: their %s Jaccard %.*f is below the "
               "threshold %.*f\n",
               st.exact ? "exact" : "estimated", k, score, k, t);
    } else if (!e.bands_shared) {
        printf("grouped            no: their Jaccard %.4f reaches the "
               "threshold %.4f, but they share no LSH band key, so they were "
               "never compared (an LSH miss: a pair at %.4f shares one with "
               "probability %.4f; more --bands or fewer --rows miss less)\n",
               score, t, score, p);
    } else {
        printf("grouped            no: their Jaccard %.4f reaches the "
               "threshold %.4f, but clusters are stars around a kept "
               "document, never chains: two documents are grouped only when "
               "one is the other's kept document or both are within the "
               "threshold of the same kept document\n",
               score, t);
        put_standing(r, "A", (size_t)i);
        put_standing(r, "B", (size_t)j);
    }
    if (r->explain_text[0] && r->explain_text[1]) {
        dp_doc *a = NULL, *b = NULL;
        dp_comparison *c = NULL;
        size_t p;
        if (dp_doc_create(r->explain_text[0], r->explain_len[0], &r->dopts.text,
                          &a, NULL) == DP_OK &&
            dp_doc_create(r->explain_text[1], r->explain_len[1], &r->dopts.text,
                          &b, NULL) == DP_OK &&
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
    char why[256];
    dp_dedup_stats_get(r->d, &st);
    if (r->json) {
        json_t *o = json_object(), *s = json_object();
        json_object_set_new(s, "malformed_json",
                            json_integer((json_int_t)r->sk.json));
        json_object_set_new(s, "missing_field",
                            json_integer((json_int_t)r->sk.field));
        json_object_set_new(s, "invalid_utf8",
                            json_integer((json_int_t)r->sk.utf8));
        json_object_set_new(s, "binary",
                            json_integer((json_int_t)r->sk.binary));
        json_object_set_new(s, "no_words",
                            json_integer((json_int_t)r->sk.empty));
        json_object_set_new(s, "too_big",
                            json_integer((json_int_t)r->sk.toobig));
        json_object_set_new(
            s, "unreadable",
            json_integer((json_int_t)(r->sk.io + r->sk.compress)));
        json_object_set_new(s, "duplicate_id",
                            json_integer((json_int_t)r->sk.dupid));
        json_object_set_new(o, "records",
                            json_integer((json_int_t)r->nrecords));
        json_object_set_new(o, "docs", json_integer((json_int_t)st.docs));
        json_object_set_new(o, "skipped", json_integer((json_int_t)skipped));
        json_object_set_new(o, "skipped_by_reason", s);
        json_object_set_new(o, "dup_ids",
                            json_integer((json_int_t)r->sk.dupid));
        json_object_set_new(o, "clusters",
                            json_integer((json_int_t)st.clusters));
        json_object_set_new(o, "duplicates",
                            json_integer((json_int_t)st.duplicates));
        json_object_set_new(
            o, "kept", json_integer((json_int_t)(st.docs - st.duplicates)));
        json_object_set_new(o, "candidates",
                            json_integer((json_int_t)st.candidates));
        json_object_set_new(o, "verified",
                            json_integer((json_int_t)st.verified));
        json_object_set_new(o, "threshold", json_real(r->dopts.threshold));
        json_object_set_new(o, "bands", json_integer(st.bands));
        json_object_set_new(o, "rows", json_integer(st.rows));
        json_object_set_new(o, "exact", json_boolean(st.exact));
        json_object_set_new(o, "threads", json_integer(r->dopts.threads));
        json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
        json_object_set_new(o, "seconds", json_real(secs));
        json_object_set_new(o, "memory_bytes",
                            json_integer((json_int_t)st.memory));
        json_dumpf(o, stdout,
                   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
        json_decref(o);
    }
    if (r->quiet)
        return;
    cli_skips_line(&r->sk, why, sizeof why);
    cli_msg("dedup", NULL, 0, "%zu document%s read (%.1f MB), %zu skipped%s",
            st.docs, cli_s(st.docs), r->bytes / 1e6, skipped, why);
    fprintf(stderr,
            "  %zu duplicate id%s; %zu cluster%s, %zu duplicate%s to drop, "
            "%zu to keep\n",
            r->sk.dupid, cli_s(r->sk.dupid), st.clusters, cli_s(st.clusters),
            st.duplicates, cli_s(st.duplicates), st.docs - st.duplicates);
    fprintf(stderr,
            "  LSH %u band%s x %u row%s: %zu candidate pair%s, %zu at or "
            "above %.2f (%s Jaccard)\n",
            st.bands, cli_s(st.bands), st.rows, cli_s(st.rows), st.candidates,
            cli_s(st.candidates), st.verified, r->dopts.threshold,
            st.exact ? "exact" : "estimated");
    fprintf(stderr, "  %.2f s, %.0f docs/s, %.1f MB/s, %u thread%s\n", secs,
            st.docs / (secs > 0 ? secs : 1),
            r->bytes / 1e6 / (secs > 0 ? secs : 1), r->dopts.threads,
            cli_s(r->dopts.threads));
    fputs(cli_skips_hint(&r->sk), stderr);
}

/*
 * The command line into @r. Returns EXIT_OK to go on, -1 after --help,
 * else the exit code of a usage error. Long because it is one case per
 * option, read straight down.
 */
static int parse_args(run *r, int argc, char **argv)
{
    int c;
    unsigned long v;
    cli_color prog = COLOR_AUTO;

    argv[0] = (char *)"doppel dedup"; /* getopt's messages */
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
            if (cli_parse_utf8(optarg, &r->ropts.utf8))
                return bad_value("invalid-utf8", optarg);
            r->dopts.text.utf8 = r->ropts.utf8;
            break;
        case OPT_STRICT: r->strict = 1; break;
        case OPT_CLUSTERS: r->clusters_path = optarg; break;
        case OPT_KEEP_IDS: r->keep_path = optarg; break;
        case OPT_DROP_IDS: r->drop_path = optarg; break;
        case OPT_OUTPUT: r->output_path = optarg; break;
        case OPT_JSON: r->json = 1; break;
        case OPT_EXPLAIN:
            if (optind >= argc || strncmp(argv[optind], "--", 2) == 0)
                return cli_usage_error("dedup",
                                       "doppel dedup --explain ID1 ID2 "
                                       "[options] INPUT...",
                                       "--explain needs two ids, got one "
                                       "('%s')",
                                       optarg);
            r->explain[0] = optarg;
            r->explain[1] = argv[optind++];
            break;
        case OPT_PROGRESS:
            if (cli_color_parse(optarg, &prog))
                return bad_value("progress", optarg);
            break;
        case 'q': r->quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: cli_try_help("dedup"); return EXIT_USAGE;
        }
    }
    if ((r->dopts.bands == 0) != (r->dopts.rows == 0))
        return cli_usage_error("dedup", synopsis,
                               "--bands and --rows go together");
    if ((unsigned long)r->dopts.bands * r->dopts.rows > r->dopts.perms)
        return cli_usage_error("dedup", synopsis,
                               "--bands x --rows exceeds --perms");
    if (optind >= argc)
        return cli_usage_error("dedup", synopsis,
                               "no INPUT given (use - for stdin)");
    r->inputs = argv + optind;
    r->ninputs = (size_t)(argc - optind);
    r->progress = cli_use_color(prog, stderr) && !r->quiet;
    return EXIT_OK;
}

/* --keep earliest without dates: say what the clusters keep instead. */
static void warn_undated(const run *r)
{
    size_t n = dp_dedup_docs(r->d);
    const char *f = r->ropts.date_field ? r->ropts.date_field : "date";

    if (r->dopts.keep != DP_KEEP_EARLIEST || n == 0 || r->dated >= n)
        return;
    if (r->dated == 0)
        cli_msg("dedup", NULL, 0,
                "warning: --keep earliest, but no record has a '%s' "
                "field (--date-field): each cluster keeps its first "
                "document in input order, as --keep first",
                f);
    else
        cli_msg("dedup", NULL, 0,
                "warning: --keep earliest: %zu of %zu documents have no "
                "'%s' field; they are kept only when no member of "
                "their cluster has a date",
                n - r->dated, n, f);
}

/* Every output the options ask for; the readable clusters on stdout when
 * none is asked for. Returns the exit code. */
static int write_outputs(run *r)
{
    int ex;

    if (r->clusters_path) {
        FILE *f = open_out(r->clusters_path);
        if (!f)
            return EXIT_FILE;
        write_clusters(r, f, 1);
        if ((ex = close_out(f, r->clusters_path)))
            return ex;
    }
    if (r->keep_path && (ex = write_ids(r, r->keep_path, 0)))
        return ex;
    if (r->drop_path && (ex = write_ids(r, r->drop_path, 1)))
        return ex;
    if (r->output_path && (ex = write_output(r)))
        return ex;
    if (r->explain[0])
        return explain(r);
    if (!r->json && !r->clusters_path && !r->keep_path && !r->drop_path &&
        !r->output_path)
        write_clusters(r, stdout, 0);
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
    if ((rc = dp_dedup_create(&r.dopts, &r.d)))
        return cli_fail("dedup", NULL, 0, rc, NULL, 0, NULL);
    r.dopts.threads = r.dopts.threads ? r.dopts.threads
                                      : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    /* JSON parsing (jansson) runs ahead on the reader's own threads while
     * the previous batch is being signed. */
    r.ropts.threads = r.dopts.threads;
    r.batch = malloc(BATCH_DOCS * sizeof *r.batch);
    r.batch_rec = malloc(BATCH_DOCS * sizeof *r.batch_rec);
    r.status = malloc(BATCH_DOCS * sizeof *r.status);
    r.batch_src = malloc(BATCH_DOCS * sizeof *r.batch_src);
    r.batch_line = malloc(BATCH_DOCS * sizeof *r.batch_line);
    r.batch_ids = calloc(ID_SLOTS, sizeof *r.batch_ids);
    if (!r.batch || !r.batch_rec || !r.status || !r.batch_src ||
        !r.batch_line || !r.batch_ids) {
        ex = cli_fail("dedup", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
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
        ex = cli_fail("dedup", NULL, 0, rc, NULL, 0, NULL);
        goto done;
    }
    warn_undated(&r);
    summary(&r, cli_now() - t0);
    ex = write_outputs(&r);
    /* every output is written; an input that could not be read still
     * fails the run */
    if (!ex && r.unreadable)
        ex = EXIT_FILE;
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
    free(r.doc_src);
    free(r.doc_line);
    free(r.batch_src);
    free(r.batch_line);
    free(r.batch_ids);
    for (i = 0; i < r.nsrcs; i++)
        free(r.srcs[i]);
    free(r.srcs);
    dp_dedup_free(r.d);
    return ex;
}
