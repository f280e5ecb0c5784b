"""``Extractor``: the public face of the extraction pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import spacy
from spacy.attrs import LOWER  # type: ignore[import-not-found]  # a compiled module without stubs
from spacy.language import Language
from spacy.tokens import Doc

from worker.extract import components as _components  # noqa: F401  (registers the factories)
from worker.extract.components import GAPS, MENTIONS, SENTENCES, TEXT, TOKEN_SPANS
from worker.extract.dates import parse_published
from worker.extract.pipeline import Pipeline
from worker.extract.relevance import RelevanceFilter
from worker.extract.rules import load_patterns
from worker.extract.sentence import PARTY_SET, sentences_of

MAX_INPUT_CHARS = 20_000_000  # the cheap regex pass reads this much of a text (10 MB pages included)
MAX_STRINGS = 100_000  # words spaCy may remember before the pipeline is rebuilt (see _bound_vocab)
MAX_CHARS = 200_000  # of candidate sentences handed to spaCy per article; the rest of a longer text is not read
_GAP = "\n\n"  # between kept sentences in the text spaCy reads (a sentence break, and no phrase spans it)
_PUBLISHED = "tw_published"
_OFFSETS = "tw_offsets"
_TAG = re.compile(r"<[^<>]{0,500}>")
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def build_pipeline() -> Language:
    """``spacy.blank("en")`` + a rule sentencizer + the lexicon matcher (no trained model)."""
    nlp = spacy.blank("en")
    # a word spaCy has not seen costs one Python call per lexeme attribute (23 for English); our
    # components read only a token's text and LOWER (the phrase matcher), so only LOWER is computed
    nlp.vocab.lex_attr_getters = {LOWER: nlp.vocab.lex_attr_getters[LOWER]}  # type: ignore[attr-defined]
    nlp.add_pipe("tw_sentencizer")
    nlp.add_pipe("tw_lexicon")
    return nlp


def clean_text(text: Any) -> str:
    """Make any input safe to read without changing character offsets: tags and control
    characters become spaces; non-strings become ''."""
    if not isinstance(text, str):
        return ""
    if "<" in text:
        text = _TAG.sub(lambda m: " " * len(m.group(0)), text)
    if _JUNK.search(text):
        text = _JUNK.sub(" ", text)
    return text


_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


def looks_like_text(text: str) -> bool:
    """Binary junk and non-Latin text hold no English sentences worth reading."""
    sample = text[:4000]
    if not sample.strip():
        return False
    raw = sample.encode("latin-1", "ignore")  # counting in bytes: C speed
    letters = len(raw) - len(raw.translate(None, _LETTERS))
    return letters >= 0.4 * (len(sample) - sample.count(" "))


class Extractor:
    """Build once (loads the rule data and the pipeline), then call ``extract`` per article."""

    def __init__(self, batch_size: int = 32, max_strings: int = MAX_STRINGS) -> None:
        patterns = load_patterns()
        self.nlp = build_pipeline()
        self.relevant = RelevanceFilter(patterns)
        self.pipeline = Pipeline(patterns)
        self.batch_size = batch_size
        self.max_strings = max_strings
        self.rebuilds = 0

    def extract(self, text: str, title: str | None = None, published: str | None = None) -> list[dict]:
        """The transfer events of one article. ``span`` offsets refer to ``text``; the title is not
        read for events (headlines restate the body)."""
        return next(self.extract_many([{"text": text, "title": title, "published": published}]))

    def extract_many(self, records: Iterable[dict]) -> Iterator[list[dict]]:
        """One list of events per record, in order; relevant articles are batched through ``nlp.pipe``."""
        pending: list[tuple[int, Doc | None]] = []
        ready = 0  # the docs in ``pending`` (counted as they come: a sum over it per record was quadratic)
        results: dict[int, list[dict]] = {}
        next_out = 0

        def flush() -> None:
            nonlocal ready
            docs = [d for _i, d in pending if d is not None]
            processed = iter(self.nlp.pipe(docs, batch_size=self.batch_size)) if docs else iter(())
            for i, d in pending:
                if d is None:
                    results[i] = []
                else:
                    doc = next(processed)
                    results[i] = self._events(doc)
            pending.clear()
            ready = 0
            self._bound_vocab()

        for i, rec in enumerate(records):
            prepared = self._prepare(rec)
            pending.append((i, prepared))
            ready += prepared is not None
            if ready >= self.batch_size or len(pending) >= 4 * self.batch_size:
                flush()
                while next_out in results:
                    yield results.pop(next_out)
                    next_out += 1
        flush()
        while next_out in results:
            yield results.pop(next_out)
            next_out += 1

    def _bound_vocab(self) -> None:
        """spaCy keeps every word it has seen (its vocab and string store); in a worker that runs for
        months, new names would grow it without end. Past ``max_strings`` the pipeline is built anew
        (~70 ms; results do not depend on what the old one had seen). spaCy's ``memory_zone`` would
        forget each batch's new words instead, but re-learning common ones every batch cost 30%."""
        if len(self.nlp.vocab.strings) > self.max_strings:
            self.nlp = build_pipeline()
            self.rebuilds += 1

    def _prepare(self, rec: Any) -> Doc | None:
        """The doc spaCy reads: only the article's candidate sentences (see ``RelevanceFilter.plan``),
        joined by blank lines, with a map back to offsets in the text given."""
        if not isinstance(rec, dict):
            return None
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            return None
        original = text[:MAX_INPUT_CHARS]
        text = clean_text(original)
        if not looks_like_text(text):
            return None
        plan = self.relevant.plan(text)
        if plan is None:
            return None
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        offsets: list[tuple[int, int]] = []  # (start in the doc text, start in the original)
        gaps: set[int] = set()
        pos = 0
        for (s, e), after_gap in zip(plan.sentences, plan.after_gap, strict=True):
            if pos + e - s > MAX_CHARS:
                break
            if after_gap:
                gaps.add(pos)
            parts.append(text[s:e])
            spans.append((pos, pos + e - s))
            offsets.append((pos, s))
            pos += e - s + len(_GAP)
        if not parts:
            return None
        compact = _GAP.join(parts)
        doc = self.nlp.make_doc(compact)
        doc.user_data[_PUBLISHED] = parse_published(rec.get("published"))
        doc.user_data["tw_original"] = original
        doc.user_data[TEXT] = compact
        doc.user_data[SENTENCES] = spans
        doc.user_data[GAPS] = gaps
        doc.user_data[_OFFSETS] = dict(offsets)
        return doc

    def _events(self, doc: Doc) -> list[dict]:
        """The events of one prepared doc, with spans and evidence in the text given."""
        mentions = doc.user_data[MENTIONS]
        if not PARTY_SET <= {a.label for a in mentions.get("actor", ())}:
            return []  # the sentences read never name the other party: nothing moves between the two
        text: str = doc.user_data[TEXT]
        starts, lengths = doc.user_data[TOKEN_SPANS]
        low = text.lower()
        if len(low) == len(text):
            low_tokens = [low[i:i + n] for i, n in zip(starts, lengths, strict=True)]
        else:  # a character whose lower case is longer: lower-case word by word
            low_tokens = [text[i:i + n].lower() for i, n in zip(starts, lengths, strict=True)]
        sentences = sentences_of(text, doc.user_data[SENTENCES], starts, lengths, low_tokens, mentions,
                                 doc.user_data.get(GAPS) or set())
        events = self.pipeline(sentences, doc.user_data.get(_PUBLISHED))
        original = doc.user_data.get("tw_original") or text
        offsets: dict[int, int] = doc.user_data.get(_OFFSETS) or {}
        for ev in events:  # span and evidence in the text given, tags and all
            s, e = ev["span"]
            base = offsets.get(s, s)
            ev["span"] = [base, base + e - s]
            ev["evidence"] = original[base:base + e - s]
        return events
