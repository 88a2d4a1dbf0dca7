/*
 * minhash.c - MinHash signatures over flat arrays of 64-bit shingle hashes.
 *
 * Each input hash is first passed once through a 64-bit bijective mixer
 * keyed by the family's seed (so callers may feed any 64-bit values, not
 * only well-mixed ones). In DP_MINHASH_KPERM mode the mixed value x gives
 * perms hash values high32(a_i * x + b_i mod 2^64) (multiply-shift,
 * Dietzfelbinger et al. 1997) and each signature slot keeps its minimum;
 * the loop over i is written over flat coefficient arrays in blocks of
 * BLOCK so gcc and clang vectorise it at -O2 and -O3, and the kernel is
 * cloned for AVX-512, AVX2 and baseline x86-64 where the
 * compiler supports target_clones. In DP_MINHASH_OPH mode each mixed value
 * picks one bin from its high half and offers its low half as the bin's
 * candidate minimum; empty bins are then filled by optimal densification.
 * All arithmetic is on unsigned integers, so every clone and every machine
 * gives the same bits.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/util.h"
#include "sketch/minhash.h"

/* Signature slots per vectorised block (perms are padded up to a multiple
 * of it), and inputs mixed ahead per chunk. */
#define BLOCK 64u
#define CHUNK 256u

/* Seeds of the derived streams, so coefficients, input keying, probe
 * sequences and short-document hashes never share a stream. */
#define STREAM_COEF  UINT64_C(0x9e3779b97f4a7c15)
#define STREAM_KEY   UINT64_C(0xd1b54a32d192ed03)
#define STREAM_PROBE UINT64_C(0x8cb92ba72f3d8dd7)
#define SHORT_SEED   UINT64_C(0x73686f7274646f63) /* "shortdoc" */

#if defined(__x86_64__) && defined(__ELF__) &&                                 \
    !defined(DP_NO_TARGET_CLONES) &&                                           \
    ((defined(__clang__) && __clang_major__ >= 14) ||                          \
     (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#if defined(__clang__) /* clang 14 ignores "arch=" here; gcc rejects ISA names \
                        */
#define KERNEL_CLONES                                                          \
    __attribute__((target_clones("avx512dq", "avx2", "default")))
#else
#define KERNEL_CLONES                                                          \
    __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
#else
#define KERNEL_CLONES
#endif

struct dp_minhash {
    unsigned perms;       /* signature length */
    unsigned padded;      /* perms rounded up to a multiple of BLOCK */
    dp_minhash_mode mode; /* KPERM or OPH */
    uint64_t key;         /* xor'd into every input before mixing */
    uint64_t probe_seed;  /* OPH: seeds the densification probes */
    uint64_t *mul;        /* KPERM: padded odd multipliers a_i */
    uint64_t *add;        /* KPERM: padded addends b_i */
};

/* splitmix64 (Steele, Lea, Flood 2014): the fixed coefficient generator. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A 64-bit bijective mixer (the MurmurHash3 finaliser). */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* Map a 32-bit value uniformly onto [0, n) (Lemire's multiply-shift). */
static inline uint32_t fastrange32(uint32_t v, uint32_t n)
{
    return (uint32_t)(((uint64_t)v * n) >> 32);
}

void dpi_minhash_opts_init(dp_minhash_opts *opts)
{
    assert(opts);
    opts->perms = DP_MINHASH_DEFAULT_PERMS;
    opts->seed = DP_MINHASH_DEFAULT_SEED;
    opts->mode = DP_MINHASH_KPERM;
}

dp_status dpi_minhash_create(const dp_minhash_opts *opts, dp_minhash **out)
{
    dp_minhash_opts def;
    dp_minhash *mh;
    uint64_t st;
    unsigned i;

    if (!out)
        return DP_EINVAL;
    *out = NULL;
    if (!opts) {
        dpi_minhash_opts_init(&def);
        opts = &def;
    }
    if (opts->perms == 0 || opts->perms > DP_MINHASH_MAX_PERMS)
        return DP_EINVAL;
    if (opts->mode != DP_MINHASH_KPERM && opts->mode != DP_MINHASH_OPH)
        return DP_EINVAL;
    mh = calloc(1, sizeof *mh);
    if (!mh)
        return DP_ENOMEM;
    mh->perms = opts->perms;
    mh->padded = (opts->perms + BLOCK - 1) / BLOCK * BLOCK;
    mh->mode = opts->mode;
    st = opts->seed ^ STREAM_KEY;
    mh->key = splitmix64(&st);
    st = opts->seed ^ STREAM_PROBE;
    mh->probe_seed = splitmix64(&st);
    if (mh->mode == DP_MINHASH_KPERM) {
        mh->mul = malloc(mh->padded * sizeof *mh->mul);
        mh->add = malloc(mh->padded * sizeof *mh->add);
        if (!mh->mul || !mh->add) {
            dpi_minhash_free(mh);
            return DP_ENOMEM;
        }
        st = opts->seed ^ STREAM_COEF;
        for (i = 0; i < mh->padded; i++) {
            mh->mul[i] = splitmix64(&st) | 1u;
            mh->add[i] = splitmix64(&st);
        }
    }
    *out = mh;
    return DP_OK;
}

void dpi_minhash_free(dp_minhash *mh)
{
    if (!mh)
        return;
    free(mh->mul);
    free(mh->add);
    free(mh);
}

unsigned dpi_minhash_perms(const dp_minhash *mh)
{
    assert(mh);
    return mh->perms;
}

dp_minhash_mode dpi_minhash_mode_of(const dp_minhash *mh)
{
    assert(mh);
    return mh->mode;
}

/*
 * The KPERM hot loop. Inputs are mixed CHUNK at a time into a small local
 * array; then, for each block of BLOCK signature slots, the block's running
 * minima stay in a local array (registers, after vectorisation) while the
 * whole chunk streams past. The innermost loop has a constant trip count
 * and no dependence between lanes, so it becomes a few SIMD multiplies,
 * adds, shifts and unsigned mins per vector of slots.
 */
KERNEL_CLONES
static void kperm_kernel(const uint64_t *restrict mul,
                         const uint64_t *restrict add, size_t padded,
                         uint64_t key, const uint64_t *restrict hashes,
                         size_t n, uint32_t *restrict sig)
{
    uint64_t xs[CHUNK];
    size_t c, j, p, i, m;

    for (c = 0; c < n; c += m) {
        m = n - c < CHUNK ? n - c : CHUNK;
        for (j = 0; j < m; j++)
            xs[j] = mix64(hashes[c + j] ^ key);
        for (p = 0; p < padded; p += BLOCK) {
            uint32_t acc[BLOCK];
            memcpy(acc, sig + p, sizeof acc);
            for (j = 0; j < m; j++) {
                uint64_t x = xs[j];
                for (i = 0; i < BLOCK; i++) {
                    uint32_t v =
                        (uint32_t)((mul[p + i] * x + add[p + i]) >> 32);
                    acc[i] = v < acc[i] ? v : acc[i];
                }
            }
            memcpy(sig + p, acc, sizeof acc);
        }
    }
}

/* OPH: bin the inputs, keep each bin's minimum, mark the bins filled. */
static void oph_bins(const dp_minhash *mh, const uint64_t *hashes, size_t n,
                     uint32_t *sig, unsigned char *filled)
{
    size_t j;
    uint32_t perms = mh->perms;

    for (j = 0; j < n; j++) {
        uint64_t y = mix64(hashes[j] ^ mh->key);
        uint32_t bin = fastrange32((uint32_t)(y >> 32), perms);
        uint32_t v = (uint32_t)y;
        if (v < sig[bin])
            sig[bin] = v;
        filled[bin] = 1;
    }
}

/*
 * Optimal densification (Shrivastava 2017): empty bin i takes the value of
 * the first filled bin along the probe sequence p(i, 0), p(i, 1), ... The
 * sequence depends only on (seed, i), never on the document, which is what
 * makes two documents agree at i with probability J. Only originally
 * filled bins are copied from. At least one bin is filled (n >= 1).
 */
static void oph_densify(const dp_minhash *mh, uint32_t *sig,
                        const unsigned char *filled)
{
    uint32_t perms = mh->perms, i, j, t;
    const uint32_t max_probes = UINT32_C(1) << 20;

    for (i = 0; i < perms; i++) {
        if (filled[i])
            continue;
        for (t = 0; t < max_probes; t++) {
            uint64_t z = mix64(mh->probe_seed ^ (((uint64_t)i << 32) | t));
            j = fastrange32((uint32_t)(z >> 32), perms);
            if (filled[j])
                break;
        }
        if (t == max_probes) {
            /* Probability below e^-1000 for perms <= 1024; stay defined. */
            for (j = (i + 1) % perms; !filled[j]; j = (j + 1) % perms)
                ;
        }
        sig[i] = sig[j];
    }
}

dp_status dpi_minhash_signature(const dp_minhash *mh, const uint64_t *hashes,
                                size_t n, uint32_t *sig)
{
    _Alignas(64) uint32_t work[DP_MINHASH_MAX_PERMS];
    unsigned char filled[DP_MINHASH_MAX_PERMS];

    if (!mh || !sig || (!hashes && n > 0))
        return DP_EINVAL;
    if (n == 0)
        return DP_EEMPTY;
    assert(mh->padded <= DP_MINHASH_MAX_PERMS);
    memset(work, 0xff, mh->padded * sizeof *work);
    if (mh->mode == DP_MINHASH_KPERM) {
        kperm_kernel(mh->mul, mh->add, mh->padded, mh->key, hashes, n, work);
    } else {
        memset(filled, 0, mh->perms);
        oph_bins(mh, hashes, n, work, filled);
        oph_densify(mh, work, filled);
    }
    memcpy(sig, work, mh->perms * sizeof *sig);
    return DP_OK;
}

uint64_t dpi_minhash_short_shingle(const uint64_t *tokens, size_t ntok)
{
    XXH3_state_t st;
    size_t i;

    assert(tokens || ntok == 0);
    if (XXH_CPU_LITTLE_ENDIAN)
        return XXH3_64bits_withSeed(ntok ? tokens : (const void *)"", ntok * 8,
                                    SHORT_SEED);
    XXH3_64bits_reset_withSeed(&st, SHORT_SEED);
    for (i = 0; i < ntok; i++) {
        uint64_t v = XXH_swap64(tokens[i]);
        XXH3_64bits_update(&st, &v, sizeof v);
    }
    return XXH3_64bits_digest(&st);
}

size_t dpi_minhash_matches(const uint32_t *a, const uint32_t *b, unsigned perms)
{
    size_t eq = 0;
    unsigned i;

    assert((a && b) || perms == 0);
    for (i = 0; i < perms; i++)
        eq += a[i] == b[i];
    return eq;
}

double dpi_minhash_jaccard(const uint32_t *a, const uint32_t *b, unsigned perms)
{
    if (perms == 0)
        return 0.0;
    return (double)dpi_minhash_matches(a, b, perms) / perms;
}
