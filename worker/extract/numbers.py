"""Figures as news writes them, read from a sentence's words.

"over 13,000", "upwards of one thousand", "4.8 million", "one-point-five million", "one and a half
million", "two dozen", "67-thousand-300", "eleven thousand", "11 to 12,000", "between 8,000 and 9,000",
"3,000-4,000", "thousands of", "tens of thousands of", "3,000 more", "an additional 1,500", "roughly
another 1.5k", "5,000 or so", "10,000 in total", "$20 billion".

:class:`NumberReader` walks the words once. At a word that can open a number it reads the longest
number there (digits, number words, scale words, "point", "and a half", a smaller number after a
scale), a second number joined by "to", "-", "and" (after "between") or "or" as a range, the
qualifier and increment words before it, and "more", "or so", "in total" after it. What the figure
counts, or whether it counts anything, is for figures.py and attach.py to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.extract.rules import NumberWords

_ADD_UP = frozenset({"add", "adds", "added", "adding"})  # "add up to" sums; "up to" alone caps
_ANY_DIGIT = re.compile(r"\d")
_DOT_GROUPS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # "11.000", "1.500.000"
_GROUP = re.compile(r"^\d{3}$")
_MEASURES = frozenset({"mm", "-", "–", "millimetre", "millimeter", "millimetres", "millimeters", "km", "kg", "cm", "m"})
_PART_OF = {("quarter", "of"): 0.25, ("third", "of"): 1 / 3}
_CURRENCY = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP"}
_RANGE_JOINERS = frozenset({"to", "-", "–", "—"})
_HYPHENS = frozenset({"-", "–"})


@dataclass(slots=True)
class Quantity:
    """One figure: its words [start, end) in the sentence, its characters, and what it says."""

    start: int  # word offsets
    end: int
    cstart: int  # character offsets in the sentence
    cend: int
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    text: str
    increment: bool = False
    total: bool = False
    vague: bool = False
    money: bool = False

    def as_json(self, unit: str | None) -> dict:
        return {"value": _num(self.value), "low": _num(self.low), "high": _num(self.high),
                "qualifier": self.qualifier, "unit": unit, "text": self.text}


def _num(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _digits(w: str) -> float | None:
    """'13,000' -> 13000, '1.5' -> 1.5; None for anything else ('2,00a', '1.2.3')."""
    if not w or not (w[0].isdigit() or (w[0] == "." and len(w) > 1)):
        return None
    plain = w.replace(",", "")
    if "," in w:
        head, *groups = w.split(",")
        if not head or len(head) > 3 or any(len(g.split(".")[0]) != 3 for g in groups):
            return None
    try:
        return float(plain)
    except ValueError:
        return None


class NumberReader:
    """Reads every figure of a sentence. Built once from ``patterns/numbers.json``."""

    def __init__(self, nw: NumberWords) -> None:
        self.units = {w: v for w, v in nw.words.items() if " " not in w and w not in ("a", "an", "dozen")}
        self.scales = {**nw.scales, "dozen": 12}
        self.suffixes = dict(nw.suffixes)
        self.qualifiers = {tuple(k.split()): v for k, v in nw.qualifiers.items()}
        self.vague = {tuple(k.split()): v for k, v in nw.vague.items()}
        self.inc_before = {tuple(k.lower().split()) for k in nw.increment_before}
        self.inc_after = {tuple(k.lower().split()) for k in nw.increment_after}
        self.max_qual = max(len(k) for k in self.qualifiers)
        self.max_vague = max(len(k) for k in self.vague)
        self.max_inc = max(len(k) for k in self.inc_before)
        self.vague_first = {k[0] for k in self.vague}
        self.inc_last = frozenset(k[-1] for k in self.inc_before)
        self.qual_last = frozenset(k[-1] for k in self.qualifiers)
        self.words_set = frozenset(self.units) | frozenset(self.scales) | frozenset(self.vague_first) | {"half"}
        self.opens = frozenset(self.units) | frozenset(self.vague_first) | {"a", "an", "half"}
        self._end = 0

    # -- one number --------------------------------------------------------------------------------
    def _atom(self, w: list[str], i: int) -> tuple[float, int, bool] | None:
        """A number without scale at word ``i``: (value, end, written in digits)."""
        t = w[i]
        v = _digits(t)
        if v is not None:
            nxt = w[i + 1] if i + 1 < len(w) else ""
            if nxt in self.suffixes and nxt not in self.scales:
                return v * self.suffixes[nxt], i + 2, True  # "2.5m" written as two words
            if _DOT_GROUPS.match(t) and nxt not in self.scales:
                return float(t.replace(".", "")), i + 1, True  # "11.000 soldiers": a dot between thousands
            if t.isdigit() and len(t) <= 3 and _GROUP.match(nxt):
                j = i + 1  # "20 000 containers": a space between thousands (not "12 155mm guns")
                while j < len(w) and _GROUP.match(w[j]):
                    j += 1
                if j >= len(w) or w[j] not in _MEASURES:
                    return float(t + "".join(w[i + 1:j])), j, True
            return v, i + 1, True
        for suffix, scale in self.suffixes.items():  # "1.5k", "2.3m", "1.2bn"
            if t.endswith(suffix) and len(t) > len(suffix):
                base = _digits(t[:-len(suffix)])
                if base is not None:
                    return base * scale, i + 1, True
        if t in self.units:
            v, j = self.units[t], i + 1
            # "twenty-five", "twenty five"
            k = j + 1 if j < len(w) and w[j] in _HYPHENS else j
            if v >= 20 and v % 10 == 0 and k < len(w) and w[k] in self.units and self.units[w[k]] < 10:
                v, j = v + self.units[w[k]], k + 1
            return v, j, False
        if t in ("a", "an") and i + 1 < len(w) and w[i + 1] in self.scales:
            return 1.0, i + 1, False
        if t == "half" and i + 2 < len(w) and w[i + 1] == "a" and w[i + 2] in self.scales:
            return 0.5, i + 2, False
        if t in ("a", "one") and tuple(w[i + 1:i + 3]) in _PART_OF and i + 4 < len(w) and w[i + 3] in ("a", "an") \
                and w[i + 4] in self.scales:
            return _PART_OF[(w[i + 1], w[i + 2])], i + 4, False  # "a quarter of a million"
        return None

    def _number(self, w: list[str], i: int) -> tuple[float, int, bool] | None:
        """The longest number at ``i`` with its scales: (value, end, written in digits)."""
        atom = self._atom(w, i)
        if atom is None:
            return None
        v, j, digits = atom
        n = len(w)
        # "one-point-five", "one point five": a decimal in words
        k = j + 1 if j < n and w[j] in _HYPHENS else j
        if k + 1 < n and w[k] == "point":
            d = k + 2 if w[k + 1] in _HYPHENS else k + 1
            if d < n and w[d] in self.units and self.units[w[d]] < 10:
                v, j = v + self.units[w[d]] / 10, d + 1
        # "one and a half million"
        if j + 2 < n and w[j] == "and" and w[j + 1] in ("a", "one") and w[j + 2] in ("half", "-half") \
                and j + 3 < n and w[j + 3] in self.scales:
            v, j = v + 0.5, j + 3
        scaled = False
        while True:
            k = j + 1 if j < n and w[j] in _HYPHENS else j
            if k < n and w[k] in self.scales:
                v, j, scaled = v * self.scales[w[k]], k + 1, True
                continue
            break
        if scaled and v >= 100 and j < n:
            # a smaller number after a scale: "one hundred and twenty", "67-thousand-300", "one thousand
            # five hundred" (after "and" or nothing, only in words: "a million 155mm shells" is not one)
            joiner = w[j] if (w[j] in _HYPHENS or w[j] == "and") else ""
            k = j + 1 if joiner else j
            rest = self._number(w, k) if k < n else None
            if rest is not None and rest[0] < v and (joiner in _HYPHENS or not rest[2]):
                v, j = v + rest[0], rest[1]
        return v, j, digits

    # -- the figures of a sentence -------------------------------------------------------------------
    def read(self, words: list[str], offsets: list[int], text: str) -> list[Quantity]:
        """Every figure of a sentence (its lower-cased words, their character offsets, its text)."""
        if _ANY_DIGIT.search(text) is None and self.words_set.isdisjoint(words):
            return []  # no digit and no number word: nothing to read
        w, at = self._split(words) if "-" in text else (words, None)
        out: list[Quantity] = []
        n = len(w)
        opens = self.opens
        # the words where a figure can begin, found in one pass (most words cannot)
        candidates = [k for k, t in enumerate(w) if t in opens or t[:1].isdigit() or t[:1] == "."]
        i = 0
        for k in candidates:
            if k < i:
                continue
            i = k
            t = w[i]
            if t in self.vague_first:
                vq = self._vague(w, i)
                if vq is not None:
                    q, i = vq
                    out.append(self._finish(w, at, words, offsets, text, q))
                    i = max(i, self._end)
                    continue
            if not (t[:1].isdigit() or t in self.units or t in ("a", "an", "half") or t[:1] == "."):
                continue
            first = self._number(w, i)
            if first is None:
                continue
            v1, j, _ = first
            q = Quantity(i, j, 0, 0, v1, v1, v1, "exact", "")
            # a range: "11,000 to 12,000", "3,000-4,000", "between 8,000 and 9,000", "11 to 12,000"
            between = i > 0 and w[i - 1] == "between"
            if j + 1 < n and (w[j] in _RANGE_JOINERS or (w[j] == "and" and between) or w[j] == "or"):
                second = self._number(w, j + 1)
                if second is not None and v1 < second[0] and not any(x in self.scales for x in w[i:j]) \
                        and any(x in self.scales for x in w[j + 1:second[1]]) and v1 < 1000:
                    # "4 to 6 million", "eight to ten thousand": the scale of the high end is the low end's too
                    scale = 1.0
                    for x in w[j + 1:second[1]]:
                        if x in self.scales:
                            scale *= self.scales[x]
                    if v1 * scale < second[0]:
                        v1 *= scale
                if second is not None and second[0] > v1:
                    v2 = second[0]
                    if v1 < 1000 <= v2 and v2 / v1 >= 100 and not any(x in self.scales for x in w[i:j]):
                        # "11 to 12,000", "eight to ten thousand": the low end borrows the high end's scale
                        scale = 10 ** (len(str(int(v2))) - len(str(int(v1))))
                        if v1 * scale < v2:
                            v1 *= scale
                    q = Quantity(i, second[1], 0, 0, v2, v1, v2, "range", "")
            out.append(self._finish(w, at, words, offsets, text, q))
            i = max(i + 1, self._end)
        return out

    def _split(self, words: list[str]) -> tuple[list[str], list[int] | None]:
        """The words with number-bearing hyphenated words cut at their hyphens ('thousand-300',
        'one-point-five'), and for each piece the index of the word it came from (None: unchanged)."""
        if not any("-" in x and len(x) > 1 for x in words):
            return words, None
        w: list[str] = []
        at: list[int] = []
        for k, x in enumerate(words):
            parts = x.split("-")
            if len(parts) > 1 and all(parts) and any(p in self.units or p in self.scales or p[:1].isdigit()
                                                     for p in parts) \
                    and all(p in self.units or p in self.scales or _digits(p) is not None or p == "point" for p in parts):
                for m, p in enumerate(parts):
                    if m:
                        w.append("-")
                        at.append(k)
                    w.append(p)
                    at.append(k)
            else:
                w.append(x)
                at.append(k)
        return w, at

    def _vague(self, w: list[str], i: int) -> tuple[Quantity, int] | None:
        for n in range(min(self.max_vague, len(w) - i), 0, -1):
            key = tuple(w[i:i + n])
            if key in self.vague:
                low = float(self.vague[key])
                j = i + n
                while j < len(w) and w[j] in self.scales and w[j] != "dozen":
                    low *= self.scales[w[j]]  # "several hundred thousand": 300 x 1,000
                    j += 1
                if j < len(w) and w[j] == "of" and j > i + n:
                    j += 1
                return Quantity(i, j, 0, 0, None, low, None, "vague", "", vague=True), j
        return None

    def _finish(self, w: list[str], at: list[int] | None, words: list[str], offsets: list[int], text: str,
                q: Quantity) -> Quantity:
        """Add what stands around the number: money sign, increment and qualifier words, 'or so',
        'more', 'in total'."""
        start, end = q.start, q.end
        if start > 0 and w[start - 1] in _CURRENCY:
            q.money = True
            start -= 1
        # words before: "roughly another 1,500", "an additional 1,500", "between", "more than"
        if start > 0 and w[start - 1] in self.inc_last:
            for n in range(min(self.max_inc, start), 0, -1):
                if tuple(w[start - n:start]) in self.inc_before:
                    q.increment = True
                    start -= n
                    break
        if q.qualifier == "range" and start > 0 and w[start - 1] == "between":
            start -= 1
        if not q.vague and start > 0 and w[start - 1] in self.qual_last:
            for n in range(min(self.max_qual, start), 0, -1):
                key = tuple(w[start - n:start])
                if key[0] == "up" and start - n > 0 and w[start - n - 1] in _ADD_UP:
                    continue  # "deliveries add up to some 52,000": a verb, not a cap
                if key in self.qualifiers:
                    if q.qualifier != "range":  # "around 11 to 12,000" stays a range
                        q.qualifier = self.qualifiers[key]
                    start -= n
                    break
        if not q.increment and start > 0 and w[start - 1] in self.inc_last:
            for n in range(min(self.max_inc, start), 0, -1):  # "some further 2,000": qualifier, then increment
                if tuple(w[start - n:start]) in self.inc_before:
                    q.increment = True
                    start -= n
                    break
        # words after
        if tuple(w[end:end + 2]) == ("or", "so") and q.qualifier == "exact":
            q.qualifier = "about"
            end += 2
        if end < len(w) and (w[end],) in self.inc_after:
            q.increment = True
            end += 1
        elif end + 1 < len(w) and w[end] in _HYPHENS and w[end + 1] == "plus":
            q.qualifier, end = "more_than", end + 2
        if tuple(w[end:end + 2]) == ("in", "total"):
            q.total = True
            end += 2
        self._end = end  # where reading goes on, in the cut words
        q.start, q.end = (at[start], at[end - 1] + 1) if at is not None else (start, end)
        q.cstart = offsets[q.start]
        q.cend = offsets[q.end - 1] + len(words[q.end - 1])
        q.text = text[q.cstart:q.cend]
        v = q.value
        if q.qualifier in ("more_than", "at_least"):
            q.low, q.high = v, None
        elif q.qualifier in ("up_to", "less_than"):
            q.low, q.high = None, v
        elif q.qualifier != "range" and not q.vague:
            q.low = q.high = v
        return q
