/*
 * record.c - encoding and checked decoding of the persistent index's
 * values (see record.h for the layouts), and the check of stored shingle
 * sets.
 */
#include <assert.h>
#include <string.h>

#include "index/record.h"
#include "sketch/minhash.h"

static uint16_t ld16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t ld32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t ld64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

size_t dpi_index_rec_size(size_t id_len, size_t meta_len, unsigned perms)
{
    if (id_len == 0 || id_len > DP_INDEX_MAX_ID ||
        meta_len > DP_INDEX_MAX_META || perms == 0 ||
        perms > DP_MINHASH_MAX_PERMS)
        return 0;
    return DP_INDEX_REC_HEADER + (size_t)perms * 4 + id_len + meta_len;
}

void dpi_index_rec_encode(void *buf, const char *id, size_t id_len,
                          const char *meta, size_t meta_len,
                          const uint32_t *sig, unsigned perms, uint32_t words)
{
    unsigned char *p = buf;
    uint16_t il = (uint16_t)id_len;
    uint32_t ml = (uint32_t)meta_len, pm = perms;

    assert(dpi_index_rec_size(id_len, meta_len, perms) != 0);
    p[0] = DP_INDEX_REC_FORMAT;
    p[1] = meta ? 1 : 0;
    memcpy(p + 2, &il, 2);
    memcpy(p + 4, &words, 4);
    memcpy(p + 8, &ml, 4);
    memcpy(p + 12, &pm, 4);
    p += DP_INDEX_REC_HEADER;
    memcpy(p, sig, (size_t)perms * 4);
    p += (size_t)perms * 4;
    memcpy(p, id, id_len);
    p += id_len;
    if (meta_len)
        memcpy(p, meta, meta_len);
}

dp_status dpi_index_rec_decode(const void *buf, size_t len, unsigned perms,
                               dp_index_rec *out)
{
    const unsigned char *p = buf;
    size_t id_len, meta_len, need;

    if (!p || len < DP_INDEX_REC_HEADER || p[0] != DP_INDEX_REC_FORMAT ||
        (p[1] & ~1u) != 0 || ld32(p + 12) != perms || perms == 0 ||
        perms > DP_MINHASH_MAX_PERMS)
        return DP_ECORRUPT;
    id_len = ld16(p + 2);
    meta_len = ld32(p + 8);
    if (id_len == 0 || id_len > DP_INDEX_MAX_ID ||
        meta_len > DP_INDEX_MAX_META || (!(p[1] & 1) && meta_len))
        return DP_ECORRUPT;
    need = DP_INDEX_REC_HEADER + (size_t)perms * 4 + id_len + meta_len;
    if (need != len)
        return DP_ECORRUPT;
    out->words = ld32(p + 4);
    out->perms = perms;
    out->sig = p + DP_INDEX_REC_HEADER;
    out->id = (const char *)out->sig + (size_t)perms * 4;
    out->id_len = id_len;
    if (memchr(out->id, '\0', id_len))
        return DP_ECORRUPT;
    out->meta = (p[1] & 1) ? out->id + id_len : NULL;
    out->meta_len = meta_len;
    return DP_OK;
}

void dpi_index_rec_sig(const dp_index_rec *r, uint32_t *sig)
{
    memcpy(sig, r->sig, (size_t)r->perms * 4);
}

void dpi_index_seq_key(uint64_t seq, unsigned char key[8])
{
    int i;
    for (i = 7; i >= 0; i--) {
        key[i] = (unsigned char)(seq & 0xff);
        seq >>= 8;
    }
}

uint64_t dpi_index_seq_of(const void *key)
{
    const unsigned char *k = key;
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = v << 8 | k[i];
    return v;
}

dp_status dpi_index_set_check(const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i, n = len / 8;
    if (!p || len == 0 || len % 8)
        return DP_ECORRUPT;
    for (i = 1; i < n; i++)
        if (ld64(b + (i - 1) * 8) >= ld64(b + i * 8))
            return DP_ECORRUPT;
    return DP_OK;
}
