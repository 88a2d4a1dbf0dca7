/*
 * work.c - the per-thread work context (work.h): create, free, and the
 * stemmer it keeps for the language last asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "text/work.h"

dp_status dp_work_create(dp_work **out)
{
    if (!out)
        return DP_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? DP_OK : DP_ENOMEM;
}

void dp_work_free(dp_work *w)
{
    if (!w)
        return;
    dpi_stem_close(w->stem);
    dpi_norm_scratch_free(w->norm);
    /* The scratch document's orig is borrowed; its arrays are ours. */
    free(w->doc.norm);
    free(w->doc.map);
    free(w->doc.toks);
    free(w->doc.sents);
    free(w->hashes);
    free(w->shingles);
    free(w);
}

dp_status dpi_work_stemmer(dp_work *w, const char *language, dp_stemmer **out,
                           dp_error *err)
{
    dp_status rc;

    if (!language)
        language = "english";
    if (w->stem && strcmp(dpi_stem_language(w->stem), language) == 0) {
        *out = w->stem;
        return DP_OK;
    }
    dpi_stem_close(w->stem);
    w->stem = NULL;
    rc = dpi_stem_open(language, &w->stem, err);
    *out = w->stem;
    return rc;
}
