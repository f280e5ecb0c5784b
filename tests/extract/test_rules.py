"""The pattern files' validation: rule data with schema classes that reject what they do not know.

How text is read (numbers, increments, start dates, sentences, relevance) is tested by the cases in
tests/extract/cases/ (test_cases.py)."""

from __future__ import annotations

import json

import pytest

from worker.extract import rules as _patterns
from worker.extract.rules import ModifierRule, PatternError, load_patterns


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
