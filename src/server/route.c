/*
 * route.c - the endpoints of `doppel serve`: which path and method go
 * where, request bodies parsed with jansson, answers built with jansson
 * (never by hand), and errors as {"error": {"status": N, "message": ...}}
 * with the status that fits. The API is documented in docs/api.md; this
 * file is its reference implementation.
 *
 * Everything here works on a complete request (dp_http_request) and knows
 * nothing of sockets, so it runs the same under libmicrohttpd (server.c),
 * in the fuzz target and in tests. Each handler checks, in this order:
 * path (404), method (405, with Allow), content type (415), body size
 * (413), body syntax and fields (400), then asks the index.
 */
#include <assert.h>
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util.h"
#include "report/report.h"
#include "server/http.h"

/* Flags for every JSON answer: compact, keys in insertion order, reals
 * with up to 6 significant digits (scores are rounded to 4 decimals). */
#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

/* Longest id quoted inside an error message, in bytes. */
#define MSG_ID_MAX 200

/* ------------------------------------------------------------ helpers */

const char *dpi_http_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

/* Serialise @root (consumed) as the body of @resp with @status. */
static dp_status respond(dp_http_response *resp, unsigned status, json_t *root)
{
    char *text;
    size_t len;

    if (!root)
        return DP_ENOMEM;
    text = json_dumps(root, DUMP_FLAGS);
    json_decref(root);
    if (!text)
        return DP_ENOMEM;
    len = strlen(text);
    /* json_dumps allocates with malloc (no custom allocator is set). */
    {
        char *t = realloc(text, len + 2);
        if (!t) {
            free(text);
            return DP_ENOMEM;
        }
        text = t;
    }
    text[len] = '\n';
    text[len + 1] = '\0';
    free(resp->body);
    resp->status = status;
    resp->body = text;
    resp->body_len = len + 1;
    return DP_OK;
}

/* A 200 answer of @root (consumed), unless building it failed (@bad):
 * then @root and the unattached @arr (may be NULL) are dropped and the
 * request fails with DP_ENOMEM. */
static dp_status answer(dp_http_response *resp, json_t *root, json_t *arr,
                        int bad)
{
    if (bad) {
        json_decref(root);
        json_decref(arr);
        return DP_ENOMEM;
    }
    return respond(resp, 200, root);
}

dp_status dpi_http_error(dp_http_response *resp, unsigned status,
                         const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *root, *err;
    int bad;

    assert(resp && fmt);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    root = json_object();
    err = json_object();
    if (!root || !err) {
        json_decref(root);
        json_decref(err);
        return DP_ENOMEM;
    }
    bad = dpi_report_put(err, "status", json_integer((json_int_t)status));
    bad |= dpi_report_put(err, "message", dpi_json_text(msg, strlen(msg)));
    bad |= dpi_report_put(root, "error", err);
    if (bad) {
        json_decref(root);
        return DP_ENOMEM;
    }
    return respond(resp, status, root);
}

/* Quote at most MSG_ID_MAX bytes of an id inside a message. */
static int id_shown(size_t len)
{
    return (int)(len > MSG_ID_MAX ? MSG_ID_MAX : len);
}

static const char *id_more(size_t len)
{
    return len > MSG_ID_MAX ? "..." : "";
}

/* The HTTP status for a library status. */
static unsigned status_of(dp_status rc)
{
    switch (rc) {
    case DP_ENOTFOUND: return 404;
    case DP_EEMPTY:
    case DP_EUTF8:
    case DP_EBINARY:
    case DP_EINVAL:
    case DP_EJSON:
    case DP_EFIELD: return 400;
    case DP_ETOOBIG: return 413;
    case DP_EACCES: return 403;
    case DP_EFULL: return 507;
    case DP_EBUSY: return 503;
    default: return 500;
    }
}

/* An error response for library status @rc, with @err's detail if any. */
static dp_status lib_error(dp_http_response *resp, dp_status rc,
                           const dp_error *err, const char *what)
{
    const char *detail =
        err && err->message[0] ? err->message : dp_strerror(rc);
    return dpi_http_error(resp, status_of(rc), "%s: %s", what, detail);
}

/* -------------------------------------------------- routing and checks */

dp_http_route dpi_http_route_of(const char *path, size_t *id_start)
{
    static const char docs[] = "/documents/";

    assert(path);
    if (id_start)
        *id_start = 0;
    if (strcmp(path, "/health") == 0)
        return DP_HTTP_ROUTE_HEALTH;
    if (strcmp(path, "/stats") == 0)
        return DP_HTTP_ROUTE_STATS;
    if (strcmp(path, "/query") == 0)
        return DP_HTTP_ROUTE_QUERY;
    if (strcmp(path, "/compare") == 0)
        return DP_HTTP_ROUTE_COMPARE;
    if (strcmp(path, "/documents") == 0)
        return DP_HTTP_ROUTE_DOCUMENTS;
    if (strncmp(path, docs, sizeof docs - 1) == 0 &&
        path[sizeof docs - 1] != '\0') {
        if (id_start)
            *id_start = sizeof docs - 1;
        return DP_HTTP_ROUTE_DOCUMENT;
    }
    return DP_HTTP_ROUTE_NONE;
}

const char *dpi_http_allowed(dp_http_route route, const char *method, int *ok)
{
    const char *allow;

    assert(method && ok);
    *ok = 0;
    switch (route) {
    case DP_HTTP_ROUTE_HEALTH:
    case DP_HTTP_ROUTE_STATS:
        allow = "GET, HEAD";
        *ok = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        break;
    case DP_HTTP_ROUTE_QUERY:
    case DP_HTTP_ROUTE_COMPARE:
    case DP_HTTP_ROUTE_DOCUMENTS:
        allow = "POST";
        *ok = strcmp(method, "POST") == 0;
        break;
    case DP_HTTP_ROUTE_DOCUMENT:
        allow = "GET, HEAD, DELETE";
        *ok = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
              strcmp(method, "DELETE") == 0;
        break;
    default: allow = NULL; break;
    }
    return allow;
}

unsigned dpi_http_content_types(dp_http_route route)
{
    switch (route) {
    case DP_HTTP_ROUTE_QUERY:
    case DP_HTTP_ROUTE_COMPARE: return DP_HTTP_CT_JSON;
    case DP_HTTP_ROUTE_DOCUMENTS: return DP_HTTP_CT_JSON | DP_HTTP_CT_NDJSON;
    default: return 0;
    }
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Does [p, p+n) equal @word, ignoring ASCII case? */
static int token_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

unsigned dpi_http_content_type_parse(const char *value)
{
    const char *p, *end;
    unsigned kind;

    if (!value)
        return 0;
    p = value;
    while (is_ows(*p))
        p++;
    end = p;
    while (*end && *end != ';' && !is_ows(*end))
        end++;
    if (token_is(p, (size_t)(end - p), "application/json"))
        kind = DP_HTTP_CT_JSON;
    else if (token_is(p, (size_t)(end - p), "application/x-ndjson") ||
             token_is(p, (size_t)(end - p), "application/jsonl") ||
             token_is(p, (size_t)(end - p), "application/x-jsonlines"))
        kind = DP_HTTP_CT_NDJSON;
    else
        return 0;
    /* Parameters: ; name=value ... Only charset matters, and it must be
     * UTF-8 (JSON's only encoding on the wire). */
    p = end;
    for (;;) {
        const char *name, *val;
        size_t nlen, vlen;
        while (is_ows(*p))
            p++;
        if (*p == '\0')
            return kind;
        if (*p != ';')
            return 0;
        p++;
        while (is_ows(*p))
            p++;
        if (*p == '\0')
            return kind; /* a trailing ';' */
        name = p;
        while (*p && *p != '=' && *p != ';' && !is_ows(*p))
            p++;
        nlen = (size_t)(p - name);
        if (*p != '=' || nlen == 0)
            return 0;
        p++;
        if (*p == '"') {
            val = ++p;
            while (*p && *p != '"')
                p++;
            if (*p != '"')
                return 0;
            vlen = (size_t)(p - val);
            p++;
        } else {
            val = p;
            while (*p && *p != ';' && !is_ows(*p))
                p++;
            vlen = (size_t)(p - val);
        }
        if (token_is(name, nlen, "charset") && !token_is(val, vlen, "utf-8") &&
            !token_is(val, vlen, "utf8"))
            return 0;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t dpi_http_url_decode(const char *src, size_t n, char *dst)
{
    size_t i = 0, m = 0;

    assert(src && dst);
    while (i < n) {
        if (src[i] == '%') {
            int hi, lo;
            if (n - i < 3)
                return (size_t)-1;
            hi = hexval(src[i + 1]);
            lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return (size_t)-1;
            dst[m++] = (char)(hi * 16 + lo);
            i += 3;
        } else if (src[i] == '\0') {
            return (size_t)-1;
        } else {
            dst[m++] = src[i++];
        }
    }
    return m;
}

/*
 * The decoded value of query argument @name in the raw query string @q
 * (NULL when absent), copied into @buf of @cap bytes, NUL-terminated.
 * @return 1 found, 0 absent, -1 malformed or too long.
 */
static int query_arg(const char *q, const char *name, char *buf, size_t cap)
{
    size_t nlen = strlen(name);

    if (!q)
        return 0;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            size_t vlen = len - nlen - 1, m;
            if (vlen >= cap)
                return -1;
            m = dpi_http_url_decode(q + nlen + 1, vlen, buf);
            if (m == (size_t)-1)
                return -1;
            buf[m] = '\0';
            return 1;
        }
        if (len == nlen && strncmp(q, name, nlen) == 0) {
            buf[0] = '\0';
            return 1;
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* Parse the body as one JSON value; on failure fill @resp with a 400. */
static json_t *parse_body(const dp_http_request *req, dp_http_response *resp,
                          dp_status *rc)
{
    json_error_t jerr;
    json_t *root;

    *rc = DP_OK;
    if (req->body_len == 0) {
        *rc = dpi_http_error(resp, 400, "empty body: expected a JSON object");
        return NULL;
    }
    root = json_loadb(req->body ? req->body : "", req->body_len,
                      JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *rc = dpi_http_error(resp, 400,
                             "malformed JSON at line %d, column "
                             "%d: %s",
                             jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        *rc = dpi_http_error(resp, 400, "expected a JSON object");
        return NULL;
    }
    return root;
}

/*
 * Read optional field @key of @obj as a number in [@lo, @hi].
 * @return 0 absent (*out untouched), 1 read, -1 wrong type or range (and
 *         @resp holds the 400; *rc its status).
 */
static int number_field(json_t *obj, const char *key, double lo, double hi,
                        int lo_open, double *out, dp_http_response *resp,
                        dp_status *rc)
{
    json_t *v = json_object_get(obj, key);
    double x;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v)) {
        *rc = dpi_http_error(resp, 400, "field \"%s\" must be a number", key);
        return -1;
    }
    x = json_number_value(v);
    if (!(x >= lo && x <= hi) || (lo_open && x == lo)) {
        *rc = dpi_http_error(resp, 400, "field \"%s\" must be in %c%g, %g]",
                             key, lo_open ? '(' : '[', lo, hi);
        return -1;
    }
    *out = x;
    return 1;
}

/* As number_field, for a non-negative integer at most @hi. */
static int uint_field(json_t *obj, const char *key, json_int_t hi,
                      json_int_t *out, dp_http_response *resp, dp_status *rc)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > hi) {
        *rc = dpi_http_error(resp, 400,
                             "field \"%s\" must be an integer in [0, %lld]",
                             key, (long long)hi);
        return -1;
    }
    *out = json_integer_value(v);
    return 1;
}

/* The index, or a 503 when the server runs without one. */
static int need_index(dp_http_ctx *ctx, dp_http_response *resp, dp_status *rc)
{
    if (ctx->index)
        return 1;
    *rc = dpi_http_error(resp, 503, "this server has no index");
    return 0;
}

/* -------------------------------------------------------------- health */

static dp_status do_health(dp_http_ctx *ctx, dp_http_response *resp)
{
    json_t *root = json_object();
    int bad;

    if (!root)
        return DP_ENOMEM;
    bad = dpi_report_put(root, "status", json_string("ok"));
    bad |= dpi_report_put(root, "version", json_string(dp_version()));
    bad |= dpi_report_put(root, "index", json_boolean(ctx->index != NULL));
    return answer(resp, root, NULL, bad);
}

/* --------------------------------------------------------------- stats */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static dp_status do_stats(dp_http_ctx *ctx, dp_http_response *resp)
{
    dp_index_stats st;
    dp_error err;
    json_t *root, *ix, *srv;
    dp_status rc;
    int bad;

    if (!need_index(ctx, resp, &rc))
        return rc;
    memset(&err, 0, sizeof err);
    rc = dp_index_stats_get(ctx->index, &st, &err);
    if (rc)
        return lib_error(resp, rc, &err, "reading index statistics");
    root = json_object();
    ix = dpi_report_index_stats(&st); /* as `doppel index stats --json` */
    srv = json_object();
    if (!root || !ix || !srv) {
        json_decref(root);
        json_decref(ix);
        json_decref(srv);
        return DP_ENOMEM;
    }
    bad = dpi_report_put(srv, "version", json_string(dp_version()));
    bad |= dpi_report_put(
        srv, "uptime_seconds",
        json_real(round((now_mono() - ctx->started) * 1000.0) / 1000.0));
    bad |= dpi_report_put(srv, "threads", json_integer(ctx->threads));
    bad |= dpi_report_put(srv, "max_body",
                          json_integer((json_int_t)ctx->max_body));
    bad |= dpi_report_put(srv, "read_only", json_boolean(ctx->read_only));
    bad |= dpi_report_put(srv, "requests",
                          json_integer((json_int_t)__atomic_load_n(
                              &ctx->requests, __ATOMIC_RELAXED)));
    bad |= dpi_report_put(srv, "errors_4xx",
                          json_integer((json_int_t)__atomic_load_n(
                              &ctx->errors_4xx, __ATOMIC_RELAXED)));
    bad |= dpi_report_put(srv, "errors_5xx",
                          json_integer((json_int_t)__atomic_load_n(
                              &ctx->errors_5xx, __ATOMIC_RELAXED)));
    bad |= dpi_report_put(root, "index", ix);
    bad |= dpi_report_put(root, "server", srv);
    return answer(resp, root, NULL, bad);
}

/* --------------------------------------------------------------- query */

/* The answer to a query: as `doppel index query --json`, plus the count.
 * @threshold: the one asked for, 0 for the index's. */
static dp_status query_answer(dp_http_ctx *ctx, dp_http_response *resp,
                              double threshold, const dp_index_hit *hits,
                              size_t nhits)
{
    dp_index_params params;
    json_t *root = json_object(), *arr = dpi_report_index_hits(hits, nhits);
    int bad = !root || !arr;

    dp_index_params_get(ctx->index, &params);
    if (threshold == 0.0)
        threshold = params.threshold;
    if (!bad) {
        bad = dpi_report_put(root, "threshold", json_real(threshold));
        bad |= dpi_report_put(root, "exact",
                              json_boolean(!(params.flags & DP_INDEX_NO_SETS)));
        bad |= dpi_report_put(root, "count", json_integer((json_int_t)nhits));
        bad |= dpi_report_put(root, "hits", arr);
        arr = NULL;
    }
    return answer(resp, root, arr, bad);
}

static dp_status do_query(dp_http_ctx *ctx, const dp_http_request *req,
                          dp_http_response *resp)
{
    dp_index_query_opts qo;
    dp_index_hit *hits = NULL;
    size_t nhits = 0;
    dp_error err;
    json_t *body, *text, *id, *self;
    json_int_t limit = 100;
    dp_status rc;

    if (!need_index(ctx, resp, &rc))
        return rc;
    body = parse_body(req, resp, &rc);
    if (!body)
        return rc;
    dp_index_query_opts_init(&qo);
    if (number_field(body, "threshold", 0.0, 1.0, 1, &qo.threshold, resp, &rc) <
            0 ||
        uint_field(body, "limit", DP_HTTP_MAX_LIMIT, &limit, resp, &rc) < 0)
        goto done;
    qo.limit = (size_t)limit;
    self = json_object_get(body, "include_self");
    if (self && !json_is_boolean(self)) {
        rc = dpi_http_error(resp, 400,
                            "field \"include_self\" must be true "
                            "or false");
        goto done;
    }
    qo.include_self = self && json_is_true(self);
    text = json_object_get(body, "text");
    id = json_object_get(body, "id");
    if ((text && id) || (!text && !id)) {
        rc = dpi_http_error(resp, 400,
                            "give exactly one of \"text\" and "
                            "\"id\"");
        goto done;
    }
    memset(&err, 0, sizeof err);
    if (text) {
        if (!json_is_string(text)) {
            rc = dpi_http_error(resp, 400, "field \"text\" must be a string");
            goto done;
        }
        rc = dp_index_query_text(ctx->index, json_string_value(text),
                                 json_string_length(text), &qo, &hits, &nhits,
                                 &err);
        if (rc == DP_EEMPTY) {
            rc = dpi_http_error(resp, 400, "the query text holds no words");
            goto done;
        }
        if (rc) {
            rc = lib_error(resp, rc, &err, "query");
            goto done;
        }
    } else {
        if (!json_is_string(id) || json_string_length(id) == 0) {
            rc = dpi_http_error(resp, 400,
                                "field \"id\" must be a non-empty "
                                "string");
            goto done;
        }
        rc =
            dp_index_query_id(ctx->index, json_string_value(id),
                              json_string_length(id), &qo, &hits, &nhits, &err);
        if (rc == DP_ENOTFOUND) {
            size_t n = json_string_length(id);
            rc = dpi_http_error(resp, 404, "no document with id \"%.*s%s\"",
                                id_shown(n), json_string_value(id), id_more(n));
            goto done;
        }
        if (rc) {
            rc = lib_error(resp, rc, &err, "query");
            goto done;
        }
    }
    rc = query_answer(ctx, resp, qo.threshold, hits, nhits);
done:
    dp_free(hits);
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------- compare */

/* The document for field @key of @body, or NULL with a 400 in @resp. */
static dp_doc *compare_doc(json_t *body, const char *key,
                           dp_http_response *resp, dp_status *rc)
{
    json_t *v = json_object_get(body, key);
    dp_text_opts to;
    dp_doc *doc = NULL;
    dp_error err;
    dp_status st;

    if (!v) {
        *rc = dpi_http_error(resp, 400, "missing field \"%s\" (a text)", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        *rc = dpi_http_error(resp, 400, "field \"%s\" must be a string", key);
        return NULL;
    }
    dp_text_opts_init(&to);
    memset(&err, 0, sizeof err);
    st = dp_doc_create(json_string_value(v), json_string_length(v), &to, &doc,
                       &err);
    if (st) {
        char what[32];
        snprintf(what, sizeof what, "field \"%s\"", key);
        *rc = lib_error(resp, st, &err, what);
        return NULL;
    }
    if (dp_doc_words(doc) == 0) {
        dp_doc_free(doc);
        *rc = dpi_http_error(resp, 400, "field \"%s\" holds no words", key);
        return NULL;
    }
    return doc;
}

static dp_status do_compare(const dp_http_request *req, dp_http_response *resp)
{
    dp_compare_opts co;
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *cmp = NULL;
    json_t *body;
    json_int_t v;
    char *text = NULL;
    size_t len = 0;
    dp_status rc;
    int r;

    body = parse_body(req, resp, &rc);
    if (!body)
        return rc;
    /* The options of `doppel compare`, with the same limits. */
    dp_compare_opts_init(&co);
    if ((r = uint_field(body, "min_words", 1000000, &v, resp, &rc)) < 0)
        goto done;
    if (r) {
        if (v < 1) {
            rc = dpi_http_error(resp, 400,
                                "field \"min_words\" must be at "
                                "least 1");
            goto done;
        }
        co.min_words = (unsigned)v;
    }
    if ((r = uint_field(body, "max_gap", 1000, &v, resp, &rc)) < 0)
        goto done;
    if (r)
        co.max_gap = (unsigned)v;
    if ((r = uint_field(body, "shingle", 64, &v, resp, &rc)) < 0)
        goto done;
    if (r) {
        if (v < 1) {
            rc = dpi_http_error(resp, 400,
                                "field \"shingle\" must be at "
                                "least 1");
            goto done;
        }
        co.shingle_k = (unsigned)v;
    }
    a = compare_doc(body, "a", resp, &rc);
    if (!a)
        goto done;
    b = compare_doc(body, "b", resp, &rc);
    if (!b)
        goto done;
    rc = dp_compare(a, b, &co, &cmp);
    if (rc) {
        rc = lib_error(resp, rc, NULL, "compare");
        goto done;
    }
    /* The very JSON `doppel compare --json` prints (with its newline);
     * "path" is null for both sides: the texts came in the request. */
    rc = dp_comparison_json(cmp, NULL, NULL, &text, &len);
    if (rc) {
        rc = lib_error(resp, rc, NULL, "compare");
        goto done;
    }
    {
        char *t = malloc(len + 2);
        if (!t) {
            rc = DP_ENOMEM;
            goto done;
        }
        memcpy(t, text, len);
        t[len] = '\n';
        t[len + 1] = '\0';
        free(resp->body);
        resp->body = t;
        resp->body_len = len + 1;
        resp->status = 200;
    }
done:
    dp_free(text);
    dp_comparison_free(cmp);
    dp_doc_free(a);
    dp_doc_free(b);
    json_decref(body);
    return rc;
}

/* ----------------------------------------------------- POST /documents */

/*
 * The documents of one POST /documents body, read by the corpus reader
 * (dp_reader_open_memory) with the rules every other input follows
 * (docs/inputs.md): the same field checks, duplicate keys refused, the
 * same id and UTF-8 rules, every other field kept as metadata. The
 * reader's records are borrowed only until its next call, so their id,
 * text and metadata are copied into one arena.
 */
typedef struct batch_doc {
    size_t id, id_len; /* arena offsets and lengths */
    size_t text, text_len;
    size_t meta, meta_len; /* meta_len 0: no metadata */
    uint64_t line;         /* 1-based line (JSONL) or position (array) */
} batch_doc;

typedef struct batch {
    batch_doc *docs;
    size_t n, cap;
    char *arena; /* ids, texts and metadata, each NUL-terminated */
    size_t arena_len, arena_cap;
    dp_index_doc *idocs; /* what dp_index_add() gets, parallel to docs */
} batch;

static void batch_free(batch *b)
{
    free(b->docs);
    free(b->arena);
    free(b->idocs);
    memset(b, 0, sizeof *b);
}

/* Copy @len bytes and a NUL into the arena; the offset, or (size_t)-1. */
static size_t arena_put(batch *b, const char *p, size_t len)
{
    size_t at = b->arena_len, need;
    if (__builtin_add_overflow(at, len, &need) ||
        __builtin_add_overflow(need, 1, &need) ||
        dpi_grow((void **)&b->arena, &b->arena_cap, need, 1))
        return (size_t)-1;
    memcpy(b->arena + at, p, len);
    b->arena[at + len] = '\0';
    b->arena_len = need;
    return at;
}

/* Keep one record; 0, or -1 when memory runs out. */
static int batch_push(batch *b, const dp_record *rec)
{
    batch_doc *d;
    if (DP_RESERVE(b->docs, b->cap, b->n + 1))
        return -1;
    d = &b->docs[b->n];
    d->id = arena_put(b, rec->id, rec->id_len);
    d->id_len = rec->id_len;
    d->text = arena_put(b, rec->text, rec->text_len);
    d->text_len = rec->text_len;
    d->meta = rec->meta ? arena_put(b, rec->meta, rec->meta_len) : 0;
    d->meta_len = rec->meta ? rec->meta_len : 0;
    d->line = rec->line;
    if (d->id == (size_t)-1 || d->text == (size_t)-1 || d->meta == (size_t)-1)
        return -1;
    b->n++;
    return 0;
}

/*
 * Read every document of the body (@jsonl: JSONL, else one JSON document
 * or an array of them). The first bad record refuses the whole request:
 * 400 (413 for a record over the size cap) naming its line ("line 3: ")
 * or array position ("document 2: ") and the reader's message. Returns 0,
 * or nonzero with @resp / *@rc set.
 */
static int read_docs(const dp_http_ctx *ctx, batch *b,
                     const dp_http_request *req, int jsonl,
                     dp_http_response *resp, dp_status *rc)
{
    dp_reader_opts o;
    dp_reader *r = NULL;
    dp_record rec;
    dp_error err;
    dp_status st;

    dp_reader_opts_init(&o);
    o.stdin_format = jsonl ? DP_FORMAT_JSONL : DP_FORMAT_JSON;
    o.keep_meta = 1;
    if (ctx->id_field)
        o.id_field = ctx->id_field;
    if (ctx->text_field)
        o.text_field = ctx->text_field;
    o.utf8 = ctx->utf8;
    memset(&err, 0, sizeof err);
    st = dp_reader_open_memory(req->body, req->body_len, "body", &o, &r, &err);
    if (st) {
        *rc = st;
        return 1;
    }
    while ((st = dp_reader_next(r, &rec, &err)) == DP_OK) {
        if (b->n >= DP_HTTP_MAX_BATCH) {
            *rc = dpi_http_error(resp, 413,
                                 "more than %d documents in one request",
                                 DP_HTTP_MAX_BATCH);
            break;
        }
        if (batch_push(b, &rec)) {
            *rc = DP_ENOMEM;
            break;
        }
    }
    if (st != DP_OK && st != DP_EOF) {
        uint64_t line = dp_reader_line(r);
        unsigned code = st == DP_ENOMEM ? 500 : status_of(st);
        if (code >= 500)
            code = 400;
        if (st == DP_ENOMEM)
            *rc = DP_ENOMEM;
        else if (line > 0)
            *rc =
                dpi_http_error(resp, code, "%s %" PRIu64 ": %s",
                               jsonl ? "line" : "document", line, err.message);
        else
            *rc = dpi_http_error(resp, code, "%s", err.message);
    }
    dp_reader_free(r);
    return st != DP_EOF;
}

/* Is the body a JSON array (its first byte past a BOM and white space is
 * '[')? A single document's refusal is a 400, a batch's a "refused". */
static int body_is_array(const char *p, size_t n)
{
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '[';
}

static const char *dedup_name(dp_index_dedup_mode m)
{
    return m == DP_INDEX_DEDUP_OFF    ? "off"
           : m == DP_INDEX_DEDUP_SKIP ? "skip"
                                      : "report";
}

/* The query arguments of POST /documents into @ao; 0, or nonzero with
 * the 400 in @resp / *@rc. */
static int add_args(const dp_http_request *req, dp_index_add_opts *ao,
                    dp_http_response *resp, dp_status *rc)
{
    char arg[64];
    int r;

    dp_index_add_opts_init(ao);
    ao->dedup = DP_INDEX_DEDUP_REPORT;
    ao->threads = 1; /* the worker thread itself: requests are the unit */
    r = query_arg(req->query, "dedup", arg, sizeof arg);
    if (r < 0 || (r > 0 && strcmp(arg, "off") != 0 &&
                  strcmp(arg, "report") != 0 && strcmp(arg, "skip") != 0)) {
        *rc = dpi_http_error(resp, 400,
                             "query argument dedup must be off, "
                             "report or skip");
        return 1;
    }
    if (r > 0)
        ao->dedup = strcmp(arg, "off") == 0    ? DP_INDEX_DEDUP_OFF
                    : strcmp(arg, "skip") == 0 ? DP_INDEX_DEDUP_SKIP
                                               : DP_INDEX_DEDUP_REPORT;
    r = query_arg(req->query, "threshold", arg, sizeof arg);
    if (r != 0) {
        char *end = NULL;
        double t = r > 0 ? strtod(arg, &end) : -1.0;
        if (r < 0 || end == arg || *end || !(t > 0.0 && t <= 1.0)) {
            *rc = dpi_http_error(resp, 400,
                                 "query argument threshold must "
                                 "be a number in (0, 1]");
            return 1;
        }
        ao->threshold = t;
    }
    return 0;
}

/* Counts of an add, for the answer's summary. */
typedef struct add_counts {
    size_t added, replaced, dups, skipped, refused;
} add_counts;

/* The answer entry of document @i; NULL when memory runs out. */
static json_t *add_entry(const batch *b, size_t i, const dp_index_add_result *x,
                         const dp_index_add_opts *ao, int single, add_counts *n)
{
    json_t *o = json_object();
    /* The statuses of `doppel index add --json`. */
    const char *st = x->status != DP_OK ? "refused"
                     : x->skipped       ? "skipped"
                     : x->replaced      ? "replaced"
                                        : "added";
    int bad = !o;

    bad = bad ||
          dpi_report_put(o, "id",
                         dpi_json_text(b->idocs[i].id, b->idocs[i].id_len));
    bad = bad || dpi_report_put(o, "status", json_string(st));
    if (x->status != DP_OK) {
        n->refused++;
        bad = bad ||
              dpi_report_put(o, "error", json_string(dp_strerror(x->status)));
        if (!single)
            bad = bad ||
                  dpi_report_put(o, "line",
                                 json_integer((json_int_t)b->docs[i].line));
    } else {
        n->skipped += x->skipped != 0;
        n->added += !x->skipped;
        n->replaced += x->replaced != 0;
        n->dups += x->duplicate != 0;
        if (ao->dedup != DP_INDEX_DEDUP_OFF) {
            bad = bad ||
                  dpi_report_put(o, "duplicate", json_boolean(x->duplicate));
            bad = bad || dpi_report_put(
                             o, "best_match",
                             x->dup_id ? dpi_json_text(x->dup_id, x->dup_id_len)
                                       : json_null());
            bad = bad || dpi_report_put(o, "score",
                                        x->dup_id ? json_real(x->dup_score)
                                                  : json_null());
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The 200 answer of an add: counts and one entry per document. */
static dp_status add_answer(const batch *b, const dp_index_add_result *res,
                            const dp_index_add_opts *ao, int single,
                            dp_http_response *resp)
{
    json_t *root = json_object(), *arr = json_array();
    add_counts n;
    size_t i;
    int bad = !root || !arr;

    memset(&n, 0, sizeof n);
    for (i = 0; !bad && i < b->n; i++)
        bad = dpi_report_push(arr, add_entry(b, i, &res[i], ao, single, &n));
    if (!bad) {
        bad = dpi_report_put(root, "added", json_integer((json_int_t)n.added));
        bad |= dpi_report_put(root, "replaced",
                              json_integer((json_int_t)n.replaced));
        bad |= dpi_report_put(root, "duplicates",
                              json_integer((json_int_t)n.dups));
        bad |= dpi_report_put(root, "skipped",
                              json_integer((json_int_t)n.skipped));
        bad |= dpi_report_put(root, "refused",
                              json_integer((json_int_t)n.refused));
        bad |=
            dpi_report_put(root, "dedup", json_string(dedup_name(ao->dedup)));
        bad |= dpi_report_put(root, "documents", arr);
        arr = NULL;
    }
    return answer(resp, root, arr, bad);
}

static dp_status do_add(dp_http_ctx *ctx, const dp_http_request *req,
                        dp_http_response *resp)
{
    batch b;
    dp_index_add_opts ao;
    dp_index_add_result *res = NULL;
    dp_error err;
    unsigned kind = dpi_http_content_type_parse(req->content_type);
    size_t i;
    int single;
    dp_status rc = DP_OK;

    memset(&b, 0, sizeof b);
    if (!need_index(ctx, resp, &rc))
        return rc;
    if (ctx->read_only)
        return dpi_http_error(resp, 403, "the index is open read-only");
    if (add_args(req, &ao, resp, &rc))
        return rc;
    if (req->body_len == 0)
        return dpi_http_error(resp, 400,
                              "empty body: expected a JSON "
                              "document or JSONL lines");
    if (read_docs(ctx, &b, req, kind == DP_HTTP_CT_NDJSON, resp, &rc))
        goto done;
    single = kind != DP_HTTP_CT_NDJSON && b.n == 1 &&
             !body_is_array(req->body, req->body_len);
    if (b.n == 0) {
        rc = dpi_http_error(resp, 400, "no documents in the body");
        goto done;
    }
    b.idocs = calloc(b.n, sizeof *b.idocs);
    if (!b.idocs) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0; i < b.n; i++) {
        const batch_doc *x = &b.docs[i];
        dp_index_doc *d = &b.idocs[i];
        d->id = b.arena + x->id;
        d->id_len = x->id_len;
        d->text = b.arena + x->text;
        d->text_len = x->text_len;
        d->meta = x->meta_len ? b.arena + x->meta : NULL;
        d->meta_len = x->meta_len;
    }
    memset(&err, 0, sizeof err);
    rc = dp_index_add(ctx->index, b.idocs, b.n, &ao, &res, &err);
    if (rc)
        rc = lib_error(resp, rc, &err, "adding documents");
    else if (single && res[0].status != DP_OK)
        rc = dpi_http_error(
            resp, status_of(res[0].status), "document \"%.*s%s\" not added: %s",
            id_shown(b.idocs[0].id_len), b.idocs[0].id,
            id_more(b.idocs[0].id_len), dp_strerror(res[0].status));
    else
        rc = add_answer(&b, res, &ao, single, resp);
done:
    dp_free(res);
    batch_free(&b);
    return rc;
}

/* ------------------------------------------------- /documents/{id} */

static dp_status do_document(dp_http_ctx *ctx, const dp_http_request *req,
                             size_t id_start, dp_http_response *resp)
{
    const char *enc = req->path + id_start;
    size_t elen = strlen(enc), idlen;
    char *id;
    dp_error err;
    dp_status rc;

    if (!need_index(ctx, resp, &rc))
        return rc;
    id = malloc(elen + 1);
    if (!id)
        return DP_ENOMEM;
    idlen = dpi_http_url_decode(enc, elen, id);
    if (idlen == (size_t)-1) {
        free(id);
        return dpi_http_error(resp, 400,
                              "malformed %%-escape (or %%00) in "
                              "the document id");
    }
    id[idlen] = '\0';
    if (idlen > DP_INDEX_MAX_ID) {
        rc = dpi_http_error(resp, 404,
                            "no document with id \"%.*s%s\" (ids "
                            "are at most %d bytes)",
                            id_shown(idlen), id, id_more(idlen),
                            DP_INDEX_MAX_ID);
        free(id);
        return rc;
    }
    memset(&err, 0, sizeof err);
    if (strcmp(req->method, "DELETE") == 0) {
        json_t *root;
        int bad;
        if (ctx->read_only) {
            free(id);
            return dpi_http_error(resp, 403, "the index is open read-only");
        }
        rc = dp_index_remove(ctx->index, id, idlen, &err);
        if (rc == DP_ENOTFOUND) {
            rc = dpi_http_error(resp, 404, "no document with id \"%.*s%s\"",
                                id_shown(idlen), id, id_more(idlen));
        } else if (rc) {
            rc = lib_error(resp, rc, &err, "removing the document");
        } else {
            root = json_object();
            bad = !root ||
                  dpi_report_put(root, "id", dpi_json_text(id, idlen)) ||
                  dpi_report_put(root, "removed", json_true());
            if (bad) {
                json_decref(root);
                rc = DP_ENOMEM;
            } else {
                rc = respond(resp, 200, root);
            }
        }
    } else {
        dp_index_entry *e = NULL;
        json_t *root, *meta = NULL;
        char arg[8];
        int with_text = 1, bad, r;
        r = query_arg(req->query, "text", arg, sizeof arg);
        if (r > 0 && (strcmp(arg, "0") == 0 || strcmp(arg, "false") == 0))
            with_text = 0;
        rc = dp_index_get(ctx->index, id, idlen, with_text, &e, &err);
        if (rc == DP_ENOTFOUND) {
            rc = dpi_http_error(resp, 404, "no document with id \"%.*s%s\"",
                                id_shown(idlen), id, id_more(idlen));
        } else if (rc) {
            rc = lib_error(resp, rc, &err, "reading the document");
        } else {
            if (e->meta) {
                meta = json_loadb(e->meta, e->meta_len, 0, NULL);
                if (!meta)
                    meta = dpi_json_text(e->meta, e->meta_len);
            }
            root = json_object();
            bad = !root ||
                  dpi_report_put(root, "id", dpi_json_text(e->id, e->id_len));
            /* As `doppel index get --json`. */
            bad = bad ||
                  dpi_report_put(root, "seq", json_integer((json_int_t)e->seq));
            bad = bad || dpi_report_put(root, "words", json_integer(e->words));
            bad =
                bad || dpi_report_put(root, "meta", meta ? meta : json_null());
            meta = NULL;
            if (!bad && e->text)
                bad = dpi_report_put(root, "text",
                                     dpi_json_text(e->text, e->text_len));
            if (bad) {
                json_decref(root);
                rc = DP_ENOMEM;
            } else {
                rc = respond(resp, 200, root);
            }
            json_decref(meta);
        }
        dp_free(e);
    }
    free(id);
    return rc;
}

/* ---------------------------------------------------------- the router */

dp_status dpi_http_handle(dp_http_ctx *ctx, const dp_http_request *req,
                          dp_http_response *resp)
{
    dp_http_route route;
    size_t id_start = 0;
    const char *allow;
    unsigned types;
    int ok;
    dp_status rc;

    assert(ctx && req && resp && req->method && req->path);
    memset(resp, 0, sizeof *resp);
    route = dpi_http_route_of(req->path, &id_start);
    if (route == DP_HTTP_ROUTE_NONE)
        return dpi_http_error(resp, 404, "no such endpoint: %.200s", req->path);
    allow = dpi_http_allowed(route, req->method, &ok);
    if (!ok) {
        rc = dpi_http_error(resp, 405,
                            "method %.32s not allowed here; "
                            "allowed: %s",
                            req->method, allow);
        resp->allow = allow;
        return rc;
    }
    types = dpi_http_content_types(route);
    if (types && !(dpi_http_content_type_parse(req->content_type) & types))
        return dpi_http_error(resp, 415, "Content-Type must be %s (got %.100s)",
                              types & DP_HTTP_CT_NDJSON
                                  ? "application/json or application/x-ndjson"
                                  : "application/json",
                              req->content_type ? req->content_type : "none");
    if (req->body_len > ctx->max_body)
        return dpi_http_error(resp, 413, "request body over %zu bytes",
                              ctx->max_body);
    switch (route) {
    case DP_HTTP_ROUTE_HEALTH: rc = do_health(ctx, resp); break;
    case DP_HTTP_ROUTE_STATS: rc = do_stats(ctx, resp); break;
    case DP_HTTP_ROUTE_QUERY: rc = do_query(ctx, req, resp); break;
    case DP_HTTP_ROUTE_COMPARE: rc = do_compare(req, resp); break;
    case DP_HTTP_ROUTE_DOCUMENTS: rc = do_add(ctx, req, resp); break;
    case DP_HTTP_ROUTE_DOCUMENT:
        rc = do_document(ctx, req, id_start, resp);
        break;
    default: rc = dpi_http_error(resp, 500, "unrouted path"); break;
    }
    if (rc == DP_OK && !resp->body)
        rc = dpi_http_error(resp, 500, "no response was built");
    if (rc) {
        /* Out of memory (or worse) while answering: say so if we can. */
        free(resp->body);
        resp->body = NULL;
        return dpi_http_error(resp, 500, "%s", dp_strerror(rc));
    }
    return DP_OK;
}
