"""Step 5 of a sentence: which way an item moves, as ranked evidence, with the category's prior last.

Evidence for a party's role, strongest first:

* ``origin``: a party adjective or possessive on the item itself ("North Korean troops",
  "Pyongyang's missiles", "Russian-made jets"): where the thing comes from;
* ``preposition``: "to/into Russia" (recipient), "from/out of North Korea" (supplier), "by" after a
  passive giving verb (supplier) or a passive verb of receiving or using (recipient), "in/on" a
  party's soil for people and presence (recipient);
* ``position``: the subject of a giving verb supplies, of a receiving, using or asking verb
  receives; the object right after a giving verb ("supplied Russia with", "gave Moscow") receives;
* ``prior``: the way the category goes (``worker/data/categories.json``), with the period it holds for.

Exchange frames ("in return for", "as payment for") are read by the pipeline, which turns what
comes back the other way. A third country that the evidence makes the supplier or the recipient
vetoes the event: "Iran has supplied Russia with drones" is no Russia-North Korea transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.categories import Category
from worker.extract.components import Mention
from worker.extract.items import passive
from worker.extract.sentence import PARTY_SET, Sentence

SUPPLIER, RECIPIENT = "supplier", "recipient"
OTHER = {"RUS": "PRK", "PRK": "RUS"}

_TO = frozenset({"to", "into", "toward", "towards", "onto", "for"})
_FROM = frozenset({"from"})
_IN = frozenset({"in", "inside", "within", "on"})
_NP_GAP = frozenset({"the", "a", "an", "its", "their", "his", "her", "eastern", "western", "northern", "southern",
                     "far", "far-eastern", "north", "south", "occupied", "east", "west", "neighbouring", "neighboring",
                     "ally", "mainland", "territory", "soil", "border", "region", "regions"})
_ITEM_NP = frozenset({"origin", "made", "built", "supplied", "produced", "designed", "manufactured", "more", "additional",
                      "other", "new", "heavy", "military", "modern", "extra", "further", "fresh",
                      "short-range", "long-range", "combat", "elite", "such", "own", "older", "old", "used", "of", "-",
                      "'s", "’s", "'", "the", "advanced", "latest", "special", "regular", "so-called", "thousands",
                      "some", "about", "over", "than", "up", "to", "around", "nearly", "roughly", "at", "least",
                      "an", "estimated", "a", "its", "their", "outdated", "several", "dozens", "hundreds", "millions"})
_POSSESSIVE = frozenset({"'s", "’s", "'"})
_COPULA = frozenset({"were", "was", "are", "is", "be", "been"})
_RECEIVING = frozenset({"receive", "use", "request"})
# nouns naming who gives or gets, not the giving: a possessive on them is the other side
_AGENT_NOUNS = frozenset({"supplier", "suppliers", "provider", "providers", "recipient", "recipients", "buyer",
                          "buyers", "customer", "customers"})
_BECOME = frozenset({"become", "became", "becomes", "remains", "remained"})
_PEOPLE = frozenset({"troops", "workers"})
_REACH = 12  # words between a party and the item or its transfer word, at most
_VERBISH = frozenset({"sustain", "support", "help", "fight", "use", "the", "a", "an", "its", "their", "be", "back"})


@dataclass(slots=True)
class Clue:
    party: str  # an actor code: RUS, PRK, or a third country
    role: str  # SUPPLIER or RECIPIENT
    weight: float
    kind: str  # origin | preposition | position


@dataclass(slots=True)
class Direction:
    supplier: str
    recipient: str
    basis: str  # "cue": the sentence says it; "prior": the category's usual way


def clues(s: Sentence, item: Mention, trigger: Mention | None, start: int, end: int,
          clause: tuple[int, int]) -> list[Clue]:
    """Evidence in the sentence for the roles of the parties of the item at words [start, end)."""
    out: list[Clue] = []
    w = s.words
    lo, hi = clause
    anchors = (start, end) if trigger is None else (min(start, trigger.start), max(end, trigger.end))
    noun = trigger is not None and " ".join(w[trigger.start:trigger.end]) in trigger.info.nouns
    subject = _subject(s, trigger, lo) if trigger is not None and not noun else None
    for a in s.actors:
        if not (lo <= a.start < hi):
            continue
        code = a.label
        if on_item(s, a, item.start, item.end):
            out.append(Clue(code, SUPPLIER, 3.0, "origin"))
            continue
        far = max(anchors[0] - a.end, a.start - anchors[1], 0)
        if far > _REACH:
            continue
        prep = _preposition(w, a.start)
        if a.start > anchors[1] and prep in ("from", "out") and _purpose_between(w, anchors[1], a.start):
            continue  # "troops sent to help drive Ukraine's army from the Kursk region": another verb's
        if trigger is not None and trigger.label in _RECEIVING and a.start - trigger.end <= 2 \
                and w[trigger.end - 1] in ("to", "on", "at"):
            # "Moscow turned to Pyongyang for weapons", "relies on North Korea": who is turned to supplies
            out.append(Clue(code, SUPPLIER, 4.0, "position"))
        elif prep in _TO:
            if trigger is not None and trigger.label == "use":
                continue  # "fired into Ukraine": the target, not who received them
            weak = prep == "for" and code in PARTY_SET  # "S-400s for India": a third country's is what it gets
            out.append(Clue(code, RECIPIENT, 1.0 if weak else 4.0, "preposition"))
        elif prep in _FROM or (prep == "out" and a.start >= 2 and w[a.start - 1] == "of"):
            out.append(Clue(code, SUPPLIER, 4.0, "preposition"))
        elif prep == "by" and trigger is not None and trigger.end <= a.start and passive(w, trigger.start):
            role = RECIPIENT if trigger.label in _RECEIVING else SUPPLIER
            out.append(Clue(code, role, 3.0, "preposition"))
        elif prep in _IN and a.start > start and (item.label in _PEOPLE or (
                trigger is not None and (trigger.label == "presence" or (trigger.label in ("give", "motion")
                                                                        and a.start > trigger.end)))):
            out.append(Clue(code, RECIPIENT, 2.0, "preposition"))
        elif noun and trigger is not None and a.end < len(w) and w[a.end] in _POSSESSIVE \
                and 0 < trigger.start - a.end <= 3:
            # "Russia's deliveries", "the North's transfer of missiles": whose the giving (or buying) is;
            # "Russia's biggest supplier": whom the supplier gives to
            giver = (trigger.label in _RECEIVING) == (w[trigger.end - 1] in _AGENT_NOUNS)
            out.append(Clue(code, SUPPLIER if giver else RECIPIENT, 3.0, "position"))
        elif noun and trigger is not None and w[trigger.end - 1] in _AGENT_NOUNS and _is_a(w, a, trigger):
            # "North Korea is now Russia's biggest supplier", "its main supplier is North Korea"
            out.append(Clue(code, RECIPIENT if trigger.label in _RECEIVING else SUPPLIER, 3.0, "position"))
        elif trigger is not None and not noun and (a is subject or (prep is None and a.start >= trigger.end)) \
                and trigger not in s.mentions.get("setting", ()):  # "bring the North's total to 12,000"
            out.extend(_position(s, a, code, trigger))
    return out


def _is_a(w: list[str], a: Mention, trigger: Mention) -> bool:
    """Is the party said to be the agent noun ("North Korea is now Russia's biggest supplier", "the main
    supplier is North Korea", "has become a key customer")? A copula joins them, with few words between."""
    if a.end <= trigger.start:
        between = w[a.end:trigger.start]
        return 0 < len(between) <= 7 and (between[0] in _COPULA | _BECOME or between[1:2] == ["become"]) \
            and not any(x in (",", ";", "that", "which") for x in between)
    between = w[trigger.end:a.start]
    return 0 < len(between) <= 2 and between[0] in _COPULA


def _subject(s: Sentence, trigger: Mention, lo: int) -> Mention | None:
    """The party that is the subject of the transfer word: the nearest name or possessive before it,
    in its clause, with no preposition before it and at most 12 words from it. A participle right
    after a noun ("missiles provided by North Korea") has none."""
    if any(it.end == trigger.start for it in s.items):
        return None
    best = None
    for a in s.actors:
        if lo <= a.start and a.end <= trigger.start and trigger.start - a.end <= 12:
            if best is None or a.end > best.end:
                best = a
    if best is not None and "and" in s.words[best.end:trigger.start] and any(
            tr.label == "give" and best.start - tr.end in (0, 1) and tr.end <= best.start
            for tr in s.triggers if tr is not trigger):
        # "Tehran has handed Moscow 300 drones and agreed to supply 2,000 more": the object of the first
        # verb is not the subject of the second
        earlier = [a for a in s.actors if a.end <= best.start and lo <= a.start]
        best = max(earlier, key=lambda a: a.end) if earlier else None
    if best is None or _preposition(s.words, best.start) is not None:
        return None
    if best.info == "adj" and not (best.end < len(s.words) and s.words[best.end] in _POSSESSIVE):
        return None  # "Russian ships unloading": an adjective on another noun
    if any(x in (";", "that", "which", "who") for x in s.words[best.end:trigger.start]):
        return None
    return best


def _position(s: Sentence, a: Mention, code: str, trigger: Mention) -> list[Clue]:
    """The subject or the object of the transfer verb."""
    w = s.words
    kind = trigger.label
    if a.end <= trigger.start:
        if kind == "give":
            return [Clue(code, RECIPIENT if passive(w, trigger.start) else SUPPLIER, 3.0, "position")]
        if kind in _RECEIVING:
            return [Clue(code, RECIPIENT, 3.0, "position")]
        return []
    if kind == "give" and a.start - trigger.end <= 1 and not passive(w, trigger.start):
        return [Clue(code, RECIPIENT, 3.0, "position")]  # "supplied Russia with", "gave Moscow"
    return []


def on_item(s: Sentence, a: Mention, start: int, end: int) -> bool:
    """Is the actor part of the item's own phrase ("North Korean troops", "Pyongyang's missiles",
    "shells of North Korean origin"), or said of it ("the missiles were North Korean-made")?"""
    w = s.words
    if a.end <= start:
        if a.info == "adj" or (a.end < len(w) and w[a.end] in _POSSESSIVE):
            return all(x in _ITEM_NP or x[:1].isdigit() or "-" in x or "-" in w[k - 1:k + 2]
                       or any(m.start <= k < m.end for m in s.items)  # "Russian Pantsir air defence systems"
                       for k, x in enumerate(w[a.end:start], a.end)) and start - a.end <= 5  # "US intermediate-range"
        return False
    if a.start >= end and a.info == "adj":
        between = w[end:a.start]
        if a.start - end <= 2 and all(x == "of" for x in between):
            return True  # "shells of North Korean origin"
        if 0 < len(between) <= 12 and between[-1] in _COPULA or (len(between) > 1 and between[-2] in _COPULA
                                                                  and between[-1] in ("all", "also", "likely")):
            nxt = w[a.end] if a.end < len(w) else "."
            return nxt in ("-", ",", ".", "and", "or", "made", "built", "origin") or nxt.endswith("-made")
    return False


def _purpose_between(w: list[str], lo: int, hi: int) -> bool:
    """Is there an infinitive between ("to help drive", "to clear")? Its verb takes what follows."""
    return any(w[k] == "to" and k + 1 < hi and w[k + 1] not in _NP_GAP and w[k + 1][:1].isalpha()
               and w[k + 1] not in ("russia", "moscow", "north", "pyongyang", "the") for k in range(lo, hi))


def _preposition(w: list[str], i: int) -> str | None:
    k = i - 1
    while k >= 0 and w[k] in _NP_GAP:
        k -= 1
    if k < 0:
        return None
    p = w[k]
    if p in ("in", "near", "outside", "around") and k >= 2:
        # "to Dunay in Russia's east": the outer preposition governs a place name before 'in'
        for j in range(k - 1, max(-1, k - 4), -1):
            if w[j] in ("to", "into", "from"):
                return w[j] if j + 1 < k and w[j + 1] not in _VERBISH else p
            if w[j] in (",", ".", "and"):
                break
    if p in ("to", "into", "toward", "towards", "onto", "for", "from", "by", "in", "inside", "within", "on", "out",
             "with", "between", "against", "of", "than", "like", "across", "over", "about", "near", "at", "and", "via",
             "through"):
        return p
    return None


def decide(found: list[Clue], category: Category, month: str | None, named: set[str] | None = None) -> Direction | None:
    """The direction the evidence points to, or the category's prior; None when a third country is
    the one that supplies or receives, when the only evidence makes the item the recipient's own
    ("Russian troops": Russia's, not sent), or when nothing says which way and no prior holds."""
    third = {SUPPLIER: 0.0, RECIPIENT: 0.0}
    party = {SUPPLIER: 0.0, RECIPIENT: 0.0}
    for c in found:
        if c.party in PARTY_SET:
            party[c.role] += c.weight
        else:
            third[c.role] = max(third[c.role], c.weight)
    for role in (SUPPLIER, RECIPIENT):
        if third[role] >= 3.0 and third[role] > party[role]:
            return None  # "Iranian drones", "Iran supplied Russia", "shells sent to Ukraine"
    prior = category.prior_on(month)
    said = _lead(c for c in found if c.kind != "origin")
    origin = _lead(c for c in found if c.kind == "origin")
    if said:
        lead = said + origin
    elif origin and prior is not None and (origin > 0) != (prior.supplier == "PRK"):
        return None  # the item is marked as the prior's recipient's own, and nothing sends it
    else:
        lead = origin
    if lead and named is not None and len(named) == 1 and prior is not None and (lead > 0) != (prior.supplier == "PRK"):
        # one party named, and it plays the part the prior gives the other ("Pyongyang relies on
        # thousands of IT workers abroad"): nothing says the other party is in it
        return None
    if lead > 0:
        return Direction("PRK", "RUS", "cue")
    if lead < 0:
        return Direction("RUS", "PRK", "cue")
    if prior is None:
        return None
    return Direction(prior.supplier, prior.recipient, "prior")


def _lead(found) -> float:
    """How much more the evidence makes North Korea the supplier than Russia (negative: Russia)."""
    lead = 0.0
    for c in found:
        if c.party in PARTY_SET:
            sign = 1.0 if (c.party == "PRK") == (c.role == SUPPLIER) else -1.0
            lead += sign * c.weight
    return lead
