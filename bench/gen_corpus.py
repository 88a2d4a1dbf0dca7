#!/usr/bin/env python3
"""bench/gen_corpus.py - a large JSONL corpus with known near-duplicate groups.

Builds a corpus for bench/dedup from the real text in ../shared/data
(Reuters-21578 bodies, PAN 2013 and Clough & Stevenson texts), cached in
bench/out/ (git-ignored; nothing from shared/ is copied into the repository):

  OUT/corpus.jsonl   one {"id": "d0000042", "text": ...} per line, shuffled
  OUT/truth.jsonl    one line per near-duplicate group: ids (the original
                     first), the edits made to each variant and the exact
                     5-shingle Jaccard of every pair in the group
  OUT/meta.json      parameters, sizes and realised edit rates

How documents are made:

  * The texts are cut into paragraphs and sentences; sentences repeated in
    the sources (boilerplate, wire re-filings, copied passages) are kept
    once, so every sentence of the pool is distinct.
  * A *base* document is 2 or more runs of 1-3 consecutive sentences of
    one source paragraph each (a run is a paragraph of the new document),
    with a length in words drawn from 0.9 x the Reuters body lengths (at
    least 25 words), no run holding more than half of its words, and
    sentences of at most 80 words. No two bases start with the same two
    runs, so bases share at most a few sentences by chance (Jaccard far
    below any threshold; the benchmark checks the pairs doppel groups
    across groups anyway).
  * A fraction --dup-frac of the documents belong to groups of 2..5: the
    original base and its variants. A variant is, at random:
      - "copy" (10%): the same words;
      - "near" (85%): 1 + Poisson(words / 100) random edits, each kept only
        while the exact 5-shingle Jaccard with the original stays at or
        above --min-j (0.85; a refused edit is replaced by another, at most
        3 times);
      - "far" (5%): edits until the Jaccard with the original falls to a
        target drawn from [0.5, 0.75]: a related document that is *not* a
        near-duplicate at 0.8 (hard negatives for precision).
    Edits, by weight: change a word 35, delete a word 15, insert a word 15
    (words drawn from the pool's vocabulary), swap two adjacent sentences
    15, delete a sentence 10, insert a sentence from elsewhere 10. Half the
    variants are also re-laid out (one sentence per paragraph, one
    paragraph, or wrapped at 65 columns), which changes no word.
    truth.jsonl records every variant's kind and edits and the exact
    Jaccard of every pair of the group; meta.json the realised rates.
  * The rest are unique bases. Everything is shuffled; ids are positions.

The Jaccard is computed with the reference tokenizer of
tests/cli/dedup_check.py (doppel's words, approximated).

Deterministic for a given --seed and --docs (workers draw from their own
seeded generators). Usage:
  bench/gen_corpus.py [--docs N] [--dup-frac F] [--min-j J] [--seed S]
                      [--out DIR] [--jobs N] [--force]
Prints the corpus directory on stdout.
"""
import argparse
import gc
import glob
import json
import math
import multiprocessing as mp
import os
import random
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
import dedup_check as ref  # noqa: E402

SHARED = os.environ.get("DOPPEL_SHARED", os.path.join(ROOT, "..", "shared"))
VERSION = 3
MAX_SENT_WORDS = 80     # longer "sentences" are tables or unpunctuated text
EDIT_WEIGHTS = [("change_word", 35), ("delete_word", 15), ("insert_word", 15),
                ("swap_sentences", 15), ("delete_sentence", 10),
                ("insert_sentence", 10)]
EDIT_NAMES = [e[0] for e in EDIT_WEIGHTS]
EDIT_W = [e[1] for e in EDIT_WEIGHTS]
VARIANT_KINDS = [("copy", 10), ("near", 85), ("far", 5)]

_SENT_END = re.compile(r'(?<=[.!?])["\')]?\s+(?=["(\']?[A-Z0-9])')
_ABBREV = re.compile(r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Inc|Corp|Co|Ltd|Jan|Feb|"
                     r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Gov|Sen|Rep|"
                     r"U\.S|vs|Jr|Sr)\.)$")

# ------------------------------------------------------------ sources


def source_texts():
    """(name, text) of every real text in shared/data."""
    out = []
    path = os.path.join(SHARED, "data", "reuters21578", "reuters.jsonl")
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            out.append(("reuters", o["text"]))
    for sub in ("pan13-dev/src", "pan13-dev/susp", "clough-stevenson/corpus-20090418"):
        for p in sorted(glob.glob(os.path.join(SHARED, "data", sub, "*.txt"))):
            with open(p, "rb") as f:
                out.append((sub.split("/")[0], f.read().decode("utf-8", "replace")))
    return out


def paragraphs(name, text):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if name == "reuters":
        text = re.sub(r"\s*\bReuter\s*(&#3;)?\s*$", "", text)
        parts = re.split(r"\n(?=[ \t]+\S)|\n\s*\n", text)
    else:
        parts = re.split(r"\n\s*\n", text)
    return [" ".join(p.split()) for p in parts if p.strip()]


def sentences(par):
    out = []
    start = 0
    for m in _SENT_END.finditer(par):
        piece = par[start:m.start()]
        if _ABBREV.search(piece):
            continue
        out.append(par[start:m.start()].strip())
        start = m.end()
    out.append(par[start:].strip())
    return [s for s in out if s]


def build_pool():
    """Distinct sentences in source order, with the run structure: sentences
    of one paragraph of one source text are consecutive and may form a run."""
    sents, toks, para_end = [], [], []
    seen = set()
    lengths = []
    for name, text in source_texts():
        if name == "reuters":
            lengths.append(len(ref.words(text)))
        for par in paragraphs(name, text):
            first = len(sents)
            for s in sentences(par):
                if "\ufffd" in s:
                    continue
                w = ref.words(s)
                if len(w) < 3 or len(w) > MAX_SENT_WORDS:
                    continue
                key = tuple(w)
                if key in seen:
                    continue
                seen.add(key)
                sents.append(s)
                toks.append(w)
            para_end.extend([len(sents)] * (len(sents) - first))
    return sents, toks, para_end, sorted(lengths)


# ------------------------------------------------------------ worker state

G = {}


def init_worker(pool):
    G["sents"], G["toks"], G["para_end"], G["lengths"] = pool
    G["vocab"] = [w for s in G["sents"][::50] for w in s.split()
                  if w.isalpha() and len(w) > 2]


def plan_base(rnd, sents, toks, para_end, lengths, used, part, nparts):
    """A base document: list of runs (lists of sentence numbers). Its first
    run starts at a sentence number = @part modulo @nparts, so that chunks
    planned apart (each with its own @used set) never share a key."""
    n = len(sents)
    target = max(25, int(0.9 * lengths[rnd.randrange(len(lengths))]))
    while True:
        runs, words, biggest = [], 0, 0
        # At least 2 runs, and no run more than half the words: two bases
        # sharing one run by chance stay far below any threshold.
        while words < target or len(runs) < 2 or 2 * biggest > words:
            if runs:
                s = rnd.randrange(n)
            else:
                s = part + nparts * rnd.randrange((n - part + nparts - 1) // nparts)
            ln = rnd.choice((1, 1, 2, 2, 3))
            run = list(range(s, min(s + ln, para_end[s])))
            runs.append(run)
            w = sum(len(toks[i]) for i in run)
            words += w
            biggest = max(biggest, w)
            if len(runs) > 60:
                break
        key = (runs[0][0], runs[1][0])
        if key not in used:
            used.add(key)
            return runs


def layout(paras, rnd=None):
    """Text of a document given as paragraphs (lists of sentence strings),
    laid out like a Reuters body (indented paragraphs); with @rnd, a random
    re-layout that keeps every word."""
    if rnd is None:
        return "\n    ".join(" ".join(p) for p in paras if p) + "\n"
    flat = [s for p in paras for s in p]
    style = rnd.randrange(3)
    if style == 0:      # one paragraph per sentence, blank lines between
        return "\n\n".join(flat) + "\n"
    if style == 1:      # everything in one paragraph, double spaces
        return "  ".join(flat)
    text = "\n    ".join(" ".join(p) for p in paras if p)
    out, col = [], 0    # wrapped at ~65 columns like the original wire
    for w in text.split(" "):
        if col + len(w) > 65 and col:
            out.append("\n")
            col = 0
        elif out:
            out.append(" ")
            col += 1
        out.append(w)
        col += len(w)
    return "".join(out) + "\n"


def doc_words(paras, ptoks):
    return [w for p in ptoks for t in p for w in t]


def edit(rnd, paras, ptoks, op):
    """Apply one edit in place; return False when it does not apply."""
    sents, toks, vocab = G["sents"], G["toks"], G["vocab"]
    flat = [(i, j) for i, p in enumerate(paras) for j in range(len(p))]
    if not flat:
        return False
    if op in ("change_word", "delete_word", "insert_word"):
        i, j = flat[rnd.randrange(len(flat))]
        ws = paras[i][j].split(" ")
        k = rnd.randrange(len(ws))
        if op == "change_word":
            ws[k] = rnd.choice(vocab)
        elif op == "delete_word":
            if len(ws) < 2:
                return False
            del ws[k]
        else:
            ws.insert(k, rnd.choice(vocab))
        paras[i][j] = " ".join(ws)
        ptoks[i][j] = ref.words(paras[i][j])
    elif op == "swap_sentences":
        if len(flat) < 2:
            return False
        x = rnd.randrange(len(flat) - 1)
        (a, b), (c, d) = flat[x], flat[x + 1]
        paras[a][b], paras[c][d] = paras[c][d], paras[a][b]
        ptoks[a][b], ptoks[c][d] = ptoks[c][d], ptoks[a][b]
    elif op == "delete_sentence":
        if len(flat) < 3:
            return False
        i, j = flat[rnd.randrange(len(flat))]
        del paras[i][j]
        del ptoks[i][j]
    else:
        s = rnd.randrange(len(sents))
        i, j = flat[rnd.randrange(len(flat))]
        paras[i].insert(j, sents[s])
        ptoks[i].insert(j, toks[s])
    return True


def poisson(rnd, lam):
    l, k, p = math.exp(-lam), 0, rnd.random()
    while p > l:
        k += 1
        p *= rnd.random()
    return k


def variant(rnd, runs, orig_set, min_j, kind):
    """One variant of a base: kind "copy" (no word edited), "near" (1 +
    Poisson(words / 100) edits, each kept only while the Jaccard with the
    original stays >= min_j; a refused edit is replaced by another, at most
    3 times) or "far" (edits until the Jaccard falls to a target drawn from
    [0.5, 0.75]: a related document that is not a near-duplicate)."""
    sents, toks = G["sents"], G["toks"]
    paras = [[sents[s] for s in r] for r in runs]
    ptoks = [[toks[s] for s in r] for r in runs]
    ops = dict.fromkeys(EDIT_NAMES, 0)
    j = 1.0
    nwords = sum(len(t) for p in ptoks for t in p)
    if kind == "near":
        todo, refusals, floor = 1 + poisson(rnd, nwords / 100.0), 3, min_j
    elif kind == "far":
        todo, refusals, floor = 10 ** 6, 0, rnd.uniform(0.5, 0.75)
    else:
        todo, refusals, floor = 0, 0, 1.0
    tries = 0
    while todo > 0 and tries < 400:
        tries += 1
        op = rnd.choices(EDIT_NAMES, EDIT_W)[0]
        trial_p = [list(p) for p in paras]
        trial_t = [list(p) for p in ptoks]
        if not edit(rnd, trial_p, trial_t, op):
            continue
        jt = ref.jaccard(orig_set, ref.shingles(doc_words(trial_p, trial_t)))
        if kind == "far":
            paras, ptoks, j = trial_p, trial_t, jt
            ops[op] += 1
            if jt <= floor:
                break
            continue
        if jt < floor:
            if refusals == 0:
                break
            refusals -= 1
            continue
        paras, ptoks, j = trial_p, trial_t, jt
        ops[op] += 1
        todo -= 1
    relaid = rnd.random() < 0.5
    text = layout(paras, rnd if relaid else None)
    words = doc_words(paras, ptoks)
    return text, ops, j, ref.shingles(words), relaid, len(words)


def work(task):
    """Build the documents of one chunk of units: (chunk number, number of
    chunks, seed, units), a unit being its list of slots (one = a unique
    document, more = a group)."""
    part, nparts, seed, units = task
    min_j = G["min_j"]
    sents, toks, para_end, lengths = G["sents"], G["toks"], G["para_end"], G["lengths"]
    lines, truth = [], []
    stats = dict.fromkeys([e[0] for e in EDIT_WEIGHTS], 0)
    stats.update(variant_words=0, relaid=0, variants=0, copy=0, near=0, far=0)
    crnd = random.Random(seed)
    used = set()
    for slots in units:
        runs = plan_base(crnd, sents, toks, para_end, lengths, used, part, nparts)
        seed = crnd.getrandbits(63)
        paras = [[sents[s] for s in r] for r in runs]
        text = layout(paras)
        lines.append((slots[0], text))
        if len(slots) == 1:
            continue
        rnd = random.Random(seed)
        ptoks = [[toks[s] for s in r] for r in runs]
        sets = [ref.shingles(doc_words(paras, ptoks))]
        edits = [None]
        kinds = [None]
        for slot in slots[1:]:
            kind = rnd.choices([k[0] for k in VARIANT_KINDS],
                               [k[1] for k in VARIANT_KINDS])[0]
            vt, ops, j, vs, relaid, nw = variant(rnd, runs, sets[0], min_j, kind)
            lines.append((slot, vt))
            sets.append(vs)
            edits.append(ops)
            kinds.append(kind)
            stats[kind] += 1
            for k, v in ops.items():
                stats[k] += v
            stats["variants"] += 1
            stats["relaid"] += relaid
            stats["variant_words"] += nw
        pairs = []
        for a in range(len(slots)):
            for b in range(a + 1, len(slots)):
                pairs.append([a, b, round(ref.jaccard(sets[a], sets[b]), 5)])
        truth.append({"ids": ["d%07d" % s for s in slots], "kinds": kinds,
                      "edits": edits,
                      "jaccard": pairs})
    out = [(slot, json.dumps({"id": "d%07d" % slot, "text": t}) + "\n")
           for slot, t in lines]
    return out, truth, stats


def generate(a, out):
    t0 = time.time()
    pool = build_pool()
    sents, toks, para_end, lengths = pool
    print("gen_corpus: %d distinct sentences from shared/data (%.1f s)"
          % (len(sents), time.time() - t0), file=sys.stderr)
    rnd = random.Random(a.seed)
    n = a.docs
    # Units: groups of 2..5 until dup_frac * n documents, then uniques.
    sizes = []
    grouped = 0
    while grouped < a.dup_frac * n:
        s = rnd.randint(2, 5)
        s = min(s, n - grouped)
        sizes.append(s)
        grouped += s
    sizes += [1] * (n - grouped)
    slots = list(range(n))
    rnd.shuffle(slots)
    rnd.shuffle(sizes)
    units, pos = [], 0
    for s in sizes:
        units.append(slots[pos:pos + s])
        pos += s
    chunk = 5000
    nparts = (len(units) + chunk - 1) // chunk
    tasks = [(k, nparts, rnd.getrandbits(63), units[k * chunk:(k + 1) * chunk])
             for k in range(nparts)]
    lines = [None] * n
    truth = []
    stats = {}
    G["min_j"] = a.min_j
    init_worker(pool)
    gc.collect()
    gc.freeze()     # forked workers then share the pool's pages untouched
    ctx = mp.get_context("fork")
    with ctx.Pool(a.jobs) as p:
        for done, (ls, tr, st) in enumerate(p.imap(work, tasks)):
            for slot, line in ls:
                lines[slot] = line
            truth.extend(tr)
            for k, v in st.items():
                stats[k] = stats.get(k, 0) + v
            if (done + 1) % 20 == 0:
                print("gen_corpus: %d/%d chunks (%.0f s)" % (done + 1, len(tasks),
                      time.time() - t0), file=sys.stderr)
    os.makedirs(out, exist_ok=True)
    nbytes = 0
    with open(os.path.join(out, "corpus.jsonl.tmp"), "w") as f:
        for line in lines:
            f.write(line)
    nbytes = os.path.getsize(os.path.join(out, "corpus.jsonl.tmp"))
    with open(os.path.join(out, "truth.jsonl"), "w") as f:
        for g in truth:
            f.write(json.dumps(g) + "\n")
    vw = max(1, stats["variant_words"])
    meta = {
        "version": VERSION, "docs": n, "bytes": nbytes, "seed": a.seed,
        "dup_frac": a.dup_frac, "min_j": a.min_j, "groups": len(truth),
        "grouped_docs": grouped, "variants": stats["variants"],
        "sentences_in_pool": len(sents),
        "edits_per_1000_variant_words": {
            k: round(1000.0 * stats[k] / vw, 3) for k, _ in EDIT_WEIGHTS},
        "edits_per_variant": {
            k: round(stats[k] / max(1, stats["variants"]), 4) for k, _ in EDIT_WEIGHTS},
        "relaid_variants": stats["relaid"],
        "variant_kinds": {k: stats[k] for k, _ in VARIANT_KINDS},
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(os.path.join(out, "corpus.jsonl.tmp"), os.path.join(out, "corpus.jsonl"))
    print("gen_corpus: %d documents, %.0f MB, %d groups (%.0f s)"
          % (n, nbytes / 1e6, len(truth), time.time() - t0), file=sys.stderr)
    return meta


def corpus_dir(a):
    return os.path.join(ROOT, "bench", "out", "dedup-corpus-v%d-n%d-f%g-j%g-s%d"
                        % (VERSION, a.docs, a.dup_frac, a.min_j, a.seed))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1000000)
    ap.add_argument("--dup-frac", type=float, default=0.3)
    ap.add_argument("--min-j", type=float, default=0.85)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", help="directory (default: bench/out/dedup-corpus-...)")
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    a = ap.parse_args()
    out = a.out or corpus_dir(a)
    if a.force or not (os.path.exists(os.path.join(out, "corpus.jsonl")) and
                       os.path.exists(os.path.join(out, "meta.json"))):
        generate(a, out)
    print(out)


if __name__ == "__main__":
    main()
