/*
 * fuzz_stories.c - libFuzzer target for the stories engine and its date
 * parser (docs/stories.md).
 *
 * The input's first line is parsed as a date field (dpi_date_parse: a day
 * it accepts prints as YYYY-MM-DD and parses back to the same day); the
 * rest is split at blank lines into up to 16 documents (invalid UTF-8
 * repaired), each given the first line as its date. dp_stories_run must
 * succeed and put every added document in exactly one cluster whose
 * members are in range, and explaining any pair must succeed with a
 * score in [0, 1].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "story/stories.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Long because it is the whole target: date round trip, documents, run,
 * and the invariants of the clusters and the explanations. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *nl;
    dp_stories_opts o;
    dp_stories *s = NULL;
    dp_stories_doc d[16];
    char ids[16][8];
    size_t n = 0, i, c, seen = 0;
    int32_t day;

    nl = memchr(p, '\n', size);
    if (!nl)
        nl = end;
    if (dpi_date_parse(p, (size_t)(nl - p), &day) == 0 && day > -700000 &&
        day < 3000000) {
        char buf[16];
        int32_t again;
        dpi_date_text(day, buf, sizeof buf);
        INVARIANT(dpi_date_parse(buf, strlen(buf), &again) == 0);
        INVARIANT(again == day);
    }
    dp_stories_opts_init(&o);
    o.threads = 2;
    o.text.utf8 = DP_UTF8_REPLACE;
    o.text.allow_binary = 1;
    if (dp_stories_create(&o, &s))
        return 0;
    memset(d, 0, sizeof d);
    for (p = nl < end ? nl + 1 : end; p < end && n < 16;) {
        const char *q = p, *stop = end;
        while (q + 1 < end && !(q[0] == '\n' && q[1] == '\n'))
            q++;
        if (q + 1 < end)
            stop = q;
        snprintf(ids[n], sizeof ids[n], "d%zu", n);
        d[n].id = ids[n];
        d[n].id_len = strlen(ids[n]);
        d[n].text = p;
        d[n].text_len = (size_t)(stop - p);
        d[n].date = (const char *)data;
        d[n].date_len = (size_t)(nl - (const char *)data);
        n++;
        p = stop < end ? stop + 2 : end;
    }
    if (dp_stories_add(s, d, n, NULL) != DP_OK) {
        dp_stories_free(s);
        return 0;
    }
    INVARIANT(dp_stories_run(s) == DP_OK);
    for (c = 0; c < dp_stories_clusters(s); c++) {
        dp_stories_cluster cl;
        INVARIANT(dp_stories_cluster_get(s, c, &cl) == DP_OK);
        INVARIANT(cl.n >= 1 && cl.primary == cl.members[0]);
        for (i = 0; i < cl.n; i++) {
            INVARIANT(cl.members[i] < dp_stories_docs(s));
            INVARIANT(dp_stories_cluster_of(s, cl.members[i]) == (long)c);
        }
        seen += cl.n;
    }
    INVARIANT(seen == dp_stories_docs(s));
    for (i = 0; i + 1 < dp_stories_docs(s); i++) {
        dp_stories_evidence ev;
        INVARIANT(dp_stories_explain(s, i, i + 1, &ev) == DP_OK);
        INVARIANT(ev.score >= 0.0 && ev.score <= 1.0);
        INVARIANT(ev.reason[0] != '\0');
    }
    dp_stories_free(s);
    return 0;
}
