/*
 * doc.c - dp_doc_create() and the public accessors of a document.
 *
 * dp_doc_create_in() checks the input (size, NUL bytes, UTF-8), keeps a
 * copy of the original bytes, then runs the stages of text.h in order:
 * normalise (with the offset map), tokenize, content terms (stopwords and
 * stems), sentences. Every array it builds belongs to the document and is
 * freed by dp_doc_free(). A finished document is never modified, so it may
 * be read from many threads at once. The stemmer and scratch come from a
 * work context (work.h); dp_doc_create() makes one for the call.
 * dpi_work_tokens() is the token-only pass of the sketch path, into the
 * work context's scratch document.
 *
 * Checks, in order: DP_EINVAL for bad arguments, DP_ETOOBIG past
 * DP_MAX_DOC_BYTES, DP_EBINARY at the first NUL byte (unless
 * allow_binary), DP_EUTF8 at the first invalid byte (under
 * DP_UTF8_REJECT), DP_ESTEM for an unknown language. Empty or wordless text is
 * not an error.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/util.h"
#include "text/text.h"
#include "text/work.h"

void dpi_text_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a, e;
    if (!p || bytes < ((size_t)2 << 20))
        return;
    a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    DP_UNUSED(p);
    DP_UNUSED(bytes);
#endif
}

void dp_text_opts_init(dp_text_opts *opts)
{
    if (!opts)
        return;
    opts->utf8 = DP_UTF8_REJECT;
    opts->language = "english";
    opts->allow_binary = 0;
}

void dp_doc_free(dp_doc *doc)
{
    if (!doc)
        return;
    free(doc->orig_buf);
    free(doc->norm);
    free(doc->map);
    free(doc->toks);
    free(doc->sents);
    free(doc);
}

/* The checks every document passes before the pipeline runs. */
static dp_status check_input(const char *text, size_t len,
                             const dp_text_opts *opts, dp_error *err)
{
    const char *nul;

    if (opts->utf8 != DP_UTF8_REJECT && opts->utf8 != DP_UTF8_REPLACE)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "unknown UTF-8 mode %d", (int)opts->utf8);
    if (len > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_ETOOBIG, (size_t)-1,
                             "document of %zu bytes is larger than the limit "
                             "of %zu bytes",
                             len, DP_MAX_DOC_BYTES);
    if (!opts->allow_binary && len > 0 &&
        (nul = memchr(text, '\0', len)) != NULL) {
        size_t off = (size_t)(nul - text);
        return dpi_error_set(err, DP_EBINARY, off,
                             "NUL byte at byte %zu: the input looks binary, "
                             "not text",
                             off);
    }
    if (opts->utf8 == DP_UTF8_REJECT) {
        size_t bad = dpi_utf8_validate((const uint8_t *)text, len);
        if (bad < len)
            return dpi_error_set(err, DP_EUTF8, bad,
                                 "invalid UTF-8 at byte %zu (0x%02X)", bad,
                                 (unsigned)(unsigned char)text[bad]);
    }
    return DP_OK;
}

/* Normalise and tokenize doc->orig into @doc's (possibly reused) arrays. */
static dp_status run_tokens(dp_doc *doc, dp_work *w, dp_error *err)
{
    dp_status rc;

    if (!w->norm && dpi_norm_scratch_create(&w->norm))
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    rc = dpi_norm_run(doc, w->norm, err);
    if (rc)
        return rc;
    rc = dpi_tok_run(doc);
    if (rc == DP_ENOMEM)
        return dpi_error_set(err, rc, (size_t)-1, "out of memory");
    if (rc)
        return dpi_error_set(err, rc, (size_t)-1,
                             "document too large: %zu tokens", doc->ntoks);
    return DP_OK;
}

dp_status dp_doc_create_in(dp_work *w, const char *text, size_t len,
                           const dp_text_opts *opts, dp_doc **out,
                           dp_error *err)
{
    dp_text_opts defaults;
    dp_stemmer *st;
    dp_doc *doc;
    dp_status rc;

    if (out)
        *out = NULL;
    if (!w || !out || (!text && len > 0))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "dp_doc_create: NULL argument");
    if (!opts) {
        dp_text_opts_init(&defaults);
        opts = &defaults;
    }
    if ((rc = check_input(text, len, opts, err)) != DP_OK)
        return rc;
    if ((rc = dpi_work_stemmer(w, opts->language, &st, err)) != DP_OK)
        return rc;

    doc = calloc(1, sizeof *doc);
    if (!doc || !(doc->orig_buf = malloc(len + 1))) {
        free(doc);
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    }
    dpi_text_advise_huge(doc->orig_buf, len + 1);
    if (len)
        memcpy(doc->orig_buf, text, len);
    doc->orig_buf[len] = '\0';
    doc->orig = doc->orig_buf;
    doc->orig_len = len;

    rc = run_tokens(doc, w, err);
    if (!rc)
        rc = dpi_stem_terms(st, doc);
    if (!rc)
        rc = dpi_sent_run(doc);
    if (rc) {
        if (rc == DP_ENOMEM)
            dpi_error_set(err, rc, (size_t)-1, "out of memory");
        else if (rc == DP_ETOOBIG)
            dpi_error_set(err, rc, (size_t)-1, "document too large: %zu tokens",
                          doc->ntoks);
        dp_doc_free(doc);
        return rc;
    }
    *out = doc;
    return DP_OK;
}

dp_status dp_doc_create(const char *text, size_t len, const dp_text_opts *opts,
                        dp_doc **out, dp_error *err)
{
    dp_work *w = NULL;
    dp_status rc;

    if (out)
        *out = NULL;
    if (dp_work_create(&w))
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    rc = dp_doc_create_in(w, text, len, opts, out, err);
    dp_work_free(w);
    return rc;
}

dp_status dpi_work_tokens(dp_work *w, const char *text, size_t len,
                          const dp_text_opts *opts, const dp_doc **out,
                          dp_error *err)
{
    dp_text_opts defaults;
    dp_doc *doc = &w->doc;
    dp_status rc;

    *out = NULL;
    if (!text && len > 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL text");
    if (!opts) {
        dp_text_opts_init(&defaults);
        opts = &defaults;
    }
    if ((rc = check_input(text, len, opts, err)) != DP_OK)
        return rc;
    doc->orig = len ? text : "";
    doc->orig_len = len;
    doc->replaced = 0;
    doc->ntoks = doc->nsents = 0;
    rc = run_tokens(doc, w, err);
    if (rc)
        return rc;
    *out = doc;
    return DP_OK;
}

const char *dp_doc_text(const dp_doc *doc, size_t *len)
{
    if (!doc) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = doc->orig_len;
    return doc->orig;
}

const char *dp_doc_normalised(const dp_doc *doc, size_t *len)
{
    if (!doc) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = doc->norm_len;
    return doc->norm;
}

size_t dp_doc_orig_offset(const dp_doc *doc, size_t norm_off)
{
    if (!doc)
        return 0;
    if (norm_off >= doc->norm_len)
        return doc->orig_len;
    return doc->map[norm_off];
}

size_t dp_doc_replaced(const dp_doc *doc)
{
    return doc ? doc->replaced : 0;
}

size_t dp_doc_words(const dp_doc *doc)
{
    return doc ? doc->ntoks : 0;
}

dp_status dp_doc_token(const dp_doc *doc, size_t i, dp_token *out)
{
    const dp_tok *t;

    if (!doc || !out || i >= doc->ntoks)
        return DP_EINVAL;
    t = &doc->toks[i];
    out->span.start = t->start;
    out->span.end = t->end;
    out->hash = t->hash;
    out->term = t->term;
    out->flags = t->flags;
    return DP_OK;
}

size_t dp_doc_sentences(const dp_doc *doc)
{
    return doc ? doc->nsents : 0;
}

dp_status dp_doc_sentence(const dp_doc *doc, size_t i, dp_span *span,
                          size_t *tok_begin, size_t *tok_end)
{
    const dp_sent *s;

    if (!doc || i >= doc->nsents)
        return DP_EINVAL;
    s = &doc->sents[i];
    if (span) {
        span->start = s->start;
        span->end = s->end;
    }
    if (tok_begin)
        *tok_begin = s->tok_begin;
    if (tok_end)
        *tok_end = s->tok_end;
    return DP_OK;
}
