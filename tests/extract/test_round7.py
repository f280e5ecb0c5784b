"""Constructions the seventh round of held-out articles (unseen5_*, ordinary wire copy) showed weak, each
tested in other words than the fixture that showed it."""

from __future__ import annotations

import pytest

from worker.extract import Extractor


def _events(ex: Extractor, text: str) -> list[tuple]:
    out = []
    for e in ex.extract(text, published="2025-03-01"):
        q = e["quantity"]
        out.append((e["supplier"], e["recipient"], e["category"], q and q["value"], e["status"]))
    return out


@pytest.mark.parametrize("text", [
    "Of the North Korean troops sent to the Kursk front, some 3,000 have been killed, a lawmaker said.",
    "Of the soldiers Pyongyang dispatched to Russia, about 300 were captured, Kyiv said.",
])
def test_partitive_losses_are_no_transfer(ex: Extractor, text: str) -> None:
    assert not [e for e in _events(ex, text) if e[2] == "troops"]


@pytest.mark.parametrize("text,value", [
    # a figure of its own in the opening is still what was sent
    ("Of the 12,000 North Korean troops sent to Russia, 4,000 have been killed.", 12000),
    # no partitive opening: the loss word after the comma does not reach back
    ("North Korea has sent 12,000 troops to Russia, where they have suffered heavy losses.", 12000),
])
def test_partitive_losses_negatives(ex: Extractor, text: str, value: int) -> None:
    assert ("PRK", "RUS", "troops", value, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text", [
    "The North Korean units sent to help Moscow have suffered heavy losses, Seoul said.",
    "North Korean soldiers have suffered some 2,000 casualties in Kursk, the spy agency said.",
])
def test_suffered_losses_are_no_transfer(ex: Extractor, text: str) -> None:
    assert not [e for e in _events(ex, text) if e[2] == "troops"]


@pytest.mark.parametrize("text", [
    "North Korea has sent 12,000 troops to Russia, where they have suffered heavy losses.",
    # a relative clause on the item sent: the losses do not undo the sending
    "North Korea has sent 12,000 troops to Russia, who have suffered heavy losses in Kursk, the NIS said.",
])
def test_suffered_does_not_reach_far_back(ex: Extractor, text: str) -> None:
    assert ("PRK", "RUS", "troops", 12000, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text", [
    "Zelensky said any North Korean soldier who joins Russia's war is a legitimate military target.",
    "Kyiv said North Korean troops who join Russian units in Kursk would be legitimate targets.",
])
def test_would_be_targets_is_no_transfer(ex: Extractor, text: str) -> None:
    assert not [e for e in _events(ex, text) if e[2] == "troops"]


@pytest.mark.parametrize("text", [
    "North Korea has sent 10,000 troops to Russia, officials said, and Kyiv says they are legitimate targets.",
    "North Korea has sent 10,000 troops to Russia who joined the fighting in Kursk.",
])
def test_would_be_targets_negatives(ex: Extractor, text: str) -> None:
    assert ("PRK", "RUS", "troops", 10000, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text", [
    "North Korea has sent troops to Russia. The troops have received combat training near the border.",
    "Pyongyang sent soldiers to Russia. The North Korean soldiers had received weeks of training in jamming.",
])
def test_items_that_received_training_are_no_new_transfer(ex: Extractor, text: str) -> None:
    assert len([e for e in _events(ex, text) if e[2] == "troops"]) == 1  # the first sentence only


@pytest.mark.parametrize("text,event", [
    ("Russia has received 1 million shells from North Korea.", ("PRK", "RUS", "artillery_shells", 1000000, "asserted")),
    ("The 1,000 shells Russia has received came from North Korea.",
     ("PRK", "RUS", "artillery_shells", 1000, "asserted")),
])
def test_received_negatives(ex: Extractor, text: str, event: tuple) -> None:
    assert event in _events(ex, text)


@pytest.mark.parametrize("text", [
    "North Korea sent 2,000 workers to Russia. Employers in Siberia said the workers are in great demand.",
    "North Korea sent 2,000 workers to Russia. The labourers were in short supply before the war, a union said.",
])
def test_in_demand_is_no_transfer(ex: Extractor, text: str) -> None:
    assert [e for e in _events(ex, text) if e[2] == "workers"] == [("PRK", "RUS", "workers", 2000, "asserted")]


def test_in_demand_negative(ex: Extractor) -> None:
    text = "North Korea has sent 10,000 workers to Russia, where builders say they are in high demand."
    assert ("PRK", "RUS", "workers", 10000, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text,category", [
    ("The Kremlin denied that Russia supplied oil to North Korea in breach of UN resolutions.", "oil"),
    ("Pyongyang has denied sending artillery shells to Russia in breach of sanctions.", "artillery_shells"),
])
def test_denial_reaches_past_breach(ex: Extractor, text: str, category: str) -> None:
    assert [(e[2], e[4]) for e in _events(ex, text)] == [(category, "denied")]


def test_breach_without_denial_still_no_event(ex: Extractor) -> None:
    text = "Any transfer of fighter jets from Russia to North Korea would be in breach of UN resolutions."
    assert not [e for e in _events(ex, text) if e[2] == "aircraft"]


@pytest.mark.parametrize("text", [
    "Russia and North Korea discussed the labour shortage in Russia's Far East, officials said.",
    "North Korea sent 2,000 workers to Russia. Firms cited labor shortages caused by the war, Moscow said.",
])
def test_labour_shortage_is_no_workers(ex: Extractor, text: str) -> None:
    assert [e for e in _events(ex, text) if e[2] == "workers"] in ([], [("PRK", "RUS", "workers", 2000, "asserted")])


def test_labour_still_workers(ex: Extractor) -> None:
    text = "North Korea has sent North Korean labour to Russia's construction sites, officials said."
    assert [e[2] for e in _events(ex, text)] == ["workers"]


@pytest.mark.parametrize("text", [
    "Russia has supplied fuel to North Korea. UN sanctions limit North Korea's imports of crude oil to 4 million barrels a year.",
    "Russia has supplied fuel to North Korea. Security Council measures cap the North's refined petroleum imports at 500,000 barrels.",
])
def test_sanctions_cap_as_verb_is_no_transfer(ex: Extractor, text: str) -> None:
    assert len([e for e in _events(ex, text) if e[2] == "oil"]) == 1  # the first sentence only


def test_breaking_the_limit_is_still_a_transfer(ex: Extractor) -> None:
    text = "Russia has shipped 1 million barrels of oil to North Korea, breaking the UN limit."
    assert ("RUS", "PRK", "oil", 1000000, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text", [
    "North Korea has sent ballistic missiles to Russia. The Soviet Union supplied tanks and helped with early "
    "missile work in the 1970s, but Moscow cut off aid after 1991.",
    "Pyongyang sent shells to Russia. The USSR funded early drone work in the 1980s, but Moscow cut it off.",
])
def test_work_in_is_no_presence_of_things(ex: Extractor, text: str) -> None:
    assert len(_events(ex, text)) == 1  # the first sentence only


def test_work_in_still_places_people(ex: Extractor) -> None:
    text = "About 5,000 North Korean workers work in Russia's construction sector, officials said."
    assert ("PRK", "RUS", "workers", 5000, "asserted") in _events(ex, text)


@pytest.mark.parametrize("text,value", [
    ("North Korea has shipped more than 100 pieces of artillery to Russia, officials said.", 100),
    ("Pyongyang provided Moscow with about 160 pieces of artillery, including Koksan guns.", 160),
])
def test_pieces_of_artillery_take_the_figure(ex: Extractor, text: str, value: int) -> None:
    assert [(e[2], e[3]) for e in _events(ex, text)] == [("artillery_systems", value)]


def test_pieces_of_artillery_negative(ex: Extractor) -> None:
    assert _events(ex, "Russian gunners fired a piece of artillery at Kharkiv on Monday.") == []


@pytest.mark.parametrize("text,category,value", [
    ("Pyongyang sent 2,000 more soldiers to Russia in March, bringing the total number of its troops stationed "
     "there to roughly 13,000, officials said.", "troops", 13000),
    ("North Korea has sent 500 more workers to Russia, bringing the number of its labourers employed there to 8,000.",
     "workers", 8000),
])
def test_running_total_of_the_counted_item(ex: Extractor, text: str, category: str, value: int) -> None:
    evs = _events(ex, text)
    assert ("PRK", "RUS", category, value, "asserted") in evs
    assert [e for e in ex.extract(text, published="2025-03-01") if e["quantity"] and e["quantity"]["value"] == value][0]["mode"] == "total"


def test_running_total_keeps_the_increment(ex: Extractor) -> None:
    text = "Pyongyang sent 2,000 more soldiers to Russia, bringing the total number of its troops stationed there to 13,000."
    modes = {e["quantity"]["value"]: e["mode"] for e in ex.extract(text, published="2025-03-01")}
    assert modes == {2000: "additional", 13000: "total"}


@pytest.mark.parametrize("text,category", [
    ("Pyongyang may supply Moscow with more artillery shells this year, analysts said.", "artillery_shells"),
    ("North Korea could provide the Kremlin with more ballistic missiles, officials said.", "ballistic_missiles"),
])
def test_hedge_reaches_past_give_with_more(ex: Extractor, text: str, category: str) -> None:
    assert [(e[2], e[4]) for e in _events(ex, text)] == [(category, "possible")]


def test_with_more_still_ends_a_scope(ex: Extractor) -> None:
    text = "North Korea may have sent 11,000 troops to Russia, with more troops to follow."
    evs = [e for e in ex.extract(text, published="2025-03-01") if e["category"] == "troops"]
    assert evs and evs[0]["status"] == "possible"


@pytest.mark.parametrize("text", [
    "Moscow has denied that North Korean soldiers are taking part in combat, TASS reported.",
    "The Kremlin denied that Pyongyang's troops have taken part in the war.",
])
def test_denied_taking_part(ex: Extractor, text: str) -> None:
    assert ("PRK", "RUS", "troops", None, "denied") in _events(ex, text)


def test_taking_part_with_a_third_place_is_no_event(ex: Extractor) -> None:
    text = "Kyiv said North Korean troops are taking part in the fighting in Ukraine alongside Russian forces."
    assert not [e for e in _events(ex, text) if e[2] == "troops"]
