/*
 * cmd_index.c - `doppel index`: create, fill and query a persistent index
 * (create, add, remove, get, query, list, stats, check, compact).
 *
 * `add` streams its inputs through a dp_reader exactly as `doppel dedup`
 * does (bad records reported with file and line, counted, skipped), keeps
 * the JSONL fields other than id and text as the document's metadata, and
 * hands batches (--batch, 1000 by default) to dp_index_add(): one
 * transaction each, so a crash keeps whole batches. Layout, crash safety
 * and the JSON shapes: docs/index.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel index COMMAND DB [options] [args]\n"
    "\n"
    "A persistent, incremental, crash-safe index of documents (LMDB, in\n"
    "the directory DB) that answers \"what is already indexed that is\n"
    "similar to this?\". Details: docs/index.md.\n"
    "\n"
    "commands:\n"
    "  create DB             create an empty index with the parameters below\n"
    "  add DB INPUT...       add documents (files, directories, JSONL, CSV,\n"
    "                        TSV, .gz, .zst, - for stdin); an id already\n"
    "                        indexed is replaced. Creates DB when missing\n"
    "  remove DB ID...       remove documents by id\n"
    "  get DB ID             one document's metadata (and --text)\n"
    "  query DB [FILE|-]     indexed documents similar to FILE (stdin when\n"
    "                        omitted or -), or to an indexed one with --id\n"
    "  list DB               ids in the order they were added\n"
    "  stats DB              counts, sizes and parameters\n"
    "  check DB              verify every table; exit 4 on damage\n"
    "  compact DB            rewrite without free pages (needs DB alone)\n"
    "\n"
    "index parameters (create, add; on an existing index they must match):\n"
    "  --threshold T         Jaccard threshold the LSH banding is tuned to,\n"
    "                        and the default for queries and --dedup (0.8)\n"
    "  --shingle K           words per shingle (5)\n"
    "  --perms N             MinHash permutations (128)\n"
    "  --bands B --rows R    LSH banding by hand (default: as dedup)\n"
    "  --store-text          keep the texts (needed for --passages)\n"
    "  --no-sets             keep no shingle sets: scores are MinHash\n"
    "                        estimates (smaller index)\n"
    "  --map-size SIZE       initial map size (64M; K, M, G suffixes)\n"
    "  --map-max SIZE        never grow the map past SIZE (default: no limit)\n"
    "\n"
    "add:\n"
    "  --batch N             documents per transaction (1000)\n"
    "  --dedup               report, for each document, a near-duplicate\n"
    "                        already indexed (its best match)\n"
    "  --skip-duplicates     as --dedup, and do not add those documents\n"
    "  --dedup-threshold T   duplicate at or above T (the index's threshold;\n"
    "                        lower ones are found only by luck: a warning)\n"
    "  --threads N           signature threads (default: all cores)\n"
    "  --id-field F, --text-field F   JSONL fields / CSV columns (id, text)\n"
    "  --no-meta             do not keep the other fields as metadata\n"
    "  --invalid-utf8 MODE   reject (default) or replace (add and query)\n"
    "  --strict              stop at the first bad record (exit 3 or 4);\n"
    "                        without it bad records are reported as\n"
    "                        PATH:LINE, counted and skipped, and an input\n"
    "                        that cannot be read makes the run exit 3 after\n"
    "                        the other inputs are added\n"
    "  --progress WHEN       auto (default: on a terminal), always, never\n"
    "\n"
    "query:\n"
    "  --id ID               query with an indexed document\n"
    "  --threshold T         report hits scoring at least T (default: the\n"
    "                        index's threshold; below it hits are found only\n"
    "                        by luck, so a warning says how to build an\n"
    "                        index for T)\n"
    "  --limit N             at most N hits, the best (default: all)\n"
    "  --passages            the shared passages too (needs --store-text)\n"
    "  --idf FILE            each hit's same-story score too, weighed by\n"
    "                        this background table (doppel idf build;\n"
    "                        needs --store-text)\n"
    "\n"
    "get:\n"
    "  --text                the stored text too (needs --store-text)\n"
    "\n"
    "all:\n"
    "  --json                JSON output (docs/index.md)\n"
    "  -q, --quiet           no summary on stderr\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit codes: 0 ok (bad records skipped and counted); 1 no such id (get,\n"
    "remove, query --id); 2 usage, parameters that do not match the index,\n"
    "or create on an existing one; 3 an input or the index cannot be read or\n"
    "written (missing, unreadable, full, busy; add reads the other inputs\n"
    "first); 4 a bad record with --strict, or a damaged index (check); 5\n"
    "internal error. The table for every command: doppel(1).\n";

static const char synopsis[] = "doppel index COMMAND DB [options] [args]";

/* argv[0] while parsing options: "doppel index SUB". */
static char cmdname_full[40];

enum {
    OPT_THRESHOLD = 256,
    OPT_SHINGLE,
    OPT_PERMS,
    OPT_BANDS,
    OPT_ROWS,
    OPT_STORE_TEXT,
    OPT_NO_SETS,
    OPT_MAP_SIZE,
    OPT_MAP_MAX,
    OPT_BATCH,
    OPT_DEDUP,
    OPT_SKIP_DUPS,
    OPT_DEDUP_THRESHOLD,
    OPT_THREADS,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_NO_META,
    OPT_UTF8,
    OPT_STRICT,
    OPT_PROGRESS,
    OPT_ID,
    OPT_LIMIT,
    OPT_PASSAGES,
    OPT_IDF,
    OPT_JSON,
    OPT_TEXT
};

static const struct option options[] = {
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"perms", required_argument, NULL, OPT_PERMS},
    {"bands", required_argument, NULL, OPT_BANDS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"store-text", no_argument, NULL, OPT_STORE_TEXT},
    {"no-sets", no_argument, NULL, OPT_NO_SETS},
    {"map-size", required_argument, NULL, OPT_MAP_SIZE},
    {"map-max", required_argument, NULL, OPT_MAP_MAX},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"skip-duplicates", no_argument, NULL, OPT_SKIP_DUPS},
    {"dedup-threshold", required_argument, NULL, OPT_DEDUP_THRESHOLD},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"no-meta", no_argument, NULL, OPT_NO_META},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"id", required_argument, NULL, OPT_ID},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"passages", no_argument, NULL, OPT_PASSAGES},
    {"idf", required_argument, NULL, OPT_IDF},
    {"text", no_argument, NULL, OPT_TEXT},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define BATCH_BYTES ((size_t)32 << 20)
#define JSON_FLAGS  (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

/* Everything the command line can say. */
typedef struct cmdline {
    const char *cmd, *db;
    char **args;
    size_t nargs;
    dp_index_params params;
    int params_given; /* any index parameter was on the line */
    dp_index_opts iopts;
    size_t batch;
    dp_index_dedup_mode dedup;
    double dedup_threshold;
    unsigned threads;
    dp_reader_opts ropts;
    dp_utf8_mode utf8;
    int no_meta, strict, progress, json, quiet, passages, with_text;
    const char *query_id;
    const char *idf_path; /* query --idf */
    double query_threshold;
    size_t limit;
} cmdline;

static int bad_value(const char *opt, const char *val)
{
    return cli_bad_value("index", opt, val);
}

/* "64M", "1G", "4096" -> bytes. */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        case 't':
        case 'T': shift = 40; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end++;
        if (*end == 'B')
            end++;
        if (*end)
            return -1;
    }
    if (v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)v << shift;
    return 0;
}

/* "index SUB", the name messages start with ("doppel index add: ..."). */
static char cmdname[32] = "index";

/* Report a failure about @what (the index directory or an input). */
static int fail(const char *what, dp_status st, const dp_error *err)
{
    return cli_fail(cmdname, what, 0, st, err, 1, NULL);
}

/*
 * Warn that a threshold under the index's own finds only some of the
 * pairs: the LSH banding is tuned to the index's threshold, so a pair
 * scoring less is a candidate (and reported) only if it happens to share a
 * band key.
 */
static void below_banding(const cmdline *c, const char *opt, double t,
                          double banding)
{
    cli_msg(cmdname, c->db, 0,
            "warning: %s %g is below the index's threshold %g: its LSH "
            "banding is tuned to %g, so documents scoring less than that are "
            "found only by luck (when they happen to share a band key) and "
            "most are missed; for complete answers at %g build an index for "
            "it: doppel index create NEWDB --threshold %g, then doppel index "
            "add NEWDB with the same inputs",
            opt, t, banding, banding, t, t);
}

static int open_index(const cmdline *c, unsigned flags, dp_index **ix)
{
    dp_index_opts o = c->iopts;
    dp_index_params have;
    dp_error err;
    dp_status st;
    memset(&err, 0, sizeof err);
    o.flags |= flags;
    st = dp_index_open(c->db, &o, &c->params, ix, &err);
    if (st)
        return fail(c->db, st, &err);
    if (!(flags & DP_INDEX_CREATE))
        return EXIT_OK;
    /* Flags cannot be matched by the library: check them here. */
    dp_index_params_get(*ix, &have);
    if ((c->params.flags & DP_INDEX_STORE_TEXT) &&
        !(have.flags & DP_INDEX_STORE_TEXT)) {
        cli_msg(cmdname, c->db, 0,
                "the index does not store texts (it was created without "
                "--store-text)");
        dp_index_close(*ix);
        *ix = NULL;
        return EXIT_USAGE;
    }
    if ((c->params.flags & DP_INDEX_NO_SETS) &&
        !(have.flags & DP_INDEX_NO_SETS)) {
        cli_msg(cmdname, c->db, 0,
                "the index keeps shingle sets (it was created without "
                "--no-sets)");
        dp_index_close(*ix);
        *ix = NULL;
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void dump_json(json_t *o)
{
    json_dumpf(o, stdout, JSON_FLAGS);
    fputc('\n', stdout);
    json_decref(o);
}

/* The JSON text @js of a dp_index_*_json() call that returned @st, as a
 * jansson value, the text freed; NULL when the call failed. The text keeps
 * every real exactly, so dumping the value with JSON_FLAGS prints what
 * building it here would. */
static json_t *lib_json(dp_status st, char *js)
{
    json_t *j = st ? NULL : json_loads(js, 0, NULL);
    dp_free(js);
    return j;
}

static json_t *params_json(const dp_index_params *p)
{
    char *js = NULL;
    dp_status st = dp_index_params_json(p, &js, NULL);
    return lib_json(st, js);
}

static void print_params(FILE *f, const dp_index_params *p)
{
    fprintf(f,
            "parameters     %u-word shingles, %u permutations, "
            "threshold %g, %u bands x %u rows\n",
            p->shingle_k, p->perms, p->threshold, p->bands, p->rows);
    fprintf(f, "stores         signatures, band keys%s%s\n",
            p->flags & DP_INDEX_NO_SETS ? "" : ", shingle sets (exact scores)",
            p->flags & DP_INDEX_STORE_TEXT ? ", texts" : "");
    fprintf(f, "norm version   %u\n", p->norm_version);
}

/* ------------------------------------------------------------------ */
/* create                                                             */
/* ------------------------------------------------------------------ */

static int cmd_create(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_params p;
    int rc;
    if (c->nargs) {
        return cli_usage_error(cmdname, "doppel index create DB [options]",
                               "unexpected argument '%s'", c->args[0]);
    }
    rc = open_index(c, DP_INDEX_CREATE | DP_INDEX_EXCL, &ix);
    if (rc)
        return rc;
    dp_index_params_get(ix, &p);
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "index", json_string(c->db));
        json_object_set_new(o, "params", params_json(&p));
        dump_json(o);
    } else if (!c->quiet) {
        cli_msg(cmdname, c->db, 0, "created");
        print_params(stderr, &p);
    }
    dp_index_close(ix);
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* add                                                                */
/* ------------------------------------------------------------------ */

typedef struct adder {
    cmdline *c;
    dp_index *ix;
    dp_index_add_opts aopts;
    dp_index_doc *docs; /* arena offsets until flush */
    char **where;       /* "FILE:LINE" of each batch entry (arena off) */
    size_t n, cap, where_cap;
    int failed; /* dp_index_add() failed: stop adding */
    char *arena;
    size_t arena_len, arena_cap;
    size_t records, added, replaced, refused, dups, skipped_dups, batches;
    size_t bytes;
    cli_skips sk;
    double t0;
} adder;

static size_t arena_put(adder *a, const char *s, size_t n)
{
    size_t off = a->arena_len;
    memcpy(a->arena + off, s, n);
    a->arena[off + n] = '\0';
    a->arena_len += n + 1;
    return off;
}

static const char *refusal(dp_status st)
{
    switch (st) {
    case DP_EEMPTY: return "no words";
    case DP_EINVAL: return "empty id or NUL in the id";
    case DP_ETOOBIG: return "id, text or metadata too large";
    case DP_EJSON: return "metadata is not a JSON object";
    default: return dp_strerror(st);
    }
}

/* One JSON line per document (--json). */
static void doc_json(const dp_index_add_result *r, const char *id,
                     const char *where)
{
    json_t *o = json_object();
    const char *status = r->status     ? "refused"
                         : r->skipped  ? "skipped"
                         : r->replaced ? "replaced"
                                       : "added";
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "source", json_string(where));
    if (r->status)
        json_object_set_new(o, "error", json_string(refusal(r->status)));
    else {
        json_object_set_new(o, "duplicate", json_boolean(r->duplicate));
        json_object_set_new(o, "best_match",
                            r->dup_id ? json_string(r->dup_id) : json_null());
        json_object_set_new(o, "score",
                            r->dup_id ? json_real(r->dup_score) : json_null());
    }
    dump_json(o);
}

static int flush(adder *a)
{
    dp_index_add_result *res = NULL;
    dp_error err;
    dp_status st;
    size_t i;
    int ex = EXIT_OK;

    if (a->n == 0)
        return EXIT_OK;
    for (i = 0; i < a->n; i++) {
        dp_index_doc *d = &a->docs[i];
        d->id = a->arena + (uintptr_t)d->id;
        d->text = a->arena + (uintptr_t)d->text;
        if (d->meta)
            d->meta = a->arena + (uintptr_t)d->meta - 1;
        a->where[i] = a->arena + (uintptr_t)a->where[i];
    }
    memset(&err, 0, sizeof err);
    st = dp_index_add(a->ix, a->docs, a->n, &a->aopts, &res, &err);
    if (st) {
        a->failed = 1;
        return fail(a->c->db, st, &err);
    }
    a->batches++;
    for (i = 0; i < a->n; i++) {
        const dp_index_add_result *r = &res[i];
        if (a->c->json)
            doc_json(r, a->docs[i].id, a->where[i]);
        if (r->status) {
            a->refused++;
            /* a whole-file document has no line ("PATH", not "PATH:1"),
             * and its id is that path: not said twice */
            if (strcmp(a->where[i], a->docs[i].id) == 0)
                cli_msg(cmdname, a->where[i], 0, "%s, skipped",
                        refusal(r->status));
            else
                cli_msg(cmdname, a->where[i], 0, "id '%s': %s, skipped",
                        a->docs[i].id, refusal(r->status));
            cli_skip_count(&a->sk, r->status);
            if (a->c->strict && !ex)
                ex = cli_exit_of(r->status);
            continue;
        }
        if (r->duplicate)
            a->dups++;
        if (r->skipped) {
            a->skipped_dups++;
        } else {
            a->added++;
            a->replaced += r->replaced != 0;
        }
        if (!a->c->json && r->duplicate)
            printf("%s\tduplicate of\t%s\t%.4f%s\n", a->docs[i].id, r->dup_id,
                   r->dup_score, r->skipped ? "\tskipped" : "");
    }
    if (a->c->json || a->c->dedup)
        fflush(stdout);
    dp_free(res);
    a->n = 0;
    a->arena_len = 0;
    return ex;
}

/* The record's metadata: its fields but id and text, as JSON text
 * (malloc'd), or NULL. The reader builds it (dp_record.meta, asked for
 * with ropts.keep_meta), so no line is parsed twice. */
static char *record_meta(const cmdline *c, const dp_record *rec)
{
    char *s;
    if (c->no_meta || !rec->meta)
        return NULL;
    s = malloc(rec->meta_len + 1);
    if (s)
        memcpy(s, rec->meta, rec->meta_len + 1);
    return s;
}

static int add_record(adder *a, const dp_record *rec, const char *where)
{
    char *meta = record_meta(a->c, rec);
    size_t mlen = meta ? strlen(meta) : 0;
    size_t need = rec->id_len + rec->text_len + mlen + strlen(where) + 4;
    int rc;
    if (a->n == a->c->batch || (a->n && a->arena_len + need > BATCH_BYTES)) {
        if ((rc = flush(a))) {
            free(meta);
            return rc;
        }
    }
    if (cli_grow((void **)&a->arena, &a->arena_cap, a->arena_len + need, 1) ||
        cli_grow((void **)&a->docs, &a->cap, a->n + 1, sizeof *a->docs) ||
        cli_grow((void **)&a->where, &a->where_cap, a->n + 1,
                 sizeof *a->where)) {
        free(meta);
        return fail(NULL, DP_ENOMEM, NULL);
    }
    /* Offsets until flush (the arena may move); meta is offset + 1 so
     * that NULL stays NULL. */
    a->docs[a->n].id =
        (const char *)(uintptr_t)arena_put(a, rec->id, rec->id_len);
    a->docs[a->n].id_len = rec->id_len;
    a->docs[a->n].text =
        (const char *)(uintptr_t)arena_put(a, rec->text, rec->text_len);
    a->docs[a->n].text_len = rec->text_len;
    a->docs[a->n].meta =
        meta ? (const char *)(uintptr_t)(arena_put(a, meta, mlen) + 1) : NULL;
    a->docs[a->n].meta_len = mlen;
    a->where[a->n] = (char *)(uintptr_t)arena_put(a, where, strlen(where));
    a->n++;
    free(meta);
    return EXIT_OK;
}

/* One good record: where it came from, then into the batch. */
static int add_one(void *ctx, dp_reader *rd, const dp_record *rec,
                   uint64_t line)
{
    adder *a = ctx;
    char where[1200];
    (void)rd;
    if (line)
        snprintf(where, sizeof where, "%s:%llu", rec->source,
                 (unsigned long long)line);
    else
        snprintf(where, sizeof where, "%s", rec->source);
    return add_record(a, rec, where);
}

static int cmd_add(cmdline *c)
{
    adder a;
    cli_corpus_opts o;
    cli_corpus_stats rs;
    int ex = EXIT_OK;
    double secs;

    if (c->nargs == 0)
        return cli_usage_error(cmdname,
                               "doppel index add DB [options] INPUT...",
                               "no INPUT (use - for stdin)");
    memset(&a, 0, sizeof a);
    a.c = c;
    dp_index_add_opts_init(&a.aopts);
    a.aopts.dedup = c->dedup;
    a.aopts.threshold = c->dedup_threshold;
    a.aopts.threads = c->threads;
    a.aopts.text.utf8 = c->utf8;
    if ((ex = open_index(c, DP_INDEX_CREATE, &a.ix)))
        return ex;
    if (c->dedup && c->dedup_threshold > 0) {
        dp_index_params have;
        dp_index_params_get(a.ix, &have);
        if (c->dedup_threshold < have.threshold)
            below_banding(c, "--dedup-threshold", c->dedup_threshold,
                          have.threshold);
    }
    cli_corpus_opts_init(&o);
    o.reader = c->ropts;
    o.strict = c->strict;
    o.progress = c->progress;
    a.t0 = cli_now();
    ex = cli_corpus_read(cmdname, c->args, c->nargs, &o, add_one, &a, &rs);
    cli_skips_add(&a.sk, &rs.skips);
    a.records = rs.records + cli_skipped_total(&rs.skips);
    a.bytes = rs.bytes;
    if (ex != EXIT_INTERNAL && !a.failed) { /* commit what was read */
        int fx = flush(&a);
        if (!ex)
            ex = fx;
    }
    secs = cli_now() - a.t0;
    if (!c->quiet) {
        size_t skipped = cli_skipped_total(&a.sk);
        char why[256], dups[64] = "";
        cli_skips_line(&a.sk, why, sizeof why);
        if (c->dedup)
            snprintf(dups, sizeof dups, ", %zu near-duplicate%s%s", a.dups,
                     cli_s(a.dups),
                     c->dedup == DP_INDEX_DEDUP_SKIP ? " not added" : "");
        cli_msg(cmdname, c->db, 0,
                "%zu record%s, %zu added (%zu replaced), %zu skipped as "
                "bad%s%s, %zu transaction%s, %.2f s (%.0f docs/s)",
                a.records, cli_s(a.records), a.added, a.replaced, skipped, why,
                dups, a.batches, cli_s(a.batches), secs,
                secs > 0 ? a.added / secs : 0.0);
        fputs(cli_skips_hint(&a.sk), stderr);
    }
    ex = cli_corpus_exit(ex, &rs);
    dp_index_close(a.ix);
    free(a.docs);
    free(a.where);
    free(a.arena);
    return ex;
}

/* ------------------------------------------------------------------ */
/* remove, get, list                                                  */
/* ------------------------------------------------------------------ */

static int cmd_remove(cmdline *c)
{
    dp_index *ix = NULL;
    size_t i, removed = 0, missing = 0;
    int ex;
    if (c->nargs == 0)
        return cli_usage_error(cmdname, "doppel index remove DB ID...",
                               "no ID");
    if ((ex = open_index(c, 0, &ix)))
        return ex;
    for (i = 0; i < c->nargs; i++) {
        dp_error err;
        dp_status st;
        memset(&err, 0, sizeof err);
        st = dp_index_remove(ix, c->args[i], strlen(c->args[i]), &err);
        if (st == DP_ENOTFOUND) {
            cli_msg(cmdname, c->db, 0, "no document with id '%s'", c->args[i]);
            missing++;
            ex = ex ? ex : cli_exit_of(st);
        } else if (st) {
            ex = fail(c->db, st, &err);
            break;
        } else {
            removed++;
        }
    }
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "removed", json_integer((json_int_t)removed));
        json_object_set_new(o, "not_found", json_integer((json_int_t)missing));
        dump_json(o);
    } else if (!c->quiet) {
        cli_msg(cmdname, c->db, 0, "removed %zu document%s", removed,
                cli_s(removed));
    }
    dp_index_close(ix);
    return ex;
}

static int cmd_get(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_entry *e = NULL;
    dp_error err;
    dp_status st;
    int ex;
    if (c->nargs != 1)
        return cli_usage_error(cmdname, "doppel index get DB ID [--text]",
                               "expected one ID, got %zu", c->nargs);
    if ((ex = open_index(c, DP_INDEX_RDONLY, &ix)))
        return ex;
    memset(&err, 0, sizeof err);
    st = dp_index_get(ix, c->args[0], strlen(c->args[0]), c->with_text, &e,
                      &err);
    if (st) {
        ex = fail(c->db, st, &err);
        dp_index_close(ix);
        return ex;
    }
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_stringn(e->id, e->id_len));
        json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
        json_object_set_new(o, "words", json_integer(e->words));
        json_object_set_new(o, "meta",
                            e->meta ? json_loadb(e->meta, e->meta_len, 0, NULL)
                                    : json_null());
        if (c->with_text)
            json_object_set_new(o, "text",
                                e->text ? json_stringn(e->text, e->text_len)
                                        : json_null());
        dump_json(o);
    } else {
        printf("id     %s\nseq    %llu\nwords  %u\nmeta   %s\n", e->id,
               (unsigned long long)e->seq, e->words, e->meta ? e->meta : "-");
        if (c->with_text)
            printf("text\n%s\n", e->text ? e->text : "(not stored)");
    }
    dp_free(e);
    dp_index_close(ix);
    return EXIT_OK;
}

static int list_one(void *ctx, const char *id, size_t id_len, const char *meta,
                    size_t meta_len, uint32_t words, uint64_t seq)
{
    const cmdline *c = ctx;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_stringn(id, id_len));
        json_object_set_new(o, "seq", json_integer((json_int_t)seq));
        json_object_set_new(o, "words", json_integer(words));
        json_object_set_new(o, "meta",
                            meta ? json_loadb(meta, meta_len, 0, NULL)
                                 : json_null());
        dump_json(o);
    } else {
        fwrite(id, 1, id_len, stdout);
        fputc('\n', stdout);
    }
    return ferror(stdout) ? (int)DP_EIO : 0;
}

static int cmd_list(cmdline *c)
{
    dp_index *ix = NULL;
    dp_error err;
    dp_status st;
    int ex;
    if ((ex = open_index(c, DP_INDEX_RDONLY, &ix)))
        return ex;
    memset(&err, 0, sizeof err);
    st = dp_index_each(ix, list_one, c, &err);
    dp_index_close(ix);
    if (st)
        return fail(c->db, st, &err);
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* query                                                              */
/* ------------------------------------------------------------------ */

/* The passages the query shares with hit @h, as JSON or printed. */
/* Compare the query with hit @h's stored text: its passages into @arr
 * and/or printed (when @arr / @print), its same-story score under @idf
 * into *@same (when @same). */
static int passages(dp_index *ix, const dp_doc *q, const dp_index_hit *h,
                    json_t *arr, int print, const dp_idf *idf, double *same)
{
    dp_index_entry *e = NULL;
    dp_doc *d = NULL;
    dp_comparison *cmp = NULL;
    dp_compare_opts co;
    dp_text_opts to;
    size_t i;
    dp_status st = dp_index_get(ix, h->id, h->id_len, 1, &e, NULL);
    if (st || !e->text) {
        dp_free(e);
        return st ? (int)st : (int)DP_EINVAL;
    }
    dp_text_opts_init(&to);
    to.utf8 = DP_UTF8_REPLACE;
    st = dp_doc_create(e->text, e->text_len, &to, &d, NULL);
    dp_compare_opts_init(&co);
    co.idf = idf;
    if (!st)
        st = dp_compare(q, d, &co, &cmp);
    if (st) {
        dp_doc_free(d);
        dp_free(e);
        return (int)st;
    }
    if (same)
        *same = dp_comparison_scores(cmp)->same_story;
    for (i = 0; (arr || print) && i < dp_comparison_passages(cmp); i++) {
        const dp_passage *p = dp_comparison_passage(cmp, i);
        const char *qt = dp_doc_text(q, NULL);
        if (arr) {
            json_t *o = json_object(), *s;
            s = json_object();
            json_object_set_new(s, "start",
                                json_integer((json_int_t)p->a.start));
            json_object_set_new(s, "end", json_integer((json_int_t)p->a.end));
            json_object_set_new(o, "query", s);
            s = json_object();
            json_object_set_new(s, "start",
                                json_integer((json_int_t)p->b.start));
            json_object_set_new(s, "end", json_integer((json_int_t)p->b.end));
            json_object_set_new(o, "doc", s);
            json_object_set_new(o, "words", json_integer((json_int_t)p->words));
            json_object_set_new(
                o, "text",
                json_stringn(qt + p->a.start, p->a.end - p->a.start));
            json_array_append_new(arr, o);
        }
        if (print) {
            size_t span = p->a.end - p->a.start;
            int len = (int)(span < 300 ? span : 300);
            printf("    %zu words  query %zu-%zu  doc %zu-%zu\n      %.*s%s\n",
                   p->words, p->a.start, p->a.end, p->b.start, p->b.end, len,
                   qt + p->a.start, (size_t)len < span ? " ..." : "");
        }
    }
    dp_comparison_free(cmp);
    dp_doc_free(d);
    dp_free(e);
    return 0;
}

/* `query --json`: the hits of dp_index_hits_json(), each with its
 * passages when asked for, in one object on one line. */
static int query_json(const cmdline *c, dp_index *ix, const dp_index_params *p,
                      const char *name, const dp_index_hit *hits, size_t n,
                      const dp_doc *qdoc, const dp_idf *idf, double t0)
{
    json_t *o = NULL, *arr;
    char *js = NULL;
    size_t i;
    dp_status st = dp_index_hits_json(hits, n, &js, NULL);
    if (!(arr = lib_json(st, js)) || !(o = json_object())) {
        json_decref(arr);
        return fail(c->db, DP_ENOMEM, NULL);
    }
    json_object_set_new(o, c->query_id ? "id" : "file", json_string(name));
    json_object_set_new(
        o, "threshold",
        json_real(c->query_threshold > 0 ? c->query_threshold : p->threshold));
    json_object_set_new(o, "exact",
                        json_boolean(!(p->flags & DP_INDEX_NO_SETS)));
    for (i = 0; (c->passages || idf) && i < n; i++) {
        json_t *ps = c->passages ? json_array() : NULL;
        double same = -1;
        if (qdoc)
            passages(ix, qdoc, &hits[i], ps, 0, idf, idf ? &same : NULL);
        if (ps)
            json_object_set_new(json_array_get(arr, i), "passages", ps);
        if (idf && same >= 0)
            json_object_set_new(json_array_get(arr, i), "same_story",
                                json_real(same));
    }
    json_object_set_new(o, "hits", arr);
    json_object_set_new(o, "seconds", json_real(cli_now() - t0));
    dump_json(o);
    return EXIT_OK;
}

/* `query` as text: each hit, its same-story score under --idf, its
 * passages under --passages. */
static void print_hits(const cmdline *c, dp_index *ix, const dp_index_hit *hits,
                       size_t n, const dp_doc *qdoc, const dp_idf *idf)
{
    size_t i;
    for (i = 0; i < n; i++) {
        printf("%.4f  %s  (estimate %.4f, %u word%s)\n", hits[i].score,
               hits[i].id, hits[i].estimate, hits[i].words,
               cli_s(hits[i].words));
        if (idf && qdoc) {
            double same = -1;
            passages(ix, qdoc, &hits[i], NULL, 0, idf, &same);
            if (same >= 0)
                printf("    same story %.4f (weighed by %s)\n", same,
                       c->idf_path);
        }
        if (c->passages && qdoc)
            passages(ix, qdoc, &hits[i], NULL, 1, NULL, NULL);
    }
}

static int cmd_query(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_query_opts qo;
    dp_index_params p;
    dp_index_hit *hits = NULL;
    dp_index_entry *self = NULL;
    dp_doc *qdoc = NULL;
    dp_idf *idf = NULL;
    char *buf = NULL;
    size_t len = 0, n = 0;
    const char *name = NULL;
    dp_error err;
    dp_status st;
    int ex;
    double t0;

    if ((c->query_id && c->nargs) || c->nargs > 1)
        return cli_usage_error(cmdname,
                               "doppel index query DB [options] [FILE|-] | "
                               "--id ID",
                               "give one FILE (or -), or --id ID");
    if ((ex = open_index(c, DP_INDEX_RDONLY, &ix)))
        return ex;
    dp_index_params_get(ix, &p);
    if ((c->passages || c->idf_path) && !(p.flags & DP_INDEX_STORE_TEXT)) {
        cli_msg(cmdname, c->db, 0,
                "%s needs stored texts (create the index with --store-text)",
                c->passages ? "--passages" : "--idf");
        dp_index_close(ix);
        return EXIT_USAGE;
    }
    memset(&err, 0, sizeof err);
    if (c->idf_path && (st = dp_idf_read(c->idf_path, &idf, &err))) {
        ex = fail(c->idf_path, st, &err);
        dp_index_close(ix);
        return ex;
    }
    if (c->query_threshold > 0 && c->query_threshold < p.threshold)
        below_banding(c, "--threshold", c->query_threshold, p.threshold);
    dp_index_query_opts_init(&qo);
    qo.threshold = c->query_threshold;
    qo.limit = c->limit;
    qo.text.utf8 = c->utf8;
    memset(&err, 0, sizeof err);
    t0 = cli_now();
    if (c->query_id) {
        name = c->query_id;
        st = dp_index_query_id(ix, c->query_id, strlen(c->query_id), &qo, &hits,
                               &n, &err);
        if (!st && (c->passages || idf))
            st = dp_index_get(ix, c->query_id, strlen(c->query_id), 1, &self,
                              &err);
        if (!st && self && self->text) {
            dp_text_opts to;
            dp_text_opts_init(&to);
            to.utf8 = DP_UTF8_REPLACE;
            st = dp_doc_create(self->text, self->text_len, &to, &qdoc, &err);
        }
    } else {
        name = c->nargs ? c->args[0] : "-";
        st = dp_file_read(name, &buf, &len, DP_READER_MAX_RECORD, &err);
        if (!st)
            st = dp_index_query_text(ix, buf, len, &qo, &hits, &n, &err);
        if (!st && (c->passages || idf))
            st = dp_doc_create(buf, len, &qo.text, &qdoc, &err);
    }
    if (st) {
        ex = fail(strcmp(name, "-") ? name : "(stdin)", st, &err);
        goto done;
    }
    if (c->json) {
        if ((ex = query_json(c, ix, &p, name, hits, n, qdoc, idf, t0)))
            goto done;
    } else {
        double qt = c->query_threshold > 0 ? c->query_threshold : p.threshold;
        if (!c->quiet && c->query_id)
            cli_msg(cmdname, c->db, 0,
                    "%zu document%s similar to id '%s' (score >= %g)", n,
                    cli_s(n), c->query_id, qt);
        else if (!c->quiet)
            cli_msg(cmdname, strcmp(name, "-") ? name : "(stdin)", 0,
                    "%zu similar document%s (score >= %g)", n, cli_s(n), qt);
        print_hits(c, ix, hits, n, qdoc, idf);
    }
    ex = EXIT_OK;
done:
    dp_idf_free(idf);
    dp_doc_free(qdoc);
    dp_free(self);
    dp_free(hits);
    dp_free(buf);
    dp_index_close(ix);
    return ex;
}

/* ------------------------------------------------------------------ */
/* stats, check, compact                                              */
/* ------------------------------------------------------------------ */

static int cmd_stats(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_stats s;
    dp_error err;
    dp_status st;
    int ex;
    if ((ex = open_index(c, DP_INDEX_RDONLY, &ix)))
        return ex;
    memset(&err, 0, sizeof err);
    st = dp_index_stats_get(ix, &s, &err);
    dp_index_close(ix);
    if (st)
        return fail(c->db, st, &err);
    if (c->json) {
        char *js = NULL;
        json_t *o;
        st = dp_index_stats_json(&s, &js, NULL);
        o = lib_json(st, js);
        if (!o)
            return fail(c->db, DP_ENOMEM, NULL);
        dump_json(o);
        return EXIT_OK;
    }
    printf("index          %s\n", c->db);
    printf("documents      %llu\n", (unsigned long long)s.docs);
    printf("band entries   %llu\n", (unsigned long long)s.band_entries);
    printf("stored texts   %llu\n", (unsigned long long)s.texts);
    printf("size           %.1f MB of data (%.0f bytes per document), "
           "%.1f MB file\n",
           s.data_bytes / 1e6, s.docs ? (double)s.data_bytes / s.docs : 0.0,
           s.file_bytes / 1e6);
    printf("transactions   %llu (next seq %llu)\n",
           (unsigned long long)s.txn_id, (unsigned long long)s.next_seq);
    print_params(stdout, &s.params);
    return EXIT_OK;
}

static int cmd_check(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_stats s;
    dp_error err;
    dp_status st;
    int ex;
    if ((ex = open_index(c, DP_INDEX_RDONLY, &ix)))
        return ex;
    memset(&err, 0, sizeof err);
    st = dp_index_check(ix, &err);
    if (!st)
        st = dp_index_stats_get(ix, &s, &err);
    dp_index_close(ix);
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "ok", json_boolean(st == DP_OK));
        if (st)
            json_object_set_new(
                o, "error",
                json_string(err.message[0] ? err.message : dp_strerror(st)));
        else {
            json_object_set_new(o, "docs", json_integer((json_int_t)s.docs));
            json_object_set_new(o, "band_entries",
                                json_integer((json_int_t)s.band_entries));
        }
        dump_json(o);
    }
    if (st == DP_ECORRUPT)
        return cli_fail(cmdname, c->db, 0, st, &err, 0,
                        " (the index is damaged)");
    if (st)
        return fail(c->db, st, &err);
    if (!c->json && !c->quiet)
        printf("%s: ok, %llu documents, %llu band entries\n", c->db,
               (unsigned long long)s.docs, (unsigned long long)s.band_entries);
    return EXIT_OK;
}

static int cmd_compact(cmdline *c)
{
    dp_index *ix = NULL;
    dp_index_stats a, b;
    dp_error err;
    dp_status st;
    int ex;
    if ((ex = open_index(c, 0, &ix)))
        return ex;
    memset(&err, 0, sizeof err);
    st = dp_index_stats_get(ix, &a, &err);
    if (!st)
        st = dp_index_compact(ix, &err);
    if (!st)
        st = dp_index_stats_get(ix, &b, &err);
    dp_index_close(ix);
    if (st)
        return fail(c->db, st, &err);
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "before_bytes",
                            json_integer((json_int_t)a.file_bytes));
        json_object_set_new(o, "after_bytes",
                            json_integer((json_int_t)b.file_bytes));
        dump_json(o);
    } else if (!c->quiet) {
        cli_msg(cmdname, c->db, 0, "compacted %.1f MB -> %.1f MB",
                a.file_bytes / 1e6, b.file_bytes / 1e6);
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */
/* ------------------------------------------------------------------ */

/*
 * The options of an index subcommand into @c (argv[0] is the command
 * name). Returns -1 to go on, else the exit code (0 after --help).
 * Long because it is one case per option, read straight down.
 */
static int parse_options(cmdline *c, int argc, char **argv)
{
    unsigned long v;
    int opt, progress = -1;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (opt) {
        case OPT_THRESHOLD:
            if (cli_parse_double(optarg, 1e-9, 1.0, &c->params.threshold))
                return bad_value("threshold", optarg);
            c->query_threshold = c->params.threshold;
            c->params_given = 1;
            break;
        case OPT_SHINGLE:
            if (cli_parse_uint(optarg, 64, &v) || v == 0)
                return bad_value("shingle", optarg);
            c->params.shingle_k = (unsigned)v;
            c->params_given = 1;
            break;
        case OPT_PERMS:
            if (cli_parse_uint(optarg, 1024, &v) || v == 0)
                return bad_value("perms", optarg);
            c->params.perms = (unsigned)v;
            c->params_given = 1;
            break;
        case OPT_BANDS:
            if (cli_parse_uint(optarg, 1024, &v) || v == 0)
                return bad_value("bands", optarg);
            c->params.bands = (unsigned)v;
            break;
        case OPT_ROWS:
            if (cli_parse_uint(optarg, 1024, &v) || v == 0)
                return bad_value("rows", optarg);
            c->params.rows = (unsigned)v;
            break;
        case OPT_STORE_TEXT: c->params.flags |= DP_INDEX_STORE_TEXT; break;
        case OPT_NO_SETS: c->params.flags |= DP_INDEX_NO_SETS; break;
        case OPT_MAP_SIZE:
            if (parse_size(optarg, &c->iopts.map_size) ||
                c->iopts.map_size < 65536)
                return bad_value("map-size", optarg);
            break;
        case OPT_MAP_MAX:
            if (parse_size(optarg, &c->iopts.map_max) ||
                c->iopts.map_max < 65536)
                return bad_value("map-max", optarg);
            break;
        case OPT_BATCH:
            if (cli_parse_uint(optarg, 1000000, &v) || v == 0)
                return bad_value("batch", optarg);
            c->batch = v;
            break;
        case OPT_DEDUP:
            if (c->dedup == DP_INDEX_DEDUP_OFF)
                c->dedup = DP_INDEX_DEDUP_REPORT;
            break;
        case OPT_SKIP_DUPS: c->dedup = DP_INDEX_DEDUP_SKIP; break;
        case OPT_DEDUP_THRESHOLD:
            if (cli_parse_double(optarg, 1e-9, 1.0, &c->dedup_threshold))
                return bad_value("dedup-threshold", optarg);
            break;
        case OPT_THREADS:
            if (cli_parse_uint(optarg, 256, &v))
                return bad_value("threads", optarg);
            c->threads = (unsigned)v;
            break;
        case OPT_ID_FIELD:
            if (!*optarg)
                return bad_value("id-field", optarg);
            c->ropts.id_field = optarg;
            break;
        case OPT_TEXT_FIELD:
            if (!*optarg)
                return bad_value("text-field", optarg);
            c->ropts.text_field = optarg;
            break;
        case OPT_NO_META: c->no_meta = 1; break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &c->utf8))
                return bad_value("invalid-utf8", optarg);
            break;
        case OPT_STRICT: c->strict = 1; break;
        case OPT_PROGRESS:
            if (strcmp(optarg, "auto") == 0)
                progress = -1;
            else if (strcmp(optarg, "always") == 0)
                progress = 1;
            else if (strcmp(optarg, "never") == 0)
                progress = 0;
            else
                return bad_value("progress", optarg);
            break;
        case OPT_ID: c->query_id = optarg; break;
        case OPT_LIMIT:
            if (cli_parse_uint(optarg, 1000000000, &v))
                return bad_value("limit", optarg);
            c->limit = v;
            break;
        case OPT_PASSAGES: c->passages = 1; break;
        case OPT_IDF: c->idf_path = optarg; break;
        case OPT_TEXT: c->with_text = 1; break;
        case OPT_JSON: c->json = 1; break;
        case 'q': c->quiet = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help(cmdname); return EXIT_USAGE;
        }
    }
    c->progress = progress >= 0 ? progress : isatty(STDERR_FILENO);
    if (c->quiet)
        c->progress = 0;
    return -1;
}

/* The subcommands, in the order usage lists them. */
static const struct {
    const char *name;
    int (*run)(cmdline *c);
} subcommands[] = {
    {"create", cmd_create}, {"add", cmd_add},     {"remove", cmd_remove},
    {"get", cmd_get},       {"query", cmd_query}, {"list", cmd_list},
    {"stats", cmd_stats},   {"check", cmd_check}, {"compact", cmd_compact},
};

int cmd_index(int argc, char **argv)
{
    cmdline c;
    size_t i, which = SIZE_MAX;
    int ex;

    memset(&c, 0, sizeof c);
    dp_index_params_init(&c.params);
    dp_index_opts_init(&c.iopts);
    dp_reader_opts_init(&c.ropts);
    c.batch = 1000;
    c.utf8 = DP_UTF8_REJECT;
    if (argc >= 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc < 2)
        return cli_usage_error("index", synopsis, "no COMMAND");
    c.cmd = argv[1];
    for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(c.cmd, subcommands[i].name) == 0)
            which = i;
    if (which == SIZE_MAX)
        return cli_usage_error("index", synopsis,
                               "unknown command '%s' (create, add, remove, "
                               "get, query, list, stats, check, compact)",
                               c.cmd);
    snprintf(cmdname, sizeof cmdname, "index %s", c.cmd);
    argc--;
    argv++;
    argv[0] = cmdname_full; /* getopt's messages */
    snprintf(cmdname_full, sizeof cmdname_full, "doppel %s", cmdname);
    if ((ex = parse_options(&c, argc, argv)) >= 0)
        return ex;
    if ((c.params.bands == 0) != (c.params.rows == 0))
        return cli_usage_error(cmdname, synopsis,
                               "--bands and --rows go together");
    if (optind >= argc)
        return cli_usage_error(cmdname, synopsis, "no index directory DB");
    c.db = argv[optind];
    c.args = argv + optind + 1;
    c.nargs = (size_t)(argc - optind - 1);
    c.ropts.utf8 = c.utf8;
    c.ropts.keep_meta = !c.no_meta;
    /* a query threshold is not an index parameter */
    if (strcmp(c.cmd, "query") == 0)
        c.params.threshold = 0;
    return subcommands[which].run(&c);
}
