/*
 * features.c - the per-document features of the stories engine and the
 * corpus form of the same-story score over them (docs/stories.md).
 *
 * A document becomes its distinct content keys (dpi_story_key of every
 * classified token, classes from dpi_story_classify: one notion of a
 * name, a number and a content word across the code base), each with its
 * term frequency and strongest class, plus its dates (date.c). The pair
 * score merges two sorted key arrays: O(na + nb), no allocation.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "core/util.h"
#include "story/stories.h"
#include "story/story.h"

dp_status dpi_story_feat_build(const dp_doc *d, uint64_t **keys, uint32_t **tc,
                               size_t *n)
{
    const dp_doc *dd[2];
    uint8_t *cls[2] = {NULL, NULL};
    dp_kv *kv = NULL;
    size_t i, m = 0, out = 0;
    dp_status rc;

    assert(d && keys && tc && n);
    *keys = NULL;
    *tc = NULL;
    *n = 0;
    dd[0] = dd[1] = d;
    rc = dpi_story_classify(dd, cls);
    if (rc)
        return rc;
    free(cls[1]);
    kv = malloc((d->ntoks ? d->ntoks : 1) * sizeof *kv);
    if (!kv) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0; i < d->ntoks; i++) {
        uint8_t c = cls[0][i];
        const dp_tok *t = &d->toks[i];
        if (c == DP_CLS_NONE)
            continue;
        /* a month or weekday is capitalised by convention, not a name:
         * it is date evidence (date.c), a plain word here */
        if (c == DP_CLS_NAME &&
            dpi_date_word(d->orig + t->start, t->end - t->start))
            c = DP_CLS_WORD;
        kv[m].key = dpi_story_key(t, c);
        kv[m].val = c;
        m++;
    }
    if ((rc = dpi_sort_kv(kv, m)))
        goto done;
    for (i = 0; i < m;) {
        size_t j = i;
        unsigned c = 0;
        while (j < m && kv[j].key == kv[i].key) {
            if (kv[j].val > c)
                c = (unsigned)kv[j].val;
            j++;
        }
        kv[out].key = kv[i].key;
        kv[out].val = (uint64_t)(DP_MIN(j - i, (size_t)0x3fffffff) << 2 | c);
        out++;
        i = j;
    }
    if (out) {
        *keys = malloc(out * sizeof **keys);
        *tc = malloc(out * sizeof **tc);
        if (!*keys || !*tc) {
            free(*keys);
            free(*tc);
            *keys = NULL;
            *tc = NULL;
            rc = DP_ENOMEM;
            goto done;
        }
        for (i = 0; i < out; i++) {
            (*keys)[i] = kv[i].key;
            (*tc)[i] = (uint32_t)kv[i].val;
        }
    }
    *n = out;
done:
    free(kv);
    free(cls[0]);
    return rc;
}

double dpi_story_idf_weight(const dp_story_idf *w, uint64_t key)
{
    uint64_t df = 0, n;
    size_t lo;
    assert(w);
    lo = dpi_lower_bound_u64(w->keys, w->n, key);
    if (lo < w->n && w->keys[lo] == key)
        df = w->df[lo];
    n = w->ndocs;
    if (w->bg) {
        df += dp_idf_df(w->bg, key);
        n += dp_idf_docs(w->bg);
    }
    return log(((double)n + 1.0) / ((double)df + 1.0)) + 1.0;
}

void dpi_story_weights_init(dp_story_weights *w)
{
    /* Calibrated on ECB+ (dev half), Reuters and the seeds
     * (docs/stories.md). */
    w->name_boost = 1.5;
    w->num_boost = 3.0;
    w->idf_pow = 1.0;
    w->tf_pow = 0.5;
    w->b0 = -3.5;
    w->b_terms = 8.5;
    w->b_names = 2.0;
    w->b_numbers = 0.5;
    w->min_numbers = 2;
    w->b_date = 6.0;
    w->date_near = 600.0;
    w->date_far = 1500.0;
    w->field_near = 2.0;
    w->field_far = 21.0;
    w->b_years = 0.5;
    w->use_title = 1;
}

static double ochiai(double shared, double wa, double wb)
{
    if (wa <= 0.0 || wb <= 0.0)
        return 0.0;
    return DP_MIN(1.0, shared / sqrt(wa * wb));
}

void dpi_story_feat_weigh(const dp_story_weights *wt, dp_story_feat *f,
                          const double *idf, float *kw, float *vw)
{
    size_t k;
    assert(wt && f);
    f->tw = f->nw = f->mw = 0.0;
    f->nnum = 0;
    for (k = 0; k < f->n; k++) {
        unsigned c = f->tc[k] & 3, tf = f->tc[k] >> 2;
        double w = wt->idf_pow == 1.0 ? idf[k] : pow(idf[k], wt->idf_pow), v;
        if (c == DP_CLS_NAME)
            w *= wt->name_boost;
        else if (c == DP_CLS_NUMBER)
            w *= wt->num_boost;
        v = w * pow(1.0 + log((double)(tf ? tf : 1)), wt->tf_pow);
        kw[k] = (float)w;
        vw[k] = (float)v;
        f->tw += v * v;
        if (c == DP_CLS_NAME)
            f->nw += w * w;
        else if (c == DP_CLS_NUMBER) {
            f->mw += w * w;
            f->nnum++;
        }
    }
    f->kw = kw;
    f->vw = vw;
}

/* Long because it is one merge over both key arrays accumulating the three
 * overlaps, then the logit from them and the dates. */
void dpi_story_pair_score(const dp_story_weights *wt, const dp_story_feat *a,
                          const dp_story_feat *b, dp_story_pair *out)
{
    size_t i = 0, j = 0;
    double ts = 0, ns = 0, ms = 0, z;

    assert(wt && a && b && out && (a->n == 0 || a->vw) && (b->n == 0 || b->vw));
    memset(out, 0, sizeof *out);
    while (i < a->n && j < b->n) {
        uint64_t ka = a->keys[i], kb = b->keys[j];
        unsigned c, ca, cb;
        double w;
        if (ka < kb) {
            i++;
            continue;
        }
        if (kb < ka) {
            j++;
            continue;
        }
        ca = a->tc[i] & 3;
        cb = b->tc[j] & 3;
        c = DP_MAX(ca, cb);
        w = (double)a->kw[i] * (double)b->kw[j];
        ts += (double)a->vw[i] * (double)b->vw[j];
        out->shared_terms++;
        if (c == DP_CLS_NAME) {
            ns += w;
            out->shared_names++;
        } else if (c == DP_CLS_NUMBER) {
            ms += w;
            out->shared_numbers++;
        }
        i++;
        j++;
    }
    out->nnumbers[0] = a->nnum;
    out->nnumbers[1] = b->nnum;
    out->terms = ochiai(ts, a->tw, b->tw);
    out->names = ochiai(ns, a->nw, b->nw);
    out->numbers = ochiai(ms, a->mw, b->mw);
    z = wt->b0 + wt->b_terms * out->terms + wt->b_names * out->names;
    if (a->nnum >= wt->min_numbers && b->nnum >= wt->min_numbers)
        z -= wt->b_numbers * (1.0 - out->numbers);
    out->day_gap = -1;
    out->years_overlap =
        dpi_date_years_overlap(&a->dates, &b->dates, &out->years_both);
    if (a->dates.ref_day != DP_NO_DAY && b->dates.ref_day != DP_NO_DAY) {
        long g = (long)a->dates.ref_day - (long)b->dates.ref_day;
        int field = a->dates.from_field && b->dates.from_field;
        double near = field ? wt->field_near : wt->date_near;
        double far = field ? wt->field_far : wt->date_far;
        out->day_gap = g < 0 ? -g : g;
        if ((double)out->day_gap > near)
            z -= wt->b_date * DP_MIN(1.0, log((double)out->day_gap / near) /
                                              log(far / near));
    } else if (out->years_both && !out->years_overlap)
        z -= wt->b_years;
    out->z = z;
    out->score = 1.0 / (1.0 + exp(-z));
    if (a->tw <= 0.0 || b->tw <= 0.0) {
        out->score = 0.0;
        out->z = -INFINITY;
    }
}

/* Long because it makes a two-document corpus of the pair: features,
 * document frequencies (1 or 2, plus the background's), weights, score. */
dp_status dpi_story_pair_idf(const dp_doc *a, const dp_doc *b, const dp_idf *bg,
                             dp_story_pair *out)
{
    const dp_doc *d[2];
    uint64_t *keys[2] = {NULL, NULL}, *ck = NULL;
    uint32_t *tc[2] = {NULL, NULL}, *cdf = NULL;
    size_t n[2] = {0, 0}, nck = 0, i, j, side;
    dp_story_feat f[2];
    dp_story_idf idf;
    dp_story_weights wt;
    double *iv = NULL;
    float *kw = NULL, *vw = NULL;
    dp_status rc = DP_OK;

    assert(a && b && out);
    d[0] = a;
    d[1] = b;
    dpi_story_weights_init(&wt);
    for (side = 0; side < 2 && !rc; side++)
        rc = dpi_story_feat_build(d[side], &keys[side], &tc[side], &n[side]);
    if (rc)
        goto done;
    ck = malloc((n[0] + n[1] + 1) * sizeof *ck);
    cdf = malloc((n[0] + n[1] + 1) * sizeof *cdf);
    iv = malloc((n[0] + n[1] + 1) * sizeof *iv);
    kw = malloc((n[0] + n[1] + 1) * sizeof *kw);
    vw = malloc((n[0] + n[1] + 1) * sizeof *vw);
    if (!ck || !cdf || !iv || !kw || !vw) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0, j = 0; i < n[0] || j < n[1];) {
        if (j >= n[1] || (i < n[0] && keys[0][i] < keys[1][j])) {
            ck[nck] = keys[0][i++];
            cdf[nck++] = 1;
        } else if (i >= n[0] || keys[1][j] < keys[0][i]) {
            ck[nck] = keys[1][j++];
            cdf[nck++] = 1;
        } else {
            ck[nck] = keys[0][i++];
            cdf[nck++] = 2;
            j++;
        }
    }
    idf.keys = ck;
    idf.df = cdf;
    idf.n = nck;
    idf.ndocs = 2;
    idf.bg = bg;
    for (side = 0; side < 2; side++) {
        size_t off = side ? n[0] : 0;
        memset(&f[side], 0, sizeof f[side]);
        f[side].keys = keys[side];
        f[side].tc = tc[side];
        f[side].n = n[side];
        dpi_date_scan(d[side], DP_NO_DAY, &f[side].dates);
        for (i = 0; i < n[side]; i++)
            iv[off + i] = dpi_story_idf_weight(&idf, keys[side][i]);
        dpi_story_feat_weigh(&wt, &f[side], iv + off, kw + off, vw + off);
    }
    dpi_story_pair_score(&wt, &f[0], &f[1], out);
done:
    for (side = 0; side < 2; side++) {
        free(keys[side]);
        free(tc[side]);
    }
    free(ck);
    free(cdf);
    free(iv);
    free(kw);
    free(vw);
    return rc;
}

dp_status dpi_story_feat_title(const dp_doc *t, uint64_t **keys, uint32_t **tc,
                               size_t *n)
{
    uint64_t *tk = NULL, *nk = NULL;
    uint32_t *nt = NULL;
    size_t i, m = 0, x = 0, y = 0, out = 0;
    dp_status rc;

    assert(t && keys && tc && n);
    if (t->ntoks == 0)
        return DP_OK;
    tk = malloc(t->ntoks * sizeof *tk);
    if (!tk)
        return DP_ENOMEM;
    for (i = 0; i < t->ntoks; i++) {
        const dp_tok *k = &t->toks[i];
        uint8_t c = (k->flags & DP_TOK_NUMBER)               ? DP_CLS_NUMBER
                    : ((k->flags & DP_TOK_STOP) || !k->term) ? DP_CLS_NONE
                                                             : DP_CLS_WORD;
        if (c != DP_CLS_NONE)
            tk[m++] = dpi_story_key(k, c);
    }
    m = dpi_sort_unique_u64(tk, m);
    nk = malloc((*n + m + 1) * sizeof *nk);
    nt = malloc((*n + m + 1) * sizeof *nt);
    if (!nk || !nt) {
        rc = DP_ENOMEM;
        goto fail;
    }
    /* merge: a title key already in the text counts once more; a new one
     * is a word (or number) said once */
    while (x < *n || y < m) {
        if (y >= m || (x < *n && (*keys)[x] < tk[y])) {
            nk[out] = (*keys)[x];
            nt[out++] = (*tc)[x++];
        } else if (x >= *n || tk[y] < (*keys)[x]) {
            nk[out] = tk[y];
            nt[out++] = 1u << 2 | DP_CLS_WORD;
            y++;
        } else {
            nk[out] = (*keys)[x];
            nt[out++] = (*tc)[x++] + (1u << 2);
            y++;
        }
    }
    free(*keys);
    free(*tc);
    *keys = nk;
    *tc = nt;
    *n = out;
    free(tk);
    return DP_OK;
fail:
    free(tk);
    free(nk);
    free(nt);
    return rc;
}
