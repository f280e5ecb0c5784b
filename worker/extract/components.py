"""spaCy components: a rule sentencizer and the lexicon matcher (actors, items, triggers, modifiers).

Both work from the rule data in ``patterns/`` and leave plain ``Mention`` records in
``doc.user_data`` so that the event builder reads them without walking every token.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from spacy.attrs import IDX, SENT_START  # type: ignore[import-not-found]  # a compiled module without stubs
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from worker.extract.rules import Patterns, load_patterns
from worker.extract.sentences import split_sentences

MENTIONS = "tw_mentions"
SENTENCES = "tw_sentences"
TOKEN_IDX = "tw_token_idx"  # character offset of each token, a list (set by the sentencizer)
TOKEN_SPANS = "tw_token_spans"  # (character offsets, lengths) of the tokens as lists, for the event builder
GAPS = "tw_gaps"  # doc-text offsets of sentences that follow a sentence left out of the doc
TEXT = "tw_text"  # the doc's text, set by whoever made the doc (doc.text re-joins every token)


@dataclass(unsafe_hash=True, slots=True)
class Mention:
    """One rule match. Treated as immutable; not ``frozen`` only because a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__`` (several times slower), and the
    lexicon builds thousands of these per batch."""

    kind: str  # "actor" | "item" | "trigger" | "modifier" | "ignore"
    label: str  # actor code, item category, trigger type, modifier category
    start: int  # token offsets
    end: int
    cstart: int  # character offsets
    cend: int
    info: Any = None  # actor kind ("name", "adj"), ItemRule, TriggerRule or ModifierRule

    @property
    def text_len(self) -> int:
        return self.cend - self.cstart


_START_END = itemgetter(0, 1)

class RuleSentencizer:
    """Sets sentence starts from a regex over the text (no per-token Python loop)."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.get(TEXT) or doc.text
        doc.user_data[TEXT] = text
        spans = doc.user_data.get(SENTENCES)
        if spans is None:  # set by whoever made the doc when it knows them already
            spans = split_sentences(text)
            doc.user_data[SENTENCES] = spans
        columns = doc.to_array([IDX, SENT_START])
        starts = columns[:, 0].tolist()  # bisect on a list: far cheaper than numpy per scalar
        doc.user_data[TOKEN_IDX] = starts
        if len(doc):
            # written back in one call: setting ``Token.is_sent_start`` checks every token of the doc
            # for a parse, at each sentence
            sent_starts = columns[:, 1]
            sent_starts[0] = 1
            for s, _e in spans[1:]:
                i = bisect_right(starts, s) - 1
                if i > 0:
                    sent_starts[i] = 1
            doc.from_array([SENT_START], sent_starts)  # type: ignore[arg-type]  # uint64 (the stub says float64)
        return doc


@Language.factory("tw_sentencizer")
def make_sentencizer(nlp: Language, name: str) -> RuleSentencizer:
    return RuleSentencizer()


def _hyphen_variants(phrases) -> list[str]:
    """Each phrase as written, with its hyphens as spaces and (for two- or three-word phrases) its spaces as
    hyphens: news writes "air-defence systems" and "air defence systems", "electronic-warfare equipment"."""
    out: dict[str, None] = {}
    for p in phrases:
        out[p] = None
        if "-" in p:
            out[p.replace("-", " ")] = None
        words = p.split()
        if 2 <= len(words) <= 3 and all(w.isalpha() for w in words):
            for k in range(1, len(words)):
                out[" ".join(words[:k - 1] + ["-".join(words[k - 1:k + 1])] + words[k + 1:])] = None
    return list(out)


class LexiconMatcher:
    """One pass of PhraseMatchers (lower-cased and exact-case) over the doc for all rule data."""

    def __init__(self, nlp: Language, patterns: Patterns) -> None:
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.info: dict[str, tuple[str, str, object]] = {}
        n = 0

        def add(kind: str, label: str, phrases, info: object = None, exact: bool = False) -> None:
            nonlocal n
            key = f"{kind}:{label}:{n}"
            n += 1
            self.info[key] = (kind, label, info)
            docs = [nlp.make_doc(p) for p in _hyphen_variants(phrases) if p.strip()]
            (self.exact if exact else self.lower).add(key, docs)

        for a in patterns.actors:
            add("actor", a.code, a.phrases, a.kind, exact=a.case_sensitive)
        for it in patterns.items:
            add("item", it.category, it.phrases, it)
        add("ignore", "ignore", patterns.ignore)
        add("unit", "unit", patterns.units)
        for t in patterns.triggers:
            add("trigger", t.type, t.forms, t)
        for m in patterns.modifiers:
            add("modifier", m.category, [m.literal], m, exact=m.case_sensitive)
        # match id -> (kind, label, info), so that each match costs one dict lookup
        self._by_id = {nlp.vocab.strings[k]: v for k, v in self.info.items()}

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, list] = {"actor": [], "item": [], "ignore": [], "unit": [], "trigger": [], "modifier": []}
        by_id = self._by_id
        for matcher in (self.lower, self.exact):
            for match_id, s, e in matcher(doc):
                kind, label, info = by_id[match_id]
                if kind == "trigger" and (_compound_tail(doc, s) or _paid_back(doc, s) or _heads_of(doc, s, e)):
                    continue  # "second-hand" jets: no handing; "paid Pyongyang back": no backing; "heads of state"
                found[kind].append((s, e, label, info))
        out: dict[str, list[Mention]] = {}
        idx = doc.user_data.get(TOKEN_IDX)
        if idx is None:
            idx = doc.to_array("IDX").tolist()
        length = doc.to_array("LENGTH").tolist()
        doc.user_data[TOKEN_SPANS] = (idx, length)
        for kind, matches in found.items():
            if kind in ("actor", "item", "ignore", "trigger"):
                matches = _longest(matches)
            matches = sorted(matches, key=_START_END)  # stable, as sorting the Mentions by (start, end) was
            out[kind] = [Mention(kind, label, s, e, idx[s], idx[e - 1] + length[e - 1], info)
                         for s, e, label, info in matches]
        if any(m.label == "PRK" and m.end - m.start == 1 and doc[m.start].text == "Kim" for m in out["actor"]):
            out["actor"] = _korean_kims(doc, out["actor"])
        doc.user_data[MENTIONS] = out
        return doc


def _compound_tail(doc: Doc, i: int) -> bool:
    """Is token i the tail of a lower-case hyphenated word ("second-hand", "well-supplied")? A country
    before the hyphen ("North Korean-supplied") keeps the word a transfer word."""
    return i >= 2 and doc[i - 1].text == "-" and not doc[i - 2].whitespace_ and not doc[i - 1].whitespace_ \
        and doc[i - 2].text.islower()


_PAYING = frozenset({"pay", "pays", "paid", "paying", "repay", "repays", "repaid", "repaying"})


def _paid_back(doc: Doc, i: int) -> bool:
    """Is token i the particle of "pay ... back" ("Moscow paid Pyongyang back with oil")? Then the paying
    verb is the transfer word, not "back" (as in "to back" someone)."""
    return doc[i].lower_ == "back" and any(t.lower_ in _PAYING for t in doc[max(0, i - 4):i])


def _heads_of(doc: Doc, i: int, end: int) -> bool:
    """Is the verb "head" the noun ("the two heads of state", "the head of the agency")?"""
    return end == i + 1 and doc[i].lower_ in ("head", "heads") and end < len(doc) and doc[end].lower_ == "of"


# given names after "Kim" that are North Korea's ruling family (Kim Jong Un, Kim Yo Jong, Kim Il Sung)
_PRK_GIVEN = {"jong", "jong-un", "jong-il", "yo", "yo-jong", "il", "il-sung"}
_TITLES = {"minister", "ambassador", "professor", "prof", "analyst", "lawmaker", "spokesman", "spokeswoman",
           "spokesperson", "mr", "mr.", "ms", "ms.", "dr", "dr.", "adviser", "advisor", "director", "researcher",
           "president", "chairman", "representative", "rep.", "deputy", "secretary", "commissioner", "envoy",
           "official", "general", "gen.", "admiral", "chief", "governor", "mayor", "senator", "speaker"}


def _korean_kims(doc: Doc, actors: list[Mention]) -> list[Mention]:
    """"Kim" alone is North Korea's leader, except a South Korean (or other) Kim: one with a title
    before ("Defence Minister Kim Yong-hyun"), "South Korea's Kim", a given name other than the ruling
    family's after it ("Kim Sung-han"), or a bare "Kim" whose last full name was such a Kim."""
    out: list[Mention] = []
    other_kim = False  # the last Kim named in full was not North Korea's
    n = len(doc)
    for m in actors:
        if m.label == "PRK" and m.end - m.start > 1 and doc[m.start].text == "Kim":
            other_kim = False  # "Kim Jong Un"
        if not (m.label == "PRK" and m.end - m.start == 1 and doc[m.start].text == "Kim"):
            out.append(m)
            continue
        i = m.start
        nxt = doc[i + 1].text if i + 1 < n else ""
        given = nxt[:1].isupper() and nxt[:1].isalpha()
        before = [t.lower_ for t in doc[max(0, i - 4):i]]
        north = "north" in before or "pyongyang" in before or "dprk" in before
        titled = bool(before) and before[-1] in _TITLES and not north
        southern = ("south" in before or "seoul" in before) and not north
        if given and nxt.lower() not in _PRK_GIVEN:
            other_kim = True
            continue
        if titled or southern:
            other_kim = bool(given) or other_kim or True
            continue
        if given:  # "Kim Yo Jong"
            other_kim = False
            out.append(m)
            continue
        if other_kim:
            continue
        out.append(m)
    return out


def _longest(matches: list) -> list:
    """Keep the longest of overlapping matches (earliest first on ties; on the same words, a plain item
    before one that needs a context word: "containers of aid" is economic aid)."""
    matches = sorted(matches, key=lambda m: (-(m[1] - m[0]), m[0], bool(getattr(m[3], "context", False))))
    taken: set[int] = set()
    out = []
    for s, e, label, info in matches:
        if not taken.isdisjoint(range(s, e)):  # one C-level check, not a generator per match
            continue
        taken.update(range(s, e))
        out.append((s, e, label, info))
    return out


@Language.factory("tw_lexicon")
def make_lexicon(nlp: Language, name: str) -> LexiconMatcher:
    return LexiconMatcher(nlp, load_patterns())


__all__ = ["Mention", "RuleSentencizer", "LexiconMatcher", "split_sentences", "filter_spans", "MENTIONS", "SENTENCES"]
