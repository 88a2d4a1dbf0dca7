/*
 * test_idf.c - background term statistics: counts, the weight formula,
 * the file round trip and every way a damaged file is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../test.h"
#include "doppel.h"

static dp_doc *mkdoc(const char *text)
{
    dp_doc *d = NULL;
    if (dp_doc_create(text, strlen(text), NULL, &d, NULL))
        return NULL;
    return d;
}

/* The key of the first content token of @text. */
static uint64_t key_of(const char *text)
{
    dp_doc *d = mkdoc(text);
    uint64_t k = 0;
    size_t i;
    for (i = 0; d && i < dp_doc_words(d) && !k; i++)
        k = dp_idf_token_key(d, i);
    dp_doc_free(d);
    return k;
}

static dp_idf *three_docs(void)
{
    const char *texts[] = {"The earthquake struck Lisbon at dawn.",
                           "An earthquake and a second earthquake hit Chile.",
                           "Markets rose in Lisbon; 12 banks gained."};
    dp_idf *idf = NULL;
    size_t i;
    if (dp_idf_create(NULL, &idf))
        return NULL;
    for (i = 0; i < 3; i++) {
        dp_doc *d = mkdoc(texts[i]);
        if (!d || dp_idf_add(idf, d)) {
            dp_doc_free(d);
            dp_idf_free(idf);
            return NULL;
        }
        dp_doc_free(d);
    }
    return idf;
}

TEST(idf_counts_documents_not_occurrences)
{
    dp_idf *idf = three_docs();
    REQUIRE(idf);
    CHECK_EQ(dp_idf_docs(idf), 3);
    /* "earthquake" twice in one document counts once there */
    CHECK_EQ(dp_idf_df(idf, key_of("earthquakes")), 2);
    CHECK_EQ(dp_idf_df(idf, key_of("Lisbon")), 2);
    CHECK_EQ(dp_idf_df(idf, key_of("Chile")), 1);
    CHECK_EQ(dp_idf_df(idf, key_of("12")), 1);
    CHECK_EQ(dp_idf_df(idf, key_of("volcano")), 0);
    /* stopwords have no key and are not counted */
    CHECK_EQ(key_of("the"), 0);
    CHECK_STR(dp_idf_language(idf), "english");
    dp_idf_free(idf);
}

TEST(idf_weight_formula)
{
    dp_idf *idf = three_docs();
    REQUIRE(idf);
    /* ln((N + 1) / (df + 1)) + 1 */
    CHECK_NEAR(dp_idf_weight(idf, key_of("Chile")), log(4.0 / 2.0) + 1, 1e-12);
    CHECK_NEAR(dp_idf_weight(idf, key_of("Lisbon")), log(4.0 / 3.0) + 1, 1e-12);
    CHECK_NEAR(dp_idf_weight(idf, key_of("volcano")), log(4.0) + 1, 1e-12);
    CHECK_NEAR(dp_idf_weight(NULL, key_of("volcano")), 1.0, 0);
    CHECK(dp_idf_weight(idf, key_of("Chile")) >
          dp_idf_weight(idf, key_of("earthquake")));
    dp_idf_free(idf);
}

TEST(idf_add_keys_and_merge)
{
    uint64_t a[] = {5, 3, 5, 0, 9}, b[] = {3, 7};
    dp_idf *x = NULL, *y = NULL, *z = NULL;
    REQUIRE(dp_idf_create("english", &x) == DP_OK);
    REQUIRE(dp_idf_create("english", &y) == DP_OK);
    REQUIRE(dp_idf_create("french", &z) == DP_OK);
    CHECK(dp_idf_add_keys(x, a, 5) == DP_OK);
    CHECK(dp_idf_add_keys(y, b, 2) == DP_OK);
    CHECK(dp_idf_add_keys(y, NULL, 0) == DP_OK); /* a wordless document */
    CHECK_EQ(dp_idf_keys(x), 3);                 /* 0 is not a key */
    CHECK_EQ(dp_idf_df(x, 5), 1);
    CHECK(dp_idf_merge(x, y) == DP_OK);
    CHECK_EQ(dp_idf_docs(x), 3);
    CHECK_EQ(dp_idf_df(x, 3), 2);
    CHECK_EQ(dp_idf_df(x, 7), 1);
    CHECK_EQ(dp_idf_keys(x), 4);
    CHECK(dp_idf_merge(x, z) == DP_EINVAL); /* languages differ */
    CHECK_EQ(dp_idf_docs(x), 3);
    dp_idf_free(x);
    dp_idf_free(y);
    dp_idf_free(z);
}

TEST(idf_grows_past_many_keys)
{
    dp_idf *idf = NULL;
    uint64_t k[1000];
    size_t d, i;
    REQUIRE(dp_idf_create(NULL, &idf) == DP_OK);
    for (d = 0; d < 50; d++) {
        for (i = 0; i < 1000; i++)
            k[i] = d * 1000 + i + 1 - (d % 2) * 500; /* overlapping runs */
        REQUIRE(dp_idf_add_keys(idf, k, 1000) == DP_OK);
    }
    CHECK_EQ(dp_idf_docs(idf), 50);
    CHECK_EQ(dp_idf_df(idf, 1), 1);
    CHECK_EQ(dp_idf_df(idf, 600), 2);  /* docs 0 (1..1000) and 1 (501..1500) */
    CHECK_EQ(dp_idf_df(idf, 1600), 0); /* between docs 1 and 2 (2001..) */
    CHECK_EQ(dp_idf_keys(idf), 25 * 1000 + 25 * 1000 - 25 * 500);
    dp_idf_free(idf);
}

static char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/doppel-test-idf-%ld-%s", (long)getpid(),
             name);
    return buf;
}

TEST(idf_file_round_trip)
{
    dp_idf *idf = three_docs(), *back = NULL;
    const char *p = tmp_path("rt");
    REQUIRE(idf);
    REQUIRE(dp_idf_write(idf, p, NULL) == DP_OK);
    REQUIRE(dp_idf_read(p, &back, NULL) == DP_OK);
    CHECK_EQ(dp_idf_docs(back), 3);
    CHECK_EQ(dp_idf_keys(back), dp_idf_keys(idf));
    CHECK_EQ(dp_idf_df(back, key_of("Lisbon")), 2);
    CHECK_NEAR(dp_idf_weight(back, key_of("Chile")),
               dp_idf_weight(idf, key_of("Chile")), 0);
    CHECK_STR(dp_idf_language(back), "english");
    unlink(p);
    dp_idf_free(idf);
    dp_idf_free(back);
}

/* Write @idf, change byte @at (or cut the file to @at when @cut), read. */
static dp_status damaged(const dp_idf *idf, long at, int cut, dp_error *err)
{
    const char *p = tmp_path("bad");
    dp_idf *back = NULL;
    dp_status rc;
    FILE *f;
    if (dp_idf_write(idf, p, NULL))
        return DP_EINTERNAL;
    if (cut) {
        if (truncate(p, at))
            return DP_EINTERNAL;
    } else {
        int c;
        if (!(f = fopen(p, "r+b")) || fseek(f, at, SEEK_SET) ||
            (c = fgetc(f)) == EOF || fseek(f, at, SEEK_SET) ||
            fputc(c ^ 0x01, f) == EOF || fclose(f))
            return DP_EINTERNAL;
    }
    rc = dp_idf_read(p, &back, err);
    if (rc == DP_OK)
        dp_idf_free(back);
    unlink(p);
    return rc;
}

TEST(idf_damaged_files_are_refused)
{
    dp_idf *idf = three_docs();
    dp_error err;
    REQUIRE(idf);
    memset(&err, 0, sizeof err);
    CHECK(damaged(idf, 0, 0, &err) == DP_ECORRUPT);   /* magic */
    CHECK(damaged(idf, 8, 0, &err) == DP_EMISMATCH);  /* format */
    CHECK(damaged(idf, 12, 0, &err) == DP_EMISMATCH); /* DP_NORM_VERSION */
    CHECK(strstr(err.message, "idf build") != NULL);
    CHECK(damaged(idf, 50, 0, &err) == DP_ECORRUPT); /* an entry: checksum */
    CHECK(damaged(idf, 40, 1, &err) == DP_ECORRUPT); /* truncated */
    CHECK(damaged(idf, 0, 1, &err) == DP_ECORRUPT);  /* empty */
    dp_idf_free(idf);
}

TEST(idf_read_missing_file)
{
    dp_idf *idf = (dp_idf *)1;
    CHECK(dp_idf_read("/nonexistent/doppel.idf", &idf, NULL) == DP_ENOENT);
    CHECK(idf == NULL);
    CHECK(dp_idf_create(NULL, NULL) == DP_EINVAL);
    CHECK(dp_idf_add(NULL, NULL) == DP_EINVAL);
    dp_idf_free(NULL);
}
