"""Who a claim is attributed to: "..., the U.S. government said", "According to X, ...",
"NIS director Cho Tae-yong said ...". Pronouns and surnames point back to earlier sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from worker.extract._regex import trie_regex

# compiled once here: ``re.search(pattern_string, ...)`` pays a cache lookup on every call
_ENDS_LIKE_CLAUSE = re.compile(r"\b(?:is|are|was|were|be|been|being|it|which|who)$", re.I)
_HAS_AUXILIARY = re.compile(r"\b(?:has|have|had|will|would|could|may|might)\b", re.I)
_PARTICIPLE = re.compile(r"[a-z]+ing\b")
_TRAILING_TIME = re.compile(r"\s+(?:on|in|at|during|last|this|earlier|later)\s+"
                            r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|the\b.*|an?\b.*|a\b.*|\w+day\b.*)$")
_TRAILING_WORD = re.compile(r"\s+(?:on|last|this)\s+\w+$")

_CLAUSE_END = re.compile(r"[,;.:()\"“”—–]|\s(?:that|which|who|whether|if)\b|\s-\s")
_MISSING = object()
_CACHE_SIZE = 10_000

_NOT_LAST = {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those", "of", "to", "and", "or"}


@dataclass(unsafe_hash=True, slots=True)  # immutable by convention; not frozen: see ``Mention``
class Attribution:
    source: str | None
    start: int  # the reporting clause, in sentence offsets; its actors are not parties to the transfer
    end: int


class AttributionFinder:
    def __init__(self, speech: dict[str, Any]) -> None:
        verbs = trie_regex(speech["verbs"], space=r"\s+")
        acc = trie_regex({a.lower() for a in speech["according"]}, space=r"\s+")
        # cheap checks first: most sentences hold no reporting verb and no "according to"
        self._any_verb = re.compile(rf"(?<!\w)(?:{verbs})(?!\w)")
        self._any_according = re.compile(rf"(?<!\w)(?:{acc})(?!\w)")
        self._said = re.compile(
            rf"(?:^|[,;:]\s*|\bthat\s+)(?P<src>[^,;:()\"“”]{{2,90}}?)\s+(?:also\s+|has\s+|have\s+|had\s+|later\s+|further\s+)?"
            rf"(?P<verb>{verbs})\b")
        self._according = re.compile(rf"\b(?:{acc})\s+(?P<src>[^,;.]{{2,80}}?)(?=[,;.]|\s+(?:that|as|in|on|which|who)\b|$)", re.I)
        self.pronouns = {p.lower() for p in speech["pronouns"]}
        self.titles = {t.lower() for t in speech["titles"]}
        self.prefixes = tuple(speech["strip_prefixes"])
        titles = trie_regex({t.lower() for t in speech["titles"]}, space=r"\s+")
        # a name with a title in apposition: "Seoul's spy chief, Kim Nam-woo, said", "Kim Nam-woo, the
        # spy chief, said"; the whole phrase is the reporting clause, the name is the source
        self._appositive = re.compile(
            rf"(?:^|(?<=[,;:])\s*)(?:(?P<head>[^,;:()\"“”]{{2,60}}?\b(?i:{titles}))\s*,\s*(?P<src>[A-Z][^,;:()\"“”]{{1,40}}?)"
            rf"|(?P<src2>[A-Z][^,;:()\"“”]{{1,40}}?)\s*,\s*(?:the|a|an|its|their)\s+[^,;:()\"“”]{{2,60}}?\b(?i:{titles}))"
            rf"\s*,\s+(?:also\s+|later\s+|further\s+)?(?P<verb>{verbs})\b")
        self._cleaned: dict[str, str | None] = {}
        self._comma_verb = re.compile(rf",\s+(?:also\s+|later\s+|further\s+)?(?:{verbs})\b")

    def find(self, sentence: str) -> list[Attribution]:
        out: list[Attribution] = []
        if self._any_according.search(sentence.lower()):
            for m in self._according.finditer(sentence):
                # the clause runs on past the source's name ("citing intelligence on recruitment in
                # Pyongyang"): to the next punctuation or 'that'/'which', whose parties are not the transfer's
                end = m.end()
                if end < len(sentence) and sentence[end].isspace():  # the name ended at 'in', 'on', 'as', ...
                    nxt = _CLAUSE_END.search(sentence, end)
                    end = nxt.start() if nxt else len(sentence)
                out.append(Attribution(self._clean(m.group("src")), m.start(), end))
        if not self._any_verb.search(sentence):
            return out
        for m in self._said.finditer(sentence):
            src = m.group("src").strip()
            words = src.split()
            if len(words) > 10 or _ENDS_LIKE_CLAUSE.search(src):
                continue
            if len(words) > 3 and _HAS_AUXILIARY.search(src):
                continue
            if _PARTICIPLE.match(src) or words[-1].lower() in _NOT_LAST:
                continue  # "..., calling the reports a fabrication": a participle clause, not a speaker
            out.append(Attribution(self._clean(src), m.start("src"), m.end("verb")))
        if self._comma_verb.search(sentence):  # cheap check first: a reporting verb right after a comma
            for m in self._appositive.finditer(sentence):
                src = m.group("src") or m.group("src2")
                out.append(Attribution(self._clean(src), m.start(), m.end("verb")))
        return out

    def _clean(self, src: str) -> str | None:
        """The source named in a reporting clause; the same few sources recur article after article,
        so each clause text is read once (a bounded cache)."""
        cached = self._cleaned.get(src, _MISSING)
        if cached is _MISSING:
            if len(self._cleaned) >= _CACHE_SIZE:
                self._cleaned.clear()
            cached = self._cleaned[src] = self._clean_uncached(src)
        return cached  # type: ignore[return-value]

    def _clean_uncached(self, src: str) -> str | None:
        src = _TRAILING_TIME.sub("", src.strip())
        src = _TRAILING_WORD.sub("", src)
        src = src.strip(" '\"‘’“”")
        for p in self.prefixes:
            if src.startswith(p) and len(src) > len(p):
                src = src[len(p):]
        if not src:
            return None
        if src.lower() in self.pronouns:
            return "<pronoun>"
        words = src.split()
        # a title followed by a name: keep the name ("NIS director Cho Tae-yong" -> "Cho Tae-yong")
        run: list[str] = []
        for w in reversed(words):
            if w[:1].isupper() and w.lower() not in self.titles and not w.endswith("'s"):
                run.insert(0, w)
            else:
                break
        if run and len(run) < len(words) and words[len(words) - len(run) - 1].lower().strip(",") in self.titles:
            return " ".join(run)
        if len(words) > 6:
            return " ".join(run) if run else None
        return src


def resolve(source: str | None, seen: list[str]) -> str | None:
    """'<pronoun>' -> the last source; a surname -> the full name seen before it."""
    if source is None:
        return None
    if source == "<pronoun>":
        return seen[-1] if seen else None
    if " " not in source:
        for s in reversed(seen):
            if s.endswith(" " + source) or s.split(" ")[-1].rstrip("y") == source.rstrip("y"):
                return s
        for s in reversed(seen):
            # Korean names put the family name first: "Kim" is the "Kim Yong-hyun" named before
            parts = s.split(" ")
            if len(parts) == 2 and parts[0] == source and "-" in parts[1]:
                return s
    return source
