/*
 * fuzz_csv.c - libFuzzer target for the corpus reader's CSV and TSV
 * records (libcsv underneath) through dp_reader_open_memory().
 *
 * Each input is read as CSV and as TSV, with the default field names and
 * with a tiny record cap and other names, under DP_UTF8_REJECT and
 * DP_UTF8_REPLACE with metadata, each serially and with parse-ahead
 * threads, which must give the very same stream (a hash of every record,
 * message and location is compared). Beyond "no crash", it checks what
 * callers rely on: every record has a non-empty NUL-terminated id without
 * NUL inside, a NUL-terminated text, a line number that strictly
 * increases and equals dp_reader_line(), metadata that is valid JSON text
 * of the stated length; errors have a message that does not start with
 * the input's name; the stream ends with DP_EOF and stays there.
 */
#include <jansson.h>
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

/* Check one record and fold it into @h. */
static uint64_t check_record(dp_reader *r, const dp_record *rec, uint64_t h,
                             uint64_t *last)
{
    const char *t = dp_reader_field(r, "title", NULL);
    INVARIANT(rec->id && rec->id_len > 0 && strlen(rec->id) == rec->id_len);
    INVARIANT(rec->text && rec->text[rec->text_len] == '\0');
    INVARIANT(rec->raw == NULL);
    INVARIANT(rec->line > *last && dp_reader_line(r) == rec->line);
    *last = rec->line;
    if (rec->meta) {
        json_t *j = json_loadb(rec->meta, rec->meta_len, 0, NULL);
        INVARIANT(strlen(rec->meta) == rec->meta_len);
        INVARIANT(json_is_object(j));
        json_decref(j);
    }
    h = mix(h, rec->id, rec->id_len);
    h = mix(h, rec->text, rec->text_len);
    h = mix(h, rec->date ? rec->date : "", rec->date_len);
    h = mix(h, rec->meta ? rec->meta : "", rec->meta_len);
    h = mix(h, &rec->offset, sizeof rec->offset);
    return mix(h, t ? t : "", t ? strlen(t) : 0);
}

/* Read everything; return a hash of the whole stream. */
static uint64_t read_all(const uint8_t *data, size_t size,
                         const dp_reader_opts *o)
{
    uint64_t h = 14695981039346656037ull, last = 0;
    dp_reader *r = NULL;
    dp_record rec;
    dp_error err;
    dp_status rc;
    size_t calls = 0;

    INVARIANT(dp_reader_open_memory(data, size, "fuzz", o, &r, &err) == DP_OK);
    while ((rc = dp_reader_next(r, &rec, &err)) != DP_EOF) {
        uint64_t l = dp_reader_line(r);
        INVARIANT(++calls < 50000000);
        INVARIANT(strcmp(dp_reader_path(r), "fuzz") == 0);
        h = mix(h, &rc, sizeof rc);
        h = mix(h, &l, sizeof l);
        if (rc == DP_OK) {
            h = check_record(r, &rec, h, &last);
            continue;
        }
        INVARIANT(rec.id == NULL && rec.text == NULL);
        INVARIANT(err.code == rc && err.message[0] != '\0');
        INVARIANT(strncmp(err.message, "fuzz", 4) != 0);
        INVARIANT(rc == DP_EJSON || rc == DP_EFIELD || rc == DP_EUTF8 ||
                  rc == DP_ETOOBIG || rc == DP_ECOMPRESS);
        h = mix(h, err.message, strlen(err.message));
        h = mix(h, &err.offset, sizeof err.offset);
    }
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_reader_opts o;
    int f;

    for (f = 0; f < 2; f++) {
        dp_reader_opts_init(&o);
        o.stdin_format = f ? DP_FORMAT_TSV : DP_FORMAT_CSV;
        read_both(data, size, &o);
        o.max_record_bytes = 64;
        o.id_field = "i";
        o.text_field = "t";
        o.date_field = "d";
        o.utf8 = DP_UTF8_REPLACE;
        o.keep_meta = 1;
        read_both(data, size, &o);
    }
    return 0;
}
