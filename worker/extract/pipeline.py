"""From one article's sentences to its transfer events: a list of small steps, sentence by sentence.

Per sentence (``Sentence``: its words and rule matches), the steps pass one explicit state along,
a list of :class:`Candidate` (an item, the figure that counts it, and what has been read about it):

1. ``figures``     the sentence's figures and what kind of number each is      (figures.py)
2. ``items``       the things named that can move                              (items.py)
3. ``attach``      each count goes to the item it counts                       (attach.py)
4. ``candidates``  one candidate per item, with its transfer word and clause
5. ``scopes``      the ConText modifiers that reach it: status, mode, filters  (modifiers.py)
6. ``filters``     casualties, hypotheticals, weak items without a figure, ... dropped
7. ``evidence``    a transfer word, a presence, or an origin beside the other party; else dropped
8. ``direction``   which way it moves, from cues or the category's prior       (direction.py)
9. ``qualify``     status, mode, since, attribution
10. ``dedupe``     one event per item and figure                               (dedupe.py)

What carries from sentence to sentence (the article's parties, its last events, its sources) is an
:class:`ArticleState`, passed explicitly. Nothing here catches exceptions: a bug fails the article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from worker.categories import Category, categories
from worker.extract.attach import Attacher, Pair
from worker.extract.attribution import Attribution, AttributionFinder, resolve
from worker.extract.components import Mention
from worker.extract.dates import DateFinder, DateMention
from worker.extract.dedupe import dedupe
from worker.extract.direction import OTHER, Direction, clues, decide, on_item
from worker.extract.figures import Figure, FigureReader
from worker.extract.items import ItemFinder
from worker.extract.modifiers import categories as scopes_of
from worker.extract.modifiers import status_of
from worker.extract.rules import Patterns
from worker.extract.sentence import PARTY_SET, Sentence

_DROP_SCOPES = frozenset({"CASUALTY", "HYPOTHETICAL", "NOT_TRANSFER"})
_TRIGGER_BEFORE, _TRIGGER_AFTER = 16, 10  # how far a transfer word reaches an item, in words
_LINKING = frozenset({"that", "which", "who", "were", "was", "have", "has", "had", "been", "being", "are", "is", "be",
                      "will", "would", "could", "may", "might", "also", "already", "reportedly", "allegedly", "now",
                      "recently", "then", "still", "not", "never", "to", "all", "so", "far", "since", "of", "them",
                      "those", "these", "it", "they", "just", "apparently", "probably", "likely"})


@dataclass(slots=True)
class Candidate:
    """One item of a sentence on its way to becoming an event."""

    pair: Pair
    category: str
    start: int  # words of the item and its figure
    end: int
    clause: tuple[int, int]
    trigger: Mention | None = None
    scopes: set[str] = field(default_factory=set)
    direction: Direction | None = None
    reciprocal: bool = False  # what comes back for the sentence's main transfer ("in exchange for oil")
    list_head: Candidate | None = None  # the first item of the list this one is in
    returned: bool = False  # what it names is itself the return ("giving the North technology ... in return")

    @property
    def figure(self):
        return self.pair.figure


@dataclass
class ArticleState:
    """What one sentence leaves for the next."""

    published: date | None
    month: str | None = None
    people: str = "troops"  # the kind of people the article has moved last
    previous: list[dict] = field(default_factory=list)  # the events of the sentence before
    quiet: int = 0  # sentences since the last that moved anything (`previous` outlives one)
    counted: dict | None = None  # the last event with a figure, anywhere before ("another 100" is more of it)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.published is not None:
            self.month = f"{self.published.year:04d}-{self.published.month:02d}"


class Pipeline:
    """Built once from the rule data; ``__call__`` reads one article."""

    def __init__(self, patterns: Patterns) -> None:
        self.patterns = patterns
        self.categories: dict[str, Category] = categories()
        self.read_figures = FigureReader(patterns.numbers)
        self.find_items = ItemFinder(patterns)
        self.attach = Attacher(patterns.attach, frozenset(u.lower() for u in patterns.units),
                               frozenset(v.lower() for v in patterns.numbers.vague_needs_item),
                               self.find_items.plain.get("economic_aid"))
        self.dates = DateFinder(patterns.numbers.months, patterns.numbers.named_starts, patterns.numbers.durations,
                                patterns.numbers.words)
        self.attributions = AttributionFinder(patterns.speech)

    def __call__(self, sentences: Iterable[Sentence], published: date | None) -> list[dict]:
        state = ArticleState(published)
        events: list[dict] = []
        for s in sentences:
            if s.after_gap:
                state.previous = []
            found = self.sentence(s, state)
            events.extend(found)
            state.quiet = 0 if found else state.quiet + 1
            if found or state.quiet > 1:
                state.previous = found  # a topic outlives one sentence that moved nothing
            for ev in found:
                if ev["category"] in ("troops", "workers"):
                    state.people = ev["category"]
                if ev["quantity"] is not None:
                    state.counted = ev
        return events

    # -- one sentence ---------------------------------------------------------------------------
    def sentence(self, s: Sentence, state: ArticleState) -> list[dict]:
        if s.question():
            return []  # "How many troops are in Russia?" asserts nothing
        previous_category = state.previous[-1]["category"] if state.previous else None
        if not state.previous and not s.parties():
            return []  # a sentence naming no party, after none that moved anything, holds no transfer
        items = self.find_items(s, state.people, previous_category)
        if not items and not state.previous:
            return []
        if not items and state.quiet == 0 and self._denies_claim(s):
            # "Pyongyang calls such accusations 'absurd'": the transfer of the sentence before, denied
            return [{**ev, "quantity": None, "mode": "unspecified", "since": None, "status": "denied",
                     "attribution": self._source(s, self.attributions.find(s.text), state.sources) or ev["attribution"],
                     "evidence": s.text, "span": [s.start, s.end]} for ev in _distinct(state.previous)]
        figures = self.read_figures(s)
        _drop_raising(s, figures)
        attached = self.attach(s, items, figures)
        pairs = attached.pairs + self.refer_back(s, attached.loose, attached.pairs, state)
        for p in pairs:
            if p.ref is None and state.previous and s.words[p.item.start] == "them":
                p.ref = state.previous[-1]  # "About 2,000 of them are clearing mines"
        if not pairs:
            return []
        cands = _absorb_topics(s, self.candidates(s, pairs))
        cands = [c for c in self.scopes(s, cands) if self.keep(s, c)]
        if not cands:
            return []
        attributions = self.attributions.find(s.text)
        self._drop_reporters(s, attributions)
        parties = s.parties()  # the sentence's actors are final from here on
        cands = [c for c in cands if (c.pair.ref is not None or self.evidence(s, c, state, parties))
                 and not (c.pair.part and not _part_moved(s, c))]
        cands = self.direct(s, cands, state, parties)
        if not cands:
            return []
        source = self._source(s, attributions, state.sources)
        dates = self.dates.find(s.text, state.published)
        events = [self.event(s, c, cands, dates, source) for c in cands]
        return dedupe(_contents(cands, events))

    def _denies_claim(self, s: Sentence) -> bool:
        return any(m.label == "DENIED" for m in s.modifiers) and not self.patterns.claims.isdisjoint(s.words) \
            and not any(tr.label in ("give", "receive", "motion") for tr in s.triggers)

    def refer_back(self, s: Sentence, loose: list[Figure], pairs: list[Pair], state: ArticleState) -> list[Pair]:
        """Figures whose sentence names no item for them, read as the item named before: "a number that
        already counts the approximately 3,000 dispatched so far", "Fewer than 60 have been delivered to
        date", "Seoul now puts the figure at about 12,000". The figure must be joined to a transfer
        word after it or a total noun before it."""
        out = []
        w = s.words
        for f in loose:
            if f.kind != "count" or (f.q.vague and f.q.text.lower() in self.attach.vague_needs_item):
                continue
            moved_after = any(f.end <= tr.start <= f.end + 4 and tr.label in ("give", "motion", "presence", "receive")
                              and all(x in _LINKING for x in w[f.end:tr.start]) for tr in s.triggers)
            moved = moved_after \
                or any(tr.label == "presence" and 0 <= f.start - tr.end <= 1 for tr in s.triggers) \
                or (f.q.increment and any(0 <= f.start - tr.end <= 3 and tr.label in ("give", "receive", "request")
                                          for tr in s.triggers)) \
                or (f.q.increment and (_followed(w, f.end, self.attach.w.following)
                                       or any(tuple(w[max(0, f.start - len(e)):f.start]) == e
                                              for e in self.attach.w.expecting)))
            # "Moscow was counting on another 100"; "another 3,000 followed"
            so_far = any(x in ("in", "so", "to") and y in ("all", "far", "date")
                         for x, y in zip(w[f.end:f.end + 3], w[f.end + 1:f.end + 4], strict=False))
            named = self.attach.total_noun_before(s, f) or so_far \
                or (f.end < len(w) and w[f.end] in self.attach.units)  # "Moscow reported 6,400 tonnes"
            if not (moved or named):
                continue
            total = self.attach.total_noun_before(s, f)
            # ("a total of 10,000 troops, a number that counts the 3,000 dispatched so far": moved itself)
            before = [p for p in pairs if p.item.end <= f.start and (p.figure is None or total or moved_after)]
            if before:
                out.append(Pair(max(before, key=lambda p: p.item.end).item, f, running=total))
            elif state.previous and not any(p.item.end <= f.start for p in pairs):
                # a count goes on with the last counted thing before it (an item after it counted nothing:
                # "the deliveries total some 41,000 tonnes, or roughly 300,000 barrels", but a measure of
                # that thing then: not "the two heads of state ... soldiers")
                ref = next((ev for ev in reversed(state.previous) if ev["quantity"] is not None), None)
                if ref is None and out and out[-1].ref is not None:
                    ref = out[-1].ref  # "roughly 12,000 in all, and in March another 3,000": the same thing
                if ref is None:  # "Moscow was counting on another 100": more of the last thing counted
                    ref = state.counted if f.q.increment and state.counted is not None else state.previous[-1]
                rule = self.find_items.plain.get(ref["category"])
                measured = f.end < len(w) and any(w[f.end] in words for words in self.categories[ref["category"]].units.values())
                if rule is not None and (not pairs or moved or so_far or total or measured):
                    item = Mention("item", ref["category"], f.start, f.end, f.q.cstart, f.q.cend, rule)
                    out.append(Pair(item, f, ref=ref))
        return out

    def _drop_reporters(self, s: Sentence, attributions: list[Attribution]) -> None:
        """Countries named in a reporting clause (", a Moscow official said", "according to Russian
        media") are who speaks, not a party to the transfer."""
        if not attributions:
            return
        end = len(s.text.rstrip(" .\"'”’"))
        kept = []
        for a in s.actors:
            inside = next((x for x in attributions if x.start <= a.cstart and a.cend <= x.end), None)
            if inside is not None and (a.label not in PARTY_SET or a.info == "adj" or end - inside.end < 400
                                       and not (inside.start == 0 and a.info == "name")):
                continue
            kept.append(a)
        s.mentions["actor"] = kept

    def candidates(self, s: Sentence, pairs: list[Pair]) -> list[Candidate]:
        """One candidate per item (and figure), with its transfer word; items of one list share theirs
        ("moved nine million rounds to Russia, along with more than a hundred ballistic missiles, over
        two hundred artillery pieces and anti-tank missiles")."""
        bounds = _clause_bounds(s)
        out = []
        for p in sorted(pairs, key=lambda p: (p.item.start, p.figure.start if p.figure else -1)):
            start, end = p.item.start, p.item.end
            if p.figure is not None and not p.earlier:
                start, end = min(start, p.figure.start), max(end, p.figure.end)
            clause = _clause_of(bounds, p.item.start, len(s.words))
            c = Candidate(p, p.item.label, start, end, clause)
            c.trigger = _trigger(s, c)
            out.append(c)
        for a, b in zip(out, out[1:], strict=False):
            if b.start >= a.end and _listed(s.words[a.end:b.start]):
                b.list_head = a.list_head or a
                if b.trigger is None or (b.list_head.trigger is not None and b.trigger.start > b.end):
                    b.trigger = b.list_head.trigger
                    b.clause = b.list_head.clause[0], max(b.list_head.clause[1], b.clause[1])
        for last in reversed(out):  # "1,240 tonnes of flour, 310 tonnes of oil and 85 tonnes of medicine crossed"
            head = last.list_head
            tr = last.trigger
            if head is None or tr is None or tr.start < last.end:
                continue
            for c in out:
                if (c is head or c.list_head is head) and c.trigger is None:
                    c.trigger, c.clause = tr, (c.clause[0], max(c.clause[1], last.clause[1]))
        return out

    def scopes(self, s: Sentence, cands: list[Candidate]) -> list[Candidate]:
        mods = _longest([m for m in s.modifiers if m.label != "TERMINATE"])
        terminators = [m.start for m in s.modifiers if m.label == "TERMINATE" and not _gives_with(s, m)]
        paid = [tr for tr in s.triggers if s.words[tr.start] in _PAYING]
        for c in cands:
            reach = [m for m in mods if not m.info.only_for or c.category in m.info.only_for]
            c.scopes = scopes_of(reach, c.start, c.end, terminators, s.words, 0)
            head = c.list_head
            if head is not None and "RECIPROCAL" in head.scopes:
                c.scopes.add("RECIPROCAL")  # "in return for the North's artillery ammunition and soldiers"
            tr = c.trigger
            if tr is not None and not c.scopes & (_STATUS_SCOPES | {"RECIPROCAL"}):
                # a hedge or a denial of the transfer word holds for what it moves: "Containers able to carry
                # 5 million shells are believed to have been sent"
                c.scopes |= scopes_of(reach, tr.start, tr.end, terminators, s.words, 0) & _STATUS_SCOPES
            if "DENIED" in c.scopes and "HYPOTHETICAL" in c.scopes and not _denial_apart(reach):
                c.scopes.discard("DENIED")  # "has not publicly acknowledged sending": neither said nor denied
            if head is not None and not c.scopes & (_STATUS_SCOPES | {"RECIPROCAL"}):
                c.scopes |= head.scopes & _STATUS_SCOPES  # "likely to reward it with tanks, aircraft and technology"
            c.reciprocal = "RECIPROCAL" in c.scopes or (bool(paid) and _paid_for(s, c, paid))
            c.returned = c.reciprocal and any(m.label == "RECIPROCAL" and m.info.direction == "BACKWARD"
                                              and m.start >= c.end for m in reach)
            if c.pair.earlier:  # "may send more, on top of the 11,000 already there": the base is no plan
                c.scopes -= {"POSSIBLE", "PLANNED", "INCREMENT"}
        return cands

    def keep(self, s: Sentence, c: Candidate) -> bool:
        """Drop what is no transfer whatever its words: losses, hypotheticals, things shown or made, a
        weak item ("contingent", "deployment") named as known ("the contingent") without a figure. Help
        to make something is know-how ("assist North Korea in building satellites")."""
        if "NOT_TRANSFER" in c.scopes and _helped_to_make(s, c):
            c.scopes.discard("NOT_TRANSFER")
            c.category = "technology"
        if "CASUALTY" in c.scopes and _whole_of_part(s, c):
            c.scopes.discard("CASUALTY")  # "has lost about 4,000 of the 11,000 troops it sent": the part was lost
        if c.scopes & _DROP_SCOPES and not ("DENIED" in c.scopes and not c.scopes & {"CASUALTY", "NOT_TRANSFER"}):
            return False  # a denial reaches past 'in breach of': "denied sending shells in breach of sanctions"
        rule = c.pair.item.info
        if getattr(rule, "weak", False) and c.figure is None and "DENIED" not in c.scopes:
            i = c.pair.item.start  # (a denial names the known one: "dismissed reports of the deployment")
            if i > 1 and s.words[i - 1] in ("'s", "’s") and any(a.end == i - 1 and a.label in PARTY_SET for a in s.actors):
                return True  # "North Korea's deployment to Russia": named with whose it is
            return i > 0 and s.words[i - 1] in ("a", "an", "another", "second", "third", "new", "fresh", "first")
        return True

    def evidence(self, s: Sentence, c: Candidate, state: ArticleState, parties: set[str]) -> bool:
        """Is the item said to move? A transfer word reaching it (a use only by the party it did not
        come from, a presence only in a party's land), or an item marked with one party's name beside
        the other party; and a party named in the sentence (``parties``), or an event in the sentence before."""
        if _held_in_containers(s, c, state):
            return True  # "the containers likely held munitions"
        if not parties and not self._continues(s, c, state):
            return False
        item = c.pair.item
        origin = {a.label for a in s.actors if a.label in PARTY_SET and on_item(s, a, item.start, item.end)}
        tr = c.trigger
        if len(parties) == 1 and (tr is not None and _third_subject(s, c, tr) or _third_in_clause(s, c)):
            return False  # "Tehran has handed Moscow 300 drones and agreed to supply 2,000 more"
        if c.reciprocal:
            return True
        if getattr(c.pair.item.info, "transfer", False):
            return len(parties) == 2  # "arms dealings between the DPRK and Russia"
        if tr is None:
            if s.words[item.end - 1] in _GIVEN_NOUNS and item.end - item.start > 1:
                return bool(parties - origin)  # "its drone help to North Korea": the help is given
            return bool(origin) and bool(parties - origin) or self._present(s, c) or _sighted(s, c, origin)
        if tr.label == "use":
            # "Russia fired North Korean missiles"; or a giving word reaches the item too ("missiles that
            # Russian troops fire ... were supplied by Pyongyang")
            return (bool(origin) and bool(parties - origin)) or any(
                t.label in ("give", "receive", "motion") and c.clause[0] <= t.start < c.clause[1]
                and abs(t.start - c.start) <= _TRIGGER_BEFORE and c.category not in t.info.not_for
                for t in s.triggers)
        if tr.label == "presence":
            return c.category in ("troops", "workers") or _place_after(s, tr)
        return True

    @staticmethod
    def _continues(s: Sentence, c: Candidate, state: ArticleState) -> bool:
        """A sentence naming no party goes on with the transfer of the sentence before when it points
        back to it: the same kind of thing, named as known ("the shipments", "those containers"),
        counted, or moved again ("They were shipped from Wonsan")."""
        if not state.previous or any(a.label not in PARTY_SET and not _speaks(s, a) for a in s.actors):
            return False  # (a country that only speaks, "Seoul estimated", leaves the topic as it was)
        before = {ev["category"] for ev in state.previous}
        if c.category not in before | {"weapons_other", "containers"} and c.figure is None \
                and not ("containers" in before and c.category in _MUNITIONS):
            return False
        i = c.pair.item.start
        known = i > 0 and s.words[i - 1] in ("the", "those", "these", "such", "its", "their", "the same")
        moved = c.trigger is not None and c.trigger.label in ("give", "motion", "receive", "presence") \
            and c.category in before | {"weapons_other", "containers"}
        return known or c.figure is not None or moved

    @staticmethod
    def _third_party_in_clause(s: Sentence, c: Candidate) -> bool:
        lo, hi = c.clause
        return any(lo <= a.start < hi and a.label not in PARTY_SET and a.label != "UKR" for a in s.actors)

    @staticmethod
    def _present(s: Sentence, c: Candidate) -> bool:
        """"evidence of DPRK troops in Russia": people in a party's land, with no verb."""
        if c.category not in ("troops", "workers"):
            return False
        k = c.pair.item.end
        w = s.words
        if k < len(w) and w[k] in ("in", "inside", "on"):
            return any(a.label == "RUS" and k < a.start <= k + 3 for a in s.actors)
        return False

    def direct(self, s: Sentence, cands: list[Candidate], state: ArticleState, parties: set[str]) -> list[Candidate]:
        main: Direction | None = None
        out = []
        own: dict[int, list] = {}
        main_trigger: Mention | None = None
        for c in sorted(cands, key=lambda c: c.reciprocal):
            found = clues(s, c.pair.item, c.trigger, c.start, c.end, c.clause)
            ref = c.pair.ref
            if ref is not None and not any(x.kind != "origin" for x in found):
                # "About 2,000 of them are clearing mines": what the sentence before said of them
                c.direction = Direction(ref["supplier"], ref["recipient"], ref.get("basis", "cue"))
                out.append(c)
                continue
            shared = c.reciprocal and main is not None and (c.trigger is None or c.trigger is main_trigger) \
                and not (c.returned and c.trigger is main_trigger)  # one transfer, all of it the return
            if shared:
                found = [x for x in found if x.kind == "origin"]  # the main clause's parties are not its own
            own[id(c)] = found
            if not found and c.list_head is not None:
                found = own.get(id(c.list_head), [])  # "Chinese rice and fertiliser": the list's marks
            c.direction = decide(found, self.categories[c.category], state.month, parties)
            if c.direction is None and ref is not None:
                # "Moscow is counting on another 100": one party named, the rest from what it stands for
                c.direction = Direction(ref["supplier"], ref["recipient"], ref.get("basis", "cue"))
            if shared and main is not None and (c.direction is None or c.direction.basis == "prior"):
                # what comes back for the sentence's main transfer goes the other way
                c.direction = Direction(main.recipient, main.supplier, "cue")
            elif c.reciprocal and main is None and c.direction is not None and c.direction.basis == "cue" \
                    and c.trigger is not None and s.words[c.trigger.start] in _PAYING:
                # "Moscow paid North Korea for the shells": the payer got what it paid for
                c.direction = Direction(c.direction.recipient, c.direction.supplier, "cue")
            if c.direction is None or self._own(s, c, found):
                continue
            if main is None and not c.reciprocal:
                main, main_trigger = c.direction, c.trigger
            out.append(c)
        out.sort(key=lambda c: c.start)
        return out

    @staticmethod
    def _own(s: Sentence, c: Candidate, found) -> bool:
        """An item whose origin is the party it would go to is that party's own ("Russian troops"):
        no transfer unless the sentence sends it on (a recipient cue)."""
        origin = [x for x in found if x.kind == "origin" and x.party in PARTY_SET]
        if not origin or c.direction is None or c.direction.basis == "cue":
            return False
        return any(x.party == c.direction.recipient for x in origin)

    def event(self, s: Sentence, c: Candidate, cands: list[Candidate], dates: list[DateMention],
              source: str | None) -> dict:
        status = status_of(c.scopes)
        f = c.figure
        q = f.q if f is not None else None
        lo = s.offsets[c.clause[0]] if c.clause[0] < len(s.offsets) else 0
        hi = s.offsets[c.clause[1]] if c.clause[1] < len(s.offsets) else len(s.text)
        dates = [d for d in dates if lo <= d.start < hi]  # "since June; it had also shipped launchers": not theirs
        mode = "unspecified"
        if (q is not None and q.increment) or ("INCREMENT" in c.scopes and not (q is not None and q.total)):
            mode = "additional"
        elif "PERIOD" not in c.scopes and (c.trigger is None or c.trigger.label != "use"):
            if (q is not None and q.total) or "TOTAL" in c.scopes or any(d.kind == "since" for d in dates):
                mode = "total"
            elif q is not None and status != "planned" and (_so_far(s, c) if q.vague else not _batch(s, c)):
                mode = "total"  # "has shipped 1.5 million shells", "some 3,000 are now in Kursk"
        if c.pair.running or (c.pair.earlier and not (q is not None and q.increment)):
            mode = "total"  # a running total, or the figure as it stood before ("on top of the 10,000 it sent")
        since = None
        if mode == "total":
            found = [d for d in dates if d.kind == "since"] or [d for d in dates if d.kind == "period"]
            if c.pair.running:  # a running total takes only a start date named after its total noun
                found = [d for d in found if c.figure is not None and d.start >= s.offsets[max(0, c.figure.start - 8)]]
            if found:
                at = s.offsets[c.pair.item.start]
                since = min(found, key=lambda d: min(abs(d.start - at), abs(d.end - at))).value
        unit = getattr(c.pair.item.info, "unit", None)
        ref = c.pair.ref  # an item standing for the sentence before's: no words of its own
        if q is not None and q.money:
            unit = "dollars"
        elif q is not None and ref is None:
            after = f.end  # "31,000 tonnes of fertiliser", "shipments totalling 31,000 tonnes": the measure is the unit
            unit = s.text[s.offsets[after]:s.char_end(after)] if after < len(s.words) and after != c.pair.item.start \
                and s.words[after] in self.attach.units else (s.text[c.pair.item.cstart:c.pair.item.cend] or unit)
        elif q is not None and ref is not None:
            after = s.words[f.end] if f.end < len(s.words) else ""
            unit = s.text[s.offsets[f.end]:s.char_end(f.end)] if after in self.attach.units \
                else ((ref.get("quantity") or {}).get("unit") or unit)  # "over 60,000 tonnes crossed"
        assert c.direction is not None
        return {
            "supplier": c.direction.supplier,
            "recipient": c.direction.recipient,
            "category": c.category,
            "quantity": q.as_json(unit) if q is not None else None,
            "mode": mode,
            "since": since,
            "status": status,
            "attribution": source,
            "basis": c.direction.basis,
            "evidence": s.text,
            "span": [s.start, s.end],
        }

    def _source(self, s: Sentence, attributions: list[Attribution], seen: list[str]) -> str | None:
        src = None
        length = len(s.text.rstrip(" .\"'”’"))
        closing = [a for a in attributions if a.source and a.start > 0 and length - a.end <= 3]
        if closing and any(a.start == 0 for a in attributions):
            attributions = closing  # "Washington estimates that ..., a spokesman said": the closing clause speaks
        for a in sorted(attributions, key=lambda a: a.start):
            if a.source:
                src = a.source
                if a.start == 0:
                    break
        src = resolve(src, seen)
        if src and src != "<pronoun>":
            seen.append(src)
        return src


_LIST_WORDS = frozenset({",", "and", "or", "as", "well", "along", "with", "plus", "together", "including", "such", "other",
                         "also", "even", "both", "either", "'", "\"", "more", "than", "some", "about", "over", "around",
                         "nearly", "at", "least", "up", "to", "several", "dozens", "of", "hundreds", "thousands",
                         "millions", "heavy", "new", "modern", "advanced", "various", "-", "a", "an", "the"})


def _listed(between: list[str]) -> bool:
    """Do these words join two items of one list (", along with", "and", ", as well as", "; and")?"""
    return len(between) <= 8 and any(w in (",", "and", "or", "with", "plus", "including", ";") for w in between) \
        and all(w in _LIST_WORDS or w == ";" or w[:1].isdigit() for w in between)


_TOPIC_WORDS = frozenset({"on", "help", "with", "for", "deploy", "build", "develop", "building", "developing", "deploying",
                          "modernise", "modernize", "improve", "upgrade", "in", "related", "of", "about", "sharpen",
                          "guidance", "make", "making", "produce", "producing", "launch", "launching", "operate"})


_RAISING = frozenset({"bring", "brings", "bringing", "brought", "take", "takes", "taking", "took", "taken", "push",
                      "pushes", "pushing", "pushed", "raise", "raises", "raising", "raised", "lift", "lifts", "lifting",
                      "lifted", "put", "puts", "putting"})


def _drop_raising(s: Sentence, figures: list[Figure]) -> None:
    """"bring the North's total deployment to around 12,000", "raising the number to 14,000": a verb that
    sets a figure says nothing of who gives and who gets (marked 'setting': no position clues)."""
    starts = {f.start for f in figures if f.kind == "count"}
    w = s.words
    if not starts:
        return
    def sets_figure(tr: Mention) -> bool:
        if w[tr.start] not in _RAISING:
            return False
        return any(w[k] in ("to", "at") and (k + 1 in starts or k + 2 in starts and w[k + 1] in ("about", "some"))
                   and ";" not in w[tr.end:k] and not any(tr.end <= a.start < k and _before_to(w, a) for a in s.actors)
                   for k in range(tr.end, min(len(w) - 1, tr.end + 12)))
    s.mentions["setting"] = [tr for tr in s.triggers if sets_figure(tr)]


def _before_to(w: list[str], a: Mention) -> bool:
    """A party right after 'to' ("brought troops to Russia") is where they went."""
    return a.start > 0 and w[a.start - 1] in ("to", "into")


def _absorb_topics(s: Sentence, cands: list[Candidate]) -> list[Candidate]:
    """"technology related to nuclear weapons or ballistic missiles", "technical advice on air defence
    missiles and drones": what follows know-how and a topic word is what it is about, not a second item."""
    techs = [c for c in cands if c.category == "technology"]
    if not techs:
        return cands
    out = []
    for c in cands:
        if c.category != "technology" and c.figure is None:
            if any(t.end <= c.start and c.start - t.end <= 14 and not (_TOPIC_WORDS.isdisjoint(s.words[t.end:t.end + 4]))
                   and ";" not in s.words[t.end:c.start] and _EXCHANGE.isdisjoint(s.words[t.end:c.start]) for t in techs):
                continue
        out.append(c)
    return out


_STATUS_SCOPES = frozenset({"POSSIBLE", "PLANNED", "DENIED"})
_GIVEN_NOUNS = frozenset({"help", "assistance", "support"})  # heads of know-how items that say it is given
_EXCHANGE = frozenset({"return", "exchange", "payment", "reward", "swap"})  # "know-how in return for troops"
_MUNITIONS = frozenset({"artillery_shells", "ballistic_missiles", "weapons_other", "artillery_systems", "air_defense"})
_PAYING = frozenset({"pay", "pays", "paid", "paying", "reward", "rewarded", "rewarding", "rewards", "repay", "repaid",
                     "repaying", "compensate", "compensated", "compensating"})


def _paid_for(s: Sentence, c: Candidate, paid: list[Mention]) -> bool:
    """"Moscow is paying Pyongyang for the troops with air-defence systems": what is paid for went to
    the payer, the other way from what pays for it."""
    w = s.words
    for tr in paid:
        if tr.end <= c.start <= tr.end + 12:
            k = c.start - 1
            while k >= tr.end and w[k] in ("the", "its", "their", "his", "her", "all", "those", "these", "some"):
                k -= 1
            if k >= tr.end and w[k] == "for":
                return True
    return False


_HELP = frozenset({"help", "helps", "helped", "helping", "assist", "assists", "assisted", "assisting", "aid", "aided",
                   "support", "supported", "supporting", "enable", "enabled", "enabling"})
_MAKING = frozenset({"build", "building", "make", "making", "develop", "developing", "produce", "producing",
                     "mass-produce", "manufacture", "manufacturing", "assemble", "assembling", "launch", "launching",
                     "put", "deploy", "improve", "upgrade", "modernise", "modernize"})


def _whole_of_part(s: Sentence, c: Candidate) -> bool:
    """Is the candidate's figure the whole of a part counted before it ("4,000 of the 11,000 troops")?"""
    f = c.figure
    if f is None:
        return False
    k = f.start - 1
    while k > 0 and s.words[k] in ("the", "its", "their", "some", "about", "roughly", "a", "total"):
        k -= 1
    return k > 0 and s.words[k] == "of" and any(ch.isdigit() for ch in s.words[k - 1])


def _helped_to_make(s: Sentence, c: Candidate) -> bool:
    """Is the item what someone is helped to make ("helping North Korea mass-produce drones")?"""
    w = s.words
    i = c.pair.item.start
    for v in range(i - 1, max(-1, i - 6), -1):  # "build nuclear-powered submarines": a hyphen is three words
        if w[v] in _MAKING:
            return any(x in _HELP for x in w[max(0, v - 7):v])
    return False


_SPEAKING = frozenset({"said", "says", "say", "believes", "believe", "believed", "estimates", "estimated", "assesses",
                       "assessed", "seen", "saw", "found", "fears", "feared", "warned", "warns", "confirmed", "thinks",
                       "expects", "expected", "reported", "reports", "claimed", "claims", "accused", "accuses", "alleged",
                       "alleges", "suspects", "suspected", "told", "tells", "noted", "added", "according", "citing",
                       "intelligence", "officials", "official", "ministry", "agency", "media"})


def _speaks(s: Sentence, a: Mention) -> bool:
    """Is the country named as who speaks or estimates ("Seoul estimated", "Washington believes")?"""
    return not _SPEAKING.isdisjoint(s.words[max(0, a.start - 2):a.end + 4])


def _third_in_clause(s: Sentence, c: Candidate) -> bool:
    """Another country in the clause of an item whose sentence names one party only, and not as the one
    who speaks ("Washington believes", "Seoul's spy agency said"): its own dealings, not the two's."""
    lo, hi = c.clause
    for a in s.actors:
        if lo <= a.start < hi and a.label not in PARTY_SET and a.label != "UKR" and not _speaks(s, a):
            return True
    return False


_HOLDING = frozenset({"hold", "holds", "held", "holding", "contain", "contains", "contained", "containing", "carry",
                      "carries", "carried", "carrying", "take", "taken"})


def _held_in_containers(s: Sentence, c: Candidate, state: ArticleState) -> bool:
    """"Those containers could hold up to 2 million shells": what containers that moved hold moved with
    them (containers named before in the sentence, or moved by the sentence before)."""
    if c.category not in _MUNITIONS:
        return False
    w = s.words
    i = c.start
    verb = next((k for k in range(max(0, i - 6), i) if w[k] in _HOLDING), None)
    if verb is None:
        return False
    boxes = any(it.label == "containers" and it.end <= verb for it in s.items)
    return boxes and (bool(s.parties()) or any(ev["category"] == "containers" for ev in state.previous))


def _third_subject(s: Sentence, c: Candidate, tr: Mention) -> bool:
    """Is another country named before the transfer word, in its clause, with no 'that' or reporting verb
    between (so likely its subject), in a sentence naming only one party?"""
    w = s.words
    k = c.clause[0] + (1 if c.clause[0] < len(w) and w[c.clause[0]] == "," else 0)
    participle = k < len(w) and (w[k] == "having" or (w[k].endswith("ing") and k == tr.start))
    for a in s.actors:  # (a participle clause, ", having sold the North ...", has the main clause's subject)
        if a.label not in PARTY_SET and a.label != "UKR" and a.end <= tr.start and a.info == "name" \
                and (c.clause[0] <= a.start or participle or _aside_only(s.words[a.end:c.clause[0] + 1])):
            between = _without_asides(s.words[a.end:tr.start])
            if not any(w in ("that", "said", "says", "say", "told", "which", "who", "seen", "evidence")
                       for w in between):
                return True
    return False


def _distinct(events: list[dict]) -> list[dict]:
    """One event per supplier, recipient and category."""
    seen: dict[tuple, dict] = {}
    for ev in events:
        seen.setdefault((ev["supplier"], ev["recipient"], ev["category"]), ev)
    return list(seen.values())


def _contents(cands: list[Candidate], events: list[dict]) -> list[dict]:
    """What containers carry shares their mode and start ("1,000 containers of munitions have been
    delivered since August": the munitions too), when it stands in their clause, after them."""
    boxes = [(c, e) for c, e in zip(cands, events, strict=True) if e["category"] == "containers" and e["mode"] == "total"]
    for c, e in zip(cands, events, strict=True):
        if e["quantity"] is None and e["category"] != "containers" and e["mode"] == "unspecified":
            box = next((b for bc, b in boxes if b["supplier"] == e["supplier"] and bc.clause == c.clause
                        and 0 <= c.pair.item.start - bc.pair.item.end <= 8), None)
            if box is not None:
                e["mode"], e["since"] = "total", box["since"]
    return events


def _part_moved(s: Sentence, c: Candidate) -> bool:
    """Is a part of a whole said to be somewhere or sent ("10,000 of them now in Kursk", "2,000 of them
    have been sent"), not what it is made of ("500 of them are officers") or what was done with it
    ("fired 60 of the 100 missiles")?"""
    f = c.figure
    if f is None:
        return True
    w = s.words
    k = max(f.end, c.pair.item.end)  # "7,000 of the 11,000 troops sent there": what follows the whole
    while k < len(w) and w[k] in ("of", "them", "whom", "which", "those", "the", "a", "total", ","):
        k += 1
    while k < len(w) and w[k] in _LINKING:
        if w[k] == "in" or (w[k] in ("are", "were", "is", "was") and k + 1 < len(w)
                            and w[k + 1] in ("in", "now", "deployed", "stationed", "based")):
            return True
        k += 1
    if k < len(w) and w[k] in ("in", "inside", "near", "on", "there"):
        return True
    return any(tr.start == k and tr.label in ("give", "motion", "presence") for tr in s.triggers)


_SIGHTING = frozenset({"were", "was", "are", "is", "been", "being", "have", "has", "now", "already", "recently", "later",
                       "reportedly", "seen", "spotted", "sighted", "photographed", "pictured", "filmed", "observed",
                       "found", "parked", "identified", "recorded", "captured", "on", "camera", "also"})


def _sighted(s: Sentence, c: Candidate, origin: set[str]) -> bool:
    """A party's things seen in the other party's land, with no transfer word: "Russian tanks were
    photographed in North Korea", "shells from North Korea spotted in Russia" (the origin, or 'from'
    a party, then words of seeing or being, then 'in' the other party)."""
    w = s.words
    k = c.pair.item.end
    while k < len(w) and (w[k] in (",", "and", "or") or any(m.start == k for m in s.items)):
        # "about 30 tanks and a dozen carriers from Russia", "a Pantsir air defence system"
        nxt = next((m for m in s.items if k <= m.start <= k + 6), None)
        if nxt is None:
            break
        k = nxt.end
    source = set(origin)
    if k + 1 < len(w) and w[k] == "from":
        source |= {a.label for a in s.actors if a.start == k + 1 and a.label in PARTY_SET}
        k = next((a.end for a in s.actors if a.start == k + 1 and a.label in PARTY_SET), k)
    if len(source) != 1:
        return False
    while k < len(w) and w[k] in _SIGHTING:
        k += 1
    if k >= len(w) or w[k] not in ("in", "inside", "at"):
        return False
    return any(a.start in (k + 1, k + 2) and a.label in PARTY_SET - source for a in s.actors)


def _followed(w: list[str], k: int, following: tuple[tuple[str, ...], ...]) -> bool:
    """Does an added amount with no noun go on as more of the same ("another 3,000 followed", "a further
    2,000 are expected", "another 500 are on the way")?"""
    while k < len(w) and w[k] in _LINKING and not any(tuple(w[k:k + len(f)]) == f for f in following):
        k += 1
    return any(tuple(w[k:k + len(f)]) == f for f in following)


_PERFECT = frozenset({"has", "have", "had", "'s", "’ve", "'ve"})


def _so_far(s: Sentence, c: Candidate) -> bool:
    """Does the clause give the figure as standing now: a perfect tense ("has shipped", "have been sent"),
    a presence ("are now in Kursk"), "now", or a calendar period ("in 2024", "last year")?"""
    lo, hi = c.clause
    w = s.words[lo:hi]
    if any(x in _PERFECT for x in w) or "now" in w:
        return True
    if c.trigger is not None and c.trigger.label == "presence":
        return True
    return any(x == "in" and y[:2] in ("19", "20") and len(y) == 4 and y.isdigit() for x, y in zip(w, w[1:], strict=False))


_BATCH = frozenset({"group", "batch", "dispatch", "shipment", "consignment", "delivery", "first", "single",
                    "each", "one", "cargo", "load", "train", "convoy", "flight"})


def _batch(s: Sentence, c: Candidate) -> bool:
    """Is the figure one batch ("the first group of 1,500", "a dispatch of 1,500", "the last delivery,
    ... 255 barrels") rather than a running figure?"""
    f = c.figure
    if f is None:
        return False
    lo = max(0, min(f.start, c.pair.item.start) - 5)
    w = s.words
    return any(x in _BATCH or (x == "last" and k > 0 and w[k - 1] == "the") for k, x in enumerate(w[lo:f.start], lo))


def _place_after(s: Sentence, tr: Mention) -> bool:
    """A party's land right after a presence word ("are in Russia", "stationed in Kursk")."""
    return any(tr.end <= a.start <= tr.end + 3 and a.label in PARTY_SET for a in s.actors)


def _denial_apart(mods: list[Mention]) -> bool:
    """A denial of its own, not the 'not' of a hypothetical framing ("denied sending shells in breach of
    sanctions" denies; the 'not' of "has not confirmed" shares its words with a hypothetical rule)."""
    hyp = [m for m in mods if m.label == "HYPOTHETICAL"]
    return any(d.label == "DENIED" and not any(d.start < h.end and h.start < d.end for h in hyp) for d in mods)


def _gives_with(s: Sentence, m: Mention) -> bool:
    """"may supply Moscow with more shells": the 'with' of a giving verb and its recipient brings the
    thing given; it ends no clause."""
    return s.words[m.start] == "with" and any(tr.label == "give" and 0 <= m.start - tr.end <= 3 for tr in s.triggers)


def _clause_bounds(s: Sentence) -> list[int]:
    """Where clauses end: the TERMINATE words, semicolons (not those of a list after a colon: "Russia's
    deliveries this year: 500,000 barrels of oil; 50,000 tonnes of flour"), and a comma before a
    participle (", wrecking")."""
    out = {m.start for m in s.modifiers if m.label == "TERMINATE" and not _gives_with(s, m)}
    w = s.words
    listed = ":" in w and ";" in w and w.index(":") < w.index(";")
    out.update(i for i, x in enumerate(w) if (x == ";" and not listed)
               or (x == "," and i + 1 < len(w) and w[i + 1].endswith("ing") and len(w[i + 1]) > 5))
    if listed:
        out.discard(next((m.start for m in s.modifiers if s.words[m.start] == ";"), -1))
        out = {b for b in out if w[b] != ";"}
    return sorted(out)


def _clause_of(bounds: list[int], i: int, n: int) -> tuple[int, int]:
    lo = max((b for b in bounds if b <= i), default=0)
    hi = min((b for b in bounds if b > i), default=n)
    return lo, hi


def _trigger(s: Sentence, c: Candidate) -> Mention | None:
    """The transfer word that reaches the item: the nearest in its clause (before it preferred)."""
    best, best_d = None, 1e9
    item = c.pair.item
    own = inside = None
    for tr in s.triggers:
        if tr.start <= item.start and item.end <= tr.end and tr.label == "give":
            own = tr  # "Moscow plans to help North Korea": the item is a giving word itself
        elif item.start <= tr.start and tr.end <= item.end and tr.label == "give" \
                and " ".join(s.words[tr.start:tr.end]) in tr.info.nouns and not getattr(item.info, "transfer", False):
            inside = tr  # "troop deployment": a giving noun is the item's head
        if c.category in tr.info.not_for:
            continue
        if item.start <= tr.start < item.end or (c.figure is not None and c.figure.start <= tr.start < c.figure.end):
            continue
        d: float
        if tr.end <= c.start:
            d = c.start - tr.end
            if d > _TRIGGER_BEFORE:
                continue
        elif tr.start >= c.end:
            between = _without_asides(s.words[c.end:tr.start])
            if len(between) > _TRIGGER_AFTER:
                continue
            # "shells that were shipped", "troops have been sent": the item is what the verb moves;
            # "weapons to replenish stocks": a verb of its own
            d = len(between) * (1.3 if all(w in _LINKING for w in between) else 4.0)
        else:
            d = 0
        if not (c.clause[0] <= tr.start < c.clause[1]):
            d += 20
        if tr.label == "use":
            d += 2  # "used 40 missiles provided by North Korea": the transfer word says more
        if " ".join(s.words[tr.start:tr.end]) in tr.info.nouns:
            d += 3  # "has sent Kim a gift of 24 horses": the verb says who gives
        if d < best_d:
            best, best_d = tr, d
    if inside is not None and best_d > 2:
        return inside  # "sending weapons to Ukraine in response to North Korea's troop deployment": its own
    return best if best is not None else own


_ASIDE_HEADS = frozenset({"some", "many", "most", "all", "several", "half", "one", "each", "both", "none", "few",
                          "which", "who", "whose", "dozens", "hundreds", "thousands"})


def _aside_only(words: list[str]) -> bool:
    """Do these words open a relative aside (", which accounts for most of its trade,")?"""
    return words[:1] == [","] and len(words) > 1 and words[1] in ("which", "who", "whose")


def _without_asides(words: list[str]) -> list[str]:
    """The words with a comma-bound aside taken out (", some of them later seen near Kursk,")."""
    if words[:1] != [","] or len(words) < 3 or words[1] not in _ASIDE_HEADS or "," not in words[1:]:
        return words
    return words[words.index(",", 1) + 1:]


def _longest(mods: list[Mention]) -> list[Mention]:
    """Of two rules on the same words the longer reads them ('would not rule out': the 'not' denies nothing)."""
    return [x for x in mods if not any(o is not x and o.start <= x.start and x.end <= o.end
                                       and o.end - o.start > x.end - x.start for o in mods)]


__all__ = ["ArticleState", "Candidate", "OTHER", "Pipeline"]
