"""From matched mentions to transfer events: figures attached to items, direction, modifiers, dates.

Everything here works sentence by sentence on the ``Mention`` records left by the lexicon
component, so its cost grows with the number of matches, not with the number of tokens.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from spacy.tokens import Doc

from worker.extract._patterns import Patterns
from worker.extract.attribution import Attribution, AttributionFinder, resolve
from worker.extract.components import GAPS, MENTIONS, SENTENCES, TEXT, TOKEN_IDX, TOKEN_SPANS, Mention
from worker.extract.dates import DateFinder, DateMention
from worker.extract.modifiers import categories, in_scope, status_of
from worker.extract.numbers import NumberParser, Quantity

PARTIES = ("RUS", "PRK")
_PARTY_SET = frozenset(PARTIES)

# prepositions before an actor and the role they give it, by trigger type:
# SRC (supplier) / DST (recipient) with a weight
_PREP_ROLES: dict[str, dict[str, tuple[str, float]]] = {
    "from": {"*": ("SRC", 4.0)},
    "to": {"*": ("DST", 4.0)},
    "into": {"*": ("DST", 4.0)},
    "toward": {"*": ("DST", 3.0)},
    "towards": {"*": ("DST", 3.0)},
    "onto": {"*": ("DST", 3.0)},
    "by": {"use": ("DST", 3.0), "receive": ("DST", 2.0), "*": ("SRC", 3.0)},
    "in": {"*": ("DST", 2.0)},
    "inside": {"*": ("DST", 2.0)},
    "within": {"*": ("DST", 1.5)},
    "at": {"*": ("SRC", 1.0)},
    "through": {"*": ("SRC", 1.0)},
    "via": {"*": ("SRC", 1.0)},
    "for": {"*": ("DST", 1.0)},
}
_NO_ROLE_PREPS = {"of", "against", "with", "between", "on", "over", "about", "near", "than", "like", "across"}
# subject / object roles by trigger type and voice
_POSITION_ROLES: dict[tuple[str, str], tuple[str, float]] = {
    ("give", "subj"): ("SRC", 3.0), ("give", "obj"): ("DST", 3.0),
    ("give_passive", "subj"): ("DST", 2.0), ("give_passive", "obj"): ("DST", 0.5),
    ("receive", "subj"): ("DST", 3.0), ("receive", "obj"): ("SRC", 1.0),
    ("motion", "subj"): ("SRC", 0.5), ("motion", "obj"): ("DST", 3.0),
    ("presence", "subj"): ("SRC", 1.0), ("presence", "obj"): ("DST", 2.0),
    ("use", "subj"): ("DST", 3.0), ("use", "obj"): ("DST", 0.5),
}
_BE = {"is", "are", "was", "were", "be", "been", "being", "get", "got", "gets"}
_TAKE_PART = {"taking", "takes", "took", "taken"}  # "taking part in": presence without a place
_CLAUSE_BREAKS = {"but", "while", "whereas", "even as", ", which", "although", "though", "in return", "in exchange",
                  ", with", ", getting", ";"}
_ATTACH_GAP_OK = {"more", "additional", "other", "new", "heavy", "military", "modern", "extra", "further", "fresh",
                  "short-range", "long-range", "combat", "elite", "regular", "active", "-", "'", "‘", "’", "\"", "“",
                  "”", "such", "of", "its", "their", "own", "older", "old", "used", "different", "various", "so-called"}
_WORD = re.compile(r"[a-z][a-z\-]*")  # compiled once: read per token near every figure
_PERFECT = re.compile(r"\b(?:has|have|had)\b")
_ANAPHORS = {"the", "those", "these", "such", "this", "that"}
_OPENING_QUOTES = frozenset(("\"", "'", "“", "‘", "``"))
_CLOSING_QUOTES = frozenset("\"'”’")
_MASS_CATEGORIES = {"oil", "economic_aid", "technology"}
_MAKE_VERBS = {"produce", "mass-produce", "build", "make", "manufacture", "develop", "assemble", "design"}
_HELP_WORDS = {"help", "helps", "helped", "helping", "assist", "assists", "assisted", "assisting"}
_CONTENT_VERBS = {"hold", "holds", "held", "holding", "contain", "contains", "contained", "containing", "carry",
                  "carries", "carried", "carrying"}
_EARLIER_GAP = {"a", "an", "the", "its", "previous", "earlier", "initial", "prior", "estimate", "estimated", "figure",
                "of"}


def _gives_with(at: int, triggers: Sequence[Mention]) -> bool:
    """"is likely to provide Russia with more weapons": the 'with' of a giving verb and its recipient (at most
    three words between) brings the thing given, it ends no scope."""
    return any(tr.label == "give" and 0 <= at - tr.end <= 3 for tr in triggers)


def _denial_apart(mods: Sequence[Mention]) -> bool:
    """A denial of its own reaches past a hypothetical framing: "denied that the country employs North
    Korean labour in breach of UN sanctions" is a denied transfer; the 'not' of "has not confirmed" shares
    its words with the hypothetical rule and denies nothing."""
    hyp = [m for m in mods if m.label == "HYPOTHETICAL"]
    return any(d.label == "DENIED" and not any(d.start < h.end and h.start < d.end for h in hyp) for d in mods)


def _partitive_losses(targets: list["Target"], mods: Sequence[Mention], lower: Sequence[str], ts: int) -> None:
    """"Of the North Korean soldiers deployed, about 4,700 had been killed": the losses of the opening's troops.

    In a sentence opening with a partitive "Of the ...," a loss word (CASUALTY) after the comma counts the
    items named before it; those without a figure of their own are no transfer read here.
    """
    comma = ts + lower.index(",")
    if not any(m.label == "CASUALTY" and m.start > comma for m in mods):
        return
    for t in targets:
        if t.end <= comma and t.qty is None:
            t.cats.add("CASUALTY")


@dataclass
class Target:
    """An item mention with its figure: one candidate event."""

    item: Mention
    qty: Quantity | None = None
    q_start: int | None = None  # token offsets of the figure
    q_end: int | None = None
    implicit: bool = False  # "a launcher": a figure of one from the article
    since_from: int | None = None  # a running total: only a start date from here on (sentence offsets) is its
    cats: set[str] = field(default_factory=set)

    @property
    def start(self) -> int:
        return min(self.item.start, self.q_start if self.q_start is not None else self.item.start)

    @property
    def end(self) -> int:
        return max(self.item.end, self.q_end if self.q_end is not None else self.item.end)


class EventBuilder:
    def __init__(self, patterns: Patterns) -> None:
        self.patterns = patterns
        self.numbers = NumberParser(patterns.numbers)
        self.dates = DateFinder(patterns.numbers.months, patterns.numbers.named_starts,
                                patterns.numbers.durations, patterns.numbers.words)
        self.attributions = AttributionFinder(patterns.speech)
        self.not_after = set(patterns.numbers.not_after)
        self.not_before = set(patterns.numbers.not_before)
        self.units = {u.lower() for u in patterns.units}
        self.vague_needs_item = {v.lower() for v in patterns.numbers.vague_needs_item}
        self.after_item_before = set(patterns.numbers.after_item_before)
        self.after_item_end = set(patterns.numbers.after_item_end)
        self.total_nouns = set(patterns.numbers.total_nouns)
        self.earlier_before = {tuple(w.split()) for w in patterns.numbers.earlier_before}
        self._named_before: set[str] = set()
        self.pronouns = tuple(f" {w}" for w in patterns.pronouns)
        self.references = patterns.references
        self._plain_items = {}  # category -> its first plain item rule, for items a pronoun stands for
        for it in patterns.items:
            if not it.weak and not it.after:
                self._plain_items.setdefault(it.category, it)

    # -- the document ---------------------------------------------------------------------------
    def __call__(self, doc: Doc, published: date | None) -> list[dict]:
        mentions: dict[str, list[Mention]] = doc.user_data.get(MENTIONS) or {}
        sentences: list[tuple[int, int]] = doc.user_data.get(SENTENCES) or []
        actors = mentions.get("actor", [])
        if not actors:
            return []
        starts = {k: [m.start for m in v] for k, v in mentions.items()}
        idx = doc.user_data.get(TOKEN_IDX)
        if idx is None:
            idx = doc.to_array("IDX")
        self._idx = idx
        self._text = doc.user_data.get(TEXT) or doc.text
        low = self._text.lower()
        self._low = low if len(low) == len(self._text) else None
        token_spans = doc.user_data.get(TOKEN_SPANS)  # left by the lexicon, which needs them too
        if token_spans is None:
            token_spans = idx.tolist(), doc.to_array("LENGTH").tolist()
        idx_list, self._len_list = token_spans
        self._idx_list = idx_list  # bisect on a list: far cheaper than numpy per scalar
        # lower-cased token texts of the whole doc, sliced per sentence by ``_lower``
        self._low_tokens = None if self._low is None else [low[i:i + n] for i, n in zip(idx_list, self._len_list)]
        if self._low_tokens is not None and "the coming " in low:  # one substring search per doc
            # "in the coming months": 'coming' is an adjective of time there, not a thing moving
            toks = self._low_tokens
            kept = [t for t in mentions.get("trigger", ()) if not (toks[t.start] == "coming" and t.start > 0
                                                                   and toks[t.start - 1] == "the")]
            if len(kept) != len(mentions.get("trigger", ())):
                mentions = {**mentions, "trigger": kept}
                starts["trigger"] = [m.start for m in kept]
        events: list[dict] = []
        seen_sources: list[str] = []
        previous: list[dict] = []
        context: dict[tuple[str, str, str], str] = {}
        self._directions = {}  # category -> the directions its events took so far in the article
        self._people = "troops"  # the kind of people the article has moved last
        self._nationals: set[int] = set()  # token starts of "North Koreans" read as people
        nationals = self._low is not None and "north koreans" in self._low  # one search per doc
        gaps = doc.user_data.get(GAPS) or ()
        named: set[str] = set()  # the parties named in the sentence before
        for cs, ce in sentences:
            if cs in gaps:
                previous = []
                named = set()
            ts = max(0, bisect_right(idx_list, cs) - 1)
            te = bisect_left(idx_list, ce)
            if te <= ts:
                previous = []
                named = set()
                continue
            local = {k: v[bisect_left(starts[k], ts):bisect_left(starts[k], te)] for k, v in mentions.items()}
            # the parties named last: a sentence naming no one ("Officials believe ...") keeps those before it
            before = named
            if local.get("actor"):
                named = {a.label for a in local["actor"] if a.label in PARTIES}
            if self._text[ce - 1] == "?" or (self._text[ce - 1] in _CLOSING_QUOTES and self._text[ce - 2] == "?"):
                # "Was the North paid in cash as well?", "How many troops are in Russia?": a question asserts
                # no transfer (one character read per sentence)
                previous = []
                continue
            if previous and self.pronouns and any(w in self._text[cs:ce] for w in self.pronouns):
                self._pronoun_items(local, previous, ts, te)
            if nationals and local.get("actor"):
                self._people_named(local, ts)
            if previous and not local.get("item") and self.references:
                self._reference_items(local, previous, cs, ce, ts, te)
            if not local.get("item"):
                previous = []
                continue
            self._named_before = before
            found = self._sentence(doc, ts, te, cs, ce, local, published, seen_sources, previous, context)
            for ev in found:
                self._directions.setdefault(ev["category"], set()).add((ev["supplier"], ev["recipient"]))
                context[(ev["category"], ev["supplier"], "SRC")] = ev["recipient"]
                context[(ev["category"], ev["recipient"], "DST")] = ev["supplier"]
            events.extend(found)
            for ev in found:
                if ev["category"] in ("troops", "workers"):
                    self._people = ev["category"]
            previous = found
        return events

    def _pronoun_items(self, local: dict[str, list[Mention]], previous: list[dict], ts: int, te: int) -> None:
        """"More than 10,000 of them are working ...": 'them' after a figure stands for the item of the
        sentence before; it is added as an item mention of that category."""
        lower = self._lower_slice(ts, te)
        if lower is None:
            return
        items = list(local.get("item", ()))
        for k in range(2, len(lower)):
            if lower[k] == "them" and lower[k - 1] == "of" and lower[k - 2][:1].isdigit():
                cat = previous[-1]["category"]
                rule = self._plain_items.get(cat)
                if rule is None:
                    return
                c0 = self._idx_list[ts + k]
                items.append(Mention("item", cat, ts + k, ts + k + 1, c0, c0 + 4, rule))
        local["item"] = sorted(items, key=lambda m: (m.start, m.end))

    def _people_named(self, local: dict[str, list[Mention]], ts: int) -> None:
        """"In 2024 alone, 13,221 North Koreans arrived": the nationals counted by a figure are people that
        move, of the kind the article has moved last (troops unless workers), not a party."""
        low = self._low_tokens
        for a in local["actor"]:
            if a.label == "PRK" and a.end - a.start == 2 and low[a.end - 1] == "koreans" and a.start > ts \
                    and low[a.start - 1][:1].isdigit():
                rule = self._plain_items.get(self._people)
                if rule is None:
                    return
                local["actor"] = [o for o in local["actor"] if o is not a]
                self._nationals.add(a.start)
                items = list(local.get("item", ())) + [Mention("item", rule.category, a.start, a.end, a.cstart,
                                                               a.cend, rule)]
                local["item"] = sorted(items, key=lambda m: (m.start, m.end))
                return

    def _reference_items(self, local: dict[str, list[Mention]], previous: list[dict], cs: int, ce: int, ts: int,
                         te: int) -> None:
        """"In August, the JCS had put the number at more than 6 million.": in a sentence naming no item,
        the noun of a ``references`` phrase stands for the item of the sentence before; added as a weak item
        mention of that category (an event only with the figure after it). A third party named before the
        phrase is whoever makes the estimate, not a party to the transfer."""
        if self._low is None:
            return
        sentence = self._low[cs:ce]
        for phrase in self.references:
            at = sentence.find(phrase)
            if at < 0:
                continue
            rule = self._plain_items.get(previous[-1]["category"])
            if rule is None:
                return
            c0 = cs + at + phrase.rfind(" ", 0, phrase.rfind(" ")) + 1  # the noun: the word before 'at'/'to'
            k = bisect_left(self._idx_list, c0, ts, te)
            if k >= te or self._idx_list[k] != c0:
                return
            local["item"] = [Mention("item", rule.category, k, k + 1, c0, c0 + self._len_list[k],
                                     replace(rule, weak=True))]
            # "Seoul now puts the figure at about 12,000": a third party before the phrase makes the estimate
            local["actor"] = [a for a in local.get("actor", ()) if a.label in _PARTY_SET or a.start > k]
            return

    def _lower_slice(self, ts: int, te: int) -> list[str] | None:
        return None if self._low_tokens is None else self._low_tokens[ts:te]

    # -- one sentence ---------------------------------------------------------------------------
    def _sentence(self, doc: Doc, ts: int, te: int, cs: int, ce: int, m: dict[str, list[Mention]],
                  published: date | None, seen_sources: list[str], previous: list[dict],
                  context: dict[tuple[str, str, str], str]) -> list[dict]:
        text = self._text[cs:ce]
        article: tuple[str, str] | None = None
        if not previous and not any(a.label in PARTIES for a in m.get("actor", ())):
            # no party named and nothing to point back to: no event, whoever says what; unless no one at all
            # is named, a transfer word is there and the article has moved things only one way ("A JCS
            # official put the total number of shells supplied since August 2023 at over 9 million")
            article = self._article_direction(m)
            if article is None:
                return []
        attributions = self.attributions.find(text)
        source = self._source(attributions, seen_sources, len(text.rstrip(" .\"'”’")))
        excluded = [(cs + a.start, cs + a.end, a) for a in attributions]
        actors = [a for a in m.get("actor", []) if not self._excluded(a, excluded, ce, cs)]
        codes = {a.label for a in actors}
        if not codes <= _PARTY_SET and "that" in text:
            actors = _framing_removed(actors, m.get("trigger", []), self._lower(doc, ts, te), ts)
            codes = {a.label for a in actors}
        if self._nationals and any(i.start in self._nationals for i in m.get("item", ())):
            codes.add("PRK")  # "13,221 North Koreans arrived": the people name their side
        inherited: tuple[str, str] | None = None
        lower = self._lower(doc, ts, te)
        use_context = False
        if not (codes >= set(PARTIES)):
            inherited = self._anaphora(previous, m.get("item", []), lower, ts, codes, m.get("trigger", []))
            if inherited is None and previous and not actors \
                    and any(tr.label in ("give", "motion") for tr in m.get("trigger", ())):
                # "Officials believe at least 1,000 containers ... have crossed the border by rail.": no one
                # named at all, a transfer verb: the transfer of the sentence before goes on
                inherited = previous[-1]["supplier"], previous[-1]["recipient"]
            if inherited is None and article is not None:
                inherited = article
            if inherited is None:
                if not (codes & set(PARTIES)) or not (context or self._named_before - codes):
                    return []
                use_context = True
        items = self._items(m, actors, lower, ts)
        if not items:
            return []
        terminators = [x.start for x in m.get("modifier", []) if x.label == "TERMINATE"
                       and not (lower[x.start - ts] == "with" and _gives_with(x.start, m.get("trigger", ())))]
        breaks = [x.start for x in m.get("modifier", []) if x.label == "TERMINATE" and _tok_text(lower, x, ts) in _CLAUSE_BREAKS]
        listed = ";" in text and _semicolon_list(text)
        part_breaks = breaks  # a list's parts still bound what counts as a figure 'in the clause' (mode)
        if listed:
            # "...: 20,000 containers; more than 250 ballistic missiles; and 14,000 soldiers": the semicolons
            # part the items of one list, not clauses
            # (a modifier's scope still ends at them: "since August; it has supplied howitzers")
            breaks = [k for k in breaks if lower[k - ts] != ";"]
        targets = _absorb_topics(self._attach(doc, text, cs, ts, te, items, m, lower), lower, ts, breaks)
        mods = _longest_modifiers([x for x in m.get("modifier", []) if x.label != "TERMINATE"])
        triggers = m.get("trigger", [])
        if "of them" in text and triggers:
            triggers = _outside_asides(triggers, lower, ts)
        dates: list[DateMention] | None = None  # read on the first event only: most targets yield none
        out: list[dict] = []
        for t in targets:
            t.cats = categories(mods, t.start, t.end, terminators, lower, ts)
        if lower and lower[0] == "of" and "," in lower:
            _partitive_losses(targets, mods, lower, ts)
        main_at = ts
        read: dict[int, tuple[str, str]] = {}  # the direction read for each item, by its start
        helped = not _HELP_WORDS.isdisjoint(lower)  # "helping North Korea make drones"
        # what comes back ("in exchange for oil") is read after the main transfer of the sentence
        targets = [t for t in targets if "RECIPROCAL" not in t.cats] + [t for t in targets if "RECIPROCAL" in t.cats]
        for t in targets:
            if helped and t.item.label not in _MASS_CATEGORIES and self._helped_to_make(t, lower, ts):
                # "helping North Korea mass-produce attack drones": the know-how moves, not the drones
                t = Target(replace(t.item, label="technology", info=self._plain_items["technology"]))
                t.cats = categories(mods, t.start, t.end, terminators, lower, ts) - {"CASUALTY"}
            if "CASUALTY" in t.cats or ("HYPOTHETICAL" in t.cats and not ("DENIED" in t.cats and _denial_apart(mods))):
                continue
            if t.qty is None and t.item.label == "containers" and inherited is not None \
                    and t.item.start - ts > 0 and lower[t.item.start - ts - 1] in _ANAPHORS \
                    and any(o.item.label != "containers" for o in targets):
                continue  # "those containers could hold 3 million shells": what they hold is the news
            if t.item.info.weak and t.qty is None:  # type: ignore[union-attr]
                continue
            trig = self._trigger(t, triggers, breaks)
            if "RECIPROCAL" in t.cats and inherited is None and out and _across(t, main_at, mods, terminators, lower, ts):
                main = out[0]  # "X sent troops to Y in exchange for oil": the oil goes from Y to X
                if main["category"] != t.item.label:
                    if dates is None:
                        dates = self.dates.find(text, published)
                    out.append(self._event(t, trig, (main["recipient"], main["supplier"]), targets, dates, lower, ts,
                                           cs, ce, text, source, breaks))
                continue
            if trig is not None and any(min(trig.start, t.start) < b < max(trig.start, t.start) for b in breaks):
                trig = None  # the only transfer word is in another clause
            if trig is None and t.qty is None and inherited is not None and t.item.start - ts > 0 \
                    and lower[t.item.start - ts - 1] in _ANAPHORS \
                    and any(ev["category"] == t.item.label for ev in previous):
                continue  # "The workers earn as little as $100 a month": the ones just counted, no transfer word
            if trig is None and inherited is None and t.qty is not None and t.item.label != "containers":
                held = self._held_in(t, targets, read, lower, ts)
                if held is not None:  # "... 10,000 containers to Russia, which could hold 4.8 million rounds"
                    if dates is None:
                        dates = self.dates.find(text, published)
                    out.append(self._event(t, trig, held, targets, dates, lower, ts, cs, ce, text, source, breaks))
                    continue
            if trig is None and inherited is None and t.item.label not in ("troops", "workers"):
                continue
            if inherited is not None:
                direction = inherited
            else:
                direction = self._direction(t, trig, actors, breaks, lower, ts, te, codes,
                                            context if use_context else None, [x.item.start for x in targets])
            if direction is None:
                direction = read.get(t.item.start)  # a second figure of an item already read ("..., on top of the 11,000 it sent")
            if direction is None and t.since_from is not None and out:
                # "sent 3,000 more troops to Russia, bringing the total number of its soldiers deployed there to
                # about 14,000": a running total goes the way of the increment of its category before it
                direction = next(((ev["supplier"], ev["recipient"]) for ev in reversed(out)
                                  if ev["category"] == t.item.label), None)
            if direction is None and listed and out and trig is not None:
                # "The North has shipped 13,000 containers; it has supplied howitzers; and it is preparing to send
                # troops": a list's later parts go the way of its first
                direction = out[-1]["supplier"], out[-1]["recipient"]
            if direction is None:
                continue
            if t.item.start not in read:
                read[t.item.start] = direction
            if dates is None:
                dates = self.dates.find(text, published)
            out.append(self._event(t, trig, direction, targets, _list_part_dates(dates, text, t.item.cstart - cs)
                                   if listed and dates else dates, lower, ts, cs, ce, text, source, part_breaks))
            if len(out) == 1:
                main_at = t.item.start
        return _dedupe(out)

    def _article_direction(self, m: dict[str, list[Mention]]) -> tuple[str, str] | None:
        """The one way the article has moved things so far, for a sentence that names no one at all and
        holds a transfer word: the way of its items' categories if they all went one way, else the way of
        every event so far if they all went one way."""
        if not self._directions or m.get("actor") or not any(tr.label in ("give", "motion") for tr in m.get("trigger", ())):
            return None
        seen = set()
        for it in m.get("item", ()):
            seen |= self._directions.get(it.label, set())
        if not seen:
            for ways in self._directions.values():
                seen |= ways
        return next(iter(seen)) if len(seen) == 1 else None

    # -- pieces ---------------------------------------------------------------------------------
    @staticmethod
    def _helped_to_make(t: Target, lower: list[str], ts: int) -> bool:
        """Is the item what someone is helped to make ("helping North Korea mass-produce drones")?"""
        i = t.item.start - ts
        for v in range(i - 1, max(-1, i - 3), -1):
            if lower[v] in _MAKE_VERBS:
                return any(lower[k] in _HELP_WORDS for k in range(max(0, v - 6), v))
        return False

    @staticmethod
    def _held_in(t: Target, targets: list[Target], read: dict[int, tuple[str, str]], lower: list[str],
                 ts: int) -> tuple[str, str] | None:
        """The direction of the containers read before ", which could hold" in the sentence."""
        for o in targets:
            item = o.item
            direction = read.get(item.start)
            if direction is None or item.label != "containers" or item.end > t.start:
                continue
            clause = lower[item.end - ts:t.start - ts]
            if ("," in clause and "which" in clause and any(w in _CONTENT_VERBS for w in clause)
                    and len(clause) <= 20):
                return direction
        return None

    def _lower(self, doc: Doc, ts: int, te: int) -> list[str]:
        """Lower-cased token texts of a sentence, sliced from the text (no Token objects)."""
        if self._low is None:
            return [t.lower_ for t in doc[ts:te]]
        return self._low_tokens[ts:te]

    def _source(self, attributions: list[Attribution], seen: list[str], length: int = 0) -> str | None:
        src = None
        closing = [a for a in attributions if a.source and a.start > 0 and length - a.end <= 3]
        if closing and any(a.start == 0 for a in attributions):
            # "Washington estimates that ..., a State Department spokesman said.": the closing clause
            # names who speaks for the whole sentence
            attributions = closing
        for a in sorted(attributions, key=lambda a: a.start):
            if a.source:
                src = a.source
                if a.start == 0:
                    break
        src = resolve(src, seen)
        if src and src != "<pronoun>":
            seen.append(src)
        return src

    @staticmethod
    def _excluded(a: Mention, excluded: list, sentence_end: int, sentence_start: int = -1) -> bool:
        for s, e, _att in excluded:
            if s <= a.cstart and a.cend <= e:
                if a.label not in PARTIES:
                    return True
                # ", a Moscow official said." closes the sentence; "Moscow said it would ..." opens it and
                # the speaker is the subject of what follows
                trailing = sentence_end - e < 40 and not (s == sentence_start and a.info == "name")
                if a.info == "adj" or trailing or _is_possessive_context(a, s, e):
                    return True
        return False

    def _anaphora(self, previous: list[dict], items: list[Mention], lower: list[str], ts: int,
                  codes: set[str], triggers: list[Mention] = ()) -> tuple[str, str] | None:
        """A sentence without both parties that points back ("those containers", "the troops") to the
        sentence before, which held an event: it inherits that event's direction. "Those shipments
        could contain 6 million shells" points back through the transfer noun."""
        if not previous:
            return None
        for tr in triggers:
            i = tr.start - ts
            if tr.label == "give" and i > 0 and lower[i - 1] in _ANAPHORS and lower[0] not in ("from",) \
                    and lower[i].endswith(("s", "ment", "ery", "ply", "fer")):
                for it in items:
                    for ev in reversed(previous):
                        if ev["category"] == it.label or ev["category"] in ("containers", "weapons_other"):
                            if codes and not codes <= {ev["supplier"], ev["recipient"]} | set(PARTIES):
                                return None
                            return ev["supplier"], ev["recipient"]
        for it in items:
            i = it.start - ts
            if i > 0 and (lower[i - 1] in _ANAPHORS or lower[i] == "them") and lower[0] not in ("from",):
                for ev in reversed(previous):
                    if ev["category"] == it.label or ev["category"] in ("containers", "weapons_other"):
                        if codes and not codes <= {ev["supplier"], ev["recipient"]} | set(PARTIES):
                            return None
                        return ev["supplier"], ev["recipient"]
        return None

    def _items(self, m: dict[str, list[Mention]], actors: list[Mention], lower: list[str], ts: int) -> list[Mention]:
        all_actors = m.get("actor", [])
        ignores = m.get("ignore", [])
        items = [i for i in m.get("item", [])
                 if not any(a.start < i.end and i.start < a.end for a in all_actors)
                 and (not any(g.start < i.end and i.start < g.end and g.end - g.start >= i.end - i.start for g in ignores)
                      if not i.info.after else _after(lower, i.start - ts, i.info.after))]  # type: ignore[union-attr]
        kept: list[Mention] = []
        for k, it in enumerate(items):
            nxt = items[k + 1] if k + 1 < len(items) else None
            # noun compounds: "rocket launcher experts" -> the experts; "missile guidance" handled by the lexicon
            if nxt is not None and (nxt.start == it.end or (nxt.start == it.end + 1 and lower[it.end - ts] == "-")):
                continue
            if it.label == "aircraft" and _carrier(lower, it.start - ts, {a.start - ts for a in all_actors}):
                continue  # "flown to Vladivostok on Russian military transport aircraft": what carried them
            if it.label in ("troops", "workers") and k > 0 and self._agent(it, items[:k], m.get("trigger", ()),
                                                                            all_actors, lower, ts):
                continue  # "Technology ... has been provided, the authors write, by Russian engineers": who gave it
            kept.append(it)
        return kept

    @staticmethod
    def _agent(it: Mention, before: list[Mention], triggers: list[Mention], actors: list[Mention],
               lower: list[str], ts: int) -> bool:
        """Are the people at ``it`` the agent of a passive transfer of another item ('X has been provided
        ... by Russian engineers'): 'by' before them (past determiners and actors), a passive giving verb
        before that, and an item of another kind before the verb?"""
        i = it.start - ts
        actor_at = {a.start - ts for a in actors} | {a.end - 1 - ts for a in actors}
        k = i - 1
        while k >= 0 and i - k <= 4 and (lower[k] in _CARRIER_GAP or k in actor_at):
            k -= 1
        if k < 0 or lower[k] != "by":
            return False
        for tr in triggers:
            j = tr.start - ts
            if tr.label == "give" and j < k and k - j <= 12 and _passive(lower, j) \
                    and any(o.end <= tr.start and o.label not in ("troops", "workers") for o in before):
                return True
        return False

    def _attach(self, doc: Doc, text: str, cs: int, ts: int, te: int, items: list[Mention],
                m: dict[str, list[Mention]], lower: list[str]) -> list[Target]:
        targets = [Target(i) for i in items]
        by_start = {t.item.start: t for t in targets}
        actor_toks = {k for a in m.get("actor", []) for k in range(a.start, a.end)}
        unit_starts = {u.start: u for u in m.get("unit", [])}
        # items read as part of a longer name ("KN-23 ballistic missiles", "long-range artillery guns"):
        # a figure reaches the head noun over them
        kept = {i.start for i in items}
        units = dict(unit_starts)
        for i in m.get("item", []):
            if i.start not in kept and i.start not in unit_starts:
                unit_starts[i.start] = i
        for q in self.numbers.find(text):
            qs = max(ts, bisect_right(self._idx_list, cs + q.start) - 1)
            qe = bisect_left(self._idx_list, cs + q.end)
            if qe <= qs:
                continue
            if q.money or (qe - ts < len(lower) and lower[qe - ts] in _CURRENCY_WORDS and q.value is not None):
                # "cash worth as much as $20 billion", "$500 million in aid": money counts economic aid only
                target = _money_target(targets, qs, qe, lower, ts)
                if target is not None and target.qty is None:
                    target.qty, target.q_start, target.q_end = replace(q, money=True), qs, qe
                continue
            if not self._is_quantity(q, qs, qe, lower, ts, te):
                continue
            target = self._forward(qs, qe, by_start, actor_toks, unit_starts, lower, ts, te)
            if target is not None:
                if q.qualifier == "vague" and q.text.lower().rstrip() in self.vague_needs_item and target.item.start != qe:
                    continue
                if qs - ts >= 2 and lower[qs - ts - 1] == "at":
                    # "put the North Korean contingent at 11,000 to 12,000 troops": the figure counts the
                    # group named before 'at', whose words say whose it is
                    target = _group_before_at(targets, target, qs) or target
                if target.qty is None:
                    target.qty, target.q_start, target.q_end = q, qs, qe
                continue
            if q.qualifier == "vague" and q.text.lower().strip() in self.vague_needs_item:
                continue
            if self.numbers.is_year(q):
                continue
            if self.earlier_before and self._earlier(lower, qs - ts):
                # "about 240 rocket launchers, up from some 200": the same figure, as it stood before
                # (counted from the figure, which may stand after its item: 'put the number of shells at 9 million')
                before = [t for t in targets if t.qty is not None and t.item.end <= qs and qs - t.end <= 12]
                if before:
                    back = max(before, key=lambda t: t.item.end)
                    targets.append(Target(back.item, replace(q, increment=False), qs, qe))
                continue
            if qe - ts + 1 < len(lower) and lower[qe - ts] in ("it", "they"):
                # "on top of the roughly 11,000 it sent last autumn": the item is the one before, sent again
                k = qe + 1
                while k < te and lower[k - ts] in ("had", "has", "have", "already", "also"):
                    k += 1
                if any(tr.start == k and tr.label in ("give", "motion") for tr in m.get("trigger", ())):
                    before = [t for t in targets if t.item.end <= qs and qs - t.item.end <= 12]
                    if before:
                        back = max(before, key=lambda t: t.item.end)
                        q = replace(q, increment=False, total=True)  # what was sent before: a total so far
                        if back.qty is None:
                            back.qty, back.q_start, back.q_end = q, qs, qe
                        else:
                            targets.append(Target(back.item, q, qs, qe))
                    continue
            after = units[qe].end if qe in units else qe  # "reaching an estimated 2 million barrels this year"
            nxt = lower[after - ts] if after - ts < len(lower) else "."
            p = qs - ts - 1
            if p > 0 and lower[p] in _OPENING_QUOTES:
                p -= 1  # 'at "over 9 million"': a figure in quotes reads as one without
            prv = lower[p] if p >= 0 else ""
            if nxt.isalpha() and nxt not in self.after_item_end and not q.total and not (q.increment and nxt in ("due", "to", "in", "are", "were", "will")):
                if not (prv in ("or",) and nxt in ("if", "when", "depending")):
                    continue
            prv2 = lower[p - 1] if p - 1 >= 0 else ""
            noun_at = p - 1
            if prv in ("to", "at") and prv2 not in self.total_nouns and p >= 3:
                # "bringing the total deployed there to about 12,000": a participle and a place between
                noun_at = _total_noun_before(lower, p - 1, self.total_nouns, self.patterns.numbers.months)
                prv2 = lower[noun_at] if noun_at is not None else prv2
            running = None
            if prv in ("to", "at") and prv2 in self.total_nouns:
                # "..., bringing the total to some 12,000": a running total of the item before; a start date
                # before the total noun is the increment's ("sent 1,500 more since December, bringing the
                # total to 12,000"), not the total's
                q = replace(q, total=True)
                running = self._idx_list[ts + noun_at] - cs
                before = [t for t in targets if t.item.end <= qs and qs - t.item.end <= 25]
                back = max(before, key=lambda t: t.item.end) if before else None
            else:
                back = self._backward(targets, qs, prv, q, self.after_item_before)
            if back is not None:
                clone = Target(back.item, q, qs, qe, since_from=running)
                if back.qty is None:
                    back.qty, back.q_start, back.q_end, back.since_from = q, qs, qe, running
                else:
                    if q.qualifier == "exact" and back.qty.qualifier == "up_to" and prv == "or":
                        clone.qty = replace(q, qualifier="up_to", low=None)
                    targets.append(clone)
        for t in targets:
            i = t.item.start - ts
            if t.qty is None and i > 0 and lower[i - 1] in ("a", "an") and t.item.label not in _MASS_CATEGORIES \
                    and not doc[t.item.end - 1].text.lower().endswith("s") and not t.item.info.weak:  # type: ignore[union-attr]
                c0 = doc[t.item.start - 1].idx
                t.qty = Quantity(c0, t.item.cend, 1, 1, 1, "exact", self._text[c0:t.item.cend])
                t.q_start, t.q_end, t.implicit = t.item.start - 1, t.item.start, True
        return targets

    def _earlier(self, lower: list[str], i: int) -> bool:
        """Is the figure at token ``i`` after 'up from' (past 'a previous estimate of')?"""
        j = i - 1
        while j >= 0 and i - j <= 5 and lower[j] in _EARLIER_GAP:
            j -= 1
        return j >= 1 and (lower[j - 1], lower[j]) in self.earlier_before

    def _is_quantity(self, q: Quantity, qs: int, qe: int, lower: list[str], ts: int, te: int) -> bool:
        nxt = lower[qe - ts] if qe - ts < len(lower) else ""
        nxt2 = " ".join(lower[qe - ts:qe - ts + 2])
        prv = lower[qs - ts - 1] if qs - ts - 1 >= 0 else ""
        if nxt in self.not_after or nxt2 in self.not_after or prv in self.not_before:
            return False
        if nxt == "-" and qe - ts + 1 < len(lower) and lower[qe - ts + 1] in self.not_after:
            return False
        if prv in self.patterns.numbers.months or nxt in self.patterns.numbers.months:
            return False
        i = qs - ts
        if prv == "each" or (i >= 2 and lower[i - 2] == "each" and (prv.endswith("ing") or prv in ("with", "of"))):
            return False  # "11 tankers ..., each loading roughly 8,000 tonnes of diesel": a load per carrier
        return True

    def _forward(self, qs: int, qe: int, by_start: dict[int, Target], actor_toks: set[int],
                 unit_starts: dict[int, Mention], lower: list[str], ts: int, te: int) -> Target | None:
        k = qe
        seen_unit = False
        while k < te and k - qe <= 5:
            if k in by_start:
                t = by_start[k]
                if t.item.end < te and lower[t.item.end - ts] in self.not_after:
                    return None  # "43 oil tankers", "12 ammunition trains": the figure counts the carriers
                return t
            w = lower[k - ts]
            if k in unit_starts:
                seen_unit = True
                k = unit_starts[k].end
                continue
            if k in actor_toks or w in _ATTACH_GAP_OK or (w in ("and", "or") and k > qe) or not w.strip():
                if w == "of" and not seen_unit:
                    if k + 1 < te and lower[k + 1 - ts] in ("the", "those", "these") and k == qe:
                        k += 2  # "as many as 100 of the missiles": a part of the item named before
                        continue
                    if k + 1 < te and lower[k + 1 - ts] == "them" and k == qe:
                        k += 1  # "10,000 of them": the pronoun is read as the item it stands for
                        continue
                    return None
                k += 1
                continue
            if k - qe < 2 and _WORD.fullmatch(w) and w not in {"and", "or", "in", "to", "from", "by", "at",
                                                                              "for", "with", "that", "which", "were",
                                                                              "was", "have", "had", "has", "are", "is"}:
                k += 1
                continue
            return None
        return None

    @staticmethod
    def _backward(targets: list[Target], qs: int, prv: str, q: Quantity, before_words: set[str]) -> Target | None:
        before = [t for t in targets if t.item.end <= qs and qs - t.item.end <= 25]
        if not before:
            return None
        if prv == "or" or q.increment:
            return max(before, key=lambda t: t.item.end)
        free = [t for t in before if t.qty is None]
        if not free:
            return None
        if prv not in before_words and not q.total:
            return None
        return max(free, key=lambda t: t.item.end)

    @staticmethod
    def _trigger(t: Target, triggers: list[Mention], breaks: list[int]) -> Mention | None:
        best, best_d = None, 1e9
        item = t.item
        t_start, t_end = t.start, t.end  # properties: read once, not per trigger
        q_start, q_end = (t.q_start, t.q_end) if t.q_start is not None else (-1, -1)
        for tr in triggers:
            if tr.start >= item.start and tr.end <= item.end:
                continue
            if q_start <= tr.start and tr.end <= q_end:
                continue  # "a number of": part of the figure
            if item.label in tr.info.not_for:  # type: ignore[union-attr]
                continue
            if tr.start == item.end and tr.label == "give":
                return tr  # "launched 50 ballistic missiles supplied by North Korea": the participle on the item
            if tr.end <= t_start:
                d = t_start - tr.end
            elif tr.start >= t_end:
                d = (tr.start - t_end) * 1.3
            else:
                d = 0
            lo, hi = sorted((tr.start, t_start))
            if any(lo < b < hi for b in breaks):
                d += 30
            if d < best_d:
                best, best_d = tr, d
        return best

    def _direction(self, t: Target, trig: Mention | None, actors: list[Mention], breaks: list[int],
                   lower: list[str], ts: int, te: int, codes: set[str],
                   context: dict | None = None, item_starts: list[int] = ()) -> tuple[str, str] | None:
        ttype = trig.label if trig is not None else "presence"
        anchor = trig.start if trig is not None else t.item.start
        if ttype == "give" and trig is not None and _passive(lower, trig.start - ts):
            ttype = "give_passive"
        lo_tok, hi_tok = min(anchor, t.start), max(anchor, t.end)
        lo_b = max([b for b in breaks if b <= lo_tok], default=ts)
        hi_b = min([b for b in breaks if b >= hi_tok], default=te)
        src: dict[str, float] = {}
        dst: dict[str, float] = {}
        first = actors[0] if actors else None
        for scope in ((lo_b, hi_b), (ts, te)):
            src.clear(), dst.clear()
            for a in actors:
                if not (scope[0] <= a.start < scope[1]):
                    continue
                role = self._role(a, t, trig, ttype, lower, ts, item_starts)
                if role is None:
                    continue
                if scope == (ts, te) and a.start < lo_b and a is not first and not _has_prep(lower, a.start - ts):
                    continue
                kind, weight = role
                dist = min(abs(a.start - anchor), abs(a.start - t.item.start))
                w = weight / (1.0 + 0.04 * dist)
                bucket = src if kind == "SRC" else dst
                bucket[a.label] = max(bucket.get(a.label, 0.0), w)
            if src or dst:
                break
        supplier = max(src, key=src.get) if src else None
        recipient = max(dst, key=dst.get) if dst else None
        if supplier is None and t.item.start in self._nationals and recipient != "PRK":
            supplier = "PRK"  # "About 3,000 North Koreans are fighting in Kursk": they come from the North
            src[supplier] = 5.0
        if supplier is not None and supplier == recipient:
            if src[supplier] >= dst[recipient]:
                rest = {k: v for k, v in dst.items() if k != supplier}
                recipient = max(rest, key=rest.get) if rest else None
            else:
                rest = {k: v for k, v in src.items() if k != recipient}
                supplier = max(rest, key=rest.get) if rest else None
        if supplier is not None and supplier not in PARTIES:
            return None
        if recipient is not None and recipient not in PARTIES:
            if supplier is not None and dst.get(recipient, 0) >= 3.0:
                return None
            recipient = None
        parties = codes & set(PARTIES)
        if supplier is None and recipient is None:
            return None
        if len(parties) == 1 and context is not None:
            # one party named: the other comes from earlier events of this category in the article
            known = supplier or recipient
            role = "SRC" if supplier else "DST"
            other = context.get((t.item.label, known, role))
            if other is None and trig is not None and trig.label in ("give", "receive", "motion") \
                    and not (supplier and recipient) and codes <= set(PARTIES) \
                    and (t.item.label not in ("troops", "workers") or (role == "SRC" and trig.label in ("give", "motion"))):
                # "Russia has turned to North Korea for help. Pyongyang has also supplied missiles.":
                # the one party of the sentence before that is not named here (people only when the
                # party named sends them: "The agency said the North had also sent 1,500 more soldiers")
                before = self._named_before - parties
                other = before.pop() if len(before) == 1 else None
            if other is None or (supplier and recipient and recipient != other):
                return None
            if role == "SRC":
                recipient = other
            else:
                supplier = other
        if t.item.label in ("troops", "workers") and supplier is not None and recipient is None and not dst \
                and trig is not None and ttype == "presence" and lower[trig.start - ts] in _TAKE_PART \
                and len(parties) == 2:
            # "denied that the North's troops are taking part in the war": whose people they are is read, the
            # war they take part in is the other party's
            recipient = (parties - {supplier}).pop() if supplier in parties else None
        if t.item.label in ("troops", "workers") and (supplier is None or recipient is None):
            return None  # people: both ends must be read, not guessed
        if supplier is None:
            others = parties - {recipient}
            supplier = others.pop() if len(others) == 1 else None
        if recipient is None:
            others = parties - {supplier}
            recipient = others.pop() if len(others) == 1 else None
        if supplier is None or recipient is None or supplier == recipient:
            return None
        return supplier, recipient

    def _role(self, a: Mention, t: Target, trig: Mention | None, ttype: str, lower: list[str], ts: int,
              item_starts: list[int] = ()) -> tuple[str, float] | None:
        i = a.start - ts
        # an adjective or name right before the item says where the item comes from
        after_trigger = trig is not None and a.start == trig.end and ttype != "presence"  # not "the number of North Korean troops"
        if a.end + 1 <= t.item.start <= a.end + 3 and _possessive(lower, a, ts) and not after_trigger \
                and t.item.label in ("troops", "workers"):
            # "North Korea's troops in Russia": whose people they are says where they come from
            gap = lower[a.end + 1 - ts:t.item.start - ts]
            if all(w in _ATTACH_GAP_OK or w in ("-", "special", "forces", "construction") for w in gap) \
                    and not any(w in (",", "and", "or") for w in gap):
                return ("SRC", 4.0)
        if a.end <= t.item.start and t.item.start - a.end <= (3 if a.info == "adj" else 0) \
                and not _possessive(lower, a, ts) and not after_trigger:
            gap = lower[a.end - ts:t.item.start - ts]
            if all(w in _ATTACH_GAP_OK or w in ("-", "made", "supplied", "provided", "built", "produced") or w.endswith("-made") for w in gap) \
                    and not any(w in (",", "and", "or") for w in gap):
                return ("SRC", 5.0)
        if a.info == "adj" and not (lower[a.end - ts:a.end - ts + 1] == ["-"]):
            # an adjective on something else ("Russian ships unloading ...") acts like its noun
            pass
        if i > 0 and lower[i - 1] in ("'s", "’s"):
            return None  # "North Korea's Najin port": the possessor carries the role
        if trig is not None and a.start == trig.end and lower[trig.end - 1 - ts] == "for" and trig.end - trig.start > 1:
            return ("DST", 4.0)  # "fighting for Moscow": the side they fight for is where they went
        if a.info == "adj" and trig is not None and a.end == trig.start and ttype == "give":
            return ("SRC", 4.0)  # "Russian help for ...", "Russian deliveries": whose the giving is
        prep = _preposition(lower, i, ttype in ("presence", "receive"))
        base_type = "give" if ttype == "give_passive" else ttype
        if prep in _PREP_ROLES:
            roles = _PREP_ROLES[prep]
            role = roles.get(base_type, roles["*"])
            if prep == "by" and ttype == "give_passive":
                role = ("SRC", 4.0)
            return role
        if prep in _NO_ROLE_PREPS:
            return None
        if trig is None:
            return None
        pos = "subj" if a.start < trig.start else "obj"
        if pos == "subj" and (trig.start - a.end > 10 or any(a.end <= s < trig.start for s in item_starts)) \
                and not (trig.start - a.end <= 16 and _coordinated(lower, trig.start - ts)):
            return None  # subject of another verb ("Seoul has tracked containers moving ...")
        if pos == "obj" and a.start - trig.end > 4:
            return None
        return _POSITION_ROLES.get((ttype, pos))

    def _event(self, t: Target, trig: Mention | None, direction: tuple[str, str], targets: list[Target],
               dates: list[DateMention], lower: list[str], ts: int, cs: int, ce: int, text: str,
               source: str | None, breaks: list[int]) -> dict:
        ttype = trig.label if trig is not None else "presence"
        status = status_of(t.cats)
        qty = t.qty
        if ttype == "use" and qty is not None and not t.implicit:
            qty = None
        lo = max([b for b in breaks if b <= t.start], default=ts)
        hi = min([b for b in breaks if b >= t.end], default=len(lower) + ts)
        mode = "unspecified"
        if (qty is not None and qty.increment) or ("INCREMENT" in t.cats and not (qty is not None and qty.total)):
            mode = "additional"
        elif ttype != "use" and "PERIOD" not in t.cats:
            explicit_total = (qty is not None and qty.total) or "TOTAL" in t.cats
            has_since = any(d.kind == "since" for d in dates)
            if explicit_total or has_since:
                mode = "total"
            elif status != "planned" and ttype != "use" and any(
                    # a figure in the clause (the clause text is joined only for a vague one)
                    o.qty is not None and not o.implicit and not o.qty.increment and (
                        o.qty.qualifier != "vague" or _PERFECT.search(" ".join(lower[lo - ts:hi - ts])))
                    and (lo <= o.start < hi) and not (set(categories_cache(o)) & {"CASUALTY", "HYPOTHETICAL"})
                    for o in targets):
                mode = "total"
        since = None
        if mode == "total":
            pos = cs  # nearest date to the item
            cands = [d for d in dates if d.kind == "since"] or [d for d in dates if d.kind == "period"]
            if t.since_from is not None:
                cands = [d for d in cands if d.start >= t.since_from]
            if cands:
                anchor_c = t.item.cstart - cs
                since = min(cands, key=lambda d: min(abs(d.start - anchor_c), abs(d.end - anchor_c))).value
            del pos
        unit = t.item.info.unit  # type: ignore[union-attr]
        if t.qty is not None and qty is not None:
            unit = "dollars" if qty.money else _unit_text(t.item, text, cs) or unit
        return {
            "supplier": direction[0],
            "recipient": direction[1],
            "category": t.item.label,
            "quantity": qty.as_json(unit) if qty is not None else None,
            "mode": mode,
            "since": since,
            "status": status,
            "attribution": source,
            "evidence": text,
            "span": [cs, ce],
        }


_TOPIC_WORDS = {"on", "help", "with", "for", "deploy", "build", "develop", "building", "developing", "deploying",
                "modernise", "modernize", "improve", "upgrade", "in"}


_CURRENCY_WORDS = {"dollars", "dollar", "usd", "euros", "euro"}
_MONEY_BACK = {"worth", "valued", "totalling", "totaling", "totalled", "totaled", "amounting", "of"}
_MONEY_BACK_GAP = _MONEY_BACK | {"at", "to", "estimated", "reportedly", "put", "an", "some", ",", "-", "–", "—"}
_MONEY_FORWARD_GAP = {"in", "of", "worth", "new", "additional", "direct", "extra", "further", "annual", "yearly"}


def _money_target(targets: list[Target], qs: int, qe: int, lower: list[str], ts: int) -> Target | None:
    """The economic aid an amount of money counts: one named just before it and joined by 'worth', 'valued
    at', 'totalling', 'of' ('cash worth as much as $20 billion'), or just after it and joined by 'in', 'of',
    'worth of' ('$500 million in aid', '$1 billion worth of food'). Money never counts other items."""
    best = None
    for t in targets:
        it = t.item
        if it.label != "economic_aid":
            continue
        if it.end <= qs and qs - it.end <= 6:
            gap = lower[it.end - ts:qs - ts]
            if gap and all(w in _MONEY_BACK_GAP for w in gap) and not _MONEY_BACK.isdisjoint(gap):
                best = t
        elif it.start >= qe and it.start - qe <= 4:
            gap = lower[qe - ts:it.start - ts]
            if gap and all(w in _MONEY_FORWARD_GAP or w in _CURRENCY_WORDS for w in gap) \
                    and ("in" in gap or "of" in gap):
                return t
    return best


_TOTAL_GAP = {"there", "here", "so", "far", "now", "in", "to", "russia", "north", "korea", "the", "abroad",
              "overseas", "since", "then", "all", "told"}


def _total_noun_before(lower: list[str], j: int, nouns: set[str], months: dict[str, int]) -> int | None:
    """Where the total noun is that a participle phrase of at most four words parts from its 'to'/'at'
    ('the total deployed there to', 'the number sent so far to'), or None."""
    k = j
    seen_participle = False
    while k >= 1 and j - k < 4:
        w = lower[k]
        if w.endswith("ed") or w in _PARTICIPLES:
            seen_participle = True
        elif w not in _TOTAL_GAP and w not in months and not w.isdigit():
            return None
        k -= 1
        if seen_participle and lower[k] in nouns:
            return k
        if seen_participle and "of" in lower[max(k - 4, 1):k]:
            # "the total number of its soldiers deployed there to": the counted item between noun and participle
            o = k - 1 - lower[max(k - 4, 1):k][::-1].index("of")
            if lower[o - 1] in nouns:
                return o - 1
    return None


_CARRIER_PREPS = {"on", "aboard", "onboard", "by", "via", "in"}
_CARRIER_GAP = {"the", "a", "an", "its", "their", "military", "transport", "cargo", "chartered", "special", "large",
                "heavy", "-"}
_CARRYING_VERBS = {"flown", "flew", "fly", "flying", "airlifted", "airlift", "ferried", "ferrying", "carried",
                   "carrying", "transported", "transporting", "taken", "brought", "moved", "shuttled", "arrived",
                   "arriving", "travelled", "traveled"}


def _carrier(lower: list[str], i: int, actor_at: set[int]) -> bool:
    """Is the aircraft at ``i`` what something travelled on ('were flown ... on Russian military transport
    aircraft', 'airlifted aboard Il-76 planes'): a carrier preposition before it, past determiners, actors and
    words such as 'military', 'transport', and a verb of carrying at most 12 words before that?"""
    k = i - 1
    while k >= 0 and i - k <= 5 and (lower[k] in _CARRIER_GAP or k in actor_at):
        k -= 1
    if k < 0 or lower[k] not in _CARRIER_PREPS:
        return False
    return any(w in _CARRYING_VERBS for w in lower[max(0, k - 12):k])


def _group_before_at(targets: list[Target], target: Target, qs: int) -> Target | None:
    """The weak item of the figure's category ('contingent', 'deployment') that ends at most four tokens
    before the 'at' that opens the figure ('the North Korean contingent in Russia at 12,000 troops')."""
    for o in targets:
        if o.qty is None and o.item.info.weak and o.item.label == target.item.label \
                and o.item.end <= qs - 1 and qs - 1 - o.item.end <= 3:  # type: ignore[union-attr]
            return o
    return None


def _framing_removed(actors: list[Mention], triggers: list[Mention], lower: list[str], ts: int) -> list[Mention]:
    """"Seoul is watching for signs that Moscow could hand over jets": a third party before 'that', with
    every transfer word after it, frames the clause and takes no part in the transfer."""
    if "that" not in lower:
        return actors
    j = lower.index("that") + ts
    if not triggers or any(tr.start < j for tr in triggers):
        return actors
    return [a for a in actors if a.label in PARTIES or a.start > j]


def _absorb_topics(targets: list[Target], lower: list[str], ts: int, breaks: list[int]) -> list[Target]:
    """"technical advice on air defence missiles and drones", "technology to help deploy satellites and
    tanks": what follows technology and a topic word is what the know-how is about, not a second item."""
    techs = [t for t in targets if t.item.label == "technology"]
    if not techs:
        return targets
    out = []
    for t in targets:
        absorbed = False
        if t.item.label != "technology" and t.qty is None:
            for tech in techs:
                if tech.item.end <= t.item.start and not any(tech.item.end <= b < t.item.start for b in breaks):
                    between = lower[tech.item.end - ts:t.item.start - ts]
                    if len(between) <= 12 and any(w in _TOPIC_WORDS for w in between[:4]):
                        absorbed = True
                        break
        if not absorbed:
            out.append(t)
    return out


_ASIDE_HEADS = {"many", "most", "some", "all", "several", "half", "one", "each", "both", "none", "few", "dozens",
                "hundreds", "thousands", "two", "three"}


def _outside_asides(triggers: list[Mention], lower: list[str], ts: int) -> list[Mention]:
    """The triggers outside an aside on the item (", many of them fired at Kyiv within weeks of arriving,"):
    what was done with the things, not how they came."""
    spans = []
    for k in range(len(lower) - 3):
        if lower[k] == "," and lower[k + 1] in _ASIDE_HEADS and lower[k + 2] == "of" and lower[k + 3] == "them":
            end = k + 4
            while end < len(lower) and lower[end] not in (",", ";", "."):
                end += 1
            if end < len(lower) and lower[end] == ",":
                spans.append((ts + k, ts + end))
    if not spans:
        return triggers
    return [tr for tr in triggers if not any(a < tr.start < b for a, b in spans)]


def _semicolon_list(text: str) -> bool:
    """Do the semicolons of a sentence part the items of a list: after a colon, or closed by '; and'?"""
    return ":" in text[:text.index(";")] or "; and " in text or "; or " in text


def _list_part_dates(dates: list[DateMention], text: str, at: int) -> list[DateMention]:
    """The dates of a semicolon list that reach the item at ``at``: those before the list ("Since 2022, the
    flow has been: a; b; and c") and those in the item's own part ("shipped 13,000 containers since August;
    it has supplied howitzers": not the howitzers')."""
    first = text.index(";")
    begin = text.rfind(":", 0, first) + 1
    lo = text.rfind(";", 0, at) + 1
    hi = text.find(";", at)
    hi = len(text) if hi < 0 else hi
    return [d for d in dates if d.end <= begin or lo <= d.start < hi]


def _across(t: Target, main_at: int, mods: list[Mention], terminators: list[int], lower: list[str], ts: int) -> bool:
    """Is the reciprocity word that reaches ``t`` between it and the main transfer ("sent troops ... in
    exchange for oil"), or does it open a phrase before the main clause ("In exchange for troops, X gave ...")?
    Not when it closes a clause that holds both ("seeks jets and know-how from X in return")."""
    for x in mods:
        if x.label == "RECIPROCAL" and in_scope(x, t.start, t.end, terminators, lower, ts):
            if (main_at < x.start) != (t.item.start < x.start):
                return True
            if x.start <= t.start and x.start <= main_at and "," in lower[t.end - ts:main_at - ts]:
                return True
    return False


def _longest_modifiers(mods: list[Mention]) -> list[Mention]:
    """Of two rules on the same words, the longer reads them ("in exchange for" reaches forward; "in
    exchange" alone reaches back; "would not rule out" hedges, its "not" does not deny)."""
    return [x for x in mods if not any(o is not x and o.start <= x.start and x.end <= o.end
                                       and o.end - o.start > x.end - x.start for o in mods)]


def categories_cache(t: Target) -> set[str]:
    return t.cats


def _unit_text(item: Mention, text: str, cs: int) -> str | None:
    return text[item.cstart - cs:item.cend - cs] or None


def _tok_text(lower: list[str], m: Mention, ts: int) -> str:
    words = lower[m.start - ts:m.end - ts]
    s = " ".join(words)
    return s.replace(" ,", ",").replace(", ", ", ") if not s.startswith(",") else ", " + " ".join(words[1:])


_PARTICIPLES = {"sent", "given", "sold", "paid", "lent", "brought", "taken", "got", "gotten", "built", "dealt",
                "shown", "repaid", "promised", "supplied", "shipped", "delivered", "provided", "transferred"}


def _after(lower: list[str], i: int, words: tuple[str, ...]) -> bool:
    """Is one of ``words`` at most 8 tokens before ``i``, in the same clause?"""
    for k in range(i - 1, max(-1, i - 9), -1):
        w = lower[k]
        if w in words:
            return True
        if w in (",", ";", ".", "but", "while"):
            return False
    return False


def _passive(lower: list[str], i: int) -> bool:
    w = lower[i]
    if not (w.endswith("ed") or w in _PARTICIPLES):
        return False
    for k in range(max(0, i - 3), i):
        if lower[k] in _BE:
            between = lower[k + 1:i]
            if all(w in {"also", "reportedly", "already", "now", "being", "been", "recently", "then", "allegedly",
                         "not", "just", "all"} for w in between):
                return True
    return False


_PURPOSE_VERBS = {"help", "support", "assist", "aid", "back", "rebuild", "reconstruct", "reinforce", "bolster",
                  "supplement", "resupply", "defend", "protect", "arm", "equip"}


def _preposition(lower: list[str], i: int, presence: bool = False) -> str | None:
    k = i - 1
    while k >= 0 and lower[k] in {"the", "a", "an", "its", "their", "his", "her", "eastern", "western", "northern",
                                  "southern", "far", "far-eastern", "north", "south", "occupied", "east", "west"}:
        k -= 1
    if k < 0:
        return None
    w = lower[k]
    if w in _PURPOSE_VERBS:
        # "sent engineers to help rebuild Russia's Kursk region": the one helped is where they go
        j = k - 1
        while j >= 0 and j >= k - 2 and lower[j] in _PURPOSE_VERBS:
            j -= 1
        if j >= 0 and lower[j] == "to":
            return "to"
    if w == "of" and k >= 3 and lower[k - 1][:1].isalpha():
        # "to help rebuild areas of Russia's Kursk region": the purpose verb's object is a part of the place
        v = k - 2 if lower[k - 2] not in ("the", "some", "parts", "part") else k - 3
        if v >= 1 and lower[v] in _PURPOSE_VERBS and lower[v - 1] in ("to", "help"):
            return "to"
    if w == "in" and k >= 2 and lower[k - 1][:1].isalpha():
        # "to Dunay in Russia's east": the outer preposition governs
        for j in range(k - 1, max(-1, k - 5), -1):
            if lower[j] in ("to", "into", "from", "at"):
                if presence and lower[j] == "at":
                    break  # "workers employed at a shipyard in Vladivostok": where they are, not where it was loaded
                return lower[j]
            if lower[j] in (",", ".", "and"):
                break
    return w if (w in _PREP_ROLES or w in _NO_ROLE_PREPS) else None


_AUX = {"may", "might", "could", "will", "would", "also", "is", "was", "are", "were", "has", "have", "had", "then",
        "later", "soon", "now", "can", "should", "be", "been", "plans", "to", "is set", "reportedly"}


def _coordinated(lower: list[str], i: int) -> bool:
    """Is the verb at ``i`` the second of two joined by "and" ("was providing aid and may send jets"),
    whose subject is the first verb's?"""
    k = i - 1
    while k >= 0 and i - k <= 4 and lower[k] in _AUX:
        k -= 1
    return k >= 0 and lower[k] == "and" and (k == 0 or lower[k - 1] != ",")


def _has_prep(lower: list[str], i: int) -> bool:
    return _preposition(lower, i) is not None


def _possessive(lower: list[str], a: Mention, ts: int) -> bool:
    j = a.end - ts
    return j < len(lower) and lower[j] in ("'s", "’s", "'")


def _is_possessive_context(a: Mention, s: int, e: int) -> bool:
    return False


def _dedupe(events: list[dict]) -> list[dict]:
    out: list[dict] = []
    seen: set = set()
    bare: dict[tuple, dict] = {}
    for ev in events:
        q = ev["quantity"]
        if q is None:
            # "more self-propelled howitzers and multiple rocket launchers": one event of the category,
            # with the mode one of its items was read with
            key = (ev["supplier"], ev["recipient"], ev["category"], ev["status"])
            if key not in bare:
                bare[key] = ev
            else:
                first = bare[key]
                if first["mode"] == "unspecified":
                    first["mode"] = ev["mode"]
                continue
        key = (ev["supplier"], ev["recipient"], ev["category"], ev["mode"], ev["status"],
               None if q is None else (q["value"], q["low"], q["qualifier"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(ev)
    final = []
    for k, ev in enumerate(out):
        same = [o for o in out if o is not ev and o["supplier"] == ev["supplier"] and o["recipient"] == ev["recipient"]
                and o["category"] == ev["category"] and o["mode"] == ev["mode"]]
        if ev["quantity"] is None and any(o["quantity"] is not None for o in same):
            continue
        if ev["quantity"] is None and any(o["quantity"] is None and out.index(o) < k for o in same):
            continue
        final.append(ev)
    return final
