/*
 * test_sent.c - the sentence splitter: boundaries, non-boundaries
 * (abbreviations, initials, decimals, lower-case continuations), quote
 * and bracket ownership, blank lines, CRLF, the length cap, the seeds,
 * and the partition invariants on adversarial input.
 */
#include <stdlib.h>

#include "../test.h"
#include "text/text.h"

static dp_doc *mk(const char *s, size_t n)
{
    dp_doc *doc = NULL;
    if (dp_doc_create(s, n, NULL, &doc, NULL) != DP_OK)
        return NULL;
    return doc;
}

/* Every token in exactly one sentence; in order; spans hold their tokens. */
static void check_invariants(const dp_doc *doc, const char *file, int line)
{
    size_t i, next_tok = 0, prev_end = 0;
    for (i = 0; i < doc->nsents; i++) {
        const dp_sent *s = &doc->sents[i];
        if (s->tok_begin != next_tok || s->tok_end <= s->tok_begin ||
            s->start < prev_end || s->end <= s->start ||
            s->start > doc->toks[s->tok_begin].start ||
            s->end < doc->toks[s->tok_end - 1].end || s->end > doc->orig_len) {
            dp_test_fail(file, line, "sentence %zu breaks the invariants", i);
            return;
        }
        next_tok = s->tok_end;
        prev_end = s->end;
    }
    if (next_tok != doc->ntoks)
        dp_test_fail(file, line, "sentences cover %zu of %zu tokens", next_tok,
                     doc->ntoks);
}

/* @doc's sentences must be exactly @want (original bytes of each span). */
static void check_sents(const char *text, const char *const *want,
                        const char *file, int line)
{
    dp_doc *doc = mk(text, strlen(text));
    size_t i, n = 0;
    if (!doc) {
        dp_test_fail(file, line, "dp_doc_create failed");
        return;
    }
    while (want[n])
        n++;
    check_invariants(doc, file, line);
    if (doc->nsents != n) {
        dp_test_fail(file, line, "%zu sentences, want %zu", doc->nsents, n);
        for (i = 0; i < doc->nsents; i++)
            printf("    [%zu] \"%.*s\"\n", i,
                   (int)(doc->sents[i].end - doc->sents[i].start),
                   doc->orig + doc->sents[i].start);
    } else {
        for (i = 0; i < n; i++) {
            const dp_sent *s = &doc->sents[i];
            if (s->end - s->start != strlen(want[i]) ||
                memcmp(doc->orig + s->start, want[i], strlen(want[i])) != 0)
                dp_test_fail(
                    file, line, "sentence %zu is \"%.*s\", want \"%s\"", i,
                    (int)(s->end - s->start), doc->orig + s->start, want[i]);
        }
    }
    dp_doc_free(doc);
}
#define SENTS(text, ...)                                                       \
    check_sents(text, (const char *const[]){__VA_ARGS__, NULL}, __FILE__,      \
                __LINE__)

TEST(sent_simple_punctuation)
{
    SENTS("One two. Three four! Five six? Seven", "One two.", "Three four!",
          "Five six?", "Seven");
    SENTS("Really?! Yes.", "Really?!", "Yes.");
}

TEST(sent_abbreviations)
{
    SENTS("Mr. Smith met Dr. Jones and Prof. Lee. They talked.",
          "Mr. Smith met Dr. Jones and Prof. Lee.", "They talked.");
    SENTS("Gen. Milley and Sen. Warren spoke, vs. Gov. Abbott on Jan. 5 and "
          "Sept. 9. Then No. 10 replied.",
          "Gen. Milley and Sen. Warren spoke, vs. Gov. Abbott on Jan. 5 and "
          "Sept. 9.",
          "Then No. 10 replied.");
    SENTS("Sens. Alan Cranston and Reps. Jim Wright spoke.",
          "Sens. Alan Cranston and Reps. Jim Wright spoke.");
    SENTS("Apple Inc. The company grew.", "Apple Inc.", "The company grew.");
    SENTS("Apple Inc. Chief Tim Cook spoke.",
          "Apple Inc. Chief Tim Cook spoke.");
    SENTS("They sold fruit, nuts, etc. and more.",
          "They sold fruit, nuts, etc. and more.");
    SENTS("I said no. Then I left.", "I said no.", "Then I left.");
    SENTS("Sales rose for Oct/Dec. Buyers were the U.S.\n    Sellers were "
          "Mr.\nSmith and Co.",
          "Sales rose for Oct/Dec.", "Buyers were the U.S.",
          "Sellers were Mr.\nSmith and Co.");
}

TEST(sent_initials)
{
    SENTS("J. R. R. Tolkien wrote it. He was English.",
          "J. R. R. Tolkien wrote it.", "He was English.");
    SENTS("George W. Bush spoke.", "George W. Bush spoke.");
    SENTS("A. A. Milne wrote it.", "A. A. Milne wrote it.");
    /* A letter glued to a word is no initial. */
    SENTS("The threat is ISIS-K. Officials agree.", "The threat is ISIS-K.",
          "Officials agree.");
    /* A lone letter before a capitalised stopword ends the sentence. */
    SENTS("They chose plan B. It worked.", "They chose plan B.", "It worked.");
}

TEST(sent_dotted_initials)
{
    SENTS("The U.S. and the U.K. agreed. Talks went on.",
          "The U.S. and the U.K. agreed.", "Talks went on.");
    SENTS("U.S. officials met U.N. envoys.", "U.S. officials met U.N. envoys.");
    SENTS("He moved to the U.S. The weather was fine.", "He moved to the U.S.",
          "The weather was fine.");
    SENTS("Some fruit, e.g. Apples, and i.e. Pears.",
          "Some fruit, e.g. Apples, and i.e. Pears.");
}

TEST(sent_decimals_and_numbers)
{
    SENTS("Prices rose 3.5 percent to 1,000.25 dollars. Then they fell.",
          "Prices rose 3.5 percent to 1,000.25 dollars.", "Then they fell.");
    SENTS("It happened in 2022. 5 people died.", "It happened in 2022.",
          "5 people died.");
}

TEST(sent_lowercase_continues)
{
    SENTS("Wait... then go. Wait... Then go.", "Wait... then go.", "Wait...",
          "Then go.");
    SENTS("\"Why?\" he asked.", "\"Why?\" he asked.");
}

TEST(sent_quotes_and_brackets_belong_to_their_sentence)
{
    SENTS("\"Go now,\" he said. \"It is late.\" She left.",
          "\"Go now,\" he said.", "\"It is late.\"", "She left.");
    SENTS("(See above.) [Next one.] Done.", "(See above.)", "[Next one.]",
          "Done.");
    /* Curly quotes: the closing one is inside the span. */
    SENTS("\xE2\x80\x9CIt is late.\xE2\x80\x9D She left.",
          "\xE2\x80\x9CIt is late.\xE2\x80\x9D", "She left.");
    SENTS("He said \xE2\x80\x9Cyes.\xE2\x80\x9D\xC2\xA0Then he left.",
          "He said \xE2\x80\x9Cyes.\xE2\x80\x9D", "Then he left.");
}

TEST(sent_blank_lines)
{
    SENTS("Headline here\n\nBody text starts. More here.\n \t\nLast para",
          "Headline here", "Body text starts.", "More here.", "Last para");
    SENTS("(With inputs from agencies)\n\nWATCH LIVE HERE:",
          "(With inputs from agencies)", "WATCH LIVE HERE:");
    /* A single newline is not a boundary. */
    SENTS("line one\nline two.", "line one\nline two.");
    /* Stray punctuation after the final stop stays outside. */
    SENTS("Done. *\n\nNext", "Done.", "Next");
    /* Punctuation-only lines belong to no sentence. */
    SENTS("Title\n\n***\n\nText.", "Title", "Text.");
}

TEST(sent_crlf)
{
    static const char text[] =
        "First one.\r\nSecond one.\r\n\r\nHeadline\r\n\r\n\xE2\x80\x9C"
        "Body\xE2\x80\x9D ends.\r\n";
    SENTS(text, "First one.", "Second one.", "Headline",
          "\xE2\x80\x9C"
          "Body\xE2\x80\x9D ends.");
    /* Old Mac line ends (CR only) make blank lines too. */
    SENTS("Head\r\rBody", "Head", "Body");
}

TEST(sent_cjk)
{
    /* 我爱北京。你好吗？“我很好！”他说。 */
    SENTS("\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC\xE3\x80\x82"
          "\xE4\xBD\xA0\xE5\xA5\xBD\xE5\x90\x97\xEF\xBC\x9F"
          "\xE2\x80\x9C\xE6\x88\x91\xE5\xBE\x88\xE5\xA5\xBD\xEF\xBC\x81\xE2\x80"
          "\x9D"
          "\xE4\xBB\x96\xE8\xAF\xB4\xE3\x80\x82",
          "\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC\xE3\x80\x82",
          "\xE4\xBD\xA0\xE5\xA5\xBD\xE5\x90\x97\xEF\xBC\x9F",
          "\xE2\x80\x9C\xE6\x88\x91\xE5\xBE\x88\xE5\xA5\xBD\xEF\xBC\x81\xE2\x80"
          "\x9D",
          "\xE4\xBB\x96\xE8\xAF\xB4\xE3\x80\x82");
    /* Without CJK neighbours a missing space is no boundary. */
    SENTS("Version 2.x.Final", "Version 2.x.Final");
}

TEST(sent_cap_without_punctuation)
{
    size_t n = 1000, i, len = 0;
    char *buf = malloc(n * 6 + 1);
    dp_doc *doc;
    REQUIRE(buf);
    for (i = 0; i < n; i++)
        len += (size_t)sprintf(buf + len, "word ");
    doc = mk(buf, len);
    REQUIRE(doc);
    check_invariants(doc, __FILE__, __LINE__);
    CHECK_EQ(doc->nsents, 4); /* 256 + 256 + 256 + 232 */
    for (i = 0; i < doc->nsents; i++)
        CHECK(doc->sents[i].tok_end - doc->sents[i].tok_begin <=
              DP_SENT_MAX_TOKENS);
    CHECK_EQ(doc->sents[0].tok_end, DP_SENT_MAX_TOKENS);
    dp_doc_free(doc);
    free(buf);
}

TEST(sent_cap_prefers_newline)
{
    /* Lines of 100 words, no punctuation, single newlines: cut at lines. */
    size_t i, len = 0;
    char *buf = malloc(1000 * 6 + 16);
    dp_doc *doc;
    REQUIRE(buf);
    for (i = 0; i < 1000; i++)
        len += (size_t)sprintf(buf + len, (i % 100 == 99) ? "word\n" : "word ");
    doc = mk(buf, len);
    REQUIRE(doc);
    check_invariants(doc, __FILE__, __LINE__);
    for (i = 0; i < doc->nsents; i++) {
        CHECK(doc->sents[i].tok_end % 100 == 0);
        CHECK(doc->orig[doc->sents[i].end] == '\n');
    }
    dp_doc_free(doc);
    free(buf);
}

TEST(sent_huge_line_is_linear)
{
    /* 5 MB on one line, no punctuation at all. */
    size_t len = 5u << 20, i;
    char *buf = malloc(len);
    dp_doc *doc;
    REQUIRE(buf);
    for (i = 0; i < len; i++)
        buf[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 5);
    doc = mk(buf, len);
    REQUIRE(doc);
    check_invariants(doc, __FILE__, __LINE__);
    CHECK_EQ(doc->nsents,
             (doc->ntoks + DP_SENT_MAX_TOKENS - 1) / DP_SENT_MAX_TOKENS);
    dp_doc_free(doc);
    free(buf);
}

TEST(sent_adversarial_punctuation)
{
    /* A megabyte of punctuation between two words; runs of dots, quotes
     * and brackets; every pattern must stay linear and keep the
     * invariants. */
    static const char *const fill[] = {"!",  ".",  "\"",  "(",
                                       ". ", "\n", "?\"", ")"};
    size_t k, n = 1u << 20;
    char *buf = malloc(n + 16);
    REQUIRE(buf);
    for (k = 0; k < sizeof fill / sizeof fill[0]; k++) {
        size_t len = 0, fl = strlen(fill[k]);
        dp_doc *doc;
        memcpy(buf, "Alpha", 5);
        len = 5;
        while (len + fl < n) {
            memcpy(buf + len, fill[k], fl);
            len += fl;
        }
        memcpy(buf + len, "Beta", 4);
        len += 4;
        doc = mk(buf, len);
        REQUIRE(doc);
        CHECK_EQ(doc->ntoks, 2);
        check_invariants(doc, __FILE__, __LINE__);
        dp_doc_free(doc);
    }
    free(buf);
}

/* Find the sentence whose original text starts with @prefix. */
static const dp_sent *find_sent(const dp_doc *doc, const char *prefix)
{
    size_t i, l = strlen(prefix);
    for (i = 0; i < doc->nsents; i++)
        if (doc->sents[i].end - doc->sents[i].start >= l &&
            memcmp(doc->orig + doc->sents[i].start, prefix, l) == 0)
            return &doc->sents[i];
    return NULL;
}

static int ends_with(const dp_doc *doc, const dp_sent *s, const char *suffix)
{
    size_t l = strlen(suffix);
    return s->end - s->start >= l &&
           memcmp(doc->orig + s->end - l, suffix, l) == 0;
}

static dp_doc *seed(const char *name)
{
    char path[4096];
    size_t len;
    char *text;
    dp_doc *doc;
    snprintf(path, sizeof path, "%s/seeds/%s", dp_test_shared(), name);
    text = dp_test_slurp(path, &len);
    if (!text)
        return NULL;
    doc = mk(text, len);
    free(text);
    return doc;
}

TEST(sent_seed000_safe_house_sentence)
{
    dp_doc *doc = seed("000_150493159232f54a.txt");
    const dp_sent *s;
    REQUIRE(doc);
    check_invariants(doc, __FILE__, __LINE__);
    s = find_sent(doc, "He was found to be residing");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "deputy leader of the Taliban."));
    s = find_sent(doc, "Zawahiri was killed in a drone strike");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "in Kabul."));
    s = find_sent(doc, "US officials had claimed");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "Akhundzada."));
    /* The headline (no final punctuation) is a sentence of its own. */
    CHECK(doc->sents[0].start == 0);
    CHECK(ends_with(doc, &doc->sents[0], "killing: Report"));
    /* A closing curly quote ends the Sanner sentence inside its span. */
    s = find_sent(doc, "\xE2\x80\x9C[Cohen]");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "Sanner said."));
    s = find_sent(doc, "\xE2\x80\x9CISIS-K now poses");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "contain them.\xE2\x80\x9D"));
    dp_doc_free(doc);
}

TEST(sent_seed001_cohen_paragraph_two_sentences)
{
    dp_doc *doc = seed("001_64c48dc445758d8a.txt");
    const dp_sent *s;
    size_t idx;
    REQUIRE(doc);
    check_invariants(doc, __FILE__, __LINE__);
    s = find_sent(doc, "\"[Cohen] is likely to deliver");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "or its allies,\" he added."));
    idx = (size_t)(s - doc->sents);
    REQUIRE(idx + 1 < doc->nsents);
    s = &doc->sents[idx + 1];
    CHECK(doc->orig[s->start] == '"');
    CHECK(memcmp(doc->orig + s->start, "\"ISIS-K now poses", 17) == 0);
    CHECK(ends_with(doc, s, "unable to contain them.\""));
    /* Exactly two sentences in that paragraph: the next one starts a new
     * paragraph after a blank line. */
    REQUIRE(idx + 2 < doc->nsents);
    CHECK(memcmp(doc->orig + doc->sents[idx + 2].start, "Last month", 10) == 0);
    CHECK(memcmp(doc->orig + s->end, "\n\n", 2) == 0);
    /* The CIA/Wasiq paragraph is two sentences. */
    s = find_sent(doc, "Whereas the Taliban delegation");
    REQUIRE(s);
    CHECK(ends_with(doc, s, "Abdul Haq Wasiq."));
    dp_doc_free(doc);
}
