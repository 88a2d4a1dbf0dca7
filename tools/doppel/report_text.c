/*
 * report_text.c - the readable report of `doppel compare`.
 *
 * Layout: the two inputs, the scores, the shared passages (A's text, and
 * B's too where it differs), the rewritten sentence pairs with what each
 * side adds, and the sentences only one side has. Colour (ANSI) only when
 * asked; whitespace runs in quoted text are shown as one space.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define SHOW_MAX 600 /* longest excerpt shown, in bytes, before "…" */

typedef struct style {
    const char *bold, *dim, *shared, *a_only, *b_only, *added, *off;
} style;

static const style plain = {"", "", "", "", "", "", ""};
static const style ansi = {"\033[1m",  "\033[2m",    "\033[32m", "\033[33m",
                           "\033[36m", "\033[1;35m", "\033[0m"};

static void put_excerpt(FILE *f, const char *text, dp_span s)
{
    cli_put_excerpt(f, text, s, SHOW_MAX);
}

/* Do two spans hold the same text up to whitespace? */
static int same_text(const char *ta, dp_span a, const char *tb, dp_span b)
{
    size_t i = a.start, j = b.start;
    for (;;) {
        while (i < a.end && isspace((unsigned char)ta[i]))
            i++;
        while (j < b.end && isspace((unsigned char)tb[j]))
            j++;
        if (i == a.end || j == b.end)
            return i == a.end && j == b.end;
        if (ta[i] != tb[j])
            return 0;
        i++, j++;
    }
}

static void put_doc_line(FILE *f, const style *st, const char *label,
                         const char *name, const dp_doc *d)
{
    size_t len;
    dp_doc_text(d, &len);
    size_t words = dp_doc_words(d), sents = dp_doc_sentences(d);
    fprintf(f, "%s%s%s  %s  %s(%zu byte%s, %zu word%s, %zu sentence%s)%s\n",
            st->bold, label, st->off, name, st->dim, len, cli_s(len), words,
            cli_s(words), sents, cli_s(sents), st->off);
}

static void put_added(FILE *f, const style *st, const char *who,
                      const char *text, const dp_sentence_diff *sd)
{
    size_t k;
    if (sd->nadded == 0)
        return;
    fprintf(f, "       %s adds: ", who);
    for (k = 0; k < sd->nadded; k++) {
        fprintf(f, "%s%s", k ? ", " : "", st->added);
        put_excerpt(f, text, sd->added[k]);
        fputs(st->off, f);
    }
    fputc('\n', f);
}

static void put_unique(FILE *f, const style *st, const dp_comparison *c,
                       int side, const char *label, const char *text, size_t n,
                       const char *colour)
{
    size_t i, count = 0;
    for (i = 0; i < n; i++)
        count += dp_comparison_sentence(c, side, i)->status == DP_SENT_UNIQUE;
    fprintf(f, "\n%sOnly in %s%s: %zu sentence%s\n", st->bold, label, st->off,
            count, count == 1 ? "" : "s");
    for (i = 0; i < n; i++) {
        const dp_sentence_diff *sd = dp_comparison_sentence(c, side, i);
        if (sd->status != DP_SENT_UNIQUE)
            continue;
        fprintf(f, "  %s[%zu]%s %s", st->dim, i, st->off, colour);
        put_excerpt(f, text, sd->span);
        fprintf(f, "%s\n", st->off);
    }
}

/* Is B's sentence @i a rewritten one whose pair was not already shown from
 * A's side (A's partner points elsewhere, or A's sentence is not itself
 * marked rewritten)? */
static int b_pair_on_its_own(const dp_comparison *c, size_t i)
{
    const dp_sentence_diff *sb = dp_comparison_sentence(c, 1, i);
    const dp_sentence_diff *sa;
    if (sb->status != DP_SENT_REWRITTEN || sb->partner < 0)
        return 0;
    sa = dp_comparison_sentence(c, 0, (size_t)sb->partner);
    return !(sa->status == DP_SENT_REWRITTEN && sa->partner == (long)i);
}

void report_compare_text(FILE *f, const dp_doc *a, const dp_doc *b,
                         const dp_comparison *c, const char *name_a,
                         const char *name_b, int color)
{
    const style *st = color ? &ansi : &plain;
    const dp_scores *sc = dp_comparison_scores(c);
    const char *ta = dp_doc_text(a, NULL), *tb = dp_doc_text(b, NULL);
    size_t na = dp_doc_sentences(a), nb = dp_doc_sentences(b);
    size_t np = dp_comparison_passages(c), i, words = 0, nrew = 0;

    put_doc_line(f, st, "A", name_a, a);
    put_doc_line(f, st, "B", name_b, b);

    fprintf(f, "\n%sScores%s\n", st->bold, st->off);
    fprintf(f, "  same story          %.3f\n", sc->same_story);
    fprintf(f, "  Jaccard             %.3f\n", sc->jaccard);
    fprintf(f, "  A contained in B    %.3f\n", sc->containment_a_in_b);
    fprintf(f, "  B contained in A    %.3f\n", sc->containment_b_in_a);

    for (i = 0; i < np; i++)
        words += dp_comparison_passage(c, i)->words;
    fprintf(f, "\n%sShared passages%s: %zu (%zu word%s)\n", st->bold, st->off,
            np, words, cli_s(words));
    for (i = 0; i < np; i++) {
        const dp_passage *p = dp_comparison_passage(c, i);
        fprintf(f, "  %s%zu. %zu word%s  A %zu-%zu  B %zu-%zu%s\n", st->dim,
                i + 1, p->words, cli_s(p->words), p->a.start, p->a.end,
                p->b.start, p->b.end, st->off);
        fprintf(f, "     %s", st->shared);
        put_excerpt(f, ta, p->a);
        fprintf(f, "%s\n", st->off);
        if (!same_text(ta, p->a, tb, p->b)) {
            fprintf(f, "     %sB:%s %s", st->dim, st->off, st->shared);
            put_excerpt(f, tb, p->b);
            fprintf(f, "%s\n", st->off);
        }
    }

    for (i = 0; i < na; i++) {
        const dp_sentence_diff *sa = dp_comparison_sentence(c, 0, i);
        nrew += sa->status == DP_SENT_REWRITTEN && sa->partner >= 0;
    }
    for (i = 0; i < nb; i++)
        nrew += b_pair_on_its_own(c, i);
    fprintf(f, "\n%sRewritten%s: %zu pair%s\n", st->bold, st->off, nrew,
            nrew == 1 ? "" : "s");
    for (i = 0; i < na; i++) {
        const dp_sentence_diff *sa = dp_comparison_sentence(c, 0, i);
        const dp_sentence_diff *sb;
        if (sa->status != DP_SENT_REWRITTEN || sa->partner < 0)
            continue;
        sb = dp_comparison_sentence(c, 1, (size_t)sa->partner);
        fprintf(f, "  %sA[%zu] ~ B[%ld]  similarity %.2f%s\n", st->dim, i,
                sa->partner, sa->similarity, st->off);
        fprintf(f, "     A: %s", st->a_only);
        put_excerpt(f, ta, sa->span);
        fprintf(f, "%s\n     B: %s", st->off, st->b_only);
        put_excerpt(f, tb, sb->span);
        fprintf(f, "%s\n", st->off);
        put_added(f, st, "A", ta, sa);
        if (sb->partner == (long)i)
            put_added(f, st, "B", tb, sb);
    }
    for (i = 0; i < nb; i++) {
        const dp_sentence_diff *sb = dp_comparison_sentence(c, 1, i);
        const dp_sentence_diff *sa;
        if (!b_pair_on_its_own(c, i))
            continue;
        sa = dp_comparison_sentence(c, 0, (size_t)sb->partner);
        fprintf(f, "  %sB[%zu] ~ A[%ld]  similarity %.2f%s\n", st->dim, i,
                sb->partner, sb->similarity, st->off);
        fprintf(f, "     B: %s", st->b_only);
        put_excerpt(f, tb, sb->span);
        fprintf(f, "%s\n     A: %s", st->off, st->a_only);
        put_excerpt(f, ta, sa->span);
        fprintf(f, "%s\n", st->off);
        put_added(f, st, "B", tb, sb);
    }

    put_unique(f, st, c, 0, "A", ta, na, st->a_only);
    put_unique(f, st, c, 1, "B", tb, nb, st->b_only);
}
