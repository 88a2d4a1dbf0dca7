/*
 * story.h - internal interfaces of the story module: the comparison of two
 * documents (compare.c), its scores (score.c) and its sentence-level story
 * diff (diff.c), plus the JSON writer (report/json.c) that reads them.
 *
 * A dp_comparison owns flat arrays only: the passages, one dp_sentence_diff
 * per sentence of each side, and one pool of "added" spans that the
 * sentences point into. Everything is computed once by dp_compare() and is
 * read-only afterwards, so a finished comparison may be read from many
 * threads.
 *
 * The token classes below are shared by the same-story score and the story
 * diff so that both agree on what a name, a number and a content word are
 * (docs/scores.md, docs/story-diff.md).
 */
#ifndef DP_STORY_STORY_H
#define DP_STORY_STORY_H

#include <stddef.h>
#include <stdint.h>

#include "core/sort.h"
#include "doppel.h"
#include "text/doc.h"

struct dp_comparison {
    const dp_doc *doc[2]; /* A and B; borrowed, must outlive this */
    dp_compare_opts opts; /* the options the comparison ran with */
    dp_scores scores;     /* jaccard, containment, same_story */
    dp_passage *passages; /* npassages entries, ordered by a.start */
    size_t npassages;
    dp_sentence_diff *sents[2]; /* one verdict per sentence of each side */
    size_t nsents[2];           /* == dp_doc_sentences(doc[side]) */
    dp_span *added;             /* pool the sentences' added[] point into */
    size_t nadded;
    double coverage[2]; /* fraction of each side's words that lie
                           inside passages */
};

/* Token classes (dpi_story_classify). */
enum {
    DP_CLS_NONE = 0,  /* stopword or token without a term: no evidence */
    DP_CLS_WORD = 1,  /* content word (stemmed term, not a stopword) */
    DP_CLS_NAME = 2,  /* part of a name: capitalised, not a stopword, and
                         not merely capitalised by its sentence position */
    DP_CLS_NUMBER = 3 /* digits */
};

/*
 * dpi_story_classify - give every token of both documents a DP_CLS_* class.
 * A capitalised token that opens its sentence counts as a name only when
 * the same term also occurs capitalised away from a sentence start in
 * either document (so "Zawahiri was killed" is a name but "Top officials"
 * is not).
 * @d:     the two documents.
 * @cls:   OUT: for each side a malloc'd array of d[side]->ntoks classes
 *         (NULL when the side has no tokens); free both with free().
 * @return DP_OK or DP_ENOMEM (then both are NULL).
 */
dp_status dpi_story_classify(const dp_doc *const d[2], uint8_t *cls[2]);

/*
 * dpi_story_key - the key a token is compared by: its stem term, or for a
 * token without one (a number the stemmer skipped) its hash. Tokens of
 * class DP_CLS_NONE have no key (0).
 */
uint64_t dpi_story_key(const dp_tok *t, uint8_t cls);

/*
 * dpi_story_content_key - the key a token counts under in term statistics
 * (dp_idf): its stem, a number's stem or hash; 0 for a stopword or a token
 * without a term. Agrees with dpi_story_key() on every token that the
 * classifier gives a class other than DP_CLS_NONE.
 */
uint64_t dpi_story_content_key(const dp_tok *t);

/*
 * dpi_idf_encode - the file image of @idf (docs/idf.md): malloc'd into
 * *@out (free()), *@len bytes. Entries sorted, so equal tables give equal
 * bytes. @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 */
dp_status dpi_idf_encode(const dp_idf *idf, unsigned char **out, size_t *len);

/*
 * dpi_idf_decode - check and load a file image (@len bytes at @buf,
 * borrowed) into a new table *@out (dp_idf_free()). Errors as
 * dp_idf_read() gives for a damaged file.
 */
dp_status dpi_idf_decode(const void *buf, size_t len, dp_idf **out,
                         dp_error *err);

/*
 * dpi_story_tok_at - index of the first token of @d whose start is >= @off
 * (d->ntoks when there is none). Binary search; tokens are in order.
 */
size_t dpi_story_tok_at(const dp_doc *d, size_t off);

/*
 * dpi_story_passage_toks - the token range [*begin, *end) of side @side of
 * passage @p: the tokens lying wholly inside its byte span.
 */
void dpi_story_passage_toks(const dp_doc *d, const dp_passage *p, int side,
                            size_t *begin, size_t *end);

/* Key + payload records (core/sort.h), sorted with dpi_sort_kv(). */
typedef dp_kv dp_story_kv;

/*
 * dpi_score_shingles - exact Jaccard and containment of the two documents'
 * k-word shingle sets; fills jaccard, containment_a_in_b and
 * containment_b_in_a of @out (same_story untouched). Documents shorter
 * than @k words are shingled with k' = the shorter length (docs/scores.md);
 * a side without words gives 0 everywhere.
 * @return DP_OK, DP_ENOMEM.
 */
dp_status dpi_score_shingles(const dp_doc *a, const dp_doc *b, unsigned k,
                             dp_scores *out);

/* The signals the same-story score is built from (docs/scores.md). */
typedef struct dp_story_signals {
    double terms;       /* specificity-weighted content-term overlap */
    double names;       /* overlap of names */
    double numbers;     /* overlap of numbers */
    double passages;    /* the larger side's fraction of words in passages */
    size_t nnames[2];   /* distinct names on each side */
    size_t nnumbers[2]; /* distinct numbers on each side */
    double score;       /* the combined same_story score */
} dp_story_signals;

/*
 * dpi_score_same_story - the same-story signals and score of a pair.
 * @d:        the two documents.
 * @cls:      token classes from dpi_story_classify().
 * @coverage: each side's fraction of words inside shared passages.
 * @out:      OUT: the signals; out->score is in [0, 1].
 * @return DP_OK, DP_ENOMEM.
 */
dp_status dpi_score_same_story(const dp_doc *const d[2], uint8_t *const cls[2],
                               const double coverage[2], dp_story_signals *out);

/*
 * dpi_story_diff - the story diff: fills c->sents, c->nsents, c->added,
 * c->nadded and c->coverage from c->doc, c->passages and c->opts.
 * @cls:   token classes from dpi_story_classify().
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG. On failure the caller frees @c.
 */
dp_status dpi_story_diff(dp_comparison *c, uint8_t *const cls[2]);

#endif /* DP_STORY_STORY_H */
