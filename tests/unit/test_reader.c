/*
 * test_reader.c - tests of the corpus reader (src/corpus/reader.c)
 * through its public API: JSONL parsing and field options, per-record
 * errors with file and line, line endings, BOM, the size cap, directory
 * walking, gzip and zstd input, standard input, memory input, and the
 * real Reuters-21578 JSONL.
 *
 * Fixtures are written at test time into a fresh mkdtemp() directory and
 * removed afterwards; nothing is copied into the repository.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "../test.h"
#include "doppel.h"

/* ---- fixtures ----------------------------------------------------- */

static char tmpdir[64];

static const char *mktmp(void)
{
    strcpy(tmpdir, "/tmp/doppel-reader-XXXXXX");
    return mkdtemp(tmpdir);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    chmod(p, 0700);
    return remove(p);
}

static void rmtmp(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

/* A path under the temporary directory (static rotating buffers). */
static const char *tp(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static void put(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(tp(name), "wb");
    if (!f)
        return;
    fwrite(data, 1, len, f);
    fclose(f);
}

static void puts_file(const char *name, const char *s)
{
    put(name, s, strlen(s));
}

static void put_gz(const char *name, const char *s, const char *mode)
{
    gzFile g = gzopen(tp(name), mode);
    if (!g)
        return;
    gzwrite(g, s, (unsigned)strlen(s));
    gzclose(g);
}

static void put_zst(const char *name, const char *s)
{
    size_t n = strlen(s), cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    size_t k = ZSTD_compress(z, cap, s, n, 3);
    if (!ZSTD_isError(k))
        put(name, z, k);
    free(z);
}

static dp_reader *open1(const char *path, const dp_reader_opts *o)
{
    dp_reader *r = NULL;
    const char *paths[1];
    paths[0] = path;
    if (dp_reader_open(paths, 1, o, &r, NULL) != DP_OK)
        return NULL;
    return r;
}

/* One record as a test keeps it. */
typedef struct rec_copy {
    dp_status rc;
    char id[64];
    char text[256];
    char raw[256];
    char date[64];
    char source[256];
    uint64_t line;
    uint64_t offset;
    int has_raw, has_date;
    char msg[600];  /* "PATH:LINE: message" as a caller composes it */
    char bare[256]; /* err.message itself */
    size_t err_offset;
    uint64_t hash; /* FNV-1a of the full id, text and raw */
} rec_copy;

static int same_full(const struct rec_copy *a, size_t na,
                     const struct rec_copy *b, size_t nb);

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

/* Read everything (at most @max results, errors included). */
static size_t read_all(dp_reader *r, rec_copy *out, size_t max)
{
    size_t n = 0;
    int guard = 0;
    for (;;) {
        dp_record rec;
        dp_error err;
        dp_status rc = dp_reader_next(r, &rec, &err);
        if (rc == DP_EOF || ++guard > 100000)
            break;
        if (n == max)
            continue;
        memset(&out[n], 0, sizeof out[n]);
        out[n].rc = rc;
        if (rc == DP_OK) {
            snprintf(out[n].id, sizeof out[n].id, "%.*s", (int)rec.id_len,
                     rec.id);
            snprintf(out[n].text, sizeof out[n].text, "%.*s", (int)rec.text_len,
                     rec.text);
            if (rec.raw) {
                out[n].has_raw = 1;
                snprintf(out[n].raw, sizeof out[n].raw, "%.*s",
                         (int)rec.raw_len, rec.raw);
            }
            if (rec.date) {
                out[n].has_date = 1;
                snprintf(out[n].date, sizeof out[n].date, "%.*s",
                         (int)rec.date_len, rec.date);
            }
            snprintf(out[n].source, sizeof out[n].source, "%s", rec.source);
            out[n].line = rec.line;
            out[n].offset = rec.offset;
            out[n].hash =
                fnv(fnv(fnv(14695981039346656037ull, rec.id, rec.id_len),
                        rec.text, rec.text_len),
                    rec.raw ? rec.raw : "", rec.raw_len);
            {
                const char *t = dp_reader_field(r, "title", NULL);
                if (t)
                    out[n].hash = fnv(out[n].hash, t, strlen(t));
            }
        } else {
            snprintf(out[n].bare, sizeof out[n].bare, "%s", err.message);
            out[n].err_offset = err.offset;
            out[n].line = dp_reader_line(r);
            snprintf(out[n].source, sizeof out[n].source, "%s",
                     dp_reader_path(r) ? dp_reader_path(r) : "");
            if (out[n].line)
                snprintf(out[n].msg, sizeof out[n].msg, "%s:%llu: %s",
                         out[n].source, (unsigned long long)out[n].line,
                         err.message);
            else
                snprintf(out[n].msg, sizeof out[n].msg, "%s: %s", out[n].source,
                         err.message);
            /* The library's message never starts with the path. */
            CHECK(out[n].source[0] == '\0' ||
                  strncmp(err.message, out[n].source, strlen(out[n].source)) !=
                      0);
        }
        n++;
    }
    return n;
}

/* ---- JSONL -------------------------------------------------------- */

TEST(reader_jsonl_fields_raw_date)
{
    rec_copy v[4];
    dp_reader *r;
    dp_record rec;
    size_t n, len;
    const char *l1 = "{\"id\": \"a1\", \"text\": \"Hello\\nworld\", "
                     "\"date\": \"1987-02-26\", \"title\": \"T\\u00e9\", "
                     "\"n\": [1, {\"x\": 2}]}";

    REQUIRE(mktmp());
    {
        char buf[512];
        snprintf(buf, sizeof buf, "%s\n{\"id\":\"a2\",\"text\":\"\"}\n", l1);
        puts_file("c.jsonl", buf);
    }
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_MEM(rec.id, rec.id_len, "a1");
    CHECK_MEM(rec.text, rec.text_len, "Hello\nworld");
    CHECK_EQ(rec.text[rec.text_len], '\0');
    CHECK_MEM(rec.raw, rec.raw_len, l1);
    CHECK_MEM(rec.date, rec.date_len, "1987-02-26");
    CHECK_STR(rec.source, tp("c.jsonl"));
    CHECK_EQ(rec.line, 1);
    CHECK_EQ(rec.offset, 0);
    CHECK_STR(dp_reader_field(r, "title", &len), "T\xc3\xa9");
    CHECK_EQ(len, 3);
    CHECK(dp_reader_field(r, "n", NULL) == NULL); /* not a string */
    CHECK(dp_reader_field(r, "missing", NULL) == NULL);
    CHECK_STR(dp_reader_path(r), tp("c.jsonl"));
    CHECK_EQ(dp_reader_line(r), 1);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_MEM(rec.id, rec.id_len, "a2");
    CHECK_EQ(rec.text_len, 0);
    CHECK(rec.text != NULL);
    CHECK(rec.date == NULL);
    CHECK_EQ(rec.line, 2);
    CHECK_EQ(rec.offset, strlen(l1) + 1);
    CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_EOF);
    CHECK(rec.id == NULL && rec.text == NULL);
    CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_EOF); /* stays at EOF */
    dp_reader_free(r);

    /* .ndjson and .json are JSONL too. */
    puts_file("d.ndjson", "{\"id\":\"x\",\"text\":\"y\"}\n");
    puts_file("e.json", "{\"id\":\"x2\",\"text\":\"y2\"}\n");
    {
        const char *p[2];
        p[0] = tp("d.ndjson");
        p[1] = tp("e.json");
        REQUIRE(dp_reader_open(p, 2, NULL, &r, NULL) == DP_OK);
    }
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 2);
    CHECK_STR(v[0].id, "x");
    CHECK_STR(v[1].text, "y2");
    rmtmp();
}

TEST(reader_jsonl_custom_fields)
{
    rec_copy v[4];
    dp_reader_opts o;
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl",
              "{\"doc\":\"d1\",\"body\":\"B1\",\"published\":\"2020\","
              "\"id\":\"ignored\",\"text\":\"ignored\"}\n"
              "{\"doc\":\"d2\",\"text\":\"only text\"}\n");
    dp_reader_opts_init(&o);
    o.id_field = "doc";
    o.text_field = "body";
    o.date_field = "published";
    r = open1(tp("c.jsonl"), &o);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 2);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_STR(v[0].id, "d1");
    CHECK_STR(v[0].text, "B1");
    CHECK_STR(v[0].date, "2020");
    CHECK_EQ(v[1].rc, DP_EFIELD); /* no "body" */
    CHECK(strstr(v[1].msg, "\"body\"") != NULL);

    /* No date field surfaced when date_field is NULL. */
    o.date_field = NULL;
    r = open1(tp("c.jsonl"), &o);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n >= 1);
    CHECK(!v[0].has_date);
    rmtmp();
}

TEST(reader_jsonl_numeric_and_bad_ids)
{
    rec_copy v[10];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl",
              "{\"id\": 42, \"text\": \"a\", \"date\": 19870226}\n"
              "{\"id\": -7, \"text\": \"b\"}\n"
              "{\"id\": 1.5, \"text\": \"c\"}\n"
              "{\"id\": \"\", \"text\": \"d\"}\n"
              "{\"id\": null, \"text\": \"e\"}\n"
              "{\"id\": \"f\", \"text\": 3}\n"
              "{\"id\": \"g\", \"text\": null, \"date\": {}}\n"
              "{\"id\": \"h\", \"text\": \"big\", "
              "\"n\": 123456789012345678901234567890, \"date\": [1]}\n"
              "{\"id\": 9223372036854775807, \"text\": \"max\"}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 10);
    dp_reader_free(r);
    REQUIRE(n == 9);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_STR(v[0].id, "42");
    CHECK_STR(v[0].date, "19870226");
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_STR(v[1].id, "-7");
    CHECK_EQ(v[2].rc, DP_EFIELD);
    CHECK(strstr(v[2].msg, "real number") != NULL);
    CHECK_EQ(v[3].rc, DP_EFIELD);
    CHECK(strstr(v[3].msg, "empty") != NULL);
    CHECK_EQ(v[4].rc, DP_EFIELD);
    CHECK_EQ(v[5].rc, DP_EFIELD);
    CHECK(strstr(v[5].msg, "integer") != NULL);
    CHECK_EQ(v[6].rc, DP_EFIELD);
    CHECK_EQ(v[6].line, 7);
    CHECK_EQ(v[7].rc, DP_OK); /* a huge number elsewhere is kept */
    CHECK_STR(v[7].id, "h");
    CHECK(!v[7].has_date); /* an array is not a date */
    CHECK_EQ(v[8].rc, DP_OK);
    CHECK_STR(v[8].id, "9223372036854775807");
    rmtmp();
}

TEST(reader_jsonl_missing_field_line_and_continue)
{
    rec_copy v[5];
    dp_reader *r;
    size_t n;
    char want[600];

    REQUIRE(mktmp());
    puts_file("c.jsonl", "{\"id\":\"1\",\"text\":\"one\"}\n"
                         "{\"id\":\"2\",\"txt\":\"two\"}\n"
                         "{\"text\":\"three\"}\n"
                         "{\"id\":\"4\",\"text\":\"four\"}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 5);
    dp_reader_free(r);
    REQUIRE(n == 4);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_EQ(v[1].rc, DP_EFIELD);
    CHECK_EQ(v[1].line, 2);
    snprintf(want, sizeof want, "%s:2: ", tp("c.jsonl"));
    CHECK(strncmp(v[1].msg, want, strlen(want)) == 0);
    CHECK(strstr(v[1].msg, "\"text\"") != NULL);
    CHECK_STR(v[1].source, tp("c.jsonl"));
    CHECK_EQ(v[2].rc, DP_EFIELD);
    CHECK_EQ(v[2].line, 3);
    CHECK(strstr(v[2].msg, "\"id\"") != NULL);
    CHECK_EQ(v[3].rc, DP_OK);
    CHECK_STR(v[3].id, "4");
    CHECK_EQ(v[3].line, 4);
    rmtmp();
}

TEST(reader_jsonl_malformed_line_continues)
{
    rec_copy v[8];
    dp_reader *r;
    dp_record rec;
    dp_error err;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl", "{\"id\":\"1\",\"text\":\"one\"}\n"
                         "{\"id\":\"2\",\"text\":\"two\"\n"
                         "[1, 2]\n"
                         "{\"id\":\"3\",\"text\":\"x\"} {\"id\":\"4\"}\n"
                         "\"just a string\"\n"
                         "{\"id\":\"5\",\"text\":\"bad \\u0000 nul\"}\n"
                         "{\"id\":\"6\",\"text\":\"six\"}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 8);
    dp_reader_free(r);
    REQUIRE(n == 7);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_EQ(v[1].rc, DP_EJSON);
    CHECK_EQ(v[1].line, 2);
    CHECK(strstr(v[1].msg, ":2: malformed JSON") != NULL);
    CHECK_EQ(v[2].rc, DP_EJSON); /* an array, not an object */
    CHECK_EQ(v[2].line, 3);
    CHECK_EQ(v[3].rc, DP_EJSON); /* two objects on one line */
    CHECK_EQ(v[4].rc, DP_EJSON);
    CHECK_EQ(v[5].rc, DP_EJSON); /* \u0000 would put a NUL in the text */
    CHECK_EQ(v[6].rc, DP_OK);
    CHECK_STR(v[6].id, "6");
    CHECK_EQ(v[6].line, 7);

    /* The error offset is the fault's byte offset in the input. */
    puts_file("d.jsonl", "{\"id\":\"1\",\"text\":\"one\"}\n{\"id\": ?}\n");
    r = open1(tp("d.jsonl"), NULL);
    REQUIRE(r);
    CHECK_EQ(dp_reader_next(r, &rec, &err), DP_OK);
    CHECK_EQ(dp_reader_next(r, &rec, &err), DP_EJSON);
    CHECK_EQ(err.code, DP_EJSON);
    CHECK(err.offset >= 25 && err.offset <= 32);
    CHECK(rec.id == NULL && rec.raw == NULL);
    CHECK(dp_reader_field(r, "id", NULL) == NULL);
    CHECK_EQ(dp_reader_next(r, &rec, &err), DP_EOF);
    dp_reader_free(r);
    rmtmp();
}

TEST(reader_jsonl_invalid_utf8)
{
    rec_copy v[4];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl", "{\"id\":\"1\",\"text\":\"caf\xe9\"}\n"
                         "{\"id\":\"2\",\"text\":\"ok \xc3\xa9\"}\n"
                         "{\"id\":\"3\",\"text\":\"\xed\xa0\x80\"}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_EUTF8);
    CHECK_EQ(v[0].line, 1);
    CHECK_STR(v[0].bare, "invalid UTF-8 at byte 21 (0xE9)");
    CHECK_EQ(v[0].err_offset, 21);
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_STR(v[1].text, "ok \xc3\xa9");
    CHECK_EQ(v[2].rc, DP_EUTF8); /* a surrogate */
    CHECK_EQ(v[2].line, 3);
    rmtmp();
}

TEST(reader_jsonl_blank_lines_crlf_bom_no_newline)
{
    rec_copy v[6];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl", "\xEF\xBB\xBF{\"id\":\"1\",\"text\":\"one\"}\r\n"
                         "\r\n"
                         "   \t \n"
                         "\n"
                         "{\"id\":\"2\",\"text\":\"two\\r\\n\"}\r\n"
                         "{\"id\":\"3\",\"text\":\"three\"}");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_STR(v[0].id, "1");
    CHECK_STR(v[0].raw, "{\"id\":\"1\",\"text\":\"one\"}"); /* no BOM, CR */
    CHECK_EQ(v[0].line, 1);
    CHECK_EQ(v[0].offset, 3);
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_STR(v[1].text, "two\r\n"); /* escaped CR LF are text */
    CHECK_STR(v[1].raw, "{\"id\":\"2\",\"text\":\"two\\r\\n\"}");
    CHECK_EQ(v[1].line, 5);
    CHECK_EQ(v[2].rc, DP_OK);
    CHECK_STR(v[2].raw, "{\"id\":\"3\",\"text\":\"three\"}");
    CHECK_EQ(v[2].line, 6);

    /* An empty file and a file of blank lines give no records. */
    puts_file("e.jsonl", "");
    puts_file("f.jsonl", "\n\n  \r\n");
    {
        const char *p[2];
        p[0] = tp("e.jsonl");
        p[1] = tp("f.jsonl");
        REQUIRE(dp_reader_open(p, 2, NULL, &r, NULL) == DP_OK);
    }
    CHECK_EQ(read_all(r, v, 6), 0);
    dp_reader_free(r);
    rmtmp();
}

TEST(reader_jsonl_line_over_cap)
{
    rec_copy v[6];
    dp_reader_opts o;
    dp_reader *r;
    size_t n, big = 3u << 20, i;
    char *data;
    const char *head =
        "{\"id\":\"1\",\"text\":\"one\"}\n{\"id\":\"2\",\"text\":\"";
    const char *tail = "\"}\n{\"id\":\"3\",\"text\":\"three\"}\n";

    REQUIRE(mktmp());
    /* Line 2 is 3 MiB: over a 1 MiB cap, so skipped across several
     * chunks; line 3 still read. */
    data = malloc(strlen(head) + big + strlen(tail) + 1);
    REQUIRE(data);
    strcpy(data, head);
    i = strlen(head);
    memset(data + i, 'x', big);
    strcpy(data + i + big, tail);
    puts_file("c.jsonl", data);
    dp_reader_opts_init(&o);
    o.max_record_bytes = 1u << 20;
    r = open1(tp("c.jsonl"), &o);
    REQUIRE(r);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_EQ(v[1].rc, DP_ETOOBIG);
    CHECK_EQ(v[1].line, 2);
    CHECK(strstr(v[1].msg, ":2: ") != NULL);
    CHECK_EQ(v[2].rc, DP_OK);
    CHECK_STR(v[2].id, "3");
    CHECK_EQ(v[2].line, 3);
    CHECK_EQ(v[2].offset, strlen(head) + big + 3);

    /* With the default cap, the 3 MiB line is read whole. */
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    {
        dp_record rec;
        CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_OK);
        REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
        CHECK_EQ(rec.text_len, big);
        CHECK_EQ(rec.raw_len, strlen(strchr(head, '\n') + 1) + big + 2);
        CHECK(rec.text[0] == 'x' && rec.text[big - 1] == 'x');
        CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_OK);
        CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_EOF);
    }
    dp_reader_free(r);

    /* A small cap: a short over-long line inside one chunk, then a last
     * over-long line without a newline. */
    puts_file("d.jsonl", "{\"id\":\"1\",\"text\":\"0123456789abcdefghij\"}\n"
                         "{\"id\":\"2\",\"text\":\"ok\"}\n"
                         "{\"id\":\"3\",\"text\":\"0123456789abcdefghij\"}");
    o.max_record_bytes = 30;
    r = open1(tp("d.jsonl"), &o);
    REQUIRE(r);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_ETOOBIG);
    CHECK_EQ(v[0].line, 1);
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_EQ(v[2].rc, DP_ETOOBIG);
    CHECK_EQ(v[2].line, 3);
    free(data);
    rmtmp();
}

/* ---- plain text and directories ----------------------------------- */

TEST(reader_text_file_whole_document)
{
    dp_reader *r;
    dp_record rec;
    const char *p[2];

    REQUIRE(mktmp());
    puts_file("a.txt", "\xEF\xBB\xBF"
                       "First line.\r\nSecond {line}.\n");
    puts_file("b", "{\"id\":\"x\",\"text\":\"a .txt-less file is text\"}\n");
    p[0] = tp("a.txt");
    p[1] = tp("b");
    REQUIRE(dp_reader_open(p, 2, NULL, &r, NULL) == DP_OK);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_STR(rec.id, tp("a.txt"));
    CHECK_EQ(rec.id_len, strlen(tp("a.txt")));
    CHECK_MEM(rec.text, rec.text_len, "First line.\r\nSecond {line}.\n");
    CHECK_EQ(rec.text[rec.text_len], '\0');
    CHECK(rec.raw == NULL);
    CHECK(rec.date == NULL);
    CHECK_EQ(rec.line, 1);
    CHECK_EQ(rec.offset, 3);
    CHECK(dp_reader_field(r, "id", NULL) == NULL);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_STR(rec.id, tp("b"));
    CHECK(rec.text[0] == '{');
    CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_EOF);
    dp_reader_free(r);

    /* An empty file is an empty document. */
    puts_file("e.txt", "");
    r = open1(tp("e.txt"), NULL);
    REQUIRE(r);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_EQ(rec.text_len, 0);
    CHECK_EQ(dp_reader_next(r, &rec, NULL), DP_EOF);
    dp_reader_free(r);
    rmtmp();
}

TEST(reader_text_invalid_utf8_and_cap)
{
    rec_copy v[6];
    dp_reader_opts o;
    dp_reader *r;
    const char *p[4];
    size_t n;

    REQUIRE(mktmp());
    puts_file("a.txt", "line one\nline \xc3\xa9 two\nbad \xc0\xaf here\n");
    puts_file("b.txt", "0123456789012345678901234567890123456789!");
    puts_file("c.txt", "fine");
    puts_file("d.txt", "\xf4\x90\x80\x80"); /* past U+10FFFF */
    p[0] = tp("a.txt");
    p[1] = tp("b.txt");
    p[2] = tp("c.txt");
    p[3] = tp("d.txt");
    dp_reader_opts_init(&o);
    o.max_record_bytes = 40; /* a.txt has 37 bytes, b.txt 41 */
    REQUIRE(dp_reader_open(p, 4, &o, &r, NULL) == DP_OK);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 4);
    CHECK_EQ(v[0].rc, DP_EUTF8);
    CHECK_EQ(v[0].line, 0); /* a whole-file document */
    CHECK_STR(v[0].bare, "invalid UTF-8 at byte 25 (0xC0)");
    CHECK_EQ(v[0].err_offset, 25);
    CHECK_STR(v[0].source, tp("a.txt"));
    CHECK_EQ(v[1].rc, DP_ETOOBIG);
    CHECK_STR(v[1].source, tp("b.txt"));
    CHECK_EQ(v[2].rc, DP_OK);
    CHECK_STR(v[2].text, "fine");
    CHECK_EQ(v[3].rc, DP_EUTF8);

    /* DP_UTF8_REPLACE hands the bytes on for the text pipeline. */
    o.utf8 = DP_UTF8_REPLACE;
    r = open1(tp("a.txt"), &o);
    REQUIRE(r);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_EQ(v[0].rc, DP_OK);
    rmtmp();
}

TEST(reader_directory_recursion_order)
{
    rec_copy v[12];
    dp_reader *r;
    size_t n;
    char d[600];

    REQUIRE(mktmp());
    REQUIRE(mkdir(tp("corpus"), 0755) == 0);
    REQUIRE(mkdir(tp("corpus/a"), 0755) == 0);
    REQUIRE(mkdir(tp("corpus/a/deeper"), 0755) == 0);
    REQUIRE(mkdir(tp("corpus/.git"), 0755) == 0);
    puts_file("corpus/b.txt", "B");
    puts_file("corpus/B.txt", "upper B"); /* 'B' < 'a' in byte order */
    puts_file("corpus/a/z.txt", "AZ");
    puts_file("corpus/a/b.txt", "AB");
    puts_file("corpus/a/deeper/x.txt", "ADX");
    puts_file("corpus/.hidden.txt", "hidden");
    puts_file("corpus/.git/config", "hidden too");
    puts_file("corpus/c.jsonl", "{\"id\":\"c1\",\"text\":\"C1\"}\n"
                                "{\"id\":\"c2\",\"text\":\"C2\"}\n");
    /* A loop back to an ancestor is not followed; a link to a file is. */
    REQUIRE(symlink("..", tp("corpus/a/up")) == 0);
    REQUIRE(symlink("../b.txt", tp("corpus/a/link.txt")) == 0);
    REQUIRE(mkfifo(tp("corpus/fifo"), 0644) == 0); /* not read */

    snprintf(d, sizeof d, "%s/", tp("corpus")); /* trailing slash */
    r = open1(d, NULL);
    REQUIRE(r);
    n = read_all(r, v, 12);
    dp_reader_free(r);
    REQUIRE(n == 8);
    CHECK_STR(v[0].id, tp("corpus/B.txt"));
    CHECK_STR(v[1].id, tp("corpus/a/b.txt"));
    CHECK_STR(v[2].id, tp("corpus/a/deeper/x.txt"));
    CHECK_STR(v[3].id, tp("corpus/a/link.txt"));
    CHECK_STR(v[3].text, "B");
    CHECK_STR(v[4].id, tp("corpus/a/z.txt"));
    CHECK_STR(v[5].id, tp("corpus/b.txt"));
    CHECK_STR(v[6].id, "c1");
    CHECK_STR(v[6].source, tp("corpus/c.jsonl"));
    CHECK_STR(v[7].id, "c2");
    CHECK_EQ(v[7].line, 2);
    rmtmp();
}

TEST(reader_directory_unreadable_entry)
{
    rec_copy v[12];
    dp_reader *r;
    size_t n, i;
    int saw_dangling = 0, saw_secret = 0, saw_ok = 0, saw_mem = 0;

    REQUIRE(mktmp());
    REQUIRE(mkdir(tp("d"), 0755) == 0);
    puts_file("d/a.txt", "A");
    puts_file("d/secret.txt", "S");
    REQUIRE(chmod(tp("d/secret.txt"), 0) == 0);
    REQUIRE(symlink("nowhere.txt", tp("d/dangling.txt")) == 0);
    /* Opens fine but every read fails (EIO), even for root. */
    REQUIRE(symlink("/proc/self/mem", tp("d/mem.txt")) == 0);
    puts_file("d/z.txt", "Z");
    r = open1(tp("d"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 12);
    dp_reader_free(r);
    for (i = 0; i < n; i++) {
        if (strstr(v[i].source, "dangling.txt")) {
            saw_dangling = 1;
            CHECK_EQ(v[i].rc, DP_ENOENT);
            CHECK_EQ(v[i].line, 0);
            CHECK(strstr(v[i].msg, "dangling.txt: ") != NULL);
        } else if (strstr(v[i].source, "secret.txt")) {
            saw_secret = 1;
            /* root may read it anyway */
            CHECK(v[i].rc == (geteuid() == 0 ? DP_OK : DP_EACCES));
        } else if (strstr(v[i].source, "mem.txt")) {
            saw_mem = 1;
            CHECK_EQ(v[i].rc, DP_EIO);
        } else if (v[i].rc == DP_OK) {
            saw_ok++;
        }
    }
    CHECK(saw_dangling && saw_secret && saw_mem);
    CHECK_EQ(saw_ok, 2); /* a.txt and z.txt, around the bad ones */
    CHECK_STR(v[n - 1].text, "Z");

    /* An unlistable subdirectory is reported and the walk goes on. */
    if (geteuid() != 0) {
        REQUIRE(mkdir(tp("d/sub"), 0755) == 0);
        REQUIRE(chmod(tp("d/sub"), 0) == 0);
        r = open1(tp("d"), NULL);
        REQUIRE(r);
        n = read_all(r, v, 12);
        dp_reader_free(r);
        for (i = 0; i < n; i++)
            if (strstr(v[i].source, "/sub"))
                CHECK_EQ(v[i].rc, DP_EACCES);
        CHECK_STR(v[n - 1].text, "Z");
    }
    rmtmp();
}

TEST(reader_missing_file_then_next_path)
{
    rec_copy v[6];
    dp_reader *r;
    const char *p[4];
    size_t n;
    char want[600];

    REQUIRE(mktmp());
    puts_file("ok.jsonl", "{\"id\":\"1\",\"text\":\"one\"}\n");
    p[0] = tp("missing.jsonl");
    p[1] = tp("ok.jsonl");
    p[2] = tp("missing-dir/x.txt");
    p[3] = tp("ok.jsonl");
    REQUIRE(dp_reader_open(p, 4, NULL, &r, NULL) == DP_OK);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 4);
    CHECK_EQ(v[0].rc, DP_ENOENT);
    CHECK_EQ(v[0].line, 0);
    CHECK_STR(v[0].source, tp("missing.jsonl"));
    snprintf(want, sizeof want, "%s: ", tp("missing.jsonl"));
    CHECK(strncmp(v[0].msg, want, strlen(want)) == 0);
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_STR(v[1].id, "1");
    CHECK_EQ(v[2].rc, DP_ENOENT);
    CHECK_EQ(v[3].rc, DP_OK);
    rmtmp();
}

/* ---- compression -------------------------------------------------- */

static const char *sample =
    "\xEF\xBB\xBF{\"id\":\"1\",\"text\":\"one\",\"date\":\"d1\"}\n"
    "\n"
    "{\"id\":\"2\",\"text\":\"two\"}\r\n"
    "not json\n"
    "{\"id\":3,\"text\":\"three \xe2\x80\x94 dash\"}";

static int same_records(const rec_copy *a, size_t na, const rec_copy *b,
                        size_t nb)
{
    size_t i;
    if (na != nb)
        return 0;
    for (i = 0; i < na; i++) {
        if (a[i].rc != b[i].rc || strcmp(a[i].id, b[i].id) ||
            strcmp(a[i].text, b[i].text) || strcmp(a[i].raw, b[i].raw) ||
            strcmp(a[i].date, b[i].date) || a[i].line != b[i].line ||
            a[i].offset != b[i].offset)
            return 0;
    }
    return 1;
}

TEST(reader_gzip_zstd_same_as_plain)
{
    rec_copy plain[8], gz[8], zst[8], cat[8];
    size_t np, ng, nz, nc, half;
    dp_reader *r;

    REQUIRE(mktmp());
    puts_file("x.jsonl", sample);
    put_gz("x.jsonl.gz", sample, "wb");
    put_zst("x.jsonl.zst", sample);
    /* Two gzip members, split mid-line, concatenated. */
    half = strlen(sample) / 2;
    {
        char *first = malloc(half + 1);
        REQUIRE(first);
        memcpy(first, sample, half);
        first[half] = '\0';
        put_gz("cat.jsonl.gz", first, "wb");
        put_gz("cat.jsonl.gz", sample + half, "ab");
        free(first);
    }

    r = open1(tp("x.jsonl"), NULL);
    REQUIRE(r);
    np = read_all(r, plain, 8);
    dp_reader_free(r);
    REQUIRE(np == 4);
    CHECK_EQ(plain[2].rc, DP_EJSON);
    CHECK_EQ(plain[2].line, 4);
    CHECK_STR(plain[3].id, "3");

    r = open1(tp("x.jsonl.gz"), NULL);
    REQUIRE(r);
    ng = read_all(r, gz, 8);
    dp_reader_free(r);
    CHECK(same_records(plain, np, gz, ng));
    CHECK_STR(gz[0].source, tp("x.jsonl.gz"));

    r = open1(tp("x.jsonl.zst"), NULL);
    REQUIRE(r);
    nz = read_all(r, zst, 8);
    dp_reader_free(r);
    CHECK(same_records(plain, np, zst, nz));

    r = open1(tp("cat.jsonl.gz"), NULL);
    REQUIRE(r);
    nc = read_all(r, cat, 8);
    dp_reader_free(r);
    CHECK(same_records(plain, np, cat, nc));

    /* A zstd stream may start with a skippable frame (metadata). */
    {
        size_t zn = ZSTD_compressBound(strlen(sample)), k;
        char *z = malloc(8 + 4 + zn);
        REQUIRE(z);
        memcpy(z, "\x50\x2a\x4d\x18\x04\x00\x00\x00meta", 12);
        k = ZSTD_compress(z + 12, zn, sample, strlen(sample), 3);
        REQUIRE(!ZSTD_isError(k));
        put("skip.jsonl.zst", z, 12 + k);
        put("skip-noext", z, 12 + k);
        free(z);
        r = open1(tp("skip.jsonl.zst"), NULL);
        REQUIRE(r);
        nz = read_all(r, zst, 8);
        dp_reader_free(r);
        CHECK(same_records(plain, np, zst, nz));
    }

    /* Compressed plain text; and magic bytes win over a missing suffix. */
    put_gz("t.txt.gz", "A plain text document.\n", "wb");
    put_zst("t.txt.zst", "A plain text document.\n");
    put_zst("noext", "Zstd without a suffix.");
    put_zst("y.jsonl.zstd", sample);
    r = open1(tp("y.jsonl.zstd"), NULL);
    REQUIRE(r);
    nz = read_all(r, zst, 8);
    dp_reader_free(r);
    CHECK(same_records(plain, np, zst, nz));
    {
        const char *p[3];
        p[0] = tp("t.txt.gz");
        p[1] = tp("t.txt.zst");
        p[2] = tp("noext");
        REQUIRE(dp_reader_open(p, 3, NULL, &r, NULL) == DP_OK);
        nc = read_all(r, cat, 8);
        dp_reader_free(r);
        REQUIRE(nc == 3);
        CHECK_STR(cat[0].text, "A plain text document.\n");
        CHECK_STR(cat[0].id, tp("t.txt.gz"));
        CHECK_STR(cat[1].text, "A plain text document.\n");
        CHECK_STR(cat[2].text, "Zstd without a suffix.");
    }
    rmtmp();
}

TEST(reader_corrupt_compressed_input)
{
    static rec_copy v[200];
    dp_reader *r;
    size_t n, len, i, k = 0;
    char *data, text[4096];
    const char *p[5];

    REQUIRE(mktmp());
    /* Enough lines that the corruption lands after some of them. */
    text[0] = '\0';
    for (i = 0; i < 60; i++) {
        char line[64];
        snprintf(line, sizeof line, "{\"id\":\"%zu\",\"text\":\"t%zu\"}\n", i,
                 i * 7919 % 1000);
        strcat(text, line);
    }
    put_gz("good.jsonl.gz", text, "wb");
    data = dp_test_slurp(tp("good.jsonl.gz"), &len);
    REQUIRE(data && len > 40);
    /* Flip bytes in the deflate data. */
    for (i = len / 2; i < len / 2 + 8; i++)
        data[i] ^= 0x5a;
    put("bad.jsonl.gz", data, len);
    put("trunc.jsonl.gz", data, len / 3); /* truncated (from the good one) */
    free(data);
    put_zst("good.jsonl.zst", text);
    data = dp_test_slurp(tp("good.jsonl.zst"), &len);
    REQUIRE(data);
    put("trunc.jsonl.zst", data, len - 5);
    free(data);
    puts_file("fake.jsonl.gz", "{\"id\":\"1\",\"text\":\"not gzip\"}\n");
    puts_file("after.jsonl", "{\"id\":\"after\",\"text\":\"x\"}\n");

    p[0] = tp("bad.jsonl.gz");
    p[1] = tp("trunc.jsonl.zst");
    p[2] = tp("fake.jsonl.gz");
    p[3] = tp("after.jsonl");
    REQUIRE(dp_reader_open(p, 4, NULL, &r, NULL) == DP_OK);
    n = read_all(r, v, 200);
    dp_reader_free(r);
    REQUIRE(n >= 4 && n < 200);
    for (i = 0; i < n; i++) {
        if (v[i].rc == DP_OK || v[i].rc == DP_EJSON || v[i].rc == DP_EFIELD) {
            /* garbled lines before the fault is detected are possible */
            CHECK(strstr(v[i].source, "bad.jsonl.gz") ||
                  strstr(v[i].source, "trunc.jsonl.zst") ||
                  strcmp(v[i].id, "after") == 0);
            continue;
        }
        CHECK_EQ(v[i].rc, DP_ECOMPRESS);
        if (strstr(v[i].msg, "bad.jsonl.gz")) {
            CHECK(strstr(v[i].msg, "gzip") != NULL);
            k |= 1;
        } else if (strstr(v[i].msg, "trunc.jsonl.zst")) {
            CHECK(strstr(v[i].msg, "truncated") != NULL);
            CHECK_STR(v[i].source, tp("trunc.jsonl.zst"));
            k |= 2;
        } else if (strstr(v[i].msg, "fake.jsonl.gz: not gzip")) {
            CHECK_EQ(v[i].line, 0);
            k |= 4;
        }
    }
    CHECK_EQ(k, 7);
    CHECK_STR(v[n - 1].id, "after");

    /* Bytes after the last member that are not another member. */
    put_gz("tg.jsonl.gz", "{\"id\":\"tg\",\"text\":\"x\"}\n", "wb");
    {
        FILE *f = fopen(tp("tg.jsonl.gz"), "ab");
        REQUIRE(f);
        fputs("garbage", f);
        fclose(f);
    }
    r = open1(tp("tg.jsonl.gz"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 200);
    dp_reader_free(r);
    REQUIRE(n == 2);
    CHECK_STR(v[0].id, "tg");
    CHECK_EQ(v[1].rc, DP_ECOMPRESS);
    CHECK(strstr(v[1].msg, "trailing bytes") != NULL);

    /* A truncated gzip: records before the cut, then the error. */
    r = open1(tp("trunc.jsonl.gz"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 200);
    dp_reader_free(r);
    REQUIRE(n >= 1);
    CHECK_EQ(v[n - 1].rc, DP_ECOMPRESS);
    CHECK(strstr(v[n - 1].msg, "truncated") != NULL);
    rmtmp();
}

/* ---- stdin and memory --------------------------------------------- */

/* Read path "-" with @content on fd 0 (a temp file dup2'ed there). */
static size_t read_stdin(const char *content, size_t clen, dp_input_format fmt,
                         rec_copy *v, size_t max)
{
    int saved = dup(0), fd;
    dp_reader_opts o;
    dp_reader *r;
    size_t n = 0;

    put("stdin.bin", content, clen);
    fd = open(tp("stdin.bin"), O_RDONLY);
    if (saved < 0 || fd < 0 || dup2(fd, 0) < 0)
        return (size_t)-1;
    close(fd);
    dp_reader_opts_init(&o);
    o.stdin_format = fmt;
    r = open1("-", &o);
    if (r) {
        n = read_all(r, v, max);
        dp_reader_free(r);
    }
    /* The reader must not have closed fd 0. */
    if (fcntl(0, F_GETFD) < 0)
        n = (size_t)-2;
    dup2(saved, 0);
    close(saved);
    return n;
}

TEST(reader_stdin_auto_detect)
{
    rec_copy v[4];
    size_t n;
    const char *jl = "\n  {\"id\":\"s1\",\"text\":\"from stdin\"}\n";

    REQUIRE(mktmp());
    n = read_stdin(jl, strlen(jl), DP_FORMAT_AUTO, v, 4);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "s1");
    CHECK_STR(v[0].source, "-");
    CHECK_EQ(v[0].line, 2);

    n = read_stdin("Just text {not json}", 20, DP_FORMAT_AUTO, v, 4);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "-");
    CHECK_STR(v[0].text, "Just text {not json}");
    CHECK(!v[0].has_raw);

    n = read_stdin(jl, strlen(jl), DP_FORMAT_TEXT, v, 4);
    REQUIRE(n == 1);
    CHECK_STR(v[0].text, jl);

    {
        const char *two = "x\n{\"id\":\"a\",\"text\":\"b\"}\n";
        n = read_stdin(two, strlen(two), DP_FORMAT_JSONL, v, 4);
    }
    REQUIRE(n == 2);
    CHECK_EQ(v[0].rc, DP_EJSON);
    CHECK_EQ(v[1].rc, DP_OK);

    /* Compressed stdin is recognised by its magic bytes. */
    {
        char z[256];
        size_t k = ZSTD_compress(z, sizeof z, jl, strlen(jl), 1);
        REQUIRE(!ZSTD_isError(k));
        n = read_stdin(z, k, DP_FORMAT_AUTO, v, 4);
        REQUIRE(n == 1);
        CHECK_STR(v[0].text, "from stdin");
    }
    n = read_stdin("", 0, DP_FORMAT_AUTO, v, 4);
    CHECK_EQ(n, 0);
    rmtmp();
}

TEST(reader_memory_input)
{
    rec_copy v[4];
    dp_reader *r;
    dp_reader_opts o;
    size_t n;
    const char *jl = "{\"id\":\"m1\",\"text\":\"mem\"}\n{\"id\":\"m2\"}";
    char z[256];
    size_t k = ZSTD_compress(z, sizeof z, jl, strlen(jl), 1);

    REQUIRE(dp_reader_open_memory(jl, strlen(jl), "body", NULL, &r, NULL) ==
            DP_OK);
    CHECK(dp_reader_path(r) == NULL); /* nothing read yet */
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 2);
    CHECK_STR(v[0].id, "m1");
    CHECK_STR(v[0].source, "body");
    CHECK_EQ(v[1].rc, DP_EFIELD);
    CHECK(strncmp(v[1].msg, "body:2: ", 8) == 0);

    REQUIRE(!ZSTD_isError(k));
    REQUIRE(dp_reader_open_memory(z, k, NULL, NULL, &r, NULL) == DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 2);
    CHECK_STR(v[0].source, "(memory)");

    dp_reader_opts_init(&o);
    o.stdin_format = DP_FORMAT_TEXT;
    REQUIRE(dp_reader_open_memory(NULL, 0, "empty", &o, &r, NULL) == DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "empty");
    CHECK_STR(v[0].text, "");
}

TEST(reader_invalid_arguments)
{
    dp_reader *r = (dp_reader *)1;
    dp_reader_opts o;
    dp_error err;
    dp_record rec;
    const char *p[2] = {"a", NULL};

    CHECK_EQ(dp_reader_open(p, 1, NULL, NULL, &err), DP_EINVAL);
    CHECK_EQ(dp_reader_open(NULL, 1, NULL, &r, &err), DP_EINVAL);
    CHECK(r == NULL);
    CHECK_EQ(dp_reader_open(p, 2, NULL, &r, &err), DP_EINVAL);
    CHECK_EQ(err.code, DP_EINVAL);
    dp_reader_opts_init(&o);
    o.id_field = "";
    CHECK_EQ(dp_reader_open(p, 1, &o, &r, &err), DP_EINVAL);
    dp_reader_opts_init(&o);
    o.format = (dp_input_format)7;
    CHECK_EQ(dp_reader_open(p, 1, &o, &r, &err), DP_EINVAL);
    CHECK_EQ(dp_reader_open_memory(NULL, 5, NULL, NULL, &r, &err), DP_EINVAL);
    CHECK_EQ(dp_reader_next(NULL, &rec, &err), DP_EINVAL);
    CHECK(rec.id == NULL);
    dp_reader_free(NULL);
    CHECK(dp_reader_path(NULL) == NULL);
    CHECK_EQ(dp_reader_line(NULL), 0);

    /* No paths at all: EOF straight away. */
    REQUIRE(dp_reader_open(NULL, 0, NULL, &r, &err) == DP_OK);
    CHECK(dp_reader_path(r) == NULL);
    CHECK_EQ(dp_reader_next(r, &rec, &err), DP_EOF);
    dp_reader_free(r);
    CHECK_STR(dp_strerror(DP_EOF), "end of input");
}

/* ---- the real corpus ---------------------------------------------- */

TEST(reader_reuters_jsonl)
{
    char path[1024];
    dp_reader *r;
    dp_record rec;
    dp_error err;
    dp_status rc;
    size_t n = 0, errors = 0, dates = 0, prefixed = 0, titles = 0;
    uint64_t last_line = 0;
    int lines_ok = 1;

    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    if (access(path, R_OK) != 0) {
        printf("skip reader_reuters_jsonl: %s not readable\n", path);
        return;
    }
    r = open1(path, NULL);
    REQUIRE(r);
    while ((rc = dp_reader_next(r, &rec, &err)) != DP_EOF) {
        if (rc) {
            if (errors++ < 3)
                printf("reuters: %s\n", err.message);
            continue;
        }
        if (n == 0) {
            CHECK_STR(rec.id, "reuters-1");
            CHECK_STR(rec.date, "26-FEB-1987 15:01:01.79");
            CHECK_STR(dp_reader_field(r, "title", NULL), "BAHIA COCOA REVIEW");
            CHECK(strncmp(rec.text, "Showers continued", 17) == 0);
        }
        n++;
        prefixed += strncmp(rec.id, "reuters-", 8) == 0;
        dates += rec.date != NULL && rec.date_len > 0;
        titles += dp_reader_field(r, "title", NULL) != NULL;
        if (rec.line != last_line + 1 || !rec.raw || rec.raw[0] != '{' ||
            strlen(rec.text) != rec.text_len)
            lines_ok = 0;
        last_line = rec.line;
    }
    dp_reader_free(r);
    CHECK_EQ(n, 19043);
    CHECK_EQ(errors, 0);
    {
        /* Parse-ahead gives the very same stream. */
        static rec_copy a[19100], b[19100];
        dp_reader_opts o;
        size_t na, nb;
        r = open1(path, NULL);
        REQUIRE(r);
        na = read_all(r, a, 19100);
        dp_reader_free(r);
        dp_reader_opts_init(&o);
        o.threads = 2;
        r = open1(path, &o);
        REQUIRE(r);
        nb = read_all(r, b, 19100);
        dp_reader_free(r);
        CHECK_EQ(na, 19043);
        CHECK(same_full(a, na, b, nb));
    }
    CHECK_EQ(prefixed, n);
    CHECK_EQ(dates, n);
    CHECK_EQ(titles, n);
    CHECK(lines_ok);
}

/* ---- parse-ahead threads ------------------------------------------ */

static int same_full(const rec_copy *a, size_t na, const rec_copy *b, size_t nb)
{
    size_t i;
    if (na != nb) {
        printf("  count %zu vs %zu\n", na, nb);
        return 0;
    }
    for (i = 0; i < na; i++) {
        if (a[i].rc != b[i].rc || strcmp(a[i].id, b[i].id) ||
            strcmp(a[i].text, b[i].text) || strcmp(a[i].raw, b[i].raw) ||
            strcmp(a[i].date, b[i].date) || strcmp(a[i].source, b[i].source) ||
            a[i].line != b[i].line || a[i].offset != b[i].offset ||
            a[i].has_raw != b[i].has_raw || a[i].has_date != b[i].has_date ||
            strcmp(a[i].msg, b[i].msg) || a[i].err_offset != b[i].err_offset ||
            a[i].hash != b[i].hash) {
            printf("  item %zu differs: rc %d/%d id %s/%s line %llu/%llu "
                   "msg '%s' / '%s'\n",
                   i, a[i].rc, b[i].rc, a[i].id, b[i].id,
                   (unsigned long long)a[i].line, (unsigned long long)b[i].line,
                   a[i].msg, b[i].msg);
            return 0;
        }
    }
    return 1;
}

TEST(reader_threads_same_results)
{
    static rec_copy base[10000], got[10000];
    const char *paths[12];
    dp_reader_opts o;
    dp_reader *r;
    size_t nb, ng, i, np = 0, big = 1536 * 1024;
    unsigned threads[] = {2, 3, 5};
    size_t t, cap;
    char *buf, *p;

    REQUIRE(mktmp());
    /* 3000 lines crossing several batches, with every kind of bad line. */
    buf = malloc(8u << 20);
    REQUIRE(buf);
    p = buf;
    for (i = 0; i < 3000; i++) {
        switch (i % 97) {
        case 5: p += sprintf(p, "{\"id\":\"%zu\",\"text\":\"x\"\n", i); break;
        case 17: p += sprintf(p, "{\"id\":\"%zu\"}\n", i); break;
        case 33: p += sprintf(p, "\n  \n"); break;
        case 50:
            p += sprintf(p, "{\"id\":%zu,\"text\":\"caf\xe9\"}\n", i);
            break;
        case 70: p += sprintf(p, "[%zu]\r\n", i); break;
        case 90:
            p += sprintf(p, "{\"id\":\"%zu\",\"text\":\"", i);
            memset(p, 'y', 3000);
            p += 3000;
            p += sprintf(p, "\"}\n");
            break;
        default:
            p += sprintf(p,
                         "{\"id\":%zu,\"text\":\"doc %zu \\u00e9\","
                         "\"date\":\"d%zu\",\"title\":\"t%zu\"}\r\n",
                         i, i * 31, i % 7, i);
        }
    }
    put("many.jsonl", buf, (size_t)(p - buf));
    *p = '\0';
    put_gz("many.jsonl.gz", buf, "wb");
    /* A big plain-text document (over one batch), and small ones. */
    memset(buf, 'w', big);
    buf[big] = '\0';
    for (i = 0; i < big; i += 80)
        buf[i] = '\n';
    REQUIRE(mkdir(tp("dir"), 0755) == 0);
    put("dir/big.txt", buf, big);
    puts_file("dir/a.txt", "small text");
    puts_file("dir/bad.txt", "bad \xff utf8");
    puts_file("dir/c.jsonl", "{\"id\":\"c\",\"text\":\"C\"}\n");
    REQUIRE(symlink("nowhere", tp("dir/dangling")) == 0);
    free(buf);
    {
        /* a corrupt gzip copy */
        size_t len;
        char *z = dp_test_slurp(tp("many.jsonl.gz"), &len);
        REQUIRE(z);
        for (i = len / 2; i < len / 2 + 16; i++)
            z[i] ^= 0x33;
        put("corrupt.jsonl.gz", z, len);
        free(z);
    }
    paths[np++] = tp("many.jsonl");
    paths[np++] = tp("missing.jsonl");
    paths[np++] = tp("dir");
    paths[np++] = tp("many.jsonl.gz");
    paths[np++] = tp("corrupt.jsonl.gz");
    paths[np++] = tp("dir/a.txt");

    for (cap = 0; cap < 2; cap++) {
        dp_reader_opts_init(&o);
        if (cap)
            o.max_record_bytes = 2000; /* the 3000-byte lines, big.txt */
        REQUIRE(dp_reader_open(paths, np, &o, &r, NULL) == DP_OK);
        nb = read_all(r, base, 10000);
        dp_reader_free(r);
        if (!(nb > 6000 && nb < 10000))
            printf("  nb = %zu\n", nb);
        CHECK(nb > 6000 && nb < 10000);
        for (t = 0; t < sizeof threads / sizeof *threads; t++) {
            o.threads = threads[t];
            REQUIRE(dp_reader_open(paths, np, &o, &r, NULL) == DP_OK);
            ng = read_all(r, got, 10000);
            dp_reader_free(r);
            if (!same_full(base, nb, got, ng))
                dp_test_fail(__FILE__, __LINE__,
                             "threads=%u cap=%zu differs from serial",
                             threads[t], cap);
        }
    }

    /* Freeing a reader in the middle of a parse-ahead run. */
    dp_reader_opts_init(&o);
    o.threads = 4;
    REQUIRE(dp_reader_open(paths, np, &o, &r, NULL) == DP_OK);
    for (i = 0; i < 10; i++) {
        dp_record rec;
        dp_reader_next(r, &rec, NULL);
    }
    dp_reader_free(r);

    /* Memory input too; and the option's bounds. */
    o.threads = 2;
    REQUIRE(dp_reader_open_memory("{\"id\":\"m\",\"text\":\"t\"}", 21, NULL, &o,
                                  &r, NULL) == DP_OK);
    ng = read_all(r, got, 4);
    CHECK_EQ(dp_reader_line(r), 0);
    CHECK_STR(dp_reader_path(r), "(memory)");
    dp_reader_free(r);
    REQUIRE(ng == 1);
    CHECK_STR(got[0].id, "m");
    o.threads = 65;
    CHECK_EQ(dp_reader_open(paths, 1, &o, &r, NULL), DP_EINVAL);
    rmtmp();
}

/* ---- the JSONL rules ------------------------------------------------ */

TEST(reader_jsonl_duplicate_keys_refused)
{
    rec_copy v[4];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl",
              "{\"id\":\"1\",\"text\":\"a\",\"id\":\"2\"}\n"
              "{\"id\":\"3\",\"text\":\"b\",\"m\":{\"x\":1,\"x\":2}}\n"
              "{\"id\":\"4\",\"text\":\"c\"}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_EJSON);
    CHECK(strncmp(v[0].bare, "duplicate key at byte ", 22) == 0);
    CHECK_EQ(v[0].line, 1);
    CHECK_EQ(v[1].rc, DP_EJSON); /* nested objects too */
    CHECK_EQ(v[1].line, 2);
    CHECK_EQ(v[2].rc, DP_OK);
    rmtmp();
}

TEST(reader_jsonl_big_integer_ids)
{
    rec_copy v[6];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file(
        "c.jsonl",
        "{\"id\": 123456789012345678901234567890, \"text\": \"a\"}\n"
        "{\"id\": -9223372036854775808, \"text\": \"b\"}\n"
        "{\"id\": \"123456789012345678901234567890\", \"text\": \"c\"}\n"
        "{\"id\": 1e3, \"text\": \"d\"}\n"
        "{\"id\": \"e\", \"text\": \"e\", \"n\": 99999999999999999999}\n");
    r = open1(tp("c.jsonl"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 6);
    dp_reader_free(r);
    REQUIRE(n == 5);
    CHECK_EQ(v[0].rc, DP_EFIELD);
    CHECK(strstr(v[0].bare, "beyond the 64-bit range") != NULL);
    CHECK_EQ(v[1].rc, DP_OK);
    CHECK_STR(v[1].id, "-9223372036854775808");
    CHECK_EQ(v[2].rc, DP_OK); /* as a string the digits are kept */
    CHECK_STR(v[2].id, "123456789012345678901234567890");
    CHECK_EQ(v[3].rc, DP_EFIELD);
    CHECK(strstr(v[3].bare, "a real number") != NULL);
    CHECK_EQ(v[4].rc, DP_OK); /* a big integer elsewhere is kept */
    rmtmp();
}

TEST(reader_jsonl_text_field_errors_name_the_field)
{
    rec_copy v[4];
    dp_reader_opts o;
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.jsonl", "{\"id\":\"1\"}\n{\"id\":\"2\",\"body\":null}\n"
                         "{\"id\":\"3\",\"body\":[\"x\"]}\n");
    dp_reader_opts_init(&o);
    o.text_field = "body";
    r = open1(tp("c.jsonl"), &o);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_EFIELD);
    CHECK_STR(v[0].bare, "no \"body\" (text) field");
    CHECK_EQ(v[1].rc, DP_EFIELD);
    CHECK_STR(v[1].bare, "the \"body\" (text) field is null, not a string");
    CHECK_EQ(v[2].rc, DP_EFIELD);
    CHECK(strstr(v[2].bare, "an array") != NULL);
    CHECK_EQ(v[0].err_offset, (size_t)-1);
    rmtmp();
}

TEST(reader_jsonl_replace_repairs_line)
{
    dp_reader_opts o;
    dp_reader *r;
    dp_record rec;
    dp_error err;
    const char *in =
        "{\"id\":\"1\",\"text\":\"caf\xe9 au lait\",\"t\":\"\xff\xfe\"}\n"
        "{\"id\":\"2\",\"text\":\"fine\"}\n";

    dp_reader_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    o.keep_meta = 1;
    REQUIRE(dp_reader_open_memory(in, strlen(in), "m", &o, &r, NULL) == DP_OK);
    REQUIRE(dp_reader_next(r, &rec, &err) == DP_OK);
    CHECK_MEM(rec.text, rec.text_len, "caf\xef\xbf\xbd au lait");
    CHECK_STR(dp_reader_field(r, "t", NULL), "\xef\xbf\xbd"); /* one run */
    CHECK_MEM(rec.raw, rec.raw_len,
              "{\"id\":\"1\",\"text\":\"caf\xe9 au lait\",\"t\":\"\xff\xfe\"}");
    CHECK_STR(rec.meta, "{\"t\":\"\xef\xbf\xbd\"}");
    REQUIRE(dp_reader_next(r, &rec, &err) == DP_OK);
    CHECK_STR(rec.id, "2");
    CHECK(rec.meta == NULL);
    dp_reader_free(r);
}

TEST(reader_jsonl_meta_keeps_other_fields_in_order)
{
    dp_reader_opts o;
    dp_reader *r;
    dp_record rec;
    const char *in =
        "{\"z\":1,\"id\":7,\"nested\":{\"a\":[1,2]},\"text\":\"t\","
        "\"date\":\"2020\"}\n";

    dp_reader_opts_init(&o);
    o.keep_meta = 1;
    REQUIRE(dp_reader_open_memory(in, strlen(in), "m", &o, &r, NULL) == DP_OK);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_STR(rec.id, "7");
    CHECK_STR(rec.meta, "{\"z\":1,\"nested\":{\"a\":[1,2]},\"date\":\"2020\"}");
    CHECK_EQ(rec.meta_len, strlen(rec.meta));
    CHECK_STR(rec.date, "2020");
    dp_reader_free(r);
    o.keep_meta = 0;
    REQUIRE(dp_reader_open_memory(in, strlen(in), "m", &o, &r, NULL) == DP_OK);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK(rec.meta == NULL);
    dp_reader_free(r);
}

TEST(reader_json_document_object_or_array)
{
    dp_reader_opts o;
    dp_reader *r;
    rec_copy v[5];
    size_t n;
    const char *arr = "[{\"id\":\"a\",\"text\":\"x\"},\n 5,\n"
                      " {\"id\":\"c\",\"text\":\"z\",\"k\":\"v\"}]";
    const char *one = "{\n  \"id\": 1,\n  \"text\": \"pretty\"\n}\n";

    dp_reader_opts_init(&o);
    o.stdin_format = DP_FORMAT_JSON;
    REQUIRE(dp_reader_open_memory(arr, strlen(arr), "b", &o, &r, NULL) ==
            DP_OK);
    n = read_all(r, v, 5);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_STR(v[0].id, "a");
    CHECK_EQ(v[0].line, 1);
    CHECK_EQ(v[1].rc, DP_EJSON);
    CHECK_EQ(v[1].line, 2);
    CHECK_STR(v[2].id, "c");
    CHECK_EQ(v[2].line, 3);
    REQUIRE(dp_reader_open_memory(one, strlen(one), "b", &o, &r, NULL) ==
            DP_OK);
    n = read_all(r, v, 5);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "1");
    CHECK_STR(v[0].text, "pretty");
}

/* ---- CSV and TSV ---------------------------------------------------- */

TEST(reader_csv_header_quotes_and_lines)
{
    rec_copy v[8];
    dp_reader_opts o;
    dp_reader *r;
    dp_record rec;
    size_t n;
    const char *csv = "id,title,text,date\r\n"
                      "a1,\"Hello, world\",plain text,2020-01-02\r\n"
                      "\r\n"
                      "a2,T2,\"two\nlines, \"\"quoted\"\"\",\n"
                      "a3,T3,last,";

    REQUIRE(mktmp());
    puts_file("c.csv", csv);
    r = open1(tp("c.csv"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 8);
    dp_reader_free(r);
    REQUIRE(n == 3);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_STR(v[0].id, "a1");
    CHECK_STR(v[0].text, "plain text");
    CHECK_STR(v[0].date, "2020-01-02");
    CHECK_EQ(v[0].line, 2);
    CHECK(!v[0].has_raw);
    CHECK_STR(v[1].id, "a2");
    CHECK_STR(v[1].text, "two\nlines, \"quoted\"");
    CHECK_EQ(v[1].line, 4);
    CHECK_STR(v[2].id, "a3");
    CHECK_STR(v[2].text, "last");
    CHECK_EQ(v[2].line, 6); /* after a two-line record */

    /* Metadata and fields by name. */
    dp_reader_opts_init(&o);
    o.keep_meta = 1;
    r = open1(tp("c.csv"), &o);
    REQUIRE(r);
    REQUIRE(dp_reader_next(r, &rec, NULL) == DP_OK);
    CHECK_STR(rec.meta, "{\"title\":\"Hello, world\",\"date\":\"2020-01-02\"}");
    CHECK_STR(dp_reader_field(r, "title", NULL), "Hello, world");
    CHECK(dp_reader_field(r, "nope", NULL) == NULL);
    dp_reader_free(r);
    rmtmp();
}

TEST(reader_csv_missing_text_column)
{
    rec_copy v[4];
    dp_reader *r;
    const char *p[2];
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.csv", "id,body\n1,x\n2,y\n");
    puts_file("d.jsonl", "{\"id\":\"ok\",\"text\":\"after\"}\n");
    p[0] = tp("c.csv");
    p[1] = tp("d.jsonl");
    REQUIRE(dp_reader_open(p, 2, NULL, &r, NULL) == DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 2); /* one error for the file, never one document */
    CHECK_EQ(v[0].rc, DP_EFIELD);
    CHECK_STR(v[0].source, tp("c.csv"));
    CHECK_EQ(v[0].line, 1);
    CHECK(strstr(v[0].bare, "no \"text\" (text) column") != NULL);
    CHECK_STR(v[1].id, "ok");
    rmtmp();
}

TEST(reader_csv_malformed_quotes_go_on)
{
    rec_copy v[8];
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.csv", "id,text\n"
                       "1,ok\n"
                       "2,bad \"quote\" here\n"
                       "3,\"closed\"junk\n"
                       "4,fine\n"
                       "5,three,fields\n"
                       ",empty id\n"
                       "6,\"never closed\n");
    r = open1(tp("c.csv"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 8);
    dp_reader_free(r);
    REQUIRE(n == 7);
    CHECK_EQ(v[0].rc, DP_OK);
    CHECK_EQ(v[1].rc, DP_EJSON);
    CHECK_EQ(v[1].line, 3);
    CHECK(strncmp(v[1].bare, "malformed CSV at byte ", 22) == 0);
    CHECK(v[1].err_offset >= 13 && v[1].err_offset < 31);
    CHECK_EQ(v[2].rc, DP_EJSON);
    CHECK_EQ(v[2].line, 4);
    CHECK_EQ(v[3].rc, DP_OK);
    CHECK_STR(v[3].id, "4");
    CHECK_EQ(v[3].line, 5);
    CHECK_EQ(v[4].rc, DP_EFIELD);
    CHECK_EQ(v[4].line, 6);
    CHECK_EQ(v[5].rc, DP_EFIELD);
    CHECK_EQ(v[5].line, 7);
    CHECK_EQ(v[6].rc, DP_EJSON); /* unclosed at the end */
    CHECK_EQ(v[6].line, 8);
    rmtmp();
}

TEST(reader_tsv_and_explicit_format)
{
    rec_copy v[4];
    dp_reader_opts o;
    dp_reader *r;
    size_t n;

    REQUIRE(mktmp());
    puts_file("c.tsv", "text\tid\n  a, b \t1\n");
    puts_file("c.dat", "id,text\n9,nine\n");
    r = open1(tp("c.tsv"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "1");
    CHECK_STR(v[0].text, "a, b");
    dp_reader_opts_init(&o);
    o.format = DP_FORMAT_CSV;
    r = open1(tp("c.dat"), &o);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "9");
    /* gzip'd CSV */
    put_gz("g.csv.gz", "id,text\ng1,zipped\n", "wb");
    r = open1(tp("g.csv.gz"), NULL);
    REQUIRE(r);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].text, "zipped");
    rmtmp();
}

TEST(reader_threads_location_after_errors)
{
    static rec_copy a[3000], b[3000];
    dp_reader_opts o;
    dp_reader *r;
    size_t na, nb, i;
    char *big;
    size_t at = 0;

    REQUIRE(mktmp());
    big = malloc(4u << 20);
    REQUIRE(big);
    /* Over two batches: good lines, bad lines of every kind. */
    for (i = 0; i < 2500; i++) {
        switch (i % 7) {
        case 3: at += (size_t)sprintf(big + at, "{\"id\":\"%zu\"}\n", i); break;
        case 5: at += (size_t)sprintf(big + at, "{bad %zu\n", i); break;
        case 6:
            at += (size_t)sprintf(big + at,
                                  "{\"id\":\"%zu\",\"text\":\"\xe9\"}\n", i);
            break;
        default:
            at += (size_t)sprintf(
                big + at, "{\"id\":\"%zu\",\"text\":\"t %zu\"}\n", i, i);
        }
    }
    put("c.jsonl", big, at);
    put("d.csv", "id,text\n1,\"x\"y\n2,z\n", 19);
    {
        const char *p[2];
        p[0] = tp("c.jsonl");
        p[1] = tp("d.csv");
        dp_reader_opts_init(&o);
        REQUIRE(dp_reader_open(p, 2, &o, &r, NULL) == DP_OK);
        na = read_all(r, a, 3000);
        dp_reader_free(r);
        o.threads = 3;
        REQUIRE(dp_reader_open(p, 2, &o, &r, NULL) == DP_OK);
        nb = read_all(r, b, 3000);
        dp_reader_free(r);
    }
    REQUIRE(na == 2502);
    REQUIRE(nb == na);
    for (i = 0; i < na; i++) {
        CHECK_EQ(a[i].rc, b[i].rc);
        CHECK_EQ(a[i].line, b[i].line);
        CHECK_STR(a[i].source, b[i].source);
        CHECK_STR(a[i].msg, b[i].msg);
        CHECK_EQ(a[i].err_offset, b[i].err_offset);
        if (i < 2500)
            CHECK_EQ(a[i].line, i + 1);
    }
    CHECK_EQ(b[3].rc, DP_EFIELD);
    CHECK_EQ(b[6].rc, DP_EUTF8);
    CHECK_EQ(b[2500].rc, DP_EJSON);
    CHECK_EQ(b[2500].line, 2);
    CHECK(strstr(b[2500].source, "d.csv") != NULL);
    CHECK_STR(b[2501].id, "2");
    CHECK_EQ(b[2501].line, 3);
    free(big);
    rmtmp();
}

TEST(reader_file_read_decompresses)
{
    char *buf = NULL;
    size_t len = 0;
    dp_error err;

    REQUIRE(mktmp());
    put_gz("a.txt.gz", "\xEF\xBB\xBFzipped words\n", "wb");
    put_zst("b.txt.zst", "zstd words");
    puts_file("c.txt.gz", "not gzip");
    REQUIRE(dp_file_read(tp("a.txt.gz"), &buf, &len, 1000, &err) == DP_OK);
    CHECK_MEM(buf, len, "\xEF\xBB\xBFzipped words\n"); /* BOM kept */
    dp_free(buf);
    REQUIRE(dp_file_read(tp("b.txt.zst"), &buf, &len, 1000, &err) == DP_OK);
    CHECK_MEM(buf, len, "zstd words");
    dp_free(buf);
    CHECK_EQ(dp_file_read(tp("c.txt.gz"), &buf, &len, 1000, &err),
             DP_ECOMPRESS);
    CHECK(buf == NULL);
    CHECK_EQ(dp_file_read(tp("b.txt.zst"), &buf, &len, 4, &err), DP_ETOOBIG);
    CHECK_EQ(dp_file_read(tp("missing"), &buf, &len, 4, &err), DP_ENOENT);
    CHECK_EQ(dp_file_read(tmpdir, &buf, &len, 4, &err), DP_EISDIR);
    rmtmp();
}

TEST(reader_csv_sniffed_on_stdin_and_memory)
{
    rec_copy v[4];
    dp_reader *r;
    size_t n;
    const char *csv = "\"id\",title,text\n1,T,hello there\n";
    const char *tsv = "\n\nid\ttext\n2\tworld\n";
    const char *txt = "id, text and more: just prose\n";

    REQUIRE(dp_reader_open_memory(csv, strlen(csv), "m", NULL, &r, NULL) ==
            DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "1");
    CHECK_STR(v[0].text, "hello there");
    REQUIRE(dp_reader_open_memory(tsv, strlen(tsv), "m", NULL, &r, NULL) ==
            DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "2");
    CHECK_EQ(v[0].line, 4);
    REQUIRE(dp_reader_open_memory(txt, strlen(txt), "m", NULL, &r, NULL) ==
            DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n == 1);
    CHECK_STR(v[0].id, "m"); /* prose: one plain-text document */
}

TEST(reader_csv_unclosed_quote_is_capped)
{
    rec_copy v[4];
    dp_reader_opts o;
    dp_reader *r;
    size_t n, i, at = 0;
    char *big = malloc(400000);

    REQUIRE(big);
    at += (size_t)sprintf(big, "id,text\n1,\"never closed\n");
    for (i = 0; i < 10000; i++)
        at += (size_t)sprintf(big + at, "line %zu of the open field\n", i);
    dp_reader_opts_init(&o);
    o.max_record_bytes = 4096;
    o.stdin_format = DP_FORMAT_CSV;
    REQUIRE(dp_reader_open_memory(big, at, "m", &o, &r, NULL) == DP_OK);
    n = read_all(r, v, 4);
    dp_reader_free(r);
    REQUIRE(n >= 1);
    CHECK_EQ(v[0].rc, DP_ETOOBIG);
    CHECK_EQ(v[0].line, 2); /* where the record began */
    CHECK(strstr(v[0].bare, "4096-byte limit") != NULL);
    free(big);
}
