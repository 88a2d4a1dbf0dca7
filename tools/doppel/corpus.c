/*
 * corpus.c - the one loop the corpus commands read their inputs with: a
 * dp_reader over every input, each good record handed to the command's
 * callback, each bad one reported as "doppel CMD: PATH:LINE: what,
 * skipped" and counted by reason, repeated ids refused (first wins) when
 * asked, and a progress line on stderr.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_corpus_opts_init(cli_corpus_opts *o)
{
    memset(o, 0, sizeof *o);
    dp_reader_opts_init(&o->reader);
}

int cli_refused(const char *cmd, const char *path, uint64_t line,
                const char *id, dp_status st, cli_skips *skips)
{
    const char *why = st == DP_EEMPTY ? "no words" : dp_strerror(st);
    if (line)
        cli_msg(cmd, path, line, "id '%s': %s, skipped", id, why);
    else
        cli_msg(cmd, path, 0, "%s, skipped", why);
    cli_skip_count(skips, st);
    return cli_exit_of(st);
}

int cli_corpus_exit(int ex, const cli_corpus_stats *st)
{
    if (ex)
        return ex;
    return st->unreadable ? EXIT_FILE : EXIT_OK;
}

/*
 * The ids read so far, for "first wins": open addressing over copies of
 * the ids, each with where it was first read.
 */
typedef struct seen_id {
    char *id; /* NULL: empty slot */
    char *where;
    uint64_t line;
} seen_id;

typedef struct id_set {
    seen_id *slot;
    size_t cap, used;
} id_set;

static uint64_t id_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    while (n--) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

static seen_id *id_find(id_set *s, const char *id, size_t n)
{
    size_t i = (size_t)id_hash(id, n) & (s->cap - 1);
    while (s->slot[i].id && strcmp(s->slot[i].id, id) != 0)
        i = (i + 1) & (s->cap - 1);
    return &s->slot[i];
}

static int id_grow(id_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 4096, i;
    seen_id *old = s->slot;
    size_t oldcap = s->cap;
    s->slot = calloc(cap, sizeof *s->slot);
    if (!s->slot) {
        s->slot = old;
        return -1;
    }
    s->cap = cap;
    for (i = 0; i < oldcap; i++)
        if (old[i].id)
            *id_find(s, old[i].id, strlen(old[i].id)) = old[i];
    free(old);
    return 0;
}

static void id_free(id_set *s)
{
    size_t i;
    for (i = 0; i < s->cap; i++) {
        free(s->slot[i].id);
        free(s->slot[i].where);
    }
    free(s->slot);
}

/*
 * Is @rec's id one read before? Then report it with where it was first
 * read and return 1; else remember it and return 0 (-1: out of memory).
 */
static int repeated(const char *cmd, id_set *s, const dp_record *rec,
                    const char *where, uint64_t line)
{
    seen_id *e;
    if ((s->used + 1) * 2 > s->cap && id_grow(s))
        return -1;
    e = id_find(s, rec->id, rec->id_len);
    if (e->id) {
        if (e->line)
            cli_msg(cmd, where, line,
                    "duplicate id '%s' (first at %s:%" PRIu64 "), skipped",
                    rec->id, e->where, e->line);
        else
            cli_msg(cmd, where, line,
                    "duplicate id '%s' (first at %s), skipped", rec->id,
                    e->where);
        return 1;
    }
    e->id = strdup(rec->id);
    e->where = strdup(where);
    if (!e->id || !e->where) {
        free(e->id);
        free(e->where);
        e->id = e->where = NULL;
        return -1;
    }
    e->line = line;
    s->used++;
    return 0;
}

static void progress(const char *cmd, const cli_corpus_stats *st, double t0,
                     double *last, int final)
{
    double t = cli_now();
    if (!final && t - *last < 0.25)
        return;
    *last = t;
    fprintf(stderr,
            "\r\033[Kdoppel %s: reading: %zu records, %.1f MB, %.0f docs/s%s",
            cmd, st->records, st->bytes / 1e6,
            st->records / (t - t0 > 0 ? t - t0 : 1), final ? "\n" : "");
}

/* One bad record or input: report, count, and decide whether to stop. */
static int bad_record(const char *cmd, dp_reader *rd, dp_status rc,
                      const dp_error *err, const cli_corpus_opts *o, void *ctx,
                      cli_corpus_stats *st)
{
    /* an input that cannot be read is not a skipped record */
    int code = cli_exit_of(rc);
    int whole = code == EXIT_FILE && rc != DP_ETOOBIG;
    cli_fail(cmd, dp_reader_path(rd), dp_reader_line(rd), rc, err, 0,
             whole ? NULL : ", skipped");
    cli_skip_count(&st->skips, rc);
    if (whole)
        st->unreadable = 1;
    if (o->on_bad) {
        int ex = o->on_bad(ctx, rc);
        if (ex)
            return ex;
    }
    return o->strict ? code : EXIT_OK;
}

int cli_corpus_read(const char *cmd, char *const *inputs, size_t ninputs,
                    const cli_corpus_opts *o, cli_record_fn fn, void *ctx,
                    cli_corpus_stats *st)
{
    dp_reader *rd = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    id_set ids = {NULL, 0, 0};
    double t0 = cli_now(), last = 0;
    int ex = EXIT_OK;

    memset(st, 0, sizeof *st);
    memset(&err, 0, sizeof err);
    if ((rc = dp_reader_open((const char *const *)inputs, ninputs, &o->reader,
                             &rd, &err)))
        return cli_fail(cmd, NULL, 0, rc, &err, 0, NULL);
    while (ex == EXIT_OK && (rc = dp_reader_next(rd, &rec, &err)) != DP_EOF) {
        const char *where = dp_reader_path(rd);
        uint64_t line;
        int dup;
        if (rc) {
            ex = bad_record(cmd, rd, rc, &err, o, ctx, st);
            continue;
        }
        /* a plain-text document is a whole file: no line to name */
        line = rec.raw || rec.line > 1 ? rec.line : 0;
        if (o->unique_ids &&
            (dup = repeated(cmd, &ids, &rec, where ? where : "-", line))) {
            if (dup < 0) {
                ex = cli_fail(cmd, NULL, 0, DP_ENOMEM, NULL, 0, NULL);
                break;
            }
            st->skips.dupid++;
            if (o->strict)
                ex = EXIT_INPUT;
            continue;
        }
        st->records++;
        st->bytes += rec.text_len;
        st->dated += rec.date != NULL;
        ex = fn(ctx, rd, &rec, line);
        if (o->progress)
            progress(cmd, st, t0, &last, 0);
    }
    if (o->progress)
        progress(cmd, st, t0, &last, 1);
    dp_reader_free(rd);
    id_free(&ids);
    return ex;
}
