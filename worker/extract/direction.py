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
_ITEM_NP = frozenset({"more", "additional", "other", "new", "heavy", "military", "modern", "extra", "further", "fresh",
                      "short-range", "long-range", "combat", "elite", "such", "own", "older", "old", "used", "of", "-",
                      "'s", "’s", "'", "the", "advanced", "latest", "special", "regular", "so-called", "thousands",
                      "some", "about", "over", "than", "up", "to", "around", "nearly", "roughly", "at", "least",
                      "an", "estimated", "a", "its", "their", "outdated", "several", "dozens", "hundreds", "millions"})
_POSSESSIVE = frozenset({"'s", "’s", "'"})
_RECEIVING = frozenset({"receive", "use", "request"})
_PEOPLE = frozenset({"troops", "workers"})


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
    for a in s.actors:
        if not (lo <= a.start < hi):
            continue
        code = a.label
        if on_item(s, a, start, end):
            out.append(Clue(code, SUPPLIER, 3.0, "origin"))
            continue
        prep = _preposition(w, a.start)
        if prep in _TO:
            out.append(Clue(code, RECIPIENT, 1.0 if prep == "for" else 4.0, "preposition"))
        elif prep in _FROM or (prep == "out" and a.start >= 2 and w[a.start - 1] == "of"):
            out.append(Clue(code, SUPPLIER, 4.0, "preposition"))
        elif prep == "by" and trigger is not None and trigger.end <= a.start and passive(w, trigger.start):
            role = RECIPIENT if trigger.label in _RECEIVING else SUPPLIER
            out.append(Clue(code, role, 3.0, "preposition"))
        elif prep in _IN and (item.label in _PEOPLE or (trigger is not None and trigger.label == "presence")) \
                and a.start > start:
            out.append(Clue(code, RECIPIENT, 2.0, "preposition"))
        elif prep is None and trigger is not None and a.info == "name" and not _possessive_of_other(s, a, start):
            out.extend(_position(s, a, code, trigger))
    return out


def _position(s: Sentence, a: Mention, code: str, trigger: Mention) -> list[Clue]:
    """The subject or the object of the transfer verb."""
    w = s.words
    kind = trigger.label
    if a.end <= trigger.start:
        if trigger.start - a.end > 12 or any(x in (";", "that", "which", "who") for x in w[a.end:trigger.start]):
            return []
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
    "shells of North Korean origin")?"""
    w = s.words
    if a.end <= start:
        if a.info == "adj" or (a.end < len(w) and w[a.end] in _POSSESSIVE):
            return all(x in _ITEM_NP or x[:1].isdigit() or "-" in x for x in w[a.end:start]) and start - a.end <= 5
        return False
    if a.start >= end and a.info == "adj" and a.start - end <= 2 and all(x == "of" for x in w[end:a.start]):
        return True  # "shells of North Korean origin"
    return False


def _possessive_of_other(s: Sentence, a: Mention, start: int) -> bool:
    """"Russia's war", "Moscow's arsenal": a possessive of another noun is no role."""
    return a.end < len(s.words) and s.words[a.end] in _POSSESSIVE and a.end < start - 5


def _preposition(w: list[str], i: int) -> str | None:
    k = i - 1
    while k >= 0 and w[k] in _NP_GAP:
        k -= 1
    if k < 0:
        return None
    p = w[k]
    if p == "in" and k >= 2:
        # "to Dunay in Russia's east": the outer preposition governs
        for j in range(k - 1, max(-1, k - 5), -1):
            if w[j] in ("to", "into", "from"):
                return w[j]
            if w[j] in (",", ".", "and"):
                break
    if p in ("to", "into", "toward", "towards", "onto", "for", "from", "by", "in", "inside", "within", "on", "out",
             "with", "between", "against", "of", "than", "like", "across", "over", "about", "near", "at", "and", "via",
             "through"):
        return p
    return None


def decide(found: list[Clue], category: Category, month: str | None) -> Direction | None:
    """The direction the evidence points to, or the category's prior; None when a third country is
    the one that supplies or receives, or when nothing says which way and no prior holds."""
    score = {"RUS": 0.0, "PRK": 0.0}  # evidence that the party supplies (positive) or receives (negative)
    third = {SUPPLIER: 0.0, RECIPIENT: 0.0}
    party = {SUPPLIER: 0.0, RECIPIENT: 0.0}
    for c in found:
        if c.party in PARTY_SET:
            score[c.party] += c.weight if c.role == SUPPLIER else -c.weight
            party[c.role] += c.weight
        else:
            third[c.role] = max(third[c.role], c.weight)
    for role in (SUPPLIER, RECIPIENT):
        if third[role] >= 3.0 and third[role] > party[role]:
            return None  # "Iranian drones", "Iran supplied Russia", "shells sent to Ukraine"
    lead = score["PRK"] - score["RUS"]
    if lead > 0:
        return Direction("PRK", "RUS", "cue")
    if lead < 0:
        return Direction("RUS", "PRK", "cue")
    prior = category.prior_on(month)
    if prior is None:
        return None
    return Direction(prior.supplier, prior.recipient, "prior")
