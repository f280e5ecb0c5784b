"""What counts as a change: per-category rule settings, event validation and metric naming.

The comparisons themselves (rules 2-7 of issue 4) run inside the ledger's Lua
script, because they must see and update the current figure atomically. This
module holds everything that can be decided from one event alone, before
Redis is touched:

* validation: a bad event is rejected here, with its reason, and never reaches Redis;
* which events may update a figure (rule 1) and which are increments (rule 7);
* the metric an event belongs to, with its unit normalised per category
  (``worker/data/categories.json``) so "troops" and "soldiers" are one metric;
* the per-category settings the script applies (threshold, decreases, window).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from worker.categories import PARTIES, categories, names
from worker.errors import ConfigError, LedgerError

ACTORS = frozenset(PARTIES)
CATEGORIES = names()  # worker/data/categories.json: the extractor and the ledger read one list
QUALIFIERS = frozenset({"exact", "about", "at_least", "more_than", "up_to", "less_than", "range", "vague"})
MODES = frozenset({"total", "additional", "unspecified"})
STATUSES = frozenset({"asserted", "possible", "planned", "denied"})
FIGURE_STATUSES = frozenset({"asserted", "possible"})  # rule 1: denied and planned never move a figure
FIGURE_MODES = frozenset({"total", "unspecified"})
MAX_VALUE = 1e12  # nothing Russia and North Korea exchange is counted in trillions: such a value is a parse error

_SINCE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class RulesError(ConfigError, ValueError):
    """``rules.json`` (or rules given in code) says something the ledger does not know."""


class RejectedEvent(LedgerError, ValueError):
    """An event that must not reach the ledger; ``str(exc)`` is the reason logged."""


# --- per-category settings ----------------------------------------------------


@dataclass(frozen=True)
class CategoryRule:
    """How one category's figures turn into alerts.

    ``threshold``: relative change above which a figure is news (rules 3-4);
    ``decreases_alert``: whether a lower, newer figure raises ``decrease`` (rule 5);
    ``increment_window_days``: how long a repeated increment stays the same news (rule 7).
    """

    threshold: float = 0.05
    decreases_alert: bool = False
    increment_window_days: float = 30

    def __post_init__(self) -> None:
        if not (0 <= self.threshold < 10):
            raise RulesError(f"threshold {self.threshold!r} must be between 0 and 10")
        if self.increment_window_days < 0:
            raise RulesError(f"increment_window_days {self.increment_window_days!r} must be >= 0")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoryRule:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise RulesError(f"unknown rule keys: {', '.join(sorted(unknown))}")
        return cls(**data)

    def for_script(self) -> dict[str, Any]:
        """The settings as the Lua script reads them (window in seconds)."""
        return {
            "threshold": float(self.threshold),
            "decreases": bool(self.decreases_alert),
            "window": float(self.increment_window_days) * 86400.0,
        }


@dataclass(frozen=True)
class Rules:
    """Per-category rule settings; categories not listed use ``default``."""

    default: CategoryRule = field(default_factory=CategoryRule)
    categories: dict[str, CategoryRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.categories) - set(CATEGORIES)
        if unknown:
            raise RulesError(f"unknown categories in rules: {', '.join(sorted(unknown))}")

    def for_category(self, category: str) -> CategoryRule:
        return self.categories.get(category, self.default)

    @classmethod
    def default_rules(cls) -> Rules:
        """The defaults of issue 4, kept as data in ``alerts/data/rules.json``."""
        return _default_rules()

    @classmethod
    def from_json(cls, path: str | Path) -> Rules:
        """Rules from a JSON file shaped like ``alerts/data/rules.json``."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rules:
        """``{"default": {...}, "categories": {"troops": {"threshold": 0.1}}}``; unknown keys are errors.

        A category's settings start from ``default`` and override what they name.
        """
        data = {k: v for k, v in data.items() if not k.startswith("_")}
        unknown = set(data) - {"default", "categories"}
        if unknown:
            raise RulesError(f"unknown rules keys: {', '.join(sorted(unknown))}")
        default = CategoryRule.from_dict(data.get("default") or {})
        categories = {
            name: CategoryRule.from_dict({**_asdict(default), **(conf or {})})
            for name, conf in (data.get("categories") or {}).items()
        }
        return cls(default=default, categories=categories)


@cache
def _default_rules() -> Rules:
    text = resources.files("alerts").joinpath("data/rules.json").read_text(encoding="utf-8")
    return Rules.from_dict(json.loads(text))


def _asdict(rule: CategoryRule) -> dict[str, Any]:
    return {f.name: getattr(rule, f.name) for f in fields(rule)}


# --- units -----------------------------------------------------------------------


@cache
def unit_table() -> dict[str, dict[str, Any]]:
    """Per category, canonical units and the words that mean them (from ``worker/data/categories.json``)."""
    return {name: {"default": c.default_unit, "other": "keep" if c.keep_other_units else "default",
                   "say_unit": c.say_unit, "units": {unit: list(words) for unit, words in c.units.items()}}
            for name, c in categories().items()}


def normalise_unit(category: str, unit: str | None) -> str:
    """The canonical unit of a figure: 'troops' and 'soldiers' must not make two metrics."""
    conf = unit_table()[category]
    word = " ".join(str(unit or "").lower().replace("_", " ").split())
    if not word:
        return conf["default"]
    # the whole phrase first, then its head noun: "pantsir systems" -> "systems", "tons of rice" -> "tons"
    for candidate in (word, word.split()[-1], word.split(" of ")[0]):
        for canonical, aliases in conf["units"].items():
            if candidate == canonical or candidate in aliases:
                return canonical
    return word if conf.get("other") == "keep" else conf["default"]


def says_unit(category: str) -> bool:
    """Whether a message names the unit ('oil: 1,000,000 barrels') or the category implies it ('troops: 12,000')."""
    return bool(unit_table()[category].get("say_unit"))


# --- validation --------------------------------------------------------------------


def parse_published(value: Any) -> datetime:
    """The article's publication time as an aware UTC datetime; naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise RejectedEvent("published is missing")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RejectedEvent(f"published {value!r} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def check_since(value: Any) -> str | None:
    """``since`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` naming a real date, or null."""
    if value is None:
        return None
    match = _SINCE_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise RejectedEvent(f"since {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        raise RejectedEvent(f"since {value!r} is not a real date") from None
    if not 1900 <= year <= 2200:
        raise RejectedEvent(f"since {value!r} is out of range")
    return value


def check_number(name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RejectedEvent(f"{name} {value!r} is not a number")
    if not math.isfinite(value):
        raise RejectedEvent(f"{name} {value!r} is not finite")
    if value < 0:
        raise RejectedEvent(f"{name} {value!r} is negative")
    if value >= MAX_VALUE:
        raise RejectedEvent(f"{name} {value!r} is absurdly large")
    return int(value) if float(value).is_integer() else float(value)


def validate_event(event: Any) -> dict[str, Any] | None:
    """A cleaned copy of one extractor event, ``None`` when it carries no figure, or :class:`RejectedEvent`.

    An event without a quantity, or with only a vague one ("thousands of"),
    is valid extractor output but not a figure: the ledger skips it quietly.
    """
    if not isinstance(event, dict):
        raise RejectedEvent("event is not an object")
    supplier, recipient = event.get("supplier"), event.get("recipient")
    if supplier not in ACTORS or recipient not in ACTORS or supplier == recipient:
        raise RejectedEvent(f"actors {supplier!r} -> {recipient!r} are not RUS/PRK")
    category = event.get("category")
    if category not in CATEGORIES:
        raise RejectedEvent(f"unknown category {category!r}")
    status = event.get("status") or "asserted"
    if status not in STATUSES:
        raise RejectedEvent(f"unknown status {status!r}")
    mode = event.get("mode") or "unspecified"
    if mode not in MODES:
        raise RejectedEvent(f"unknown mode {mode!r}")
    since = check_since(event.get("since"))
    quantity = event.get("quantity")
    if quantity is None:
        return None
    if not isinstance(quantity, dict):
        raise RejectedEvent("quantity is not an object")
    qualifier = quantity.get("qualifier") or "exact"
    if qualifier not in QUALIFIERS:
        raise RejectedEvent(f"unknown qualifier {qualifier!r}")
    raw_value = quantity.get("value")
    if raw_value is None and qualifier == "vague":
        return None
    if raw_value is None:
        raise RejectedEvent("quantity has no value")
    value = check_number("value", raw_value)
    low = check_number("low", quantity["low"]) if quantity.get("low") is not None else None
    high = check_number("high", quantity["high"]) if quantity.get("high") is not None else None
    return {
        "supplier": supplier,
        "recipient": recipient,
        "category": category,
        "unit": normalise_unit(category, quantity.get("unit")),
        "value": value,
        "low": low,
        "high": high,
        "qualifier": qualifier,
        "text": _text_or_none(quantity.get("text")),
        "mode": mode,
        "since": since,
        "status": status,
        "attribution": _text_or_none(event.get("attribution")),
        "evidence": _text_or_none(event.get("evidence")),
    }


def _text_or_none(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def effect_class(event: dict[str, Any]) -> str:
    """``figure`` (may move the current figure, rule 1), ``increment`` (rule 7) or ``record`` (history only)."""
    if event["status"] not in FIGURE_STATUSES or event["value"] <= 0:
        return "record"
    if event["mode"] == "additional":
        return "increment"
    return "figure" if event["mode"] in FIGURE_MODES else "record"


def metric_id(event: dict[str, Any]) -> str:
    """``PRK:RUS:troops:soldiers``: the metric a validated event belongs to."""
    unit = re.sub(r"[^a-z0-9$_-]+", "_", event["unit"])
    return f"{event['supplier']}:{event['recipient']}:{event['category']}:{unit}"
