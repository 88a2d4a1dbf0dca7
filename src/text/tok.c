/*
 * tok.c - the tokenizer: words and numbers with both byte spans.
 *
 * Works on the normalised text (already case-folded, quotes and dashes
 * unified). A token is a maximal run of letters, marks and digits
 * (utf8proc categories L*, M*, N*) in any script, with three exceptions:
 *
 *   - an apostrophe with a letter (or mark) before it and a letter after it
 *     stays inside the word: "don't", "taliban's", "rock'n'roll";
 *   - '.' or ',' between two decimal digits stays inside the number:
 *     "3.5", "1,000";
 *   - Han ideographs, Hiragana and Katakana (see dpi_tok_is_cjk) are one
 *     token per character (plus any marks that follow it), since those
 *     scripts do not separate words with spaces.
 *
 * Everything else splits, hyphens included ("al-Qaeda" -> "al" "qaeda", so
 * it matches "al Qaeda"). A token never leaves a letter or digit of
 * the same original segment's expansion to another token: it takes the
 * rest of that expansion along ("½" gives the single token "1⁄2"), so
 * token spans never overlap. A token whose characters are all numbers is
 * DP_TOK_NUMBER, any other DP_TOK_WORD. DP_TOK_CAPITAL and the internal
 * DP_TOKX_LOWER come from the ORIGINAL first character (upper/title case
 * or lower case). The original span runs from the map entry of the first
 * normalised byte to the end of the original segment holding the last one
 * (dpi_norm_orig_end), so it never includes a neighbour's bytes.
 * hash = XXH3-64 of the normalised token bytes.
 */
#include <assert.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/util.h"
#include "text/text.h"

/* Character classes the tokenizer cares about. */
enum { C_OTHER = 0, C_LETTER, C_MARK, C_DIGIT, C_NUMOTHER };

int dpi_tok_is_cjk(int32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x2FFFF);
}

static int cls_of(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return C_LETTER;
        if (cp >= '0' && cp <= '9')
            return C_DIGIT;
        return C_OTHER;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return C_LETTER;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return C_MARK;
    case UTF8PROC_CATEGORY_ND: return C_DIGIT;
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return C_NUMOTHER;
    default: return C_OTHER;
    }
}

/* Decode the (valid) normalised character at @pos; return its class. */
static inline int char_at(const uint8_t *t, size_t n, size_t pos, int32_t *cp,
                          size_t *clen)
{
    if (t[pos] < 0x80) {
        *cp = t[pos];
        *clen = 1;
    } else {
        int r = dpi_utf8_decode(t + pos, n - pos, cp);
        if (r < 0) { /* cannot happen: the normaliser emits valid UTF-8 */
            *cp = 0xFFFD;
            *clen = (size_t)-r;
            return C_OTHER;
        }
        *clen = (size_t)r;
    }
    return cls_of(*cp);
}

/* Case of the original character at @off: 1 upper/title, -1 lower, 0. */
static int orig_case(const dp_doc *doc, size_t off)
{
    const uint8_t *s = (const uint8_t *)doc->orig + off;
    int32_t cp;
    utf8proc_category_t c;

    if (off >= doc->orig_len)
        return 0;
    if (*s < 0x80)
        return (*s >= 'A' && *s <= 'Z') ? 1 : (*s >= 'a' && *s <= 'z') ? -1 : 0;
    if (dpi_utf8_decode(s, doc->orig_len - off, &cp) < 0)
        return 0;
    c = utf8proc_category(cp);
    if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT)
        return 1;
    return c == UTF8PROC_CATEGORY_LL ? -1 : 0;
}

/*
 * Where a token ending at normalised @pos must really end. When the same
 * original segment expands further and holds another letter or digit,
 * the token takes the rest of the expansion along ("½" -> "1⁄2" is one
 * token, not "1" and "2" with one original span between them); otherwise
 * it ends at @pos ("⑴" -> "(1)" gives the token "1"). Either way no other
 * token starts inside that segment, so token spans never overlap.
 */
static size_t segment_end(const dp_doc *doc, size_t pos)
{
    const uint8_t *t = (const uint8_t *)doc->norm;
    size_t e = pos, q;

    if (pos == 0)
        return pos;
    while (e < doc->norm_len && doc->map[e] == doc->map[pos - 1])
        e++;
    for (q = pos; q < e;) {
        int32_t cp;
        size_t clen;
        if (char_at(t, doc->norm_len, q, &cp, &clen) != C_OTHER)
            return e;
        q += clen;
    }
    return pos;
}

/* Append the token normalised [ns, ne) to doc->toks. */
static dp_status emit(dp_doc *doc, size_t ns, size_t ne, uint32_t flags,
                      uint32_t xflags)
{
    dp_tok *t;
    int c;
    dp_status rc = DP_RESERVE(doc->toks, doc->toks_cap, doc->ntoks + 1);

    if (rc)
        return rc;
    t = &doc->toks[doc->ntoks++];
    t->nstart = (uint32_t)ns;
    t->nend = (uint32_t)ne;
    t->start = doc->map[ns];
    t->end = (uint32_t)dpi_norm_orig_end(doc, ne);
    t->hash = XXH3_64bits(doc->norm + ns, ne - ns);
    t->term = 0;
    c = orig_case(doc, t->start);
    if (c > 0)
        flags |= DP_TOK_CAPITAL;
    else if (c < 0)
        xflags |= DP_TOKX_LOWER;
    t->flags = flags;
    t->xflags = xflags;
    return DP_OK;
}

dp_status dpi_tok_run(dp_doc *doc)
{
    const uint8_t *t;
    size_t n, pos = 0;
    dp_status rc;

    assert(doc && doc->norm && doc->map);
    t = (const uint8_t *)doc->norm;
    n = doc->norm_len;
    doc->ntoks = 0;
    if (doc->toks_cap < n / 5 + 16) {
        rc = DP_RESERVE(doc->toks, doc->toks_cap, n / 5 + 16);
        if (rc)
            return rc;
        dpi_text_advise_huge(doc->toks, doc->toks_cap * sizeof *doc->toks);
    }

    while (pos < n) {
        size_t start, clen, nchars;
        int32_t cp;
        int cls, prev, numeric;

        cls = char_at(t, n, pos, &cp, &clen);
        if (cls == C_OTHER || cls == C_MARK) {
            /* A mark with no token before it (e.g. after a quote) is not
             * a word on its own. */
            pos += clen;
            continue;
        }
        start = pos;
        pos += clen;
        if (dpi_tok_is_cjk(cp)) {
            while (pos < n && char_at(t, n, pos, &cp, &clen) == C_MARK)
                pos += clen;
            pos = segment_end(doc, pos);
            rc = emit(doc, start, pos, DP_TOK_WORD, DP_TOKX_CJK);
            if (rc)
                return rc;
            continue;
        }
        numeric = cls == C_DIGIT || cls == C_NUMOTHER;
        prev = cls;
        nchars = 1;
        while (pos < n) {
            size_t l2;
            int32_t c2;
            int k = char_at(t, n, pos, &c2, &clen);

            if (k != C_OTHER && !dpi_tok_is_cjk(c2)) {
                if (k == C_LETTER)
                    numeric = 0;
                prev = k;
                pos += clen;
                nchars++;
                continue;
            }
            if (pos + 1 >= n)
                break;
            if (c2 == '\'' && (prev == C_LETTER || prev == C_MARK)) {
                int32_t c3;
                if (char_at(t, n, pos + 1, &c3, &l2) == C_LETTER &&
                    !dpi_tok_is_cjk(c3)) {
                    pos += 1;
                    prev = C_OTHER;
                    continue;
                }
            } else if ((c2 == '.' || c2 == ',') && prev == C_DIGIT) {
                int32_t c3;
                if (char_at(t, n, pos + 1, &c3, &l2) == C_DIGIT) {
                    pos += 1;
                    prev = C_OTHER;
                    continue;
                }
            }
            break;
        }
        pos = segment_end(doc, pos);
        rc = emit(doc, start, pos, numeric ? DP_TOK_NUMBER : DP_TOK_WORD,
                  (nchars == 1 && cls == C_LETTER) ? DP_TOKX_SINGLE : 0);
        if (rc)
            return rc;
    }
    return DP_OK;
}
