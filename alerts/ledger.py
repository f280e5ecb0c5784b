"""The figure ledger: per metric, the current figure, its history and the sources behind it.

A *metric* is (supplier, recipient, category, unit). The ledger writes in two
atomic steps, so its state is a function of the articles and their
publication times, never of the order workers met them:

1. :meth:`Ledger.record` (the worker, per article) validates the events in
   Python (a bad event is logged and dropped before anything touches Redis),
   prepares all that does not depend on the ledger's state (history entries,
   alert ids, message templates) and hands it to ``record.lua``: exactly once
   per article version, each event becomes a *pending* entry of its metric,
   ordered by (publication time, article id, version, place in the article).
   Nothing is decided.
2. :meth:`Ledger.settle` (anyone, any time: it is idempotent) runs
   ``settle.lua`` over the metrics with pending entries: the entries published
   before the horizon (``alerts/horizon.py``: no article in flight or poller
   gathering can still bring an older one) are decided in that order against
   the current figure, recorded in the history and their alerts published.

An entry older than what its metric already settled (its article came late)
goes into the history as ``older`` (or ``corroboration``) and raises nothing.

Redis layout (names from :class:`worker.keys.Keys`):

* ``metrics_index``: set of metric ids (``PRK:RUS:troops:soldiers``);
* ``metric(id)``: hash with ``metric`` (JSON), ``current`` (JSON figure),
  ``sources`` (JSON list corroborating the current figure), ``settled`` (the
  sort key of the last entry settled in order), ``seen:<key>`` (an event
  already recorded: exactly once) and ``inc:<value>`` (when an increment of
  that value was mentioned: rule 7);
* ``metric_history(id)``: list of JSON history entries, in the order settled;
* ``ledger_pending(id)``: sorted set of entries recorded, not yet settled;
  ``ledger_dirty``: the metrics that have some;
* ``processed_article(id)``: set of the article versions recorded (expires
  after the seen window, ``Settings.seen_ttl``);
* ``alert_ids``: every alert id ever raised.

Every history entry carries an ``effect`` saying what it did: ``first_report``,
``increase``, ``decrease`` (it became current and raised that alert),
``corroboration`` (within the threshold of the current figure; its source is
added to the current figure's sources), ``lower`` (a newer, lower figure, no
alert by default), ``older`` (published before the current figure: rule 6, or
its article came late), ``increment`` / ``repeated_increment`` (rule 7),
``denied`` / ``planned`` / ``recorded`` (rule 1: history only).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from typing import Any

import redis
import structlog

from alerts import horizon, messages
from alerts.rules import RejectedEvent, Rules, effect_class, metric_id, parse_published, validate_event
from worker.keys import Keys
from worker.settings import DEFAULT_SEEN_DAYS

DEFAULT_STREAM_MAXLEN = 100_000
_SEP = "\x1f"  # between a pending entry's sort key parts and its JSON (JSON escapes it, so never inside)
_EVIDENCE_NOISE = re.compile(r"[^0-9a-z]+")
_RECORD_EFFECTS = {"denied": "denied", "planned": "planned"}
_KINDS = ("first_report", "increase", "decrease", "increment")
_EVENT_FIELDS = ("value", "low", "high", "qualifier", "text", "unit", "mode", "since", "status", "attribution", "evidence")
_CURRENT_FIELDS = ("value", "qualifier", "text", "mode", "since", "status", "attribution", "evidence",
                   "published", "source", "url", "title")


def _log() -> structlog.typing.FilteringBoundLogger:
    """A fresh logger each time, so ``structlog.testing.capture_logs`` sees it even after configure()."""
    return structlog.get_logger(__name__)


@cache
def _script_source(name: str) -> str:
    return resources.files("alerts").joinpath(name).read_text(encoding="utf-8")


def _sha(*parts: str, length: int = 32) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def _value_key(value: float | int) -> str:
    """One spelling per number, so 3000 and 3000.0 are the same increment."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _history_entry(article: dict[str, Any], published: datetime, event: dict[str, Any]) -> dict[str, Any]:
    """What the history keeps of one event: the figure as reported, and where and when."""
    return {
        **{k: event[k] for k in _EVENT_FIELDS},
        "published": published.date().isoformat(),
        "published_at": published.isoformat().replace("+00:00", "Z"),
        "source": article.get("source") or article.get("feed") or None,
        "url": article.get("url"),
        "title": article.get("title"),
        "feed": article.get("feed"),
        "article": _text(article.get("id")),
    }


def _figure(entry: dict[str, Any], published: datetime, metric: dict[str, str]) -> dict[str, Any]:
    """The record kept as a metric's current figure should this event become it."""
    return {
        **{k: v for k, v in entry.items() if k != "effect"},
        "ts": published.timestamp(),  # what rule 6 compares
        # how this figure reads as "was ..." in a later alert, from the fields an alert's `previous` carries
        "phrase": messages.phrase({"value": entry["value"], "qualifier": entry["qualifier"]}, metric),
    }


def _dedupe_key(mid: str, vkey: str, event: dict[str, Any], identity: str) -> str:
    """The same statement of the same figure, wherever it is carried (mirror feed, syndication, retry).

    Based on the evidence sentence (punctuation and case ignored) rather than
    the article, so a syndicated copy under another title is recognised; an
    event without evidence falls back to the article's identity.
    """
    evidence = _EVIDENCE_NOISE.sub(" ", (event.get("evidence") or "").lower()).strip()
    return _sha(mid, vkey, event["qualifier"], event["mode"], event["status"],
                f"evidence:{evidence}" if evidence else identity, length=24)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One article made ready for ``record.lua``: its declared keys and JSON argument."""

    article_id: str
    keys: list[str]
    payload: dict[str, Any]


class Ledger:
    """Figures per metric in Redis; ``record`` and ``settle`` write, ``figures`` reads."""

    def __init__(self, connection: redis.Redis, keys: Keys, rules: Rules | None = None, *,
                 stream_maxlen: int = DEFAULT_STREAM_MAXLEN, seen_ttl: int = DEFAULT_SEEN_DAYS * 24 * 3600):
        self.connection = connection
        self.keys = keys
        self.rules = rules if rules is not None else Rules.default_rules()
        self.stream_maxlen = stream_maxlen
        self.seen_ttl = seen_ttl
        self._record = connection.register_script(_script_source("record.lua"))
        self._settle = connection.register_script(_script_source("settle.lua"))

    # --- writing ------------------------------------------------------------------

    def apply(self, article: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record one article's events, then settle; returns the alerts raised (already on the Stream and channels).

        For tests and callers without workers. The same article applied again
        (same id and version) changes nothing; with articles in flight, what
        they could precede stays pending (and this returns no alert for it).
        """
        self.record(article, events)
        return self.settle()

    def record(self, article: dict[str, Any], events: list[dict[str, Any]]) -> int:
        """Record one article's events as pending; returns how many (0: none, or this version was recorded already)."""
        [outcome] = self.record_many([self.prepare(article, events)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def prepare(self, article: dict[str, Any], events: list[dict[str, Any]]) -> Prepared:
        """All of :meth:`record` that does not touch Redis (validation, entries, ids, templates).

        An article without an accepted publication time, or without a valid
        event, still gets recorded (with no entries): that takes it out of
        flight.
        """
        article_id = _text(article.get("id"))
        try:
            published: datetime | None = parse_published(article.get("published"))
        except RejectedEvent as exc:
            published = None
            if events:
                _log().warning("article_rejected", article_id=article_id, url=article.get("url"), reason=str(exc),
                               events=len(events))
        prepared = self._prepare(article, published, events) if published is not None else []
        keys_, payload = self._payload(article, prepared)
        return Prepared(article_id, keys_, payload)

    def record_many(self, prepared: list[Prepared]) -> list[int | redis.ResponseError]:
        """:meth:`record` for several articles in one round trip; a script error is returned in its place.

        Each article stays atomic on its own; a lost connection raises, and
        the caller retries the lot (an article already recorded adds nothing).
        """
        if not prepared:
            return []
        pipe = self.connection.pipeline(transaction=False)
        for item in prepared:
            self._record(keys=item.keys, args=[json.dumps(item.payload, ensure_ascii=False, allow_nan=False)],
                         client=pipe)
        outcomes: list[int | redis.ResponseError] = []
        for item, reply in zip(prepared, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, redis.ResponseError):
                _log().error("ledger_record_failed", article_id=item.article_id, error=str(reply))
            else:
                _log().debug("ledger_recorded", article_id=item.article_id, entries=reply)
            outcomes.append(reply)
        return outcomes

    def settle(self) -> list[dict[str, Any]]:
        """Decide on every pending entry below the horizon, all metrics at once; returns the alerts raised.

        Idempotent and atomic (one script run), so any process may call it at
        any time; the alerts reach the Stream in order of publication.
        """
        dirty = sorted(m.decode() if isinstance(m, bytes) else m for m in self.connection.smembers(self.keys.ledger_dirty))
        if not dirty:
            return []
        keys_ = [self.keys.ledger_inflight, self.keys.ledger_holds, self.keys.ledger_dirty, self.keys.metrics_index,
                 self.keys.alert_ids, self.keys.alerts_stream]
        for mid in dirty:
            keys_ += [self.keys.ledger_pending(mid), self.keys.metric(mid), self.keys.metric_history(mid)]
        payload = {"mids": dirty, "maxlen": self.stream_maxlen, "alerts_channel": self.keys.alerts_channel,
                   "created_at": _now_iso()}
        try:
            reply = self._settle(keys=keys_, args=[json.dumps(payload)])
        except redis.ResponseError as exc:
            _log().error("ledger_settle_failed", metrics=len(dirty), error=str(exc))
            raise
        status, *raw_alerts = [r.decode("utf-8") if isinstance(r, bytes) else r for r in reply]
        _log().debug("ledger_settled", status=status, metrics=len(dirty), alerts=len(raw_alerts))
        return [json.loads(a) for a in raw_alerts]

    def pending(self) -> int:
        """How many recorded entries wait to be settled."""
        dirty = [m.decode() if isinstance(m, bytes) else m for m in self.connection.smembers(self.keys.ledger_dirty)]
        pipe = self.connection.pipeline(transaction=False)
        for mid in dirty:
            pipe.zcard(self.keys.ledger_pending(mid))
        return sum(pipe.execute()) if dirty else 0

    def _prepare(self, article: dict[str, Any], published: datetime, events: list[Any]) -> list[dict[str, Any]]:
        """Validated events, each with everything the script needs; bad ones are logged and left out."""
        article_id = _text(article.get("id"))
        identity = f"fp:{article['fingerprint']}" if article.get("fingerprint") else f"id:{article_id}"
        prepared = []
        for index, event in enumerate(events or []):
            try:
                clean = validate_event(event)
            except RejectedEvent as exc:
                _log().warning("event_rejected", article_id=article_id, url=article.get("url"), index=index,
                               reason=str(exc))
                continue
            if clean is None:
                _log().debug("event_without_figure", article_id=article_id, index=index)
                continue
            prepared.append(self._prepare_one(article, identity, published, clean))
        # Within one article, a metric's larger figure goes first: "now about 12,000, up from 10,000"
        # then reads as one increase to 12,000 and a lower (background) figure, not two alerts.
        prepared.sort(key=lambda e: -e["value"])
        return prepared

    def _prepare_one(self, article: dict[str, Any], identity: str, published: datetime,
                     event: dict[str, Any]) -> dict[str, Any]:
        """One event as the script takes it: all that can be known without the ledger's state."""
        mid = metric_id(event)
        metric = {k: event[k] for k in ("supplier", "recipient", "category", "unit")}
        entry = _history_entry(article, published, event)
        current = {k: entry.get(k) for k in _CURRENT_FIELDS}
        vkey = _value_key(event["value"])
        return {
            "mid": mid,
            "metric": metric,
            "value": event["value"],
            "vkey": vkey,
            "ts": published.timestamp(),
            "class": effect_class(event),
            "record_effect": _RECORD_EFFECTS.get(event["status"], "recorded"),
            "dedupe": _dedupe_key(mid, vkey, event, identity),
            "entry": entry,
            "current": current,
            "figure": _figure(entry, published, metric),
            "source_ref": {"key": entry["url"] or entry["article"], "source": entry["source"], "url": entry["url"],
                           "published": entry["published"], "article": entry["article"]},
            "ids": {kind: _sha(identity, mid, kind, vkey) for kind in _KINDS},
            "templates": messages.templates(metric, current),
            "rule": self.rules.for_category(event["category"]).for_script(),
            "channel": self.keys.alerts_category_channel(event["category"]),
        }

    def _payload(self, article: dict[str, Any], prepared: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
        """``record.lua``'s KEYS (every key it touches, declared) and its JSON argument.

        Each entry's member starts with its sort key after the publication
        time (the score): article id, version, place in the article.
        """
        article_id = _text(article.get("id"))
        version = _text(article.get("version"))
        metric_index: dict[str, int] = {}
        keys_ = [self.keys.processed_article(article_id), self.keys.ledger_inflight, self.keys.ledger_dirty]
        entries = []
        for index, item in enumerate(prepared):
            mid = item.pop("mid")
            if mid not in metric_index:
                metric_index[mid] = len(metric_index) + 1  # 1-based, as Lua counts
                keys_.append(self.keys.ledger_pending(mid))
            member = f"{article_id}{_SEP}{version}{_SEP}{index:04d}{_SEP}" + json.dumps(
                item, ensure_ascii=False, allow_nan=False)
            entries.append({"m": metric_index[mid], "score": repr(item["ts"]), "member": member})
        payload = {
            "version": version,
            "inflight": horizon.member(article),
            "ttl": self.seen_ttl,
            "metrics": list(metric_index),
            "entries": entries,
        }
        return keys_, payload

    # --- reading ------------------------------------------------------------------

    def figures(self) -> list[dict[str, Any]]:
        """Every metric with its current figure, the sources corroborating it, and its history (oldest first)."""
        out = []
        for raw_id in sorted(self.connection.smembers(self.keys.metrics_index)):
            mid = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            pipe = self.connection.pipeline(transaction=True)
            pipe.hmget(self.keys.metric(mid), ["metric", "current", "sources"])
            pipe.lrange(self.keys.metric_history(mid), 0, -1)
            (metric_raw, current_raw, sources_raw), history_raw = pipe.execute()
            if metric_raw is None:
                continue
            history = [json.loads(h) for h in history_raw]
            history.sort(key=lambda h: (h.get("published_at") or "", h.get("article") or ""))  # stable: settle order
            current = json.loads(current_raw) if current_raw else None
            if current is not None:
                current.pop("ts", None)
            sources = json.loads(sources_raw) if sources_raw else []
            if isinstance(sources, dict):  # Lua's cjson writes an empty list as {}
                sources = []
            out.append({
                "id": mid,
                "metric": json.loads(metric_raw),
                "current": current,
                "sources": [{k: v for k, v in s.items() if k != "key"} for s in sources],
                "history": history,
            })
        return out
