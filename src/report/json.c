/*
 * json.c - dp_comparison_json(): a comparison as one JSON object, built
 * with jansson (never by hand). The schema is documented, with an example,
 * in docs/json.md; this file is its reference implementation.
 *
 * Offsets are original byte offsets, ends exclusive; scores and
 * similarities are rounded to 4 decimals; `added` gives the original text
 * of each added name, number or word, and `added_spans` its offsets.
 */
#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "text/text.h"
#include "story/story.h"

/* A number rounded to 4 decimals (the schema's precision). */
static json_t *real4(double x)
{
    if (!(x == x))
        x = 0.0;
    return json_real(round(x * 10000.0) / 10000.0);
}

json_t *dpi_json_text(const char *p, size_t n)
{
    json_t *j = json_stringn(p, n);
    char *fix;
    size_t m;
    if (j || dpi_utf8_repair((const uint8_t *)p, n, 0, &fix, &m))
        return j;
    j = json_stringn(fix, m);
    free(fix);
    return j;
}

static json_t *doc_info(const dp_doc *d, const char *name)
{
    json_t *o = json_object();
    int bad;
    if (!o)
        return NULL;
    bad = dpi_report_put(
        o, "path", name ? dpi_json_text(name, strlen(name)) : json_null());
    bad |= dpi_report_put(o, "bytes", json_integer((json_int_t)d->orig_len));
    bad |= dpi_report_put(o, "words", json_integer((json_int_t)d->ntoks));
    bad |= dpi_report_put(o, "sentences", json_integer((json_int_t)d->nsents));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *status_name(dp_sentence_status s)
{
    switch (s) {
    case DP_SENT_COPIED: return "copied";
    case DP_SENT_REWRITTEN: return "rewritten";
    case DP_SENT_UNIQUE: break;
    }
    return "unique";
}

static json_t *sentence(const dp_doc *d, const dp_sentence_diff *sd)
{
    json_t *o = json_object(), *added = json_array(), *spans = json_array();
    size_t k;
    int bad = !o || !added || !spans;

    for (k = 0; !bad && k < sd->nadded; k++) {
        const dp_span *sp = &sd->added[k];
        json_t *pair = json_array();
        assert(sp->end <= d->orig_len && sp->start <= sp->end);
        bad |= dpi_report_push(
            added, dpi_json_text(d->orig + sp->start, sp->end - sp->start));
        bad |= !pair;
        if (pair) {
            bad |= dpi_report_push(pair, json_integer((json_int_t)sp->start));
            bad |= dpi_report_push(pair, json_integer((json_int_t)sp->end));
        }
        bad |= dpi_report_push(spans, pair);
    }
    if (!bad) {
        bad |= dpi_report_put(o, "start",
                              json_integer((json_int_t)sd->span.start));
        bad |= dpi_report_put(o, "end", json_integer((json_int_t)sd->span.end));
        bad |=
            dpi_report_put(o, "status", json_string(status_name(sd->status)));
        bad |= dpi_report_put(o, "partner",
                              sd->partner >= 0
                                  ? json_integer((json_int_t)sd->partner)
                                  : json_null());
        bad |= dpi_report_put(o, "similarity", real4(sd->similarity));
        bad |= dpi_report_put(o, "coverage", real4(sd->coverage));
        bad |= dpi_report_put(o, "added", added);
        added = NULL;
        bad |= dpi_report_put(o, "added_spans", spans);
        spans = NULL;
    }
    json_decref(added);
    json_decref(spans);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *build(const dp_comparison *c, const char *name_a,
                     const char *name_b)
{
    json_t *root = json_object(), *scores = json_object();
    json_t *passages = json_array(), *sents = json_object();
    const dp_scores *s = &c->scores;
    size_t i;
    int w, bad = !root || !scores || !passages || !sents;

    if (!bad) {
        bad |= dpi_report_put(scores, "jaccard", real4(s->jaccard));
        bad |= dpi_report_put(scores, "containment_a_in_b",
                              real4(s->containment_a_in_b));
        bad |= dpi_report_put(scores, "containment_b_in_a",
                              real4(s->containment_b_in_a));
        bad |= dpi_report_put(scores, "same_story", real4(s->same_story));
    }
    for (i = 0; !bad && i < c->npassages; i++) {
        const dp_passage *p = &c->passages[i];
        json_t *o = json_object();
        bad |= !o;
        if (o) {
            bad |= dpi_report_put(o, "a_start",
                                  json_integer((json_int_t)p->a.start));
            bad |=
                dpi_report_put(o, "a_end", json_integer((json_int_t)p->a.end));
            bad |= dpi_report_put(o, "b_start",
                                  json_integer((json_int_t)p->b.start));
            bad |=
                dpi_report_put(o, "b_end", json_integer((json_int_t)p->b.end));
            bad |=
                dpi_report_put(o, "words", json_integer((json_int_t)p->words));
        }
        bad |= dpi_report_push(passages, o);
    }
    for (w = 0; !bad && w < 2; w++) {
        json_t *arr = json_array();
        bad |= !arr;
        for (i = 0; !bad && i < c->nsents[w]; i++)
            bad |= dpi_report_push(arr, sentence(c->doc[w], &c->sents[w][i]));
        bad |= dpi_report_put(sents, w ? "b" : "a", arr);
    }
    if (!bad) {
        bad |= dpi_report_put(root, "a", doc_info(c->doc[0], name_a));
        bad |= dpi_report_put(root, "b", doc_info(c->doc[1], name_b));
        bad |= dpi_report_put(root, "scores", scores);
        scores = NULL;
        bad |= dpi_report_put(root, "passages", passages);
        passages = NULL;
        bad |= dpi_report_put(root, "sentences", sents);
        sents = NULL;
    }
    json_decref(scores);
    json_decref(passages);
    json_decref(sents);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

dp_status dp_comparison_json(const dp_comparison *c, const char *name_a,
                             const char *name_b, char **out, size_t *len)
{
    json_t *root;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!c || !out)
        return DP_EINVAL;
    root = build(c, name_a, name_b);
    return dpi_report_dump(root, out, len);
}

dp_status dpi_report_dump(json_t *root, char **out, size_t *len)
{
    char *text;
    if (!root)
        return DP_ENOMEM;
    text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT |
                                JSON_REAL_PRECISION(10));
    json_decref(root);
    if (!text)
        return DP_ENOMEM;
    if (len)
        *len = strlen(text);
    *out = text;
    return DP_OK;
}
