"""One sentence as the extraction steps read it: its words and the rule matches inside it.

The lexicon component leaves ``Mention`` records with document offsets; :func:`sentences_of` cuts
them per sentence and makes every offset relative to the sentence (token 0 is its first word,
character 0 its first character), so that each step works on small lists and plain indices.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from worker.extract.components import Mention

PARTIES = ("RUS", "PRK")
PARTY_SET = frozenset(PARTIES)
KINDS = ("actor", "item", "ignore", "unit", "trigger", "modifier")


@dataclass(slots=True)
class Sentence:
    """The words of one sentence (lower-cased, with their character offsets) and its mentions."""

    index: int  # position among the sentences read in the article
    start: int  # character offsets in the document text
    end: int
    text: str
    words: list[str]
    offsets: list[int]  # character offset of each word in ``text``
    after_gap: bool = False  # a sentence left out of the document stands right before this one
    mentions: dict[str, list[Mention]] = field(default_factory=dict)

    @property
    def actors(self) -> list[Mention]:
        return self.mentions["actor"]

    @property
    def items(self) -> list[Mention]:
        return self.mentions["item"]

    @property
    def triggers(self) -> list[Mention]:
        return self.mentions["trigger"]

    @property
    def modifiers(self) -> list[Mention]:
        return self.mentions["modifier"]

    def parties(self) -> set[str]:
        return {a.label for a in self.actors if a.label in PARTY_SET}

    def token_at(self, char: int) -> int:
        """The word holding sentence character offset ``char`` (or the one before it)."""
        return max(0, bisect_right(self.offsets, char) - 1)

    def token_after(self, char: int) -> int:
        """The first word starting at or after ``char``."""
        return bisect_left(self.offsets, char)

    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def char_end(self, i: int) -> int:
        """Character offset just past word ``i``."""
        return self.offsets[i] + len(self.words[i])

    def span_text(self, start: int, end: int) -> str:
        return self.text[self.offsets[start]:self.char_end(end - 1)] if end > start else ""

    def question(self) -> bool:
        t = self.text.rstrip()
        return t.endswith("?") or (len(t) > 1 and t[-1] in "\"'”’" and t[-2] == "?")


class _Local(dict):
    """A sentence's mentions by kind, made sentence-relative the first time a kind is read (most
    sentences are read for their items only)."""

    __slots__ = ("_found", "_starts", "_ts", "_te", "_cs", "_ce")

    def __init__(self, found: dict[str, list[Mention]], starts: dict[str, list[int]], ts: int, te: int, cs: int,
                 ce: int) -> None:
        super().__init__()
        self._found, self._starts = found, starts
        self._ts, self._te, self._cs, self._ce = ts, te, cs, ce

    def __missing__(self, kind: str) -> list[Mention]:
        ts, te, cs, ce = self._ts, self._te, self._cs, self._ce
        starts = self._starts.get(kind)
        if starts is None:
            self[kind] = []
            return self[kind]
        found = self._found[kind]
        lo, hi = bisect_left(starts, ts), bisect_left(starts, te)
        local = [Mention(m.kind, m.label, m.start - ts, min(m.end, te) - ts, m.cstart - cs, min(m.cend, ce) - cs, m.info)
                 for m in found[lo:hi]]
        self[kind] = local
        return local

    def get(self, kind: str, default=None):
        return self[kind] if kind in KINDS or kind in self else default


def sentences_of(text: str, spans: list[tuple[int, int]], token_starts: list[int], token_lengths: list[int],
                 low_tokens: list[str], mentions: dict[str, list[Mention]], gaps: set[int]) -> Iterator[Sentence]:
    """The document's sentences, each with its own words and mentions (offsets made sentence-relative)."""
    starts = {k: [m.start for m in mentions.get(k, ())] for k in KINDS}
    found = {k: mentions.get(k, []) for k in KINDS}
    for n, (cs, ce) in enumerate(spans):
        ts = max(0, bisect_right(token_starts, cs) - 1)
        te = bisect_left(token_starts, ce)
        if te <= ts:
            continue
        yield Sentence(n, cs, ce, text[cs:ce], low_tokens[ts:te], [i - cs for i in token_starts[ts:te]],
                       cs in gaps, _Local(found, starts, ts, te, cs, ce))
