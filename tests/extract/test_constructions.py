"""Single constructions the held-out articles showed weak: speaker as party, 'sent no', Kim, attribution."""

from __future__ import annotations

import pytest

from worker.extract import Extractor

from .support import keys


@pytest.mark.parametrize("text,expected", [
    ("Moscow said it would supply tanks to North Korea.", ("RUS", "PRK", "armored_vehicles", "planned")),
    ("The Kremlin has said it will send more oil to Pyongyang.", ("RUS", "PRK", "oil", "planned")),
    ("Pyongyang said it had sent no shells to Russia.", ("PRK", "RUS", "artillery_shells", "denied")),
    ("North Korea's troops in Russia now number about 11,000.", ("PRK", "RUS", "troops", "asserted")),
])
def test_speaker_and_negation(ex: Extractor, text: str, expected: tuple) -> None:
    assert expected in keys(ex.extract(text, published="2024-11-20"))


def test_no_fewer_than_is_a_figure_not_a_denial(ex: Extractor) -> None:
    (ev,) = ex.extract("North Korea has sent no fewer than 10,000 troops to Russia.", published="2024-11-20")
    assert ev["status"] == "asserted" and ev["quantity"]["value"] == 10000


@pytest.mark.parametrize("text", [
    "Russia has shipped anti-aircraft missiles to Defence Minister Kim Yong-hyun's team.",
    "Russia is sending oil to Kim Sung-han's ministry, the report said.",
    "Russia may have sent air-defence systems to South Korea's Kim.",
])
def test_south_korean_kim_is_not_north_korea(ex: Extractor, text: str) -> None:
    assert ex.extract(text, published="2024-11-20") == []


@pytest.mark.parametrize("text", [
    "Kim's regime has shipped artillery shells to Russia.",
    "North Korean leader Kim has sent troops to Russia.",
    "Kim Jong Un met Putin. Russia has since sent Kim air-defence systems.",
])
def test_north_korean_kim(ex: Extractor, text: str) -> None:
    assert ex.extract(text, published="2024-11-20")


@pytest.mark.parametrize("text,source", [
    ("North Korea denied it had sent any artillery shells to Russia, calling the reports a fabrication by Washington.",
     None),
    ("Washington estimates that North Korea has shipped more than a million shells to Russia, a State Department "
     "spokesman said.", "State Department spokesman"),
    ("North Korea has sent 10,000 troops to Russia, the Pentagon said.", "Pentagon"),
])
def test_attribution(ex: Extractor, text: str, source) -> None:
    (ev,) = ex.extract(text, published="2024-11-20")
    assert ev["attribution"] == source
