/*
 * sketch.c - sketching (to be replaced by the sketch layer): the one
 * place where the index turns texts into signatures, word counts and
 * shingle sets. add (a batch, on threads), query by text and the check
 * of stored texts all come here; nothing else in src/index/ calls
 * dpi_dedup_sketch() or starts a thread.
 *
 * Signatures are made by dpi_dedup_sketch() with the same MinHash family
 * and the same short-document rule as dp_dedup, so queries find exactly
 * the pairs dedup would verify.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "dedup/dedup.h"
#include "index/index_int.h"

dp_status dpi_index_sketch_one(const dp_index *ix, const dp_text_opts *o,
                               const char *text, size_t len, uint32_t *sig,
                               uint32_t *words, uint64_t **set, size_t *nset)
{
    int sets = !(ix->p.flags & DP_INDEX_NO_SETS);
    *set = NULL;
    *nset = 0;
    return dpi_dedup_sketch(ix->mh, ix->p.shingle_k, o, text ? text : "", len,
                            sig, words, sets ? set : NULL, nset);
}

/* A batch shared by the sketching threads: each takes the next index. */
typedef struct sketch_job {
    const dp_index *ix;
    const dp_index_doc *docs;
    const dp_text_opts *text;
    dpi_index_pending *pd;
    uint32_t *sigs;
    size_t n;
    atomic_size_t next;
} sketch_job;

static void *sketch_worker(void *arg)
{
    sketch_job *j = arg;
    size_t i;
    while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
        const dp_index_doc *d = &j->docs[i];
        dpi_index_pending *p = &j->pd[i];
        p->status = dpi_index_doc_check(d);
        if (p->status)
            continue;
        p->status = dpi_index_sketch_one(j->ix, j->text, d->text, d->text_len,
                                         j->sigs + i * j->ix->p.perms,
                                         &p->words, &p->set, &p->nset);
    }
    return NULL;
}

void dpi_index_sketch_batch(const dp_index *ix, const dp_index_doc *docs,
                            size_t n, const dp_text_opts *text,
                            unsigned threads, dpi_index_pending *pd,
                            uint32_t *sigs)
{
    pthread_t tid[64];
    unsigned t, started = 0;
    sketch_job j;

    j.ix = ix;
    j.docs = docs;
    j.text = text;
    j.pd = pd;
    j.sigs = sigs;
    j.n = n;
    atomic_init(&j.next, 0);
    threads = dpi_dedup_threads(threads);
    if (threads > 64)
        threads = 64;
    if (threads > n)
        threads = n ? (unsigned)n : 1;
    for (t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, sketch_worker, &j) != 0)
            break;
        started++;
    }
    sketch_worker(&j);
    for (t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
}
