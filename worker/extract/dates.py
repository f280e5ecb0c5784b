"""Start dates of cumulative figures: "since August 2023", "since August" (resolved against the
publication date), "since last year", "since mid-2022", "between December 2022 and ...", "last year",
"since August (of) last year", "in the first half of 2024" (that year), "over the past 18 months" (counted
back from the publication date), "since the start of the war" (a named start, from ``named_starts`` in numbers.json)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_YEAR = re.compile(r"(?:19|20)\d\d")
_CUES = ("since", "year", "between", "from", "month", "past", "last")


@dataclass(unsafe_hash=True, slots=True)  # immutable by convention; not frozen: see ``Mention``
class DateMention:
    start: int
    end: int
    value: str
    kind: str  # "since": an explicit start; "period": the figure covers one named period


class DateFinder:
    def __init__(self, months: dict[str, int], named_starts: dict[str, tuple[str, ...]] | None = None,
                 durations: dict[str, int] | None = None, words: dict[str, float] | None = None) -> None:
        self.months = months
        mon = "|".join(sorted((re.escape(m) for m in months), key=len, reverse=True))
        part = r"(?:(?:early|mid|late|the\s+end\s+of|the\s+start\s+of|the\s+beginning\s+of)[\s\-]+)?"
        when = (rf"{part}(?:(?P<last>last|this)\s+)?(?:(?P<mon>{mon})\.?(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?,?"
                rf"(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)|\s+(?:of\s+)?(?P<mrel>last|this)\s+year)?|(?P<yonly>(?:19|20)\d\d)|(?P<rel>last|this|the)\s+year(?!\s+(?:19|20)\d\d))")
        self._since = re.compile(rf"\bsince\s+(?:(?:the|their|a|an|his|its|[A-Z][\w\-']*|[a-z]+)\s+){{0,9}}?{when}\b", re.I)
        # "between March and November last year": the year written after the end month is the start's too
        self._between = re.compile(rf"\b(?:between|from)\s+{when}\s+(?:and|to|until|through)\b"
                                   rf"(?:\s+(?:{mon})\.?(?:\s+\d{{1,2}})?,?\s+"
                                   rf"(?:(?P<endrel>last|this)\s+year|(?P<endyear>(?:19|20)\d\d))\b)?", re.I)
        self._period = re.compile(r"\b(?:(?P<rel>last|this)\s+year|(?:in|during|throughout)\s+"
                                  r"(?:the\s+(?:first|second|third|fourth|last|final)\s+(?:half|quarter|(?:\w+\s+)?months)\s+of\s+)?"
                                  r"(?P<year>(?:19|20)\d\d))\b", re.I)
        # "since the start of the war": a start known by its event
        self._named: dict[str, str] = {}
        for value, phrases in (named_starts or {}).items():
            for ph in phrases:
                self._named[" ".join(ph.lower().replace("’", "'").split())] = value
        self._named_rx = None
        if self._named:
            alts = "|".join(sorted((r"\s+".join(re.escape(w).replace("'", "['’]") for w in k.split()) for k in self._named),
                                   key=len, reverse=True))
            self._named_rx = re.compile(rf"\bsince\s+(?P<what>{alts})\b", re.I)
        # "over the past 18 months", "in the last two years": a start counted back from publication
        self._durations = {k.lower(): v for k, v in (durations or {}).items()}
        self._words = {k: int(v) for k, v in (words or {}).items() if v >= 1 and float(v).is_integer() and " " not in k}
        self._back = None
        if self._durations:
            units = "|".join(sorted(map(re.escape, self._durations), key=len, reverse=True))
            self._back = re.compile(rf"\b(?:over|in|during|within|for|throughout)\s+the\s+(?:past|last|previous)\s+"
                                    rf"(?P<n>\d{{1,3}}|[a-z]+)\s+(?P<unit>{units})\b(?!\s+of\b)", re.I)

    def find(self, text: str, published: date | None) -> list[DateMention]:
        low = text.lower()
        if not any(c in low for c in _CUES) and not _YEAR.search(low):
            return []  # every pattern below needs one of these: skip the regexes
        out: list[DateMention] = []
        # in ASCII text, a case-insensitive match of "since" (or "between"/"from") shows in the
        # lower-cased text; skip the costly regex when its word is absent (outside ASCII, re.I
        # folds more than ``str.lower``: always run it)
        ascii_text = text.isascii()
        for rx, kind, words in ((self._since, "since", ("since",)), (self._between, "since", ("between", "from"))):
            if ascii_text and not any(w in low for w in words):
                continue
            for m in rx.finditer(text):
                v = self._resolve(m, published)
                if v:
                    out.append(DateMention(m.start(), m.end(), v, kind))
        if self._named_rx is not None and (not ascii_text or "since" in low):
            for m in self._named_rx.finditer(text):
                v = self._named.get(" ".join(m.group("what").lower().replace("’", "'").split()))
                if v:
                    out.append(DateMention(m.start(), m.end(), v, "since"))
        if self._back is not None and published is not None and (not ascii_text or "past" in low or "last" in low
                                                                   or "previous" in low):
            for m in self._back.finditer(text):
                n = m.group("n")
                n = int(n) if n.isdigit() else self._words.get(n.lower())
                if not n:
                    continue
                months = published.year * 12 + published.month - 1 - n * self._durations[m.group("unit").lower()]
                out.append(DateMention(m.start(), m.end(), f"{months // 12:04d}-{months % 12 + 1:02d}", "since"))
        if ascii_text and "year" not in low and _YEAR.search(low) is None:
            return out  # a period needs "last year", "this year" or a year
        for m in self._period.finditer(text):
            if any(d.start <= m.start() < d.end for d in out):
                continue
            if m.group("year"):
                out.append(DateMention(m.start(), m.end(), m.group("year"), "period"))
            elif published is not None:
                y = published.year - (1 if m.group("rel").lower() == "last" else 0)
                out.append(DateMention(m.start(), m.end(), str(y), "period"))
        return out

    def _resolve(self, m: re.Match, published: date | None) -> str | None:
        g = m.groupdict()
        if g.get("yonly"):
            return g["yonly"]
        if g.get("rel"):
            if published is None:
                return None
            return str(published.year - (1 if g["rel"].lower() == "last" else 0))
        if not g.get("mon"):
            return None
        if not g["mon"][0].isupper():
            return None  # "may", "march" as verbs
        month = self.months[g["mon"].lower().rstrip(".")]
        if g.get("year"):
            year = int(g["year"])
        elif g.get("mrel") and published is not None:  # "since August of last year"
            year = published.year - (1 if g["mrel"].lower() == "last" else 0)
        elif g.get("endyear"):
            year = int(g["endyear"])
        elif g.get("endrel") and published is not None:
            year = published.year - (1 if g["endrel"].lower() == "last" else 0)
        elif published is None:
            return None
        else:
            year = published.year
            last = (g.get("last") or "").lower() == "last"
            if month > published.month or (last and month >= published.month):
                year -= 1
        if g.get("day") and g.get("year"):
            return f"{year:04d}-{month:02d}-{int(g['day']):02d}"
        return f"{year:04d}-{month:02d}"


def parse_published(value: str | None) -> date | None:
    """'YYYY-MM-DD' (or a longer ISO timestamp) to a date; anything else to None."""
    if not value or not isinstance(value, str):
        return None
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
