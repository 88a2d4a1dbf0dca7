/*
 * fuzz_jsonl.c - libFuzzer target for the corpus reader (JSONL lines,
 * plain text, BOM, CRLF, the size cap, gzip and zstd decoding) through
 * dp_reader_open_memory().
 *
 * Each input is read twice: with the defaults (format detected from the
 * first non-space byte, compression from magic bytes), and as JSONL with a
 * tiny record cap and other field names. Beyond "no crash", it checks the
 * invariants callers rely on: every record has a non-empty NUL-terminated
 * id and a NUL-terminated text whose lengths match, JSONL records have
 * their raw line, line numbers strictly increase, errors carry a line and
 * a message naming the input, and the stream always ends with DP_EOF (and
 * stays there).
 */
#include <stdlib.h>
#include <string.h>

#include "doppel.h"

#define INVARIANT(c) do { if (!(c)) abort(); } while (0)

static void read_all(const uint8_t *data, size_t size,
                     const dp_reader_opts *o)
{
    dp_reader *r = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    uint64_t last = 0;
    size_t calls = 0, texts = 0;

    INVARIANT(dp_reader_open_memory(data, size, "fuzz", o, &r, &err) ==
              DP_OK);
    for (;;) {
        rc = dp_reader_next(r, &rec, &err);
        /* Each call uses up at least one line of the decompressed input;
         * a gzip or zstd bomb from 8 KiB stays well under this. */
        INVARIANT(++calls < 50000000);
        if (rc == DP_EOF)
            break;
        INVARIANT(strncmp(dp_reader_path(r), "fuzz", 4) == 0);
        if (rc == DP_OK) {
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
            } else {
                INVARIANT(rec.line == 1 && ++texts == 1);
                INVARIANT(!rec.date);
            }
            continue;
        }
        INVARIANT(rec.id == NULL && rec.text == NULL && rec.raw == NULL);
        INVARIANT(err.code == rc);
        INVARIANT(strncmp(err.message, "fuzz:", 5) == 0);
        INVARIANT(rc == DP_EJSON || rc == DP_EFIELD || rc == DP_EUTF8 ||
                  rc == DP_ETOOBIG || rc == DP_ECOMPRESS);
        if (dp_reader_line(r) > 0) {
            INVARIANT(dp_reader_line(r) > last ||
                      (rc == DP_EUTF8 && last == 0));
            last = dp_reader_line(r);
        }
    }
    INVARIANT(rec.id == NULL);
    INVARIANT(dp_reader_next(r, &rec, &err) == DP_EOF);
    dp_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_reader_opts o;

    dp_reader_opts_init(&o);
    read_all(data, size, &o);

    o.stdin_format = DP_FORMAT_JSONL;
    o.max_record_bytes = 64;
    o.id_field = "i";
    o.text_field = "t";
    o.date_field = "d";
    read_all(data, size, &o);

    o.stdin_format = DP_FORMAT_TEXT;
    o.utf8 = DP_UTF8_REPLACE;
    read_all(data, size, &o);
    return 0;
}
