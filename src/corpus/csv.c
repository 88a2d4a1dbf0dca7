/*
 * csv.c - CSV and TSV records for the corpus reader, parsed by libcsv.
 *
 * The first record of each input is the header row: its column names are
 * matched exactly like JSONL field names (opts.id_field, text_field,
 * date_field); every other column is kept as metadata, a string. The
 * input is fed to libcsv one line at a time (the line ending given back
 * as it was), so a record knows the 1-based line it starts on even when
 * a quoted field spans several lines, and an error names the line where
 * libcsv noticed it. libcsv runs in strict mode: a stray quote is a
 * DP_EJSON for that record, and reading goes on at the next line.
 */
#include <csv.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "corpus/corpus.h"
#include "text/text.h"

/* A field or column: offset and length into dp_csv.vals / .hdr. */
typedef struct span {
    size_t off, len;
} span;

struct dp_csv {
    struct csv_parser p; /* libcsv state (csv_init'ed while live) */
    int live;            /* p is initialised */
    int tsv;             /* tab-separated */
    size_t max;          /* longest record, bytes (max_record) */

    char *hdr;       /* the header's names, each NUL-terminated */
    size_t hdr_len;  /* bytes in hdr */
    span *cols;      /* the header's columns */
    size_t ncols;    /* number of columns; 0 until the header is read */
    size_t ccap;     /* capacity of cols */
    long id_col;     /* the id column, or -1 */
    long text_col;   /* the text column, or -1 */
    long date_col;   /* the date column, or -1 */
    int header_done; /* the header row was read */
    int dead;        /* the header is unusable: skip the rest */
    int finished;    /* csv_fini() ran at the end of the input */

    char *vals; /* the current record's fields, NUL-terminated */
    size_t vals_len, vals_cap;
    span *f; /* its fields */
    size_t nf, fcap;
    int done;          /* libcsv ended the record */
    int too_big;       /* it grew past max */
    int nomem;         /* a callback ran out of memory */
    int pending;       /* a record has begun and not ended */
    size_t fed;        /* bytes of it fed to libcsv so far (capped: an
                          unclosed quote must not buffer a whole file) */
    uint64_t rec_line; /* the line it began on */
    uint64_t rec_off;  /* and that line's offset */
    int have_rec;      /* the last call handed out a record */
    char *meta;        /* its metadata as JSON (malloc'd), or NULL */
};

/* ---- libcsv callbacks ----------------------------------------------- */

static void on_field(void *s, size_t len, void *data)
{
    dp_csv *c = data;
    size_t need;

    if (c->too_big || c->nomem)
        return;
    if (__builtin_add_overflow(c->vals_len, len + 1, &need) || need > c->max) {
        c->too_big = 1;
        return;
    }
    if (dpi_grow((void **)&c->vals, &c->vals_cap, need, 1) ||
        DP_RESERVE(c->f, c->fcap, c->nf + 1)) {
        c->nomem = 1;
        return;
    }
    if (len)
        memcpy(c->vals + c->vals_len, s, len);
    c->vals[c->vals_len + len] = '\0';
    c->f[c->nf].off = c->vals_len;
    c->f[c->nf].len = len;
    c->nf++;
    c->vals_len = need;
}

static void on_record(int term, void *data)
{
    dp_csv *c = data;
    DP_UNUSED(term);
    c->done = 1;
}

static int is_space_csv(unsigned char ch)
{
    return ch == ' ' || ch == '\t';
}

static int is_space_tsv(unsigned char ch)
{
    return ch == ' ';
}

/* (Re)start libcsv, dropping any record in progress. */
static int parser_reset(dp_csv *c)
{
    if (c->live)
        csv_free(&c->p);
    c->live = 0;
    if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return -1;
    c->live = 1;
    if (c->tsv)
        csv_set_delim(&c->p, CSV_TAB);
    csv_set_space_func(&c->p, c->tsv ? is_space_tsv : is_space_csv);
    c->pending = 0;
    c->fed = 0;
    c->done = c->too_big = c->nomem = 0;
    c->vals_len = c->nf = 0;
    return 0;
}

void dpi_csv_close(dp_reader *r)
{
    dp_csv *c = r->csv;
    if (!c)
        return;
    if (c->live)
        csv_free(&c->p);
    free(c->hdr);
    free(c->cols);
    free(c->vals);
    free(c->f);
    free(c->meta);
    free(c);
    r->csv = NULL;
}

static dp_csv *csv_new(dp_reader *r)
{
    dp_csv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->tsv = r->fmt == DPI_FMT_TSV;
    c->max = r->max_record;
    c->id_col = c->text_col = c->date_col = -1;
    if (parser_reset(c)) {
        free(c);
        return NULL;
    }
    r->csv = c;
    return c;
}

/* ---- the header and the records ------------------------------------- */

static const char *val(const dp_csv *c, size_t i)
{
    return c->vals + c->f[i].off;
}

/* Take the record just ended as the header row. */
static dp_status take_header(dp_reader *r, dp_csv *c, dp_error *err)
{
    size_t i, j;

    c->header_done = 1;
    c->dead = 1; /* until the columns prove usable */
    c->hdr = malloc(c->vals_len + 1);
    c->cols = malloc((c->nf + 1) * sizeof *c->cols);
    if (!c->hdr || !c->cols)
        return dpi_reader_report(r, err, DP_ENOMEM, c->rec_line, (size_t)-1,
                                 "out of memory");
    memcpy(c->hdr, c->vals, c->vals_len);
    memcpy(c->cols, c->f, c->nf * sizeof *c->cols);
    c->hdr_len = c->vals_len;
    c->ncols = c->nf;
    for (i = 0; i < c->ncols; i++) {
        const char *n = c->hdr + c->cols[i].off;
        for (j = 0; j < i; j++)
            if (strcmp(n, c->hdr + c->cols[j].off) == 0)
                return dpi_reader_report(r, err, DP_EFIELD, c->rec_line,
                                         (size_t)c->rec_off,
                                         "column \"%s\" appears twice in the "
                                         "header row (the rest of the input "
                                         "is skipped)",
                                         n);
        if (strcmp(n, r->cfg.id_field) == 0)
            c->id_col = (long)i;
        if (strcmp(n, r->cfg.text_field) == 0)
            c->text_col = (long)i;
        if (r->cfg.date_field && strcmp(n, r->cfg.date_field) == 0)
            c->date_col = (long)i;
    }
    if (c->id_col < 0 || c->text_col < 0)
        return dpi_reader_report(
            r, err, DP_EFIELD, c->rec_line, (size_t)c->rec_off,
            "no \"%s\" (%s) column in the header row (the rest of the input "
            "is skipped)",
            c->id_col < 0 ? r->cfg.id_field : r->cfg.text_field,
            c->id_col < 0 ? "id" : "text");
    c->dead = 0;
    return DP_OK;
}

/* The other columns of the current record as a JSON object, compact. */
static char *record_meta(const dp_csv *c)
{
    json_t *m = json_object();
    char *s = NULL;
    size_t i;
    int bad = !m;

    for (i = 0; !bad && i < c->ncols; i++) {
        if ((long)i == c->id_col || (long)i == c->text_col)
            continue;
        bad = json_object_set_new(m, c->hdr + c->cols[i].off,
                                  json_stringn(val(c, i), c->f[i].len)) != 0;
    }
    if (!bad && json_object_size(m) > 0)
        s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(m);
    return s;
}

/* Hand out the record just ended. */
static dp_status take_record(dp_reader *r, dp_csv *c, dp_record *rec,
                             dp_error *err)
{
    size_t idc = (size_t)c->id_col, tc = (size_t)c->text_col, i;

    if (c->nf != c->ncols)
        return dpi_reader_report(r, err, DP_EFIELD, c->rec_line,
                                 (size_t)c->rec_off,
                                 "the record has %zu fields, the header row "
                                 "%zu",
                                 c->nf, c->ncols);
    if (c->f[idc].len == 0)
        return dpi_reader_report(
            r, err, DP_EFIELD, c->rec_line, (size_t)c->rec_off,
            "the \"%s\" (id) field is empty", r->cfg.id_field);
    if (c->f[idc].len > DP_INDEX_MAX_ID)
        return dpi_reader_report(
            r, err, DP_EFIELD, c->rec_line, (size_t)c->rec_off,
            "the \"%s\" (id) field is %zu bytes, over "
            "the %d-byte limit",
            r->cfg.id_field, c->f[idc].len, DP_INDEX_MAX_ID);
    for (i = 0; i < c->nf; i++) /* as JSONL refuses \u0000 */
        if (memchr(val(c, i), '\0', c->f[i].len))
            return dpi_reader_report(
                r, err, DP_EFIELD, c->rec_line, (size_t)c->rec_off,
                "the \"%s\" field holds a NUL byte", c->hdr + c->cols[i].off);
    if (r->cfg.keep_meta && c->ncols > 2 && !(c->meta = record_meta(c)))
        return dpi_reader_report(r, err, DP_ENOMEM, c->rec_line, (size_t)-1,
                                 "out of memory");
    rec->id = val(c, idc);
    rec->id_len = c->f[idc].len;
    rec->text = val(c, tc);
    rec->text_len = c->f[tc].len;
    if (c->date_col >= 0) {
        rec->date = val(c, (size_t)c->date_col);
        rec->date_len = c->f[c->date_col].len;
    }
    rec->meta = c->meta;
    rec->meta_len = c->meta ? strlen(c->meta) : 0;
    rec->source = r->path;
    rec->line = c->rec_line;
    rec->offset = c->rec_off;
    c->have_rec = 1;
    return DP_OK;
}

/* ---- feeding lines ---------------------------------------------------- */

/* What went wrong inside libcsv while feeding line @ln (@at bytes of it
 * were taken); the record is dropped. */
static dp_status feed_error(dp_reader *r, dp_csv *c, const dp_line *ln,
                            size_t at, dp_error *err)
{
    dp_status rc = c->too_big                                   ? DP_ETOOBIG
                   : c->nomem || csv_error(&c->p) == CSV_ENOMEM ? DP_ENOMEM
                                                                : DP_EJSON;
    uint64_t line = rc == DP_EJSON ? ln->no : c->rec_line;
    size_t off = rc == DP_EJSON ? (size_t)(ln->off + at) : (size_t)c->rec_off;

    if (parser_reset(c))
        rc = DP_ENOMEM;
    if (rc == DP_ETOOBIG)
        return dpi_reader_report(r, err, rc, line, off,
                                 "record is longer than the %zu-byte limit",
                                 c->max);
    if (rc == DP_ENOMEM)
        return dpi_reader_report(r, err, rc, line, (size_t)-1, "out of memory");
    return dpi_reader_report(r, err, rc, line, off,
                             "malformed CSV at byte %zu: a quote inside an "
                             "unquoted field or after a closing quote",
                             off);
}

/* Feed line @ln (and its line ending) to libcsv. */
static dp_status feed(dp_reader *r, dp_csv *c, const dp_line *ln, dp_error *err)
{
    const char *s = ln->p, *end = ln->crlf ? "\r\n" : "\n";
    size_t n = ln->len, got;

    c->fed += n + 2;
    if (c->fed > c->max + 2) {
        c->too_big = 1;
        return feed_error(r, c, ln, 0, err);
    }
    got = csv_parse(&c->p, s, n, on_field, on_record, c);
    if (got < n || c->too_big || c->nomem)
        return feed_error(r, c, ln, got, err);
    if (ln->nl) {
        n = strlen(end);
        got = csv_parse(&c->p, end, n, on_field, on_record, c);
        if (got < n || c->too_big || c->nomem)
            return feed_error(r, c, ln, ln->len, err);
    }
    return DP_OK;
}

/* The end of the input: a last record without a line ending, or an
 * unterminated quoted field. */
static dp_status finish(dp_reader *r, dp_csv *c, dp_error *err)
{
    c->finished = 1;
    if (csv_fini(&c->p, on_field, on_record, c) != 0 || c->too_big ||
        c->nomem) {
        dp_status rc = c->too_big ? DP_ETOOBIG
                       : c->nomem ? DP_ENOMEM
                                  : DP_EJSON;
        uint64_t line = c->rec_line;
        size_t off = (size_t)c->rec_off;
        parser_reset(c);
        if (rc == DP_ETOOBIG)
            return dpi_reader_report(r, err, rc, line, off,
                                     "record is longer than the %zu-byte "
                                     "limit",
                                     c->max);
        if (rc == DP_ENOMEM)
            return dpi_reader_report(r, err, rc, line, (size_t)-1,
                                     "out of memory");
        return dpi_reader_report(r, err, rc, line, off,
                                 "malformed CSV: a quoted field is not "
                                 "closed before the end of the input");
    }
    return DP_OK;
}

static int blank(const dp_line *ln)
{
    size_t i;
    for (i = 0; i < ln->len; i++)
        if (ln->p[i] != ' ' && ln->p[i] != '\t')
            return 0;
    return 1;
}

/* Take the next line into the parser: DP_OK (maybe a record ended),
 * DP_EOF (nothing more), or a reported error. */
static dp_status next_line(dp_reader *r, dp_csv *c, dp_error *err)
{
    dp_line ln;
    size_t bad;
    dp_status rc = c->finished ? DP_EOF : dpi_source_line(r, &ln, err);

    if (rc == DP_EOF)
        return c->finished ? DP_EOF : finish(r, c, err);
    if (rc) {
        if (r->csv != c) /* the source failed and closed the input: c is
                            freed */
            return rc;
        if (rc == DP_ETOOBIG && c->pending)
            r->loc_line = c->rec_line;
        parser_reset(c);
        return rc;
    }
    if (!c->pending && blank(&ln))
        return DP_OK;
    if (!c->pending) {
        c->pending = 1;
        c->rec_line = ln.no;
        c->rec_off = ln.off;
    }
    bad = dpi_utf8_validate((const uint8_t *)ln.p, ln.len);
    if (bad < ln.len && r->cfg.utf8 == DP_UTF8_REJECT) {
        parser_reset(c);
        return dpi_reader_report(
            r, err, DP_EUTF8, ln.no, (size_t)(ln.off + bad),
            "invalid UTF-8 at byte %" PRIu64 " (0x%02X)", ln.off + bad,
            (unsigned)(unsigned char)ln.p[bad]);
    }
    if (bad < ln.len) { /* DP_UTF8_REPLACE: feed a repaired copy */
        dp_line fixed = ln;
        if (dpi_utf8_repair((const uint8_t *)ln.p, ln.len, 0, &fixed.p,
                            &fixed.len)) {
            parser_reset(c);
            return dpi_reader_report(r, err, DP_ENOMEM, ln.no, (size_t)-1,
                                     "out of memory");
        }
        rc = feed(r, c, &fixed, err);
        free(fixed.p);
        return rc;
    }
    return feed(r, c, &ln, err);
}

dp_status dpi_csv_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_csv *c = r->csv ? r->csv : csv_new(r);

    if (!c) {
        dpi_source_close(r);
        return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                 "out of memory");
    }
    c->have_rec = 0;
    free(c->meta);
    c->meta = NULL;
    for (;;) {
        dp_status rc;
        if (c->dead)
            return DP_EOF;
        if (c->done) {
            c->done = 0;
            c->pending = 0;
            c->fed = 0;
            c->vals_len = c->nf = 0;
        }
        rc = next_line(r, c, err);
        if (rc)
            return rc;
        if (!c->done)
            continue;
        r->loc_line = c->rec_line;
        if (!c->header_done) {
            rc = take_header(r, c, err);
            if (rc)
                return rc;
            continue;
        }
        return take_record(r, c, rec, err);
    }
}

const char *dpi_csv_field(const dp_reader *r, const char *name, size_t *len)
{
    const dp_csv *c = r->csv;
    size_t i;

    if (!c || !c->have_rec)
        return NULL;
    for (i = 0; i < c->ncols && i < c->nf; i++) {
        if (strcmp(c->hdr + c->cols[i].off, name) == 0) {
            if (len)
                *len = c->f[i].len;
            return val(c, i);
        }
    }
    return NULL;
}

size_t dpi_csv_nfields(const dp_reader *r)
{
    const dp_csv *c = r->csv;
    return c && c->have_rec ? DP_MIN(c->ncols, c->nf) : 0;
}

const char *dpi_csv_field_at(const dp_reader *r, size_t i, const char **name,
                             size_t *len)
{
    const dp_csv *c = r->csv;
    *name = c->hdr + c->cols[i].off;
    *len = c->f[i].len;
    return val(c, i);
}
