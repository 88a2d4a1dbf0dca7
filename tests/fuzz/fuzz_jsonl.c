/*
 * fuzz_jsonl.c - libFuzzer target for the corpus reader (JSONL lines,
 * plain text, BOM, CRLF, the size cap, gzip and zstd decoding) through
 * dp_reader_open_memory().
 *
 * Each input is read with the defaults (format detected from the first
 * non-space byte, compression from magic bytes), as JSONL with a tiny
 * record cap and other field names, and as plain text; the first two also
 * with parse-ahead threads, which must give the very same stream (a hash
 * of every record, error message and location is compared). Beyond "no
 * crash", it checks the invariants callers rely on: every record has a
 * non-empty NUL-terminated id and a NUL-terminated text whose lengths
 * match, JSONL records have their raw line, line numbers strictly
 * increase, errors carry a line and a message naming the input, and the
 * stream always ends with DP_EOF (and stays there). Inputs are also read
 * under DP_UTF8_REPLACE with metadata, and as one whole JSON document
 * (DP_FORMAT_JSON, as request bodies are); error messages never start
 * with the input's name (the caller adds the location).
 */
#include <stdlib.h>
#include <string.h>

#include "doppel.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

/* Read everything; return a hash of the whole stream. */
static uint64_t read_all(const uint8_t *data, size_t size,
                         const dp_reader_opts *o)
{
    uint64_t h = 14695981039346656037ull;
    dp_reader *r = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    uint64_t last = 0;
    size_t calls = 0, texts = 0;

    INVARIANT(dp_reader_open_memory(data, size, "fuzz", o, &r, &err) == DP_OK);
    for (;;) {
        rc = dp_reader_next(r, &rec, &err);
        /* Each call uses up at least one line of the decompressed input;
         * a gzip or zstd bomb from 8 KiB stays well under this. */
        INVARIANT(++calls < 50000000);
        if (rc == DP_EOF)
            break;
        INVARIANT(strncmp(dp_reader_path(r), "fuzz", 4) == 0);
        {
            uint64_t l = dp_reader_line(r);
            h = mix(h, &rc, sizeof rc);
            h = mix(h, &l, sizeof l);
        }
        if (rc == DP_OK) {
            const char *t = dp_reader_field(r, "title", NULL);
            h = mix(h, rec.id, rec.id_len);
            h = mix(h, rec.text, rec.text_len);
            h = mix(h, rec.raw ? rec.raw : "", rec.raw_len);
            h = mix(h, rec.date ? rec.date : "", rec.date_len);
            h = mix(h, &rec.offset, sizeof rec.offset);
            h = mix(h, t ? t : "", t ? strlen(t) : 0);
            INVARIANT(rec.id && rec.id_len > 0);
            INVARIANT(strlen(rec.id) == rec.id_len);
            INVARIANT(rec.text && rec.text[rec.text_len] == '\0');
            INVARIANT(rec.source && strcmp(rec.source, "fuzz") == 0);
            INVARIANT(rec.line > last);
            INVARIANT(dp_reader_line(r) == rec.line);
            last = rec.line;
            if (rec.raw) {
                INVARIANT(strlen(rec.text) == rec.text_len);
                INVARIANT(rec.raw_len > 0 && rec.raw[rec.raw_len] == '\0');
                INVARIANT(rec.raw_len <= o->max_record_bytes ||
                          !o->max_record_bytes);
                INVARIANT(!rec.date || strlen(rec.date) == rec.date_len);
            } else if (o->stdin_format == DP_FORMAT_JSON) {
                INVARIANT(strlen(rec.text) == rec.text_len);
            } else {
                INVARIANT(rec.line == 1 && ++texts == 1);
                INVARIANT(!rec.date);
            }
            INVARIANT(!rec.meta || strlen(rec.meta) == rec.meta_len);
            continue;
        }
        INVARIANT(rec.id == NULL && rec.text == NULL && rec.raw == NULL);
        INVARIANT(err.code == rc);
        h = mix(h, err.message, strlen(err.message));
        h = mix(h, &err.offset, sizeof err.offset);
        /* Messages say what is wrong, never where (no path prefix). */
        INVARIANT(strncmp(err.message, "fuzz", 4) != 0);
        INVARIANT(err.message[0] != '\0');
        INVARIANT(rc == DP_EJSON || rc == DP_EFIELD || rc == DP_EUTF8 ||
                  rc == DP_EBINARY || rc == DP_ETOOBIG || rc == DP_ECOMPRESS);
        if (dp_reader_line(r) > 0) {
            INVARIANT(dp_reader_line(r) > last ||
                      (rc == DP_EUTF8 && last == 0));
            last = dp_reader_line(r);
        }
    }
    INVARIANT(rec.id == NULL);
    INVARIANT(dp_reader_next(r, &rec, &err) == DP_EOF);
    dp_reader_free(r);
    return h;
}

/* Serial and parse-ahead reading must agree exactly. */
static void read_both(const uint8_t *data, size_t size, dp_reader_opts *o)
{
    uint64_t serial, ahead;
    o->threads = 1;
    serial = read_all(data, size, o);
    o->threads = 2;
    ahead = read_all(data, size, o);
    INVARIANT(serial == ahead);
    o->threads = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_reader_opts o;

    dp_reader_opts_init(&o);
    read_both(data, size, &o);

    o.stdin_format = DP_FORMAT_JSONL;
    o.max_record_bytes = 64;
    o.id_field = "i";
    o.text_field = "t";
    o.date_field = "d";
    read_both(data, size, &o);

    o.utf8 = DP_UTF8_REPLACE; /* lines repaired before parsing */
    o.keep_meta = 1;
    read_both(data, size, &o);

    o.stdin_format = DP_FORMAT_JSON; /* the whole input one document */
    o.max_record_bytes = 0;
    read_both(data, size, &o);

    o.stdin_format = DP_FORMAT_TEXT;
    read_all(data, size, &o);
    return 0;
}
