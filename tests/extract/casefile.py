"""Extraction cases as data: ``tests/extract/cases/<construction>.json``, one file per construction family.

A file::

    {"construction": "numbers_ranges_qualifiers",        # the file's own name, without .json
     "about": "what this family is and why it matters",
     "cases": [{"text": "...", "published": "2024-11-20", "why": "what the case tests",
                "expect": [{"supplier": "PRK", "recipient": "RUS", "category": "troops", "value": 12000}],
                "extra_ok": false,                        # optional, default false
                "absent": [{"category": "aircraft"}],     # optional
                "known_weak": "what today's extractor gets wrong"}]}   # optional

An expected event is *partial*: it names ``supplier``, ``recipient`` and ``category`` and any of
``value``, ``low``, ``high``, ``qualifier`` (the quantity's fields), ``mode``, ``status``, ``since``,
``attribution`` and ``evidence`` (the sentence the event is read from); a field it does not name is not
compared. ``"value": null`` means the event carries no figure (no quantity, or a vague one);
``"qualifier": null`` means no quantity at all.

Matching (:func:`unmatched`): by default the extracted events match ``expect`` one to one: as many
events as expected, each expected event matched by a distinct extracted event whose named fields are
equal. ``extra_ok: true`` only asks that every expected event is found by a distinct event.
``expect: []`` (without ``extra_ok``) means no event at all. ``absent`` lists patterns no extracted event
may match; a pattern names any of the fields above (supplier, recipient and category are optional there)
and may say ``"figure": true`` (the event carries a figure) or ``false``.

:class:`CaseError` is raised for what the schema does not know: an unknown key, a category, status, mode
or qualifier that ``spec/events.md`` does not list, a date in the wrong form, a range without its bounds.
The names come from ``alerts.rules``, the ledger's reading of events.md, so they are defined once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from alerts.rules import ACTORS, CATEGORIES, MODES, QUALIFIERS, STATUSES, RejectedEvent, validate_event
from worker.extract.rules import check_keys

CASES_DIR = Path(__file__).parent / "cases"

_SINCE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_PARTIAL_KEYS = {"supplier", "recipient", "category", "value", "low", "high", "qualifier", "unit", "mode", "status",
                 "since", "attribution", "evidence"}
_QUANTITY_KEYS = ("value", "low", "high", "qualifier", "unit")
_CASE_KEYS = {"text", "published", "why", "expect", "extra_ok", "absent", "known_weak"}
_FILE_KEYS = {"construction", "about", "cases"}
# the fields every extracted event carries (spec/events.md, "One event, as JSON"); more are allowed
_EVENT_KEYS = {"supplier", "recipient", "category", "quantity", "mode", "since", "status", "attribution",
               "evidence", "span"}


class CaseError(ValueError):
    """A case file the schema does not accept; the message says where and why."""


@dataclass(frozen=True)
class Case:
    construction: str
    number: int  # position in its file, from 1
    text: str
    published: str
    why: str
    expect: tuple[dict[str, Any], ...]
    extra_ok: bool = False
    absent: tuple[dict[str, Any], ...] = ()
    known_weak: str | None = None

    @property
    def id(self) -> str:
        return f"{self.construction}:{self.number}"


@dataclass(frozen=True)
class CaseFile:
    construction: str
    about: str
    cases: tuple[Case, ...]


# --- schema -------------------------------------------------------------------


def _keys(where: str, d: Any, allowed: set[str], required: set[str]) -> None:
    check_keys(where, d, allowed, required, CaseError)


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CaseError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _number_or_null(where: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise CaseError(f"{where}: expected a non-negative number or null, got {value!r}")


def _fields(where: str, d: dict[str, Any], text: str) -> None:
    """The values of a partial event or pattern, whichever of them it names."""
    for side in ("supplier", "recipient"):
        if side in d and d[side] not in ACTORS:
            raise CaseError(f"{where}: {side} {d[side]!r} is not one of {sorted(ACTORS)}")
    if "supplier" in d and "recipient" in d and d["supplier"] == d["recipient"]:
        raise CaseError(f"{where}: supplier and recipient are both {d['supplier']!r}")
    if "category" in d and d["category"] not in CATEGORIES:
        raise CaseError(f"{where}: unknown category {d['category']!r}; known: {', '.join(CATEGORIES)}")
    for k in ("value", "low", "high"):
        if k in d:
            _number_or_null(f"{where}.{k}", d[k])
    if "qualifier" in d and d["qualifier"] is not None and d["qualifier"] not in QUALIFIERS:
        raise CaseError(f"{where}: unknown qualifier {d['qualifier']!r}; known: {sorted(QUALIFIERS)}")
    if "mode" in d and d["mode"] not in MODES:
        raise CaseError(f"{where}: unknown mode {d['mode']!r}; known: {sorted(MODES)}")
    if "status" in d and d["status"] not in STATUSES:
        raise CaseError(f"{where}: unknown status {d['status']!r}; known: {sorted(STATUSES)}")
    if "since" in d and d["since"] is not None and not (isinstance(d["since"], str) and _SINCE.match(d["since"])):
        raise CaseError(f"{where}: since {d['since']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if "attribution" in d and d["attribution"] is not None:
        _text(f"{where}.attribution", d["attribution"])
    if "evidence" in d and _text(f"{where}.evidence", d["evidence"]) not in text:
        raise CaseError(f"{where}: evidence {d['evidence']!r} is not in the text")
    qualifier = d.get("qualifier")
    if qualifier == "vague" and d.get("value") is not None:
        raise CaseError(f"{where}: a vague figure has value null (its floor is 'low')")
    if qualifier == "range":
        if d.get("low") is None or d.get("high") is None or d.get("value") != d["high"]:
            raise CaseError(f"{where}: a range names low and high, and value is the upper bound")


def _partial(where: str, d: Any, text: str) -> dict[str, Any]:
    _keys(where, d, _PARTIAL_KEYS, {"supplier", "recipient", "category"})
    _fields(where, d, text)
    return dict(d)


def _pattern(where: str, d: Any, text: str) -> dict[str, Any]:
    _keys(where, d, _PARTIAL_KEYS | {"figure"}, set())
    if not d:
        raise CaseError(f"{where}: an absent pattern names at least one field")
    if "figure" in d and not isinstance(d["figure"], bool):
        raise CaseError(f"{where}: figure is true or false, got {d['figure']!r}")
    _fields(where, d, text)
    return dict(d)


def _case(construction: str, number: int, d: Any) -> Case:
    where = f"{construction}:{number}"
    _keys(where, d, _CASE_KEYS, {"text", "published", "why", "expect"})
    text = _text(f"{where}.text", d["text"])
    published = _text(f"{where}.published", d["published"])
    try:
        if len(published) != 10:
            raise ValueError(published)
        date.fromisoformat(published)
    except ValueError:
        raise CaseError(f"{where}: published {published!r} is not YYYY-MM-DD") from None
    why = _text(f"{where}.why", d["why"])
    if not isinstance(d["expect"], list):
        raise CaseError(f"{where}: expect is a list of partial events")
    expect = tuple(_partial(f"{where}.expect[{i}]", e, text) for i, e in enumerate(d["expect"]))
    extra_ok = d.get("extra_ok", False)
    if not isinstance(extra_ok, bool):
        raise CaseError(f"{where}: extra_ok is true or false, got {extra_ok!r}")
    if not isinstance(d.get("absent", []), list):
        raise CaseError(f"{where}: absent is a list of patterns")
    absent = tuple(_pattern(f"{where}.absent[{i}]", p, text) for i, p in enumerate(d.get("absent", [])))
    if extra_ok and not expect and not absent:
        raise CaseError(f"{where}: extra_ok with nothing expected and nothing absent asserts nothing")
    known_weak = d.get("known_weak")
    if known_weak is not None:
        _text(f"{where}.known_weak", known_weak)
    return Case(construction, number, text, published, why, expect, extra_ok, absent, known_weak)


def parse_file(construction: str, data: Any) -> CaseFile:
    """One case file's JSON, checked; ``construction`` is the file's name without ``.json``."""
    _keys(construction, data, _FILE_KEYS, _FILE_KEYS)
    if data["construction"] != construction:
        raise CaseError(f"{construction}: construction {data['construction']!r} differs from the file name")
    about = _text(f"{construction}.about", data["about"])
    if not isinstance(data["cases"], list) or not data["cases"]:
        raise CaseError(f"{construction}: cases is a non-empty list")
    cases = tuple(_case(construction, i, c) for i, c in enumerate(data["cases"], start=1))
    return CaseFile(construction, about, cases)


def load_file(path: Path) -> CaseFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CaseError(f"{path.name}: not JSON: {exc}") from None
    return parse_file(path.stem, data)


def load_all(directory: Path = CASES_DIR) -> list[CaseFile]:
    files = [load_file(p) for p in sorted(directory.glob("*.json"))]
    if not files:
        raise CaseError(f"no case files in {directory}")
    return files


# --- matching -----------------------------------------------------------------


def _field(event: dict[str, Any], key: str) -> Any:
    if key in _QUANTITY_KEYS:
        return (event.get("quantity") or {}).get(key)
    return event.get(key)


def _has_figure(event: dict[str, Any]) -> bool:
    return _field(event, "value") is not None


def fits(want: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether ``event`` has every field ``want`` names (``figure``: whether it carries a figure)."""
    for key, value in want.items():
        got = _has_figure(event) if key == "figure" else _field(event, key)
        if got != value:
            return False
    return True


def _assignment(expect: tuple[dict, ...], events: list[dict]) -> list[int | None]:
    """For each expected event, the index of a distinct extracted event that fits it (a maximum matching)."""
    owner: dict[int, int] = {}  # extracted index -> expected index

    def place(i: int, seen: set[int]) -> bool:
        for j, ev in enumerate(events):
            if j not in seen and fits(expect[i], ev):
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(expect)):
        place(i, set())
    by_expected: list[int | None] = [None] * len(expect)
    for j, i in owner.items():
        by_expected[i] = j
    return by_expected


def unmatched(case: Case, events: list[dict]) -> list[str]:
    """What keeps ``events`` from matching ``case``, one line each; ``[]`` when they match."""
    problems = []
    assignment = _assignment(case.expect, events)
    for want, got in zip(case.expect, assignment, strict=True):
        if got is None:
            problems.append(f"missing {want}")
    if not case.extra_ok:
        used = {j for j in assignment if j is not None}
        for j, ev in enumerate(events):
            if j not in used:
                problems.append(f"unexpected {brief(ev)}")
    for pattern in case.absent:
        for ev in events:
            if fits(pattern, ev):
                problems.append(f"absent {pattern} but got {brief(ev)}")
    return problems


def brief(event: dict[str, Any]) -> dict[str, Any]:
    """An extracted event in the partial form, for messages."""
    out = {k: event.get(k) for k in ("supplier", "recipient", "category")}
    out.update({k: _field(event, k) for k in _QUANTITY_KEYS})
    out.update({k: event.get(k) for k in ("mode", "status", "since", "attribution")})
    return out


# --- invariants ---------------------------------------------------------------


def invariant_errors(text: str, events: list[dict]) -> list[str]:
    """What is wrong with extracted events whatever the case expects: fields, span and evidence."""
    errors = []
    for n, ev in enumerate(events):
        where = f"event {n}"
        if not isinstance(ev, dict):
            errors.append(f"{where}: not an object")
            continue
        missing = _EVENT_KEYS - set(ev)
        if missing:
            errors.append(f"{where}: missing field(s) {sorted(missing)}")
            continue
        try:
            validate_event(ev)  # what the ledger checks before an event reaches Redis
        except RejectedEvent as exc:
            errors.append(f"{where}: the ledger would reject it: {exc}")
        if {ev["supplier"], ev["recipient"]} != set(ACTORS):
            errors.append(f"{where}: parties {ev['supplier']!r} -> {ev['recipient']!r} are not RUS and PRK")
        if ev["since"] is not None and not (isinstance(ev["since"], str) and _SINCE.match(ev["since"])):
            errors.append(f"{where}: since {ev['since']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if ev["attribution"] is not None and not (isinstance(ev["attribution"], str) and ev["attribution"].strip()):
            errors.append(f"{where}: attribution {ev['attribution']!r} is neither null nor a name")
        errors += [f"{where}: {e}" for e in _span_errors(text, ev)]
        errors += [f"{where}: {e}" for e in _quantity_errors(ev)]
        try:
            json.dumps(ev)
        except (TypeError, ValueError) as exc:
            errors.append(f"{where}: not JSON: {exc}")
    return errors


def _span_errors(text: str, ev: dict[str, Any]) -> list[str]:
    span, evidence = ev["span"], ev["evidence"]
    if not (isinstance(span, (list, tuple)) and len(span) == 2 and all(type(x) is int for x in span)):
        return [f"span {span!r} is not two offsets"]
    start, end = span
    if not 0 <= start < end <= len(text):
        return [f"span {span!r} lies outside the text ({len(text)} characters)"]
    if text[start:end] != evidence:
        return [f"evidence {evidence!r} is not the text at {span!r} ({text[start:end]!r})"]
    if evidence != evidence.strip():
        return [f"evidence {evidence!r} starts or ends with white space"]
    return []


def _quantity_errors(ev: dict[str, Any]) -> list[str]:
    q = ev["quantity"]
    if q is None:
        return []
    if not isinstance(q, dict):
        return [f"quantity {q!r} is neither null nor an object"]
    missing = {"value", "low", "high", "qualifier", "unit", "text"} - set(q)
    if missing:
        return [f"quantity lacks {sorted(missing)}"]
    errors = []
    value, low, high, qualifier = q["value"], q["low"], q["high"], q["qualifier"]
    if qualifier == "vague":
        if value is not None or low is None:
            errors.append(f"a vague quantity has value null and a floor in low: {q}")
    elif value is None:
        errors.append(f"a {qualifier} quantity has a value: {q}")
    if qualifier == "range" and not (low is not None and high is not None and low <= high == value):
        errors.append(f"a range has low <= high == value: {q}")
    if not (isinstance(q["text"], str) and q["text"] and q["text"] in ev["evidence"]):
        errors.append(f"quantity text {q['text']!r} is not in the evidence")
    return errors
