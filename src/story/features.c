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
        if (cls[0][i] == DP_CLS_NONE)
            continue;
        kv[m].key = dpi_story_key(&d->toks[i], cls[0][i]);
        kv[m].val = cls[0][i];
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
    size_t lo = 0, hi;
    assert(w);
    hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
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
    w->cosine = 1;
    w->tf_pow = 0.5;
    w->b0 = -3.5;
    w->b_terms = 8.5;
    w->b_names = 2.0;
    w->b_numbers = 0.5;
    w->min_numbers = 2;
    w->b_date = 6.0;
    w->date_near = 600.0;
    w->date_far = 1500.0;
    w->b_years = 0.5;
}

static double ochiai(double shared, double wa, double wb)
{
    if (wa <= 0.0 || wb <= 0.0)
        return 0.0;
    return DP_MIN(1.0, shared / sqrt(wa * wb));
}

/* Long because it is one merge over both key arrays accumulating the three
 * overlaps, then the logit from them and the dates. */
void dpi_story_pair_score(const dp_story_weights *wt, const dp_story_feat *a,
                          const double *kwa, const dp_story_feat *b,
                          const double *kwb, dp_story_pair *out)
{
    size_t i = 0, j = 0;
    double tw[2] = {0, 0}, ts = 0, nw[2] = {0, 0}, ns = 0, mw[2] = {0, 0},
           ms = 0, z;

    assert(wt && a && b && out);
    memset(out, 0, sizeof *out);
    while (i < a->n || j < b->n) {
        uint64_t ka = i < a->n ? a->keys[i] : UINT64_MAX;
        uint64_t kb = j < b->n ? b->keys[j] : UINT64_MAX;
        uint32_t tfa = 0, tfb = 0, c = 0;
        double w, idf;
        int inA = 0, inB = 0;
        if (i < a->n && ka <= kb) {
            tfa = a->tc[i] >> 2;
            c = a->tc[i] & 3;
            idf = kwa[i];
            inA = 1;
        }
        if (j < b->n && kb <= ka) {
            tfb = b->tc[j] >> 2;
            if ((b->tc[j] & 3) > c)
                c = b->tc[j] & 3;
            idf = kwb[j];
            inB = 1;
        }
        if (inA)
            i++;
        if (inB)
            j++;
        w = pow(idf, wt->idf_pow);
        if (c == DP_CLS_NAME)
            w *= wt->name_boost;
        else if (c == DP_CLS_NUMBER)
            w *= wt->num_boost;
        if (wt->cosine) {
            double va = inA ? w * pow(1.0 + log((double)tfa), wt->tf_pow) : 0,
                   vb = inB ? w * pow(1.0 + log((double)tfb), wt->tf_pow) : 0;
            tw[0] += va * va;
            tw[1] += vb * vb;
            ts += va * vb;
            out->shared_terms += inA && inB;
            w = w * w; /* for the name and number overlaps */
        } else {
            w /= 1.0 + log((double)DP_MAX(tfa, tfb));
            tw[0] += inA ? w : 0;
            tw[1] += inB ? w : 0;
            if (inA && inB) {
                ts += w;
                out->shared_terms++;
            }
        }
        if (c == DP_CLS_NAME) {
            nw[0] += inA ? w : 0;
            nw[1] += inB ? w : 0;
            if (inA && inB) {
                ns += w;
                out->shared_names++;
            }
        } else if (c == DP_CLS_NUMBER) {
            out->nnumbers[0] += inA;
            out->nnumbers[1] += inB;
            mw[0] += inA ? w : 0;
            mw[1] += inB ? w : 0;
            if (inA && inB) {
                ms += w;
                out->shared_numbers++;
            }
        }
    }
    out->terms = ochiai(ts, tw[0], tw[1]);
    out->names = ochiai(ns, nw[0], nw[1]);
    out->numbers = ochiai(ms, mw[0], mw[1]);
    z = wt->b0 + wt->b_terms * out->terms + wt->b_names * out->names;
    if (out->nnumbers[0] >= wt->min_numbers &&
        out->nnumbers[1] >= wt->min_numbers)
        z -= wt->b_numbers * (1.0 - out->numbers);
    out->day_gap = -1;
    out->years_overlap =
        dpi_date_years_overlap(&a->dates, &b->dates, &out->years_both);
    if (a->dates.ref_day != DP_NO_DAY && b->dates.ref_day != DP_NO_DAY) {
        long g = (long)a->dates.ref_day - (long)b->dates.ref_day;
        out->day_gap = g < 0 ? -g : g;
        if ((double)out->day_gap > wt->date_near)
            z -= wt->b_date * DP_MIN(1.0, log((double)out->day_gap /
                                             wt->date_near) /
                                             log(wt->date_far / wt->date_near));
    } else if (out->years_both && !out->years_overlap)
        z -= wt->b_years;
    out->z = z;
    out->score = 1.0 / (1.0 + exp(-z));
    if (tw[0] <= 0.0 || tw[1] <= 0.0) {
        out->score = 0.0;
        out->z = -INFINITY;
    }
}
