"""The cheap first pass: can this article hold a Russia-North Korea transfer at all, and where?

An event is only ever read from a sentence that names something that moves (an item of
``items.json``); the first event of an article needs a sentence that also names both parties
(later ones may inherit direction from an earlier event). So, with compiled regexes built from the
same rule data as the spaCy matchers:

1. the whole text must name Russia and North Korea (one regex search per side);
2. the text is split into sentences (a regex) and the sentences holding an item word are kept;
3. at least one of them must name both parties; sentences before the first such one are dropped.

The kept sentences are all that the spaCy pipeline sees (see ``Extractor``); the regexes are a
superset of the phrase matchers (same phrases, any whitespace between words), so nothing the
full pipeline would read is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from worker.extract._regex import trie_regex
from worker.extract.rules import Patterns
from worker.extract.sentences import split_sentences

PARTIES = ("RUS", "PRK")
# the word-start check comes after "Kim" so that ``re`` looks for the literal "Kim" (see ``phrase_regex``)
_NORTHERN_KIM = re.compile(r"Kim(?<![\w]Kim)(?![\w])(?!\s+(?!Jong|Yo|Il)[A-Z])")
_FIGURE = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                     r"sixty|seventy|eighty|ninety|hundred|thousand|million|dozen)\b")


def phrase_regex(phrases: Iterable[str], flags: int = 0, skip_ahead: bool = False) -> re.Pattern[str] | None:
    """A regex finding any of ``phrases`` as whole words (word-character edges only).

    A regex that opens with a lookbehind is tried at every position of the text. With ``skip_ahead``
    the word-start check comes right after a phrase's first character instead (no word character
    before it), and ``re`` skips in C to the characters that open a phrase: about 3x faster for
    capitalised names, which few characters open, but slower when most letters open one."""
    norm = {" ".join(p.split()) for p in phrases if p.strip()}
    if not norm:
        return None
    if skip_ahead:
        return re.compile(r"(?:" + trie_regex(norm, after_first=r"(?<![\w][\s\S])") + r")(?![\w])", flags)
    return re.compile(r"(?<![\w])(?:" + trie_regex(norm) + r")(?![\w])", flags)


class PhraseFinder:
    """Phrase regexes for one set of rules: case-insensitive phrases are searched for in the
    lower-cased text (a case-sensitive regex is several times faster than ``re.I``), the others
    in the text as written; ``extra`` regexes are searched for in the text as written."""

    def __init__(self, lower: Iterable[str], exact: Iterable[str] = (), extra: Iterable[re.Pattern[str]] = ()) -> None:
        lower = [p.lower() for p in lower]
        self._lower = phrase_regex(lower)
        self._lower_i = phrase_regex(lower, re.I)  # for texts whose length changes when lower-cased
        self._exact = phrase_regex(exact, skip_ahead=True)  # names as written: mostly capitalised
        self._extra = list(extra)

    def _pairs(self, text: str, low: str) -> list[tuple[re.Pattern[str], str]]:
        pairs: list[tuple[re.Pattern[str], str]] = []
        if self._lower is not None and self._lower_i is not None:
            pairs.append((self._lower, low) if len(low) == len(text) else (self._lower_i, text))
        if self._exact is not None:
            pairs.append((self._exact, text))
        pairs.extend((r, text) for r in self._extra)
        return pairs

    def search(self, text: str, low: str) -> bool:
        return any(r.search(t) is not None for r, t in self._pairs(text, low))

    def search_in(self, text: str, low: str, start: int, end: int) -> bool:
        return any(r.search(t, start, end) is not None for r, t in self._pairs(text, low))

    def positions(self, text: str, low: str) -> list[int]:
        out = [m.start() for r, t in self._pairs(text, low) for m in r.finditer(t)]
        out.sort()
        return out


@dataclass(frozen=True)
class Plan:
    """The sentences worth reading, as character spans of the text, and for each whether a dropped
    sentence comes right before it (so that "those troops" does not reach over it)."""

    sentences: tuple[tuple[int, int], ...]
    after_gap: tuple[bool, ...]


class RelevanceFilter:
    def __init__(self, patterns: Patterns) -> None:
        self.sides: dict[str, PhraseFinder] = {}
        for code in PARTIES:
            rules = [a for a in patterns.actors if a.code == code]
            # "Kim" followed by another given name is South Korea's (or anyone's) Kim, not North Korea's
            self.sides[code] = PhraseFinder([p for a in rules if not a.case_sensitive for p in a.phrases],
                                            [p for a in rules if a.case_sensitive for p in a.phrases if p != "Kim"],
                                            [_NORTHERN_KIM] if code == "PRK" else [])
        # items that need a context word are left out: the context words are items themselves
        # what a sentence with a figure but no item needs to say of the item before: a transfer word, a
        # total noun or more to come ("Fewer than 60 have been delivered to date", "Seoul now puts the
        # figure at 12,000", "Another 2,000 followed")
        self.back = PhraseFinder([f for t in patterns.triggers if t.type != "use" for f in t.forms]
                                 + list(patterns.attach.total_nouns) + ["in all", "so far", "to date"]
                                 + [" ".join(f) for f in patterns.attach.following + patterns.attach.expecting]
                                 + list(patterns.units))
        # a denial of the claim before ("Pyongyang calls such accusations absurd")
        self.denials = PhraseFinder([m.literal for m in patterns.modifiers if m.category == "DENIED"
                                     and len(m.literal) > 3])
        self.items = PhraseFinder([p for it in patterns.items if not it.context for p in it.phrases] + list(patterns.pronouns)
                                  + list(patterns.references) + ["North Koreans"])  # counted as people

    def __call__(self, text: str) -> bool:
        return self.plan(text) is not None

    def plan(self, text: str) -> Plan | None:
        if not text:
            return None
        low = text.lower()
        for side in self.sides.values():  # cheapest rejection first: one regex search per party
            if not side.search(text, low):
                return None
        item_pos = self.items.positions(text, low)
        if not item_pos:
            return None
        sentences = split_sentences(text)
        kept: list[tuple[int, int]] = []
        after_gap: list[bool] = []
        k = 0
        prev_index = -2
        prev_named = False  # the sentence kept last names a party
        for n, (s, e) in enumerate(sentences):
            while k < len(item_pos) and item_pos[k] < s:
                k += 1
            has_item = k < len(item_pos) and item_pos[k] < e
            follows = prev_index == n - 1 and prev_named
            if not has_item and not (follows and ((_FIGURE.search(low, s, e) and self.back.search_in(text, low, s, e))
                                                  or self.denials.search_in(text, low, s, e))):
                continue
            # a sentence naming an item, or one right after it with a figure ("Fewer than 60 have been
            # delivered to date": the item of the sentence before); either names a party or follows one
            # after a kept sentence that names a party this one is read whatever it names: no search
            names = [] if follows else [c for c, side in self.sides.items() if side.search_in(text, low, s, e)]
            named = bool(names)
            if not named and not follows:
                continue
            if len(names) == 1 and n > 0 and prev_index != n - 1:
                # one party here, the other in the sentence before, which names no item ("Russia has
                # turned to North Korea. Pyongyang has also supplied missiles."): read that one too
                ps, pe = sentences[n - 1]
                other = next(c for c in PARTIES if c != names[0])
                if self.sides[other].search_in(text, low, ps, pe):
                    kept.append((ps, pe))
                    after_gap.append(n - 1 != prev_index + 1)
                    prev_index = n - 1
            kept.append((s, e))
            after_gap.append(n != prev_index + 1)
            prev_index, prev_named = n, named or follows
        if not kept:
            return None
        return Plan(tuple(kept), tuple(after_gap))

    def _both(self, text: str, low: str, start: int, end: int) -> bool:
        return all(side.search_in(text, low, start, end) for side in self.sides.values())
