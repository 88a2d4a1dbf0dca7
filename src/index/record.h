/*
 * record.h - the on-disk formats of the persistent index: document
 * records, sequence-number keys, shingle sets, and the parameter text.
 *
 * Kept apart from the LMDB code (index_int.h) so the decoders can be fuzzed and
 * unit-tested without an LMDB environment. Every decoder checks lengths and
 * fields before it hands out a pointer: a damaged value gives DP_ECORRUPT,
 * never a read past its end. Integers are in the host's byte order, like LMDB's
 * own pages (an index is not portable across endianness; LMDB's isn't).
 *
 * Document record (value of the "docs" table, key = seq):
 *
 *   offset  size      field
 *   0       1         format, DP_INDEX_REC_FORMAT
 *   1       1         flags: bit 0 = has metadata
 *   2       2         id length (1..DP_INDEX_MAX_ID)
 *   4       4         word count
 *   8       4         metadata length (0 without metadata)
 *   12      4         perms (signature length; must equal the index's)
 *   16      4*perms   MinHash signature, uint32 values
 *   ..      id_len    the id bytes (no NUL)
 *   ..      meta_len  the metadata JSON text (no NUL)
 */
#ifndef DP_INDEX_RECORD_H
#define DP_INDEX_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

#define DP_INDEX_REC_FORMAT 1u
#define DP_INDEX_REC_HEADER 16u

/* A decoded record: pointers into the encoded bytes (borrowed). */
typedef struct dp_index_rec {
    const char *id; /* id_len bytes, not NUL-terminated */
    size_t id_len;
    const char *meta; /* meta_len bytes, or NULL */
    size_t meta_len;
    const unsigned char *sig; /* perms * 4 bytes, maybe unaligned: read
                                 with dpi_index_rec_sig() */
    unsigned perms;
    uint32_t words;
} dp_index_rec;

/* dpi_index_rec_size - bytes of the record for these lengths, or 0 when
 * they are out of range (id 0 or over DP_INDEX_MAX_ID, meta over
 * DP_INDEX_MAX_META, perms 0 or over 1024). */
size_t dpi_index_rec_size(size_t id_len, size_t meta_len, unsigned perms);

/* dpi_index_rec_encode - write a record into @buf, which holds exactly
 * dpi_index_rec_size() bytes (nonzero). Cannot fail. */
void dpi_index_rec_encode(void *buf, const char *id, size_t id_len,
                          const char *meta, size_t meta_len,
                          const uint32_t *sig, unsigned perms, uint32_t words);

/*
 * dpi_index_rec_decode - check and split a record.
 * @perms:  the signature length the index uses; a record with another
 *          is corrupt.
 * @return DP_OK, or DP_ECORRUPT (wrong format, lengths that do not add
 *         up, an empty id, a NUL in the id); *out is then unspecified.
 */
dp_status dpi_index_rec_decode(const void *buf, size_t len, unsigned perms,
                               dp_index_rec *out);

/* dpi_index_rec_sig - copy the signature into @sig (perms values). */
void dpi_index_rec_sig(const dp_index_rec *r, uint32_t *sig);

/* Sequence numbers as keys: 8 bytes big-endian, so byte order (LMDB's
 * default comparison) is numeric order and appends are sequential. */
void dpi_index_seq_key(uint64_t seq, unsigned char key[8]);
uint64_t dpi_index_seq_of(const void *key);

/*
 * dpi_index_set_check - whether @len bytes at @p are a valid stored
 * shingle set: a whole number of uint64 values, at least one, strictly
 * increasing. @return DP_OK or DP_ECORRUPT.
 */
dp_status dpi_index_set_check(const void *p, size_t len);

#endif /* DP_INDEX_RECORD_H */
