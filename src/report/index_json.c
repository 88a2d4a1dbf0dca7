/*
 * index_json.c - the persistent index as JSON: its parameters, query
 * hits and statistics, built with jansson (never by hand), every write
 * checked. One copy of each object for everyone who prints it: the
 * command line (`doppel index create|query|stats --json`, through the
 * public dp_index_*_json() text), the HTTP server (`/query`, `/stats`,
 * through the jansson values of report.h) and the index's own on-disk
 * parameter record (params.c adds its format and hash family around
 * dpi_report_index_params_fields()). Shapes: docs/index.md ("JSON") and
 * docs/api.md.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "report/report.h"

/* The public text: compact, keys in order, reals with 17 significant
 * digits so that they parse back to the same double. */
#define TEXT_FLAGS                                                             \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

dp_status dpi_report_index_params_fields(json_t *o, const dp_index_params *p)
{
    int bad;
    bad = dpi_report_put(o, "shingle_k", json_integer(p->shingle_k));
    bad |= dpi_report_put(o, "perms", json_integer(p->perms));
    bad |= dpi_report_put(o, "threshold", json_real(p->threshold));
    bad |= dpi_report_put(o, "bands", json_integer(p->bands));
    bad |= dpi_report_put(o, "rows", json_integer(p->rows));
    bad |= dpi_report_put(o, "store_text",
                          json_boolean((p->flags & DP_INDEX_STORE_TEXT) != 0));
    bad |= dpi_report_put(o, "shingle_sets",
                          json_boolean((p->flags & DP_INDEX_NO_SETS) == 0));
    return bad ? DP_ENOMEM : DP_OK;
}

json_t *dpi_report_index_params(const dp_index_params *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (dpi_report_index_params_fields(o, p) ||
        dpi_report_put(o, "norm_version", json_integer(p->norm_version))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *hit(const dp_index_hit *h)
{
    json_t *o = json_object();
    int bad;
    if (!o)
        return NULL;
    bad = dpi_report_put(o, "id", dpi_json_text(h->id, h->id_len));
    bad |= dpi_report_put(o, "score", json_real(h->score));
    bad |= dpi_report_put(o, "estimate", json_real(h->estimate));
    bad |= dpi_report_put(o, "words", json_integer(h->words));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *dpi_report_index_hits(const dp_index_hit *hits, size_t n)
{
    json_t *arr = json_array();
    size_t i;
    if (!arr)
        return NULL;
    for (i = 0; i < n; i++)
        if (dpi_report_push(arr, hit(&hits[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* json_integer of a count (json_int_t is signed 64-bit). */
static json_t *count(uint64_t v)
{
    return json_integer((json_int_t)v);
}

json_t *dpi_report_index_stats(const dp_index_stats *s)
{
    json_t *o = json_object();
    double per = s->docs ? (double)s->data_bytes / (double)s->docs : 0.0;
    int bad;
    if (!o)
        return NULL;
    bad = dpi_report_put(o, "docs", count(s->docs));
    bad |= dpi_report_put(o, "band_entries", count(s->band_entries));
    bad |= dpi_report_put(o, "texts", count(s->texts));
    bad |= dpi_report_put(o, "next_seq", count(s->next_seq));
    bad |= dpi_report_put(o, "txn_id", count(s->txn_id));
    bad |= dpi_report_put(o, "file_bytes", count(s->file_bytes));
    bad |= dpi_report_put(o, "used_bytes", count(s->used_bytes));
    bad |= dpi_report_put(o, "data_bytes", count(s->data_bytes));
    bad |= dpi_report_put(o, "map_size", count(s->map_size));
    bad |= dpi_report_put(o, "bytes_per_doc", json_real(per));
    bad |= dpi_report_put(o, "readers", json_integer(s->readers));
    bad |= dpi_report_put(o, "max_readers", json_integer(s->max_readers));
    bad |= dpi_report_put(o, "params", dpi_report_index_params(&s->params));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Dump @j (consumed) as the caller's text. */
static dp_status text_of(json_t *j, char **out, size_t *len)
{
    char *s = j ? json_dumps(j, TEXT_FLAGS) : NULL;
    json_decref(j);
    if (!s)
        return DP_ENOMEM;
    *out = s;
    if (len)
        *len = strlen(s);
    return DP_OK;
}

dp_status dp_index_params_json(const dp_index_params *p, char **out,
                               size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!p || !out)
        return DP_EINVAL;
    return text_of(dpi_report_index_params(p), out, len);
}

dp_status dp_index_hits_json(const dp_index_hit *hits, size_t n, char **out,
                             size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if ((!hits && n) || !out)
        return DP_EINVAL;
    return text_of(dpi_report_index_hits(hits, n), out, len);
}

dp_status dp_index_stats_json(const dp_index_stats *s, char **out, size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!s || !out)
        return DP_EINVAL;
    return text_of(dpi_report_index_stats(s), out, len);
}
