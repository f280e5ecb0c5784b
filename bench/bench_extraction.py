"""Speed of the extractor against spaCy's bare tokenizer on the same texts.

Prints articles/s and the ratio (extractor time / tokenizer time) for a stream where 1 article in
10 is relevant, and for relevant articles alone.

The texts are generated here from our own sentence templates (no corpus or fixture text): every
slot is filled from word lists, made-up names (random syllables), and random numbers and dates,
so that, as in real news, most sentences and many words are new to spaCy's tokenizer cache. A
relevant article reads like a wire story on Russia and North Korea: a few sentences with a
transfer and a figure, diplomatic and battlefield context that names the parties or weapons
without a transfer, and background. The other articles are everyday news, some of which name
Russia, Korea or weapons (so that the relevance gate is not trivially passed or failed).

usage: python bench/bench_extraction.py [--articles N] [--seed S] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import spacy  # noqa: E402

from worker.extract import Extractor  # noqa: E402

SYLLABLES = ["ka", "ro", "mi", "tan", "vel", "do", "shi", "ber", "lu", "nak", "zo", "pre", "stal", "gun", "ha",
             "yeo", "jin", "sek", "mar", "ov", "ich", "len", "tor", "bra", "kim", "son", "pak", "dre", "vi", "usk"]
RUS = ["Russia", "Moscow", "the Kremlin", "Russian forces", "Putin's government", "the Russian military"]
PRK = ["North Korea", "Pyongyang", "the North", "the DPRK", "Kim Jong Un's regime", "the North Korean military"]
SOURCES = ["South Korea's spy agency", "the National Intelligence Service", "the Pentagon", "a senior US official",
           "Ukraine's military intelligence", "Japan's defence ministry", "NATO officials", "the Joint Chiefs of Staff",
           "a lawmaker briefed by the agency", "the White House", "a European diplomat", "satellite analysts"]
VERBS_SAID = ["said", "told reporters", "estimated", "said in a statement", "told a parliamentary committee",
              "wrote in a report", "claimed", "said on {day}"]
ITEMS = [("troops", 100, 15000), ("soldiers", 100, 15000), ("artillery shells", 10000, 9000000),
         ("containers of munitions", 500, 25000), ("ballistic missiles", 10, 300), ("howitzers", 10, 300),
         ("multiple rocket launchers", 10, 250), ("workers", 500, 30000), ("barrels of oil", 10000, 1000000),
         ("rounds of ammunition", 10000, 5000000), ("military engineers", 100, 6000), ("tanks", 5, 200)]
QUALS = ["", "about ", "more than ", "some ", "up to ", "an estimated ", "at least ", "nearly ", "over ",
         "as many as ", "roughly "]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ADJ = ["large", "sudden", "steady", "modest", "record", "surprising", "gradual", "unusual", "fragile", "costly",
       "quiet", "lengthy", "sharp", "tentative", "broad", "narrow", "decisive", "familiar", "heated", "rare"]
NOUNS = ["budget", "harvest", "election", "festival", "bridge", "hospital", "pipeline", "report", "merger",
         "reform", "strike", "tariff", "stadium", "vaccine", "railway", "library", "airport", "ferry", "tender",
         "treaty", "summit", "audit", "lawsuit", "exhibition", "factory", "reservoir", "school", "concert"]
ACTIONS = ["approved", "postponed", "criticised", "welcomed", "rejected", "reviewed", "announced", "cancelled",
           "defended", "questioned", "praised", "delayed", "unveiled", "investigated", "extended", "backed"]
GROUPS = ["the city council", "local farmers", "the central bank", "the opposition", "union leaders",
          "the regulator", "shareholders", "residents", "the health ministry", "environmental groups",
          "the transport authority", "teachers", "the football federation", "investors", "the mayor's office"]

TRANSFER = [
    "{P} has sent {q}{n:,} {item} to {R} since {month} {year}, {src} {said}.",
    "{src} {said} that {P} had shipped {q}{n:,} {item} to {R}.",
    "According to {src}, {q}{n:,} {item} from {P} have arrived in {R} since {month}.",
    "{R} has received {q}{n:,} {item} from {P} this year, {src} {said}.",
    "{P} is believed to have supplied {R} with {q}{n:,} {item}, {src} {said}.",
    "{q}{n:,} North Korean {item} are now deployed in Russia's {place} region, {src} {said}.",
    "In exchange, {R} has provided {P} with oil, air defence systems and technical know-how, {src} {said}.",
    "{src} {said} {P} could send {q}{n:,} more {item} to {R} in the coming {unit}.",
    "{R} denied receiving any {item} from {P}, calling the reports groundless.",
    "The deployment of {q}{n:,} {item} to {R} was first reported in {month} {year}.",
]
CONTEXT = [
    "{name} {name2}, a spokesperson for the ministry in {town}, declined to comment on {day}.",
    "The two leaders signed a mutual defence pact in {month} {year} during a {adj} summit in {town}.",
    "Ukrainian forces struck a depot near {town} on {day}, the regional governor {name2} said.",
    "Analysts in {town} said the {adj} pact had deepened ties between {R} and {P}.",
    "Fighting around {town} has intensified over the past {p} {unit}, with heavy losses on both sides.",
    "{name} {name2}, an analyst at the {name2} Institute, said the figures were hard to verify independently.",
    "The {adj} talks in {town} ended without a joint statement on {day}.",
    "Officials in Seoul and Kyiv have warned that the cooperation could shift the balance on the front.",
    "Satellite images taken on {month} {d} showed {adj} activity at a port near {town}.",
    "{R} and {P} have both rejected criticism of their ties as interference in their affairs.",
    "{name2} told {name} {name2} that the {noun} would be {action} by {month}.",
]
EVERYDAY = [
    "{group} {action} the {adj} {noun} in {town} on {day}, {name} {name2} told reporters.",
    "The {noun} in {town} was {action} after {p} {unit} of {adj} debate, officials said.",
    "{name} {name2}, who leads {group}, said {n:,} people had signed a petition against the {noun}.",
    "A storm cut power to {n:,} homes near {town} overnight, the utility said on {day}.",
    "Shares in {name2} rose {p} percent after {adj} results on {day}.",
    "{group} in {town} expect a {adj} season after the {noun} was {action} in {month}.",
    "The {noun} will cost about {n:,} euros, according to a {adj} estimate by {group}.",
    "Researchers at the {name2} clinic followed {n:,} patients for {p} years.",
    "Tourists from Russia and Korea queued for the {adj} {noun} in {town} on {day}.",
    "The club's new striker, {name} {name2}, scored {p} goals in his first {unit}.",
    "{name} {name2} won the {adj} race in {town} by {p} seconds.",
]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _fill(rng: random.Random, template: str) -> str:
    item, lo, hi = rng.choice(ITEMS)
    said = rng.choice(VERBS_SAID).format(day=rng.choice(DAYS))
    return template.format(
        P=rng.choice(PRK), R=rng.choice(RUS), src=rng.choice(SOURCES), said=said, q=rng.choice(QUALS),
        n=rng.randint(lo, hi), item=item, month=rng.choice(MONTHS), year=rng.choice([2022, 2023, 2024, 2025]),
        d=rng.randint(1, 28), day=rng.choice(DAYS), place=_name(rng), unit=rng.choice(["weeks", "months"]),
        town=_name(rng), name=_name(rng), name2=_name(rng), adj=rng.choice(ADJ), noun=rng.choice(NOUNS),
        action=rng.choice(ACTIONS), group=rng.choice(GROUPS), p=rng.randint(2, 40),
    ).replace(" 0 ", " ")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def relevant_article(rng: random.Random) -> str:
    n = rng.randint(12, 24)
    kinds = ["t"] * rng.randint(2, 5) + ["c"] * (n // 2) + ["e"] * (n // 4)
    rng.shuffle(kinds)
    kinds[0] = "t"
    pool = {"t": TRANSFER, "c": CONTEXT, "e": EVERYDAY}
    paras, para = [], []
    for k in kinds:
        para.append(_cap(_fill(rng, rng.choice(pool[k]))))
        if len(para) >= rng.randint(2, 4):
            paras.append(" ".join(para))
            para = []
    if para:
        paras.append(" ".join(para))
    return "\n\n".join(paras)


def everyday_article(rng: random.Random) -> str:
    n = rng.randint(10, 22)
    sents = [_cap(_fill(rng, rng.choice(EVERYDAY))) for _ in range(n)]
    if rng.random() < 0.3:  # sometimes on topic without a transfer: one side or weapons only
        sents[rng.randrange(n)] = _cap(_fill(rng, rng.choice(CONTEXT[:3] + CONTEXT[4:5])))
    return "\n\n".join(" ".join(sents[i:i + 3]) for i in range(0, n, 3))


def streams(seed: int, n: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    mixed = [relevant_article(rng) if i % 10 == 0 else everyday_article(rng) for i in range(n)]
    relevant = [relevant_article(rng) for _ in range(max(1, n // 3))]  # the tokenizer takes ~0.3 s on these
    return mixed, relevant


def paired(ex: Extractor, tok, texts: list[str], chunk: int) -> tuple[float, float, list[float], int]:
    """Time the tokenizer and the extractor chunk by chunk, each chunk by both right after each other,
    so that a burst of load from elsewhere on a shared machine falls on both sides of a ratio, not on
    one. Returns the two total times, the ratio of each chunk and the number of events."""
    t_tok = t_ex = 0.0
    ratios: list[float] = []
    n_ev = 0
    for i in range(0, len(texts), chunk):
        part = texts[i:i + chunk]
        recs = [{"text": t, "published": "2024-06-01"} for t in part]
        t0 = time.perf_counter()
        sum(1 for _ in tok.pipe(part))
        t1 = time.perf_counter()
        n_ev += sum(len(evs) for evs in ex.extract_many(recs))
        t2 = time.perf_counter()
        t_tok, t_ex = t_tok + t1 - t0, t_ex + t2 - t1
        ratios.append((t2 - t1) / (t1 - t0))
    return t_tok, t_ex, ratios, n_ev


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    ex = Extractor()
    tok: Any = spacy.blank("en").tokenizer  # typed as a plain callable; it is a Tokenizer, with .pipe
    # warm both caches on texts of the same kind (a long-running worker), then time each round on
    # texts neither has seen
    warm_mixed, warm_rel = streams(a.seed - 1, a.articles // 3)
    for texts in (warm_mixed, warm_rel):
        sum(1 for _ in tok.pipe(texts))
        sum(1 for _ in ex.extract_many({"text": t} for t in texts))
    rounds = [streams(a.seed + r, a.articles) for r in range(a.rounds)]
    for k, name in enumerate(("1-in-10 relevant", "relevant only")):
        chunk = 320 if k == 0 else 64  # ~40 ms of tokenizer time each; a multiple of the extractor's batch of 32
        ratios: list[float] = []
        best_tok = best_ex = float("inf")
        n_ev = 0
        for r in range(a.rounds):
            t_tok, t_ex, chunk_ratios, n = paired(ex, tok, rounds[r][k], chunk)
            ratios += chunk_ratios
            best_tok, best_ex = min(best_tok, t_tok), min(best_ex, t_ex)
            n_ev = n_ev or n
        texts = rounds[0][k]
        print(f"{name:18} {len(texts):5} articles ({sum(map(len, texts)) / len(texts):5.0f} chars avg, "
              f"{n_ev} events): extractor {len(texts) / best_ex:7.0f} art/s, tokenizer {len(texts) / best_tok:7.0f} "
              f"art/s, ratio {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
