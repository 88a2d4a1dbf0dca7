/*
 * stem.c - content terms: stopwords dropped, Snowball stems hashed.
 *
 * Every token gets a `term`, the key later stages (tf-idf, the same-story
 * score) compare content by:
 *
 *   - stopwords (English only, see stop.c): term 0 and DP_TOK_STOP;
 *   - numbers and single CJK characters: XXH3 of their own text;
 *   - words longer than DP_STEM_MAX_WORD bytes: XXH3 of their own text
 *     (no stemmer sees pathological input);
 *   - other words: XXH3 of the Snowball stem (libstemmer, UTF-8). For
 *     English a final possessive 's is dropped first, so "Taliban's" and
 *     "Taliban" share a term.
 *   - one exception: in English the original "US" (upper case) is the
 *     country, a content word, not the stopword "us".
 *
 * A libstemmer handle is not thread-safe, so each dp_stemmer owns one and
 * serves one thread at a time. Stemming costs far more than anything else
 * per token, so every dp_stemmer carries a cache of verdicts per distinct
 * token hash: an open-addressing table seeded per process (token text is
 * user input), grown by doubling up to DP_STEM_CACHE_MAX entries and
 * emptied when it fills up. A stemmer lives in a work context (dp_work,
 * work.c), one per thread, so a thread working through a corpus of small
 * documents stems each frequent word once, not once per document. There
 * is no hidden per-thread state: whoever holds the dp_work holds the
 * stemmer and its cache.
 */
#include <assert.h>
#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/util.h"
#include "text/text.h"

#define DP_STEM_CACHE_MAX ((size_t)1 << 17) /* entries; 2^18 slots, 6 MiB */
#define CACHE_FIRST       256               /* slots of a new cache */

/* One cache slot; used == 0 marks an empty one. */
typedef struct cache_slot {
    uint64_t key;  /* token hash */
    uint64_t term; /* its term (0 for a stopword) */
    uint32_t used;
    uint32_t stop; /* DP_TOK_STOP or 0 */
} cache_slot;

/* The verdict cache: open addressing, load factor at most 1/2. */
typedef struct term_cache {
    cache_slot *slots;
    size_t cap; /* power of two */
    size_t used;
} term_cache;

struct dp_stemmer {
    struct sb_stemmer *sb; /* the Snowball stemmer */
    int english;           /* 1: English stopwords and possessive 's */
    char lang[32];         /* the language name it was opened with */
    term_cache cache;      /* token hash -> term, kept across documents */
};

static void free_stemmer(dp_stemmer *st)
{
    if (!st)
        return;
    sb_stemmer_delete(st->sb);
    free(st->cache.slots);
    free(st);
}

static uint64_t cache_seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void make_seed(void)
{
    struct timespec ts;
    uint64_t v[3];
    clock_gettime(CLOCK_REALTIME, &ts);
    v[0] = (uint64_t)ts.tv_sec;
    v[1] = (uint64_t)ts.tv_nsec;
    v[2] = (uint64_t)(uintptr_t)&ts;
    cache_seed = XXH3_64bits(v, sizeof v) | 1;
}

static inline size_t slot_of(uint64_t key, size_t mask)
{
    uint64_t x = key ^ cache_seed;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (size_t)x & mask;
}

static int is_english(const char *lang)
{
    static const char *const names[] = {"english", "en", "eng", "porter"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(lang, names[i]) == 0)
            return 1;
    return 0;
}

dp_status dpi_stem_open(const char *language, dp_stemmer **out, dp_error *err)
{
    dp_stemmer *st;

    assert(out);
    *out = NULL;
    if (!language)
        language = "english";
    if (strlen(language) >= sizeof st->lang)
        return dpi_error_set(err, DP_ESTEM, (size_t)-1,
                             "no Snowball stemmer for language \"%.100s\"",
                             language);
    st = calloc(1, sizeof *st);
    if (!st)
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    st->sb = sb_stemmer_new(language, "UTF_8");
    if (!st->sb) {
        free(st);
        return dpi_error_set(err, DP_ESTEM, (size_t)-1,
                             "no Snowball stemmer for language \"%.100s\"",
                             language);
    }
    strcpy(st->lang, language);
    st->english = is_english(language);
    *out = st;
    return DP_OK;
}

void dpi_stem_close(dp_stemmer *st)
{
    free_stemmer(st);
}

const char *dpi_stem_language(const dp_stemmer *st)
{
    return st->lang;
}

dp_status dpi_stem_word(dp_stemmer *st, const char *w, size_t n,
                        const char **stem, size_t *stem_len)
{
    const sb_symbol *r;

    assert(st && w && stem && stem_len && n <= DP_STEM_MAX_WORD);
    if (st->english && n > 2 && w[n - 2] == '\'' && w[n - 1] == 's')
        n -= 2;
    r = sb_stemmer_stem(st->sb, (const sb_symbol *)w, (int)n);
    if (!r)
        return DP_ENOMEM;
    *stem = (const char *)r;
    *stem_len = (size_t)sb_stemmer_length(st->sb);
    return DP_OK;
}

/* Work out term and stop bit of token @t without the cache. */
static dp_status term_of(dp_stemmer *st, const dp_doc *doc, const dp_tok *t,
                         uint64_t *term, uint32_t *stop)
{
    const char *w = doc->norm + t->nstart;
    size_t n = t->nend - t->nstart;
    const char *s;
    size_t sl;
    dp_status rc;

    *stop = 0;
    if (st->english && dpi_stop_english(t->hash)) {
        *stop = DP_TOK_STOP;
        *term = 0;
        return DP_OK;
    }
    if (n > DP_STEM_MAX_WORD) {
        *term = t->hash;
        return DP_OK;
    }
    rc = dpi_stem_word(st, w, n, &s, &sl);
    if (rc)
        return rc;
    *term = XXH3_64bits(s, sl);
    if (*term == 0)
        *term = 1; /* 0 means "stopword" */
    return DP_OK;
}

static cache_slot *cache_find(term_cache *c, uint64_t key)
{
    size_t mask = c->cap - 1, i = slot_of(key, mask);
    while (c->slots[i].used && c->slots[i].key != key)
        i = (i + 1) & mask;
    return &c->slots[i];
}

/*
 * Make room for one more entry: double the table, or empty it once it
 * holds DP_STEM_CACHE_MAX entries. Returns 0 when the entry must not be
 * stored (no table, or growth failed: caching is optional).
 */
static int cache_room(term_cache *c)
{
    term_cache n;
    size_t i;

    if (!c->slots) {
        c->slots = calloc(CACHE_FIRST, sizeof *c->slots);
        c->cap = c->slots ? CACHE_FIRST : 0;
        c->used = 0;
        return c->slots != NULL;
    }
    if (c->used + 1 <= c->cap / 2)
        return 1;
    if (c->used >= DP_STEM_CACHE_MAX) {
        memset(c->slots, 0, c->cap * sizeof *c->slots);
        c->used = 0;
        return 1;
    }
    n.cap = c->cap * 2;
    n.used = c->used;
    n.slots = calloc(n.cap, sizeof *n.slots);
    if (!n.slots)
        return 0;
    for (i = 0; i < c->cap; i++)
        if (c->slots[i].used)
            *cache_find(&n, c->slots[i].key) = c->slots[i];
    free(c->slots);
    *c = n;
    return 1;
}

dp_status dpi_stem_terms(dp_stemmer *st, dp_doc *doc)
{
    term_cache *cache;
    uint64_t us_hash = XXH3_64bits("us", 2);
    size_t i;

    assert(st && doc);
    pthread_once(&seed_once, make_seed);
    cache = &st->cache;

    for (i = 0; i < doc->ntoks; i++) {
        dp_tok *t = &doc->toks[i];
        cache_slot *c = NULL;
        uint64_t term;
        uint32_t stop;
        dp_status rc;

        if ((t->flags & DP_TOK_NUMBER) || (t->xflags & DP_TOKX_CJK)) {
            t->term = t->hash ? t->hash : 1;
            continue;
        }
        if (st->english && t->hash == us_hash && t->end - t->start == 2 &&
            memcmp(doc->orig + t->start, "US", 2) == 0) {
            /* "US" the country, not the pronoun "us". */
            t->term = us_hash;
            continue;
        }
        if (cache->slots) {
            c = cache_find(cache, t->hash);
            if (c->used) {
                t->term = c->term;
                t->flags |= c->stop;
                continue;
            }
        }
        rc = term_of(st, doc, t, &term, &stop);
        if (rc)
            return rc;
        t->term = term;
        t->flags |= stop;
        if (cache_room(cache)) {
            c = cache_find(cache, t->hash); /* the table may have changed */
            c->used = 1;
            c->key = t->hash;
            c->term = term;
            c->stop = stop;
            cache->used++;
        }
    }
    return DP_OK;
}

const char *const *dp_stem_languages(void)
{
    return (const char *const *)sb_stemmer_list();
}
