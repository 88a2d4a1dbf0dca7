/*
 * reuse_json.c - the JSON of a reuse run: one object per passage and per
 * cluster (the JSONL lines of `doppel reuse --passages/--clusters`) and
 * the run summary (`--json`), built with jansson from the public
 * accessors. Shapes and an example: docs/reuse.md, "JSON".
 */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "reuse/reuse.h"
#include "report/report.h"

static json_t *doc_text(const dp_reuse *r, uint32_t d, dp_span sp)
{
    size_t len;
    const char *t = dp_reuse_text(r, d, &len);
    if (!t || sp.end > len || sp.start > sp.end)
        return json_null();
    return dpi_json_text(t + sp.start, sp.end - sp.start);
}

static json_t *doc_id(const dp_reuse *r, uint32_t d)
{
    size_t len;
    const char *id = dp_reuse_id(r, d, &len);
    return id ? dpi_json_text(id, len) : json_null();
}

/* The date as ISO 8601 UTC ("1987-02-26T15:01:01Z"), or null. */
static json_t *doc_date(const dp_reuse *r, uint32_t d)
{
    int64_t t;
    time_t tt;
    struct tm tm;
    char buf[40];
    if (dp_reuse_date(r, d, &t))
        return json_null();
    tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) ||
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(buf);
}

static json_t *passage_obj(const dp_reuse *r, size_t i)
{
    const dp_reuse_passage *p = dp_reuse_passage_at(r, i);
    json_t *o = json_object();
    size_t la, lb;
    const char *ta = dp_reuse_text(r, p->a, &la);
    const char *tb = dp_reuse_text(r, p->b, &lb);
    int bad = !o;

    if (bad)
        return NULL;
    bad |= dpi_report_put(o, "a", doc_id(r, p->a));
    bad |= dpi_report_put(o, "b", doc_id(r, p->b));
    bad |= dpi_report_put(o, "a_doc", json_integer(p->a));
    bad |= dpi_report_put(o, "b_doc", json_integer(p->b));
    bad |=
        dpi_report_put(o, "a_start", json_integer((json_int_t)p->a_span.start));
    bad |= dpi_report_put(o, "a_end", json_integer((json_int_t)p->a_span.end));
    bad |=
        dpi_report_put(o, "b_start", json_integer((json_int_t)p->b_span.start));
    bad |= dpi_report_put(o, "b_end", json_integer((json_int_t)p->b_span.end));
    bad |= dpi_report_put(o, "words", json_integer((json_int_t)p->words));
    bad |= dpi_report_put(o, "cluster", json_integer((json_int_t)p->cluster));
    bad |= dpi_report_put(o, "text", doc_text(r, p->a, p->a_span));
    if (ta && tb &&
        (p->a_span.end - p->a_span.start != p->b_span.end - p->b_span.start ||
         memcmp(ta + p->a_span.start, tb + p->b_span.start,
                p->a_span.end - p->a_span.start) != 0))
        bad |= dpi_report_put(o, "b_text", doc_text(r, p->b, p->b_span));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *member_obj(const dp_reuse *r, const dp_reuse_member *m)
{
    json_t *o = json_object();
    size_t slen;
    const char *src = dp_reuse_source(r, m->doc, &slen);
    int bad = !o;
    if (bad)
        return NULL;
    bad |= dpi_report_put(o, "id", doc_id(r, m->doc));
    bad |= dpi_report_put(o, "doc", json_integer(m->doc));
    bad |= dpi_report_put(o, "start", json_integer((json_int_t)m->span.start));
    bad |= dpi_report_put(o, "end", json_integer((json_int_t)m->span.end));
    bad |= dpi_report_put(o, "words", json_integer((json_int_t)m->words));
    bad |= dpi_report_put(o, "date", doc_date(r, m->doc));
    bad |= dpi_report_put(o, "source",
                          src ? dpi_json_text(src, slen) : json_null());
    bad |= dpi_report_put(o, "text", doc_text(r, m->doc, m->span));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *cluster_obj(const dp_reuse *r, size_t c)
{
    dp_reuse_cluster cl;
    json_t *o, *mem;
    size_t k;
    int bad;
    const dp_reuse_member *rep;

    if (dp_reuse_cluster_get(r, c, &cl))
        return NULL;
    o = json_object();
    mem = json_array();
    bad = !o || !mem;
    rep = &cl.members[cl.earliest >= 0 ? cl.earliest : 0];
    for (k = 0; !bad && k < cl.nmembers; k++)
        bad |= dpi_report_push(mem, member_obj(r, &cl.members[k]));
    if (!bad) {
        bad |= dpi_report_put(o, "cluster", json_integer((json_int_t)c));
        bad |= dpi_report_put(o, "docs", json_integer((json_int_t)cl.docs));
        bad |=
            dpi_report_put(o, "members", json_integer((json_int_t)cl.nmembers));
        bad |= dpi_report_put(o, "passages",
                              json_integer((json_int_t)cl.passages));
        bad |= dpi_report_put(o, "boilerplate", json_boolean(cl.boilerplate));
        bad |= dpi_report_put(o, "earliest",
                              cl.earliest >= 0
                                  ? json_integer((json_int_t)cl.earliest)
                                  : json_null());
        bad |= dpi_report_put(o, "text", doc_text(r, rep->doc, rep->span));
        bad |= dpi_report_put(o, "places", mem);
        mem = NULL;
    }
    json_decref(mem);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

dp_status dp_reuse_passage_json(const dp_reuse *r, size_t i, char **out,
                                size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!r || !out || i >= dp_reuse_passages(r))
        return DP_EINVAL;
    return dpi_report_dump(passage_obj(r, i), out, len);
}

dp_status dp_reuse_cluster_json(const dp_reuse *r, size_t c, char **out,
                                size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!r || !out || c >= dp_reuse_clusters(r))
        return DP_EINVAL;
    return dpi_report_dump(cluster_obj(r, c), out, len);
}

dp_status dp_reuse_summary_json(const dp_reuse *r, int with_clusters,
                                char **out, size_t *len)
{
    const dp_reuse_opts *o;
    dp_reuse_stats st;
    json_t *root, *arr = NULL;
    size_t c;
    int bad;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!r || !out)
        return DP_EINVAL;
    o = dpi_reuse_opts(r);
    dp_reuse_stats_get(r, &st);
    root = json_object();
    bad = !root;
    if (!bad) {
        bad |= dpi_report_put(root, "documents",
                              json_integer((json_int_t)st.docs));
        bad |=
            dpi_report_put(root, "words", json_integer((json_int_t)st.words));
        bad |= dpi_report_put(root, "min_words", json_integer(o->min_words));
        bad |= dpi_report_put(root, "max_gap", json_integer(o->max_gap));
        bad |= dpi_report_put(root, "ngram", json_integer(o->ngram));
        bad |= dpi_report_put(root, "max_df", json_integer(o->max_df));
        bad |= dpi_report_put(root, "min_shared", json_integer(o->min_shared));
        bad |=
            dpi_report_put(root, "boilerplate_pct", json_real(o->boilerplate));
        bad |= dpi_report_put(root, "boilerplate_min",
                              json_integer(o->boilerplate_min));
        bad |= dpi_report_put(root, "drop_boilerplate",
                              json_boolean(o->drop_boilerplate));
        bad |= dpi_report_put(root, "ignore_same_source",
                              json_boolean(o->ignore_same_source));
        bad |=
            dpi_report_put(root, "ngrams", json_integer((json_int_t)st.ngrams));
        bad |= dpi_report_put(root, "frequent_ngrams",
                              json_integer((json_int_t)st.frequent));
        bad |= dpi_report_put(root, "candidates",
                              json_integer((json_int_t)st.candidates));
        bad |= dpi_report_put(root, "same_source_skipped",
                              json_integer((json_int_t)st.same_source));
        bad |=
            dpi_report_put(root, "pairs", json_integer((json_int_t)st.pairs));
        bad |= dpi_report_put(root, "passages",
                              json_integer((json_int_t)st.passages));
        bad |= dpi_report_put(root, "clusters",
                              json_integer((json_int_t)st.clusters));
        bad |= dpi_report_put(root, "boilerplate",
                              json_integer((json_int_t)st.boilerplate));
        bad |= dpi_report_put(root, "dropped_passages",
                              json_integer((json_int_t)st.dropped));
        bad |= dpi_report_put(root, "memory_bytes",
                              json_integer((json_int_t)st.memory));
    }
    if (!bad && with_clusters) {
        arr = json_array();
        bad |= !arr;
        for (c = 0; !bad && c < dp_reuse_clusters(r); c++)
            bad |= dpi_report_push(arr, cluster_obj(r, c));
        bad |= dpi_report_put(root, "cluster_list", arr);
    }
    if (bad) {
        json_decref(root);
        return DP_ENOMEM;
    }
    return dpi_report_dump(root, out, len);
}
