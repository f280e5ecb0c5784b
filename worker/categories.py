"""The transfer categories (``worker/data/categories.json``), defined once for the extractor and the ledger.

Each category says what moves, which way such things go between Russia and North Korea when a sentence
gives no cue (its *prior*, with the month from which it holds), and how the ledger names its units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from worker.errors import ConfigError

PARTIES = ("RUS", "PRK")
_KEYS = {"about", "prior", "default", "other", "say_unit", "units"}


class CategoryError(ConfigError, ValueError):
    """``categories.json`` is malformed: names the category and the problem."""


@dataclass(frozen=True)
class Prior:
    supplier: str
    recipient: str
    since: str  # "YYYY-MM": the prior holds for articles published from this month on

    def holds_on(self, month: str | None) -> bool:
        """Does the prior hold for an article of ``month`` ("YYYY-MM"; None: unknown, it holds)?"""
        return month is None or month >= self.since


@dataclass(frozen=True)
class Category:
    name: str
    about: str
    priors: tuple[Prior, ...]  # none: the category goes both ways, and only the sentence can say which
    default_unit: str
    keep_other_units: bool
    say_unit: bool
    units: dict[str, tuple[str, ...]]  # canonical unit -> the words that mean it

    def prior_on(self, month: str | None) -> Prior | None:
        """The latest prior holding on ``month``."""
        held = [p for p in self.priors if p.holds_on(month)]
        return max(held, key=lambda p: p.since) if held else None

    @classmethod
    def from_dict(cls, name: str, d: Any) -> Category:
        where = f"categories.json: {name}"
        if not isinstance(d, dict):
            raise CategoryError(f"{where}: expected an object")
        unknown, missing = set(d) - _KEYS, _KEYS - set(d)
        if unknown or missing:
            raise CategoryError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
        priors = []
        for p in d["prior"]:
            if not isinstance(p, dict) or set(p) != {"supplier", "recipient", "since"} \
                    or {p["supplier"], p["recipient"]} != set(PARTIES) or len(str(p["since"])) != 7:
                raise CategoryError(f"{where}: a prior is {{supplier, recipient, since: YYYY-MM}} between RUS and PRK")
            priors.append(Prior(p["supplier"], p["recipient"], p["since"]))
        if d["other"] not in ("default", "keep"):
            raise CategoryError(f"{where}: 'other' must be 'default' or 'keep'")
        units = {str(u): tuple(str(w).lower() for w in words) for u, words in d["units"].items()}
        return cls(name, str(d["about"]), tuple(priors), str(d["default"]), d["other"] == "keep", bool(d["say_unit"]),
                   units)


@cache
def categories() -> dict[str, Category]:
    """Every category by name, in the order of events.md; read and checked once per process."""
    text = resources.files("worker").joinpath("data/categories.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {name: Category.from_dict(name, d) for name, d in data["categories"].items()}


def names() -> tuple[str, ...]:
    return tuple(categories())
