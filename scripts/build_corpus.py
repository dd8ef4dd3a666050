#!/usr/bin/env python3
"""Builds the project's default corpus/ from the shared real documents.

Follows the shared USAGE rules: the 福田区 letter, and the 建议/提案 letters of
replies.jsonl and replies-more.jsonl whose source is a government host (*.gov.cn,
or an id starting with govcn-). Message-board records (留言), policy documents and
letters republished on other hosts stay outside the shipped corpus.

Usage: python3 scripts/build_corpus.py [SHARED_CORPUS_DIR]   (default ../shared/corpus)
"""
import json
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus")
out = Path(__file__).resolve().parent.parent / "corpus"
out.mkdir(exist_ok=True)


def official(record):
    host = (urlsplit(record.get("source", "")).hostname or "").lower()
    return host.endswith(".gov.cn") or record["id"].startswith("govcn-")


shutil.copyfile(shared / "futian-fgj-reply-20240294.txt", out / "futian-fgj-reply-20240294.txt")
for name in ["replies.jsonl", "replies-more.jsonl"]:
    kept = 0
    with open(shared / name, encoding="utf-8") as src, open(out / name, "w", encoding="utf-8") as dst:
        for line in src:
            record = json.loads(line)
            if record.get("kind") in ("建议", "提案") and official(record):
                dst.write(json.dumps(record, ensure_ascii=False) + "\n")
                kept += 1
    print(f"{name}: {kept} letters")
