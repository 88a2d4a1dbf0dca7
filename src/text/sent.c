/*
 * sent.c - the sentence splitter.
 *
 * Works on the token stream and the normalised characters in the gaps
 * between tokens (quotes already unified to ' and "). Each gap is scanned
 * once, so the splitter is linear in the text; a sentence is a run of
 * whole tokens, every token is in exactly one sentence, and sentences are
 * in order and never overlap.
 *
 * A gap ends the sentence before it when:
 *   - it holds a blank line (newline, optional spaces, newline; CRLF and
 *     lone CR count as newlines), so headlines and paragraphs without
 *     final punctuation are sentences; or
 *   - it holds a chunk (a run of non-space characters) that ends with
 *     terminal punctuation (. ! ? and their NFKC forms such as the
 *     ellipsis, 。, Arabic/Devanagari stops) optionally followed by
 *     closing quotes/brackets, and the chunk is followed by whitespace or
 *     the end of the text. Next to a CJK token the whitespace is not needed
 *     (Chinese and Japanese put none after 。！？).
 * except that no punctuation boundary is taken when
 *   - the next token starts lower case in the original ("... the U.S. and");
 *   - the '.' directly follows a title-like abbreviation (Mr, Mrs, Dr,
 *     Prof, Gen, Sen, St, vs, ...) or e.g./i.e.;
 *   - the '.' follows No, Fig, Vol or a month (Jan..Dec, Sept) and a
 *     number comes next ("No. 10", "Jan. 5");
 *   - the '.' directly follows a closing abbreviation (etc, Inc, Ltd, Co,
 *     Corp, Jr, Sr), dotted initials ("U.S.", "a.m.") or a single-letter
 *     initial standing alone ("J. Smith", but not the "K" of "ISIS-K."),
 *     unless the next token is a capitalised stopword of two letters or
 *     more ("... U.S. The ...", "... Plan B. It ...") or a newline follows
 *     the '.'.
 * Decimals never reach the splitter: "3.5" is one token.
 *
 * A sentence that reaches DP_SENT_MAX_TOKENS tokens without a boundary is
 * cut, at its last newline if it has one, else right there; so a 50 MB
 * line without punctuation gives many sentences in linear time.
 *
 * Spans: a sentence starts at the run of opening quotes/brackets directly
 * before its first token (if any) and ends after its final punctuation
 * and closing quotes/brackets (after a blank-line boundary without such
 * punctuation: after the last non-space character before the blank line).
 * Whitespace between sentences, and punctuation that belongs to neither side,
 * is in none.
 */
#include <assert.h>
#include <string.h>

#include "core/util.h"
#include "text/text.h"

#define NONE ((size_t)-1)

/* What one gap between two tokens (or after the last) holds. */
typedef struct gap_info {
    size_t g0, g1;     /* the gap [g0, g1) in normalised bytes */
    size_t c0_end;     /* end of the chunk touching the token before */
    size_t term_end;   /* end of the last TERM+CLOSE* chunk followed by
                          space or end of text, or NONE */
    int term_is_c0;    /* that chunk is the first one */
    int c0_is_period;  /* the first chunk is exactly "." */
    size_t cjk_end;    /* end of the first TERM+CLOSE* run, or NONE */
    size_t blank_end;  /* end of the last non-space before the first
                          blank line, or NONE when there is none */
    size_t blank_term; /* term_end as it was at that blank line */
    int has_nl;        /* the gap holds a newline */
    size_t open_start; /* start of the opening run before the next token */
} gap_info;

static int is_ws(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static int is_term(int32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0x061F ||
           c == 0x06D4 || c == 0x0964 || c == 0x0965;
}

static int is_close(int32_t c)
{
    switch (c) {
    case '"':
    case '\'':
    case ')':
    case ']':
    case '}':
    case 0x3009:
    case 0x300B:
    case 0x300D:
    case 0x300F:
    case 0x3011:
    case 0x3015: return 1;
    default: return 0;
    }
}

static int is_open(int32_t c)
{
    switch (c) {
    case '"':
    case '\'':
    case '(':
    case '[':
    case '{':
    case 0x00A1:
    case 0x00BF:
    case 0x3008:
    case 0x300A:
    case 0x300C:
    case 0x300E:
    case 0x3010:
    case 0x3014: return 1;
    default: return 0;
    }
}

/*
 * 1 when the unified quote at normalised offset @p was an opening quote in
 * the original (U+201C, U+2018, U+201E, U+201A, U+00AB, U+2039): with no
 * space to tell them apart, the original says which side a quote is on.
 */
static int orig_opening_quote(const dp_doc *doc, size_t p)
{
    size_t o = doc->map[p];
    int32_t cp;
    if (dpi_utf8_decode((const uint8_t *)doc->orig + o, doc->orig_len - o,
                        &cp) < 0)
        return 0;
    return cp == 0x201C || cp == 0x2018 || cp == 0x201E || cp == 0x201A ||
           cp == 0x00AB || cp == 0x2039;
}

/* Decode the valid normalised character at @p. */
static size_t next_char(const uint8_t *t, size_t n, size_t p, int32_t *cp)
{
    int r;
    if (t[p] < 0x80) {
        *cp = t[p];
        return 1;
    }
    r = dpi_utf8_decode(t + p, n - p, cp);
    if (r < 0) {
        *cp = 0xFFFD;
        return (size_t)-r;
    }
    return (size_t)r;
}

/* Scan gap [g0, g1); @has_next says whether a token follows it. */
static void scan_gap(const dp_doc *doc, size_t g0, size_t g1, int has_next,
                     gap_info *gi)
{
    const uint8_t *t = (const uint8_t *)doc->norm;
    size_t n = doc->norm_len, p = g0, chunk_start = g0, last_nonws = g0;
    int in_chunk = 0, state = 0, run = 0;
    unsigned nl = 0;

    gi->g0 = g0;
    gi->g1 = g1;
    gi->c0_end = g0;
    gi->term_end = NONE;
    gi->term_is_c0 = 0;
    gi->c0_is_period = 0;
    gi->cjk_end = NONE;
    gi->blank_end = NONE;
    gi->blank_term = NONE;
    gi->has_nl = 0;
    gi->open_start = g1;

    while (p < g1) {
        int32_t c;
        size_t l = next_char(t, n, p, &c);

        if (is_ws(c)) {
            if (in_chunk) {
                if (state) {
                    gi->term_end = p;
                    gi->term_is_c0 = chunk_start == g0;
                }
                in_chunk = 0;
            }
            if (c == '\n' || (c == '\r' && !(p + 1 < g1 && t[p + 1] == '\n'))) {
                gi->has_nl = 1;
                if (++nl >= 2 && gi->blank_end == NONE) {
                    gi->blank_end = last_nonws;
                    gi->blank_term = gi->term_end;
                }
            }
            if (run == 1)
                run = 2;
        } else {
            nl = 0;
            if (!in_chunk) {
                in_chunk = 1;
                chunk_start = p;
                state = 0;
            }
            if (is_term(c)) {
                state = 1;
                if (run == 0)
                    run = 1;
            } else if (!(is_close(c) && state)) {
                state = 0;
            }
            if (run == 1) {
                if (is_term(c) || (is_close(c) && !orig_opening_quote(doc, p)))
                    gi->cjk_end = p + l;
                else
                    run = 2;
            }
            last_nonws = p + l;
            if (chunk_start == g0)
                gi->c0_end = p + l;
        }
        p += l;
    }
    if (in_chunk && state && !has_next) {
        gi->term_end = g1;
        gi->term_is_c0 = chunk_start == g0;
    }
    gi->c0_is_period = gi->c0_end == g0 + 1 && t[g0] == '.';

    if (has_next) {
        /* Walk back over opening quotes/brackets directly before g1. */
        size_t q = g1;
        while (q > g0) {
            size_t b = q - 1;
            int32_t c;
            while (b > g0 && (t[b] & 0xC0) == 0x80)
                b--;
            next_char(t, n, b, &c);
            if (!is_open(c))
                break;
            q = b;
        }
        gi->open_start = q;
    }
}

/* Token text equals @w (ASCII, lower case)? */
static int tok_is(const dp_doc *doc, const dp_tok *tk, const char *w)
{
    size_t l = strlen(w);
    return tk->nend - tk->nstart == l &&
           memcmp(doc->norm + tk->nstart, w, l) == 0;
}

static int in_list(const dp_doc *doc, const dp_tok *tk, const char *const *list)
{
    if (tk->nend - tk->nstart > 6)
        return 0;
    for (; *list; list++)
        if (tok_is(doc, tk, *list))
            return 1;
    return 0;
}

/* Abbreviations after which a '.' never ends a sentence. */
static const char *const abbr_never[] = {
    "mr",   "mrs",  "ms",  "dr",   "drs", "prof",   "st",   "gen",  "gens",
    "gov",  "govs", "sen", "sens", "rep", "reps",   "vs",   "lt",   "col",
    "capt", "sgt",  "rev", "hon",  "mt",  "messrs", "pres", "supt", NULL};

/* Abbreviations that may also end a sentence (before "The", "He", ...). */
static const char *const abbr_maybe[] = {"sr",  "jr", "etc",  "inc",
                                         "ltd", "co", "corp", NULL};

/* Abbreviations that hold a sentence together only before a number. */
static const char *const abbr_number[] = {
    "no",  "jan",  "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "fig", "vol", NULL};

/*
 * 1 when the '.' right after token @i is an abbreviation's or an initial's
 * and so does not end the sentence before token @i + 1. @nl: the gap after
 * the '.' holds a newline (a line that ends in "U.S." more likely ends a
 * sentence).
 */
static int abbreviation_dot(const dp_doc *doc, size_t i, int nl)
{
    const dp_tok *tk = &doc->toks[i], *nx = &doc->toks[i + 1];
    /* "The", "He", "In": a capitalised stopword (not the ambiguous one
     * letter "A" or "I") most likely starts a new sentence. */
    int next_starts =
        nl || ((nx->flags & DP_TOK_CAPITAL) && (nx->flags & DP_TOK_STOP) &&
               !(nx->xflags & DP_TOKX_SINGLE));

    if (tk->xflags & DP_TOKX_SINGLE) {
        const dp_tok *pv = i > 0 ? &doc->toks[i - 1] : NULL;
        int dotted = pv && (pv->xflags & DP_TOKX_SINGLE) &&
                     tk->nstart == pv->nend + 1 && doc->norm[pv->nend] == '.';
        if (!dotted) {
            /* An initial stands alone ("J. Smith", "(J. Smith"); a letter
             * glued to what precedes it ("ISIS-K.") is a word's end. */
            unsigned char before =
                tk->nstart > 0 ? (unsigned char)doc->norm[tk->nstart - 1] : ' ';
            if (!(before == ' ' || before == '\n' || before == '\t' ||
                  before == '\r' || before == '(' || before == '[' ||
                  before == '"' || before == '\''))
                return 0;
            return !next_starts;
        }
        if ((tok_is(doc, pv, "e") && tok_is(doc, tk, "g")) ||
            (tok_is(doc, pv, "i") && tok_is(doc, tk, "e")))
            return 1;
        return !next_starts; /* "U.S." */
    }
    if (in_list(doc, tk, abbr_never))
        return 1;
    if (in_list(doc, tk, abbr_number))
        return (nx->flags & DP_TOK_NUMBER) != 0; /* "No. 10", "Jan. 5" */
    if (in_list(doc, tk, abbr_maybe))
        return !next_starts;
    return 0;
}

/* Append sentence [tb, te) spanning normalised [ns, ne). */
static dp_status add_sent(dp_doc *doc, size_t tb, size_t te, size_t ns,
                          size_t ne)
{
    dp_sent *s;
    dp_status rc = DP_RESERVE(doc->sents, doc->sents_cap, doc->nsents + 1);

    if (rc)
        return rc;
    assert(tb < te && ns < ne);
    s = &doc->sents[doc->nsents++];
    s->tok_begin = (uint32_t)tb;
    s->tok_end = (uint32_t)te;
    s->start = doc->map[ns];
    s->end = (uint32_t)dpi_norm_orig_end(doc, ne);
    if (doc->nsents > 1 && s->start < s[-1].end)
        s->start = s[-1].end; /* both edges in one original segment */
    return DP_OK;
}

/* Where a boundary in gap @gi that is not a punctuation one ends/starts. */
static size_t soft_end(const gap_info *gi)
{
    if (gi->blank_end != NONE)
        return gi->blank_end;
    return gi->c0_end < gi->g1 ? gi->c0_end : gi->g0;
}

dp_status dpi_sent_run(dp_doc *doc)
{
    size_t n, i, b = 0, start, last_nl = NONE;
    gap_info gi;
    dp_status rc;

    assert(doc);
    doc->nsents = 0;
    n = doc->ntoks;
    if (n == 0)
        return DP_OK;
    rc = DP_RESERVE(doc->sents, doc->sents_cap, n / 16 + 4);
    if (rc)
        return rc;

    scan_gap(doc, 0, doc->toks[0].nstart, 1, &gi);
    start = gi.open_start;

    for (i = 0; i < n; i++) {
        const dp_tok *tk = &doc->toks[i];
        int last = i + 1 == n;
        size_t g1 = last ? doc->norm_len : doc->toks[i + 1].nstart;
        size_t end = NONE, next_start = NONE;

        scan_gap(doc, tk->nend, g1, !last, &gi);
        if (last) {
            end = gi.term_end != NONE ? gi.term_end : gi.c0_end;
            rc = add_sent(doc, b, n, start, end);
            if (rc)
                return rc;
            break;
        }
        if (gi.blank_end != NONE) {
            end = gi.blank_term != NONE ? gi.blank_term : gi.blank_end;
        } else {
            const dp_tok *nx = &doc->toks[i + 1];
            size_t pend = gi.term_end;
            if (pend == NONE && gi.cjk_end != NONE &&
                ((tk->xflags | nx->xflags) & DP_TOKX_CJK))
                pend = gi.cjk_end;
            if (pend != NONE && !(nx->xflags & DP_TOKX_LOWER) &&
                !(gi.term_is_c0 && gi.c0_is_period && pend == gi.g0 + 1 &&
                  abbreviation_dot(doc, i, gi.has_nl)))
                end = pend;
        }
        if (end != NONE) {
            next_start = gi.open_start > end ? gi.open_start : end;
            rc = add_sent(doc, b, i + 1, start, end);
            if (rc)
                return rc;
            b = i + 1;
            start = next_start;
            last_nl = NONE;
            while (start < doc->toks[b].nstart &&
                   is_ws((unsigned char)doc->norm[start]))
                start++;
            continue;
        }
        if (gi.has_nl)
            last_nl = i;
        if (i + 1 - b >= DP_SENT_MAX_TOKENS) {
            size_t j = last_nl != NONE ? last_nl : i;
            if (j != i)
                scan_gap(doc, doc->toks[j].nend, doc->toks[j + 1].nstart, 1,
                         &gi);
            end = soft_end(&gi);
            rc = add_sent(doc, b, j + 1, start, end);
            if (rc)
                return rc;
            b = j + 1;
            start = gi.open_start > end ? gi.open_start : end;
            last_nl = NONE;
        }
    }
    return DP_OK;
}
