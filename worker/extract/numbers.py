"""Figures as news writes them: "over 13,000", "upwards of one thousand", "4.8 million",
"20-thousand", "11,000 to 12,000", "thousands of", "3,000 more", "an additional 1,500", "roughly another
1.5k"."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from worker.extract.rules import NumberWords
from worker.extract._regex import trie_regex


@dataclass(unsafe_hash=True, slots=True)  # immutable by convention; not frozen: see ``Mention``
class Quantity:
    start: int
    end: int
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    text: str
    increment: bool = False
    total: bool = False
    vague: bool = False
    money: bool = False  # "$20 billion": an amount of money (only economic aid is counted in it)

    def as_json(self, unit: str | None) -> dict:
        return {"value": _num(self.value), "low": _num(self.low), "high": _num(self.high),
                "qualifier": self.qualifier, "unit": unit, "text": self.text}

    def moved(self, offset: int) -> Quantity:
        return replace(self, start=self.start + offset, end=self.end + offset)


def _num(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _alt(words) -> str:
    return trie_regex({w.lower() for w in words}, space=r"[\s\-]+")


# compiled once: figures are read thousands of times per batch
_LEADING_DIGITS = re.compile(r"[\d,]+(?:\.\d+)?")
_SPACE_OR_HYPHEN = re.compile(r"[\s\-]+")
_YEAR = re.compile(r"\d{4}")

_NOT_ANCHORS = {"a", "an", "of", "the", "to", "than", "as", "up", "no", "more", "at", "in"}


class NumberParser:
    """Finds and reads figures in a text. Built once from ``patterns/numbers.json``."""

    def __init__(self, nw: NumberWords) -> None:
        self.nw = nw
        units = [w for w in nw.words if w not in ("a", "an", "dozen", "a dozen", "half a")]
        tens = [w for w in units if nw.words[w] >= 20 and nw.words[w] % 10 == 0]
        ones = [w for w in units if nw.words[w] < 10]
        word = rf"(?:(?:{_alt(tens)})(?:[\s\-]+(?:{_alt(ones)}))?|{_alt(units)})"
        # "1.5k", "2.3m": a scale written against the digits
        suf = rf"(?:{_alt(nw.suffixes)})?" if nw.suffixes else ""
        # a figure right after a currency sign is read only as money (``_money``)
        digit = (rf"(?<![\w.\-$])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{suf}(?![\d,]*\w)"
                 rf"|(?<![\w.\-$])\d+(?:\.\d+)?{suf}(?![\w])")
        money_digit = (rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{suf}(?![\d,]*\w)|\d+(?:\.\d+)?{suf}(?![\w])")
        scale = _alt(nw.scales)
        core = (rf"(?:(?:{digit})(?:[\s\-]*(?:{scale})\b)*"
                rf"|\b(?:{word})(?:[\s\-]+(?:{scale})\b)*"
                rf"|\b(?:a|an|one)[\s\-]+(?:{scale})\b(?:[\s\-]+(?:{scale})\b)*"
                rf"|\ba[\s\-]+dozen\b)")
        qual = _alt(nw.qualifiers)
        vague = _alt(nw.vague)
        inc_before = _alt(nw.increment_before)
        inc_after = _alt(nw.increment_after)
        self._core = re.compile(core, re.I)
        money = rf"(?:{money_digit})(?:[\s\-]*(?:{scale})\b)*"
        figure = (
            rf"\b(?P<incb>\b(?:{inc_before})\s+)?"
            rf"(?:(?P<between>\bbetween\s+)?(?P<qual>\b(?:{qual})\s+)?"
            rf"(?:(?P<vague>\b(?:{vague})\b)|(?P<n1>{core})(?:\s*(?:-|–|to|and)\s*(?P<n2>{core}))?))"
            rf"(?P<inca>\s+(?:{inc_after})\b)?(?P<tot>\s+in\s+total\b)?"
        )
        # "as much as $20 billion": run only on texts holding a currency sign
        self._money = re.compile(rf"(?<![\w$])(?:us\$|\$|€|£)\s?(?P<m1>{money})", re.I)
        self._re = re.compile(figure, re.I)  # for texts whose length changes when lower-cased
        self._re_low = re.compile(figure)  # on lower-cased text: several times faster than re.I
        anchor_words = {w for phrase in (*nw.words, *nw.scales, *nw.vague) for w in re.split(r"[\s\-]+", phrase.lower())
                        if w and w not in _NOT_ANCHORS}
        # every figure holds a digit or one of these words: the full regex runs only near them
        self._anchor = re.compile(r"(?<![\w])(?:\d+" + suf + "|" + trie_regex(anchor_words) + r")(?![\w])")
        # how far before its first anchor a figure can begin: increment word, "between", qualifier
        # ("roughly another 1,500": a qualifier before the increment word fits in the same reach, which
        # already counts a qualifier and a vague phrase never written together with it)
        self._reach = 16 + sum(max(map(len, ws), default=0) for ws in (nw.increment_before, nw.qualifiers, nw.vague))
        self._scale_re = re.compile(rf"\b({scale})\b", re.I)
        # "roughly another 1,500": a qualifier before the increment word, read back from a figure that opens
        # with one (not in the figure pattern, which runs far more often)
        self._qual_tail = re.compile(rf"\b({qual})\s+$", re.I)
        self._qual_reach = 2 + max(map(len, nw.qualifiers), default=0)
        self._word_re = re.compile(rf"\b({_alt(units)})\b", re.I)

    def value_of(self, s: str) -> float | None:
        """Read one number: "13,000" 13000, "4.8 million" 4800000, "one-thousand" 1000, "twenty-five" 25."""
        s = s.strip().lower()
        if not s:
            return None
        if s in ("a dozen",):
            return 12.0
        m = _LEADING_DIGITS.match(s)
        if m:
            try:
                base = float(m.group(0).replace(",", ""))
            except ValueError:
                return None
            rest = s[m.end():]
            if rest in self.nw.suffixes:  # "1.5k"
                return base * self.nw.suffixes[rest]
        else:
            base, rest = 0.0, s
            words = _SPACE_OR_HYPHEN.split(s)
            i = 0
            while i < len(words) and words[i] in self.nw.words:
                base += self.nw.words[words[i]]
                i += 1
            if i == 0:
                return None
            rest = " ".join(words[i:])
        total = base
        for sm in self._scale_re.finditer(rest):
            total *= self.nw.scales[sm.group(1).lower()]
        return total

    def find(self, text: str) -> list[Quantity]:
        """Every figure in ``text``, left to right (as ``finditer`` of the full pattern would give)."""
        low = text.lower()
        if len(low) != len(text):
            matches = list(self._re.finditer(text))
        else:
            matches = []
            pos = 0
            for a in self._anchor.finditer(low):
                if a.start() < pos:
                    continue
                # a figure begins at most ``reach`` characters before its first anchor, so the leftmost
                # match from here is the one finditer would give next
                m = self._re_low.search(low, max(pos, a.start() - self._reach))
                if m is None:
                    break
                matches.append(m)
                pos = m.end()
        out: list[Quantity] = []
        for m in matches:
            q = self._read(m, text)
            if q is not None:
                out.append(q)
        if "$" in text or "€" in text or "£" in text:
            money = self._find_money(text)
            if money:  # a figure read without its sign ("as much as" alone) gives way to the amount
                out = [q for q in out if not any(m.start <= q.start < m.end for m in money)] + money
                out.sort(key=lambda q: q.start)
        return out

    def _read(self, m: re.Match, text: str) -> Quantity | None:
        qual_word = (m.group("qual") or "").strip().lower()
        mstart = m.start()
        if m.group("incb") and not qual_word:
            qm = self._qual_tail.search(text, max(0, mstart - self._qual_reach), mstart)
            if qm is not None:
                qual_word, mstart = qm.group(1).lower(), qm.start()
        qual_word = _SPACE_OR_HYPHEN.sub(" ", qual_word)
        increment = bool(m.group("incb") or m.group("inca"))
        total = bool(m.group("tot"))
        whole = text[mstart:m.end()]  # as written (m may have run on the lower-cased text)
        span_text = whole.strip()
        start = mstart + (len(whole) - len(whole.lstrip()))
        end = start + len(span_text)
        if m.group("vague"):
            key = _SPACE_OR_HYPHEN.sub(" ", m.group("vague").lower())
            return Quantity(start, end, None, float(self.nw.vague[key]), None, "vague", span_text,
                            increment=increment, total=total, vague=True)
        n1 = m.group("n1")
        if not n1 or not n1.strip():
            return None
        v1 = self.value_of(n1)
        if v1 is None:
            return None
        if m.group("n2"):
            v2 = self.value_of(m.group("n2"))
            joiner = text[m.end("n1"):m.start("n2")].strip().lower()
            if v2 is not None and (joiner != "and" or m.group("between")) and v2 > v1:
                # "11 to 12 thousand": a bare low end borrows the high end's scale
                if v1 < 1000 <= v2 and not self._scale_re.search(n1) and v2 / v1 >= 100:
                    scales = [self.nw.scales[s.lower()] for s in self._scale_re.findall(m.group("n2"))]
                    scale = 1
                    for s in scales:  # "eight to ten thousand": the high end's own scale words
                        scale *= s
                    if not scales or v1 * scale >= v2:
                        scale = 10 ** (len(str(int(v2))) - len(str(int(v1))))
                    v1 = v1 * scale if v1 * scale < v2 else v1
                return Quantity(start, end, v2, v1, v2, "range", span_text, increment=increment, total=total)
            # not a range: keep only the first number
            end = m.end("n1")
            span_text = text[start:end]
            increment = bool(m.group("incb"))
            total = False
        qualifier = self.nw.qualifiers.get(qual_word, "exact") if qual_word else "exact"
        if qualifier == "exact" and text[end:end + 6].lower() == " or so":  # "5,000 or so construction workers"
            qualifier = "about"
            end += 6
            span_text = text[start:end]
        if qualifier in ("exact", "about"):
            low = high = v1
        elif qualifier in ("more_than", "at_least"):
            low, high = v1, None
        else:
            low, high = None, v1
        return Quantity(start, end, v1, low, high, qualifier, span_text, increment=increment, total=total)

    def _find_money(self, text: str) -> list[Quantity]:
        """Amounts after each currency sign ('$', 'US$', '€', '£'), matched where the sign is."""
        out = []
        for sign in "$€£":
            i = text.find(sign)
            while i >= 0:
                at = i - 2 if sign == "$" and i >= 2 and text[i - 2:i].lower() == "us" else i
                m = self._money.match(text, at)
                if m is not None:
                    q = self._read_money(m, text)
                    if q is not None:
                        out.append(q)
                i = text.find(sign, i + 1)
        return out

    def _read_money(self, m: re.Match, text: str) -> Quantity | None:
        """"as much as $20 billion": an amount of money, as a figure of the units of its currency."""
        v = self.value_of(m.group("m1"))
        if v is None:
            return None
        start, end = m.start(), m.end()
        qm = self._qual_tail.search(text, max(0, start - self._qual_reach), start)  # "as much as $20 billion"
        qual_word = _SPACE_OR_HYPHEN.sub(" ", qm.group(1).lower()) if qm is not None else ""
        if qm is not None:
            start = qm.start()
        qualifier = self.nw.qualifiers.get(qual_word, "exact") if qual_word else "exact"
        low, high = {"exact": (v, v), "about": (v, v), "more_than": (v, None), "at_least": (v, None)}.get(
            qualifier, (None, v))
        while end > start and text[end - 1].isspace():
            end -= 1
        return Quantity(start, end, v, low, high, qualifier, text[start:end], money=True)

    def is_year(self, q: Quantity) -> bool:
        return (q.qualifier == "exact" and q.value is not None and 1900 <= q.value <= 2100
                and _YEAR.fullmatch(q.text) is not None)
