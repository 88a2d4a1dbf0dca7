/*
 * fuzz_index.c - libFuzzer target for the persistent index's decoders:
 * the document record (dpi_index_rec_decode), the stored shingle set
 * (dpi_index_set_check), the on-disk parameter record
 * (dpi_index_params_decode) and seq keys, on hostile bytes.
 *
 * Beyond "no crash", it checks what the index relies on: a record that
 * decodes has its id and metadata inside the value, an id of 1..511 bytes
 * without NUL, and encodes again to exactly the same bytes; a set that
 * passes is strictly increasing and has Jaccard 1 with itself; parameters
 * that parse are in range, and their record (dpi_index_params_encode)
 * parses back to the same parameters; a refusal is one of the documented
 * statuses with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "index/index_int.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void record(const uint8_t *data, size_t size, unsigned perms)
{
    dp_index_rec r;
    unsigned char *again;
    size_t n;
    if (dpi_index_rec_decode(data, size, perms, &r) != DP_OK)
        return;
    INVARIANT(r.perms == perms);
    INVARIANT(r.id_len >= 1 && r.id_len <= DP_INDEX_MAX_ID);
    INVARIANT(r.id >= (const char *)data &&
              r.id + r.id_len <= (const char *)data + size);
    INVARIANT(!memchr(r.id, '\0', r.id_len));
    INVARIANT(!r.meta || (r.meta == r.id + r.id_len &&
                          r.meta + r.meta_len == (const char *)data + size));
    INVARIANT(r.meta || r.meta_len == 0);
    n = dpi_index_rec_size(r.id_len, r.meta_len, perms);
    INVARIANT(n == size);
    again = malloc(n);
    if (!again)
        return;
    {
        uint32_t *sig = malloc((size_t)perms * 4);
        if (sig) {
            dpi_index_rec_sig(&r, sig);
            dpi_index_rec_encode(again, r.id, r.id_len, r.meta, r.meta_len, sig,
                                 perms, r.words);
            INVARIANT(memcmp(again, data, n) == 0);
            free(sig);
        }
    }
    free(again);
}

static void set(const uint8_t *data, size_t size)
{
    uint64_t *v;
    size_t i, n = size / 8;
    if (dpi_index_set_check(data, size) != DP_OK)
        return;
    INVARIANT(size % 8 == 0 && n >= 1);
    v = malloc(size);
    if (!v)
        return;
    memcpy(v, data, size);
    for (i = 1; i < n; i++)
        INVARIANT(v[i - 1] < v[i]);
    INVARIANT(dpi_set_jaccard(v, n, v, n) == 1.0);
    INVARIANT(dpi_sort_unique_u64(v, n) == n);
    free(v);
}

static void params(const uint8_t *data, size_t size)
{
    dp_index_params p, q;
    dp_error err;
    char *text = NULL;
    dp_status st;

    memset(&err, 0, sizeof err);
    st = dpi_index_params_decode((const char *)data, size, &p, &err);
    if (st) {
        INVARIANT(st == DP_ECORRUPT || st == DP_EMISMATCH || st == DP_ENOMEM);
        INVARIANT(err.code == st && err.message[0]);
        return;
    }
    INVARIANT(p.shingle_k >= 1 && p.shingle_k <= 64);
    INVARIANT(p.perms >= 1 && p.perms <= DP_MINHASH_MAX_PERMS);
    INVARIANT(p.bands >= 1 && p.rows >= 1 &&
              (uint64_t)p.bands * p.rows <= p.perms);
    INVARIANT(p.threshold > 0 && p.threshold <= 1);
    INVARIANT(p.norm_version == DP_NORM_VERSION);
    if (dpi_index_params_encode(&p, &text) != DP_OK)
        return;
    st = dpi_index_params_decode(text, strlen(text), &q, NULL);
    INVARIANT(st == DP_OK);
    INVARIANT(memcmp(&p, &q, sizeof p) == 0);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char key[8];
    uint64_t seq = 0;

    record(data, size, 1);
    record(data, size, 8);
    record(data, size, DP_MINHASH_DEFAULT_PERMS);
    if (size >= 16) {
        uint32_t perms;
        memcpy(&perms, data + 12, 4);
        if (perms >= 1 && perms <= DP_MINHASH_MAX_PERMS)
            record(data, size, perms);
    }
    set(data, size);
    params(data, size);
    if (size >= 8)
        memcpy(&seq, data, 8);
    dpi_index_seq_key(seq, key);
    INVARIANT(dpi_index_seq_of(key) == seq);
    return 0;
}
