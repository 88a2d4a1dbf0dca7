/*
 * date.c - dates as same-story evidence: a record's date field and the
 * dates a text gives ("May 03, 2013", "8 June 2013", "June 2010", a bare
 * year "2008"), reduced to what the stories engine compares: one reference
 * day per document (the date field, else a full date in the text's
 * opening, its dateline) and the set of years the text mentions.
 *
 * Two reports of the same kind of event years apart are different stories;
 * the score (stories.c) reads the gap between reference days, or, without
 * them, whether the mentioned years overlap. Parsing is by tokens of the
 * document (month names must be capitalised, so the verb "may" is not a
 * month), no locale, English month names only.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/date.h"
#include "dedup/dedup.h"
#include "story/stories.h"

/* Month of an English month name or abbreviation, 1..12, else 0. */
static int month_name(const char *s, size_t n)
{
    static const char *const full[12] = {
        "january", "february", "march",     "april",   "may",      "june",
        "july",    "august",   "september", "october", "november", "december"};
    char low[10];
    size_t i;
    int m;
    if (n < 3 || n > 9)
        return 0;
    for (i = 0; i < n; i++)
        low[i] = (char)(s[i] | 0x20);
    for (m = 0; m < 12; m++) {
        size_t fl = strlen(full[m]);
        if (n == fl && memcmp(low, full[m], n) == 0)
            return m + 1;
        /* Jan, Feb, Mar, ..., Sept */
        if ((n == 3 || (n == 4 && m == 8)) && memcmp(low, full[m], n) == 0)
            return m + 1;
    }
    return 0;
}

int dpi_date_word(const char *s, size_t n)
{
    static const char *const days[7] = {"monday",   "tuesday", "wednesday",
                                        "thursday", "friday",  "saturday",
                                        "sunday"};
    char low[10];
    size_t i;
    int k;
    if (month_name(s, n))
        return 1;
    if (n < 6 || n > 9)
        return 0;
    for (i = 0; i < n; i++)
        low[i] = (char)(s[i] | 0x20);
    for (k = 0; k < 7; k++)
        if (strlen(days[k]) == n && memcmp(low, days[k], n) == 0)
            return 1;
    return 0;
}

/* Value of an all-digit token of at most 4 digits, else -1. */
static int small_number(const char *s, size_t n)
{
    int v = 0;
    size_t i;
    if (n == 0 || n > 4)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int is_year(int v)
{
    return v >= DP_DATE_YEAR0 && v < DP_DATE_YEAR1;
}

static void add_year(dp_story_dates *o, int y)
{
    if (is_year(y)) {
        unsigned b = (unsigned)(y - DP_DATE_YEAR0);
        o->years[b / 64] |= (uint64_t)1 << (b % 64);
    }
}

int dpi_date_parse(const char *s, size_t len, int32_t *day)
{
    int64_t secs;
    size_t i = 0;
    int v[3] = {-1, -1, -1}, m = 0, nv = 0;

    if (!s || !len)
        return -1;
    if (dpi_dedup_parse_date(s, len, &secs) == 0) {
        *day = (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
        return 0;
    }
    /* "May 03, 2013", "Tuesday, May 3, 2013", "3 May 2013" */
    while (i < len) {
        size_t j = i;
        if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') {
            while (j < len && (s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z')
                j++;
            if (!m)
                m = month_name(s + i, j - i);
        } else if (s[i] >= '0' && s[i] <= '9') {
            while (j < len && s[j] >= '0' && s[j] <= '9')
                j++;
            if (nv < 3)
                v[nv++] = small_number(s + i, j - i);
        } else
            j++;
        i = j;
    }
    if (m && nv >= 2 && v[0] >= 1 && v[0] <= 31 && is_year(v[1])) {
        *day = dpi_date_days(v[1], (unsigned)m, (unsigned)v[0]);
        return 0;
    }
    return -1;
}

/* Long because it is one pass over the tokens matching the three date
 * shapes (month day [year], day month year, month year) and bare years. */
void dpi_date_scan(const dp_doc *d, int32_t field_day, dp_story_dates *out)
{
    size_t i;
    assert(d && out);
    memset(out, 0, sizeof *out);
    out->ref_day = field_day;
    out->from_field = field_day != DP_NO_DAY;
    if (!out->from_field)
        out->ref_day = DP_NO_DAY;
    for (i = 0; i < d->ntoks; i++) {
        const dp_tok *t = &d->toks[i];
        const char *s = d->orig + t->start;
        size_t n = t->end - t->start;
        int m = 0, day = -1, year = -1, v;
        if (t->flags & DP_TOK_NUMBER) {
            v = small_number(s, n);
            /* "3 May 2013" */
            if (v >= 1 && v <= 31 && i + 2 < d->ntoks &&
                (d->toks[i + 1].flags & DP_TOK_CAPITAL)) {
                const dp_tok *a = &d->toks[i + 1], *b = &d->toks[i + 2];
                m = month_name(d->orig + a->start, a->end - a->start);
                if (m && (b->flags & DP_TOK_NUMBER))
                    year = small_number(d->orig + b->start, b->end - b->start);
                if (m && is_year(year)) {
                    day = v;
                    i += 2;
                } else
                    m = 0, year = -1;
            }
            if (!m) {
                if (is_year(v) && n == 4)
                    add_year(out, v);
                continue;
            }
        } else if ((t->flags & DP_TOK_CAPITAL) && i + 1 < d->ntoks &&
                   (d->toks[i + 1].flags & DP_TOK_NUMBER)) {
            const dp_tok *a = &d->toks[i + 1];
            m = month_name(s, n);
            if (!m)
                continue;
            v = small_number(d->orig + a->start, a->end - a->start);
            if (is_year(v) && a->end - a->start == 4) {
                year = v; /* "June 2010" */
                i += 1;
            } else if (v >= 1 && v <= 31) {
                day = v;
                i += 1;
                if (i + 1 < d->ntoks &&
                    (d->toks[i + 1].flags & DP_TOK_NUMBER)) {
                    const dp_tok *b = &d->toks[i + 1];
                    int y = small_number(d->orig + b->start, b->end - b->start);
                    if (is_year(y) && b->end - b->start == 4) {
                        year = y;
                        i += 1;
                    }
                }
            } else
                continue;
        } else
            continue;
        /* a month with a day or a year */
        out->mentions++;
        if (year >= 0)
            add_year(out, year);
        if (year >= 0 && day >= 1 && out->ref_day == DP_NO_DAY &&
            t->start < DP_DATE_DATELINE_BYTES)
            out->ref_day = dpi_date_days(year, (unsigned)m, (unsigned)day);
    }
    if (out->from_field) {
        /* the year of the record's own date */
        int32_t dd = field_day;
        int y = 1970;
        while (y < DP_DATE_YEAR1 && dpi_date_days(y + 1, 1, 1) <= dd)
            y++;
        while (y > DP_DATE_YEAR0 && dpi_date_days(y, 1, 1) > dd)
            y--;
        add_year(out, y);
    }
}

int dpi_date_years_overlap(const dp_story_dates *a, const dp_story_dates *b,
                           int *both)
{
    size_t k;
    int na = 0, nb = 0, inter = 0;
    for (k = 0; k < DP_DATE_YEAR_WORDS; k++) {
        na |= a->years[k] != 0;
        nb |= b->years[k] != 0;
        inter |= (a->years[k] & b->years[k]) != 0;
    }
    *both = na && nb;
    return inter;
}
