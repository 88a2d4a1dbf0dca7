/* test_index.c - the persistent index (dp_index_*): create/open,
 * parameters, add/re-add/remove/get, queries by text and id, streaming
 * dedup, persistence, map growth and its limit, stored text and passages,
 * agreement with dp_dedup on Reuters, concurrent readers during writes,
 * compaction, and the consistency check (including white-box damage
 * through LMDB itself), plus the record decoder on hostile bytes. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "../test.h"
#include "core/util.h"
#include "dedup/dedup.h"
#include "doppel.h"
#include "index/index_int.h"
#include "index/record.h"

static const char *base =
    "The harbour authority said on Tuesday that the entrance channel would "
    "stay closed until divers had checked it for debris left by the storm, "
    "and that about forty vessels were waiting outside the breakwater for "
    "permission to enter the port before the weekend.";

static const char *other =
    "A completely different text about the price of grain in the northern "
    "provinces and the farmers who grow it, and what the ministry plans to "
    "do about the drought that has cut this year's harvest by a third.";

/* A fresh temporary directory path (not created: the index creates it). */
static char *tmpdir(void)
{
    char tmpl[] = "/tmp/doppel-test-index.XXXXXX";
    char *d = mkdtemp(tmpl), *p;
    if (!d)
        return NULL;
    p = malloc(strlen(d) + 4);
    sprintf(p, "%s/ix", d);
    return p;
}

static void rmtree(char *path)
{
    char cmd[600];
    char *slash;
    if (!path)
        return;
    slash = strrchr(path, '/');
    if (slash)
        *slash = '\0'; /* the mkdtemp parent */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    free(path);
}

static dp_index *create(const char *path, unsigned flags, size_t map)
{
    dp_index_opts o;
    dp_index_params p;
    dp_index *ix = NULL;
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_CREATE;
    o.map_size = map;
    dp_index_params_init(&p);
    p.flags = flags;
    if (dp_index_open(path, &o, &p, &ix, NULL))
        return NULL;
    return ix;
}

static dp_index_doc idoc(const char *id, const char *text, const char *meta)
{
    dp_index_doc d = {id,           strlen(id), text,
                      strlen(text), meta,       meta ? strlen(meta) : 0};
    return d;
}

static dp_status add1(dp_index *ix, const char *id, const char *text)
{
    dp_index_doc d = idoc(id, text, NULL);
    dp_index_add_result *r = NULL;
    dp_status st = dp_index_add(ix, &d, 1, NULL, &r, NULL);
    if (!st && r[0].status)
        st = r[0].status;
    dp_free(r);
    return st;
}

/* "base" with word @i replaced, so near-duplicates differ a little. */
static void variant(char *out, size_t cap, int i)
{
    snprintf(out, cap, "%s", base);
    if (i)
        memcpy(strstr(out, "weekend"), i == 1 ? "holiday" : "sabbath", 7);
}

TEST(index_create_records_parameters_like_dedup)
{
    static const double th[] = {0.5, 0.7, 0.8, 0.9, 0.95, 1.0};
    size_t i;
    for (i = 0; i < sizeof th / sizeof th[0]; i++) {
        char *path = tmpdir();
        dp_index_opts o;
        dp_index_params p, got;
        dp_index *ix = NULL;
        dp_dedup_opts dopt;
        dp_dedup *d = NULL;
        dp_dedup_stats st;
        REQUIRE(path);
        dp_index_opts_init(&o);
        o.flags = DP_INDEX_CREATE | DP_INDEX_EXCL;
        dp_index_params_init(&p);
        p.threshold = th[i];
        REQUIRE(dp_index_open(path, &o, &p, &ix, NULL) == DP_OK);
        dp_index_params_get(ix, &got);
        dp_dedup_opts_init(&dopt);
        dopt.threshold = th[i];
        REQUIRE(dp_dedup_create(&dopt, &d) == DP_OK);
        dp_dedup_stats_get(d, &st);
        CHECK_EQ(got.bands, st.bands);
        CHECK_EQ(got.rows, st.rows);
        CHECK_EQ(got.shingle_k, 5);
        CHECK_EQ(got.perms, 128);
        CHECK_EQ(got.norm_version, DP_NORM_VERSION);
        CHECK_NEAR(got.threshold, th[i], 1e-15);
        if (th[i] == 0.8) {
            CHECK_EQ(got.bands, 18);
            CHECK_EQ(got.rows, 7);
        }
        dp_dedup_free(d);
        dp_index_close(ix);
        /* CREATE|EXCL on an existing index */
        ix = NULL;
        CHECK_EQ(dp_index_open(path, &o, NULL, &ix, NULL), DP_EEXIST);
        CHECK(ix == NULL);
        rmtree(path);
    }
}

TEST(index_open_errors)
{
    char *path = tmpdir();
    dp_index *ix = (dp_index *)1;
    dp_index_opts o;
    dp_index_params p;
    dp_error err;
    FILE *f;
    char file[600];
    REQUIRE(path);
    CHECK_EQ(dp_index_open(path, NULL, NULL, &ix, &err), DP_ENOENT);
    CHECK(ix == NULL);
    CHECK(strstr(err.message, "no such index") != NULL);
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_CREATE;
    dp_index_params_init(&p);
    p.perms = 2000;
    CHECK_EQ(dp_index_open(path, &o, &p, &ix, NULL), DP_EINVAL);
    dp_index_params_init(&p);
    p.bands = 20;
    p.rows = 10;
    CHECK_EQ(dp_index_open(path, &o, &p, &ix, NULL), DP_EINVAL);
    p.bands = 20;
    p.rows = 0;
    CHECK_EQ(dp_index_open(path, &o, &p, &ix, NULL), DP_EINVAL);
    /* a directory with foreign files is not made into an index */
    REQUIRE(mkdir(path, 0777) == 0);
    snprintf(file, sizeof file, "%s/notes.txt", path);
    f = fopen(file, "w");
    REQUIRE(f);
    fputs("hello\n", f);
    fclose(f);
    CHECK_EQ(dp_index_open(path, &o, NULL, &ix, NULL), DP_EEXIST);
    /* a file is not an index */
    CHECK_EQ(dp_index_open(file, &o, NULL, &ix, &err), DP_ECORRUPT);
    CHECK(strstr(err.message, "not a doppel index") != NULL);
    rmtree(path);
}

TEST(index_parameter_mismatch_is_refused)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    dp_index_params p;
    dp_error err;
    REQUIRE(ix);
    dp_index_close(ix);
    ix = NULL;
    dp_index_params_init(&p);
    p.shingle_k = 4;
    CHECK_EQ(dp_index_open(path, NULL, &p, &ix, &err), DP_EMISMATCH);
    CHECK(ix == NULL);
    CHECK(strstr(err.message, "shingle size 5, not 4") != NULL);
    dp_index_params_init(&p);
    p.perms = 64;
    CHECK_EQ(dp_index_open(path, NULL, &p, &ix, &err), DP_EMISMATCH);
    CHECK(strstr(err.message, "128 permutations") != NULL);
    dp_index_params_init(&p);
    p.threshold = 0.9;
    CHECK_EQ(dp_index_open(path, NULL, &p, &ix, &err), DP_EMISMATCH);
    dp_index_params_init(&p);
    p.bands = 16;
    p.rows = 8;
    CHECK_EQ(dp_index_open(path, NULL, &p, &ix, &err), DP_EMISMATCH);
    /* matching (or unset) parameters open */
    dp_index_params_init(&p);
    p.shingle_k = 5;
    p.threshold = 0.8;
    CHECK_EQ(dp_index_open(path, NULL, &p, &ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_norm_version_mismatch_is_refused)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val k = {6, "params"}, v;
    char buf[1024], *pos;
    dp_error err;
    REQUIRE(ix);
    dp_index_close(ix);
    /* rewrite the recorded norm_version behind the library's back */
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 8);
    REQUIRE(mdb_env_open(env, path, 0, 0666) == 0);
    REQUIRE(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    REQUIRE(mdb_get(txn, meta, &k, &v) == 0 && v.mv_size < sizeof buf);
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';
    pos = strstr(buf, "\"norm_version\":1");
    REQUIRE(pos);
    pos[15] = '7';
    v.mv_data = buf;
    REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    ix = NULL;
    CHECK_EQ(dp_index_open(path, NULL, NULL, &ix, &err), DP_EMISMATCH);
    CHECK(strstr(err.message, "normalisation version 7") != NULL);
    CHECK(ix == NULL);
    rmtree(path);
}

TEST(index_add_get_remove)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    dp_index_doc d[2];
    dp_index_add_result *r = NULL;
    dp_index_entry *e = NULL;
    dp_index_stats st;
    REQUIRE(ix);
    d[0] = idoc("a", base, "{\"source\": \"wire\", \"n\": 1}");
    d[1] = idoc("b", other, NULL);
    REQUIRE(dp_index_add(ix, d, 2, NULL, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].status, DP_OK);
    CHECK_EQ(r[1].status, DP_OK);
    CHECK_EQ(r[0].replaced, 0);
    CHECK(r[0].dup_id == NULL);
    dp_free(r);
    REQUIRE(dp_index_get(ix, "a", 1, 1, &e, NULL) == DP_OK);
    CHECK_STR(e->id, "a");
    CHECK_STR(e->meta, "{\"source\": \"wire\", \"n\": 1}");
    CHECK(e->text == NULL); /* no stored text in this index */
    CHECK_EQ(e->words, 43);
    CHECK_EQ(e->seq, 0);
    dp_free(e);
    REQUIRE(dp_index_get(ix, "b", 1, 0, &e, NULL) == DP_OK);
    CHECK(e->meta == NULL);
    CHECK_EQ(e->seq, 1);
    dp_free(e);
    CHECK_EQ(dp_index_get(ix, "c", 1, 0, &e, NULL), DP_ENOTFOUND);
    CHECK(e == NULL);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 2);
    CHECK_EQ(st.band_entries, 2 * 18);
    CHECK_EQ(st.next_seq, 2);
    CHECK(st.file_bytes > 0);
    CHECK_EQ(dp_index_remove(ix, "a", 1, NULL), DP_OK);
    CHECK_EQ(dp_index_remove(ix, "a", 1, NULL), DP_ENOTFOUND);
    CHECK_EQ(dp_index_get(ix, "a", 1, 0, &e, NULL), DP_ENOTFOUND);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 1);
    CHECK_EQ(st.band_entries, 18);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_bad_documents_are_refused_one_by_one)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    char longid[DP_INDEX_MAX_ID + 2];
    dp_index_doc d[8];
    dp_index_add_result *r = NULL;
    dp_index_stats st;
    REQUIRE(ix);
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    d[0] = idoc("ok1", base, NULL);
    d[1] = idoc("", base, NULL);            /* empty id */
    d[2] = idoc(longid, base, NULL);        /* id too long */
    d[3] = idoc("badmeta", base, "[1, 2]"); /* meta not an object */
    d[4] = idoc("nowords", "  ... -- !! ", NULL);
    d[5] = idoc("badutf8", "caf\xc3 au lait is served here", NULL);
    d[6] = idoc("nul", base, NULL);
    d[6].id_len = 4; /* "nul\0" */
    d[7] = idoc("ok2", other, "{}");
    REQUIRE(dp_index_add(ix, d, 8, NULL, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].status, DP_OK);
    CHECK_EQ(r[1].status, DP_EINVAL);
    CHECK_EQ(r[2].status, DP_ETOOBIG);
    CHECK_EQ(r[3].status, DP_EJSON);
    CHECK_EQ(r[4].status, DP_EEMPTY);
    CHECK_EQ(r[5].status, DP_EUTF8);
    CHECK_EQ(r[6].status, DP_EINVAL);
    CHECK_EQ(r[7].status, DP_OK);
    dp_free(r);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 2);
    /* exactly DP_INDEX_MAX_ID bytes is fine */
    longid[DP_INDEX_MAX_ID] = '\0';
    CHECK_EQ(add1(ix, longid, base), DP_OK);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_readd_replaces_and_removes_old_band_keys)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    dp_index_doc d[3];
    dp_index_add_result *r = NULL;
    dp_index_hit *h = NULL;
    dp_index_entry *e = NULL;
    dp_index_stats st;
    size_t n = 0;
    REQUIRE(ix);
    CHECK_EQ(add1(ix, "a", base), DP_OK);
    CHECK_EQ(add1(ix, "b", other), DP_OK);
    /* "a" now holds the grain text */
    d[0] = idoc("a", other, "{\"v\": 2}");
    REQUIRE(dp_index_add(ix, d, 1, NULL, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].replaced, 1);
    dp_free(r);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 2);
    CHECK_EQ(st.band_entries, 2 * 18);
    CHECK_EQ(st.next_seq, 3);
    /* the harbour text finds nothing: a's old band keys are gone */
    REQUIRE(dp_index_query_text(ix, base, strlen(base), NULL, &h, &n, NULL) ==
            DP_OK);
    CHECK_EQ(n, 0);
    REQUIRE(dp_index_query_text(ix, other, strlen(other), NULL, &h, &n, NULL) ==
            DP_OK);
    REQUIRE(n == 2);
    CHECK_STR(h[0].id, "b"); /* equal scores: the earlier seq first */
    CHECK_STR(h[1].id, "a");
    dp_free(h);
    REQUIRE(dp_index_get(ix, "a", 1, 0, &e, NULL) == DP_OK);
    CHECK_STR(e->meta, "{\"v\": 2}");
    CHECK_EQ(e->seq, 2);
    dp_free(e);
    /* a repeated id inside one batch: the last one wins */
    d[0] = idoc("c", base, NULL);
    d[1] = idoc("c", other, NULL);
    d[2] = idoc("c", base, "{\"last\": true}");
    REQUIRE(dp_index_add(ix, d, 3, NULL, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].replaced, 0);
    CHECK_EQ(r[1].replaced, 1);
    CHECK_EQ(r[2].replaced, 1);
    dp_free(r);
    REQUIRE(dp_index_get(ix, "c", 1, 0, &e, NULL) == DP_OK);
    CHECK_STR(e->meta, "{\"last\": true}");
    dp_free(e);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 3);
    CHECK_EQ(st.band_entries, 3 * 18);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_query_by_text_and_id_sorted_with_threshold)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    char v1[512], v2[512];
    dp_index_query_opts q;
    dp_index_hit *h = NULL;
    size_t n = 0, i;
    REQUIRE(ix);
    variant(v1, sizeof v1, 1);
    variant(v2, sizeof v2, 2);
    CHECK_EQ(add1(ix, "orig", base), DP_OK);
    CHECK_EQ(add1(ix, "v1", v1), DP_OK);
    CHECK_EQ(add1(ix, "grain", other), DP_OK);
    REQUIRE(dp_index_query_text(ix, base, strlen(base), NULL, &h, &n, NULL) ==
            DP_OK);
    REQUIRE(n == 2);
    CHECK_STR(h[0].id, "orig");
    CHECK_NEAR(h[0].score, 1.0, 1e-12);
    CHECK_NEAR(h[0].estimate, 1.0, 1e-12);
    CHECK_STR(h[1].id, "v1");
    CHECK(h[1].score >= 0.8 && h[1].score < 1.0);
    CHECK_EQ(h[1].words, 43);
    for (i = 1; i < n; i++)
        CHECK(h[i - 1].score >= h[i].score);
    dp_free(h);
    /* by id: itself left out unless asked */
    REQUIRE(dp_index_query_id(ix, "v1", 2, NULL, &h, &n, NULL) == DP_OK);
    REQUIRE(n == 1);
    CHECK_STR(h[0].id, "orig");
    dp_free(h);
    dp_index_query_opts_init(&q);
    q.include_self = 1;
    REQUIRE(dp_index_query_id(ix, "v1", 2, &q, &h, &n, NULL) == DP_OK);
    REQUIRE(n == 2);
    CHECK_STR(h[0].id, "v1");
    dp_free(h);
    /* a threshold above the variant's score leaves only the exact copy */
    dp_index_query_opts_init(&q);
    q.threshold = 0.999;
    REQUIRE(dp_index_query_text(ix, base, strlen(base), &q, &h, &n, NULL) ==
            DP_OK);
    REQUIRE(n == 1);
    CHECK_STR(h[0].id, "orig");
    dp_free(h);
    /* limit */
    dp_index_query_opts_init(&q);
    q.limit = 1;
    REQUIRE(dp_index_query_text(ix, v2, strlen(v2), &q, &h, &n, NULL) == DP_OK);
    CHECK_EQ(n, 1);
    dp_free(h);
    /* errors */
    CHECK_EQ(dp_index_query_id(ix, "nope", 4, NULL, &h, &n, NULL),
             DP_ENOTFOUND);
    CHECK_EQ(dp_index_query_text(ix, " ... ", 5, NULL, &h, &n, NULL),
             DP_EEMPTY);
    q.threshold = 2;
    CHECK_EQ(dp_index_query_text(ix, base, strlen(base), &q, &h, &n, NULL),
             DP_EINVAL);
    CHECK(h == NULL && n == 0);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_estimate_only_index_scores_by_signature)
{
    char *path = tmpdir();
    dp_index *ix = create(path, DP_INDEX_NO_SETS, 0);
    char v1[512];
    dp_index_hit *h = NULL;
    dp_index_params p;
    size_t n = 0;
    REQUIRE(ix);
    dp_index_params_get(ix, &p);
    CHECK(p.flags & DP_INDEX_NO_SETS);
    variant(v1, sizeof v1, 1);
    CHECK_EQ(add1(ix, "orig", base), DP_OK);
    REQUIRE(dp_index_query_text(ix, v1, strlen(v1), NULL, &h, &n, NULL) ==
            DP_OK);
    if (n == 1) /* the estimate of ~0.84 may fall under 0.8, rarely */
        CHECK_NEAR(h[0].score, h[0].estimate, 0);
    dp_free(h);
    REQUIRE(dp_index_query_id(ix, "orig", 4, NULL, &h, &n, NULL) == DP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_dedup_reports_and_skips)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    char v1[512], v2[512];
    dp_index_doc d[4];
    dp_index_add_opts ao;
    dp_index_add_result *r = NULL;
    dp_index_stats st;
    REQUIRE(ix);
    variant(v1, sizeof v1, 1);
    variant(v2, sizeof v2, 2);
    CHECK_EQ(add1(ix, "orig", base), DP_OK);
    dp_index_add_opts_init(&ao);
    ao.dedup = DP_INDEX_DEDUP_REPORT;
    d[0] = idoc("v1", v1, NULL);        /* dup of orig */
    d[1] = idoc("grain", other, NULL);  /* new */
    d[2] = idoc("grain2", other, NULL); /* dup of grain, same batch */
    d[3] = idoc("orig", base, NULL);    /* re-add: its own id is excluded */
    REQUIRE(dp_index_add(ix, d, 4, &ao, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].duplicate, 1);
    CHECK_STR(r[0].dup_id, "orig");
    CHECK(r[0].dup_score >= 0.8 && r[0].dup_score < 1);
    CHECK_EQ(r[1].duplicate, 0);
    CHECK(r[1].dup_id == NULL);
    CHECK_EQ(r[2].duplicate, 1);
    CHECK_STR(r[2].dup_id, "grain");
    CHECK_NEAR(r[2].dup_score, 1.0, 1e-12);
    CHECK_EQ(r[3].duplicate, 1);
    CHECK_STR(r[3].dup_id, "v1");
    CHECK_EQ(r[3].replaced, 1);
    CHECK_EQ(r[0].skipped + r[1].skipped + r[2].skipped, 0);
    dp_free(r);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 4);
    /* skip mode: duplicates are reported and not stored */
    ao.dedup = DP_INDEX_DEDUP_SKIP;
    d[0] = idoc("v2", v2, NULL);
    d[1] = idoc("new",
                "Nothing like the others: a recipe for bread with "
                "flour, water, salt and a little yeast, baked hot.",
                NULL);
    REQUIRE(dp_index_add(ix, d, 2, &ao, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].duplicate, 1);
    CHECK_EQ(r[0].skipped, 1);
    CHECK_EQ(r[1].skipped, 0);
    dp_free(r);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 5);
    /* a higher dedup threshold: the best match is still named */
    ao.dedup = DP_INDEX_DEDUP_REPORT;
    ao.threshold = 0.99;
    d[0] = idoc("v2b", v2, NULL);
    REQUIRE(dp_index_add(ix, d, 1, &ao, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].duplicate, 0);
    CHECK(r[0].dup_id != NULL);
    dp_free(r);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_persists_across_close_and_open)
{
    char *path = tmpdir();
    dp_index *ix = create(path, DP_INDEX_STORE_TEXT, 0);
    dp_index_entry *e = NULL;
    dp_index_hit *h = NULL;
    dp_index_opts o;
    dp_index_params p;
    size_t n = 0;
    REQUIRE(ix);
    CHECK_EQ(add1(ix, "a", base), DP_OK);
    CHECK_EQ(add1(ix, "b", other), DP_OK);
    dp_index_close(ix);
    ix = NULL;
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_RDONLY;
    REQUIRE(dp_index_open(path, &o, NULL, &ix, NULL) == DP_OK);
    dp_index_params_get(ix, &p);
    CHECK(p.flags & DP_INDEX_STORE_TEXT);
    REQUIRE(dp_index_get(ix, "a", 1, 1, &e, NULL) == DP_OK);
    CHECK_STR(e->text, base);
    CHECK_EQ(e->text_len, strlen(base));
    dp_free(e);
    REQUIRE(dp_index_query_text(ix, other, strlen(other), NULL, &h, &n, NULL) ==
            DP_OK);
    REQUIRE(n == 1);
    CHECK_STR(h[0].id, "b");
    dp_free(h);
    /* read-only handles refuse writes */
    CHECK_EQ(add1(ix, "c", base), DP_EACCES);
    CHECK_EQ(dp_index_remove(ix, "a", 1, NULL), DP_EACCES);
    CHECK_EQ(dp_index_compact(ix, NULL), DP_EACCES);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

/* Synthetic documents: @i's text shares nothing with @j's. */
static void synth(char *buf, size_t cap, size_t i)
{
    size_t len = 0, w;
    for (w = 0; w < 60 && len + 24 < cap; w++)
        len += (size_t)snprintf(buf + len, cap - len, "w%zux%zu ", i, w);
}

TEST(index_map_grows_automatically)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, (size_t)1 << 20); /* 1 MiB to start */
    dp_index_doc *d = calloc(500, sizeof *d);
    char(*texts)[1024] = malloc(500 * sizeof *texts);
    char(*ids)[16] = malloc(500 * sizeof *ids);
    dp_index_stats st;
    dp_index_hit *h = NULL;
    size_t b, i, n = 0;
    REQUIRE(ix && d && texts && ids);
    for (b = 0; b < 8; b++) { /* 4000 documents, ~10 MB of index */
        for (i = 0; i < 500; i++) {
            snprintf(ids[i], sizeof ids[i], "d%zu", b * 500 + i);
            synth(texts[i], sizeof texts[i], b * 500 + i);
            d[i] = idoc(ids[i], texts[i], NULL);
        }
        REQUIRE(dp_index_add(ix, d, 500, NULL, NULL, NULL) == DP_OK);
    }
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, 4000);
    CHECK(st.map_size > ((size_t)1 << 20));
    CHECK(st.used_bytes <= st.map_size);
    synth(texts[0], sizeof texts[0], 1234);
    REQUIRE(dp_index_query_text(ix, texts[0], strlen(texts[0]), NULL, &h, &n,
                                NULL) == DP_OK);
    REQUIRE(n == 1);
    CHECK_STR(h[0].id, "d1234");
    dp_free(h);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
    free(d);
    free(texts);
    free(ids);
}

TEST(index_map_limit_gives_efull_and_keeps_data)
{
    char *path = tmpdir();
    dp_index_opts o;
    dp_index *ix = NULL;
    dp_index_doc *d = calloc(500, sizeof *d);
    char(*texts)[1024] = malloc(500 * sizeof *texts);
    char(*ids)[16] = malloc(500 * sizeof *ids);
    dp_index_stats st;
    dp_error err;
    dp_status rc = DP_OK;
    size_t b, i, before = 0;
    REQUIRE(path && d && texts && ids);
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_CREATE;
    o.map_size = (size_t)1 << 20;
    o.map_max = (size_t)2 << 20;
    REQUIRE(dp_index_open(path, &o, NULL, &ix, NULL) == DP_OK);
    for (b = 0; b < 20 && rc == DP_OK; b++) {
        for (i = 0; i < 500; i++) {
            snprintf(ids[i], sizeof ids[i], "d%zu", b * 500 + i);
            synth(texts[i], sizeof texts[i], b * 500 + i);
            d[i] = idoc(ids[i], texts[i], NULL);
        }
        REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
        before = st.docs;
        rc = dp_index_add(ix, d, 500, NULL, NULL, &err);
    }
    CHECK_EQ(rc, DP_EFULL);
    CHECK(strstr(err.message, "maximum") != NULL);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.docs, before); /* the failed batch left nothing */
    CHECK(before > 0 && before % 500 == 0);
    CHECK(st.map_size <= o.map_max);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    /* removing still works when full (or fails cleanly) */
    rc = dp_index_remove(ix, "d0", 2, NULL);
    CHECK(rc == DP_OK || rc == DP_EFULL);
    dp_index_close(ix);
    rmtree(path);
    free(d);
    free(texts);
    free(ids);
}

TEST(index_stored_text_gives_passages)
{
    char *path = tmpdir();
    dp_index *ix = create(path, DP_INDEX_STORE_TEXT, 0);
    char v1[512];
    dp_index_hit *h = NULL;
    dp_index_entry *e = NULL;
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *c = NULL;
    dp_index_stats st;
    size_t n = 0;
    REQUIRE(ix);
    variant(v1, sizeof v1, 1);
    CHECK_EQ(add1(ix, "orig", base), DP_OK);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.texts, 1);
    REQUIRE(dp_index_query_text(ix, v1, strlen(v1), NULL, &h, &n, NULL) ==
            DP_OK);
    REQUIRE(n == 1);
    REQUIRE(dp_index_get(ix, h[0].id, h[0].id_len, 1, &e, NULL) == DP_OK);
    REQUIRE(e->text);
    REQUIRE(dp_doc_create(v1, strlen(v1), NULL, &a, NULL) == DP_OK);
    REQUIRE(dp_doc_create(e->text, e->text_len, NULL, &b, NULL) == DP_OK);
    REQUIRE(dp_compare(a, b, NULL, &c) == DP_OK);
    CHECK(dp_comparison_passages(c) >= 1);
    CHECK(dp_comparison_passage(c, 0)->words >= 30);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
    dp_free(e);
    dp_free(h);
    CHECK_EQ(dp_index_remove(ix, "orig", 4, NULL), DP_OK);
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK_EQ(st.texts, 0);
    dp_index_close(ix);
    rmtree(path);
}

/* Read the first @max Reuters records: ids and texts, in order. */
typedef struct corpus {
    char **ids, **texts;
    size_t n;
} corpus;

static int load_reuters(corpus *c, size_t max)
{
    char path[1024];
    const char *in[1];
    dp_reader *r = NULL;
    dp_record rec;
    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    in[0] = path;
    c->ids = calloc(max, sizeof *c->ids);
    c->texts = calloc(max, sizeof *c->texts);
    c->n = 0;
    if (!c->ids || !c->texts || dp_reader_open(in, 1, NULL, &r, NULL))
        return -1;
    while (c->n < max && dp_reader_next(r, &rec, NULL) == DP_OK) {
        c->ids[c->n] = strdup(rec.id);
        c->texts[c->n] = strdup(rec.text);
        c->n++;
    }
    dp_reader_free(r);
    return 0;
}

static void free_corpus(corpus *c)
{
    size_t i;
    for (i = 0; i < c->n; i++) {
        free(c->ids[i]);
        free(c->texts[i]);
    }
    free(c->ids);
    free(c->texts);
}

/* The pairs a query finds are exactly the pairs dedup verifies. */
TEST(index_query_agrees_with_dedup_on_reuters)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    corpus c;
    dp_dedup_opts dopt;
    dp_dedup *d = NULL;
    dp_dedup_stats dst;
    dp_index_doc *docs;
    dp_dedup_doc *dd;
    dp_status *dstat;
    long *docno;
    size_t i, j, k, pairs = 0, bad = 0, members = 0, missing = 0;
    REQUIRE(ix);
    REQUIRE(load_reuters(&c, 3000) == 0 && c.n == 3000);
    docs = calloc(c.n, sizeof *docs);
    dd = calloc(c.n, sizeof *dd);
    dstat = calloc(c.n, sizeof *dstat);
    docno = calloc(c.n, sizeof *docno);
    REQUIRE(docs && dd && dstat && docno);
    for (i = 0; i < c.n; i++) {
        docs[i] = idoc(c.ids[i], c.texts[i], NULL);
        dd[i] = (dp_dedup_doc){c.ids[i],   strlen(c.ids[i]),
                               c.texts[i], strlen(c.texts[i]),
                               NULL,       0};
    }
    for (i = 0; i < c.n; i += 1000)
        REQUIRE(dp_index_add(ix, docs + i, (c.n - i < 1000 ? c.n - i : 1000),
                             NULL, NULL, NULL) == DP_OK);
    dp_dedup_opts_init(&dopt);
    dopt.verify = DP_VERIFY_EXACT;
    REQUIRE(dp_dedup_create(&dopt, &d) == DP_OK);
    REQUIRE(dp_dedup_add(d, dd, c.n, dstat) == DP_OK);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    dp_dedup_stats_get(d, &dst);
    for (i = 0, k = 0; i < c.n; i++)
        docno[i] = dstat[i] == DP_OK ? (long)k++ : -1;
    /* every index pair (a < b) is one dedup verified */
    for (i = 0; i < c.n; i++) {
        dp_index_hit *h = NULL;
        size_t n = 0;
        if (docno[i] < 0)
            continue;
        REQUIRE(dp_index_query_id(ix, c.ids[i], strlen(c.ids[i]), NULL, &h, &n,
                                  NULL) == DP_OK);
        for (j = 0; j < n; j++) {
            long o = dp_dedup_find(d, h[j].id, h[j].id_len);
            dp_dedup_explain e;
            REQUIRE(o >= 0);
            if (o <= docno[i])
                continue;
            pairs++;
            dp_dedup_explain_pair(d, (size_t)docno[i], (size_t)o, &e);
            if (!(e.bands_shared > 0 && e.exact + 1e-9 >= 0.8 &&
                  fabs(e.exact - h[j].score) < 1e-9))
                bad++;
        }
        dp_free(h);
    }
    CHECK(pairs > 50);
    CHECK_EQ(bad, 0);
    CHECK_EQ(pairs, dst.verified);
    /* every dedup cluster member is a hit of its kept document */
    for (k = 0; k < dp_dedup_clusters(d); k++) {
        const uint32_t *m;
        const float *sim;
        size_t n, nh = 0, t;
        dp_index_hit *h = NULL;
        const char *kept;
        dp_dedup_cluster(d, k, &m, &sim, &n);
        kept = dp_dedup_id(d, m[0], NULL);
        REQUIRE(dp_index_query_id(ix, kept, strlen(kept), NULL, &h, &nh,
                                  NULL) == DP_OK);
        for (j = 1; j < n; j++) {
            const char *id = dp_dedup_id(d, m[j], NULL);
            int hit = 0;
            members++;
            for (t = 0; t < nh; t++)
                hit |= strcmp(h[t].id, id) == 0 &&
                       fabs(h[t].score - sim[j]) < 1e-6;
            missing += !hit;
        }
        dp_free(h);
    }
    CHECK(members > 50);
    CHECK_EQ(missing, 0);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_dedup_free(d);
    free(docs);
    free(dd);
    free(dstat);
    free(docno);
    free_corpus(&c);
    dp_index_close(ix);
    rmtree(path);
}

/* Readers on several threads while one writer adds and grows the map. */
typedef struct reader_arg {
    dp_index *ix;
    corpus *c;
    volatile int *stop;
    size_t queries, errors;
} reader_arg;

static void *reader_main(void *p)
{
    reader_arg *a = p;
    size_t i = 0;
    while (!*a->stop) {
        dp_index_hit *h = NULL;
        size_t n = 0;
        const char *t = a->c->texts[i++ % 500];
        dp_status rc =
            dp_index_query_text(a->ix, t, strlen(t), NULL, &h, &n, NULL);
        if (rc != DP_OK && rc != DP_EEMPTY)
            a->errors++;
        dp_free(h);
        a->queries++;
    }
    return NULL;
}

TEST(index_readers_run_while_a_writer_adds)
{
    char *path = tmpdir();
    dp_index *ix = create(path, DP_INDEX_STORE_TEXT, (size_t)1 << 20);
    corpus c;
    pthread_t t[3];
    reader_arg ra[3];
    volatile int stop = 0;
    dp_index_doc *docs;
    dp_index_stats st;
    size_t i;
    REQUIRE(ix);
    REQUIRE(load_reuters(&c, 4000) == 0 && c.n == 4000);
    docs = calloc(c.n, sizeof *docs);
    REQUIRE(docs);
    for (i = 0; i < c.n; i++)
        docs[i] = idoc(c.ids[i], c.texts[i], NULL);
    REQUIRE(dp_index_add(ix, docs, 500, NULL, NULL, NULL) == DP_OK);
    for (i = 0; i < 3; i++) {
        ra[i] = (reader_arg){ix, &c, &stop, 0, 0};
        REQUIRE(pthread_create(&t[i], NULL, reader_main, &ra[i]) == 0);
    }
    for (i = 500; i < c.n; i += 250) {
        dp_index_add_opts ao;
        dp_index_add_opts_init(&ao);
        ao.threads = 1;
        CHECK_EQ(dp_index_add(ix, docs + i, 250, &ao, NULL, NULL), DP_OK);
    }
    stop = 1;
    for (i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(ra[i].errors, 0);
        CHECK(ra[i].queries > 0);
    }
    REQUIRE(dp_index_stats_get(ix, &st, NULL) == DP_OK);
    CHECK(st.map_size > ((size_t)1 << 20)); /* it grew under the readers */
    CHECK(st.docs > 3900);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    free(docs);
    free_corpus(&c);
    dp_index_close(ix);
    rmtree(path);
}

typedef struct each_ctx {
    size_t n;
    uint64_t last;
    int bad;
} each_ctx;

static int count_each(void *ctx, const char *id, size_t id_len,
                      const char *meta, size_t meta_len, uint32_t words,
                      uint64_t seq)
{
    each_ctx *e = ctx;
    (void)meta, (void)meta_len;
    if ((e->n && seq <= e->last) || !id || id_len == 0 || words == 0)
        e->bad = 1;
    e->last = seq;
    e->n++;
    return 0;
}

static int stop_each(void *ctx, const char *id, size_t id_len, const char *meta,
                     size_t meta_len, uint32_t words, uint64_t seq)
{
    (void)ctx, (void)id, (void)id_len, (void)meta, (void)meta_len;
    (void)words, (void)seq;
    return 42;
}

TEST(index_compact_keeps_everything_and_each_walks_in_order)
{
    char *path = tmpdir();
    dp_index *ix = create(path, DP_INDEX_STORE_TEXT, 0);
    corpus c;
    dp_index_doc *docs;
    dp_index_stats before, after;
    dp_index_hit *h = NULL;
    size_t i, n = 0;
    REQUIRE(ix);
    REQUIRE(load_reuters(&c, 2000) == 0);
    docs = calloc(c.n, sizeof *docs);
    REQUIRE(docs);
    for (i = 0; i < c.n; i++)
        docs[i] = idoc(c.ids[i], c.texts[i], NULL);
    REQUIRE(dp_index_add(ix, docs, c.n, NULL, NULL, NULL) == DP_OK);
    for (i = 0; i < 600; i += 2) /* free some pages */
        REQUIRE(dp_index_remove(ix, c.ids[i], strlen(c.ids[i]), NULL) == DP_OK);
    REQUIRE(dp_index_stats_get(ix, &before, NULL) == DP_OK);
    REQUIRE(dp_index_compact(ix, NULL) == DP_OK);
    REQUIRE(dp_index_stats_get(ix, &after, NULL) == DP_OK);
    CHECK_EQ(after.docs, before.docs);
    CHECK_EQ(after.band_entries, before.band_entries);
    CHECK_EQ(after.next_seq, before.next_seq);
    CHECK(after.file_bytes < before.file_bytes);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    REQUIRE(dp_index_query_id(ix, c.ids[1], strlen(c.ids[1]), NULL, &h, &n,
                              NULL) == DP_OK);
    dp_free(h);
    CHECK_EQ(add1(ix, "after-compact", base), DP_OK);
    /* each walks seq order, the new document last */
    {
        each_ctx e = {0, 0, 0};
        CHECK_EQ(dp_index_each(ix, count_each, &e, NULL), DP_OK);
        CHECK_EQ(e.n, c.n - 300 + 1);
        CHECK_EQ(e.last, c.n);
        CHECK_EQ(e.bad, 0);
        CHECK_EQ(dp_index_each(ix, stop_each, NULL, NULL), 42);
    }
    dp_index_close(ix);
    free(docs);
    free_corpus(&c);
    rmtree(path);
}

TEST(index_each_visits_in_seq_order)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    each_ctx e = {0, 0, 0};
    REQUIRE(ix);
    CHECK_EQ(add1(ix, "z", base), DP_OK);
    CHECK_EQ(add1(ix, "a", other), DP_OK);
    CHECK_EQ(add1(ix, "m", "third document with its own few words"), DP_OK);
    CHECK_EQ(dp_index_each(ix, count_each, &e, NULL), DP_OK);
    CHECK_EQ(e.n, 3);
    CHECK_EQ(e.last, 2);
    CHECK_EQ(e.bad, 0);
    dp_index_close(ix);
    rmtree(path);
}

/* Damage the tables through LMDB and let the check find it. */
static void damage(const char *path, const char *table, int what)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_env_create(&env))
        return;
    mdb_env_set_maxdbs(env, 8);
    if (mdb_env_open(env, path, 0, 0666) || mdb_txn_begin(env, NULL, 0, &txn)) {
        mdb_env_close(env);
        return;
    }
    mdb_dbi_open(txn, table, 0, &dbi);
    mdb_cursor_open(txn, dbi, &cur);
    if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0) {
        if (what == 0) {
            mdb_cursor_del(cur, 0); /* drop the first entry */
        } else if (what == 2) {
            /* another text under the same seq */
            MDB_val nv = {11, "other words"};
            mdb_cursor_put(cur, &k, &nv, MDB_CURRENT);
        } else {
            /* a band entry for a seq that does not exist */
            unsigned char seq[8];
            uint64_t key = 12345;
            MDB_val nk = {8, &key}, nv = {8, seq};
            dpi_index_seq_key(999999, seq);
            mdb_put(txn, dbi, &nk, &nv, 0);
        }
    }
    mdb_cursor_close(cur);
    mdb_txn_commit(txn);
    mdb_env_close(env);
}

TEST(index_check_finds_damage)
{
    static const struct {
        const char *table;
        int what;
        const char *msg;
    } cases[] = {
        {"bands", 0, "lacks a band key"},
        {"bands", 1, "belong to no document"},
        {"ids", 0, "does not lead back"},
        {"docs", 0, "no valid record"},
        {"sets", 0, "shingle set"},
        {"texts", 0, "has no text"},
        {"texts", 2, "does not match its stored text"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = tmpdir();
        dp_index *ix = create(path, DP_INDEX_STORE_TEXT, 0);
        dp_error err;
        REQUIRE(ix);
        CHECK_EQ(add1(ix, "a", base), DP_OK);
        CHECK_EQ(add1(ix, "b", other), DP_OK);
        CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
        dp_index_close(ix);
        damage(path, cases[i].table, cases[i].what);
        ix = NULL;
        REQUIRE(dp_index_open(path, NULL, NULL, &ix, NULL) == DP_OK);
        memset(&err, 0, sizeof err);
        CHECK_EQ(dp_index_check(ix, &err), DP_ECORRUPT);
        if (!strstr(err.message, cases[i].msg))
            dp_test_fail(__FILE__, __LINE__, "case %zu: '%s'", i, err.message);
        dp_index_close(ix);
        rmtree(path);
    }
}

TEST(index_record_decoder_rejects_damage)
{
    uint32_t sig[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char buf[128], bad[128];
    size_t size = dpi_index_rec_size(3, 2, 8), i;
    dp_index_rec r;
    unsigned seed = 1;
    REQUIRE(size && size <= sizeof buf);
    dpi_index_rec_encode(buf, "abc", 3, "{}", 2, sig, 8, 42);
    REQUIRE(dpi_index_rec_decode(buf, size, 8, &r) == DP_OK);
    CHECK_MEM(r.id, r.id_len, "abc");
    CHECK_MEM(r.meta, r.meta_len, "{}");
    CHECK_EQ(r.words, 42);
    CHECK_EQ(dpi_index_rec_decode(buf, size, 16, &r), DP_ECORRUPT);
    CHECK_EQ(dpi_index_rec_decode(buf, size - 1, 8, &r), DP_ECORRUPT);
    CHECK_EQ(dpi_index_rec_decode(buf, 3, 8, &r), DP_ECORRUPT);
    CHECK_EQ(dpi_index_rec_size(0, 0, 8), 0);
    CHECK_EQ(dpi_index_rec_size(DP_INDEX_MAX_ID + 1, 0, 8), 0);
    /* random single-byte damage never reads out of bounds (ASan) */
    for (i = 0; i < 20000; i++) {
        size_t len = size - (i % 3 == 0 ? (i / 3) % size : 0);
        memcpy(bad, buf, size);
        seed = seed * 1103515245u + 12345u;
        bad[(seed >> 8) % size] ^= (unsigned char)(1u << ((seed >> 4) & 7));
        if (dpi_index_rec_decode(bad, len, 8, &r) == DP_OK)
            CHECK(r.id_len >= 1 && r.id + r.id_len <= (char *)bad + len);
    }
    /* sets */
    {
        uint64_t s[3] = {1, 5, 9}, t[3] = {1, 9, 5};
        CHECK_EQ(dpi_index_set_check(s, sizeof s), DP_OK);
        CHECK_EQ(dpi_index_set_check(t, sizeof t), DP_ECORRUPT);
        CHECK_EQ(dpi_index_set_check(s, 7), DP_ECORRUPT);
        CHECK_EQ(dpi_index_set_check(s, 0), DP_ECORRUPT);
        CHECK_NEAR(dpi_set_jaccard(s, 3, s, 2), 2.0 / 3.0, 1e-12);
    }
}

/* ------------------------------------------------------------------ */
/* Contracts: results before commit, checked JSON writes, dp_status   */
/* ------------------------------------------------------------------ */

/* The figures a failed write must leave as they were. */
typedef struct snapshot {
    uint64_t docs, band_entries, next_seq, txn_id;
} snapshot;

static snapshot snap(dp_index *ix)
{
    dp_index_stats s;
    snapshot r = {0, 0, 0, 0};
    if (dp_index_stats_get(ix, &s, NULL) == DP_OK) {
        r.docs = s.docs;
        r.band_entries = s.band_entries;
        r.next_seq = s.next_seq;
        r.txn_id = s.txn_id;
    }
    return r;
}

TEST(index_add_results_are_built_before_the_commit)
{
    char *path = tmpdir();
    dp_index *ix = create(path, 0, 0);
    dp_index_doc d[2];
    dp_index_add_result *r = (dp_index_add_result *)&r; /* not NULL */
    dp_index_entry *e = NULL;
    dp_index_add_opts o;
    dp_error err;
    snapshot before, after;
    char v1[400];

    REQUIRE(ix);
    REQUIRE(add1(ix, "a", base) == DP_OK);
    before = snap(ix);
    variant(v1, sizeof v1, 1);
    d[0] = idoc("b", other, NULL);
    d[1] = idoc("a", v1, NULL); /* a replacement: deletes band keys too */
    dp_index_add_opts_init(&o);
    o.dedup = DP_INDEX_DEDUP_REPORT;
    /* The result block cannot be allocated: the call fails and the
     * transaction it belonged to never commits. */
    dpi_index_test_faults |= DPI_INDEX_TEST_FAULT_RESULTS;
    memset(&err, 0, sizeof err);
    CHECK_EQ(dp_index_add(ix, d, 2, &o, &r, &err), DP_ENOMEM);
    dpi_index_test_faults &= ~DPI_INDEX_TEST_FAULT_RESULTS;
    CHECK(r == NULL);
    CHECK(strstr(err.message, "nothing added") != NULL);
    after = snap(ix);
    CHECK_EQ(after.docs, before.docs);
    CHECK_EQ(after.band_entries, before.band_entries);
    CHECK_EQ(after.next_seq, before.next_seq);
    CHECK_EQ(after.txn_id, before.txn_id); /* no transaction committed */
    CHECK_EQ(dp_index_get(ix, "b", 1, 0, &e, NULL), DP_ENOTFOUND);
    REQUIRE(dp_index_get(ix, "a", 1, 0, &e, NULL) == DP_OK);
    CHECK_EQ(e->seq, 0); /* still the first version */
    dp_free(e);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    /* Without results asked for, nothing is allocated for them. */
    dpi_index_test_faults |= DPI_INDEX_TEST_FAULT_RESULTS;
    CHECK_EQ(dp_index_add(ix, d, 1, NULL, NULL, NULL), DP_OK);
    dpi_index_test_faults &= ~DPI_INDEX_TEST_FAULT_RESULTS;
    /* The same batch goes in whole once memory is there. */
    REQUIRE(dp_index_add(ix, d, 2, &o, &r, NULL) == DP_OK);
    CHECK_EQ(r[0].status, DP_OK);
    CHECK_EQ(r[0].replaced, 1); /* "b", added just above */
    CHECK_EQ(r[1].replaced, 1);
    CHECK(!r[1].dup_id || strcmp(r[1].dup_id, "a") != 0); /* own id out */
    dp_free(r);
    after = snap(ix);
    CHECK_EQ(after.docs, 2);
    CHECK_EQ(after.txn_id, before.txn_id + 2);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

/* jansson allocations that fail from the @json_fail_at-th on. */
static long json_allocs, json_fail_at = -1;

static void *failing_malloc(size_t n)
{
    if (json_fail_at >= 0 && json_allocs++ >= json_fail_at)
        return NULL;
    return malloc(n);
}

static void json_faults(long at)
{
    json_allocs = 0;
    json_fail_at = at;
    json_set_alloc_funcs(failing_malloc, free);
}

static void json_faults_off(void)
{
    json_fail_at = -1;
    json_set_alloc_funcs(malloc, free);
}

/* Run @make with the n-th jansson allocation failing, for every n until
 * it succeeds: each run is DP_ENOMEM with *out NULL, or the exact @want. */
static void check_json_faults(const char *what,
                              dp_status (*make)(const void *arg, char **out),
                              const void *arg, const char *want)
{
    long n;
    int ok = 0;
    for (n = 0; n < 1000 && !ok; n++) {
        char *out = (char *)&n;
        dp_status st;
        json_faults(n);
        st = make(arg, &out);
        json_faults_off();
        if (st == DP_OK) {
            ok = 1;
            if (!out || strcmp(out, want) != 0)
                dp_test_fail(__FILE__, __LINE__, "%s at %ld: '%s'", what, n,
                             out ? out : "(null)");
        } else if (st != DP_ENOMEM || out != NULL) {
            dp_test_fail(__FILE__, __LINE__, "%s at %ld: status %d", what, n,
                         (int)st);
        }
        free(out == (char *)&n ? NULL : out);
    }
    if (!ok)
        dp_test_fail(__FILE__, __LINE__, "%s never succeeded", what);
    if (n < 3)
        dp_test_fail(__FILE__, __LINE__, "%s: only %ld runs", what, n);
}

static dp_status make_record(const void *arg, char **out)
{
    return dpi_index_params_encode(arg, out);
}

static dp_status make_params(const void *arg, char **out)
{
    return dp_index_params_json(arg, out, NULL);
}

static dp_status make_stats(const void *arg, char **out)
{
    return dp_index_stats_json(arg, out, NULL);
}

typedef struct hits_arg {
    const dp_index_hit *h;
    size_t n;
} hits_arg;

static dp_status make_hits(const void *arg, char **out)
{
    const hits_arg *a = arg;
    return dp_index_hits_json(a->h, a->n, out, NULL);
}

static const char *record_want =
    "{\"format\":1,\"norm_version\":1,\"shingle_k\":5,\"perms\":128,"
    "\"threshold\":0.80000000000000004,\"bands\":18,\"rows\":7,"
    "\"store_text\":false,\"shingle_sets\":true,\"minhash\":\"kperm\","
    "\"minhash_seed\":\"646f7070656c4d48\",\"lsh_seed\":"
    "\"646f7070656c4c53\"}";

TEST(index_json_writes_are_checked_and_nothing_partial_comes_out)
{
    dp_index_params p;
    dp_index_stats s;
    dp_index_hit h[2];
    hits_arg ha = {h, 2};
    char *want = NULL;

    dp_index_params_init(&p);
    REQUIRE(dpi_index_params_complete(&p, NULL) == DP_OK);
    check_json_faults("record", make_record, &p, record_want);
    check_json_faults("params", make_params, &p,
                      "{\"shingle_k\":5,\"perms\":128,\"threshold\":"
                      "0.80000000000000004,\"bands\":18,\"rows\":7,"
                      "\"store_text\":false,\"shingle_sets\":true,"
                      "\"norm_version\":1}");
    memset(h, 0, sizeof h);
    h[0].id = "wire-1";
    h[0].id_len = 6;
    h[0].score = 1.0;
    h[0].estimate = 1.0;
    h[0].words = 25;
    h[1].id = "bad\xff";
    h[1].id_len = 4;
    h[1].score = 0.5;
    h[1].estimate = 0.25;
    h[1].words = 3;
    check_json_faults("hits", make_hits, &ha,
                      "[{\"id\":\"wire-1\",\"score\":1.0,\"estimate\":1.0,"
                      "\"words\":25},{\"id\":\"bad\xEF\xBF\xBD\",\"score\":"
                      "0.5,\"estimate\":0.25,\"words\":3}]");
    memset(&s, 0, sizeof s);
    s.docs = 4;
    s.data_bytes = 24576;
    s.max_readers = 126;
    s.params = p;
    REQUIRE(dp_index_stats_json(&s, &want, NULL) == DP_OK);
    CHECK(strncmp(want, "{\"docs\":4,\"band_entries\":0,", 27) == 0);
    CHECK(strstr(want,
                 "\"bytes_per_doc\":6144.0,\"readers\":0,"
                 "\"max_readers\":126,\"params\":{\"shingle_k\":5,") != NULL);
    check_json_faults("stats", make_stats, &s, want);
    free(want);
    CHECK_EQ(dp_index_params_json(NULL, &want, NULL), DP_EINVAL);
    CHECK_EQ(dp_index_hits_json(NULL, 1, &want, NULL), DP_EINVAL);
    REQUIRE(dp_index_hits_json(NULL, 0, &want, NULL) == DP_OK);
    CHECK_STR(want, "[]");
    dp_free(want);
}

/* The parameter record as stored, read through LMDB itself. */
static char *stored_record(const char *path)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {6, "params"}, v;
    char *s = NULL;
    if (mdb_env_create(&env))
        return NULL;
    mdb_env_set_maxdbs(env, 8);
    if (mdb_env_open(env, path, MDB_RDONLY, 0666) == 0 &&
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0) {
        if (mdb_dbi_open(txn, "meta", 0, &dbi) == 0 &&
            mdb_get(txn, dbi, &k, &v) == 0 && (s = malloc(v.mv_size + 1))) {
            memcpy(s, v.mv_data, v.mv_size);
            s[v.mv_size] = '\0';
        }
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return s;
}

TEST(index_create_writes_no_partial_parameter_record)
{
    char *path = tmpdir();
    dp_index_opts o;
    dp_index *ix = NULL;
    dp_status st = DP_ENOMEM;
    long n;
    char *rec;

    REQUIRE(path);
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_CREATE;
    /* Every failing jansson allocation while creating: DP_ENOMEM and no
     * parameters stored (the next create starts from an empty index). */
    for (n = 0; n < 1000 && st == DP_ENOMEM; n++) {
        json_faults(n);
        st = dp_index_open(path, &o, NULL, &ix, NULL);
        json_faults_off();
        if (st == DP_ENOMEM) {
            CHECK(ix == NULL);
            rec = stored_record(path);
            CHECK(rec == NULL);
            free(rec);
        }
    }
    CHECK(n > 3);
    REQUIRE(st == DP_OK);
    dp_index_close(ix);
    rec = stored_record(path);
    CHECK_STR(rec, record_want);
    free(rec);
    REQUIRE(dp_index_open(path, NULL, NULL, &ix, NULL) == DP_OK);
    CHECK_EQ(dp_index_check(ix, NULL), DP_OK);
    dp_index_close(ix);
    rmtree(path);
}

TEST(index_status_of_mdb_maps_every_code)
{
    static const struct {
        int rc;
        dp_status st;
    } map[] = {
        {0, DP_OK},
        {MDB_NOTFOUND, DP_ENOTFOUND},
        {MDB_MAP_FULL, DP_EFULL},
        {MDB_TXN_FULL, DP_ETOOBIG},
        {MDB_READERS_FULL, DP_EBUSY},
        {MDB_INVALID, DP_ECORRUPT},
        {MDB_CORRUPTED, DP_ECORRUPT},
        {MDB_PAGE_NOTFOUND, DP_ECORRUPT},
        {MDB_INCOMPATIBLE, DP_ECORRUPT},
        {MDB_BAD_VALSIZE, DP_ECORRUPT},
        {MDB_BAD_DBI, DP_ECORRUPT},
        {MDB_VERSION_MISMATCH, DP_EMISMATCH},
        {MDB_KEYEXIST, DP_EIO},
        {MDB_PANIC, DP_EIO},
        {MDB_MAP_RESIZED, DP_EIO},
        {ENOMEM, DP_ENOMEM},
        {EACCES, DP_EACCES},
        {EROFS, DP_EACCES},
        {ENOENT, DP_ENOENT},
        {EIO, DP_EIO},
        {ENOSPC, DP_EIO},
    };
    size_t i;
    dp_error err;
    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (dpi_index_status_of_mdb(map[i].rc) != map[i].st)
            dp_test_fail(__FILE__, __LINE__, "code %d gives %d, not %d",
                         map[i].rc, (int)dpi_index_status_of_mdb(map[i].rc),
                         (int)map[i].st);
    /* Outcomes the caller handles leave the error detail alone. */
    memset(&err, 0, sizeof err);
    CHECK_EQ(dpi_index_mdb(MDB_NOTFOUND, &err, "x"), DP_ENOTFOUND);
    CHECK_EQ(dpi_index_mdb(MDB_MAP_FULL, &err, "x"), DP_EFULL);
    CHECK_EQ(err.message[0], '\0');
    CHECK_EQ(dpi_index_mdb(MDB_CORRUPTED, &err, "reading"), DP_ECORRUPT);
    CHECK_EQ(err.code, DP_ECORRUPT);
    CHECK(strncmp(err.message, "reading: ", 9) == 0);
}

typedef struct nested {
    dp_index *ix;
    int depth; /* read transactions open */
    dp_error err;
} nested;

/* Inside dp_index_each's read transaction: one more reader, until the
 * reader slots run out (LMDB rounds max_readers up to fill its page). */
static int read_inside(void *ctx, const char *id, size_t id_len,
                       const char *meta, size_t meta_len, uint32_t words,
                       uint64_t seq)
{
    nested *n = ctx;
    (void)id, (void)id_len, (void)meta, (void)meta_len, (void)words, (void)seq;
    if (++n->depth > 5000)
        return -1;
    return (int)dp_index_each(n->ix, read_inside, n, &n->err);
}

TEST(index_errors_come_back_as_statuses)
{
    char *path = tmpdir();
    dp_index_opts o;
    dp_index *ix = NULL;
    dp_index_hit *h = NULL;
    dp_index_entry *e = NULL;
    size_t nh = 0;
    nested n;
    dp_error err;
    char longid[DP_INDEX_MAX_ID + 90];

    REQUIRE(path);
    dp_index_opts_init(&o);
    o.flags = DP_INDEX_CREATE;
    o.max_readers = 1;
    REQUIRE(dp_index_open(path, &o, NULL, &ix, NULL) == DP_OK);
    REQUIRE(add1(ix, "a", base) == DP_OK);
    REQUIRE(add1(ix, "b", other) == DP_OK);
    /* All reader slots taken: DP_EBUSY, not an LMDB code. */
    memset(&n, 0, sizeof n);
    n.ix = ix;
    CHECK_EQ(dp_index_each(ix, read_inside, &n, NULL), DP_EBUSY);
    CHECK(n.depth >= 1 && n.depth < 5000);
    CHECK_EQ(n.err.code, DP_EBUSY);
    CHECK(strstr(n.err.message, "reader slots") != NULL);
    /* Absent ids (also longer than any id): DP_ENOTFOUND everywhere. */
    memset(longid, 'x', sizeof longid);
    CHECK_EQ(dp_index_remove(ix, longid, sizeof longid, NULL), DP_ENOTFOUND);
    CHECK_EQ(dp_index_get(ix, longid, sizeof longid, 0, &e, NULL),
             DP_ENOTFOUND);
    memset(&err, 0, sizeof err);
    CHECK_EQ(dp_index_query_id(ix, longid, sizeof longid, NULL, &h, &nh, &err),
             DP_ENOTFOUND);
    CHECK(strstr(err.message, "no document with id 'xxx") != NULL);
    CHECK_EQ(dp_index_remove(ix, "zz", 2, NULL), DP_ENOTFOUND);
    CHECK_EQ(dp_index_get(ix, "zz", 2, 0, &e, NULL), DP_ENOTFOUND);
    CHECK_EQ(dp_index_query_id(ix, "zz", 2, NULL, &h, &nh, NULL), DP_ENOTFOUND);
    dp_index_close(ix);
    /* A damaged record: DP_ECORRUPT from get, query and remove. */
    damage(path, "docs", 2); /* "other words" is no record */
    REQUIRE(dp_index_open(path, NULL, NULL, &ix, NULL) == DP_OK);
    memset(&err, 0, sizeof err);
    CHECK_EQ(dp_index_get(ix, "a", 1, 0, &e, &err), DP_ECORRUPT);
    CHECK(strstr(err.message, "seq 0") != NULL);
    CHECK_EQ(dp_index_query_id(ix, "a", 1, NULL, &h, &nh, NULL), DP_ECORRUPT);
    CHECK_EQ(dp_index_query_text(ix, base, strlen(base), NULL, &h, &nh, NULL),
             DP_ECORRUPT);
    CHECK_EQ(dp_index_remove(ix, "a", 1, NULL), DP_ECORRUPT);
    CHECK_EQ(dp_index_check(ix, NULL), DP_ECORRUPT);
    CHECK(h == NULL);
    dp_index_close(ix);
    /* A read-only handle: DP_EACCES for writes. */
    o.flags = DP_INDEX_RDONLY;
    REQUIRE(dp_index_open(path, &o, NULL, &ix, NULL) == DP_OK);
    CHECK_EQ(add1(ix, "c", base), DP_EACCES);
    CHECK_EQ(dp_index_remove(ix, "b", 1, NULL), DP_EACCES);
    dp_index_close(ix);
    rmtree(path);
}
