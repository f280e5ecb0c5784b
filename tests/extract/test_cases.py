"""Extraction by construction: every case in tests/extract/cases/*.json (format: casefile.py), one test each.

A case with ``known_weak`` is a construction today's extractor does not read yet: a strict expected
failure, so that it turns into a failure the day it starts passing and its ``known_weak`` must go.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from worker.extract import Extractor

from .casefile import Case, CaseError, invariant_errors, load_all, parse_file, unmatched

FILES = load_all()


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.known_weak)] if case.known_weak else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for f in FILES for c in f.cases])
def test_case(ex: Extractor, case: Case) -> None:
    events = ex.extract(case.text, published=case.published)
    assert invariant_errors(case.text, events) == []
    problems = unmatched(case, events)
    assert not problems, f"{case.id}: {case.why}\n  " + "\n  ".join(problems)


# --- the format itself ----------------------------------------------------------

GOOD: dict[str, Any] = {
    "construction": "example",
    "about": "a file the schema accepts",
    "cases": [{"text": "North Korea has sent 12,000 troops to Russia.", "published": "2024-12-01",
               "why": "the plain case",
               "expect": [{"supplier": "PRK", "recipient": "RUS", "category": "troops", "value": 12000,
                           "qualifier": "exact", "mode": "total", "status": "asserted", "since": None,
                           "evidence": "North Korea has sent 12,000 troops to Russia."}]}],
}


def _bad(edit) -> dict:
    data = copy.deepcopy(GOOD)
    edit(data)
    return data


def test_good_file_loads() -> None:
    (case,) = parse_file("example", GOOD).cases
    assert case.id == "example:1" and not case.extra_ok and case.known_weak is None


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.update(colour="red"), "unknown key"),
    (lambda d: d["cases"][0].update(expected=[]), "unknown key"),
    (lambda d: d["cases"][0]["expect"][0].update(quantity=5), "unknown key"),
    (lambda d: d.update(construction="other"), "differs from the file name"),
    (lambda d: d["cases"][0]["expect"][0].update(category="missiles"), "unknown category"),
    (lambda d: d["cases"][0]["expect"][0].update(status="confirmed"), "unknown status"),
    (lambda d: d["cases"][0]["expect"][0].update(mode="cumulative"), "unknown mode"),
    (lambda d: d["cases"][0]["expect"][0].update(qualifier="approximately"), "unknown qualifier"),
    (lambda d: d["cases"][0]["expect"][0].update(supplier="IRN"), "is not one of"),
    (lambda d: d["cases"][0]["expect"][0].update(recipient="PRK"), "are both"),
    (lambda d: d["cases"][0]["expect"][0].pop("category"), "missing key"),
    (lambda d: d["cases"][0]["expect"][0].update(value="12,000"), "non-negative number"),
    (lambda d: d["cases"][0]["expect"][0].update(since="Aug 2023"), "since"),
    (lambda d: d["cases"][0]["expect"][0].update(qualifier="range"), "a range names low and high"),
    (lambda d: d["cases"][0]["expect"][0].update(qualifier="vague"), "value null"),
    (lambda d: d["cases"][0]["expect"][0].update(evidence="Russia sent troops."), "not in the text"),
    (lambda d: d["cases"][0].update(published="20 Nov 2024"), "published"),
    (lambda d: d["cases"][0].update(extra_ok="yes"), "extra_ok"),
    (lambda d: d["cases"][0].update(expect=[], extra_ok=True), "asserts nothing"),
    (lambda d: d["cases"][0].update(absent=[{}]), "at least one field"),
    (lambda d: d["cases"][0].update(absent=[{"figure": 1}]), "true or false"),
    (lambda d: d["cases"][0].update(known_weak=""), "non-empty string"),
    (lambda d: d.update(cases=[]), "non-empty list"),
    (lambda d: d["cases"][0].update(why=" "), "non-empty string"),
])
def test_schema_rejects(edit, message: str) -> None:
    with pytest.raises(CaseError, match=message):
        parse_file("example", _bad(edit))


def _event(category: str, value, mode: str = "total") -> dict:
    quantity = None if value is None else {"value": value, "low": value, "high": None, "qualifier": "exact",
                                           "unit": None, "text": f"{value:,}"}
    return {"supplier": "PRK", "recipient": "RUS", "category": category, "quantity": quantity, "mode": mode,
            "since": None, "status": "asserted", "attribution": None}


def _case(expect: list[dict], extra_ok: bool = False, absent: list[dict] | None = None) -> Case:
    data = copy.deepcopy(GOOD)
    data["cases"][0].update(expect=expect, extra_ok=extra_ok)
    if absent is not None:
        data["cases"][0]["absent"] = absent
    return parse_file("example", data).cases[0]


TROOPS = {"supplier": "PRK", "recipient": "RUS", "category": "troops"}


def test_matching_is_one_to_one() -> None:
    two = _case([dict(TROOPS), dict(TROOPS, value=12000)])
    (problem,) = unmatched(two, [_event("troops", 12000)])  # one event cannot stand for two
    assert problem.startswith("missing")
    # the general expectation must not take the only event the specific one fits
    assert unmatched(two, [_event("troops", 12000), _event("troops", None)]) == []
    one = _case([dict(TROOPS, value=12000)])
    assert unmatched(one, [_event("troops", 12000), _event("troops", None)])[0].startswith("unexpected")


def test_extra_ok_allows_more_events_and_absent_forbids_some() -> None:
    events = [_event("troops", 12000), _event("workers", None)]
    assert unmatched(_case([dict(TROOPS, value=12000)], extra_ok=True), events) == []
    assert unmatched(_case([dict(TROOPS)], extra_ok=True, absent=[{"category": "workers"}]), events)
    assert unmatched(_case([dict(TROOPS)], extra_ok=True, absent=[{"figure": True, "category": "workers"}]),
                     events) == []


def test_value_null_is_no_figure_and_qualifier_null_no_quantity() -> None:
    vague = dict(_event("troops", None), quantity={"value": None, "low": 1000, "high": None,
                                                   "qualifier": "vague", "unit": None, "text": "thousands of"})
    assert unmatched(_case([dict(TROOPS, value=None)]), [vague]) == []
    assert unmatched(_case([dict(TROOPS, value=None, qualifier=None)]), [vague])
    assert unmatched(_case([]), [vague])


def test_invariants_catch_a_span_off_the_evidence() -> None:
    text = "North Korea has sent 12,000 troops to Russia."
    ev = dict(_event("troops", 12000), evidence=text, span=[0, len(text) - 1])
    assert invariant_errors(text, [ev])
    assert invariant_errors(text, [dict(ev, span=[0, len(text)])]) == []
    assert invariant_errors(text, [dict(ev, span=[0, len(text)], supplier="IRN")])


def test_case_ids_are_unique_and_cases_differ() -> None:
    ids = [c.id for f in FILES for c in f.cases]
    assert len(ids) == len(set(ids))
    texts = [(c.text, c.published) for f in FILES for c in f.cases]
    assert len(texts) == len(set(texts)), "the same text and date twice"
