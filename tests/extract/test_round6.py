"""Constructions the sixth round of held-out articles (unseen5_*, ordinary wire coverage) showed weak, each
tested in other words than the fixture that showed it."""

from __future__ import annotations

import pytest

from worker.extract import Extractor


def _since(events: list[dict], category: str) -> set:
    return {e["since"] for e in events if e["category"] == category}


@pytest.mark.parametrize("text,published,since", [
    ("Pyongyang has delivered about 9,000 containers to Russia since September last year, officials said.",
     "2024-03-05", "2023-09"),
    ("Pyongyang has delivered about 9,000 containers to Russia since September of last year, officials said.",
     "2024-03-05", "2023-09"),
    # 'this year' is the publication's year, even for a month after the publication month (no roll-back)
    ("Pyongyang has delivered about 9,000 containers to Russia since January this year.", "2024-03-05", "2024-01"),
    # without 'last year' a later month than the publication's is last year's
    ("Pyongyang has delivered about 9,000 containers to Russia since September.", "2024-03-05", "2023-09"),
])
def test_since_month_last_year(ex: Extractor, text: str, published: str, since: str) -> None:
    assert _since(ex.extract(text, published=published), "containers") == {since}


@pytest.mark.parametrize("text", [
    "Of the 12,000 troops Pyongyang sent to Russia, few had any experience of drone warfare, officials said.",
    "Russia has given North Korean units courses in drone jamming, a defector group said.",
])
def test_drone_warfare_is_no_drone(ex: Extractor, text: str) -> None:
    assert not [e for e in ex.extract(text, published="2025-02-01") if e["category"] == "drones"]


def test_drones_still_move(ex: Extractor) -> None:
    evs = ex.extract("Russia has supplied North Korea with attack drones, Seoul said.", published="2025-02-01")
    assert ("RUS", "PRK", "drones") in {(e["supplier"], e["recipient"], e["category"]) for e in evs}


@pytest.mark.parametrize("text", [
    "Pyongyang has not publicly acknowledged sending soldiers or munitions to Russia.",
    "Moscow has never officially acknowledged receiving North Korean missiles.",
    "The Kremlin has not confirmed the arrival of North Korean troops in Russia.",
])
def test_not_acknowledged_is_no_denial(ex: Extractor, text: str) -> None:
    assert ex.extract(text, published="2025-03-01") == []


def test_denial_still_denies(ex: Extractor) -> None:
    evs = ex.extract("Pyongyang denied sending soldiers to Russia.", published="2025-03-01")
    assert {(e["category"], e["status"]) for e in evs} == {("troops", "denied")}
    evs = ex.extract("North Korea acknowledged in April that it had sent troops to Russia.", published="2025-05-01")
    assert {(e["category"], e["status"]) for e in evs} == {("troops", "asserted")}


@pytest.mark.parametrize("text,category", [
    ("Seoul expects Pyongyang to ship further missiles to Russia in the coming weeks.", "ballistic_missiles"),
    ("Russia may send North Korea fighter jets in the coming years, analysts said.", "aircraft"),
])
def test_the_coming_months_is_time_not_motion(ex: Extractor, text: str, category: str) -> None:
    assert category in {e["category"] for e in ex.extract(text, published="2025-03-01")}


def test_coming_still_moves(ex: Extractor) -> None:
    evs = ex.extract("More North Korean soldiers are coming to Russia, Kyiv said.", published="2025-03-01")
    assert ("PRK", "RUS", "troops") in {(e["supplier"], e["recipient"], e["category"]) for e in evs}


@pytest.mark.parametrize("text", [
    "The Soviet Union supplied tanks and MiG fighters to North Korea in the 1970s.",
    "During the Cold War the USSR delivered oil to Pyongyang at cut-rate prices.",
])
def test_soviet_union_is_not_russia(ex: Extractor, text: str) -> None:
    assert ex.extract(text, published="2025-03-01") == []


def test_russia_still_supplies(ex: Extractor) -> None:
    evs = ex.extract("Russia delivered oil to Pyongyang last month, Seoul said.", published="2025-03-01")
    assert ("RUS", "PRK", "oil") in {(e["supplier"], e["recipient"], e["category"]) for e in evs}


def test_shell_as_a_verb_is_no_item(ex: Extractor) -> None:
    text = "North Korea has shipped KN-23 missiles to Russia, which Moscow has used to shell Zaporizhzhia."
    cats = {e["category"] for e in ex.extract(text, published="2025-03-01")}
    assert "artillery_shells" not in cats and "ballistic_missiles" in cats
