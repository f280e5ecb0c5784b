"""Step 2 of a sentence: the things in it that can move, from the lexicon's item matches.

A match is not kept when it is part of a country's name ("Russian forces" names Russia), inside an
ignored phrase ("missile test", "drone factory"), the first noun of a compound whose head is another
item ("rocket launcher experts": the experts), what carried something ("flown on Russian transport
aircraft"), or the agent of a passive transfer of something else ("provided ... by Russian
engineers"). Two kinds of words become items here: nationals counted by a figure ("13,000 North
Koreans arrived": people of the kind the article moves) and "of them" after a figure (the item of
the sentence before).
"""

from __future__ import annotations

from dataclasses import replace

from worker.extract.components import Mention
from worker.extract.rules import ItemRule, Patterns
from worker.extract.sentence import Sentence

_GENERIC = frozenset({"equipment", "gear", "hardware", "systems", "system", "supplies", "materiel", "kit", "kits",
                      "components", "assistance", "aid", "help", "support", "weapons", "arms",
                      "fighters", "fighter"})  # "MiG-29 fighters" are jets, "jihadi fighters" no item before
_MISSILE_HEADS = frozenset({"missile", "missiles", "rocket", "rockets", "interceptor", "interceptors"})
_HELP = frozenset({"assistance", "help", "support"})
_NOT_KNOW_HOW = frozenset({"economic_aid", "troops", "workers", "technology", "weapons_other"})
_CARRIER_PREPS = frozenset({"on", "aboard", "onboard", "by", "via", "in"})
_CARRIER_GAP = frozenset({"the", "a", "an", "its", "their", "military", "transport", "cargo", "chartered", "special",
                          "large", "heavy", "-"})
_CARRYING_VERBS = frozenset({"flown", "flew", "fly", "flying", "airlifted", "airlift", "ferried", "ferrying", "carried",
                             "carrying", "transported", "transporting", "taken", "brought", "moved", "shuttled",
                             "arrived", "arriving", "travelled", "traveled"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "get", "got", "gets"})
_PASSIVE_GAP = frozenset({"also", "reportedly", "already", "now", "being", "been", "recently", "then", "allegedly",
                          "not", "just", "all"})


class ItemFinder:
    """Built once from the rule data; ``__call__`` gives the items of one sentence."""

    def __init__(self, patterns: Patterns) -> None:
        self.plain: dict[str, ItemRule] = {}  # category -> its first plain rule (for items made here)
        for it in patterns.items:
            if not it.weak and not it.after and not it.context and not it.transfer:
                self.plain.setdefault(it.category, it)
        self.pronouns = tuple(patterns.pronouns)
        self.implied = patterns.implied
        self.heads = patterns.heads
        self.people = patterns.people

    def __call__(self, s: Sentence, people: str, previous_category: str | None) -> list[Mention]:
        """The sentence's items, left to right. ``people``: the kind of people the article has moved so
        far ("troops" or "workers"); ``previous_category``: the category of the last event read in the
        sentence before, for "of them"."""
        actors = s.actors
        ignores = s.mentions["ignore"]
        raw = []
        for it in s.items:
            covering = [a for a in actors if a.start < it.end and it.start < a.end]
            if any(a.start >= it.start and a.end <= it.end or (a.start <= it.start and a.end >= it.end)
                   for a in covering):
                continue  # "Russian forces", "North Korean army": the country's name
            if covering:  # "North Korean military personnel": the item wins, the name is an adjective
                s.mentions["actor"] = actors = [a for a in actors if a not in covering] + [
                    Mention("actor", a.label, a.start, it.start, a.cstart, it.cstart, "adj") for a in covering
                    if a.start < it.start]
                actors.sort(key=lambda a: a.start)
            rule: ItemRule = it.info
            if rule.context and rule.context.isdisjoint(s.words):
                continue
            if rule.after:
                if not _after(s.words, it.start, rule.after):
                    continue
            elif any(g.start < it.end and it.start < g.end and g.end - g.start >= it.end - it.start for g in ignores):
                continue
            raw.append(it)
        raw.extend(self._nationals(s, people))
        raw.extend(self._implied(s, raw))
        if previous_category is not None:
            raw.extend(self._of_them(s, previous_category))
        raw.sort(key=lambda m: (m.start, m.end))
        kept: list[Mention] = []
        for k, it in enumerate(raw):
            nxt = raw[k + 1] if k + 1 < len(raw) else None
            if nxt is not None and (nxt.start == it.end or (nxt.start == it.end + 1 and s.words[it.end] == "-")):
                head = " ".join(s.words[nxt.start:nxt.end])
                if (head in _GENERIC and it.label not in ("weapons_other", "troops", "workers")) or (
                        head in _MISSILE_HEADS and it.label == "air_defense"):  # "S-400 missiles" defend the air
                    # "electronic warfare gear", "air defence equipment": a generic head takes the kind of
                    # the word before it
                    raw[k + 1] = replace(it, end=nxt.end, cend=nxt.cend)
                    if s.words[nxt.start] in _HELP and it.label not in _NOT_KNOW_HOW:
                        raw[k + 1] = replace(raw[k + 1], label="technology", info=self.plain["technology"])
                continue  # a compound: "rocket launcher experts" are experts
            if it.end < len(s.words) and s.words[it.end] in _HELP and it.label not in _NOT_KNOW_HOW \
                    and (nxt is None or nxt.start > it.end):
                # "Russian drone assistance", "missile help": know-how about the thing
                end = it.end + 1
                it = replace(it, label="technology", info=self.plain["technology"], end=end,
                             cend=s.offsets[it.end] + len(s.words[it.end]))
            elif it.end < len(s.words) and s.words[it.end] in self.heads and it.label not in ("troops", "workers"):
                continue  # "missile work", "drone factory", "arms deal": a modifier of another noun
            if nxt is not None and nxt.label == "technology" and it.label != "technology" and it.end - it.start == 1 \
                    and not s.words[it.start].endswith("s") and 0 < nxt.start - it.end <= 3 \
                    and s.words[it.end] in ("and", "or"):
                continue  # "missile and submarine know-how": what the know-how is about
            if it.label == "weapons_other" and s.words[it.end - 1] in ("launchers", "launcher") \
                    and _calibre_before(s.words, it.start):  # "240mm launchers" are rocket artillery
                it = replace(it, label="artillery_systems", info=self.plain["artillery_systems"])
            if it.label == "aircraft" and _carrier(s, it):
                continue
            if it.label in ("troops", "workers") and _agent(s, it, raw[:k]):
                continue
            kept.append(it)
        if any(it.label in ("troops", "workers") for it in kept) and (
                len({it.label for it in kept if it.label in ("troops", "workers")}) == 2
                or any(" ".join(s.words[it.start:it.end]) in self.people["ambiguous"] for it in kept)):
            kept = self._people_kind(s, kept)
        return kept

    def _people_kind(self, s: Sentence, items: list[Mention]) -> list[Mention]:
        """Soldiers or workers: "specialists due to work at plants" are workers, "engineers sent to
        clear mines" soldiers; people of both kinds in one list are soldiers ("sappers and builders")."""
        words = set(s.words)
        text = s.text.lower()
        military = any((w in words) if " " not in w else (w in text) for w in self.people["military"])
        civilian = any((w in words) if " " not in w else (w in text) for w in self.people["civilian"])
        out = []
        for it in items:
            if it.label in ("troops", "workers"):
                phrase = " ".join(s.words[it.start:it.end])
                listed_with_troops = any(o.label == "troops" and _joined(s.words, o, it) for o in items if o is not it)
                if it.label == "workers" and listed_with_troops and (military or phrase in self.people["ambiguous"]):
                    it = replace(it, label="troops", info=self.plain.get("troops", it.info))
                elif phrase in self.people["ambiguous"]:
                    kind = "troops" if military else ("workers" if civilian else it.label)
                    if kind != it.label and kind in self.plain:
                        it = replace(it, label=kind, info=self.plain[kind])
            out.append(it)
        return out

    def _nationals(self, s: Sentence, people: str) -> list[Mention]:
        """"In 2024 alone, 13,221 North Koreans arrived": nationals counted by a figure are people."""
        out = []
        rule = self.plain.get(people)
        for a in s.actors:
            if a.label == "PRK" and a.end - a.start == 2 and s.words[a.end - 1] == "koreans" and a.start > 0 \
                    and s.words[a.start - 1][:1].isdigit() and rule is not None:
                out.append(Mention("item", people, a.start, a.end, a.cstart, a.cend, rule))
        if out:  # no longer a party: the people of one
            s.mentions["actor"] = [a for a in s.actors if not any(a.start == o.start for o in out)]
            s.mentions["nationals"] = out
        return out

    def _implied(self, s: Sentence, items: list[Mention]) -> list[Mention]:
        """"called on Pyongyang to stop arming Russia": a verb that names what it moves stands for it,
        where its clause names nothing of that kind."""
        out = []
        for tr in s.triggers:
            cat = self.implied.get(s.words[tr.start])
            rule = self.plain.get(cat) if cat else None
            if cat and rule is not None and not any(it.label == cat and abs(it.start - tr.start) <= 8 for it in items) \
                    and not any(0 < it.start - tr.end <= 12 for it in items):  # "arming Russia with shells"
                out.append(Mention("item", cat, tr.start, tr.end, tr.cstart, tr.cend, rule))
        return out

    def _of_them(self, s: Sentence, category: str) -> list[Mention]:
        """"More than 10,000 of them are working ...": 'them' after a figure is the item before."""
        rule = self.plain.get(category)
        if rule is None or "of them" not in s.text.lower():
            return []
        out = []
        w = s.words
        for k in range(2, len(w)):
            if w[k] == "them" and w[k - 1] == "of" and w[k - 2][:1].isdigit():
                c0 = s.offsets[k]
                out.append(Mention("item", category, k, k + 1, c0, c0 + 4, replace(rule, weak=False)))
        return out


def _calibre_before(words: list[str], i: int) -> bool:
    """Does a calibre stand right before word ``i`` ("240mm", "240 mm", "122-mm", "300-millimetre")? Launchers
    with a calibre are rocket artillery."""
    w = words[i - 1] if i > 0 else ""
    return w in ("mm", "millimetre", "millimeter") or (w.endswith("mm") and w[:-2].isdigit())


def _joined(words: list[str], a: Mention, b: Mention) -> bool:
    """Are two items joined by 'and', 'or' or a comma, with nothing else between ("sappers and builders")?"""
    first, second = (a, b) if a.start < b.start else (b, a)
    between = words[first.end:second.start]
    return 0 < len(between) <= 3 and all(w in (",", "and", "or", "'", "’", "military", "construction") for w in between)


def _after(words: list[str], i: int, cues: tuple[str, ...]) -> bool:
    """Is one of ``cues`` at most 8 words before ``i``, in the same clause?"""
    for k in range(i - 1, max(-1, i - 9), -1):
        w = words[k]
        if w in cues:
            return True
        if w in (",", ";", ".", "but", "while"):
            return False
    return False


def _carrier(s: Sentence, it: Mention) -> bool:
    """"flown to Vladivostok on Russian military transport aircraft": the aircraft carried something."""
    w = s.words
    actor_at = {k for a in s.actors for k in range(a.start, a.end)}
    k = it.start - 1
    while k >= 0 and it.start - k <= 5 and (w[k] in _CARRIER_GAP or k in actor_at):
        k -= 1
    if k < 0 or w[k] not in _CARRIER_PREPS:
        return False
    return any(x in _CARRYING_VERBS for x in w[max(0, k - 12):k])


def _agent(s: Sentence, it: Mention, before: list[Mention]) -> bool:
    """"Technology ... has been provided, the authors write, by Russian engineers": the people who gave it."""
    w = s.words
    actor_at = {k for a in s.actors for k in range(a.start, a.end)}
    k = it.start - 1
    while k >= 0 and it.start - k <= 4 and (w[k] in _CARRIER_GAP or k in actor_at):
        k -= 1
    if k < 0 or w[k] != "by":
        return False
    for tr in s.triggers:
        if tr.label == "give" and tr.start < k and k - tr.start <= 12 and passive(w, tr.start) \
                and any(o.end <= tr.start and o.label not in ("troops", "workers") for o in before):
            return True
    return False


def passive(words: list[str], i: int) -> bool:
    """Is the verb at ``i`` a passive participle ("were sent", "have been delivered", "is reportedly being
    shipped", "missiles provided by North Korea")?"""
    v = words[i]
    if not (v.endswith("ed") or v in _PARTICIPLES):
        return False
    if i + 1 < len(words) and words[i + 1] == "by":
        return True
    for k in range(max(0, i - 3), i):
        if words[k] in _BE and all(x in _PASSIVE_GAP for x in words[k + 1:i]):
            return True
    return False


_PARTICIPLES = frozenset({"sent", "given", "sold", "paid", "lent", "brought", "taken", "got", "gotten", "built", "dealt",
                          "shown", "repaid", "promised", "supplied", "shipped", "delivered", "provided", "transferred",
                          "flown", "driven", "handed", "moved", "carried"})
