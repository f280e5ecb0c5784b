"""Messy input never raises, yields no events, and takes bounded time."""

from __future__ import annotations

import os
import time

import pytest

from worker.extract import Extractor


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.mark.parametrize("text", [
    "",
    "   \n\t ",
    None,
    12345,
    "\x00\x01\x02binary\xff\xfe" * 100,
    "Северная Корея и Россия провели переговоры в Москве. 북한과 러시아가 회담했다.",
    "<html><body><div class='nav'>Home | World</div><script>var x = 1;</script></body></html>",
    "Russia " * 50000,
])
def test_bad_input_gives_no_event(extractor: Extractor, text) -> None:
    assert extractor.extract(text) == []


def test_binary_junk(extractor: Extractor) -> None:
    assert extractor.extract(os.urandom(200_000).decode("latin-1")) == []


def test_huge_text_is_bounded(extractor: Extractor) -> None:
    text = ("Lorem ipsum dolor sit amet, North Korea and Russia and shells. " * 170_000)[:10_000_000]
    t0 = time.perf_counter()
    events = extractor.extract(text)
    assert time.perf_counter() - t0 < 30
    assert isinstance(events, list)


def test_bad_published_date(extractor: Extractor) -> None:
    events = extractor.extract("North Korea has sent 3,000 troops to Russia since August.", published="not a date")
    assert events and events[0]["since"] is None
