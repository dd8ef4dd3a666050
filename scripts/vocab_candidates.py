#!/usr/bin/env python3
"""Mine candidate vocabulary for assets/dict/user.dict from the reply corpus.

Usage:
    python3 scripts/vocab_candidates.py [CORPUS_DIR_OR_FILES...] [--min-df N] [--top K] [--new-only]

Default input: ../shared/corpus/*.jsonl and *.txt relative to the repo root.
Each JSONL record contributes its "title" and "text"; each .txt file is one document.

Method (analysis only; the output is a list to be checked by hand, not a dictionary):
  1. Normalise (full-width -> half-width, lowercase) and split into runs of Han chars.
  2. Count the document frequency (df) of every 3..8-char n-gram of those runs.
  3. Keep n-grams with df >= --min-df that do not begin or end with a function char
     (的 了 是 在 ...), and drop "fragments": an n-gram whose df is (almost) all
     accounted for by one longer n-gram extending it by one char (left or right).
  4. If jieba is importable (pip install jieba), drop n-grams that jieba's default
     dictionary already keeps whole, and report how jieba splits the rest.

  5. With --new-only, drop n-grams already in assets/dict/user.dict.

Output: tab-separated `df  ngram  jieba-split`, most frequent first. Most lines are still
phrases or fragments (相关部门, 工作的关心); assets/dict/user.dict holds the hand-checked terms
taken from this list plus department names and standard policy terms.
"""
import argparse
import glob
import json
import os
import re
import sys
from collections import Counter

HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Chars that almost never begin or end a term in these letters.
BAD_EDGE = set("的了是在和与及或对为把被将已并等也就都而但其之于以从向由给您我你他她它们这那个有无不")
BAD_START = BAD_EDGE | set("现请该此各每")
BAD_END = BAD_EDGE | set("中上下时后前")


def fold(s: str) -> str:
    out = []
    for c in s:
        o = ord(c)
        if 0xFF01 <= o <= 0xFF5E:
            c = chr(o - 0xFEE0)
        elif o == 0x3000:
            c = " "
        out.append(c.lower())
    return "".join(out)


def documents(paths):
    for p in paths:
        if p.endswith(".jsonl"):
            with open(p, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        d = json.loads(line)
                        yield (d.get("title") or "") + "\n" + (d.get("text") or "")
        else:
            with open(p, encoding="utf-8") as f:
                # PDF-extracted text breaks lines mid-word: join lines.
                yield re.sub(r"\s*\n\s*", "", f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--min-df", type=int, default=5)
    ap.add_argument("--top", type=int, default=3000)
    ap.add_argument("--min-n", type=int, default=3)
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--new-only", action="store_true", help="skip words already in assets/dict/user.dict")
    args = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = args.paths or [os.path.join(root, "..", "shared", "corpus")]
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.jsonl")) + glob.glob(os.path.join(p, "*.txt")))
        else:
            files.append(p)
    if not files:
        sys.exit("no corpus files found")

    df = Counter()
    ndocs = 0
    for doc in documents(files):
        ndocs += 1
        grams = set()
        for run in HAN_RUN.findall(fold(doc)):
            for n in range(args.min_n, args.max_n + 2):  # +1 so fragments can be detected
                for i in range(len(run) - n + 1):
                    grams.add(run[i:i + n])
        df.update(grams)

    try:
        import jieba
        jieba.setLogLevel(60)
        split = lambda w: jieba.lcut(w, HMM=False)
    except ImportError:
        split = None

    # Fragment test needs, for each n-gram, the largest df of a one-char extension.
    ext = Counter()
    for g, c in df.items():
        if len(g) > args.min_n and c >= args.min_df:
            for sub in (g[:-1], g[1:]):
                if c > ext[sub]:
                    ext[sub] = c

    known = set()
    if args.new_only:
        with open(os.path.join(root, "assets", "dict", "user.dict"), encoding="utf-8") as f:
            known = {line.split()[0] for line in f if line.strip()}

    out = []
    for g, c in df.items():
        if g in known:
            continue
        if c < args.min_df or not (args.min_n <= len(g) <= args.max_n):
            continue
        if g[0] in BAD_START or g[-1] in BAD_END:
            continue
        if ext[g] >= 0.8 * c:  # mostly seen inside one longer n-gram: a fragment
            continue
        parts = split(g) if split else None
        if parts is not None and len(parts) == 1:
            continue  # jieba's default dictionary already keeps it whole
        out.append((c, g, "/".join(parts) if parts else ""))

    out.sort(key=lambda r: (-r[0], r[1]))
    print(f"# {ndocs} documents, {len(out)} candidates (min_df={args.min_df})", file=sys.stderr)
    for c, g, s in out[: args.top]:
        print(f"{c}\t{g}\t{s}")


if __name__ == "__main__":
    main()
