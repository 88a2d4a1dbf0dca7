/*
 * stories.h - internals of the same-story clustering engine (stories.c),
 * its date evidence (date.c) and the pieces of the same-story score it
 * shares with dp_compare() (score.c), plus the JSON writers
 * (report/stories_json.c).
 *
 * A document enters the engine as flat features only: its distinct
 * content keys (sorted) each with its term frequency and DP_CLS_* class,
 * and its dates (a reference day and the years it mentions). Everything
 * the pair score needs is in those arrays, so a run never rebuilds a
 * dp_doc; --explain rebuilds the two documents it is asked about to show
 * the shared names and numbers as text.
 */
#ifndef DP_STORY_STORIES_H
#define DP_STORY_STORIES_H

#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "doppel.h"
#include "text/doc.h"

/* ------------------------------------------------------------------ */
/* Dates (date.c)                                                     */
/* ------------------------------------------------------------------ */

#define DP_NO_DAY          INT32_MIN
#define DP_DATE_YEAR0      1900 /* years tracked: [YEAR0, YEAR1) */
#define DP_DATE_YEAR1      2156
#define DP_DATE_YEAR_WORDS 4 /* 256 bits */
#define DP_DATE_DATELINE_BYTES                                                 \
    400 /* a full date this early is the                                       \
           document's own date (dateline) */

/* What a document says about when it happened. */
typedef struct dp_story_dates {
    int32_t ref_day;   /* days since 1970-01-01: the date field, else a full
                          date in the first DP_DATE_DATELINE_BYTES bytes of
                          the text; DP_NO_DAY when neither */
    int from_field;    /* ref_day came from the date field */
    unsigned mentions; /* month-day or month-year dates in the text */
    uint64_t years[DP_DATE_YEAR_WORDS]; /* bit y - YEAR0: year y is
                                           mentioned (or is the field's) */
} dp_story_dates;

/* dpi_date_word - 1 when @s (@n bytes) is an English month or weekday
 * name or a month abbreviation (any case), else 0. */
int dpi_date_word(const char *s, size_t n);

/*
 * dpi_date_parse - a record's date field as a day: ISO 8601 and Reuters
 * "26-FEB-1987 ..." (dpi_dedup_parse_date), "May 03, 2013", "3 May 2013",
 * "Tuesday, May 3, 2013". @return 0 and *day set, or -1.
 */
int dpi_date_parse(const char *s, size_t len, int32_t *day);

/*
 * dpi_date_scan - the dates of @d: @field_day (DP_NO_DAY when the record
 * has no usable date field) and those in its text.
 */
void dpi_date_scan(const dp_doc *d, int32_t field_day, dp_story_dates *out);

/* dpi_date_years_overlap - 1 when @a and @b mention a common year; *both
 * is set to 1 when each mentions at least one. */
int dpi_date_years_overlap(const dp_story_dates *a, const dp_story_dates *b,
                           int *both);

/* ------------------------------------------------------------------ */
/* Features and the pair score                                        */
/* ------------------------------------------------------------------ */

/* The flat features of one document, borrowed from the engine. */
typedef struct dp_story_feat {
    const uint64_t *keys; /* n distinct content keys, ascending */
    const uint32_t *tc;   /* per key: tf << 2 | DP_CLS_* class */
    size_t n;
    dp_story_dates dates;
    /* filled by dpi_story_feat_weigh(): */
    const float *kw; /* per key: boost(class) * idf^idf_pow */
    const float *vw; /* per key: kw * (1 + ln tf)^tf_pow */
    double tw;       /* sum of vw^2 */
    double nw, mw;   /* sum of kw^2 over names, over numbers */
    size_t nnum;     /* distinct numbers */
} dp_story_feat;

/* Signals of one pair under the corpus (IDF) form of the score. */
typedef struct dp_story_pair {
    double terms;          /* IDF- and specificity-weighted Ochiai */
    double numbers;        /* the same over numbers */
    double names;          /* the same over names */
    size_t shared_names;   /* distinct names on both sides */
    size_t shared_numbers; /* distinct numbers on both sides */
    size_t shared_terms;   /* distinct keys on both sides */
    size_t nnumbers[2];    /* distinct numbers on each side */
    long day_gap;          /* |ref_day a - ref_day b|, or -1 */
    int years_both;        /* both sides mention years */
    int years_overlap;     /* ... and at least one in common */
    double z;              /* the logit */
    double score;          /* 1 / (1 + e^-z) */
} dp_story_pair;

/* Weighting of keys, given to dpi_story_pair_score(). */
typedef struct dp_story_idf {
    const uint64_t *keys; /* corpus keys with df >= 1, ascending */
    const uint32_t *df;   /* their corpus document frequencies */
    size_t n;
    uint64_t ndocs;   /* documents counted in the corpus */
    const dp_idf *bg; /* background table added to the counts, or NULL */
} dp_story_idf;

/* idf(@key) = ln((N + 1) / (df + 1)) + 1 over corpus + background. */
double dpi_story_idf_weight(const dp_story_idf *w, uint64_t key);

/* The weights of the corpus form of the score (docs/stories.md). */
typedef struct dp_story_weights {
    double name_boost;    /* a name weighs this many content words */
    double num_boost;     /* a number likewise */
    double idf_pow;       /* key weight = idf^idf_pow */
    double tf_pow;        /* vector weight = key weight * (1 + ln tf)^tf_pow */
    double b0, b_terms;   /* logit intercept, weight of the term overlap */
    double b_names;       /* weight of the name overlap */
    double b_numbers;     /* penalty for figures that disagree ... */
    unsigned min_numbers; /* ... when each side has this many */
    double b_date;        /* penalty for reference dates far apart: */
    double date_near;     /* nothing up to this many days, */
    double date_far;      /* all of it from this many (log between); */
    double field_near;    /* the same when both days are date fields */
    double field_far;     /* (publication dates: reports of one event
                             are days apart, not months) */
    int use_title;        /* the title's words join the features */
    double b_years;       /* penalty when the years mentioned are disjoint
                             (when the reference days are not both known) */
} dp_story_weights;

/* dpi_story_weights_init - the calibrated defaults. */
void dpi_story_weights_init(dp_story_weights *w);

/*
 * dpi_story_feat_weigh - fill @f's weights from @idf (the idf of each of
 * its keys, f->n entries): @kw and @vw are f->n entries the caller owns
 * (f points to them afterwards), plus the sums.
 */
void dpi_story_feat_weigh(const dp_story_weights *wt, dp_story_feat *f,
                          const double *idf, float *kw, float *vw);

/*
 * dpi_story_pair_score - the same-story score of two weighed documents in
 * its corpus form (docs/stories.md): the cosine of their IDF-weighted
 * term vectors, the overlap of names and of numbers, and the date
 * evidence; no passage alignment. One merge of the two key arrays.
 */
void dpi_story_pair_score(const dp_story_weights *wt, const dp_story_feat *a,
                          const dp_story_feat *b, dp_story_pair *out);

/*
 * dpi_story_pair_idf - the corpus form of the score for one pair, as
 * `doppel stories` gives it for a corpus of just these two documents
 * with @bg as background (dp_compare() with dp_compare_opts.idf). Dates
 * come from the texts only. @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_story_pair_idf(const dp_doc *a, const dp_doc *b, const dp_idf *bg,
                             dp_story_pair *out);

/*
 * dpi_story_feat_build - the features of @d (classified on its own): @keys
 * and @tc malloc'd arrays of *n entries (free()); NULL when n is 0.
 * @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_story_feat_build(const dp_doc *d, uint64_t **keys, uint32_t **tc,
                               size_t *n);

/*
 * dpi_story_feat_title - add the content keys of a title document @t to
 * the sorted features (*keys, *tc, *n from dpi_story_feat_build; the
 * arrays are replaced): a key already there counts once more, a new one
 * is a word (a number) said once. Titles are often in capitals, so they
 * add no names. @return DP_OK or DP_ENOMEM (the features unchanged).
 */
dp_status dpi_story_feat_title(const dp_doc *t, uint64_t **keys, uint32_t **tc,
                               size_t *n);

/* ------------------------------------------------------------------ */
/* Engine internals read by the JSON writers                          */
/* ------------------------------------------------------------------ */

/* dpi_stories_weights - the weights @s scores with, for calibration
 * (bench/stories): change them before dp_stories_run(). */
dp_story_weights *dpi_stories_weights(dp_stories *s);

/* dpi_stories_feat - the features of document @i of @s, weighed after a
 * run (kw, vw NULL before). Borrowed from @s. */
void dpi_stories_feat(const dp_stories *s, size_t i, dp_story_feat *f);

#endif /* DP_STORY_STORIES_H */
