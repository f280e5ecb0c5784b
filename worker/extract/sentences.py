"""Sentence spans from a regex over the text: shared by the relevance filter (which runs in the
poller, without spaCy) and the spaCy sentencizer, so both cut an article the same way."""

from __future__ import annotations

import re

_ABBREV = {"u.s", "u.n", "u.k", "e.u", "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "sgt", "st", "no", "vs",
           "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gov", "sen", "rep",
           "inc", "corp", "co", "ltd", "jr", "sr", "approx", "est", "d.p.r.k", "r.o.k", "p.m", "a.m", "fig"}
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?][\"'”’)\]]*$")
# end punctuation, closing quotes, space and a capital next; or a blank line. Written to open with one
# character class (the lookbehinds tell the branches apart) so that ``re`` skips ahead to candidate
# characters in C instead of trying both branches at every position: twice as fast, same matches.
_BOUNDARY = re.compile(r"[.!?\n](?:(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|(?<=\n)\s*\n)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence character spans, from punctuation followed by a capital; abbreviations do not end one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] in ".!?":
            end = m.start() + 1
            word = _WORD_BEFORE.search(text, max(start, end - 12), end)  # the 12 characters before, unsliced
            if word and (word.group(1).lower() in _ABBREV or (len(word.group(1)) == 1 and word.group(1).isupper())):
                continue
        else:
            end = m.start()
        _add_trimmed(spans, text, start, end)
        start = m.end()
    _add_trimmed(spans, text, start, len(text))
    return spans


def _add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Append ``start:end`` without its outer whitespace, unless that leaves nothing."""
    if start < end and (text[start].isspace() or text[end - 1].isspace()):  # rare: the boundary took the space
        start, end = _trim(text, start, end)
    if start < end:
        spans.append((start, end))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
