/*
 * utf8.c - strict UTF-8 decoding and validation.
 *
 * The first stage of the text pipeline. A sequence is valid only in its
 * shortest form (no overlongs such as C0 80 or E0 80 80), never encodes a
 * surrogate (U+D800..U+DFFF) and never goes past U+10FFFF; stray
 * continuation bytes and sequences cut short are invalid too. This is the
 * table of well-formed byte sequences in Unicode 15, section 3.9 (D92).
 *
 * An invalid stretch is measured in "maximal subparts" (the longest prefix
 * of a would-be sequence that is still well formed so far, or one byte);
 * dpi_utf8_invalid_run() joins consecutive subparts into one run, and the
 * normaliser replaces each such run by a single U+FFFD (DP_UTF8_REPLACE).
 * dpi_utf8_validate() finds the first invalid byte for DP_UTF8_REJECT,
 * skipping ASCII eight bytes at a time.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

/* Bounds for the second byte of a sequence led by @b0 (Unicode table 3-7). */
static int second_ok(uint8_t b0, uint8_t b1)
{
    switch (b0) {
    case 0xE0: return b1 >= 0xA0 && b1 <= 0xBF; /* no overlongs */
    case 0xED: return b1 >= 0x80 && b1 <= 0x9F; /* no surrogates */
    case 0xF0: return b1 >= 0x90 && b1 <= 0xBF; /* no overlongs */
    case 0xF4: return b1 >= 0x80 && b1 <= 0x8F; /* <= U+10FFFF */
    default: return b1 >= 0x80 && b1 <= 0xBF;
    }
}

int dpi_utf8_decode(const uint8_t *s, size_t len, int32_t *cp)
{
    uint8_t b0;
    int need, i;
    int32_t c;

    assert(s && len > 0 && cp);
    b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
        c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        c = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        c = b0 & 0x07;
    } else {
        return -1; /* continuation byte, C0, C1 or F5..FF */
    }
    if (len < 2 || !second_ok(b0, s[1]))
        return -1;
    c = (c << 6) | (s[1] & 0x3F);
    for (i = 2; i < need; i++) {
        if ((size_t)i >= len || (s[i] & 0xC0) != 0x80)
            return -i; /* truncated: the well-formed prefix is one subpart */
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return need;
}

size_t dpi_utf8_invalid_run(const uint8_t *s, size_t len)
{
    size_t i = 0;
    int32_t cp;

    assert(s && len > 0);
    while (i < len) {
        int r = dpi_utf8_decode(s + i, len - i, &cp);
        if (r > 0)
            break;
        i += (size_t)-r;
    }
    assert(i > 0);
    return i;
}

size_t dpi_utf8_validate(const uint8_t *s, size_t len)
{
    size_t i = 0;
    int32_t cp;

    assert(s || len == 0);
    while (i < len) {
        if (s[i] < 0x80) {
            /* Skip ASCII a word at a time. */
            while (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            while (i < len && s[i] < 0x80)
                i++;
            continue;
        }
        {
            int r = dpi_utf8_decode(s + i, len - i, &cp);
            if (r < 0)
                return i;
            i += (size_t)r;
        }
    }
    return len;
}

int dpi_utf8_encode(int32_t cp, uint8_t out[4])
{
    assert(cp >= 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

dp_status dpi_utf8_repair(const uint8_t *s, size_t len, int nul, char **out,
                          size_t *out_len)
{
    static const uint8_t fffd[3] = {0xEF, 0xBF, 0xBD};
    size_t i = 0, m = 0, cap;
    uint8_t *o;

    *out = NULL;
    *out_len = 0;
    /* A run of one byte or more becomes three bytes: at most 3x. */
    if (__builtin_mul_overflow(len, 3, &cap) || cap == SIZE_MAX)
        return DP_ETOOBIG;
    o = malloc(cap + 1);
    if (!o)
        return DP_ENOMEM;
    while (i < len) {
        int32_t cp;
        int r = dpi_utf8_decode(s + i, len - i, &cp);
        if (r > 0 && !(nul && cp == 0)) {
            memcpy(o + m, s + i, (size_t)r);
            m += (size_t)r;
            i += (size_t)r;
            continue;
        }
        memcpy(o + m, fffd, 3);
        m += 3;
        i += r > 0 ? 1 : dpi_utf8_invalid_run(s + i, len - i);
    }
    o[m] = '\0';
    *out = (char *)o;
    *out_len = m;
    return DP_OK;
}
