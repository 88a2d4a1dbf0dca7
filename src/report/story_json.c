/*
 * story_json.c - dp_story_json(): the merged story of a cluster as one
 * JSON object, built with jansson. The schema is documented, with its
 * decisions, in docs/merged-story.md; this file is its reference
 * implementation. Offsets are original byte offsets into the member's
 * text, ends exclusive; members are named by their index into "members"
 * (and, for reading convenience, by "id" beside it).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "story/merge.h"
#include "story/story.h"

static json_t *real4(double x)
{
    if (!(x == x))
        x = 0.0;
    return json_real(round(x * 10000.0) / 10000.0);
}

static json_t *str_or_null(const char *p)
{
    return p ? dpi_json_text(p, strlen(p)) : json_null();
}

/* The id a member is shown by: its id, else its index. */
static json_t *member_id(const dp_story *s, size_t m)
{
    char buf[32];
    if (s->members[m].id)
        return dpi_json_text(s->members[m].id, strlen(s->members[m].id));
    snprintf(buf, sizeof buf, "%zu", m);
    return json_string(buf);
}

static json_t *text_of(const dp_story *s, size_t m, dp_span sp)
{
    const dp_doc *d = s->members[m].doc;
    return dpi_json_text(d->orig + sp.start, sp.end - sp.start);
}

/* "KEY": [texts], "KEY_spans": [[start, end], ...] */
static int put_spans(json_t *o, const char *key, const char *key_spans,
                     const dp_story *s, size_t m, const dp_span *sp, size_t n)
{
    json_t *t = json_array(), *p = json_array();
    size_t k;
    int bad = !t || !p;
    for (k = 0; !bad && k < n; k++) {
        json_t *pair =
            json_pack("[II]", (json_int_t)sp[k].start, (json_int_t)sp[k].end);
        bad |= dpi_report_push(t, text_of(s, m, sp[k]));
        bad |= dpi_report_push(p, pair);
    }
    if (bad) {
        json_decref(t);
        json_decref(p);
        return 1;
    }
    return dpi_report_put(o, key, t) | dpi_report_put(o, key_spans, p);
}

static const char *status_name(dp_sentence_status st)
{
    switch (st) {
    case DP_SENT_COPIED: return "copied";
    case DP_SENT_REWRITTEN: return "rewritten";
    case DP_SENT_UNIQUE: break;
    }
    return "only";
}

static json_t *members(const dp_story *s)
{
    json_t *a = json_array();
    size_t m;
    int bad = !a;
    for (m = 0; !bad && m < s->n; m++) {
        const dp_story_member *mb = &s->members[m];
        json_t *o = json_object();
        bad |= !o;
        if (bad)
            break;
        bad |= dpi_report_put(o, "index", json_integer((json_int_t)m));
        bad |= dpi_report_put(o, "id", member_id(s, m));
        bad |= dpi_report_put(o, "source", str_or_null(mb->source));
        bad |= dpi_report_put(o, "date", str_or_null(mb->date));
        bad |= dpi_report_put(o, "title", str_or_null(mb->title));
        bad |= dpi_report_put(o, "primary", json_boolean(m == s->primary));
        bad |= dpi_report_put(o, "sentences",
                              json_integer((json_int_t)mb->doc->nsents));
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* The compared pairs of members, [[i, j], ...] (the caps). */
static json_t *compared(const dp_story *s)
{
    json_t *a = json_array();
    size_t i;
    int bad = !a;
    for (i = 0; !bad && i < s->npairs; i++)
        bad |= dpi_report_push(a, json_pack("[II]", (json_int_t)s->pairs[i].i,
                                            (json_int_t)s->pairs[i].j));
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *carrier(const dp_story *s, const dp_story_carrier *c)
{
    json_t *o = json_object();
    int bad = !o;
    if (bad)
        return NULL;
    bad |= dpi_report_put(o, "member", json_integer((json_int_t)c->member));
    bad |= dpi_report_put(o, "id", member_id(s, c->member));
    bad |= dpi_report_put(o, "sentence", json_integer((json_int_t)c->sentence));
    bad |= dpi_report_put(o, "start", json_integer((json_int_t)c->span.start));
    bad |= dpi_report_put(o, "end", json_integer((json_int_t)c->span.end));
    bad |= dpi_report_put(o, "status", json_string(status_name(c->status)));
    bad |= dpi_report_put(
        o, "vs", c->vs >= 0 ? json_integer((json_int_t)c->vs) : json_null());
    bad |= dpi_report_put(o, "similarity", real4(c->similarity));
    bad |=
        put_spans(o, "added", "added_spans", s, c->member, c->added, c->nadded);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *units(const dp_story *s)
{
    json_t *a = json_array();
    size_t u, k;
    int bad = !a;
    for (u = 0; !bad && u < s->nunits; u++) {
        const dp_story_unit *un = &s->units[u];
        json_t *o = json_object(), *cs = json_array();
        bad |= !o || !cs;
        for (k = 0; !bad && k < un->ncarriers; k++)
            bad |= dpi_report_push(cs, carrier(s, &un->carriers[k]));
        if (bad) {
            json_decref(o);
            json_decref(cs);
            break;
        }
        bad |= dpi_report_put(o, "index", json_integer((json_int_t)u));
        bad |= dpi_report_put(
            o, "text",
            text_of(s, un->carriers[0].member, un->carriers[0].span));
        bad |= dpi_report_put(o, "members",
                              json_integer((json_int_t)un->nmembers));
        bad |= dpi_report_put(o, "origin",
                              un->origin >= 0
                                  ? json_integer((json_int_t)un->origin)
                                  : json_null());
        bad |= dpi_report_put(o, "carriers", cs);
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *details(const dp_story *s, size_t m)
{
    const dp_story_detail *dt;
    size_t n = dp_story_details(s, m, &dt), k;
    json_t *a = json_array();
    int bad = !a;
    for (k = 0; !bad && k < n; k++) {
        json_t *e = json_pack("{s:I,s:I,s:I}", "unit", (json_int_t)dt[k].unit,
                              "start", (json_int_t)dt[k].span.start, "end",
                              (json_int_t)dt[k].span.end);
        bad |= !e || dpi_report_put(e, "text", text_of(s, m, dt[k].span));
        bad |= dpi_report_push(a, e);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *adds(const dp_story *s)
{
    json_t *a = json_array();
    size_t m, k;
    int bad = !a;
    for (m = 0; !bad && m < s->n; m++) {
        const size_t *us;
        size_t n = dp_story_adds(s, m, &us);
        json_t *o = json_object(), *ss = json_array();
        bad |= !o || !ss;
        for (k = 0; !bad && k < n; k++) {
            const dp_story_carrier *c = &s->units[us[k]].carriers[0];
            json_t *e = json_pack(
                "{s:I,s:I,s:I,s:I}", "unit", (json_int_t)us[k], "sentence",
                (json_int_t)c->sentence, "start", (json_int_t)c->span.start,
                "end", (json_int_t)c->span.end);
            bad |= !e || dpi_report_put(e, "text", text_of(s, m, c->span));
            bad |= dpi_report_push(ss, e);
        }
        if (bad) {
            json_decref(o);
            json_decref(ss);
            break;
        }
        bad |= dpi_report_put(o, "member", json_integer((json_int_t)m));
        bad |= dpi_report_put(o, "id", member_id(s, m));
        bad |= dpi_report_put(o, "sentences", ss);
        bad |= dpi_report_put(o, "details", details(s, m));
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *quotes(const dp_story *s)
{
    json_t *a = json_array();
    size_t q, k;
    int bad = !a;
    for (q = 0; !bad && q < s->nquotes; q++) {
        const dp_story_quote *sq = &s->quotes[q];
        json_t *o = json_object(), *cs = json_array();
        bad |= !o || !cs;
        for (k = 0; !bad && k < sq->ncarriers; k++) {
            const dp_quote_carrier *c = &sq->carriers[k];
            json_t *e = json_object();
            bad |= !e;
            if (bad)
                break;
            bad |= dpi_report_put(e, "member",
                                  json_integer((json_int_t)c->member));
            bad |= dpi_report_put(e, "id", member_id(s, c->member));
            bad |= dpi_report_put(e, "start",
                                  json_integer((json_int_t)c->span.start));
            bad |=
                dpi_report_put(e, "end", json_integer((json_int_t)c->span.end));
            bad |= dpi_report_put(e, "text", text_of(s, c->member, c->span));
            bad |= dpi_report_put(e, "speaker",
                                  c->speaker.end > c->speaker.start
                                      ? text_of(s, c->member, c->speaker)
                                      : json_null());
            bad |= put_spans(e, "changed", "changed_spans", s, c->member,
                             c->changed, c->nchanged);
            bad |= dpi_report_push(cs, e);
        }
        if (bad) {
            json_decref(o);
            json_decref(cs);
            break;
        }
        bad |= dpi_report_put(
            o, "kind",
            json_string(sq->kind == DP_QUOTE_MARKED ? "quoted" : "reported"));
        bad |= dpi_report_put(
            o, "text",
            text_of(s, sq->carriers[0].member, sq->carriers[0].span));
        bad |= dpi_report_put(o, "carriers", cs);
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static const char *conflict_name(dp_conflict_kind k)
{
    switch (k) {
    case DP_CONFLICT_DATE: return "date";
    case DP_CONFLICT_NAME: return "name";
    case DP_CONFLICT_NUMBER: break;
    }
    return "number";
}

static json_t *conflict_side(const dp_story *s, const dp_story_conflict *c,
                             int i)
{
    json_t *o = json_object();
    int bad = !o;
    if (bad)
        return NULL;
    bad |= dpi_report_put(o, "member", json_integer((json_int_t)c->member[i]));
    bad |= dpi_report_put(o, "id", member_id(s, c->member[i]));
    bad |=
        dpi_report_put(o, "sentence", json_integer((json_int_t)c->sentence[i]));
    bad |=
        dpi_report_put(o, "start", json_integer((json_int_t)c->span[i].start));
    bad |= dpi_report_put(o, "end", json_integer((json_int_t)c->span[i].end));
    bad |= dpi_report_put(o, "value", text_of(s, c->member[i], c->value[i]));
    bad |= dpi_report_put(o, "value_span",
                          json_pack("[II]", (json_int_t)c->value[i].start,
                                    (json_int_t)c->value[i].end));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *conflicts(const dp_story *s)
{
    json_t *a = json_array();
    size_t i;
    int bad = !a;
    for (i = 0; !bad && i < s->nconflicts; i++) {
        const dp_story_conflict *c = &s->conflicts[i];
        json_t *o = json_object();
        bad |= !o;
        if (bad)
            break;
        bad |= dpi_report_put(o, "kind", json_string(conflict_name(c->kind)));
        bad |= dpi_report_put(o, "unit", json_integer((json_int_t)c->unit));
        bad |= dpi_report_put(o, "a", conflict_side(s, c, 0));
        bad |= dpi_report_put(o, "b", conflict_side(s, c, 1));
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static const char *basis_name(dp_prov_basis b)
{
    switch (b) {
    case DP_PROV_DATE: return "date";
    case DP_PROV_CONTENT: return "content";
    case DP_PROV_UNDETERMINED: break;
    }
    return "undetermined";
}

static json_t *provenance(const dp_story *s)
{
    json_t *a = json_array();
    size_t i;
    int bad = !a;
    for (i = 0; !bad && i < s->nedges; i++) {
        const dp_story_edge *e = &s->edges[i];
        json_t *o = json_object(), *ev;
        bad |= !o;
        if (bad)
            break;
        ev = json_pack("{s:o,s:o,s:I,s:I,s:I,s:I}", "contained_from_in_to",
                       real4(e->contained[0]), "contained_to_in_from",
                       real4(e->contained[1]), "shared_from",
                       (json_int_t)e->shared[0], "shared_to",
                       (json_int_t)e->shared[1], "own_from",
                       (json_int_t)e->own[0], "own_to", (json_int_t)e->own[1]);
        if (ev) {
            bad |= dpi_report_put(ev, "date_from",
                                  str_or_null(s->members[e->from].date));
            bad |= dpi_report_put(ev, "date_to",
                                  str_or_null(s->members[e->to].date));
            bad |= dpi_report_put(ev, "dated", json_boolean(e->dated));
        }
        bad |= dpi_report_put(o, "from", json_integer((json_int_t)e->from));
        bad |= dpi_report_put(o, "to", json_integer((json_int_t)e->to));
        bad |= dpi_report_put(o, "from_id", member_id(s, e->from));
        bad |= dpi_report_put(o, "to_id", member_id(s, e->to));
        bad |= dpi_report_put(o, "directed",
                              json_boolean(e->basis != DP_PROV_UNDETERMINED));
        bad |= dpi_report_put(o, "basis", json_string(basis_name(e->basis)));
        bad |= dpi_report_put(o, "confidence",
                              e->basis == DP_PROV_UNDETERMINED
                                  ? json_string("undetermined")
                                  : real4(e->confidence));
        bad |= dpi_report_put(o, "evidence", ev);
        bad |= dpi_report_push(a, o);
    }
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

dp_status dp_story_json(const dp_story *s, char **out, size_t *len)
{
    json_t *o;
    int bad;
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!s || !out)
        return DP_EINVAL;
    o = json_object();
    if (!o)
        return DP_ENOMEM;
    bad = dpi_report_put(o, "members", members(s));
    bad |= dpi_report_put(o, "primary", json_integer((json_int_t)s->primary));
    bad |= dpi_report_put(o, "compared", compared(s));
    bad |= dpi_report_put(o, "units", units(s));
    bad |= dpi_report_put(o, "adds", adds(s));
    bad |= dpi_report_put(o, "quotes", quotes(s));
    bad |= dpi_report_put(o, "conflicts", conflicts(s));
    bad |= dpi_report_put(o, "provenance", provenance(s));
    if (bad) {
        json_decref(o);
        return DP_ENOMEM;
    }
    return dpi_report_dump(o, out, len);
}
