/*
 * report_story.c - the readable report of a merged story (dp_story):
 * the members, then the story with each sentence once and the members
 * that carry it (copied or rewritten, with what each rewrite adds), what
 * each member alone adds, the quotes with their carriers and changed
 * words, the conflicts and the provenance of each compared pair. Built
 * on the public API only. Colour (ANSI) only when asked; whitespace runs
 * in quoted text are shown as one space.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define SHOW_MAX 400 /* longest excerpt shown, in bytes, before "…" */

typedef struct style {
    const char *bold, *dim, *name, *added, *warn, *off;
} style;

static const style plain = {"", "", "", "", "", ""};
static const style ansi = {"\033[1m",    "\033[2m",  "\033[36m",
                           "\033[1;35m", "\033[33m", "\033[0m"};

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* Shared with the compare report (cli.h); here so that the story report
 * links on its own (bench/story_attrib). */
void cli_put_excerpt(FILE *f, const char *text, dp_span s, size_t max)
{
    size_t i, shown = 0;
    int space = 0;
    for (i = s.start; i < s.end; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (isspace(ch)) {
            space = 1;
            continue;
        }
        if (shown >= max && (ch & 0xC0) != 0x80) {
            fprintf(f, " … (%zu more bytes)", s.end - i);
            return;
        }
        if (space && shown)
            fputc(' ', f);
        space = 0;
        fputc(ch, f);
        shown++;
    }
}

static void excerpt(FILE *f, const dp_story *s, size_t m, dp_span sp)
{
    cli_put_excerpt(f, dp_doc_text(dp_story_member_at(s, m)->doc, NULL), sp,
                    SHOW_MAX);
}

static void name(FILE *f, const dp_story *s, size_t m, const style *st)
{
    const dp_story_member *mb = dp_story_member_at(s, m);
    if (mb->id)
        fprintf(f, "%s%s%s", st->name, mb->id, st->off);
    else
        fprintf(f, "%s#%zu%s", st->name, m, st->off);
}

static void spans(FILE *f, const dp_story *s, size_t m, const dp_span *sp,
                  size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        if (k)
            fputs(", ", f);
        excerpt(f, s, m, sp[k]);
    }
}

static void members(FILE *f, const dp_story *s, const style *st)
{
    size_t m, n = dp_story_members(s);
    fprintf(f, "%sMembers%s (%zu, primary ", st->bold, st->off, n);
    name(f, s, dp_story_primary(s), st);
    fputs(")\n", f);
    for (m = 0; m < n; m++) {
        const dp_story_member *mb = dp_story_member_at(s, m);
        fprintf(f, "  [%zu] ", m);
        name(f, s, m, st);
        if (mb->source)
            fprintf(f, "  %s", mb->source);
        if (mb->date)
            fprintf(f, "  %s", mb->date);
        fprintf(f, "  (%zu sentences)", dp_doc_sentences(mb->doc));
        if (mb->title) {
            fputs("\n      ", f);
            fputs(mb->title, f);
        }
        fputc('\n', f);
    }
}

static void units(FILE *f, const dp_story *s, const style *st)
{
    size_t u, k, n = dp_story_units(s);
    fprintf(f, "\n%sStory%s (%zu sentences, each once)\n", st->bold, st->off,
            n);
    for (u = 0; u < n; u++) {
        const dp_story_unit *un = dp_story_unit_at(s, u);
        fprintf(f, "%4zu. ", u + 1);
        excerpt(f, s, un->carriers[0].member, un->carriers[0].span);
        fputs("\n      ", f);
        if (un->nmembers == 1) {
            fprintf(f, "%sonly%s ", st->dim, st->off);
            name(f, s, un->carriers[0].member, st);
            fputc('\n', f);
            continue;
        }
        for (k = 0; k < un->ncarriers; k++) {
            const dp_story_carrier *c = &un->carriers[k];
            if (k && c->member == c[-1].member) {
                fputs(" +repeat", f); /* the same member again */
                continue;
            }
            if (k)
                fputs("; ", f);
            name(f, s, c->member, st);
            fprintf(f, " %s",
                    c->status == DP_SENT_COPIED ? "copied" : "rewritten");
            if (c->status == DP_SENT_REWRITTEN)
                fprintf(f, " %.2f", c->similarity);
        }
        if (un->origin >= 0) {
            fprintf(f, "%s; first: %s", st->dim, st->off);
            name(f, s, (size_t)un->origin, st);
        }
        fputc('\n', f);
        for (k = 0; k < un->ncarriers; k++) {
            const dp_story_carrier *c = &un->carriers[k];
            if (!c->nadded || (k && c->member == c[-1].member))
                continue;
            fputs("        ", f);
            name(f, s, c->member, st);
            fprintf(f, " adds: %s", st->added);
            spans(f, s, c->member, c->added, c->nadded);
            fprintf(f, "%s\n", st->off);
        }
    }
}

static void adds(FILE *f, const dp_story *s, const style *st)
{
    size_t m, k;
    for (m = 0; m < dp_story_members(s); m++) {
        const size_t *us;
        const dp_story_detail *dt;
        size_t n = dp_story_adds(s, m, &us);
        fprintf(f, "\n%sWhat ", st->bold);
        name(f, s, m, st);
        fprintf(f, "%s adds%s (%zu sentence%s)\n", st->bold, st->off, n,
                plural(n));
        for (k = 0; k < n; k++) {
            const dp_story_unit *un = dp_story_unit_at(s, us[k]);
            fputs("  - ", f);
            excerpt(f, s, m, un->carriers[0].span);
            fputc('\n', f);
        }
        n = dp_story_details(s, m, &dt);
        if (n) {
            fprintf(f, "  in shared sentences: %s", st->added);
            for (k = 0; k < n; k++) {
                if (k)
                    fputs(", ", f);
                excerpt(f, s, m, dt[k].span);
            }
            fprintf(f, "%s\n", st->off);
        }
    }
}

static void quotes(FILE *f, const dp_story *s, const style *st)
{
    size_t q, k, n = dp_story_quotes(s);
    fprintf(f, "\n%sQuotes%s (%zu)\n", st->bold, st->off, n);
    for (q = 0; q < n; q++) {
        const dp_story_quote *sq = dp_story_quote_at(s, q);
        fprintf(f, "%4zu. %s", q + 1,
                sq->kind == DP_QUOTE_MARKED ? "“" : "[reported] ");
        excerpt(f, s, sq->carriers[0].member, sq->carriers[0].span);
        fprintf(f, "%s\n", sq->kind == DP_QUOTE_MARKED ? "”" : "");
        for (k = 0; k < sq->ncarriers; k++) {
            const dp_quote_carrier *c = &sq->carriers[k];
            fputs("        ", f);
            name(f, s, c->member, st);
            fprintf(f, " %zu-%zu", c->span.start, c->span.end);
            if (c->speaker.end > c->speaker.start) {
                fputs("  speaker: ", f);
                excerpt(f, s, c->member, c->speaker);
            }
            if (c->nchanged) {
                fprintf(f, "  changed: %s", st->warn);
                spans(f, s, c->member, c->changed, c->nchanged);
                fputs(st->off, f);
            }
            fputc('\n', f);
        }
    }
}

static void conflicts(FILE *f, const dp_story *s, const style *st)
{
    static const char *const kinds[] = {"number", "date", "name"};
    size_t i, n = dp_story_conflicts(s);
    int k;
    fprintf(f, "\n%sConflicts%s (%zu)\n", st->bold, st->off, n);
    for (i = 0; i < n; i++) {
        const dp_story_conflict *c = dp_story_conflict_at(s, i);
        fprintf(f, "  %s%s%s: ", st->warn, kinds[c->kind], st->off);
        for (k = 0; k < 2; k++) {
            if (k)
                fputs(" vs ", f);
            name(f, s, c->member[k], st);
            fputs(" says \"", f);
            excerpt(f, s, c->member[k], c->value[k]);
            fputc('"', f);
        }
        fputc('\n', f);
        for (k = 0; k < 2; k++) {
            fputs("      ", f);
            name(f, s, c->member[k], st);
            fputs(": ", f);
            excerpt(f, s, c->member[k], c->span[k]);
            fputc('\n', f);
        }
    }
}

static void provenance(FILE *f, const dp_story *s, const style *st)
{
    size_t i, n = dp_story_edges(s);
    fprintf(f, "\n%sProvenance%s (%zu pair%s)\n", st->bold, st->off, n,
            plural(n));
    for (i = 0; i < n; i++) {
        const dp_story_edge *e = dp_story_edge_at(s, i);
        fputs("  ", f);
        name(f, s, e->from, st);
        fputs(e->basis == DP_PROV_UNDETERMINED ? " ? " : " -> ", f);
        name(f, s, e->to, st);
        if (e->basis == DP_PROV_DATE)
            fprintf(f, "  by date (%s before %s)",
                    dp_story_member_at(s, e->from)->date,
                    dp_story_member_at(s, e->to)->date);
        else if (e->basis == DP_PROV_CONTENT)
            fprintf(f, "  by content, confidence %.2f", e->confidence);
        else
            fputs("  undetermined", f);
        fprintf(f,
                "%s\n      containment %.2f / %.2f; shared sentences %zu / "
                "%zu; own sentences %zu / %zu%s\n",
                st->dim, e->contained[0], e->contained[1], e->shared[0],
                e->shared[1], e->own[0], e->own[1], st->off);
    }
}

void report_story_text(FILE *f, const dp_story *s, int color)
{
    const style *st = color ? &ansi : &plain;
    members(f, s, st);
    units(f, s, st);
    adds(f, s, st);
    quotes(f, s, st);
    conflicts(f, s, st);
    provenance(f, s, st);
}
