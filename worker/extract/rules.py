"""Load the rule data in ``patterns/*.json`` and validate it (unknown keys are rejected)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from worker.categories import names as category_names
from worker.errors import ConfigError


class PatternError(ConfigError, ValueError):
    """A pattern file is malformed: names the file and the problem."""


def _read(name: str) -> dict[str, Any]:
    text = resources.files("worker.extract").joinpath("patterns").joinpath(name).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PatternError(f"patterns/{name}: line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise PatternError(f"patterns/{name}: top level must be an object")
    return data


def check_keys(where: str, obj: Any, allowed: set[str], required: set[str],
               error: type[Exception] = PatternError) -> None:
    """Reject an object with a key the schema does not know or without one it needs (raising ``error``:
    the pattern files raise PatternError; the extraction case files their own)."""
    if not isinstance(obj, dict):
        raise error(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = set(obj) - allowed
    if unknown:
        raise error(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(allowed)}")
    missing = required - set(obj)
    if missing:
        raise error(f"{where}: missing key(s) {sorted(missing)}")


def _strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PatternError(f"{where}: expected a list of non-empty strings")
    return list(value)


@dataclass(frozen=True)
class ActorRule:
    code: str
    kind: str  # "name" | "adj"
    phrases: tuple[str, ...]
    case_sensitive: bool = False

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> ActorRule:
        check_keys(where, d, {"code", "kind", "phrases", "case_sensitive"}, {"code", "kind", "phrases"})
        if d["kind"] not in ("name", "adj"):
            raise PatternError(f"{where}: kind must be 'name' or 'adj'")
        return cls(d["code"], d["kind"], tuple(_strings(where, d["phrases"])), bool(d.get("case_sensitive", False)))


CATEGORIES = category_names()


@dataclass(frozen=True)
class ItemRule:
    category: str
    unit: str | None
    phrases: tuple[str, ...]
    weak: bool = False
    after: tuple[str, ...] = ()  # an item only a few words after one of these ("help for ... programs")
    transfer: bool = False  # the noun says that things move: "arms dealings between them"
    context: frozenset[str] = frozenset()  # an item only in a sentence holding one of these words

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> ItemRule:
        check_keys(where, d, {"category", "unit", "phrases", "weak", "after", "transfer", "context"},
                    {"category", "phrases"})
        if d["category"] not in CATEGORIES:
            raise PatternError(f"{where}: unknown category {d['category']!r}")
        after = tuple(s.lower() for s in _strings(where, d["after"])) if d.get("after") else ()
        context = frozenset(s.lower() for s in _strings(where, d["context"])) if d.get("context") else frozenset()
        return cls(d["category"], d.get("unit"), tuple(_strings(where, d["phrases"])), bool(d.get("weak", False)),
                   after, bool(d.get("transfer", False)), context)


TRIGGER_TYPES = ("give", "receive", "motion", "presence", "use", "request")


@dataclass(frozen=True)
class TriggerRule:
    type: str
    forms: tuple[str, ...]
    not_for: tuple[str, ...] = ()
    nouns: frozenset[str] = frozenset()  # the forms that are nouns ("deliveries", "a gift"): no subject or object

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> TriggerRule:
        check_keys(where, d, {"type", "verbs", "nouns", "phrases", "not_for"}, {"type", "verbs", "nouns", "phrases"})
        if d["type"] not in TRIGGER_TYPES:
            raise PatternError(f"{where}: unknown trigger type {d['type']!r}")
        not_for = tuple(_strings(where, d.get("not_for", []))) if d.get("not_for") else ()
        for c in not_for:
            if c not in CATEGORIES:
                raise PatternError(f"{where}: unknown category {c!r} in not_for")
        forms: list[str] = []
        for v in d["verbs"]:
            forms.extend(verb_forms(v))
        nouns = [f for n in d["nouns"] for f in (n, plural(n))]
        forms.extend(nouns)
        forms.extend(d["phrases"])
        for k in ("verbs", "nouns", "phrases"):
            if not isinstance(d[k], list) or not all(isinstance(x, str) and x.strip() for x in d[k]):
                raise PatternError(f"{where}: {k} must be a list of non-empty strings")
        return cls(d["type"], tuple(dict.fromkeys(forms)), not_for,
                   frozenset(n.lower() for n in nouns) - {v.lower() for v in d["verbs"] for v in verb_forms(v)})


# the irregular verbs of the cue lists: lemma -> (past, past participle)
_IRREGULAR = {"send": ("sent", "sent"), "give": ("gave", "given"), "sell": ("sold", "sold"), "buy": ("bought", "bought"),
              "bring": ("brought", "brought"), "get": ("got", "gotten"), "take": ("took", "taken"),
              "go": ("went", "gone"), "come": ("came", "come"), "lend": ("lent", "lent"), "fly": ("flew", "flown"),
              "seek": ("sought", "sought"), "leave": ("left", "left"), "pay": ("paid", "paid"),
              "repay": ("repaid", "repaid"), "feed": ("fed", "fed"), "fight": ("fought", "fought"),
              "shoot": ("shot", "shot"), "make": ("made", "made"), "lay": ("laid", "laid"), "draw": ("drew", "drawn"),
              "lean": ("leaned", "leant"), "hold": ("held", "held"), "keep": ("kept", "kept"), "put": ("put", "put"),
              "win": ("won", "won"), "rise": ("rose", "risen"), "run": ("ran", "run"), "ride": ("rode", "ridden")}
_DOUBLE = {"ship", "transfer", "equip", "commit", "drop", "plan", "stop", "shop", "get", "put", "run", "win", "set"}
_VOWELS = set("aeiou")


def verb_forms(lemma: str) -> list[str]:
    """Every form of a verb lemma ("send": send, sends, sent, sending); a phrasal verb inflects its first word."""
    head, _, rest = lemma.partition(" ")
    tail = f" {rest}" if rest else ""
    if head in _IRREGULAR:
        past, part = _IRREGULAR[head]
    elif head.endswith("e"):
        past = part = head + "d"
    elif head.endswith("y") and head[-2:-1] not in _VOWELS:
        past = part = head[:-1] + "ied"
    elif head in _DOUBLE and not head.endswith("y"):
        past = part = head + head[-1] + "ed"
    else:
        past = part = head + "ed"
    if head.endswith(("s", "x", "z", "ch", "sh", "o")):
        third = head + "es"
    elif head.endswith("y") and head[-2:-1] not in _VOWELS:
        third = head[:-1] + "ies"
    else:
        third = head + "s"
    if head.endswith("ie"):
        ing = head[:-2] + "ying"
    elif head.endswith("e") and not head.endswith("ee") and head != "be":
        ing = head[:-1] + "ing"
    elif head in _DOUBLE and not head.endswith("y"):
        ing = head + head[-1] + "ing"
    else:
        ing = head + "ing"
    return [w + tail for w in dict.fromkeys((head, third, past, part, ing))]


def plural(noun: str) -> str:
    head, _, rest = noun.rpartition(" ")
    last = rest
    if last.endswith(("s", "x", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in _VOWELS:
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


MODIFIER_CATEGORIES = ("POSSIBLE", "PLANNED", "DENIED", "CASUALTY", "NOT_TRANSFER", "INCREMENT", "TOTAL", "PERIOD",
                       "HYPOTHETICAL", "TERMINATE", "RECIPROCAL")
DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE")


@dataclass(frozen=True)
class ModifierRule:
    """One ConText rule: ``literal`` of ``category`` reaching ``direction`` up to ``max_scope`` tokens."""

    literal: str
    category: str
    direction: str
    max_scope: int | None = None
    only_for: tuple[str, ...] = ()  # the item categories it reaches (all when empty): "killed" is said of people
    case_sensitive: bool = False  # "may" the modal, never "May" the month

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> ModifierRule:
        check_keys(where, d, {"literal", "category", "direction", "max_scope", "only_for", "case_sensitive"},
                    {"literal", "category", "direction"})
        if not isinstance(d.get("case_sensitive", False), bool):
            raise PatternError(f"{where}: case_sensitive must be true or false")
        only_for = tuple(_strings(where, d["only_for"])) if d.get("only_for") else ()
        if set(only_for) - set(CATEGORIES):
            raise PatternError(f"{where}: unknown category in only_for")
        if d["category"] not in MODIFIER_CATEGORIES:
            raise PatternError(f"{where}: unknown category {d['category']!r}")
        if d["direction"] not in DIRECTIONS:
            raise PatternError(f"{where}: unknown direction {d['direction']!r}")
        scope = d.get("max_scope")
        if scope is not None and (not isinstance(scope, int) or scope < 0):
            raise PatternError(f"{where}: max_scope must be a non-negative integer")
        return cls(d["literal"], d["category"], d["direction"], scope, only_for, d.get("case_sensitive", False))


@dataclass(frozen=True)
class NumberWords:
    words: dict[str, float]
    scales: dict[str, int]
    qualifiers: dict[str, str]
    vague: dict[str, int]
    vague_needs_item: tuple[str, ...]
    increment_after: tuple[str, ...]
    increment_before: tuple[str, ...]
    not_before: tuple[str, ...]
    not_counts: dict[str, tuple[str, ...]]  # kind ("share", "measure", "time"...) -> words after a figure
    rates: tuple[str, ...]  # "a year", "per month": a figure followed by one is a rate or a cap
    months: dict[str, int]
    named_starts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # date -> "the start of the war", ...
    durations: dict[str, int] = field(default_factory=dict)  # "months" -> 1, "years" -> 12
    suffixes: dict[str, int] = field(default_factory=dict)  # "1.5k": "k" -> 1000


@dataclass(frozen=True)
class AttachWords:
    """How a figure finds its item (``attach.json``)."""

    gap: frozenset[str]
    links: tuple[tuple[str, ...], ...]
    reach: int
    total_nouns: frozenset[str]
    reaching: tuple[tuple[str, ...], ...]
    following: tuple[tuple[str, ...], ...]
    expecting: tuple[tuple[str, ...], ...]
    earlier: tuple[tuple[str, ...], ...]
    not_heads: frozenset[str]


@dataclass(frozen=True)
class Patterns:
    actors: tuple[ActorRule, ...]
    items: tuple[ItemRule, ...]
    ignore: tuple[str, ...]
    units: tuple[str, ...]
    triggers: tuple[TriggerRule, ...]
    modifiers: tuple[ModifierRule, ...]
    numbers: NumberWords
    attach: AttachWords
    speech: dict[str, Any] = field(default_factory=dict)
    heads: frozenset[str] = frozenset()  # nouns that make an item word before them a modifier ("missile work")
    people: dict[str, frozenset[str]] = field(default_factory=dict)  # ambiguous / military / civilian words
    implied: dict[str, str] = field(default_factory=dict)  # "arming" -> weapons_other: a verb naming what it moves
    claims: frozenset[str] = frozenset()  # "such accusations": what a denial with no item points back to
    pronouns: tuple[str, ...] = ()  # "of them" after a figure: the item of the sentence before
    references: tuple[str, ...] = ()  # "the number at" before a figure: the item of the sentence before


def _load_actors() -> tuple[ActorRule, ...]:
    d = _read("actors.json")
    check_keys("patterns/actors.json", d, {"description", "actors"}, {"actors"})
    return tuple(ActorRule.from_dict(a, f"patterns/actors.json: actors[{i}]") for i, a in enumerate(d["actors"]))


def _load_items() -> tuple[tuple[ItemRule, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...],
                           frozenset[str], dict[str, frozenset[str]], frozenset[str]]:
    d = _read("items.json")
    where = "patterns/items.json"
    check_keys(where, d, {"description", "items", "ignore", "units", "pronouns", "references", "heads", "people",
                           "claims"}, {"items"})
    items = tuple(ItemRule.from_dict(a, f"{where}: items[{i}]") for i, a in enumerate(d["items"]))
    ignore = _strings(f"{where}: ignore", d.get("ignore", []))
    ignore = list(dict.fromkeys([*ignore, *(plural(p) for p in ignore if not p.endswith("s"))]))
    return (items, tuple(ignore),
            tuple(_strings(f"{where}: units", d.get("units", []))),
            tuple(s.lower() for s in _strings(f"{where}: pronouns", d.get("pronouns", []))),
            tuple(" ".join(s.lower().split()) for s in _strings(f"{where}: references", d.get("references", []))),
            frozenset(s.lower() for s in _strings(f"{where}: heads", d.get("heads", []))),
            _people(where, d.get("people", {})),
            frozenset(s.lower() for s in _strings(f"{where}: claims", d.get("claims", []))))


def _people(where: str, d: Any) -> dict[str, frozenset[str]]:
    check_keys(f"{where}: people", d, {"ambiguous", "military", "civilian"}, {"ambiguous", "military", "civilian"})
    return {k: frozenset(s.lower() for s in _strings(f"{where}: people.{k}", v)) for k, v in d.items()}


def _load_triggers() -> tuple[tuple[TriggerRule, ...], dict[str, str]]:
    d = _read("triggers.json")
    where = "patterns/triggers.json"
    check_keys(where, d, {"description", "triggers", "implied"}, {"triggers"})
    implied: dict[str, str] = {}
    for cat, forms in (d.get("implied") or {}).items():
        if cat not in CATEGORIES:
            raise PatternError(f"{where}: implied: unknown category {cat!r}")
        implied.update({f.lower(): cat for f in _strings(f"{where}: implied.{cat}", forms)})
    return tuple(TriggerRule.from_dict(a, f"{where}: triggers[{i}]") for i, a in enumerate(d["triggers"])), implied


def _load_modifiers() -> tuple[ModifierRule, ...]:
    d = _read("modifiers.json")
    check_keys("patterns/modifiers.json", d, {"description", "modifiers"}, {"modifiers"})
    return tuple(ModifierRule.from_dict(a, f"patterns/modifiers.json: modifiers[{i}]") for i, a in enumerate(d["modifiers"]))


def _load_numbers() -> NumberWords:
    d = _read("numbers.json")
    where = "patterns/numbers.json"
    keys = {"words", "scales", "qualifiers", "vague", "vague_needs_item", "increment_after", "increment_before",
            "not_before", "not_counts", "rates", "months"}
    check_keys(where, d, keys | {"description", "named_starts", "durations", "suffixes"}, keys)
    for k in ("words", "scales", "qualifiers", "vague", "months", "named_starts", "durations", "suffixes", "not_counts"):
        if not isinstance(d.get(k, {}), dict):
            raise PatternError(f"{where}: {k} must be an object")
    return NumberWords(
        words={k.lower(): float(v) for k, v in d["words"].items()},
        scales={k.lower(): int(v) for k, v in d["scales"].items()},
        qualifiers={k.lower(): v for k, v in d["qualifiers"].items()},
        vague={k.lower(): int(v) for k, v in d["vague"].items()},
        vague_needs_item=tuple(_strings(where, d["vague_needs_item"])),
        increment_after=tuple(_strings(where, d["increment_after"])),
        increment_before=tuple(_strings(where, d["increment_before"])),
        not_before=tuple(s.lower() for s in _strings(where, d["not_before"])),
        not_counts={k: tuple(s.lower() for s in _strings(f"{where}: not_counts.{k}", v))
                    for k, v in d["not_counts"].items()},
        rates=tuple(s.lower() for s in _strings(where, d["rates"])),
        months={k.lower(): int(v) for k, v in d["months"].items()},
        named_starts={k: tuple(s.lower() for s in _strings(f"{where}: named_starts", v))
                      for k, v in (d.get("named_starts") or {}).items()},
        durations={k.lower(): int(v) for k, v in (d.get("durations") or {}).items()},
        suffixes={k.lower(): int(v) for k, v in (d.get("suffixes") or {}).items()},
    )


def _load_attach() -> AttachWords:
    d = _read("attach.json")
    where = "patterns/attach.json"
    keys = {"gap", "links", "reach", "total_nouns", "reaching", "following", "expecting", "earlier", "not_heads"}
    check_keys(where, d, keys | {"description"}, keys)
    if not isinstance(d["reach"], int) or d["reach"] < 1:
        raise PatternError(f"{where}: reach must be a positive integer")
    return AttachWords(
        gap=frozenset(s.lower() for s in _strings(f"{where}: gap", d["gap"])),
        links=tuple(tuple(s.lower().split()) for s in _strings(f"{where}: links", d["links"])),
        reach=d["reach"],
        total_nouns=frozenset(s.lower() for s in _strings(f"{where}: total_nouns", d["total_nouns"])),
        reaching=tuple(tuple(s.lower().split()) for s in _strings(f"{where}: reaching", d["reaching"])),
        following=tuple(tuple(s.lower().split()) for s in _strings(f"{where}: following", d["following"])),
        expecting=tuple(tuple(s.lower().split()) for s in _strings(f"{where}: expecting", d["expecting"])),
        earlier=tuple(tuple(s.lower().split()) for s in _strings(f"{where}: earlier", d["earlier"])),
        not_heads=frozenset(s.lower() for s in _strings(f"{where}: not_heads", d["not_heads"])),
    )


def _load_speech() -> dict[str, Any]:
    d = _read("speech.json")
    where = "patterns/speech.json"
    keys = {"verbs", "according", "pronouns", "titles", "strip_prefixes"}
    check_keys(where, d, keys | {"description"}, keys)
    return {k: tuple(_strings(f"{where}: {k}", d[k])) for k in keys}


@lru_cache(maxsize=1)
def load_patterns() -> Patterns:
    """Read and validate every pattern file once per process."""
    items, ignore, units, pronouns, references, heads, people, claims = _load_items()
    triggers, implied = _load_triggers()
    return Patterns(
        actors=_load_actors(), items=items, ignore=ignore, units=units, pronouns=pronouns, references=references,
        heads=heads, people=people, claims=claims,
        triggers=triggers, implied=implied,
        modifiers=_load_modifiers(), numbers=_load_numbers(), attach=_load_attach(), speech=_load_speech(),
    )
