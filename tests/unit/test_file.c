/* test_file.c - dp_file_read: whole files, limits and error statuses. */
#include <stdlib.h>
#include <unistd.h>

#include "../test.h"
#include "doppel.h"

static char dir[] = "/tmp/doppel-file-XXXXXX";
static int dir_made; /* (mkdtemp may well end the name with an 'X') */

static const char *scratch(const char *name)
{
    static char path[256];
    if (!dir_made && !mkdtemp(dir))
        return NULL;
    dir_made = 1;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

TEST(file_reads_whole_file_nul_terminated)
{
    const char *p = scratch("a.txt");
    FILE *f;
    char *buf = NULL;
    size_t len = 0;
    REQUIRE(p && (f = fopen(p, "wb")));
    fputs("two\r\nlines\n", f);
    fclose(f);
    REQUIRE(dp_file_read(p, &buf, &len, 1000, NULL) == DP_OK);
    CHECK_EQ(len, 11);
    CHECK_MEM(buf, len, "two\r\nlines\n");
    CHECK_EQ(buf[len], '\0');
    dp_free(buf);
}

TEST(file_empty_file_is_zero_bytes_not_error)
{
    const char *p = scratch("empty.txt");
    FILE *f;
    char *buf = NULL;
    size_t len = 7;
    REQUIRE(p && (f = fopen(p, "wb")));
    fclose(f);
    REQUIRE(dp_file_read(p, &buf, &len, 1000, NULL) == DP_OK);
    CHECK_EQ(len, 0);
    REQUIRE(buf != NULL);
    CHECK_EQ(buf[0], '\0');
    dp_free(buf);
}

TEST(file_errors_have_statuses_and_messages)
{
    char *buf = (char *)1;
    size_t len;
    dp_error err;
    const char *p = scratch("big.txt");
    FILE *f;

    CHECK_EQ(dp_file_read("/nonexistent/doppel/x", &buf, &len, 10, &err),
             DP_ENOENT);
    CHECK(buf == NULL);
    CHECK(strstr(err.message, "No such file") != NULL);

    CHECK_EQ(dp_file_read("/tmp", &buf, &len, 10, &err), DP_EISDIR);
    CHECK(strstr(err.message, "directory") != NULL);

    REQUIRE(p && (f = fopen(p, "wb")));
    fputs("0123456789abcdef", f);
    fclose(f);
    CHECK_EQ(dp_file_read(p, &buf, &len, 10, &err), DP_ETOOBIG);
    CHECK(strstr(err.message, "16 bytes") != NULL);
    CHECK(buf == NULL);

    /* /proc/self/mem opens but reading offset 0 fails, even for root. */
    CHECK_EQ(dp_file_read("/proc/self/mem", &buf, &len, 10, &err), DP_EIO);
    CHECK(buf == NULL);
    CHECK_EQ(dp_file_read(NULL, &buf, &len, 10, &err), DP_EINVAL);
}

TEST(file_strerror_names_every_code)
{
    int c;
    for (c = DP_OK; c <= DP_ECORRUPT; c++)
        CHECK(strcmp(dp_strerror((dp_status)c), "unknown error") != 0);
    CHECK_STR(dp_strerror((dp_status)999), "unknown error");
}
