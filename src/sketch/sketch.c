/*
 * sketch.c - text to sketch for one document (dpi_sketch_doc) and for a
 * batch on the core pool (dpi_sketch_batch). See sketch.h.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sketch/shingle.h"
#include "sketch/sketch.h"
#include "text/work.h"

dp_status dpi_sketch_doc(dp_work *w, const dp_minhash *mh, unsigned k,
                         const dp_text_opts *topts, const char *text,
                         size_t len, uint32_t *sig, uint32_t *words,
                         const uint64_t **set, size_t *nset, dp_error *err)
{
    const dp_doc *doc;
    size_t nt, nsh, i;
    dp_status rc;

    assert(w && mh && k >= 1 && sig && words);
    if (set) {
        *set = NULL;
        *nset = 0;
    }
    *words = 0;
    rc = dpi_work_tokens(w, text, len, topts, &doc, err);
    if (rc)
        return rc;
    nt = doc->ntoks;
    *words = (uint32_t)DP_MIN(nt, UINT32_MAX);
    if (nt == 0)
        return dpi_error_set(err, DP_EEMPTY, (size_t)-1, "no words");
    if ((rc = DP_RESERVE(w->hashes, w->hashes_cap, nt)))
        return dpi_error_set(err, rc, (size_t)-1, "out of memory");
    for (i = 0; i < nt; i++)
        w->hashes[i] = doc->toks[i].hash;
    nsh = nt < k ? 1 : nt - k + 1;
    if ((rc = DP_RESERVE(w->shingles, w->shingles_cap, nsh)))
        return dpi_error_set(err, rc, (size_t)-1, "out of memory");
    if (nt < k)
        w->shingles[0] = dpi_minhash_short_shingle(w->hashes, nt);
    else
        dpi_shingle_hash(w->hashes, nt, k, w->shingles);
    rc = dpi_minhash_signature(mh, w->shingles, nsh, sig);
    if (rc)
        return dpi_error_set(err, rc, (size_t)-1, "signature failed");
    if (set) {
        *nset = dpi_sort_unique_u64(w->shingles, nsh);
        *set = w->shingles;
    }
    return DP_OK;
}

void dpi_sketcher_init(dp_sketcher *s, const dp_minhash *mh, unsigned k,
                       const dp_text_opts *topts, unsigned threads)
{
    memset(s, 0, sizeof *s);
    s->mh = mh;
    s->k = k;
    if (topts)
        s->text = *topts;
    else
        dp_text_opts_init(&s->text);
    s->threads = dpi_pool_threads(threads);
}

void dpi_sketcher_fini(dp_sketcher *s)
{
    unsigned t;
    if (!s)
        return;
    for (t = 0; t < DP_POOL_MAX_THREADS; t++) {
        dp_work_free(s->work[t]);
        s->work[t] = NULL;
    }
}

/* The shared state of one batch. */
typedef struct batch {
    dp_sketcher *s;
    dp_sketch_item *items;
    uint32_t *sigs;
    unsigned perms;
    int want_sets;
} batch;

static void sketch_job(void *arg, unsigned worker, size_t i)
{
    batch *b = arg;
    dp_sketcher *s = b->s;
    dp_sketch_item *it = &b->items[i];
    const uint64_t *set;
    size_t nset;

    if (it->status != DP_OK)
        return;
    /* Each worker touches only its own slot: no lock. */
    if (!s->work[worker] && dp_work_create(&s->work[worker])) {
        it->status = DP_ENOMEM;
        return;
    }
    it->status =
        dpi_sketch_doc(s->work[worker], s->mh, s->k, &s->text, it->text,
                       it->len, b->sigs + i * b->perms, &it->words,
                       b->want_sets ? &set : NULL, &nset, NULL);
    if (it->status || !b->want_sets)
        return;
    it->set = malloc(DP_MAX(nset, 1) * sizeof *it->set);
    if (!it->set) {
        it->status = DP_ENOMEM;
        return;
    }
    memcpy(it->set, set, nset * sizeof *set);
    it->nset = nset;
}

dp_status dpi_sketch_batch(dp_sketcher *s, dp_sketch_item *items, size_t n,
                           uint32_t *sigs, int want_sets)
{
    batch b;
    size_t i;

    if (!s || (!items && n) || (!sigs && n))
        return DP_EINVAL;
    for (i = 0; i < n; i++) {
        items[i].set = NULL;
        items[i].nset = 0;
        items[i].words = 0;
    }
    b.s = s;
    b.items = items;
    b.sigs = sigs;
    b.perms = dpi_minhash_perms(s->mh);
    b.want_sets = want_sets;
    dpi_pool_run(s->threads, sketch_job, &b, n);
    return DP_OK;
}
