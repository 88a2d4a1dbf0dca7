#!/usr/bin/env python3
"""dedup_check.py - brute-force reference and checks for `doppel dedup`.

Used by tests/cli/dedup.sh (and, for its tokenizer and Jaccard, by
bench/dedup). Python 3 standard library only.

The reference recomputes what doppel computes, independently:

  * words: NFKC + casefold with doppel's quote/dash/space unification,
    tokens = maximal runs of letters/marks/digits; an apostrophe between two
    letters stays inside a word (don't, rock'n'roll), '.' or ',' between two
    digits stays inside a number (1,000.25); hyphens split; Han/kana one
    token per character (docs/text-pipeline.md, section 3);
  * shingles: the set of k consecutive words (k = 5); a document of 1..k-1
    words has one stand-in shingle, its whole word sequence, which equals no
    real k-shingle (docs/minhash-lsh.md, "Short documents"); a document with
    no words has none (doppel does not add it);
  * exact Jaccard of every pair of documents that share a shingle, through an
    inverted index on shingles.

Subcommands (each prints what it checked; exit 1 when a check fails):

  corpus REUTERS OUT N SEED     pick ~N Reuters articles rich in near-duplicates
  brute CORPUS CLUSTERS T       star-cluster checks against exact Jaccard
  exact-groups REUTERS CLUSTERS every identical-body group in one cluster
  partition CORPUS CLUSTERS KEEP DROP   keep/drop lists partition the ids
  output CORPUS KEEP OUT        --output holds exactly the kept lines, unchanged
  kept CLUSTERS ID...           the cluster holding ID[1:] keeps ID[0]
  apart CLUSTERS ID...          no two of these ids share a cluster
  together CLUSTERS ID...       all these ids share one cluster
  summary JSON KEY=VALUE...     fields of a --json summary equal these values
  jaccard FILE_A FILE_B         exact 5-shingle Jaccard of two texts
  explain CORPUS ID1 ID2 OUT    --explain output states the exact Jaccard
  pick-pair CORPUS LO HI        ids of a pair with LO <= exact J < HI
"""
import collections
import json
import random
import re
import sys
import unicodedata

K = 5

# ------------------------------------------------------------ tokenizer

_QUOTE1 = "\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4\u2039\u203a"
_QUOTE2 = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"
_DASH = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACE = ("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u202f\u205f\u3000\u200b")
_IGNORABLE = "\u00ad\u034f\u200c\u200d\u2060\ufeff" + "".join(
    chr(c) for c in range(0xfe00, 0xfe10))
_UNIFY = {}
for _c in _QUOTE1:
    _UNIFY[ord(_c)] = "'"
for _c in _QUOTE2:
    _UNIFY[ord(_c)] = '"'
for _c in _DASH:
    _UNIFY[ord(_c)] = "-"
for _c in _SPACE:
    _UNIFY[ord(_c)] = " "
for _c in _IGNORABLE:
    _UNIFY[ord(_c)] = None

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_MARK = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_ALNUM = r"(?:(?![%s])[^\W_]|[%s])" % (_CJK, _MARK)
_LETTER = r"(?:(?![%s])[^\W\d_]|[%s])" % (_CJK, _MARK)
_TOKEN = re.compile(
    r"[%s][%s]*|%s+(?:(?:(?<=%s)'(?=%s)|(?<=\d)[.,](?=\d))%s+)*"
    % (_CJK, _MARK, _ALNUM, _LETTER, _LETTER, _ALNUM))


def normalise(text):
    if text.isascii():
        return text.lower()
    t = text.translate(_UNIFY)
    t = unicodedata.normalize("NFKC", t).casefold()
    t = unicodedata.normalize("NFKC", t)
    return t.translate(_UNIFY)


def words(text):
    """doppel's normalised tokens of @text (an approximation, see above)."""
    return _TOKEN.findall(normalise(text))


def shingles(toks, k=K):
    """The shingle set of a token list: tuples of k words; a short document's
    one stand-in shingle is its word tuple behind a marker no word has."""
    n = len(toks)
    if n == 0:
        return frozenset()
    if n < k:
        return frozenset([("\0short",) + tuple(toks)])
    return frozenset(zip(*[toks[i:] for i in range(k)]))


def jaccard(a, b):
    if not a and not b:
        return 0.0
    i = len(a & b)
    return i / (len(a) + len(b) - i)


def all_pairs(sets, floor=0.5):
    """{(i, j): J} for every i < j with exact Jaccard >= floor."""
    post = collections.defaultdict(list)
    out = {}
    for i, s in enumerate(sets):
        cnt = collections.Counter()
        for h in s:
            p = post.get(h)
            if p:
                cnt.update(p)
        ls = len(s)
        for j, c in cnt.items():
            jac = c / (ls + len(sets[j]) - c)
            if jac >= floor:
                out[(j, i)] = jac
        for h in s:
            post[h].append(i)
    return out


# ------------------------------------------------------------ inputs

def read_jsonl(path):
    """[(id, text, raw line without newline)] of a JSONL file."""
    docs = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            o = json.loads(line)
            docs.append((str(o["id"]), o.get("text", ""), o, line))
    return docs


def read_clusters(path):
    cl = []
    with open(path) as f:
        for line in f:
            if line.strip():
                cl.append(json.loads(line))
    return cl


def cluster_index(clusters):
    """id -> (cluster number, kept id, similarity to kept)."""
    where = {}
    for c in clusters:
        for m in c["members"]:
            where[m["id"]] = (c["cluster"], c["kept"], m["similarity"])
    return where


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, cond, msg):
        if not cond:
            self.failures += 1
            if self.failures <= 20:
                print("  FAIL: " + msg)
        return cond

    def done(self):
        return 1 if self.failures else 0


# ------------------------------------------------------------ corpus

def cmd_corpus(reuters, out, n, seed):
    """Pick ~n Reuters articles where near-duplicates are common: every
    article whose body (whitespace collapsed) repeats, every article whose
    title or first 12 words repeat, the shortest articles (< 5 words), and
    random others up to n. Written in file order, lines unchanged."""
    n = int(n)
    rnd = random.Random(int(seed))
    lines = []
    with open(reuters, "rb") as f:
        for raw in f:
            if raw.strip():
                lines.append(raw.rstrip(b"\r\n"))
    objs = [json.loads(l) for l in lines]
    pick = set()
    by_body = collections.defaultdict(list)
    by_title = collections.defaultdict(list)
    by_head = collections.defaultdict(list)
    for i, o in enumerate(objs):
        t = o["text"]
        by_body[" ".join(t.split())].append(i)
        by_title[o.get("title", "")].append(i)
        by_head[" ".join(t.split()[:12])].append(i)
        if len(words(t)) < K:
            pick.add(i)
    for table in (by_body, by_head, by_title):
        groups = [g for key, g in sorted(table.items()) if key and len(g) > 1]
        for g in groups:
            if len(g) > 12:        # generic titles: a sample of them
                g = rnd.sample(g, 12)
            if len(pick) + len(g) > n * 0.85 and table is by_title:
                continue
            pick.update(g)
    rest = [i for i in range(len(objs)) if i not in pick]
    pick.update(rnd.sample(rest, max(0, n - len(pick))))
    with open(out, "wb") as f:
        for i in sorted(pick):
            f.write(lines[i] + b"\n")
    print("corpus: %d of %d articles" % (len(pick), len(objs)))
    return 0


# ------------------------------------------------------------ checks

def cmd_brute(corpus, clusters_path, threshold):
    t = float(threshold)
    hi, lo = t + 0.05, t - 0.05
    docs = read_jsonl(corpus)
    ids = [d[0] for d in docs]
    sets = [shingles(words(d[1])) for d in docs]
    idx = {d: i for i, d in enumerate(ids)}
    pairs = all_pairs(sets, floor=min(lo, 0.5))
    clusters = read_clusters(clusters_path)
    where = cluster_index(clusters)
    ck = Checker()

    def J(a, b):
        if a == b:
            return 1.0
        key = (a, b) if a < b else (b, a)
        v = pairs.get(key)
        return v if v is not None else jaccard(sets[a], sets[b])

    # Every cluster: kept first, members are corpus ids, similarity is the
    # exact Jaccard with the kept document, nobody below threshold - 0.05.
    sim_dev = []
    for c in clusters:
        mem = c["members"]
        ck.check(mem and mem[0]["id"] == c["kept"],
                 "cluster %s: kept %s is not its first member" % (c["cluster"], c["kept"]))
        ck.check(c["size"] == len(mem), "cluster %s: size %s != %d members"
                 % (c["cluster"], c["size"], len(mem)))
        k = idx.get(c["kept"])
        for m in mem:
            i = idx.get(m["id"])
            if not ck.check(i is not None and k is not None,
                            "unknown id %s in cluster %s" % (m["id"], c["cluster"])):
                continue
            j = J(k, i)
            sim_dev.append(abs(j - m["similarity"]))
            ck.check(j >= lo, "cluster %s: %s has exact J %.4f < %.2f with kept %s"
                     % (c["cluster"], m["id"], j, lo, c["kept"]))
            ck.check(abs(j - m["similarity"]) <= 0.01,
                     "cluster %s: %s similarity %.4f, exact J %.4f"
                     % (c["cluster"], m["id"], m["similarity"], j))

    # Every pair at or above threshold + 0.05 is grouped or explained by the
    # star rule: the two are in one cluster, or they are not both kept (a
    # kept document absorbs every unassigned document verified against it,
    # so two kept documents are never a near-duplicate pair) and each one
    # that is dropped is within the threshold of its own kept document.
    # (Being in *some* cluster is not guaranteed: with A kept, B its member
    # and C similar to B but not to A, C stays alone and is kept; C's
    # partner B is dropped. Counted below, not failed.)
    strong = [(a, b) for (a, b), j in pairs.items() if j >= hi]
    lonely = set()
    for a, b in strong:
        wa, wb = where.get(ids[a]), where.get(ids[b])
        if wa is not None and wb is not None and wa[0] == wb[0]:
            continue
        ka = ids[a] if wa is None else wa[1]
        kb = ids[b] if wb is None else wb[1]
        if not ck.check(ka != ids[a] or kb != ids[b],
                        "pair %s %s (J %.4f): both kept (clusters %s, %s)"
                        % (ids[a], ids[b], pairs[(a, b)], wa, wb)):
            continue
        ja = J(a, idx[ka])
        jb = J(b, idx[kb])
        ck.check(ja >= t - 1e-9 and jb >= t - 1e-9,
                 "pair %s %s (J %.4f) split: J to kept %.4f, %.4f"
                 % (ids[a], ids[b], pairs[(a, b)], ja, jb))
        lonely.update(ids[x] for x, w in ((a, wa), (b, wb)) if w is None)

    # Recall and precision of pairs at the threshold.
    true = {p for p, j in pairs.items() if j >= t}
    members = collections.defaultdict(list)
    for d, w in where.items():
        members[w[0]].append(idx[d])
    pred = set()
    star = set()
    for c, m in members.items():
        m.sort()
        for x in range(len(m)):
            for y in range(x + 1, len(m)):
                pred.add((m[x], m[y]))
    for d, w in where.items():
        if d != w[1]:
            a, b = sorted((idx[d], idx[w[1]]))
            star.add((a, b))
    tp = len(true & pred)
    rec = tp / len(true) if true else 1.0
    prec = tp / len(pred) if pred else 1.0
    star_prec = sum(1 for p in star if J(*p) >= t) / len(star) if star else 1.0
    print("brute force: %d docs, %d pairs with J >= %.2f, %d >= %.2f; "
          "%d clusters, %d clustered docs; %d docs with a partner >= %.2f "
          "kept alone by the star rule"
          % (len(docs), len(true), t, len(strong), hi, len(clusters), len(where),
             len(lonely), hi))
    print("pairs at J >= %.2f: recall %.4f, precision %.4f (same-cluster pairs %d); "
          "member-kept pairs >= %.2f: %.4f; max |similarity - exact J| %.4f"
          % (t, rec, prec, len(pred), t, star_prec, max(sim_dev) if sim_dev else 0))
    missed = sorted(true - pred, key=lambda p: -pairs[p])
    for a, b in missed[:3]:
        print("  e.g. not in one cluster: %s %s J %.4f" % (ids[a], ids[b], pairs[(a, b)]))
    return ck.done()


def cmd_exact_groups(reuters, clusters_path):
    docs = read_jsonl(reuters)
    by_body = collections.defaultdict(list)
    for d in docs:
        by_body[" ".join(d[1].split())].append(d[0])
    groups = [g for g in by_body.values() if len(g) > 1]
    where = cluster_index(read_clusters(clusters_path))
    ck = Checker()
    found = 0
    for g in groups:
        cs = {where[i][0] if i in where else None for i in g}
        if ck.check(len(cs) == 1 and None not in cs,
                    "identical-body group %s split or missed: %s"
                    % (g, [where.get(i) for i in g])):
            found += 1
    print("identical-body groups: %d of %d found whole (%d articles)"
          % (found, len(groups), sum(map(len, groups))))
    return ck.done()


def read_ids(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def cmd_partition(corpus, clusters_path, keep_path, drop_path):
    ids = [d[0] for d in read_jsonl(corpus)]
    keep, drop = read_ids(keep_path), read_ids(drop_path)
    clusters = read_clusters(clusters_path)
    ck = Checker()
    ck.check(len(keep) == len(set(keep)), "keep list repeats ids")
    ck.check(len(drop) == len(set(drop)), "drop list repeats ids")
    ck.check(not set(keep) & set(drop), "ids both kept and dropped: %s"
             % sorted(set(keep) & set(drop))[:5])
    ck.check(set(keep) | set(drop) == set(ids),
             "keep + drop != corpus ids (missing %s, extra %s)"
             % (sorted(set(ids) - set(keep) - set(drop))[:5],
                sorted(set(keep) | set(drop) - set(ids))[:5]))
    ck.check(len(keep) + len(drop) == len(ids),
             "keep %d + drop %d != %d documents" % (len(keep), len(drop), len(ids)))
    want_drop = {m["id"] for c in clusters for m in c["members"][1:]}
    ck.check(set(drop) == want_drop, "drop list != non-kept cluster members")
    ck.check(keep == [i for i in ids if i not in want_drop],
             "keep list is not the kept ids in input order")
    print("keep %d + drop %d = %d ids" % (len(keep), len(drop), len(ids)))
    return ck.done()


def cmd_output(corpus, keep_path, out_path):
    docs = read_jsonl(corpus)
    keep = set(read_ids(keep_path))
    want = [d[3] for d in docs if d[0] in keep]
    with open(out_path, "rb") as f:
        got = [l.rstrip(b"\n") for l in f]
    ck = Checker()
    ck.check(got == want, "output: %d lines, expected %d kept input lines unchanged"
             % (len(got), len(want)))
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                print("  first difference:\n   got  %r\n   want %r" % (g[:200], w[:200]))
                break
    print("output: %d lines, the kept ones, byte for byte" % len(got))
    return ck.done()


def cmd_kept(clusters_path, kept, *others):
    where = cluster_index(read_clusters(clusters_path))
    ck = Checker()
    for i in (kept,) + others:
        if ck.check(i in where, "%s is in no cluster" % i):
            ck.check(where[i][1] == kept, "%s: kept %s, expected %s"
                     % (i, where[i][1], kept))
    return ck.done()


def cmd_together(clusters_path, *ids):
    where = cluster_index(read_clusters(clusters_path))
    cs = {where[i][0] if i in where else None for i in ids}
    ck = Checker()
    ck.check(len(cs) == 1 and None not in cs, "not in one cluster: %s"
             % [(i, where.get(i)) for i in ids])
    return ck.done()


def cmd_apart(clusters_path, *ids):
    where = cluster_index(read_clusters(clusters_path))
    seen = {}
    ck = Checker()
    for i in ids:
        if i in where:
            c = where[i][0]
            ck.check(c not in seen, "%s and %s share cluster %s" % (seen.get(c), i, c))
            seen[c] = i
    return ck.done()


def cmd_summary(path, *kv):
    with open(path) as f:
        o = json.loads(f.read())
    ck = Checker()
    for e in kv:
        key, _, val = e.partition("=")
        got = o
        for part in key.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if val.startswith(">="):
            ok = isinstance(got, (int, float)) and got >= float(val[2:])
        else:
            ok = json.dumps(got) == val or str(got) == val
        ck.check(ok, "summary %s = %r, expected %s" % (key, got, val))
    return ck.done()


def cmd_jaccard(a, b):
    with open(a, encoding="utf-8") as f:
        sa = shingles(words(f.read()))
    with open(b, encoding="utf-8") as f:
        sb = shingles(words(f.read()))
    print("%.4f" % jaccard(sa, sb))
    return 0


def cmd_explain(corpus, id1, id2, out_path):
    docs = {d[0]: d[1] for d in read_jsonl(corpus)}
    ta, tb = docs[id1], docs[id2]
    j = jaccard(shingles(words(ta)), shingles(words(tb)))
    with open(out_path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    ck = Checker()
    low = out.lower()
    ck.check("estimat" in low, "no estimated Jaccard in --explain output")
    ck.check("exact" in low, "no exact Jaccard in --explain output")
    ck.check("band" in low, "no bands in --explain output")
    nums = [float(x) for x in re.findall(r"\d+\.\d+", out)]
    ck.check(any(abs(x - j) <= 0.006 for x in nums),
             "exact Jaccard %.4f not printed (numbers: %s)" % (j, nums[:12]))
    # A shared passage: some 8-word run of A that is also in B, printed.
    wa, wb = words(ta), words(tb)
    grams_b = {tuple(wb[i:i + 8]) for i in range(len(wb) - 7)}
    shared = [wa[i:i + 8] for i in range(len(wa) - 7) if tuple(wa[i:i + 8]) in grams_b]
    owords = words(out)
    ostr = " " + " ".join(owords) + " "
    ck.check(not shared or any(" " + " ".join(s) + " " in ostr for s in shared),
             "no shared passage of the two texts printed")
    print("explain: exact J %.4f, %d shared 8-word runs" % (j, len(shared)))
    return ck.done()


def cmd_pick_pair(corpus, lo, hi):
    """Print the ids of the first pair (in corpus order) with lo <= J < hi
    whose two texts differ."""
    docs = read_jsonl(corpus)
    sets = [shingles(words(d[1])) for d in docs]
    pairs = all_pairs(sets, floor=float(lo))
    for (a, b), j in sorted(pairs.items()):
        if j < float(hi) and docs[a][1] != docs[b][1]:
            print(docs[a][0], docs[b][0])
            return 0
    return 1


def main(argv):
    cmds = {
        "corpus": cmd_corpus, "brute": cmd_brute,
        "exact-groups": cmd_exact_groups, "partition": cmd_partition,
        "output": cmd_output, "kept": cmd_kept, "together": cmd_together,
        "apart": cmd_apart, "summary": cmd_summary, "jaccard": cmd_jaccard,
        "explain": cmd_explain, "pick-pair": cmd_pick_pair,
    }
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
