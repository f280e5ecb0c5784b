"""The cheap first pass: can this article hold a Russia-North Korea transfer at all?

Three substring/regex checks over the lower-cased text (both parties named, and a word for
something that moves); only articles that pass go through the spaCy pipeline.
"""

from __future__ import annotations

import re

from worker.extract._patterns import Patterns


def _keys(phrases) -> tuple[str, ...]:
    return tuple(sorted({p.lower() for p in phrases}))


class RelevanceFilter:
    def __init__(self, patterns: Patterns) -> None:
        self.sides: dict[str, tuple[str, ...]] = {}
        for code in ("RUS", "PRK"):
            phrases = [p for a in patterns.actors if a.code == code for p in a.phrases]
            self.sides[code] = _keys(phrases)
        cues = {p.lower() for it in patterns.items for p in it.phrases} | {
            f.lower() for t in patterns.triggers for f in t.forms if t.type != "use"}
        stems = sorted({c.split()[0].split("-")[0] for c in cues if len(c) >= 3}, key=len, reverse=True)
        self._cue = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")")

    def __call__(self, text: str) -> bool:
        if not text:
            return False
        low = text.lower()
        for keys in self.sides.values():
            if not any(k in low for k in keys):
                return False
        return self._cue.search(low) is not None
