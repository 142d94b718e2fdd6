"""CoNLL: tokens and BIO tags of span answers, written per text and read back."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from trainerdesk.workbench.formats.common import _answer_sets, _batched

# --- CoNLL ---------------------------------------------------------------------------------

# CoNLL-2003 style tokens: punctuation is split from words ("Tuesday" "."), clitics too
# ("Germany" "'s"), while numbers, dates, hyphenated words and dotted abbreviations stay
# whole ("3,000", "1996-08-22", "U.S."). A regular expression rather than a tokenizer
# library: NLTK's Treebank tokenizer (what Label Studio uses) costs 3 s and 1,800 modules
# (NumPy among them) to import in a web process, for the same splits on CoNLL-like text.
_CLITIC = r"['’](?:s|m|d|ll|re|ve)\b"
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}(?!\w)"  # U.S., e.g.
    rf"|{_CLITIC}"
    rf"|\w+(?:(?:[-.,/:]|['’](?!(?:s|m|d|ll|re|ve)\b))\w+)*"  # 3,000 1.5 O'Neil well-known
    r"|\.\.\.|--"
    r"|[^\w\s]",  # any other character on its own
    re.IGNORECASE,
)


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character offsets [start, end) of each token (spans map to tokens by offsets)."""
    return [m.span() for m in _TOKEN.finditer(text)]


def bio_tags(tokens: list[tuple[int, int]], spans: Iterable[dict]) -> list[str]:
    tags = ["O"] * len(tokens)
    starts, ends = [t[0] for t in tokens], [t[1] for t in tokens]
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        # Tokens overlapping [start, end); tokens are sorted and disjoint so bisect finds them.
        lo, hi = bisect_right(ends, span["start"]), bisect_left(starts, span["end"])
        # CoNLL cannot nest: the earlier span keeps any token both spans claim.
        if lo >= hi or any(tags[i] != "O" for i in range(lo, hi)):
            continue
        tags[lo] = f"B-{span['label']}"
        for i in range(lo + 1, hi):
            tags[i] = f"I-{span['label']}"
    return tags


def write_conll(
    records: Iterable[dict],
    *,
    span_field: str,
    source: str,
    every_annotation: bool = False,
    left_out: list[dict] | None = None,
) -> Iterator[bytes]:
    """CoNLL-2003 columns (token, -X-, _, BIO tag) under Label Studio's header, one block per
    item's final spans or, with ``every_annotation``, one per annotation. Items with no
    final answer (no answers yet, or the answers tie) are left out and appended to
    ``left_out`` with the reason: an all-``O`` block would say "no entities here"."""

    def docs() -> Iterator[bytes]:
        yield b"-DOCSTART- -X- O\n\n"
        for rec in records:
            text = (rec.get("data") or {}).get(source)
            if not isinstance(text, str):
                continue
            tokens = tokenize(text)
            if not tokens:
                continue
            for spans, _who in _answer_sets(rec, span_field, every_annotation, left_out):
                tags = bio_tags(tokens, spans)
                lines = [
                    f"{text[s:e]} -X- _ {tag}\n" for (s, e), tag in zip(tokens, tags, strict=True)
                ]
                yield ("".join(lines) + "\n").encode()

    return _batched(docs())


def read_conll(fp: BinaryIO | Iterable[str]) -> Iterator[tuple[list[str], list[str]]]:
    tokens: list[str] = []
    tags: list[str] = []
    for raw in fp:
        line = (raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw).strip()
        if line.startswith("-DOCSTART-"):
            continue
        if not line:
            if tokens:
                yield tokens, tags
                tokens, tags = [], []
            continue
        parts = line.split()
        tokens.append(parts[0])
        tags.append(parts[-1])
    if tokens:
        yield tokens, tags
