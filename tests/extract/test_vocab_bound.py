"""A long-running worker's spaCy vocab stays bounded, and rebuilding it changes no result."""

from __future__ import annotations

import random

from worker.extract import Extractor

_SYLLABLES = ["ka", "ro", "mi", "tan", "vel", "do", "shi", "ber", "lu", "nak", "zo", "pre", "stal", "gun", "yeo"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()


def _articles(n: int) -> list[dict]:
    """Articles full of names spaCy has never seen, as news is."""
    rng = random.Random(5)
    out = []
    for _ in range(n):
        text = (f"North Korea has sent {rng.randint(2, 90) * 100:,} troops to Russia since March 2024, "
                f"{_name(rng)} {_name(rng)} of the {_name(rng)} Institute said in {_name(rng)}. "
                f"Officials in {_name(rng)} and {_name(rng)} declined to comment.")
        out.append({"text": text, "published": "2024-06-01"})
    return out


def test_vocab_is_rebuilt_past_its_bound_with_the_same_results() -> None:
    fresh = Extractor()
    base = len(fresh.nlp.vocab.strings)
    bounded = Extractor(max_strings=base + 300)
    articles = _articles(200)  # ~1,200 new names: the bound is passed several times

    results = list(bounded.extract_many(articles))

    assert bounded.rebuilds >= 2
    # a bound is checked after each batch (32 articles, < 300 new words here)
    assert len(bounded.nlp.vocab.strings) <= base + 300 + 32 * 10
    assert results == list(fresh.extract_many(articles))
    assert all(len(events) == 1 for events in results)
