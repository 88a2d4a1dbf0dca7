/*
 * jsonl.c - JSON records for the corpus reader: one JSONL line at a time
 * (dpi_jsonl_next, and dpi_jsonl_parse for the parse-ahead threads), or a
 * whole JSON document holding one object or an array of objects
 * (dpi_json_next, for request bodies).
 *
 * The rules are the same for both and for every caller (dedup, index
 * add, POST /documents), and are written down in docs/inputs.md:
 * jansson parses (never by hand) with duplicate keys refused; invalid
 * UTF-8 is found first with dpi_utf8_validate() and is either DP_EUTF8
 * (with its byte) or repaired, each maximal invalid run becoming U+FFFD
 * as dp_doc_create() does; the id is a non-empty string or an integer
 * within 64 bits; the text a string; every other field is metadata.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "corpus/corpus.h"
#include "text/text.h"

/* Decoding flags for every record. */
#define LOAD_FLAGS JSON_REJECT_DUPLICATES

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static dp_status
parse_fail(dp_parsed *p, dp_status code, size_t at, const char *fmt, ...)
{
    va_list ap;
    p->err_at = at;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    return code;
}

void dpi_jsonl_clear(dp_parsed *p)
{
    if (p->json)
        json_decref(p->json);
    free(p->meta);
    memset(p, 0, offsetof(dp_parsed, detail) + 1);
}

/*
 * Parse @len bytes (at input offset @off) as one JSON value under the
 * UTF-8 policy: the value, or NULL with p->detail set (*@rc the status).
 * *@overflow: an integer was too big for 64 bits, so the value holds
 * integers as reals.
 */
static json_t *load(const dp_json_cfg *cfg, const char *s, size_t len,
                    uint64_t off, dp_parsed *p, dp_status *rc, int *overflow)
{
    size_t bad = dpi_utf8_validate((const uint8_t *)s, len), n = len;
    char *fixed = NULL;
    json_error_t je;
    json_t *j;

    *overflow = 0;
    if (bad < len) {
        if (cfg->utf8 == DP_UTF8_REJECT) {
            *rc = parse_fail(p, DP_EUTF8, (size_t)(off + bad),
                             "invalid UTF-8 at byte %" PRIu64 " (0x%02X)",
                             off + bad, (unsigned)(unsigned char)s[bad]);
            return NULL;
        }
        dp_status st = dpi_utf8_repair((const uint8_t *)s, len, 0, &fixed, &n);
        if (st) {
            *rc =
                parse_fail(p, st, (size_t)off, "no memory to repair the line");
            return NULL;
        }
        s = fixed;
    }
    j = json_loadb(s, n, LOAD_FLAGS, &je);
    if (!j && json_error_code(&je) == json_error_numeric_overflow) {
        *overflow = 1;
        j = json_loadb(s, n, LOAD_FLAGS | JSON_DECODE_INT_AS_REAL, &je);
    }
    free(fixed);
    if (!j) {
        size_t at = (size_t)(off + (uint64_t)je.position);
        *rc = parse_fail(p, DP_EJSON, at, "%s at byte %zu: %s",
                         json_error_code(&je) == json_error_duplicate_key
                             ? "duplicate key"
                             : "malformed JSON",
                         at, je.text);
    }
    return j;
}

/* The id of object @j into p->id: a non-empty string, or an integer
 * written in decimal. */
static dp_status take_id(const dp_json_cfg *cfg, json_t *j, int overflow,
                         dp_parsed *p)
{
    json_t *v = json_object_get(j, cfg->id_field);

    if (!v)
        return parse_fail(p, DP_EFIELD, (size_t)-1, "no \"%s\" (id) field",
                          cfg->id_field);
    if (json_is_string(v)) {
        p->id = json_string_value(v);
        p->id_len = json_string_length(v);
        if (p->id_len == 0)
            return parse_fail(p, DP_EFIELD, (size_t)-1,
                              "the \"%s\" (id) field is empty", cfg->id_field);
        if (p->id_len > DP_INDEX_MAX_ID)
            return parse_fail(p, DP_EFIELD, (size_t)-1,
                              "the \"%s\" (id) field is %zu bytes, over the "
                              "%d-byte limit",
                              cfg->id_field, p->id_len, DP_INDEX_MAX_ID);
        return DP_OK;
    }
    if (json_is_integer(v)) {
        int n = snprintf(p->idnum, sizeof p->idnum, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        p->id = p->idnum;
        p->id_len = (size_t)n;
        return DP_OK;
    }
    if (overflow && json_is_real(v) && fabs(json_real_value(v)) >= 9.2e18)
        return parse_fail(p, DP_EFIELD, (size_t)-1,
                          "the \"%s\" (id) field is an integer beyond the "
                          "64-bit range; write it as a string",
                          cfg->id_field);
    return parse_fail(p, DP_EFIELD, (size_t)-1,
                      "the \"%s\" (id) field is %s, not a string or an "
                      "integer",
                      cfg->id_field, type_name(v));
}

/* The other fields of @j as compact JSON, in their order, into p->meta
 * (left NULL when there are none). */
static dp_status take_meta(const dp_json_cfg *cfg, json_t *j, dp_parsed *p)
{
    json_t *m = json_object(), *v;
    const char *key;
    int bad = !m;

    json_object_foreach(j, key, v)
    {
        if (bad)
            break;
        if (strcmp(key, cfg->id_field) == 0 ||
            strcmp(key, cfg->text_field) == 0)
            continue;
        bad = json_object_set(m, key, v) != 0;
    }
    if (!bad && json_object_size(m) > 0) {
        p->meta = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
        bad = !p->meta;
        p->meta_len = p->meta ? strlen(p->meta) : 0;
    }
    json_decref(m);
    return bad ? parse_fail(p, DP_ENOMEM, (size_t)-1, "out of memory") : DP_OK;
}

/* The record's fields from object @j (owned by p->json or its parent). */
static dp_status take_fields(const dp_json_cfg *cfg, json_t *j, int overflow,
                             dp_parsed *p)
{
    json_t *v;
    dp_status rc = take_id(cfg, j, overflow, p);

    if (rc)
        return rc;
    v = json_object_get(j, cfg->text_field);
    if (!v)
        return parse_fail(p, DP_EFIELD, (size_t)-1, "no \"%s\" (text) field",
                          cfg->text_field);
    if (!json_is_string(v))
        return parse_fail(p, DP_EFIELD, (size_t)-1,
                          "the \"%s\" (text) field is %s, not a string",
                          cfg->text_field, type_name(v));
    p->text = json_string_value(v);
    p->text_len = json_string_length(v);

    v = cfg->date_field ? json_object_get(j, cfg->date_field) : NULL;
    if (v && json_is_string(v)) {
        p->date = json_string_value(v);
        p->date_len = json_string_length(v);
    } else if (v && json_is_integer(v)) {
        int n = snprintf(p->datenum, sizeof p->datenum, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        p->date = p->datenum;
        p->date_len = (size_t)n;
    }
    return cfg->keep_meta ? take_meta(cfg, j, p) : DP_OK;
}

dp_status dpi_jsonl_parse(const dp_json_cfg *cfg, const char *line, size_t len,
                          uint64_t off, dp_parsed *p)
{
    dp_status rc = DP_OK;
    int overflow;
    json_t *j = load(cfg, line, len, off, p, &rc, &overflow);

    if (!j)
        return rc;
    p->json = j;
    if (!json_is_object(j))
        return parse_fail(p, DP_EJSON, (size_t)off,
                          "expected a JSON object, found %s", type_name(j));
    return take_fields(cfg, j, overflow, p);
}

/* Point @rec at a successful parse. */
static void parsed_to_record(const dp_parsed *p, dp_record *rec)
{
    rec->id = p->id;
    rec->id_len = p->id_len;
    rec->text = p->text;
    rec->text_len = p->text_len;
    rec->date = p->date;
    rec->date_len = p->date_len;
    rec->meta = p->meta;
    rec->meta_len = p->meta_len;
}

/* Is the line empty or only spaces and tabs (a CR was dropped already)? */
static int blank(const dp_line *ln)
{
    size_t i;
    for (i = 0; i < ln->len; i++)
        if (ln->p[i] != ' ' && ln->p[i] != '\t' && ln->p[i] != '\r')
            return 0;
    return 1;
}

dp_status dpi_jsonl_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_line ln;
    dp_status rc;

    do {
        rc = dpi_source_line(r, &ln, err);
        if (rc)
            return rc;
    } while (blank(&ln));
    rec->source = r->path;
    rec->line = ln.no;
    rec->offset = ln.off;
    rec->raw = ln.p;
    rec->raw_len = ln.len;
    r->loc_line = ln.no;
    if (r->defer)
        return DP_OK; /* parse-ahead: a parse thread will parse it */
    rc = dpi_jsonl_parse(&r->cfg, ln.p, ln.len, ln.off, &r->one);
    if (rc)
        return dpi_reader_report(r, err, rc, ln.no, r->one.err_at, "%s",
                                 r->one.detail);
    parsed_to_record(&r->one, rec);
    return DP_OK;
}

/* ---- whole JSON documents ------------------------------------------- */

void dpi_json_close(dp_reader *r)
{
    if (r->doc)
        json_decref(r->doc);
    r->doc = NULL;
    r->doc_next = 0;
}

/* Read and parse the whole input; r->doc becomes an array of records (a
 * single object is wrapped in one). */
static dp_status json_load_doc(dp_reader *r, dp_error *err)
{
    dp_parsed *p = &r->one;
    dp_status rc = dpi_source_all(r, err);
    int overflow;
    json_t *j;

    r->text_done = 1;
    if (rc)
        return rc;
    j = load(&r->cfg, r->buf + r->start, r->end - r->start, r->lineoff, p, &rc,
             &overflow);
    r->doc_overflow = overflow;
    if (!j)
        return dpi_reader_report(r, err, rc, 0, p->err_at, "%s", p->detail);
    if (json_is_object(j)) {
        r->doc = json_array();
        if (!r->doc || json_array_append_new(r->doc, j)) {
            json_decref(j);
            return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                     "out of memory");
        }
    } else if (json_is_array(j)) {
        r->doc = j;
    } else {
        rc = dpi_reader_report(r, err, DP_EJSON, 0, (size_t)r->lineoff,
                               "expected a JSON object or an array of "
                               "objects, found %s",
                               type_name(j));
        json_decref(j);
        return rc;
    }
    return DP_OK;
}

dp_status dpi_json_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_parsed *p = &r->one;
    json_t *e;
    size_t k;
    dp_status rc;

    if (!r->text_done) {
        rc = json_load_doc(r, err);
        if (rc)
            return rc;
    }
    if (!r->doc || r->doc_next >= json_array_size(r->doc))
        return DP_EOF;
    k = r->doc_next++;
    e = json_array_get(r->doc, k);
    r->loc_line = k + 1;
    if (!json_is_object(e))
        return dpi_reader_report(r, err, DP_EJSON, k + 1, (size_t)-1,
                                 "expected a JSON object, found %s",
                                 type_name(e));
    p->json = json_incref(e);
    rc = take_fields(&r->cfg, e, r->doc_overflow, p);
    if (rc)
        return dpi_reader_report(r, err, rc, k + 1, (size_t)-1, "%s",
                                 p->detail);
    parsed_to_record(p, rec);
    rec->source = r->path;
    rec->line = k + 1;
    rec->offset = r->lineoff;
    return DP_OK;
}
