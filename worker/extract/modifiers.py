"""ConText-style modifiers: which rule mentions reach a target (an item and its figure)."""

from __future__ import annotations

from collections.abc import Sequence

from worker.extract.components import Mention
from worker.extract.rules import ModifierRule


def in_scope(mod: Mention, t_start: int, t_end: int, terminators: Sequence[int], lower: Sequence[str], base: int) -> bool:
    """Does modifier ``mod`` (a ConText rule mention) reach the target tokens [t_start, t_end)?

    ``terminators`` are token positions that end any scope; ``lower`` the lower-cased tokens of the
    sentence starting at token ``base``.
    """
    rule: ModifierRule = mod.info
    if rule.direction == "TERMINATE":
        return False
    if rule.literal == "more" and mod.end - base < len(lower) and lower[mod.end - base] == "than":
        return False
    if rule.literal.endswith(" no") and mod.end - base < len(lower) and lower[mod.end - base] in ("fewer", "more", "less"):
        return False  # "sent no fewer than 10,000": a figure, not a negation
    limit = rule.max_scope
    if mod.start < t_end and t_start < mod.end:  # inside the target ("3,000 more troops")
        return True
    if mod.end <= t_start and rule.direction in ("FORWARD", "BIDIRECTIONAL"):
        gap = t_start - mod.end
        if (limit is None or gap <= limit) and not any(mod.end <= p < t_start for p in terminators):
            return True
    if t_end <= mod.start and rule.direction in ("BACKWARD", "BIDIRECTIONAL"):
        if rule.category in ("POSSIBLE", "PLANNED") and mod.start - base > 0 and lower[mod.start - base - 1] == "and":
            return False  # "providing aid and may send jets": the hedge is on the second verb only
        gap = mod.start - t_end
        if (limit is None or gap <= limit) and not any(t_end <= p < mod.start for p in terminators):
            return True
    return False


def categories(mods: Sequence[Mention], t_start: int, t_end: int, terminators: Sequence[int],
               lower: Sequence[str], base: int) -> set[str]:
    return {m.label for m in mods if in_scope(m, t_start, t_end, terminators, lower, base)}


def status_of(cats: set[str]) -> str:
    if "DENIED" in cats:
        return "denied"
    if "POSSIBLE" in cats:
        return "possible"
    if "PLANNED" in cats:
        return "planned"
    return "asserted"
