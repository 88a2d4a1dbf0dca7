/*
 * sketch.c - the index's use of the sketch layer: the one place where the
 * index turns texts into signatures, word counts and shingle sets. add
 * (a batch, on the core pool), query by text and the check of stored
 * texts all come here.
 *
 * Signatures come from dpi_sketch_doc() (src/sketch/sketch.h) with the
 * same MinHash family and the same short-document rule as dp_dedup, so
 * queries find exactly the pairs dedup would verify. A batch gets a
 * dp_sketcher of its own (one work context per pool worker, freed with
 * the batch): the index handle is shared by threads, its batches are not.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_int.h"
#include "sketch/sketch.h"

dp_status dpi_index_sketch_one(const dp_index *ix, dp_work *w,
                               const dp_text_opts *o, const char *text,
                               size_t len, uint32_t *sig, uint32_t *words,
                               uint64_t **set, size_t *nset)
{
    int sets = !(ix->p.flags & DP_INDEX_NO_SETS);
    const uint64_t *s = NULL;
    dp_work *own = NULL;
    dp_status rc;

    *set = NULL;
    *nset = 0;
    *words = 0;
    if (!w && dp_work_create(&own))
        return DP_ENOMEM;
    if (!w)
        w = own;
    rc = dpi_sketch_doc(w, ix->mh, ix->p.shingle_k, o, text ? text : "", len,
                        sig, words, sets ? &s : NULL, nset, NULL);
    if (rc == DP_OK && sets) {
        *set = malloc((*nset ? *nset : 1) * sizeof **set);
        if (*set)
            memcpy(*set, s, *nset * sizeof *s);
        else
            rc = DP_ENOMEM;
    }
    if (rc)
        *nset = 0;
    dp_work_free(own);
    return rc;
}

void dpi_index_sketch_batch(const dp_index *ix, const dp_index_doc *docs,
                            size_t n, const dp_text_opts *text,
                            unsigned threads, dpi_index_pending *pd,
                            uint32_t *sigs)
{
    int sets = !(ix->p.flags & DP_INDEX_NO_SETS);
    dp_sketch_item *items;
    dp_sketcher *sk;
    size_t i;

    for (i = 0; i < n; i++) {
        pd[i].status = dpi_index_doc_check(&docs[i]);
        pd[i].words = 0;
        pd[i].set = NULL;
        pd[i].nset = 0;
    }
    items = calloc(n ? n : 1, sizeof *items);
    sk = malloc(sizeof *sk);
    if (!items || !sk) {
        for (i = 0; i < n; i++)
            if (pd[i].status == DP_OK)
                pd[i].status = DP_ENOMEM;
        free(items);
        free(sk);
        return;
    }
    for (i = 0; i < n; i++) {
        items[i].text = docs[i].text ? docs[i].text : "";
        items[i].len = docs[i].text_len;
        items[i].status = pd[i].status;
    }
    dpi_sketcher_init(sk, ix->mh, ix->p.shingle_k, text, threads);
    dpi_sketch_batch(sk, items, n, sigs, sets);
    dpi_sketcher_fini(sk);
    for (i = 0; i < n; i++) {
        pd[i].status = items[i].status;
        pd[i].words = items[i].words;
        pd[i].set = items[i].set;
        pd[i].nset = items[i].nset;
    }
    free(items);
    free(sk);
}
