/*
 * reader.c - the public dp_reader_* API of the corpus reader: options,
 * opening a list of inputs or a memory buffer, the serial loop tying the
 * inputs (walk.c), the open source (source.c) and the record parsers
 * (jsonl.c, csv.c) together, parse-ahead (ahead.c) when asked, and where
 * the last record or error was (dp_reader_path/line).
 *
 * Errors never end the stream: each is reported by one dp_reader_next()
 * call; its message says what is wrong, and dp_reader_path() and
 * dp_reader_line() say where, so the caller writes "PATH:LINE: what".
 * See docs/inputs.md.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "corpus/corpus.h"
#include "text/text.h"

char *dpi_reader_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

dp_status dpi_reader_report(dp_reader *r, dp_error *err, dp_status code,
                            uint64_t line, size_t offset, const char *fmt, ...)
{
    va_list ap;

    r->loc_line = line;
    va_start(ap, fmt);
    dpi_error_vset(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

dp_status dpi_reader_set_path(dp_reader *r, char *owned)
{
    free(r->path);
    r->path = owned;
    r->path_gen++;
    return owned ? DP_OK : DP_ENOMEM;
}

/* The one document of a plain-text input, or DP_EOF once handed out. */
static dp_status next_text(dp_reader *r, dp_record *rec, dp_error *err)
{
    size_t len, bad;
    dp_status rc;

    if (r->text_done)
        return DP_EOF;
    rc = dpi_source_all(r, err);
    if (rc)
        return rc;
    len = r->end - r->start;
    if (r->cfg.utf8 == DP_UTF8_REJECT) {
        const unsigned char *t = (const unsigned char *)r->buf + r->start;
        const unsigned char *nul;
        bad = dpi_utf8_validate(t, len);
        /* A NUL byte before the first invalid one: the file is binary,
         * said as dp_doc_create() says it (compare reads the same file
         * the same way). */
        nul = memchr(t, '\0', bad);
        if (nul) {
            uint64_t at = r->lineoff + (uint64_t)(nul - t);
            dpi_source_close(r);
            return dpi_reader_report(r, err, DP_EBINARY, 0, (size_t)at,
                                     "NUL byte at byte %" PRIu64
                                     ": the input looks binary, not text",
                                     at);
        }
        if (bad < len) {
            uint64_t at = r->lineoff + bad;
            unsigned byte = t[bad];
            dpi_source_close(r);
            return dpi_reader_report(
                r, err, DP_EUTF8, 0, (size_t)at,
                "invalid UTF-8 at byte %" PRIu64 " (0x%02X)", at, byte);
        }
    }
    r->text_done = 1;
    rec->id = r->path;
    rec->id_len = strlen(r->path);
    rec->text = r->buf + r->start;
    rec->text_len = len;
    rec->source = r->path;
    rec->line = 1;
    rec->offset = r->lineoff;
    r->loc_line = 1;
    return DP_OK;
}

dp_status dpi_reader_produce(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_status rc;

    for (;;) {
        if (!r->active) {
            rc = dpi_walk_next(r, err);
            if (rc == DP_EOF) {
                r->loc_line = 0;
                return DP_EOF;
            }
            if (rc)
                return rc;
            if (!r->active)
                continue; /* a directory was pushed */
        }
        switch (r->fmt) {
        case DPI_FMT_JSONL: rc = dpi_jsonl_next(r, rec, err); break;
        case DPI_FMT_JSON: rc = dpi_json_next(r, rec, err); break;
        case DPI_FMT_CSV:
        case DPI_FMT_TSV: rc = dpi_csv_next(r, rec, err); break;
        default: rc = next_text(r, rec, err); break;
        }
        if (rc == DP_EOF) {
            dpi_source_close(r);
            continue;
        }
        if (rc == DP_OK && !rec->source)
            rec->source = r->path;
        return rc;
    }
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

void dp_reader_opts_init(dp_reader_opts *opts)
{
    assert(opts);
    memset(opts, 0, sizeof *opts);
    opts->id_field = "id";
    opts->text_field = "text";
    opts->date_field = "date";
    opts->format = DP_FORMAT_AUTO;
    opts->stdin_format = DP_FORMAT_AUTO;
    opts->utf8 = DP_UTF8_REJECT;
    opts->max_record_bytes = DP_READER_MAX_RECORD;
    opts->threads = 1;
    opts->keep_meta = 0;
}

/* Is @fmt acceptable as a dp_input_format value? */
static int format_ok(dp_input_format fmt)
{
    return fmt == DP_FORMAT_AUTO || fmt == DP_FORMAT_JSONL ||
           fmt == DP_FORMAT_TEXT || fmt == DP_FORMAT_CSV ||
           fmt == DP_FORMAT_TSV || fmt == DP_FORMAT_JSON;
}

/* Check @opts; DP_OK or the reported DP_EINVAL. */
static dp_status opts_check(const dp_reader_opts *opts, dp_error *err)
{
    if ((opts->id_field && !opts->id_field[0]) ||
        (opts->text_field && !opts->text_field[0]))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "empty id or text field name");
    if (!format_ok(opts->format) || !format_ok(opts->stdin_format) ||
        (opts->utf8 != DP_UTF8_REJECT && opts->utf8 != DP_UTF8_REPLACE))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "unknown input format or UTF-8 mode");
    if (opts->max_record_bytes > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "max_record_bytes is over %zu",
                             (size_t)DP_MAX_DOC_BYTES);
    if (opts->threads > DPI_MAX_THREADS)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "threads is over %u",
                             DPI_MAX_THREADS);
    return DP_OK;
}

/* A reader with options set and no inputs yet. */
static dp_status reader_new(const dp_reader_opts *opts, dp_reader **out,
                            dp_error *err)
{
    dp_reader_opts d;
    dp_reader *r;
    dp_status rc;

    if (!opts) {
        dp_reader_opts_init(&d);
        opts = &d;
    }
    rc = opts_check(opts, err);
    if (rc)
        return rc;
    r = calloc(1, sizeof *r);
    if (!r)
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    r->fd = -1;
    r->format = opts->format;
    r->stdin_format = opts->stdin_format;
    r->max_record =
        opts->max_record_bytes ? opts->max_record_bytes : DP_READER_MAX_RECORD;
    r->id_field = dpi_reader_strdup(opts->id_field ? opts->id_field : "id");
    r->text_field =
        dpi_reader_strdup(opts->text_field ? opts->text_field : "text");
    if (opts->date_field && opts->date_field[0])
        r->date_field = dpi_reader_strdup(opts->date_field);
    r->cfg.id_field = r->id_field;
    r->cfg.text_field = r->text_field;
    r->cfg.date_field = r->date_field;
    r->cfg.utf8 = opts->utf8;
    r->cfg.keep_meta = opts->keep_meta != 0;
    if (!r->id_field || !r->text_field ||
        (opts->date_field && opts->date_field[0] && !r->date_field) ||
        (opts->threads > 1 && dpi_ahead_start(r, opts->threads))) {
        dp_reader_free(r);
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    }
    *out = r;
    return DP_OK;
}

dp_status dp_reader_open(const char *const *paths, size_t npaths,
                         const dp_reader_opts *opts, dp_reader **out,
                         dp_error *err)
{
    dp_reader *r;
    dp_status rc;
    size_t i;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no output handle");
    *out = NULL;
    if (npaths > 0 && !paths)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no paths given");
    for (i = 0; i < npaths; i++)
        if (!paths[i])
            return dpi_error_set(err, DP_EINVAL, (size_t)-1, "path %zu is NULL",
                                 i);
    rc = reader_new(opts, &r, err);
    if (rc)
        return rc;
    if (npaths > 0) {
        r->paths = calloc(npaths, sizeof *r->paths);
        if (!r->paths)
            goto nomem;
        for (i = 0; i < npaths; i++) {
            r->paths[i] = dpi_reader_strdup(paths[i]);
            if (!r->paths[i])
                goto nomem;
            r->npaths = i + 1;
        }
    }
    *out = r;
    return DP_OK;
nomem:
    dp_reader_free(r);
    return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
}

dp_status dp_reader_open_memory(const void *data, size_t len, const char *name,
                                const dp_reader_opts *opts, dp_reader **out,
                                dp_error *err)
{
    dp_reader *r;
    dp_status rc;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no output handle");
    *out = NULL;
    if (!data && len > 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no data given");
    rc = reader_new(opts, &r, err);
    if (rc)
        return rc;
    r->mem = data ? data : (const void *)"";
    r->mem_len = len;
    r->mem_pending = 1;
    r->path = dpi_reader_strdup(name ? name : "(memory)");
    if (!r->path) {
        dp_reader_free(r);
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    }
    *out = r;
    return DP_OK;
}

dp_status dp_reader_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_status rc;

    if (rec)
        memset(rec, 0, sizeof *rec);
    if (!r || !rec)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no reader or record");
    dpi_jsonl_clear(&r->one);
    r->fields = NULL;
    r->view_item = NULL;
    r->started = 1;
    if (r->defer)
        rc = dpi_ahead_next(r, rec, err);
    else
        rc = dpi_reader_produce(r, rec, err);
    if (rc == DP_OK && !r->defer)
        r->fields = r->one.json;
    if (rc) {
        dpi_jsonl_clear(&r->one);
        r->fields = NULL;
        r->view_item = NULL;
        memset(rec, 0, sizeof *rec);
    }
    return rc;
}

const char *dp_reader_path(const dp_reader *r)
{
    if (!r || !r->started)
        return NULL;
    return r->defer ? r->view_path : r->path;
}

uint64_t dp_reader_line(const dp_reader *r)
{
    return r ? r->loc_line : 0;
}

const char *dp_reader_field(const dp_reader *r, const char *name, size_t *len)
{
    json_t *v;

    if (len)
        *len = 0;
    if (!r || !name)
        return NULL;
    if (r->view_item)
        return dpi_ahead_field(r, name, len);
    if (!r->fields)
        return r->defer || !r->started ? NULL : dpi_csv_field(r, name, len);
    v = json_object_get(r->fields, name);
    if (!v || !json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

void dp_reader_free(dp_reader *r)
{
    size_t i;

    if (!r)
        return;
    dpi_ahead_stop(r);
    dpi_source_free(r);
    dpi_jsonl_clear(&r->one);
    dpi_walk_free(r);
    for (i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    free(r->path);
    free(r->id_field);
    free(r->text_field);
    free(r->date_field);
    free(r);
}

/* Does @path name a compressed file (.gz, .zst, .zstd)? */
static int compressed_name(const char *path)
{
    size_t n = strlen(path);
    return (n >= 3 && strcasecmp(path + n - 3, ".gz") == 0) ||
           (n >= 4 && strcasecmp(path + n - 4, ".zst") == 0) ||
           (n >= 5 && strcasecmp(path + n - 5, ".zstd") == 0);
}

/* dp_file_read lives here, not in core: it reads through the reader's
 * source (decompression by magic bytes), one rule for every command. */
dp_status dp_file_read(const char *path, char **out, size_t *len, size_t max,
                       dp_error *err)
{
    dp_reader_opts o;
    dp_reader *r;
    dp_record rec;
    dp_status rc;
    struct stat st;

    if (!path || !out || !len)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no path given");
    *out = NULL;
    *len = 0;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return dpi_error_set(err, DP_EISDIR, (size_t)-1,
                                 "is a directory, not a file");
        if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max &&
            !compressed_name(path))
            return dpi_error_set(err, DP_ETOOBIG, (size_t)-1,
                                 "file is %jd bytes, over the %zu-byte limit",
                                 (intmax_t)st.st_size, max);
    }
    dp_reader_opts_init(&o);
    o.format = o.stdin_format = DP_FORMAT_TEXT;
    o.utf8 = DP_UTF8_REPLACE; /* bytes as they are: the caller checks */
    o.max_record_bytes = max ? DP_MIN(max, DP_MAX_DOC_BYTES) : 1;
    rc = dp_reader_open(&path, 1, &o, &r, err);
    if (rc)
        return rc;
    r->keep_bom = 1;
    rc = dp_reader_next(r, &rec, err);
    if (rc == DP_EOF) /* cannot happen: a text input is one document */
        rc = dpi_error_set(err, DP_EINTERNAL, (size_t)-1, "no document");
    if (rc == DP_OK && max == 0 && rec.text_len > 0)
        rc = dpi_error_set(err, DP_ETOOBIG, (size_t)-1,
                           "document is longer than the 0-byte limit");
    if (rc == DP_OK) {
        *out = malloc(rec.text_len + 1);
        if (*out) {
            memcpy(*out, rec.text, rec.text_len + 1);
            *len = rec.text_len;
        } else {
            rc = dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                               "cannot allocate %zu bytes", rec.text_len + 1);
        }
    }
    dp_reader_free(r);
    return rc;
}
