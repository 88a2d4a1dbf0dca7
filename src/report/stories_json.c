/*
 * stories_json.c - JSON for the stories engine: one cluster as an object
 * (one line of `doppel stories --clusters`, one element of --json's
 * "clusters"), and the evidence for a pair (--explain --json). Schema in
 * docs/json.md ("stories").
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "story/stories.h"

static json_t *real4(double x)
{
    if (!(x == x))
        x = 0.0;
    return json_real(round(x * 10000.0) / 10000.0);
}

static json_t *opt_text(const char *p, size_t n)
{
    return p ? dpi_json_text(p, n) : json_null();
}

static json_t *day_json(int32_t day)
{
    char buf[16];
    if (day == DP_NO_DAY)
        return json_null();
    dpi_date_text(day, buf, sizeof buf);
    return json_string(buf);
}

static json_t *member(const dp_stories *s, uint32_t i)
{
    dp_stories_doc d;
    json_t *o = json_object();
    int bad;
    if (!o || dp_stories_doc_get(s, i, &d)) {
        json_decref(o);
        return NULL;
    }
    bad = dpi_report_put(o, "id", dpi_json_text(d.id, d.id_len));
    bad |= dpi_report_put(o, "source", opt_text(d.source, d.source_len));
    bad |= dpi_report_put(o, "date", opt_text(d.date, d.date_len));
    bad |= dpi_report_put(o, "day", day_json(dp_stories_day(s, i)));
    bad |= dpi_report_put(o, "title", opt_text(d.title, d.title_len));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

dp_status dp_stories_cluster_json(const dp_stories *s, size_t c, char **out,
                                  size_t *len)
{
    dp_stories_cluster cl;
    dp_stories_doc pd;
    json_t *o, *arr;
    size_t i;
    int bad;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!s || !out || dp_stories_cluster_get(s, c, &cl))
        return DP_EINVAL;
    if (dp_stories_doc_get(s, cl.primary, &pd))
        return DP_EINVAL;
    o = json_object();
    arr = json_array();
    if (!o || !arr) {
        json_decref(o);
        json_decref(arr);
        return DP_ENOMEM;
    }
    bad = dpi_report_put(o, "id", json_string(cl.id));
    bad |= dpi_report_put(o, "size", json_integer((json_int_t)cl.n));
    bad |= dpi_report_put(o, "primary", dpi_json_text(pd.id, pd.id_len));
    bad |= dpi_report_put(o, "cohesion",
                          cl.cohesion < 0 ? json_null() : real4(cl.cohesion));
    for (i = 0; !bad && i < cl.n; i++)
        bad |= dpi_report_push(arr, member(s, cl.members[i]));
    bad |= dpi_report_put(o, "members", arr);
    if (bad) {
        json_decref(o);
        return DP_ENOMEM;
    }
    return dpi_report_dump(o, out, len);
}

dp_status dp_stories_evidence_json(const dp_stories *s, size_t i, size_t j,
                                   const dp_stories_evidence *ev, char **out,
                                   size_t *len)
{
    dp_stories_doc a, b;
    json_t *o;
    int bad;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!s || !ev || !out || dp_stories_doc_get(s, i, &a) ||
        dp_stories_doc_get(s, j, &b))
        return DP_EINVAL;
    o = json_object();
    if (!o)
        return DP_ENOMEM;
    bad = dpi_report_put(o, "a", dpi_json_text(a.id, a.id_len));
    bad |= dpi_report_put(o, "b", dpi_json_text(b.id, b.id_len));
    bad |= dpi_report_put(o, "grouped", json_boolean(ev->grouped));
    bad |= dpi_report_put(o, "score", real4(ev->score));
    bad |= dpi_report_put(o, "threshold", real4(ev->threshold));
    bad |= dpi_report_put(o, "terms", real4(ev->terms));
    bad |= dpi_report_put(o, "names", real4(ev->names));
    bad |= dpi_report_put(o, "numbers", real4(ev->numbers));
    bad |= dpi_report_put(o, "shared_terms",
                          json_integer((json_int_t)ev->shared_terms));
    bad |= dpi_report_put(o, "shared_names",
                          json_integer((json_int_t)ev->shared_names));
    bad |= dpi_report_put(o, "shared_numbers",
                          json_integer((json_int_t)ev->shared_numbers));
    bad |= dpi_report_put(o, "names_text", json_string(ev->names_text));
    bad |= dpi_report_put(o, "numbers_text", json_string(ev->numbers_text));
    bad |= dpi_report_put(o, "day_a", day_json(dp_stories_day(s, i)));
    bad |= dpi_report_put(o, "day_b", day_json(dp_stories_day(s, j)));
    bad |= dpi_report_put(o, "day_gap",
                          ev->day_gap < 0 ? json_null()
                                          : json_integer(ev->day_gap));
    bad |=
        dpi_report_put(o, "years_disjoint", json_boolean(ev->years_disjoint));
    bad |=
        dpi_report_put(o, "passages", json_integer((json_int_t)ev->passages));
    bad |= dpi_report_put(o, "passage_words",
                          json_integer((json_int_t)ev->passage_words));
    bad |= dpi_report_put(
        o, "longest_passage",
        ev->passages ? json_pack("{s:[I,I],s:[I,I],s:o}", "a",
                                 (json_int_t)ev->longest[0].start,
                                 (json_int_t)ev->longest[0].end, "b",
                                 (json_int_t)ev->longest[1].start,
                                 (json_int_t)ev->longest[1].end, "text",
                                 dpi_json_text(a.text + ev->longest[0].start,
                                               ev->longest[0].end -
                                                   ev->longest[0].start))
                     : json_null());
    bad |= dpi_report_put(o, "containment_a_in_b", real4(ev->containment[0]));
    bad |= dpi_report_put(o, "containment_b_in_a", real4(ev->containment[1]));
    bad |= dpi_report_put(o, "candidate", json_boolean(ev->candidate));
    bad |= dpi_report_put(o, "reason", json_string(ev->reason));
    if (bad) {
        json_decref(o);
        return DP_ENOMEM;
    }
    return dpi_report_dump(o, out, len);
}
