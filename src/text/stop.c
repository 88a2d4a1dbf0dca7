/*
 * stop.c - the English stopword list and its lookup.
 *
 * Stopwords are the function words that say nothing about what a story is
 * about: articles, pronouns, auxiliaries, prepositions, conjunctions, and
 * the pieces contractions leave behind ("s", "t", "don", "ll", ...) when
 * an apostrophe does not sit between two letters. The list is our own
 * (about 180 entries) and is written in normalised form: case-folded, with
 * the ASCII apostrophe the normaliser produces, so "Don’t" matches "don't".
 * Other languages have no list yet: every word of theirs is a content word.
 *
 * Lookup is by the token's XXH3-64 hash (already computed by the
 * tokenizer) in an open-addressing set of 512 slots, built once under
 * pthread_once and read-only afterwards, so any number of threads may look
 * up at once. The keys are our own words, so no seeding is needed.
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "text/text.h"

static const char *const english[] = {
    "a",        "about",      "above",    "after",   "again",    "against",
    "all",      "also",       "am",       "an",      "and",      "any",
    "are",      "aren't",     "as",       "at",      "be",       "because",
    "been",     "before",     "being",    "below",   "between",  "both",
    "but",      "by",         "can",      "can't",   "cannot",   "could",
    "couldn't", "d",          "did",      "didn't",  "do",       "does",
    "doesn't",  "doing",      "don",      "don't",   "down",     "during",
    "each",     "either",     "few",      "for",     "from",     "further",
    "had",      "hadn't",     "has",      "hasn't",  "have",     "haven't",
    "having",   "he",         "he's",     "her",     "here",     "hers",
    "herself",  "him",        "himself",  "his",     "how",      "however",
    "i",        "i'll",       "i'm",      "i've",    "if",       "in",
    "into",     "is",         "isn't",    "it",      "it's",     "its",
    "itself",   "just",       "ll",       "m",       "may",      "me",
    "might",    "more",       "most",     "must",    "my",       "myself",
    "neither",  "no",         "nor",      "not",     "now",      "o",
    "of",       "off",        "on",       "once",    "only",     "or",
    "other",    "our",        "ours",     "out",     "over",     "own",
    "re",       "s",          "same",     "shall",   "she",      "she's",
    "should",   "shouldn't",  "so",       "some",    "such",     "t",
    "than",     "that",       "that's",   "the",     "their",    "theirs",
    "them",     "themselves", "then",     "there",   "there's",  "these",
    "they",     "they're",    "they've",  "this",    "those",    "through",
    "to",       "too",        "under",    "until",   "up",       "upon",
    "us",       "ve",         "very",     "was",     "wasn't",   "we",
    "we're",    "we've",      "were",     "weren't", "what",     "what's",
    "when",     "where",      "whether",  "which",   "while",    "who",
    "who's",    "whom",       "whose",    "why",     "will",     "with",
    "won't",    "would",      "wouldn't", "y",       "yet",      "you",
    "you're",   "you've",     "your",     "yours",   "yourself",
};

#define NWORDS (sizeof english / sizeof english[0])
#define SLOTS  512 /* power of two, > 2 * NWORDS */

static uint64_t set[SLOTS]; /* 0 = empty (no word hashes to 0 here) */
static pthread_once_t set_once = PTHREAD_ONCE_INIT;

static void build(void)
{
    size_t i;
    for (i = 0; i < NWORDS; i++) {
        uint64_t h = XXH3_64bits(english[i], strlen(english[i]));
        size_t slot = (size_t)h & (SLOTS - 1);
        assert(h != 0);
        while (set[slot] && set[slot] != h)
            slot = (slot + 1) & (SLOTS - 1);
        set[slot] = h;
    }
}

int dpi_stop_english(uint64_t hash)
{
    size_t slot;

    pthread_once(&set_once, build);
    if (hash == 0)
        return 0;
    slot = (size_t)hash & (SLOTS - 1);
    while (set[slot]) {
        if (set[slot] == hash)
            return 1;
        slot = (slot + 1) & (SLOTS - 1);
    }
    return 0;
}

size_t dpi_stop_count(void)
{
    return NWORDS;
}
