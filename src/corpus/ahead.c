/*
 * ahead.c - parse-ahead for the corpus reader (opts.threads > 1).
 *
 * JSONL parsing is the reader's whole cost and it is per line, so the
 * caller's thread does the I/O, decompression and line splitting (the
 * serial dpi_reader_produce() with r->defer set, which leaves JSONL lines
 * unparsed) and cuts the stream into batches in a ring; parse threads,
 * and the caller's thread while it waits, parse whole batches and copy
 * the fields out; dp_reader_next() hands the items out in their original
 * order, so the stream is identical to the serial one (same records, same
 * errors, same locations). Records that are parsed while being read (CSV,
 * whole JSON documents) and plain-text documents are copied into the
 * batch as they are. See docs/inputs.md, "Threads".
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "corpus/corpus.h"

#define BATCH_BYTES ((size_t)1 << 20) /* a batch closes past this... */
#define BATCH_ITEMS ((size_t)1024)    /* ...or at this many items */

/* ITEM_LINE: a raw JSONL line to parse; ITEM_TEXT: a plain-text document;
 * ITEM_REC: a record parsed already; ITEM_ERROR: an error to hand out. */
typedef enum item_kind { ITEM_LINE, ITEM_TEXT, ITEM_REC, ITEM_ERROR } item_kind;

/* One record or error waiting in a batch. Offsets point into the batch's
 * `arena` (input side: paths, raw lines, texts) or `out` (what the parse
 * extracted), each string followed by a NUL; (size_t)-1 for none. */
struct dp_item {
    item_kind kind;
    dp_status rc;          /* DP_OK, or the error to hand out */
    char *msg;             /* the error's message (malloc'd), or NULL */
    size_t err_offset;     /* the error's dp_error.offset */
    size_t path;           /* arena: the input's path */
    size_t data, len;      /* arena: the raw line or the plain text */
    uint64_t line;         /* record line, or dp_reader_line() of the error */
    uint64_t offset;       /* record offset in the decompressed input */
    size_t id, id_len;     /* out: id */
    size_t text, text_len; /* out: text */
    size_t date, date_len; /* out: date, or (size_t)-1 */
    size_t meta, meta_len; /* out: metadata JSON, or (size_t)-1 */
    size_t fld, nfld;      /* its string fields, flds[fld..+nfld) */
};

/* A string field of a record, for dp_reader_field(). */
typedef struct field {
    size_t key;      /* out: the name */
    size_t val, len; /* out: the value */
} field;

enum { BATCH_BUILT, BATCH_RUNNING, BATCH_DONE };

/* A run of consecutive items and the bytes they point into. The reader
 * thread fills `items` and `arena`; one parse thread then fills `out` and
 * `flds` and frees every JSON value it made (so no memory moves between
 * threads' allocator arenas); the reader thread hands the items out. */
struct dp_batch {
    dp_item *items; /* BATCH_ITEMS slots, allocated once */
    size_t n;       /* items filled */
    size_t next;    /* next item to hand out */
    char *arena;    /* copies of paths, lines and texts */
    size_t arena_len, arena_cap;
    char *out; /* ids, texts, dates, metadata and fields */
    size_t out_len, out_cap;
    field *flds; /* string fields of the records */
    size_t nflds, capflds;
    size_t path_off;        /* arena offset of the last path copied */
    unsigned long path_gen; /* which path that was (dp_reader.path_gen) */
    int state;              /* BATCH_*; guarded by dp_reader.mu */
};

typedef dp_batch batch;
typedef dp_item item;

/* Append @len bytes and a NUL to the buffer *@buf (length *@blen,
 * capacity *@bcap); the offset, or (size_t)-1 when memory runs out. */
static size_t buf_put(char **buf, size_t *blen, size_t *bcap, const char *data,
                      size_t len)
{
    size_t at = *blen, need;

    if (__builtin_add_overflow(at, len, &need) ||
        __builtin_add_overflow(need, 1, &need) ||
        dpi_grow((void **)buf, bcap, need, 1))
        return (size_t)-1;
    memcpy(*buf + at, data, len);
    (*buf)[at + len] = '\0';
    *blen = need;
    return at;
}

static size_t arena_put(batch *b, const char *data, size_t len)
{
    return buf_put(&b->arena, &b->arena_len, &b->arena_cap, data, len);
}

/* Arena offset of the reader's current path, copied once per input. */
static size_t arena_path(dp_reader *r, batch *b)
{
    const char *p = r->path ? r->path : "(no input)";
    if (b->path_gen != r->path_gen || b->path_off == (size_t)-1) {
        b->path_off = arena_put(b, p, strlen(p));
        b->path_gen = r->path_gen;
    }
    return b->path_off;
}

/* Release what the items of @b own, leaving the slot ready for reuse. */
static void batch_clear(batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        free(b->items[i].msg);
    b->n = b->next = 0;
    b->arena_len = b->out_len = b->nflds = 0;
    b->path_off = (size_t)-1;
    if (b->arena_cap > DPI_KEEP_BUF) { /* after a huge line or document */
        free(b->arena);
        b->arena = NULL;
        b->arena_cap = 0;
    }
    if (b->out_cap > DPI_KEEP_BUF) {
        free(b->out);
        b->out = NULL;
        b->out_cap = 0;
    }
}

/* Fill @b with the next items, up to BATCH_ITEMS or about BATCH_BYTES.
 * Sets r->prod_eof when the inputs are used up. */

static size_t out_put(batch *b, const char *data, size_t len)
{
    return buf_put(&b->out, &b->out_len, &b->out_cap, data, len);
}

/* Copy one string field; 0, or -1 when memory runs out. */
static int field_put(batch *b, const char *key, const char *v, size_t len)
{
    field *f;
    if (DP_RESERVE(b->flds, b->capflds, b->nflds + 1))
        return -1;
    f = &b->flds[b->nflds];
    f->key = out_put(b, key, strlen(key));
    f->val = out_put(b, v, len);
    f->len = len;
    if (f->key == (size_t)-1 || f->val == (size_t)-1)
        return -1;
    b->nflds++;
    return 0;
}

/* Copy the top-level string fields of @obj for @it; 0 or -1. */
static int fields_json(batch *b, item *it, const json_t *obj)
{
    const char *key;
    json_t *v;

    it->fld = b->nflds;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (json_is_string(v) &&
            field_put(b, key, json_string_value(v), json_string_length(v)))
            return -1;
    }
    it->nfld = b->nflds - it->fld;
    return 0;
}

/* Copy the fields of the last CSV record for @it; 0 or -1. */
static int fields_csv(const dp_reader *r, batch *b, item *it)
{
    size_t i, n = dpi_csv_nfields(r), len;
    const char *name, *v;

    it->fld = b->nflds;
    for (i = 0; i < n; i++) {
        v = dpi_csv_field_at(r, i, &name, &len);
        if (field_put(b, name, v, len))
            return -1;
    }
    it->nfld = b->nflds - it->fld;
    return 0;
}

/* Copy id, text, date and metadata of a record into `out`; 0 or -1. */
static int record_put(batch *b, item *it, const dp_record *rec)
{
    it->id = out_put(b, rec->id, rec->id_len);
    it->id_len = rec->id_len;
    it->text = out_put(b, rec->text, rec->text_len);
    it->text_len = rec->text_len;
    it->date = rec->date ? out_put(b, rec->date, rec->date_len) : (size_t)-1;
    it->date_len = rec->date_len;
    it->meta = rec->meta ? out_put(b, rec->meta, rec->meta_len) : (size_t)-1;
    it->meta_len = rec->meta_len;
    return it->id == (size_t)-1 || it->text == (size_t)-1 ||
                   (rec->date && it->date == (size_t)-1) ||
                   (rec->meta && it->meta == (size_t)-1)
               ? -1
               : 0;
}

/* Queue a successful record from the producer; 0 or -1 (no memory). */
static int queue_record(dp_reader *r, batch *b, item *it, const dp_record *rec)
{
    it->offset = rec->offset;
    if (!rec->id) { /* a JSONL line for a parse thread */
        it->kind = ITEM_LINE;
        it->len = rec->raw_len;
        it->data = arena_put(b, rec->raw, rec->raw_len);
        return it->data == (size_t)-1 ? -1 : 0;
    }
    if (r->fmt == DPI_FMT_TEXT) {
        it->kind = ITEM_TEXT;
        it->len = rec->text_len;
        it->data = arena_put(b, rec->text, rec->text_len);
        return it->data == (size_t)-1 ? -1 : 0;
    }
    it->kind = ITEM_REC;
    it->data = (size_t)-1;
    if (record_put(b, it, rec))
        return -1;
    return r->fmt == DPI_FMT_JSON ? fields_json(b, it, r->one.json)
                                  : fields_csv(r, b, it);
}

/* Fill @b with the next items, up to BATCH_ITEMS or about BATCH_BYTES.
 * Sets r->prod_eof when the inputs are used up. */
static void batch_build(dp_reader *r, batch *b)
{
    batch_clear(b);
    while (b->n < BATCH_ITEMS && b->arena_len + b->out_len < BATCH_BYTES) {
        dp_record rec;
        dp_error e;
        dp_status rc;
        item *it;

        memset(&rec, 0, sizeof rec);
        e.message[0] = '\0';
        e.offset = (size_t)-1;
        dpi_jsonl_clear(&r->one);
        rc = dpi_reader_produce(r, &rec, &e);
        if (rc == DP_EOF) {
            r->prod_eof = 1;
            break;
        }
        it = &b->items[b->n++];
        memset(it, 0, sizeof *it);
        it->line = r->loc_line;
        it->path = arena_path(r, b);
        it->date = it->meta = (size_t)-1;
        if (rc == DP_OK) {
            if (it->path != (size_t)-1 && queue_record(r, b, it, &rec) == 0)
                continue;
            rc = DP_ENOMEM;
            snprintf(e.message, sizeof e.message,
                     "no memory to queue this record");
        }
        /* An error, kept with its message for its turn. */
        it->kind = ITEM_ERROR;
        it->rc = rc;
        it->err_offset = e.offset;
        it->msg = dpi_reader_strdup(e.message);
    }
    dpi_jsonl_clear(&r->one);
}

/* Parse line @it of @b and copy out what the record needs; the JSON
 * value is freed here, in the thread that made it. */
static void item_parse(const dp_reader *r, batch *b, item *it)
{
    dp_parsed p;
    dp_record rec;

    memset(&p, 0, sizeof p);
    it->rc =
        dpi_jsonl_parse(&r->cfg, b->arena + it->data, it->len, it->offset, &p);
    if (it->rc == DP_OK) {
        memset(&rec, 0, sizeof rec);
        rec.id = p.id;
        rec.id_len = p.id_len;
        rec.text = p.text;
        rec.text_len = p.text_len;
        rec.date = p.date;
        rec.date_len = p.date_len;
        rec.meta = p.meta;
        rec.meta_len = p.meta_len;
        if (record_put(b, it, &rec) || fields_json(b, it, p.json)) {
            it->rc = DP_ENOMEM;
            it->err_offset = it->offset;
            it->msg = dpi_reader_strdup("no memory for this record");
        }
    } else {
        it->err_offset = p.err_at;
        it->msg = dpi_reader_strdup(p.detail);
    }
    dpi_jsonl_clear(&p);
}

/* Parse the lines of @b; runs in a parse thread or the caller's. */
static void batch_parse(const dp_reader *r, batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        if (b->items[i].kind == ITEM_LINE)
            item_parse(r, b, &b->items[i]);
}

static void *worker_main(void *arg)
{
    dp_reader *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        batch *b;
        while (!r->stop && r->claim == r->tail)
            pthread_cond_wait(&r->work_cv, &r->mu);
        if (r->stop)
            break;
        b = &r->ring[r->claim++ % r->nring];
        b->state = BATCH_RUNNING;
        pthread_mutex_unlock(&r->mu);
        batch_parse(r, b);
        pthread_mutex_lock(&r->mu);
        b->state = BATCH_DONE;
        pthread_cond_broadcast(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void workers_start(dp_reader *r);

/* Build batches into the free ring slots and queue them for parsing. */
static void ring_fill(dp_reader *r)
{
    while (!r->prod_eof && r->tail - r->head < r->nring) {
        batch *b = &r->ring[r->tail % r->nring];
        if (!b->items) { /* first use of this slot */
            b->items = malloc(BATCH_ITEMS * sizeof *b->items);
            if (!b->items)
                break;
        }
        batch_build(r, b);
        if (b->n == 0)
            break;
        pthread_mutex_lock(&r->mu);
        b->state = BATCH_BUILT;
        r->tail++;
        pthread_cond_signal(&r->work_cv);
        pthread_mutex_unlock(&r->mu);
        if (!r->workers_tried && r->tail - r->head > 1)
            workers_start(r);
    }
}

/* Wait until @b (the oldest batch) is parsed. Rather than sleep, the
 * caller's thread parses whichever queued batch no thread has taken yet,
 * oldest first, so it is one of the parse threads. */
static void batch_wait(dp_reader *r, batch *b)
{
    pthread_mutex_lock(&r->mu);
    while (b->state != BATCH_DONE) {
        if (r->claim < r->tail) {
            batch *c = &r->ring[r->claim++ % r->nring];
            c->state = BATCH_RUNNING;
            pthread_mutex_unlock(&r->mu);
            batch_parse(r, c);
            pthread_mutex_lock(&r->mu);
            c->state = BATCH_DONE;
            pthread_cond_broadcast(&r->done_cv);
            continue;
        }
        pthread_cond_wait(&r->done_cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Hand out item @it of @b as a record or an error. */
static dp_status item_yield(dp_reader *r, batch *b, item *it, dp_record *rec,
                            dp_error *err)
{
    const char *path =
        it->path == (size_t)-1 ? "(no input)" : b->arena + it->path;

    r->view_path = path;
    r->loc_line = it->line;
    if (it->rc)
        return dpi_error_set(err, it->rc, it->err_offset, "%s",
                             it->msg ? it->msg : "out of memory");
    rec->source = path;
    rec->line = it->line;
    rec->offset = it->offset;
    if (it->kind == ITEM_TEXT) {
        rec->id = path;
        rec->id_len = strlen(path);
        rec->text = b->arena + it->data;
        rec->text_len = it->len;
        return DP_OK;
    }
    if (it->kind != ITEM_LINE && it->kind != ITEM_REC)
        return dpi_error_set(err, DP_EINTERNAL, (size_t)-1, "bad queued item");
    rec->id = b->out + it->id;
    rec->id_len = it->id_len;
    rec->text = b->out + it->text;
    rec->text_len = it->text_len;
    if (it->date != (size_t)-1) {
        rec->date = b->out + it->date;
        rec->date_len = it->date_len;
    }
    if (it->meta != (size_t)-1) {
        rec->meta = b->out + it->meta;
        rec->meta_len = it->meta_len;
    }
    if (it->kind == ITEM_LINE) {
        rec->raw = b->arena + it->data;
        rec->raw_len = it->len;
    }
    r->view_batch = b;
    r->view_item = it;
    return DP_OK;
}

dp_status dpi_ahead_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    batch *b;

    if (r->head < r->tail) {
        b = &r->ring[r->head % r->nring];
        if (b->n > 0 && b->next == b->n) {
            batch_clear(b); /* every item handed out: free the slot */
            r->head++;
        }
    }
    ring_fill(r);
    if (r->head == r->tail && !r->prod_eof)
        /* Not even one batch could be allocated; nothing is lost yet. */
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                             "out of memory queueing records");
    if (r->head == r->tail) {
        r->view_path = r->path;
        r->loc_line = 0;
        return DP_EOF;
    }
    b = &r->ring[r->head % r->nring];
    batch_wait(r, b);
    assert(b->next < b->n);
    return item_yield(r, b, &b->items[b->next++], rec, err);
}

void dpi_ahead_stop(dp_reader *r)
{
    size_t i;

    if (r->workers) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->work_cv);
        pthread_mutex_unlock(&r->mu);
        for (i = 0; i < r->nworkers; i++)
            pthread_join(r->workers[i], NULL);
        free(r->workers);
        r->workers = NULL;
    }
    if (r->ring) {
        for (i = 0; i < r->nring; i++) {
            batch_clear(&r->ring[i]);
            free(r->ring[i].items);
            free(r->ring[i].arena);
            free(r->ring[i].out);
            free(r->ring[i].flds);
        }
        free(r->ring);
        r->ring = NULL;
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->work_cv);
        pthread_cond_destroy(&r->done_cv);
    }
}

/* If threads cannot be started, the caller's thread parses alone:
 * slower, same results. */
dp_status dpi_ahead_start(dp_reader *r, unsigned threads)
{
    size_t i;

    r->nring = (size_t)threads + 2;
    r->ring = calloc(r->nring, sizeof *r->ring);
    if (!r->ring)
        return DP_ENOMEM;
    if (pthread_mutex_init(&r->mu, NULL)) {
        free(r->ring);
        r->ring = NULL;
        return DP_ENOMEM;
    }
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    for (i = 0; i < r->nring; i++)
        r->ring[i].path_off = (size_t)-1; /* items come at first use */
    r->threads = threads;
    r->defer = 1;
    json_object_seed(0); /* seed jansson's hash before threads race to */
    r->workers = calloc(threads - 1, sizeof *r->workers);
    if (!r->workers)
        return DP_ENOMEM;
    return DP_OK; /* the threads start with the second batch */
}

/* Start the parse threads, once the input proves longer than one batch
 * (a small input, such as a request body, never pays for threads).
 * Why pthread_create and not the core pool (dpi_pool_run): parse-ahead is
 * a pipeline, not a fork-join batch; its threads live as long as the
 * reader and take batches as the caller's thread produces them, while
 * the caller goes on consuming records. */
static void workers_start(dp_reader *r)
{
    unsigned i;

    r->workers_tried = 1;
    for (i = 0; i + 1 < r->threads; i++) {
        if (pthread_create(&r->workers[i], NULL, worker_main, r))
            break;
        r->nworkers++;
    }
}

const char *dpi_ahead_field(const dp_reader *r, const char *name, size_t *len)
{
    const batch *b = r->view_batch;
    const item *it = r->view_item;
    size_t i;

    for (i = it->fld; i < it->fld + it->nfld; i++) {
        if (strcmp(b->out + b->flds[i].key, name) == 0) {
            if (len)
                *len = b->flds[i].len;
            return b->out + b->flds[i].val;
        }
    }
    return NULL;
}
