/*
 * score.c - the scores of a comparison: exact word-shingle Jaccard and
 * containment on shingle sets, and the same-story score built from
 * specificity-weighted overlaps of content terms, names and numbers plus
 * the share of text inside verbatim passages (docs/scores.md gives the
 * formulas and their calibration on real data).
 *
 * Also home of the helpers the story module shares: token classes (what is
 * a name, a number, a content word), the key a token is compared by, the
 * token range of a passage; the hot paths are sort (core/sort.h) + merge
 * over flat arrays, linear-ish in the lengths.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "core/util.h"
#include "story/story.h"

/* Sort and drop duplicates; returns the new length. */
static dp_status sort_unique(uint64_t *a, size_t *n)
{
    size_t i, m = 0;
    dp_status rc = dpi_sort_u64(a, *n);
    if (rc)
        return rc;
    for (i = 0; i < *n; i++)
        if (m == 0 || a[m - 1] != a[i])
            a[m++] = a[i];
    *n = m;
    return DP_OK;
}

/* ---------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------- */

uint64_t dpi_story_key(const dp_tok *t, uint8_t cls)
{
    assert(t);
    if (cls == DP_CLS_NONE)
        return 0;
    return t->term ? t->term : t->hash;
}

size_t dpi_story_tok_at(const dp_doc *d, size_t off)
{
    size_t lo = 0, hi;
    assert(d);
    hi = d->ntoks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->toks[mid].start < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void dpi_story_passage_toks(const dp_doc *d, const dp_passage *p, int side,
                            size_t *begin, size_t *end)
{
    const dp_span *s;
    size_t b, e;

    assert(d && p && begin && end && (side == 0 || side == 1));
    s = side ? &p->b : &p->a;
    b = dpi_story_tok_at(d, s->start);
    e = dpi_story_tok_at(d, s->end);
    /* a token starting inside the span but running past its end is not
     * wholly inside */
    while (e > b && d->toks[e - 1].end > s->end)
        e--;
    *begin = b;
    *end = e;
}

/*
 * Whether token @i of @d stands where capitals are conventional: first in
 * its sentence, or right after a colon, an opening quote or bracket, or a
 * line break (headlines, quoted speech, "Washington: More than ...").
 */
static int capital_by_position(const dp_doc *d, size_t i, const uint8_t *first)
{
    size_t p, from;
    if (first[i])
        return 1;
    if (i == 0)
        return 1;
    from = d->toks[i - 1].end;
    for (p = d->toks[i].start; p > from; p--) {
        unsigned char c = (unsigned char)d->orig[p - 1];
        if (c == ':' || c == '"' || c == '(' || c == '[' || c == '\n')
            return 1;
        /* U+201C LEFT DOUBLE QUOTATION MARK, U+2018 LEFT SINGLE: E2 80 9C / 98
         */
        if ((c == 0x9C || c == 0x98) && p >= from + 3 &&
            (unsigned char)d->orig[p - 3] == 0xE2 &&
            (unsigned char)d->orig[p - 2] == 0x80)
            return 1;
    }
    return 0;
}

dp_status dpi_story_classify(const dp_doc *const d[2], uint8_t *cls[2])
{
    uint64_t *caps = NULL;
    size_t ncaps = 0, capcap = 0;
    uint8_t *first[2] = {NULL, NULL};
    int side, shouting[2] = {0, 0};
    dp_status rc = DP_OK;

    assert(d && d[0] && d[1] && cls);
    cls[0] = cls[1] = NULL;
    for (side = 0; side < 2; side++) {
        const dp_doc *doc = d[side];
        size_t i, nword = 0, ncap = 0;
        cls[side] = calloc(doc->ntoks ? doc->ntoks : 1, 1);
        first[side] = calloc(doc->ntoks ? doc->ntoks : 1, 1);
        if (!cls[side] || !first[side]) {
            rc = DP_ENOMEM;
            goto done;
        }
        for (i = 0; i < doc->nsents; i++)
            if (doc->sents[i].tok_begin < doc->ntoks)
                first[side][doc->sents[i].tok_begin] = 1;
        for (i = 0; i < doc->ntoks; i++) {
            const dp_tok *t = &doc->toks[i];
            if (t->flags & DP_TOK_WORD) {
                nword++;
                ncap += (t->flags & DP_TOK_CAPITAL) != 0;
            }
        }
        /* A text in capitals or title case (a telex, a headline) says
         * nothing about names by its case; prose keeps its small words
         * lowercase, so even a name-dense sentence stays far below. */
        shouting[side] = nword >= 8 && ncap * 5 > nword * 4;
        if (shouting[side])
            continue;
        /* terms that occur capitalised away from a sentence start */
        for (i = 0; i < doc->ntoks; i++) {
            const dp_tok *t = &doc->toks[i];
            if ((t->flags & DP_TOK_CAPITAL) && (t->flags & DP_TOK_WORD) &&
                !(t->flags & DP_TOK_STOP) && t->term &&
                !capital_by_position(doc, i, first[side])) {
                rc = DP_RESERVE(caps, capcap, ncaps + 1);
                if (rc)
                    goto done;
                caps[ncaps++] = t->term;
            }
        }
    }
    rc = sort_unique(caps, &ncaps);
    if (rc)
        goto done;
    for (side = 0; side < 2; side++) {
        const dp_doc *doc = d[side];
        size_t i;
        for (i = 0; i < doc->ntoks; i++) {
            const dp_tok *t = &doc->toks[i];
            uint8_t c;
            if (t->flags & DP_TOK_NUMBER)
                c = DP_CLS_NUMBER;
            else if ((t->flags & DP_TOK_STOP) || !t->term)
                c = DP_CLS_NONE;
            else if ((t->flags & DP_TOK_CAPITAL) && !shouting[side] &&
                     (!capital_by_position(doc, i, first[side]) ||
                      dpi_sorted_has(caps, ncaps, t->term)))
                c = DP_CLS_NAME;
            else
                c = DP_CLS_WORD;
            cls[side][i] = c;
        }
    }
done:
    free(caps);
    free(first[0]);
    free(first[1]);
    if (rc) {
        free(cls[0]);
        free(cls[1]);
        cls[0] = cls[1] = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * Shingle scores
 * ------------------------------------------------------------------- */

dp_status dpi_score_shingles(const dp_doc *a, const dp_doc *b, unsigned k,
                             dp_scores *out)
{
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0, i = 0, j = 0, inter = 0;
    unsigned kk = k ? k : 5;
    dp_status rc;

    assert(a && b && out);
    out->jaccard = out->containment_a_in_b = out->containment_b_in_a = 0.0;
    if (a->ntoks == 0 || b->ntoks == 0)
        return DP_OK;
    /* Documents shorter than k words: shingle both with the shorter
     * length, so a 3-word text inside a longer one is contained in it. */
    if (a->ntoks < kk)
        kk = (unsigned)a->ntoks;
    if (b->ntoks < kk)
        kk = (unsigned)b->ntoks;
    rc = dp_doc_shingles(a, kk, &sa, &na);
    if (!rc)
        rc = dp_doc_shingles(b, kk, &sb, &nb);
    if (!rc)
        rc = sort_unique(sa, &na);
    if (!rc)
        rc = sort_unique(sb, &nb);
    if (rc)
        goto done;
    while (i < na && j < nb) {
        if (sa[i] < sb[j])
            i++;
        else if (sa[i] > sb[j])
            j++;
        else {
            inter++;
            i++;
            j++;
        }
    }
    if (na && nb) {
        out->jaccard = (double)inter / (double)(na + nb - inter);
        out->containment_a_in_b = (double)inter / (double)na;
        out->containment_b_in_a = (double)inter / (double)nb;
    }
done:
    dp_free(sa);
    dp_free(sb);
    return rc;
}

/* ---------------------------------------------------------------------
 * Same-story score
 * ------------------------------------------------------------------- */

/* The evidence kinds the same-story score weighs. */
typedef struct bag {
    dp_story_kv *kv; /* key, class in the low byte of val */
    size_t n;
} bag;

/* Collect (key, class) of every classified token of one side, sorted. */
static dp_status make_bag(const dp_doc *d, const uint8_t *cls, bag *out)
{
    size_t i, n = 0;
    out->kv = malloc((d->ntoks ? d->ntoks : 1) * sizeof *out->kv);
    out->n = 0;
    if (!out->kv)
        return DP_ENOMEM;
    for (i = 0; i < d->ntoks; i++) {
        if (cls[i] == DP_CLS_NONE)
            continue;
        out->kv[n].key = dpi_story_key(&d->toks[i], cls[i]);
        out->kv[n].val = cls[i];
        n++;
    }
    out->n = n;
    return dpi_sort_kv(out->kv, n);
}

/* One distinct key of a bag: its count and strongest class. */
static size_t next_group(const bag *g, size_t i, uint64_t *key, size_t *tf,
                         unsigned *cls)
{
    size_t j = i;
    unsigned c = 0;
    *key = g->kv[i].key;
    while (j < g->n && g->kv[j].key == *key) {
        /* the strongest class wins: a term that is a name anywhere in
         * the document is a name (WORD < NAME < NUMBER) */
        unsigned cj = (unsigned)g->kv[j].val;
        if (cj > c)
            c = cj;
        j++;
    }
    *tf = j - i;
    *cls = c;
    return j;
}

/* Calibrated constants; docs/scores.md explains each and how they were
 * fitted (logistic regression on labelled real pairs). */
#define SS_NAME_BOOST 2.0    /* a name weighs this many content words */
#define SS_NUM_BOOST  2.0    /* a number likewise */
#define SS_B0         (-3.5) /* logistic intercept */
#define SS_B_TERMS    8.5    /* weight of the term overlap */
#define SS_B_PASSAGES 11.7   /* weight of the larger passage share */
#define SS_B_NUMBERS  2.1    /* penalty for numbers that disagree */
#define SS_MIN_NUMBERS                                                         \
    2 /* distinct numbers each side needs for the                              \
         number signal to count */

/* Ochiai overlap shared / sqrt(wa * wb), 0 when either side is empty. */
static double ochiai(double shared, double wa, double wb)
{
    if (wa <= 0.0 || wb <= 0.0)
        return 0.0;
    return DP_MIN(1.0, shared / sqrt(wa * wb));
}

dp_status dpi_score_same_story(const dp_doc *const d[2], uint8_t *const cls[2],
                               const double coverage[2], dp_story_signals *out)
{
    bag g[2] = {{NULL, 0}, {NULL, 0}};
    size_t i = 0, j = 0;
    double tw[2] = {0, 0}, tshared = 0; /* terms */
    double nw[2] = {0, 0}, nshared = 0; /* names */
    double mw[2] = {0, 0}, mshared = 0; /* numbers */
    double z;
    dp_status rc;

    assert(d && cls && coverage && out);
    memset(out, 0, sizeof *out);
    rc = make_bag(d[0], cls[0], &g[0]);
    if (!rc)
        rc = make_bag(d[1], cls[1], &g[1]);
    if (rc)
        goto done;

    /* Merge the two sorted bags key by key. */
    while (i < g[0].n || j < g[1].n) {
        uint64_t ka = UINT64_MAX, kb = UINT64_MAX, key;
        size_t tfa = 0, tfb = 0, ni = i, nj = j;
        unsigned ca = 0, cb = 0, c;
        double w;
        if (i < g[0].n)
            ka = g[0].kv[i].key;
        if (j < g[1].n)
            kb = g[1].kv[j].key;
        key = ka < kb ? ka : kb;
        if (i < g[0].n && ka == key)
            ni = next_group(&g[0], i, &key, &tfa, &ca);
        if (j < g[1].n && kb == key)
            nj = next_group(&g[1], j, &key, &tfb, &cb);
        i = ni;
        j = nj;
        c = ca > cb ? ca : cb;
        /* Specificity within the pair: a term said once is a detail, a
         * term repeated throughout is the topic. */
        w = 1.0 / (1.0 + log((double)DP_MAX(tfa, tfb)));
        if (c == DP_CLS_NAME)
            w *= SS_NAME_BOOST;
        else if (c == DP_CLS_NUMBER)
            w *= SS_NUM_BOOST;
        if (tfa)
            tw[0] += w;
        if (tfb)
            tw[1] += w;
        if (tfa && tfb)
            tshared += w;
        if (c == DP_CLS_NAME) {
            out->nnames[0] += tfa > 0;
            out->nnames[1] += tfb > 0;
            nw[0] += tfa ? w : 0;
            nw[1] += tfb ? w : 0;
            nshared += tfa && tfb ? w : 0;
        } else if (c == DP_CLS_NUMBER) {
            out->nnumbers[0] += tfa > 0;
            out->nnumbers[1] += tfb > 0;
            mw[0] += tfa ? w : 0;
            mw[1] += tfb ? w : 0;
            mshared += tfa && tfb ? w : 0;
        }
    }
    out->terms = ochiai(tshared, tw[0], tw[1]);
    out->names = ochiai(nshared, nw[0], nw[1]);
    out->numbers = ochiai(mshared, mw[0], mw[1]);
    out->passages = DP_MAX(coverage[0], coverage[1]);
    z = SS_B0 + SS_B_TERMS * out->terms + SS_B_PASSAGES * out->passages;
    /* Two reports of one story quote the same figures; two reports that
     * both give figures and share none are about different events (the
     * same market a week later). Without figures on both sides this says
     * nothing. */
    if (out->nnumbers[0] >= SS_MIN_NUMBERS &&
        out->nnumbers[1] >= SS_MIN_NUMBERS)
        z -= SS_B_NUMBERS * (1.0 - out->numbers);
    out->score = 1.0 / (1.0 + exp(-z));
    if (tw[0] <= 0.0 || tw[1] <= 0.0)
        out->score = 0.0;
done:
    free(g[0].kv);
    free(g[1].kv);
    return rc;
}
