"""Constructions round 4's held-out articles showed weak, written in other words than those articles so that
the rule and not the sentence is tested: start dates named by an event or counted back, figures written
'1.5k', questions, lists, denials and figures read across a dash or quotes."""

from __future__ import annotations

import pytest

from worker.extract import Extractor


def _one(ex: Extractor, text: str, published: str = "2025-06-15", category: str | None = None) -> dict:
    evs = [e for e in ex.extract(text, published=published) if category is None or e["category"] == category]
    assert len(evs) == 1, evs
    return evs[0]


@pytest.mark.parametrize("text,since", [
    ("Russia has sent North Korea more than 2 million barrels of oil since Moscow's full-scale invasion began.",
     "2022-02"),
    ("Pyongyang has shipped about 12,000 containers to Russia since the outbreak of the war in Ukraine.", "2022-02"),
    ("North Korea has supplied Russia with some 200 ballistic missiles over the past two years.", "2023-06"),
    ("In the last 6 months, Russia has shipped roughly 300,000 barrels of oil to North Korea.", "2024-12"),
    ("North Korea has shipped 5,000 containers to Russia since March of last year.", "2024-03"),
    ("Russia delivered about 400,000 barrels of fuel to North Korea in the first quarter of 2025.", "2025"),
])
def test_start_dates(ex: Extractor, text: str, since: str) -> None:
    ev = _one(ex, text)
    assert ev["mode"] == "total" and ev["since"] == since


def test_months_of_a_year_are_that_year_not_counted_back(ex: Extractor) -> None:
    ev = _one(ex, "Russia shipped 250,000 barrels of oil to North Korea in the last three months of 2024.")
    assert ev["since"] == "2024"


@pytest.mark.parametrize("text", [
    "Did Russia hand North Korea fighter jets last year?",
    "Analysts asked: \"Has Pyongyang shipped more missiles to Moscow?\"",
    "Will Moscow send Pyongyang oil in return? Officials in Seoul would not say.",
])
def test_a_question_asserts_no_transfer(ex: Extractor, text: str) -> None:
    assert ex.extract(text, published="2024-11-20") == []


def test_the_answer_after_a_question_is_read(ex: Extractor) -> None:
    text = "How much oil has Russia sent? Russia has shipped about 1 million barrels of oil to North Korea, the report said."
    ev = _one(ex, text, category="oil")
    assert ev["quantity"]["value"] == 1000000


@pytest.mark.parametrize("text,value,qualifier", [
    ("Moscow has received some 2.5m artillery shells from North Korea, the ministry said.", 2500000, "about"),
    ("Pyongyang sent roughly 15k soldiers to Russia last year.", 15000, "about"),
    ("Russia has shipped over 1.2mn barrels of fuel to North Korea.", 1200000, "more_than"),
])
def test_scale_suffixes(ex: Extractor, text: str, value: int, qualifier: str) -> None:
    q = _one(ex, text)["quantity"]
    assert (q["value"], q["qualifier"]) == (value, qualifier)


def test_a_qualifier_before_another(ex: Extractor) -> None:
    ev = _one(ex, "Kyiv says North Korea has sent about another 2,000 troops to Russia.")
    assert (ev["quantity"]["value"], ev["quantity"]["qualifier"], ev["mode"]) == (2000, "about", "additional")


def _figures(events: list[dict]) -> set[tuple]:
    return {(e["supplier"], e["recipient"], e["category"], e["quantity"]["value"])
            for e in events if e["quantity"] and e["quantity"]["value"] is not None}


def test_a_semicolon_list_after_a_colon(ex: Extractor) -> None:
    text = ("Russia's deliveries to North Korea this year, by Seoul's count: about 500,000 barrels of oil; "
            "some 50,000 tonnes of flour; and an unknown number of air-defence systems.")
    evs = ex.extract(text, published="2025-06-15")
    assert {("RUS", "PRK", "oil", 500000), ("RUS", "PRK", "economic_aid", 50000)} <= _figures(evs)
    assert ("RUS", "PRK", "air_defense") in {(e["supplier"], e["recipient"], e["category"]) for e in evs}


def test_a_semicolon_list_of_clauses_goes_the_way_of_its_first(ex: Extractor) -> None:
    text = ("Officials said Pyongyang had sent Moscow 3,000 containers since June; it had also shipped rocket "
            "launchers; and it planned to send more engineers.")
    got = {(e["supplier"], e["recipient"], e["category"], e["mode"], e["since"]) for e in ex.extract(text, published="2024-11-01")}
    assert ("PRK", "RUS", "containers", "total", "2024-06") in got
    assert ("PRK", "RUS", "artillery_systems", "unspecified", None) in got
    assert ("PRK", "RUS", "troops", "additional", None) in got


def test_a_semicolon_between_clauses_still_parts_them(ex: Extractor) -> None:
    evs = ex.extract("Russia sent oil to North Korea; China, for its part, sold it 20,000 tonnes of rice.",
                     published="2024-11-01")
    assert [(e["supplier"], e["recipient"], e["category"]) for e in evs] == [("RUS", "PRK", "oil")]


def test_a_sentence_naming_no_one_after_a_gap_goes_the_way_of_the_article(ex: Extractor) -> None:
    text = ("Russia has sent North Korea about 600,000 barrels of oil this year, officials said. "
            "The tankers docked at Nampo at night. "
            "Deliveries of fuel are expected to continue through the winter, a diplomat said.")
    evs = [e for e in ex.extract(text, published="2024-11-01") if e["evidence"].startswith("Deliveries")]
    assert [(e["supplier"], e["recipient"], e["category"], e["status"]) for e in evs] == [("RUS", "PRK", "oil", "planned")]


def test_no_article_direction_when_the_article_went_both_ways(ex: Extractor) -> None:
    text = ("Russia has sent North Korea oil, and North Korea has sent Russia shells. "
            "The tankers docked at Nampo at night. "
            "More deliveries of missiles are expected, a diplomat said.")
    assert not [e for e in ex.extract(text, published="2024-11-01") if e["evidence"].startswith("More")]


def test_no_article_direction_for_a_sentence_naming_a_third_party(ex: Extractor) -> None:
    text = ("North Korea has shipped shells to Russia. The trains left at night. "
            "Iran has also delivered drones, officials said.")
    assert [e["category"] for e in ex.extract(text, published="2024-11-01")] == ["artillery_shells"]


@pytest.mark.parametrize("text,values", [
    # a figure in quotes after 'at'
    ("Seoul put the number of North Korean soldiers sent to Russia at \u201cabout 11,000\u201d.", {11000}),
    # an earlier value after a figure that stands after its item
    ("Kyiv put the total of missiles North Korea has delivered to Russia since last year at 250, up from 150 in "
     "its previous assessment.", {250, 150}),
])
def test_figures_after_their_item(ex: Extractor, text: str, values: set) -> None:
    got = {e["quantity"]["value"] for e in ex.extract(text, published="2025-02-01") if e["quantity"]}
    assert got == values


def test_an_aside_on_the_item_holds_no_transfer_word(ex: Extractor) -> None:
    text = "About 50 howitzers, some of them later seen in action near Kursk, were sold to Russia by North Korea."
    (ev,) = ex.extract(text, published="2025-02-01")
    assert (ev["supplier"], ev["recipient"], ev["category"], ev["quantity"]["value"]) == ("PRK", "RUS", "artillery_systems", 50)


def test_a_sentence_naming_only_its_sources_goes_on_with_the_transfer_before(ex: Extractor) -> None:
    text = ("Russia has supplied North Korea with air-defence systems. "
            "Some 20 Pantsir systems were shipped in May, according to Japanese and South Korean officials.")
    figures = {(e["supplier"], e["recipient"], e["category"], e["quantity"]["value"])
               for e in ex.extract(text, published="2025-02-01") if e["quantity"]}
    assert figures == {("RUS", "PRK", "air_defense", 20)}


@pytest.mark.parametrize("text,category", [
    ("Asked if Russia had given North Korea submarine technology, she answered: \u201cWe can't rule it out.\u201d",
     "technology"),
    ("Investigators found scant evidence that North Korea has shipped drones to Russia.", "drones"),
])
def test_hedges_that_are_no_denial(ex: Extractor, text: str, category: str) -> None:
    ev = _one(ex, text, category=category)
    assert ev["status"] == "possible"


def test_refined_products_are_oil_and_cooking_oil_is_food(ex: Extractor) -> None:
    text = ("Russia sent North Korea some 90,000 tonnes of refined products in March, along with 2,000 tonnes of "
            "sunflower oil.")
    got = {(e["category"], e["quantity"]["value"]) for e in ex.extract(text, published="2025-05-01") if e["quantity"]}
    assert got == {("oil", 90000), ("economic_aid", 2000)}
