"""Speed of the extractor against spaCy's bare tokenizer on the same texts.

Prints articles/s and the ratio (extractor time / tokenizer time) for a stream where 1 article in
10 is relevant, and for relevant articles alone. Streams are generated from our own fixture
articles (tests/fixtures/articles) and synthetic filler text; no corpus text is used.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import spacy  # noqa: E402

from worker.extract import Extractor  # noqa: E402

FILLER = [
    "The city council approved a new budget for road repairs on {d}.",
    "Local farmers expect a good harvest after a wet spring, officials said.",
    "The central bank kept interest rates unchanged at its meeting on {d}.",
    "A storm knocked out power to {n} homes along the coast overnight.",
    "The football club signed a new striker from a rival team for an undisclosed fee.",
    "Researchers published a study on sleep and memory in a medical journal.",
    "Shares rose {n} percent after the company reported higher quarterly profits.",
    "The museum reopened its modern art wing after two years of renovation.",
]


def filler_article(rng: random.Random, sentences: int = 25) -> str:
    return " ".join(rng.choice(FILLER).format(d=f"June {rng.randint(1, 28)}", n=rng.randint(2, 900))
                    for _ in range(sentences))


def relevant_article(rng: random.Random, fixtures: list[str]) -> str:
    parts = [rng.choice(fixtures) for _ in range(3)] + [filler_article(rng, 12)]
    rng.shuffle(parts)
    return " ".join(parts)


def timeit(fn, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    rng = random.Random(7)
    fixtures = [json.loads(p.read_text(encoding="utf-8"))["text"]
                for p in sorted((REPO / "tests" / "fixtures" / "articles").glob("*.json"))]
    fixtures = [f for f in fixtures if "<" not in f]
    relevant = [relevant_article(rng, fixtures) for _ in range(300)]
    mixed = [relevant_article(rng, fixtures) if i % 10 == 0 else filler_article(rng) for i in range(3000)]
    ex = Extractor()
    tok = spacy.blank("en").tokenizer
    for name, texts in (("1-in-10 relevant", mixed), ("relevant only", relevant)):
        recs = [{"text": t, "published": "2024-06-01"} for t in texts]
        t_tok = timeit(lambda: sum(1 for _ in tok.pipe(texts)))
        t_ex = timeit(lambda: sum(1 for _ in ex.extract_many(recs)))
        print(f"{name:18} {len(texts):5} articles: extractor {len(texts) / t_ex:9.0f} art/s, "
              f"tokenizer {len(texts) / t_tok:9.0f} art/s, ratio {t_ex / t_tok:.2f}x")


if __name__ == "__main__":
    main()
