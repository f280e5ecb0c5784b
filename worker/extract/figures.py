"""Step 1 of a sentence: its figures, each placed on its words and told apart from numbers that
count nothing that moves.

``NumberReader`` (numbers.py) finds every figure as written ("over 13,000", "11,000 to 12,000",
"thousands of", "$20 billion"); here each one gets its word span and a ``kind``: ``count`` for an
amount of something, else what else it is (a year, a date, a calibre or length, a model number, a
share, a rate, a duration, an age, money, a count of something that is not moved). Only counts can
become an event's quantity; money counts economic aid only (see attach.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from worker.extract.numbers import NumberReader, Quantity
from worker.extract.rules import NumberWords
from worker.extract.sentence import Sentence

_BEFORE_NOW = frozenset({"earlier", "ago", "before", "later", "previously", "prior"})
_DIGITS = frozenset("0123456789")


@dataclass(slots=True)
class Figure:
    """A figure in a sentence: what the number says, where it stands (words [start, end)), what it is."""

    q: Quantity
    start: int
    end: int
    kind: str = "count"

    @property
    def count(self) -> bool:
        return self.kind == "count"


class FigureReader:
    """Finds a sentence's figures and tells what each one is. Built once from ``numbers.json``."""

    def __init__(self, words: NumberWords) -> None:
        self.reader = NumberReader(words)
        self.months = set(words.months)
        self.not_before = {w: "not_count" for w in words.not_before}
        self.after: dict[str, str] = {}
        for kind, phrases in words.not_counts.items():
            for p in phrases:
                self.after[p.lower()] = kind
        self.max_after = max((len(p.split()) for p in self.after), default=1)
        self.after_first = frozenset(p.split()[0] for p in self.after)
        self.rates = tuple(tuple(p.split()) for p in words.rates)
        self.rate_first = frozenset(r[0] for r in self.rates)
        self.units_words = frozenset({"barrels", "tonnes", "tons", "bbl", "shells", "rounds", "troops", "workers"})

    def __call__(self, s: Sentence) -> list[Figure]:
        out: list[Figure] = []
        for q in self.reader.read(s.words, s.offsets, s.text):
            if q.vague and q.text.lower() == "many":
                q = _as_many(s, q, out) or q
            out.append(Figure(q, q.start, q.end, self.kind(s, q, q.start, q.end)))
        return out

    def kind(self, s: Sentence, q: Quantity, start: int, end: int) -> str:
        """``count``, or what else the figure is."""
        if q.money:
            return "money"
        words = s.words
        text = q.text
        after = words[end] if end < len(words) else ""
        before = words[start - 1] if start > 0 else ""
        if q.qualifier in ("exact", "range") and q.value is not None and 1900 <= q.value <= 2100 \
                and (q.low is None or 1900 <= q.low) and any(len(x) == 4 and x.isdigit() for x in words[start:end]):
            return "year"  # "2023", "2018-2019"
        if after in self.months or (before.rstrip(".") in self.months and q.value is not None and q.value <= 31
                                    and not q.vague):
            return "date"  # "13 October", "Oct. 13"
        if before in self.not_before:
            return "label"  # "Resolution 2397", "No. 1"
        if "each" in words[max(0, start - 6):start] and ";" not in words[words.index("each", max(0, start - 6)):start]:
            return "rate"  # "five ships, each carrying about 2,000 tonnes": a load per carrier
        if after in ("-", "–") and end + 1 < len(words):
            unit = self.after.get(words[end + 1])
            if unit is not None:
                return unit  # "152-mm", "500-kilogram"
        if after in self.after_first:
            for n in range(min(self.max_after, len(words) - end), 0, -1):
                kind = self.after.get(" ".join(words[end:end + n]))
                if kind is not None:
                    return kind
        if self._rate(words, end):
            return "rate"  # "500,000 barrels a year"
        if text.lower() in ("one", "a", "an") and after in ("of", "that", "which", "who", ",", "."):
            return "pronoun"  # "one of the launchers", "at least one was fired"
        if not (_DIGITS & set(text)) and q.value == 1 and not q.vague:
            return "one"  # "a launcher": an item in the singular, read as a count only beside its item
        return "count"

    def _rate(self, words: list[str], end: int) -> bool:
        """A per-period figure: "500,000 barrels a year", "6,000 shells a month", "3,000 per day",
        "500,000 barrels, roughly 60,000 tonnes, per year" (past an equivalent figure in commas)."""
        k0 = end
        if end + 1 < len(words) and words[end] in self.units_words and words[end + 1] == ",":
            j = end + 2
            while j < len(words) and j < end + 6 and words[j] != ",":
                j += 1
            if j < len(words) and words[j] == "," and any(w[:1].isdigit() for w in words[end + 2:j]):
                k0 = j + 1
        if k0 < len(words) and words[k0] in self.units_words:
            k0 += 1
        if k0 + 1 < len(words) and words[k0] == "," and words[k0 + 1] in self.rate_first:
            k0 += 1  # "..., roughly 60,000 tonnes, per year"
        for k in range(k0, min(k0 + 4, len(words))):
            if words[k] in self.rate_first:
                for r in self.rates:
                    if tuple(words[k:k + len(r)]) == r:
                        after = words[k + len(r)] if k + len(r) < len(words) else ""
                        return after not in _BEFORE_NOW  # "3,000 a week earlier" is no rate
            if words[k] in (",", ";", "and", "or", "to", "from", "since", "in"):
                return False
        return False


_ABOUT = frozenset({"roughly", "about", "around", "nearly", "almost", "some", "approximately"})


def _as_many(s: Sentence, q: Quantity, before: list[Figure]) -> Quantity | None:
    """"about 120 guns and roughly as many launchers": the count before, again ("as many as 100" is a
    qualifier, read elsewhere)."""
    w = s.words
    if not (q.start > 0 and w[q.start - 1] == "as") or (q.end < len(w) and w[q.end] == "as"):
        return None
    prev = next((f.q for f in reversed(before) if f.kind == "count" and f.q.value is not None), None)
    if prev is None:
        return None
    start, qualifier = q.start - 1, prev.qualifier
    if start > 0 and w[start - 1] in _ABOUT:
        start, qualifier = start - 1, "about"
    cstart = s.offsets[start]
    return replace(q, start=start, cstart=cstart, value=prev.value, low=prev.low, high=prev.high,
                   qualifier=qualifier, vague=False, text=s.text[cstart:q.cend])
