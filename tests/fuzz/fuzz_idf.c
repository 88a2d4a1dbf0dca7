/*
 * fuzz_idf.c - libFuzzer target for the IDF table decoder (docs/idf.md).
 *
 * Any input is either refused with DP_ECORRUPT or DP_EMISMATCH (never a
 * crash or a read past the end), or accepted; an accepted input must be
 * canonical: encoding the decoded table gives back exactly the input
 * bytes (entries sorted and unique, lengths matching, checksum right), and
 * every entry reads back with its df within 1..N and a weight of at least
 * 1.
 */
#include <stdlib.h>
#include <string.h>

#include "story/story.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    dp_idf *idf = NULL;
    dp_error err;
    unsigned char *again = NULL;
    size_t len = 0, i;
    dp_status rc;

    memset(&err, 0, sizeof err);
    rc = dpi_idf_decode(data, size, &idf, &err);
    if (rc) {
        INVARIANT(idf == NULL);
        INVARIANT(rc == DP_ECORRUPT || rc == DP_EMISMATCH || rc == DP_ENOMEM);
        INVARIANT(err.message[0] != '\0');
        return 0;
    }
    INVARIANT(dpi_idf_encode(idf, &again, &len) == DP_OK);
    INVARIANT(len == size && memcmp(again, data, size) == 0);
    /* the entries start after the header and the language name */
    for (i = 34 + strlen(dp_idf_language(idf)); i + 16 + 8 <= size; i += 16) {
        uint64_t key = 0, df;
        unsigned b;
        for (b = 0; b < 8; b++)
            key |= (uint64_t)data[i + b] << (8 * b);
        df = dp_idf_df(idf, key);
        INVARIANT(df >= 1 && df <= dp_idf_docs(idf));
        INVARIANT(dp_idf_weight(idf, key) >= 1.0);
    }
    free(again);
    dp_idf_free(idf);
    return 0;
}
