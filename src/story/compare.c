/*
 * compare.c - dp_compare(): two documents compared as a reader wants them.
 *
 * Runs, in order: the shingle scores (score.c), the passage alignment
 * (align/align.c), the token classes shared by the story code, the story
 * diff (diff.c) and the same-story score, which uses the passage coverage
 * the diff measured. The dp_comparison (story.h) holds the results in flat
 * arrays; the accessors below only read them.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "align/align.h"
#include "core/util.h"
#include "story/stories.h"
#include "story/story.h"

void dp_compare_opts_init(dp_compare_opts *opts)
{
    if (!opts)
        return;
    opts->shingle_k = 5;
    opts->min_words = 8;
    opts->max_gap = 4;
    opts->rewrite_min = 0.3;
    opts->idf = NULL;
}

void dp_comparison_free(dp_comparison *c)
{
    if (!c)
        return;
    free(c->passages);
    free(c->sents[0]);
    free(c->sents[1]);
    free(c->added);
    free(c);
}

/* The passages ordered by a.start, then b.start (the aligner's order;
 * enforced here because the accessors promise it). */
static int by_a_start(const void *x, const void *y)
{
    const dp_passage *p = x, *q = y;
    if (p->a.start != q->a.start)
        return p->a.start < q->a.start ? -1 : 1;
    if (p->b.start != q->b.start)
        return p->b.start < q->b.start ? -1 : 1;
    return 0;
}

dp_status dp_compare(const dp_doc *a, const dp_doc *b,
                     const dp_compare_opts *opts, dp_comparison **out)
{
    dp_comparison *c;
    dp_align_opts ao;
    dp_story_signals sig;
    uint8_t *cls[2] = {NULL, NULL};
    const dp_doc *d[2];
    dp_status rc;

    if (out)
        *out = NULL;
    if (!a || !b || !out)
        return DP_EINVAL;
    if (opts && !(opts->rewrite_min >= 0.0 && opts->rewrite_min <= 1.0))
        return DP_EINVAL;
    c = calloc(1, sizeof *c);
    if (!c)
        return DP_ENOMEM;
    c->doc[0] = d[0] = a;
    c->doc[1] = d[1] = b;
    if (opts)
        c->opts = *opts;
    else
        dp_compare_opts_init(&c->opts);
    if (c->opts.shingle_k == 0)
        c->opts.shingle_k = 5;

    rc = dpi_score_shingles(a, b, c->opts.shingle_k, &c->scores);
    if (rc)
        goto fail;

    dpi_align_opts_init(&ao);
    ao.min_words = c->opts.min_words;
    ao.max_gap = c->opts.max_gap;
    rc = dpi_align_docs(a, b, &ao, &c->passages, &c->npassages);
    if (rc)
        goto fail;
    if (c->npassages > 1)
        qsort(c->passages, c->npassages, sizeof *c->passages, by_a_start);

    rc = dpi_story_classify(d, cls);
    if (rc)
        goto fail;
    rc = dpi_story_diff(c, cls);
    if (rc)
        goto fail;
    rc = dpi_score_same_story(d, cls, c->coverage, &sig);
    if (rc)
        goto fail;
    c->scores.same_story = sig.score;
    if (c->opts.idf) {
        /* with background statistics: the corpus form of the score, the
         * one `doppel stories` uses (docs/stories.md) */
        dp_story_pair sp;
        rc = dpi_story_pair_idf(a, b, c->opts.idf, &sp);
        if (rc)
            goto fail;
        c->scores.same_story = sp.score;
    }
    free(cls[0]);
    free(cls[1]);
    *out = c;
    return DP_OK;
fail:
    free(cls[0]);
    free(cls[1]);
    dp_comparison_free(c);
    return rc;
}

const dp_scores *dp_comparison_scores(const dp_comparison *c)
{
    return c ? &c->scores : NULL;
}

size_t dp_comparison_passages(const dp_comparison *c)
{
    return c ? c->npassages : 0;
}

const dp_passage *dp_comparison_passage(const dp_comparison *c, size_t i)
{
    if (!c || i >= c->npassages)
        return NULL;
    return &c->passages[i];
}

const dp_sentence_diff *dp_comparison_sentence(const dp_comparison *c, int side,
                                               size_t i)
{
    if (!c || (side != 0 && side != 1) || i >= c->nsents[side])
        return NULL;
    return &c->sents[side][i];
}
