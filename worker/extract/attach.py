"""Step 3 of a sentence: each figure goes to the thing it counts.

A figure counts the head noun of the phrase it opens, across the words that may stand between them
("some 60 North Korean-made 240mm launchers", "67,300 barrels of refined petroleum", "3,000 more
troops"); failing that, the item that a link word joins to a figure after it ("troops numbering
11,000", "the contingent, estimated at 12,000", "the total number of its soldiers deployed there to
about 14,000"); a figure that opens "of the 11,000 troops" is a part of that figure, not a figure of
its own; one that follows "up from" is the earlier value of the figure before it. Money counts only
economic aid ("$500 million in aid", "cash worth as much as $20 billion").

The result is a list of :class:`Pair`: an item with the figure it carries (or none). Figures left
over (a sentence with a transfer word but no item: "fewer than 40 appear to have been handed over")
are returned apart, for the article-level step that reads them as the item of the sentence before.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.extract.components import Mention
from worker.extract.figures import Figure
from worker.extract.rules import AttachWords, ItemRule
from worker.extract.sentence import Sentence

_ATTACHABLE = frozenset({"count", "one"})
_MADE = ("-made", "-built", "-supplied", "-origin", "-designed", "-produced", "-manufactured", "-type", "-class")
_UNIT_OF = frozenset({"of", "worth"})
_STOP = frozenset({",", ";", ":", ".", "and", "or", "but", "to", "from", "in", "on", "at", "by", "for", "with", "that",
                   "which", "who", "were", "was", "are", "is", "have", "has", "had", "been", "be", "will", "would",
                   "could", "may", "might", "since", "than", "as", "into", "while", "a", "an", "this", "these",
                   "those", "it", "they", "he", "she", "we", "not", "no", "if", "when", "per", "each", "every", "over",
                   "about", "after", "before", "during", "under", "through", "via", "against", "between", "among",
                   "did", "do", "does", "can", "should", "shall", "must", "?", "!", "(", ")"})
_FORWARD_GAP = 5  # words that may stand between a figure and its item (names, hyphens and calibres aside)
_FREE = frozenset({"-", "'", "‘", "’", "\"", "“", "”", "mm"})
_OF_WHOM = frozenset({"them", "whom", "which", "those"})
_CURRENCY_WORDS = frozenset({"dollars", "dollar", "usd", "euros", "euro"})
_MONEY_BACK = frozenset({"worth", "valued", "totalling", "totaling", "totalled", "totaled", "amounting", "of"})
_MONEY_BACK_GAP = _MONEY_BACK | {"at", "to", "estimated", "reportedly", "put", "an", "some", ",", "-", "–", "—"}
_MONEY_FORWARD_GAP = frozenset({"in", "of", "worth", "new", "additional", "direct", "extra", "further", "annual",
                                "yearly"})
_QUOTES = frozenset({'"', "'", "“", "‘", "”", "’"})
_EARLIER_GAP = frozenset({"its", "their", "the", "a", "an", "previous", "earlier", "initial", "prior", "estimate",
                          "estimated", "figure", "of", "some", "about", "around", "just", "only", "peak", "high", "low",
                          "roughly", "nearly", "almost", "record"})
_BASE = frozenset({("in", "addition", "to"), ("on", "top", "of")})  # what more comes on top of
_PRONOUN_SUBJECTS = frozenset({"it", "they", "pyongyang", "moscow"})
_AUX = frozenset({"had", "has", "have", "already", "also", "reportedly"})


@dataclass(slots=True)
class Pair:
    """An item and the figure that counts it (``None``: the item is named without a figure)."""

    item: Mention
    figure: Figure | None = None
    earlier: bool = False  # the figure is an earlier value ("up from 200"; "on top of the 11,000 it sent")
    ref: dict | None = None  # the event of the sentence before that the item stands for ("2,000 of them")
    running: bool = False  # a running total named after the item ("bringing the total deployed there to 14,000")
    part: bool = False  # a part of a whole ("8,000 of a total of 10,000", "10,000 of them now in Kursk")


@dataclass(slots=True)
class Attached:
    pairs: list[Pair]
    loose: list[Figure]  # counts that found no item in the sentence


class Attacher:
    def __init__(self, words: AttachWords, units: frozenset[str], vague_needs_item: frozenset[str],
                 money_rule: ItemRule | None = None) -> None:
        self.money_rule = money_rule  # the economic aid that money paid or sent is, when no item names it
        self.w = words
        self.units = units
        self.vague_needs_item = vague_needs_item
        self.max_link = max((len(x) for x in words.links), default=1)
        self.links = set(words.links)
        self.earlier = words.earlier

    def __call__(self, s: Sentence, items: list[Mention], figures: list[Figure]) -> Attached:
        pairs = [Pair(it) for it in items]
        by_start = {p.item.start: p for p in pairs}
        actor_adj = {k for a in s.actors for k in range(a.start, a.end)}
        loose: list[Figure] = []
        extra: list[Pair] = []
        parts = self._parts(s, figures)
        for f in figures:
            if f.kind == "money" or (f.kind == "count" and f.end < len(s.words) and s.words[f.end] in _CURRENCY_WORDS):
                target = _money_target(s, pairs, f)
                if target is not None and target.figure is None:
                    target.figure = f
                elif target is None and self.money_rule is not None and _money_moved(s, f):
                    # "paid North Korea about $2 billion", "transferred $150 million to ...": money is aid
                    item = Mention("item", "economic_aid", f.start, f.end, f.q.cstart, f.q.cend, self.money_rule)
                    extra.append(Pair(item, f))
                continue
            if f.kind not in _ATTACHABLE:
                continue
            target = self._forward(s, f, by_start, actor_adj)
            if target is not None and (getattr(target.item.info, "transfer", False) or (
                    target.item.end < len(s.words) and s.words[target.item.end] in self.w.not_heads)):
                continue  # "10 weapons shipments", "two arms deals": the figure counts the shipments
            if target is not None:
                if f.kind == "one" and target.item.start != f.end:
                    continue
                part = _among(s.words, f.start)  # "the whole contingent, among them 500 officers": its make-up
                if target.figure is None:
                    target.figure, target.part = f, target.part or part
                else:
                    extra.append(Pair(target.item, f, part=part))
                continue
            if f.kind == "one" or (f.q.vague and f.q.text.lower() in self.vague_needs_item):
                continue
            if id(f) in parts:
                nxt = next((g for g in figures if g.start > f.start), None)
                target = self._forward(s, nxt, by_start, actor_adj) if nxt is not None else None
                if target is not None:  # "about 8,000 of a total of 10,000 soldiers": a part of them
                    extra.append(Pair(target.item, f, part=True))
                    continue
            of_whom = self._of_whom(s, f, pairs)
            if of_whom is not None:  # "12,000 soldiers, about 10,000 of whom are in Kursk"
                extra.append(Pair(of_whom.item, f, part=not f.q.increment))
                continue
            back = self._earlier(s, f, pairs)
            if back is not None:
                extra.append(Pair(back.item, f, earlier=True))
                continue
            target = self._backward(s, f, pairs)
            if target is not None:
                running = self.total_noun_before(s, f)  # "bringing the total to 14,000"
                if target.figure is None:
                    target.figure, target.running = f, running
                else:
                    extra.append(Pair(target.item, f, running=running))
                continue
            loose.append(f)
        return Attached(pairs + extra, loose)

    def _parts(self, s: Sentence, figures: list[Figure]) -> set[int]:
        """"4,000 of the 11,000 troops": the first figure is a part of the second (ids of the parts)."""
        out = set()
        for a, b in zip(figures, figures[1:], strict=False):
            between = s.words[a.end:b.start]
            if between and between[0] == "of" and len(between) <= 3 and all(w in ("of", "the", "its", "their", "some", "about")
                                                                               for w in between):
                out.add(id(a))
        return out

    def _forward(self, s: Sentence, f: Figure, by_start: dict[int, Pair], actor_adj: set[int]) -> Pair | None:
        """The item the figure opens: at most four modifier words between them ("some 60 North
        Korean-made 240mm launchers", "67,300 barrels of refined petroleum", "nine million artillery
        and rocket rounds")."""
        k = f.end
        w = s.words
        n = len(w)
        gap = 0
        while k < n and gap <= _FORWARD_GAP:
            if k in by_start:
                p = by_start[k]
                if gap and getattr(p.item.info, "weak", False):
                    return None  # "the two leaders discussed the deployment": only modifiers before a weak noun
                nxt = p.item.end
                if getattr(p.item.info, "weak", False) and nxt + 1 < n and w[nxt] == "of" and nxt + 1 in by_start:
                    return by_start[nxt + 1]  # "1 million barrels of fuel": the fuel
                return p
            x = w[k]
            if x in self.units and k + 1 < n and w[k + 1] in _UNIT_OF:
                k += 2  # "67,300 barrels of refined petroleum", "$1 billion worth of food"
                continue
            if x in ("and", "or") and k > f.end and gap <= 1 and k + 1 < n and w[k + 1] not in _STOP \
                    and any(j in by_start for j in range(k + 1, min(n, k + 4))):
                k += 1  # "nine million artillery and rocket rounds": two words on one head
                continue
            if (x in _STOP and x != "-" and k not in actor_adj) or x[:1].isdigit() and not _calibre(w, k):
                return None
            if k not in actor_adj and x not in _FREE and not (x[:1].isdigit() and _calibre(w, k)):
                gap += 1
            k += 1
        return None

    def _of_whom(self, s: Sentence, f: Figure, pairs: list[Pair]) -> Pair | None:
        """"about 10,000 of whom", "10,000 of them", "3,000 more" (no noun): the item named before it
        in the sentence (of the sentence before: see the pipeline)."""
        w = s.words
        follows = tuple(w[f.end:f.end + 2])
        if not (follows[:1] == ("of",) and follows[1:] and follows[1] in _OF_WHOM) and not f.q.increment:
            return None
        if f.q.increment and not follows[:1] == ("of",) and f.end < len(w) and w[f.end].isalpha() \
                and w[f.end] not in _STOP and w[f.end] not in ("more", "additional", "extra"):
            return None
        before = [p for p in pairs if p.item.end <= f.start]
        return max(before, key=lambda p: p.item.end) if before else None

    def _earlier(self, s: Sentence, f: Figure, pairs: list[Pair]) -> Pair | None:
        """"about 240 rocket launchers, up from some 200": the same item, as its figure stood before;
        "on top of the roughly 11,000 it sent last autumn": what was sent before."""
        w = s.words
        earlier = base = False
        for gap in range(0, 5):  # "up from 200", "up from some 200", "up from its estimate of 3,000"
            k = f.start - gap
            if gap and w[k] not in _EARLIER_GAP:
                break
            found = next((e for e in self.earlier if tuple(w[max(0, k - len(e)):k]) == e), None)
            if found is not None:
                earlier, base = True, found in _BASE  # "more troops on top of the 11,000": no figure before
                break
        sent_before = False
        if not earlier and f.end + 1 < len(w) and w[f.end] in _PRONOUN_SUBJECTS:
            k = f.end + 1
            while k < len(w) and w[k] in _AUX:
                k += 1
            sent_before = any(tr.start == k and tr.label in ("give", "motion", "presence") for tr in s.triggers)
        if not (earlier or sent_before):
            return None
        def near(p: Pair) -> bool:  # the item, or the figure it already has, at most 16 words back
            return f.start - p.item.end <= 16 or (p.figure is not None and 0 <= f.start - p.figure.end <= 16)

        before = [p for p in pairs if p.item.end <= f.start and near(p) and (sent_before or base or p.figure is not None)]
        if not before and earlier and any(w[k] == "to" for k in range(f.end, min(len(w), f.end + 4))):
            # "climbed from 3 million in March to almost 5 million": the figure after 'to' is not read yet
            before = [p for p in pairs if p.item.end <= f.start and (near(p) or self._counted(w, p.item.start))]
        return max(before, key=lambda p: p.item.end) if before else None

    def _backward(self, s: Sentence, f: Figure, pairs: list[Pair]) -> Pair | None:
        """An item joined to a figure after it by a link word ("troops numbering 11,000", "the total
        number of its soldiers deployed there to about 14,000")."""
        w = s.words
        link_end = f.start
        if link_end > 0 and w[link_end - 1] in ('"', "'", "“", "‘"):
            link_end -= 1  # 'at "over 9 million"'
        link = None
        for n in range(min(self.max_link, link_end), 0, -1):
            if tuple(w[link_end - n:link_end]) in self.links:
                link = link_end - n
                break
        if link is None:
            return None
        # what follows the figure must end its phrase: not another noun it might count
        after = w[f.end] if f.end < len(w) else "."
        if after.isalpha() and after not in _STOP and after not in self.units and after not in ("in", "so", "this", "last"):
            return None
        reach = max(0, link - self.w.reach)
        best = None
        for p in pairs:
            aside = _relative_aside(w, p.item.end, link)
            if aside:  # "The shells, which the North began shipping in 2023, now number 6 million"
                between = w[aside:link]
                if len(between) <= self.w.reach and all(x not in (",", ";", ":") for x in between):
                    best = p
                    continue
            if p.item.end <= link and p.item.start < reach and self._counted(w, p.item.start) \
                    and link - p.item.end <= 3 * self.w.reach and not any(x in (";", ":") for x in w[p.item.end:link]):
                best = p  # "the estimate of the containers sent from the North since August has risen to 16,000"
                continue
            if reach <= p.item.start and p.item.end <= link:
                between = w[p.item.end:link]
                if any(x in (";", ":") for x in between) or ("," in between and link - p.item.end > 6):
                    continue
                if best is None or p.item.end > best.item.end:
                    best = p
        if best is not None:
            return best
        return None

    def _counted(self, w: list[str], start: int) -> bool:
        """Is the item at `start` what a total noun before it counts ("the number of North Korean troops",
        "Seoul's estimate of the shells")?"""
        k = start - 1
        while k >= 0 and w[k] in ("the", "its", "their", "north", "korean", "russian"):
            k -= 1
        return k >= 1 and w[k] == "of" and w[k - 1] in self.w.total_nouns

    def total_noun_before(self, s: Sentence, f: Figure) -> bool:
        """Is the figure the value of a total noun ('the number at', 'bringing the total to')?"""
        w = s.words
        k = f.start - 1
        while k > 0 and w[k] in _QUOTES:
            k -= 1  # 'at "over 9 million"'
        lo = max(0, f.start - 14)
        joined = k >= 0 and w[k] in ("at", "to", "of") or any(tuple(w[k + 1 - len(r):k + 1]) == r for r in self.w.reaching)
        return any(x in self.w.total_nouns for x in w[lo:f.start]) and joined  # "the total now exceeds 8 million"


def _among(w: list[str], k: int) -> bool:
    """Does a figure at ``k`` name a part of something named before ("among them 500 officers",
    "including 3,000 sent since January")?"""
    return tuple(w[max(0, k - 2):k]) in (("among", "them"), ("among", "whom"), ("of", "whom")) \
        or (k > 0 and w[k - 1] in ("including", "incl."))


def _relative_aside(w: list[str], k: int, link: int) -> int:
    """Where the words after a relative clause set off by commas right after an item start (", which
    North Korea began shipping in 2023,"), when it closes before ``link``; 0 if there is none."""
    if not (k + 1 < link and w[k] == "," and w[k + 1] in ("which", "that", "who", "whose")):
        return 0
    close = next((j for j in range(k + 2, link) if w[j] == ","), None)
    return close + 1 if close is not None else 0


def _calibre(w: list[str], k: int) -> bool:
    """A calibre or a model number between a figure and its item: "152mm", "240 mm", "122-mm", "M1991"."""
    x = w[k]
    if any(c.isalpha() for c in x):
        return True
    return k + 1 < len(w) and w[k + 1] in ("mm", "-", "millimeter", "millimetre", "mm.")


def _money_moved(s: Sentence, f: Figure) -> bool:
    """Is an amount of money the object of a giving verb, with at most the recipient between them ("paid
    Pyongyang about $2 billion", "transferring roughly $150 million to ...")? Not a price or a value
    ("shells worth $2 billion") and not a rate ("$700 a month")."""
    w = s.words
    if f.end < len(w) and w[f.end] in ("a", "an", "per", "each", "every"):
        return False
    party = {k for a in s.actors for k in range(a.start, a.end)}
    for tr in s.triggers:
        if tr.label == "give" and 0 <= f.start - tr.end <= 4 \
                and all(k in party or w[k] in ("the", "to") for k in range(tr.end, f.start)):
            return True
    return False


def _money_target(s: Sentence, pairs: list[Pair], f: Figure) -> Pair | None:
    """The economic aid an amount of money counts: named just before it and joined by 'worth', 'valued
    at', 'totalling', 'of' ('cash worth as much as $20 billion'), or just after it and joined by 'in',
    'of', 'worth of' ('$500 million in aid', '$1 billion worth of food')."""
    w = s.words
    best = None
    for p in pairs:
        it = p.item
        if it.label != "economic_aid":
            continue
        if it.end <= f.start and f.start - it.end <= 6:
            gap = w[it.end:f.start]
            if gap and all(x in _MONEY_BACK_GAP for x in gap) and not _MONEY_BACK.isdisjoint(gap):
                best = p
        elif it.start >= f.end and it.start - f.end <= 4:
            gap = w[f.end:it.start]
            if gap and all(x in _MONEY_FORWARD_GAP or x in _CURRENCY_WORDS for x in gap) and ("in" in gap or "of" in gap):
                return p
    return best
