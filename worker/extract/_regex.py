"""Regex building helpers: many phrases as one prefix-factored alternation."""

from __future__ import annotations

import re
from collections.abc import Iterable


def trie_regex(phrases: Iterable[str], space: str = r"\s+", after_first: str = "") -> str:
    """One alternation for many phrases, factored by common prefixes (Python's ``re`` tries every
    branch of a flat alternation at every position; a trie tries one per first character). Longer
    phrases are preferred, as in a longest-first alternation. A space in a phrase matches ``space``;
    ``after_first`` (a zero-width check) is put right after the first character of every phrase."""
    trie: dict = {}
    for p in phrases:
        node = trie
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict, first: bool = False) -> str:
        alts = [(space if ch == " " else re.escape(ch)) + (after_first if first else "") + build(node[ch])
                for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie, first=True)
