"""Fixture articles (tests/fixtures/articles/*.json, written for these tests) with their expected events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from worker.extract import Extractor

ARTICLES = sorted((Path(__file__).parent.parent / "fixtures" / "articles").glob("*.json"))
CATEGORIES = {"troops", "workers", "artillery_shells", "containers", "ballistic_missiles", "air_defense",
              "artillery_systems", "armored_vehicles", "aircraft", "drones", "oil", "economic_aid", "technology",
              "weapons_other"}


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _matches(exp: dict, ev: dict) -> bool:
    for k in ("supplier", "recipient", "category", "mode", "since", "status"):
        if k in exp and ev[k] != exp[k]:
            return False
    q = ev["quantity"] or {}
    for k in ("value", "low", "qualifier"):
        if k in exp and q.get(k) != exp[k]:
            return False
    return True


def check_invariants(text: str, events: list[dict]) -> None:
    for ev in events:
        assert {ev["supplier"], ev["recipient"]} == {"RUS", "PRK"}
        assert ev["category"] in CATEGORIES
        assert ev["mode"] in ("total", "additional", "unspecified")
        assert ev["status"] in ("asserted", "possible", "planned", "denied")
        s, e = ev["span"]
        assert text[s:e] == ev["evidence"]
        json.dumps(ev)


def _article_param(path: Path):
    """One fixture article; a construction not read yet (``known_weak``) is a strict expected failure."""
    weak = json.loads(path.read_text(encoding="utf-8")).get("known_weak")
    marks = [pytest.mark.xfail(strict=True, reason=weak)] if weak else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_article_param(p) for p in ARTICLES])
def test_fixture_article(extractor: Extractor, path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    events = extractor.extract(case["text"], published=case.get("published"))
    check_invariants(case["text"], events)
    for exp in case["expected"]:
        assert any(_matches(exp, ev) for ev in events), f"{path.name}: {case['description']}: missing {exp} in {events}"
    if not case["expected"]:
        assert events == [], f"{path.name}: expected no events, got {events}"
    figures = [ev for ev in events if ev["quantity"] and ev["quantity"]["value"] is not None]
    expected_values = {exp.get("value") for exp in case["expected"]}
    for ev in figures:
        assert ev["quantity"]["value"] in expected_values, f"{path.name}: unexpected figure {ev}"


def test_extract_many_keeps_order(extractor: Extractor) -> None:
    recs = [json.loads(p.read_text(encoding="utf-8")) for p in ARTICLES]
    many = list(extractor.extract_many(recs))
    assert len(many) == len(recs)
    for rec, events in zip(recs, many, strict=True):
        assert events == extractor.extract(rec["text"], published=rec.get("published"))


def test_title_is_not_read(extractor: Extractor) -> None:
    assert extractor.extract("", title="North Korea sent 5,000 troops to Russia") == []
