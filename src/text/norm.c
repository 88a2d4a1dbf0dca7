/*
 * norm.c - Unicode normalisation with a map back to original offsets.
 *
 * The text is cut into segments: a starter plus the non-starters that
 * follow it (combining marks, Hangul vowel/trailing jamo, and anything
 * utf8proc can compose as a second element), at most
 * DP_NORM_MAX_NONSTARTERS of them (the Unicode stream-safe limit, which
 * also keeps utf8proc's canonical reordering linear on adversarial runs of
 * marks). Composition never crosses a segment boundary, so normalising each
 * segment alone gives NFKC of the whole. Every normalised byte maps to the
 * original offset of its segment's first byte (doc->map); map[norm_len] is
 * orig_len. dpi_norm_segment() recomputes a segment's length from its start,
 * so the original end of any normalised character is known too.
 *
 * Each segment goes through: quote/dash/space unification on the input
 * code points (so U+2033 becomes '"' before NFKC splits it into two
 * primes), NFKC + casefold + removal of default-ignorable code points
 * (soft hyphen, zero-width joiners, BOM) by utf8proc, then the same
 * unification on the output (so NFKC results such as U+FE58 -> U+2014 end
 * as '-'). U+200B (zero width space) becomes a space rather than vanishing,
 * since some scripts use it between words. Line and paragraph separators
 * and NEL become '\n'; tab, LF and CR are kept as they are; NUL (only
 * present with allow_binary) becomes a space. An invalid UTF-8 run becomes
 * one U+FFFD mapped to the run's first byte.
 *
 * Speed: ASCII is its own NFKC and its casefold is tolower, so runs of
 * ASCII are copied through a table, except the last ASCII character before
 * a non-starter, which is normalised together with its marks ("e" + U+0301
 * -> "é"). Single-character non-ASCII segments (curly quotes, accented
 * letters, dashes) are cached per call by code point.
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>
#include <utf8proc.h>

#include "core/util.h"
#include "text/text.h"

#define SEG_MAX_CP  1024 /* code points one segment may expand to */
#define CACHE_SIZE  512  /* direct-mapped single-code-point cache */
#define CACHE_BYTES 14

static const utf8proc_option_t NORM_OPTS = UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                           UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                           UTF8PROC_IGNORE;

/* One cached single-code-point segment. cp == -1 marks an empty slot. */
typedef struct cache_ent {
    int32_t cp;
    uint8_t len;
    uint8_t bytes[CACHE_BYTES];
} cache_ent;

/* Scratch kept across documents by one thread (text.h). */
struct dp_norm_scratch {
    cache_ent cache[CACHE_SIZE]; /* single-code-point results */
    int32_t cps[SEG_MAX_CP];     /* one segment's code points */
    uint8_t seg[SEG_MAX_CP * 4]; /* one segment's normalised bytes */
};

dp_status dpi_norm_scratch_create(dp_norm_scratch **out)
{
    dp_norm_scratch *sc = malloc(sizeof *sc);
    size_t i;
    *out = sc;
    if (!sc)
        return DP_ENOMEM;
    for (i = 0; i < CACHE_SIZE; i++)
        sc->cache[i].cp = -1;
    return DP_OK;
}

void dpi_norm_scratch_free(dp_norm_scratch *sc)
{
    free(sc);
}

/* The growing output: normalised bytes and their map, same capacity. */
typedef struct out_buf {
    char *norm;
    uint32_t *map;
    size_t len;      /* bytes written */
    size_t cap_norm; /* capacity of norm, in bytes */
    size_t cap_map;  /* capacity of map, in entries */
} out_buf;

/* Quote, dash and space unification of one code point. */
static int32_t unify(int32_t c)
{
    if (c < 0x80)
        return c == 0x60 ? '\'' : c == 0 ? ' ' : c;
    switch (c) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x02BC:
    case 0x00B4:
    case 0x2039:
    case 0x203A: return '\'';
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x00AB:
    case 0x00BB:
    case 0x2033: return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
    case 0xFF0D: return '-';
    case 0x0085:
    case 0x2028:
    case 0x2029: return '\n';
    case 0x00A0:
    case 0x1680:
    case 0x200B:
    case 0x202F:
    case 0x205F:
    case 0x3000: return ' ';
    default: break;
    }
    if (c >= 0x2000 && c <= 0x200A)
        return ' ';
    return c;
}

/* utf8proc custom hook: unify before decomposition. */
static utf8proc_int32_t unify_hook(utf8proc_int32_t c, void *data)
{
    DP_UNUSED(data);
    return unify(c);
}

/* 1 when @cp cannot start a segment (it may combine with what precedes). */
static int nonstarter(int32_t cp)
{
    const utf8proc_property_t *p;

    if (cp < 0x300)
        return 0;
    if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2))
        return 1; /* Hangul V and T jamo (see hangul_joins) */
    p = utf8proc_get_property(cp);
    if (p->combining_class != 0)
        return 1;
    if (p->comb_index != 0xFFFF && p->comb_index >= 0x8000)
        return 1; /* second element of a primary composite */
    return p->category == UTF8PROC_CATEGORY_MN ||
           p->category == UTF8PROC_CATEGORY_MC ||
           p->category == UTF8PROC_CATEGORY_ME;
}

/*
 * Hangul jamo compose only in order: a V after an L, a T after a V or an
 * LV syllable. Elsewhere they are starters of their own (so "東" + a V
 * jamo is two segments). 1 for anything that is not a V or T jamo.
 */
static int hangul_joins(int32_t prev, int32_t cp)
{
    if (cp >= 0x1161 && cp <= 0x1175)
        return prev >= 0x1100 && prev <= 0x1112;
    if (cp >= 0x11A8 && cp <= 0x11C2)
        return (prev >= 0x1161 && prev <= 0x1175) ||
               (prev >= 0xAC00 && prev <= 0xD7A3 && (prev - 0xAC00) % 28 == 0);
    return 1;
}

/* 1 when a valid non-starter that joins ASCII @prev begins at @s. */
static int nonstarter_at(const uint8_t *s, size_t len, int32_t prev)
{
    int32_t cp;
    if (s[0] < 0x80)
        return 0;
    return dpi_utf8_decode(s, len, &cp) > 0 && nonstarter(cp) &&
           hangul_joins(prev, cp);
}

size_t dpi_norm_segment(const uint8_t *s, size_t len, size_t i)
{
    size_t j;
    unsigned count = 0;
    int32_t cp;
    int r;

    assert(s && i < len);
    if (s[i] < 0x80) {
        if (i + 1 >= len || s[i + 1] < 0x80)
            return 1;
        cp = s[i];
        j = i + 1;
    } else {
        r = dpi_utf8_decode(s + i, len - i, &cp);
        if (r < 0)
            return dpi_utf8_invalid_run(s + i, len - i);
        j = i + (size_t)r;
    }
    while (j < len && s[j] >= 0x80 && count < DP_NORM_MAX_NONSTARTERS) {
        int32_t prev = cp;
        r = dpi_utf8_decode(s + j, len - j, &cp);
        if (r < 0 || !nonstarter(cp) || !hangul_joins(prev, cp))
            break;
        j += (size_t)r;
        count++;
    }
    return j - i;
}

size_t dpi_norm_orig_end(const dp_doc *doc, size_t nend)
{
    size_t s;

    assert(doc && nend <= doc->norm_len);
    if (nend == 0)
        return 0;
    s = doc->map[nend - 1];
    return s + dpi_norm_segment((const uint8_t *)doc->orig, doc->orig_len, s);
}

/* Make room for @extra more bytes (plus the NUL and the final map entry). */
static dp_status reserve(out_buf *o, size_t extra)
{
    size_t need;
    dp_status rc;

    if (o->len + extra + 1 <= o->cap_norm && o->len + extra + 1 <= o->cap_map)
        return DP_OK;
    if (__builtin_add_overflow(o->len, extra + 1, &need) ||
        need > (size_t)UINT32_MAX)
        return DP_ETOOBIG;
    rc = DP_RESERVE(o->norm, o->cap_norm, need);
    if (rc)
        return rc;
    return DP_RESERVE(o->map, o->cap_map, need);
}

/* Append @n bytes all mapped to original offset @at (room reserved). */
static void put(out_buf *o, const uint8_t *b, size_t n, size_t at)
{
    size_t x;
    memcpy(o->norm + o->len, b, n);
    for (x = 0; x < n; x++)
        o->map[o->len + x] = (uint32_t)at;
    o->len += n;
}

/*
 * Normalise one valid segment s[0..n) into @dst (at least SEG_MAX_CP * 4
 * bytes); return the byte count or -1 when utf8proc fails.
 */
static long norm_segment(const uint8_t *s, size_t n, int32_t *cps, uint8_t *dst)
{
    utf8proc_ssize_t m, x;
    long k = 0;

    m = utf8proc_decompose_custom(s, (utf8proc_ssize_t)n, cps, SEG_MAX_CP,
                                  NORM_OPTS, unify_hook, NULL);
    if (m < 0 || m > SEG_MAX_CP)
        return -1;
    m = utf8proc_normalize_utf32(cps, m, NORM_OPTS);
    if (m < 0)
        return -1;
    for (x = 0; x < m; x++)
        k += dpi_utf8_encode(unify(cps[x]), dst + k);
    return k;
}

/* ASCII folding table: tolower, '`' -> '\'', NUL -> ' '. */
static uint8_t ascii_fold[128];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;
static void init_fold(void)
{
    int b;
    for (b = 0; b < 128; b++)
        ascii_fold[b] = (uint8_t)unify(b >= 'A' && b <= 'Z' ? b + 32 : b);
}

/*
 * Copy the ASCII run starting at *@i through the folding table, except a
 * last character that composes with the marks after it; *@i becomes the
 * offset where the copy stopped and *@composes says whether that is such
 * a character (to be normalised with its marks). Room is reserved here.
 */
static dp_status ascii_run(out_buf *o, const uint8_t *s, size_t len, size_t *i,
                           int *composes)
{
    size_t j = *i + 1, end, x;
    dp_status rc;

    while (j < len && s[j] < 0x80)
        j++;
    end = j;
    if (j < len && nonstarter_at(s + j, len - j, s[j - 1]))
        end = j - 1; /* last ASCII char composes with its marks */
    rc = reserve(o, end - *i);
    if (rc)
        return rc;
    for (x = *i; x < end; x++) {
        o->norm[o->len] = (char)ascii_fold[s[x]];
        o->map[o->len++] = (uint32_t)x;
    }
    *i = end;
    *composes = end < j;
    return DP_OK;
}

/*
 * Normalise the segment s[i, i + n): an invalid run becomes U+FFFD
 * (counted in *@replaced), a single code point goes through the cache,
 * anything longer through utf8proc. DP_EINTERNAL when utf8proc fails.
 */
static dp_status segment(out_buf *o, dp_norm_scratch *sc, const uint8_t *s,
                         size_t len, size_t i, size_t n, size_t *replaced)
{
    static const uint8_t fffd[3] = {0xEF, 0xBF, 0xBD};
    cache_ent *e = NULL;
    int32_t cp;
    long k;
    int r;
    dp_status rc = reserve(o, SEG_MAX_CP * 4);

    if (rc)
        return rc;
    r = dpi_utf8_decode(s + i, len - i, &cp);
    if (r < 0) {
        put(o, fffd, 3, i);
        (*replaced)++;
        return DP_OK;
    }
    if ((size_t)r == n) {
        e = &sc->cache[(uint32_t)cp % CACHE_SIZE];
        if (e->cp == cp) {
            put(o, e->bytes, e->len, i);
            return DP_OK;
        }
    }
    k = norm_segment(s + i, n, sc->cps, sc->seg);
    if (k < 0)
        return DP_EINTERNAL;
    put(o, sc->seg, (size_t)k, i);
    if (e && k <= CACHE_BYTES) {
        e->cp = cp;
        e->len = (uint8_t)k;
        memcpy(e->bytes, sc->seg, (size_t)k);
    }
    return DP_OK;
}

dp_status dpi_norm_run(dp_doc *doc, dp_norm_scratch *sc, dp_error *err)
{
    const uint8_t *s;
    size_t len, i = 0;
    out_buf o;
    dp_status rc = DP_OK;

    assert(doc && sc && (doc->orig || doc->orig_len == 0));
    s = (const uint8_t *)doc->orig;
    len = doc->orig_len;
    doc->replaced = 0;
    pthread_once(&fold_once, init_fold);

    /* Reuse the arrays the document already has (a work context's
     * scratch document keeps them across documents). */
    o.norm = doc->norm;
    o.map = doc->map;
    o.len = 0;
    o.cap_norm = doc->norm_cap;
    o.cap_map = doc->map_cap;
    doc->norm_len = 0;
    if (o.cap_norm < len + 1 || o.cap_map < len + 1) {
        rc = reserve(&o, len + len / 8 + 16);
        if (rc)
            goto done;
        dpi_text_advise_huge(o.norm, o.cap_norm);
        dpi_text_advise_huge(o.map, o.cap_map * sizeof *o.map);
    }
    while (i < len) {
        size_t n;
        if (s[i] < 0x80) {
            int composes;
            rc = ascii_run(&o, s, len, &i, &composes);
            if (rc)
                goto done;
            if (!composes)
                continue;
        }
        n = dpi_norm_segment(s, len, i);
        rc = segment(&o, sc, s, len, i, n, &doc->replaced);
        if (rc)
            goto done;
        i += n;
    }
    o.norm[o.len] = '\0';
    o.map[o.len] = (uint32_t)len;

done:
    /* The arrays stay with the document, filled or not. */
    doc->norm = o.norm;
    doc->map = o.map;
    doc->norm_cap = o.cap_norm;
    doc->map_cap = o.cap_map;
    if (rc) {
        if (rc == DP_ETOOBIG)
            return dpi_error_set(err, rc, (size_t)-1,
                                 "normalised text would exceed %zu bytes",
                                 (size_t)DP_VEC_MAX_ELEMS);
        if (rc == DP_EINTERNAL)
            return dpi_error_set(err, rc, i,
                                 "utf8proc could not normalise the text at "
                                 "byte %zu",
                                 i);
        return dpi_error_set(err, rc, (size_t)-1, "out of memory");
    }
    doc->norm_len = o.len;
    return DP_OK;
}
