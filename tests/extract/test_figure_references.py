"""Figures and items read through a reference: a pronoun, a partitive, an earlier value, a relative clause,
a sentence naming no one, and what a transfer is said to help make. Written in other words than the
fixture articles that showed each construction weak, so that the rule and not the sentence is tested."""

from __future__ import annotations

import pytest

from worker.extract import Extractor

from .support import figures, keys


@pytest.mark.parametrize("text,expected", [
    # a pronoun for the item of the sentence before
    ("Pyongyang has dispatched engineers to Russia, officials said. About 2,000 of them are clearing mines.",
     ("PRK", "RUS", "troops", 2000, "total")),
    # a partitive on the item
    ("North Korea has sent KN-23 missiles to Russia. Russia has obtained up to 60 of the missiles so far.",
     ("PRK", "RUS", "ballistic_missiles", 60, "total")),
    # an earlier value of the same figure
    ("Russia has delivered about 900,000 barrels of oil to North Korea, up from 600,000 in June.",
     ("RUS", "PRK", "oil", 600000, "total")),
    # a figure followed by 'it sent'
    ("Pyongyang sent another 2,000 soldiers to Russia, on top of the 10,000 it deployed in the autumn.",
     ("PRK", "RUS", "troops", 10000, "total")),
    # a total set with 'the number of ... to'
    ("The new arrivals raise the number of North Korean troops in Russia to roughly 13,000.",
     ("PRK", "RUS", "troops", 13000, "total")),
    # what the containers hold, in a relative clause
    ("North Korea sent 7,000 containers to Russia last year, which may contain 2 million shells.",
     ("PRK", "RUS", "artillery_shells", 2000000, "total")),
    # a participle on the item names the supplier
    ("Moscow has used 40 ballistic missiles provided by North Korea against Kyiv.",
     ("PRK", "RUS", "ballistic_missiles", 40, "total")),
    # workers at a place in Russia
    ("Some 3,000 North Korean workers are employed at factories in Khabarovsk.",
     ("PRK", "RUS", "workers", 3000, "total")),
])
def test_figure_through_a_reference(ex: Extractor, text: str, expected: tuple) -> None:
    assert expected in figures(ex.extract(text, published="2024-12-01"))


def test_pronoun_for_losses_is_no_figure(ex: Extractor) -> None:
    text = "North Korea sent 11,000 troops to Russia. About 3,000 of them have been killed or wounded."
    assert figures(ex.extract(text, published="2024-12-01")) == {("PRK", "RUS", "troops", 11000, "total")}


@pytest.mark.parametrize("text,expected", [
    ("Washington fears Russian help for Pyongyang's space and satellite programs.",
     ("RUS", "PRK", "technology", "asserted")),
    ("Moscow is helping North Korea build attack drones, Kyiv says.", ("RUS", "PRK", "technology", "asserted")),
    ("Tokyo is watching for signs that Moscow may hand over fighter jets to Pyongyang.",
     ("RUS", "PRK", "aircraft", "possible")),
    ("Russia has delivered anti-aircraft missile systems to the North.", ("RUS", "PRK", "air_defense", "asserted")),
])
def test_item_through_a_construction(ex: Extractor, text: str, expected: tuple) -> None:
    assert expected in keys(ex.extract(text, published="2024-12-01"))


def test_sentence_naming_no_one_carries_the_transfer_on(ex: Extractor) -> None:
    text = ("North Korea is supplying Russia with shells, the Pentagon said. Officials believe at least "
            "2,000 containers of munitions have crossed the border by rail.")
    assert ("PRK", "RUS", "containers", 2000, "total") in figures(ex.extract(text, published="2024-12-01"))


def test_third_party_sentence_breaks_the_chain(ex: Extractor) -> None:
    text = ("Russia's defence minister visited Pyongyang. Germany delivered tanks to Ukraine. "
            "Analysts said North Korea could export its missiles to other buyers.")
    assert ex.extract(text, published="2024-12-01") == []


def test_one_event_for_joined_items_without_figures(ex: Extractor) -> None:
    text = "North Korea could supply more howitzers and multiple rocket launchers to Russia."
    events = [e for e in ex.extract(text, published="2024-12-01") if e["category"] == "artillery_systems"]
    assert len(events) == 1 and events[0]["mode"] == "additional"
