/*
 * idf.c - background term statistics: how many documents of a corpus hold
 * each content key (stem or number), the inverse document frequency that
 * follows, and the table's file format (docs/idf.md).
 *
 * The table is one open-addressing hash table of (key, df) pairs, linear
 * probing, power-of-two size kept at most half full; key 0 marks an empty
 * slot (0 is never a content key: a zero hash is as likely as any other,
 * so a key that hashes to 0 is read as "no key", losing one term in 2^64).
 * Counting a document sorts its keys once to count each distinct key once:
 * O(w log w) for w words, then O(1) per distinct key. Memory: 16 bytes per
 * slot, at most 32 bytes per distinct key (about 100,000 keys for a
 * Reuters-sized corpus: 3 MB).
 *
 * The file is portable: integers are little-endian whatever the host.
 *
 *   offset   size   field
 *   0        8      magic "DPIDF\r\n\032"
 *   8        4      format version (1)
 *   12       4      DP_NORM_VERSION the keys were made under
 *   16       8      N, documents counted
 *   24       8      M, distinct keys
 *   32       2      L, length of the language name (1..64)
 *   34       L      the language name (no NUL)
 *   34+L     16*M   (key u64, df u64), keys strictly increasing, 1<=df<=N
 *   ..       8      XXH3-64 of every byte before it
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/sort.h"
#include "core/util.h"
#include "story/story.h"

#define IDF_MAGIC        "DPIDF\r\n\032"
#define IDF_FORMAT       1u
#define IDF_HEADER       34u
#define IDF_MAX_LANGUAGE 64u

typedef struct idf_slot {
    uint64_t key; /* 0: empty */
    uint64_t df;
} idf_slot;

struct dp_idf {
    idf_slot *slots;
    size_t cap;  /* slots; a power of two, or 0 before the first key */
    size_t used; /* distinct keys */
    uint64_t docs;
    char language[IDF_MAX_LANGUAGE + 1];
    uint64_t *scratch; /* dp_idf_add: the document's keys */
    size_t scratch_cap;
};

/* Spread the key's bits over the slot index (keys are hashes already, but
 * a table may be fed structured keys by dp_idf_add_keys). */
static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static idf_slot *find(const dp_idf *idf, uint64_t key)
{
    size_t i;
    if (!idf->cap)
        return NULL;
    for (i = slot_of(key, idf->cap);; i = (i + 1) & (idf->cap - 1)) {
        idf_slot *s = &idf->slots[i];
        if (s->key == key || s->key == 0)
            return s;
    }
}

/* Make room for @more new keys, keeping the table at most half full. */
static dp_status reserve(dp_idf *idf, size_t more)
{
    size_t need = idf->used + more, cap = idf->cap ? idf->cap : 1024, i;
    idf_slot *old = idf->slots, *neu;
    size_t oldcap = idf->cap;

    while (cap / 2 < need) {
        if (cap > ((size_t)1 << 40))
            return DP_ETOOBIG;
        cap *= 2;
    }
    if (cap == idf->cap)
        return DP_OK;
    neu = calloc(cap, sizeof *neu);
    if (!neu)
        return DP_ENOMEM;
    idf->slots = neu;
    idf->cap = cap;
    for (i = 0; i < oldcap; i++)
        if (old[i].key)
            *find(idf, old[i].key) = old[i];
    free(old);
    return DP_OK;
}

/* Add @df to @key's count (room reserved by the caller). */
static void bump(dp_idf *idf, uint64_t key, uint64_t df)
{
    idf_slot *s = find(idf, key);
    if (!s->key) {
        s->key = key;
        idf->used++;
    }
    s->df += df;
}

dp_status dp_idf_create(const char *language, dp_idf **out)
{
    dp_idf *idf;
    size_t n;

    if (!out)
        return DP_EINVAL;
    *out = NULL;
    if (!language)
        language = "english";
    n = strlen(language);
    if (n == 0 || n > IDF_MAX_LANGUAGE)
        return DP_EINVAL;
    idf = calloc(1, sizeof *idf);
    if (!idf)
        return DP_ENOMEM;
    memcpy(idf->language, language, n + 1);
    *out = idf;
    return DP_OK;
}

void dp_idf_free(dp_idf *idf)
{
    if (!idf)
        return;
    free(idf->slots);
    free(idf->scratch);
    free(idf);
}

/* Count the sorted, distinct, nonzero keys @k[0..n) as one document. */
static dp_status add_distinct(dp_idf *idf, const uint64_t *k, size_t n)
{
    size_t i;
    dp_status rc = reserve(idf, n);
    if (rc)
        return rc;
    for (i = 0; i < n; i++)
        bump(idf, k[i], 1);
    idf->docs++;
    return DP_OK;
}

/* Sort @k, drop duplicates and the zero (no key); *@n is the new length. */
static dp_status distinct(uint64_t *k, size_t *n)
{
    size_t m = dpi_sort_unique_u64(k, *n);
    if (m && k[0] == 0) {
        memmove(k, k + 1, (m - 1) * sizeof *k);
        m--;
    }
    *n = m;
    return DP_OK;
}

dp_status dp_idf_add_keys(dp_idf *idf, const uint64_t *keys, size_t n)
{
    dp_status rc;
    if (!idf || (!keys && n))
        return DP_EINVAL;
    if ((rc = DP_RESERVE(idf->scratch, idf->scratch_cap, n ? n : 1)))
        return rc;
    if (n)
        memcpy(idf->scratch, keys, n * sizeof *keys);
    if ((rc = distinct(idf->scratch, &n)))
        return rc;
    return add_distinct(idf, idf->scratch, n);
}

uint64_t dpi_story_content_key(const dp_tok *t)
{
    assert(t);
    if (t->flags & DP_TOK_STOP)
        return 0;
    if (t->flags & DP_TOK_NUMBER)
        return t->term ? t->term : t->hash;
    return t->term;
}

uint64_t dp_idf_token_key(const dp_doc *doc, size_t i)
{
    if (!doc || i >= doc->ntoks)
        return 0;
    return dpi_story_content_key(&doc->toks[i]);
}

dp_status dp_idf_add(dp_idf *idf, const dp_doc *doc)
{
    size_t i, n = 0;
    dp_status rc;
    if (!idf || !doc)
        return DP_EINVAL;
    if ((rc = DP_RESERVE(idf->scratch, idf->scratch_cap,
                         doc->ntoks ? doc->ntoks : 1)))
        return rc;
    for (i = 0; i < doc->ntoks; i++)
        idf->scratch[n++] = dpi_story_content_key(&doc->toks[i]);
    if ((rc = distinct(idf->scratch, &n)))
        return rc;
    return add_distinct(idf, idf->scratch, n);
}

dp_status dp_idf_merge(dp_idf *dst, const dp_idf *src)
{
    size_t i;
    dp_status rc;
    if (!dst || !src || strcmp(dst->language, src->language) != 0)
        return DP_EINVAL;
    /* reserve for the worst case first, so a failure changes nothing */
    if ((rc = reserve(dst, src->used)))
        return rc;
    for (i = 0; i < src->cap; i++)
        if (src->slots[i].key)
            bump(dst, src->slots[i].key, src->slots[i].df);
    dst->docs += src->docs;
    return DP_OK;
}

uint64_t dp_idf_docs(const dp_idf *idf)
{
    return idf ? idf->docs : 0;
}

size_t dp_idf_keys(const dp_idf *idf)
{
    return idf ? idf->used : 0;
}

uint64_t dp_idf_df(const dp_idf *idf, uint64_t key)
{
    const idf_slot *s;
    if (!idf || !key)
        return 0;
    s = find(idf, key);
    return s ? s->df : 0;
}

double dp_idf_weight(const dp_idf *idf, uint64_t key)
{
    if (!idf)
        return 1.0;
    return log(((double)idf->docs + 1.0) /
               ((double)dp_idf_df(idf, key) + 1.0)) +
           1.0;
}

const char *dp_idf_language(const dp_idf *idf)
{
    return idf ? idf->language : NULL;
}

/* ---------------------------------------------------------------------
 * The file
 * ------------------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, unsigned bytes)
{
    unsigned i;
    for (i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The whole file image: header, sorted entries, checksum. */
dp_status dpi_idf_encode(const dp_idf *idf, unsigned char **out, size_t *len)
{
    size_t lang = strlen(idf->language), i, m = 0, size;
    dp_kv *e = NULL;
    unsigned char *buf, *p;
    dp_status rc;

    if (idf->used > (SIZE_MAX - IDF_HEADER - lang - 8) / 16)
        return DP_ETOOBIG;
    size = IDF_HEADER + lang + 16 * idf->used + 8;
    if (idf->used && !(e = malloc(idf->used * sizeof *e)))
        return DP_ENOMEM;
    for (i = 0; i < idf->cap; i++)
        if (idf->slots[i].key) {
            e[m].key = idf->slots[i].key;
            e[m].val = idf->slots[i].df;
            m++;
        }
    if ((rc = dpi_sort_kv(e, m)) || !(buf = malloc(size))) {
        free(e);
        return rc ? rc : DP_ENOMEM;
    }
    memcpy(buf, IDF_MAGIC, 8);
    put_le(buf + 8, IDF_FORMAT, 4);
    put_le(buf + 12, DP_NORM_VERSION, 4);
    put_le(buf + 16, idf->docs, 8);
    put_le(buf + 24, m, 8);
    put_le(buf + 32, lang, 2);
    memcpy(buf + IDF_HEADER, idf->language, lang);
    p = buf + IDF_HEADER + lang;
    for (i = 0; i < m; i++, p += 16) {
        put_le(p, e[i].key, 8);
        put_le(p + 8, e[i].val, 8);
    }
    put_le(p, XXH3_64bits(buf, size - 8), 8);
    free(e);
    *out = buf;
    *len = size;
    return DP_OK;
}

dp_status dp_idf_write(const dp_idf *idf, const char *path, dp_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *tmp;
    FILE *f;
    dp_status rc;
    int ok;

    if (!idf || !path || !*path)
        return DP_EINVAL;
    if ((rc = dpi_idf_encode(idf, &buf, &len)))
        return rc;
    tmp = malloc(strlen(path) + 16);
    if (!tmp) {
        free(buf);
        return DP_ENOMEM;
    }
    sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        free(buf);
        free(tmp);
        return dpi_error_set(err, dpi_status_of_errno(e), (size_t)-1,
                             "cannot create: %s", strerror(e));
    }
    ok = fwrite(buf, 1, len, f) == len;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(buf);
        free(tmp);
        return dpi_error_set(err, dpi_status_of_errno(e), (size_t)-1,
                             "cannot write: %s", strerror(e));
    }
    free(buf);
    free(tmp);
    return DP_OK;
}

/* Check and load a file image into an empty table. */
static dp_status decode(dp_idf *idf, const unsigned char *buf, size_t len,
                        dp_error *err)
{
    uint64_t m, i, prev = 0, lang;
    const unsigned char *p;
    dp_status rc;

    if (len < IDF_HEADER + 8 || memcmp(buf, IDF_MAGIC, 8) != 0)
        return dpi_error_set(err, DP_ECORRUPT, 0, "not a doppel IDF table");
    if (get_le(buf + 8, 4) != IDF_FORMAT)
        return dpi_error_set(err, DP_EMISMATCH, 8,
                             "IDF table format %u, this doppel reads %u",
                             (unsigned)get_le(buf + 8, 4), IDF_FORMAT);
    if (get_le(buf + 12, 4) != DP_NORM_VERSION)
        return dpi_error_set(
            err, DP_EMISMATCH, 12,
            "IDF table built under text-pipeline version %u, this doppel "
            "is version %u (rebuild it with doppel idf build)",
            (unsigned)get_le(buf + 12, 4), DP_NORM_VERSION);
    if (XXH3_64bits(buf, len - 8) != get_le(buf + len - 8, 8))
        return dpi_error_set(err, DP_ECORRUPT, len - 8,
                             "checksum mismatch: the table is damaged");
    idf->docs = get_le(buf + 16, 8);
    m = get_le(buf + 24, 8);
    lang = get_le(buf + 32, 2);
    if (lang == 0 || lang > IDF_MAX_LANGUAGE || m > (len - IDF_HEADER) / 16 ||
        IDF_HEADER + lang + 16 * m + 8 != len)
        return dpi_error_set(err, DP_ECORRUPT, 24,
                             "lengths do not match the file size");
    memcpy(idf->language, buf + IDF_HEADER, lang);
    idf->language[lang] = 0;
    if ((rc = reserve(idf, (size_t)m)))
        return rc;
    p = buf + IDF_HEADER + lang;
    for (i = 0; i < m; i++, p += 16) {
        uint64_t key = get_le(p, 8), df = get_le(p + 8, 8);
        if (key <= prev || df == 0 || df > idf->docs)
            return dpi_error_set(err, DP_ECORRUPT, (size_t)(p - buf),
                                 "entry %" PRIu64 " is out of order or range",
                                 i);
        bump(idf, key, df);
        prev = key;
    }
    return DP_OK;
}

dp_status dp_idf_read(const char *path, dp_idf **out, dp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    dp_status rc;

    if (!path || !out)
        return DP_EINVAL;
    *out = NULL;
    if ((rc = dp_file_read(path, &buf, &len, DP_MAX_DOC_BYTES, err)))
        return rc;
    rc = dpi_idf_decode(buf, len, out, err);
    dp_free(buf);
    return rc;
}

dp_status dpi_idf_decode(const void *buf, size_t len, dp_idf **out,
                         dp_error *err)
{
    dp_idf *idf = NULL;
    dp_status rc;

    assert(out && (buf || !len));
    *out = NULL;
    if (!(rc = dp_idf_create(NULL, &idf)))
        rc = decode(idf, buf, len, err);
    if (rc) {
        dp_idf_free(idf);
        return rc;
    }
    *out = idf;
    return DP_OK;
}
