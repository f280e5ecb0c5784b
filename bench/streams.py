"""Synthetic article streams for the service benchmarks, made from our own templates.

Relevant articles report a North Korea -> Russia figure in one of several
phrasings; the others are everyday news. Numbers, names and dates vary so
that no two texts are the same (spaCy's tokenizer caches repeated strings).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

RELEVANT = [
    "North Korea has sent {n:,} troops to Russia, {src} said on {day}.",
    "About {n:,} North Korean soldiers are now in Russia, according to {src}.",
    "Pyongyang has shipped more than {n:,} containers of munitions to Russia since {month} {year}, {src} said.",
    "{src} said North Korea had supplied up to {n:,} artillery shells to Moscow.",
    "Russia has delivered some {n:,} barrels of oil to North Korea this year, {src} said on {day}.",
]
CONTEXT = [
    "The {adj} deployment has alarmed officials in Seoul and Kyiv.",
    "Analysts said the figure could rise in the coming {unit}.",
    "Neither Moscow nor Pyongyang commented on the report on {day}.",
    "The two countries signed a mutual defence treaty in {month} {year}.",
]
EVERYDAY = [
    "The city council of {town} approved a budget of {n:,} dollars for road repairs on {day}.",
    "Farmers near {town} expect a {adj} harvest after a wet spring, officials said.",
    "The central bank kept interest rates at {p} percent at its meeting on {day}.",
    "A storm cut power to {n:,} homes along the coast near {town} overnight.",
    "{town} football club signed a striker for an undisclosed fee on {day}.",
    "Researchers in {town} published a study of {n:,} patients on sleep and memory.",
    "Shares in a {adj} retailer rose {p} percent after quarterly results on {day}.",
    "The museum in {town} reopened its modern art wing after {p} years of work.",
]
SOURCES = ["South Korea's spy agency", "the Pentagon", "Ukrainian intelligence", "Yonhap news agency",
           "a senior US official", "Japan's defence ministry", "NATO officials"]
TOWNS = ["Lisbon", "Tartu", "Ghent", "Malmo", "Leeds", "Graz", "Porto", "Turku", "Bergen", "Lille", "Brno", "Cork"]
ADJ = ["large", "sudden", "steady", "modest", "record", "surprising", "gradual", "unusual"]
MONTHS = ["January", "March", "May", "July", "August", "October", "November"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randint(3, 400) * 50, src=rng.choice(SOURCES), day=rng.choice(DAYS), month=rng.choice(MONTHS),
        year=rng.choice([2023, 2024]), adj=rng.choice(ADJ), unit=rng.choice(["weeks", "months"]),
        town=rng.choice(TOWNS), p=rng.randint(2, 9),
    )


def article(rng: random.Random, relevant: bool, sentences: int = 12) -> str:
    body = [_fill(rng, rng.choice(EVERYDAY)) for _ in range(sentences)]
    if relevant:
        body[0] = _fill(rng, rng.choice(RELEVANT))
        body[1] = _fill(rng, rng.choice(CONTEXT))
        body[rng.randrange(3, sentences)] = _fill(rng, rng.choice(RELEVANT))
    return " ".join(body)


def stream(n: int, relevant_every: int = 10, seed: int = 7) -> list[dict]:
    """n articles as feed items (guid, published, title, text); every ``relevant_every``-th is relevant."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = []
    for i in range(n):
        relevant = relevant_every > 0 and i % relevant_every == 0
        published = (start + timedelta(hours=6 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append({"guid": f"bench-{seed}-{i}", "published": published,
                      "title": f"{'Report' if relevant else 'News'} {i}", "text": article(rng, relevant)})
    return items
