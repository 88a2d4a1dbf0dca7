#!/usr/bin/env python3
"""check.py MODE JSON FILES...: assertions on `doppel compare --json` output.

Modes:
  offsets JSON A B [--min-passages N]  schema, value ranges and offsets
  example JSON A B                     offsets + the bundled example's story
  seeds   JSON A B                     offsets + the seed acceptance items
  huge    JSON A B                     the example planted in a 50 MB line
  story-order AB AU BU                 same_story(A,B) clearly above both
                                       seeds against an unrelated article

Prints each failed assertion and exits 1 if any failed.
"""
import json
import re
import sys
import unicodedata

failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"',
    "\u00bb": '"',
})


def words(text):
    """An approximation of doppel's tokens: NFKC, casefold, quotes unified."""
    t = unicodedata.normalize("NFKC", text).casefold().translate(QUOTES)
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", t)


def load(path):
    return open(path, "rb").read()


def span_text(data, start, end, what):
    expect(0 <= start < end <= len(data), f"{what}: span {start}-{end} outside 0-{len(data)}")
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        # Replaced invalid bytes may sit inside a span; never cut a
        # multi-byte character, though.
        txt = data[start:end].decode("utf-8", "replace")
        expect(not (0x80 <= data[start] < 0xC0), f"{what}: starts inside a character")
        return txt


def check_offsets(doc, pa, pb, min_passages=0):
    A, B = load(pa), load(pb)
    for side, data in (("a", A), ("b", B)):
        d = doc[side]
        expect(d["bytes"] == len(data), f"{side}.bytes {d['bytes']} != {len(data)}")
        expect(d["sentences"] == len(doc["sentences"][side]), f"{side}.sentences count")
        expect(d["words"] > 0, f"{side}.words")
    for k in ("jaccard", "containment_a_in_b", "containment_b_in_a", "same_story"):
        v = doc["scores"][k]
        expect(isinstance(v, (int, float)) and 0.0 <= v <= 1.0, f"score {k}={v}")
    ps = doc["passages"]
    expect(len(ps) >= min_passages, f"{len(ps)} passages, expected >= {min_passages}")
    for i, p in enumerate(ps):
        ta = span_text(A, p["a_start"], p["a_end"], f"passage {i} A")
        tb = span_text(B, p["b_start"], p["b_end"], f"passage {i} B")
        expect(ta == ta.strip() and tb == tb.strip(), f"passage {i}: whitespace at an edge")
        wa, wb = words(ta), words(tb)
        expect(p["words"] >= 1 and p["words"] >= min(len(wa), len(wb)) - 1,
               f"passage {i}: words {p['words']} vs {len(wa)}/{len(wb)}")
        if wa and wb:
            expect(wa[0] == wb[0] and wa[-1] == wb[-1],
                   f"passage {i}: edges differ: {wa[:2]}..{wa[-2:]} vs {wb[:2]}..{wb[-2:]}")
            common = len(set(wa) & set(wb)) / max(len(set(wa)), len(set(wb)))
            expect(common >= 0.7, f"passage {i}: sides share only {common:.2f} of words")
    for side, other, data in (("a", "b", A), ("b", "a", B)):
        prev = 0
        n_other = len(doc["sentences"][other])
        for i, s in enumerate(doc["sentences"][side]):
            txt = span_text(data, s["start"], s["end"], f"sentence {side}[{i}]")
            expect(s["start"] >= prev, f"sentence {side}[{i}] overlaps the previous one")
            prev = s["end"]
            expect(txt == txt.strip(), f"sentence {side}[{i}]: whitespace at an edge")
            expect(s["status"] in ("copied", "rewritten", "unique"), f"status {s['status']}")
            part = s["partner"]
            expect(part is None or (isinstance(part, int) and 0 <= part < n_other),
                   f"sentence {side}[{i}]: partner {part}")
            if s["status"] == "rewritten":
                expect(part is not None, f"sentence {side}[{i}]: rewritten without partner")
                expect(0.0 < s["similarity"] <= 1.0, f"sentence {side}[{i}]: similarity")
            if s["status"] == "unique":
                expect(part is None, f"sentence {side}[{i}]: unique with a partner")
            for w in s["added"]:
                expect(isinstance(w, str) and w in txt,
                       f"sentence {side}[{i}]: added {w!r} not in its text")
    return A, B


def sentence_index(doc, side, data, needle):
    """Index of the sentence whose original text contains @needle."""
    for i, s in enumerate(doc["sentences"][side]):
        if needle in data[s["start"]:s["end"]].decode("utf-8", "replace"):
            return i
    expect(False, f"no sentence of {side} contains {needle!r}")
    return None


def covered(passages, side, start, end):
    """Largest fraction of [start, end) inside one passage on @side."""
    best = 0.0
    for p in passages:
        s, e = p[side + "_start"], p[side + "_end"]
        inter = max(0, min(e, end) - max(s, start))
        best = max(best, inter / (end - start))
    return best


def locate(text, head, tail):
    s = text.find(head)
    e = text.find(tail, s)
    if s < 0 or e < 0:
        expect(False, f"cannot find {head!r}..{tail!r}")
        return None
    return s, e + len(tail)


def mode_example(doc, pa, pb):
    A, B = check_offsets(doc, pa, pb, min_passages=1)
    ta, tb = A.decode(), B.decode()
    quote = ("We will not put", "bottom of that channel")
    ra, rb = locate(ta, *quote), locate(tb, *quote)
    if ra and rb:
        ra = len(ta[:ra[0]].encode()), len(ta[:ra[1]].encode())
        rb = len(tb[:rb[0]].encode()), len(tb[:rb[1]].encode())
        expect(covered(doc["passages"], "a", *ra) >= 0.9, "quote not a passage in A")
        expect(covered(doc["passages"], "b", *rb) >= 0.9, "quote not a passage in B")
    for side, data, needle in (("a", A, "The ferry to Dunmore Island"),
                               ("a", A, "About 40 vessels"),
                               ("b", B, "Wind speeds at the harbour mouth")):
        i = sentence_index(doc, side, data, needle)
        if i is not None:
            expect(doc["sentences"][side][i]["status"] == "unique",
                   f"{needle!r} is {doc['sentences'][side][i]['status']}, not unique")


def mode_seeds(doc, pa, pb):
    A, B = check_offsets(doc, pa, pb, min_passages=3)
    ta, tb = A.decode(), B.decode()

    def brange(text, r):
        return len(text[:r[0]].encode()), len(text[:r[1]].encode())

    quotes = [("The Taliban are struggling", "particularly in Kabul"),
              ("[Cohen] is likely", "or its allies"),
              ("ISIS-K now poses", "unable to contain them")]
    for q in quotes:
        ra, rb = locate(ta, *q), locate(tb, *q)
        if ra and rb:
            ca = covered(doc["passages"], "a", *brange(ta, ra))
            cb = covered(doc["passages"], "b", *brange(tb, rb))
            expect(ca >= 0.9 and cb >= 0.9, f"quote {q[0]!r}: covered {ca:.2f} in A, {cb:.2f} in B")

    sa, sb = doc["sentences"]["a"], doc["sentences"]["b"]
    for needle in ("He was found to be residing", "US officials had claimed that the home"):
        i = sentence_index(doc, "a", A, needle)
        if i is not None:
            expect(sa[i]["status"] == "unique", f"A {needle!r}: {sa[i]['status']}")
    for needle in ("Last month, the United Nations raised", "The concerns were raised",
                   "The security situation reveals", "It said the Taliban"):
        i = sentence_index(doc, "b", B, needle)
        if i is not None:
            expect(sb[i]["status"] == "unique", f"B {needle!r}: {sb[i]['status']}")

    i = sentence_index(doc, "a", A, "According to CNN, this was the first meeting")
    j = sentence_index(doc, "b", B, "This is the first in-person meeting")
    if i is not None and j is not None:
        expect(sa[i]["status"] == "rewritten", f"A CNN sentence: {sa[i]['status']}")
        expect(sa[i]["partner"] == j, f"A CNN sentence partner {sa[i]['partner']}, want {j}")

    i = sentence_index(doc, "a", A, "a work in progress")
    j = sentence_index(doc, "b", B, "a work in progress")
    if i is not None and j is not None:
        expect(sa[i]["status"] in ("copied", "rewritten") and sa[i]["partner"] == j,
               f"work-in-progress A: {sa[i]['status']} partner {sa[i]['partner']}, want {j}")
        expect(sb[j]["partner"] == i, f"work-in-progress B partner {sb[j]['partner']}, want {i}")

    j = sentence_index(doc, "b", B, "Tom West")
    if j is not None:
        expect(sb[j]["status"] == "rewritten", f"Tom West sentence: {sb[j]['status']}")
        expect("Tom West" in sb[j]["added"], f"Tom West not added: {sb[j]['added']}")


def mode_huge(doc, pa, pb):
    A, B = check_offsets(doc, pa, pb, min_passages=1)
    best = max(p["words"] for p in doc["passages"])
    expect(best >= 100, f"planted example not found as one passage (longest {best} words)")


def mode_story_order(ab, au, bu):
    s_ab = ab["scores"]["same_story"]
    s_un = max(au["scores"]["same_story"], bu["scores"]["same_story"])
    expect(s_ab >= 0.5, f"same_story(seeds) = {s_ab:.3f}, expected >= 0.5")
    expect(s_ab >= s_un + 0.3, f"same_story(seeds) = {s_ab:.3f} not clearly above unrelated {s_un:.3f}")


def main(argv):
    mode = argv[1]
    if mode == "story-order":
        mode_story_order(*(json.load(open(p)) for p in argv[2:5]))
    else:
        doc = json.load(open(argv[2]))
        pa, pb = argv[3], argv[4]
        if mode == "offsets":
            mp = int(argv[6]) if len(argv) > 6 and argv[5] == "--min-passages" else 0
            check_offsets(doc, pa, pb, mp)
        elif mode == "example":
            mode_example(doc, pa, pb)
        elif mode == "seeds":
            mode_seeds(doc, pa, pb)
        elif mode == "huge":
            mode_huge(doc, pa, pb)
        else:
            print(f"unknown mode {mode}")
            return 2
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
