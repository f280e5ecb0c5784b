"""Delivery subscriptions, kept in Redis so that every dispatcher sees a change on its next tick.

A subscription is one JSON object in the hash ``keys.subscriptions`` (name ->
``{name, target, categories, secret, created_at, created_ms}``). ``created_ms``
is Redis server time: a subscription receives the alerts whose Stream id is
not older than it, so subscribing never replays the whole history and no
client clock is trusted.

Targets are either ``http(s)://`` webhooks (signed with a Standard Webhooks
secret, ``whsec_`` + base64) or notification URLs that apprise can load.
Secrets never leave this module except once, when ``subscribe`` prints a
generated one; everything else shows :meth:`Subscription.masked_target`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import redis

from alerts.rules import CATEGORIES  # the 14 names of events.md, defined once
from worker.errors import SubscriptionError
from worker.keys import Keys

SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_WEBHOOK_SCHEMES = ("http", "https")
_MASK_SEGMENT_OVER = 16


@dataclass(frozen=True)
class Subscription:
    name: str
    target: str
    categories: tuple[str, ...]
    secret: str | None
    created_at: str
    created_ms: int

    @property
    def is_webhook(self) -> bool:
        return urlsplit(self.target).scheme.lower() in _WEBHOOK_SCHEMES

    def wants(self, category: str | None) -> bool:
        """An empty category list means every category."""
        return not self.categories or category in self.categories

    def masked_target(self) -> str:
        return mask_target(self.target)

    def to_json(self) -> str:
        data = asdict(self)
        data["categories"] = list(self.categories)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Subscription:
        data = json.loads(raw)
        return cls(
            name=data["name"],
            target=data["target"],
            categories=tuple(data.get("categories") or ()),
            secret=data.get("secret"),
            created_at=data["created_at"],
            created_ms=int(data.get("created_ms") or 0),
        )

    def __repr__(self) -> str:  # never print the secret or the raw target (str() is this too)
        secret = "'whsec_***'" if self.secret else "None"
        return (f"Subscription(name={self.name!r}, target={self.masked_target()!r}, categories={self.categories!r}, "
                f"secret={secret}, created_at={self.created_at!r})")


@dataclass(frozen=True)
class StateKeys:
    """The Redis names holding one subscription's delivery state (all removed by unsubscribe)."""

    due: str  # ZSET alert id -> when to (re)try, ms; a claimed delivery is leased by moving its score ahead
    pending: str  # HASH alert id -> JSON {entry, data, queued_ms}: what is still to deliver
    attempts: str  # HASH alert id -> attempts made so far
    delivered: str  # ZSET alert id -> delivered ms: deduplication and the delivered count
    stats: str  # HASH counters and the last error
    dead: str  # LIST of dead letters, newest first

    @classmethod
    def of(cls, keys: Keys, name: str) -> StateKeys:
        return cls(
            due=keys.dispatch_due(name),
            pending=keys.dispatch_pending(name),
            attempts=keys.dispatch_attempts(name),
            delivered=keys.deliveries(name),
            stats=keys.dispatch_stats(name),
            dead=keys.dead_letters(name),
        )

    def all(self) -> tuple[str, ...]:
        return (self.due, self.pending, self.attempts, self.delivered, self.stats, self.dead)


# --- validation ----------------------------------------------------------------


def validate_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise SubscriptionError(f"name {name!r}: use 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit")
    return name


def validate_categories(categories: Iterable[str]) -> tuple[str, ...]:
    """Unique, in the order given; every one must be a category from events.md."""
    out: list[str] = []
    for category in categories:
        if category not in CATEGORIES:
            raise SubscriptionError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
        if category not in out:
            out.append(category)
    return tuple(out)


@contextmanager
def _quiet_apprise() -> Iterator[None]:
    """apprise logs its own parse errors; the CLI reports one line of its own instead."""
    logger = logging.getLogger("apprise")
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


def validate_target(target: str) -> str:
    """``http(s)://host...`` is a webhook; anything else must be a notification URL apprise can load."""
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if not scheme or "://" not in target:
        raise SubscriptionError("target is not a URL: expected http(s)://... or a notification URL such as slack://...")
    if scheme in _WEBHOOK_SCHEMES:
        if not parts.hostname:
            raise SubscriptionError(f"target {scheme}://: webhook URL has no host")
        try:
            parts.port  # noqa: B018 - reading it raises ValueError on a bad port
        except ValueError:
            raise SubscriptionError(f"target {scheme}://{parts.hostname}: bad port") from None
        return "webhook"
    import apprise
    from apprise.plugins import N_MGR

    if scheme not in N_MGR:
        raise SubscriptionError(f"target {scheme}://: unsupported scheme (not http(s) and not an apprise notification URL)")
    with _quiet_apprise():
        plugin = apprise.Apprise.instantiate(target)
    if plugin is None:
        raise SubscriptionError(f"target {scheme}://: malformed or incomplete notification URL")
    return "notify"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_secret(secret: str) -> str:
    if not secret.startswith(SECRET_PREFIX):
        raise SubscriptionError(f"secret must start with {SECRET_PREFIX!r} (Standard Webhooks form)")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SubscriptionError("secret: the part after 'whsec_' is not valid base64") from None
    if not SECRET_MIN_BYTES <= len(raw) <= SECRET_MAX_BYTES:
        raise SubscriptionError(f"secret must decode to {SECRET_MIN_BYTES}-{SECRET_MAX_BYTES} bytes, not {len(raw)}")
    return secret


def mask_target(target: str) -> str:
    """A target fit for listings and logs: no password, no query, no token-like path segment.

    Notification URLs are masked by apprise itself (it knows where each
    service keeps its tokens); webhooks lose userinfo passwords, the query, and
    any long path segment (``/services/T000/B000/XXXXXXXX`` style tokens).
    """
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme not in _WEBHOOK_SCHEMES:
        try:
            import apprise

            with _quiet_apprise():
                plugin = apprise.Apprise.instantiate(target)
        except Exception:  # masking must never fail a listing
            plugin = None
        return plugin.url(privacy=True).split("?", 1)[0] if plugin else f"{scheme}://***"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}:***@{host}" if parts.password is not None else f"***@{host}"
    segments = [s if len(s) <= _MASK_SEGMENT_OVER else s[:3] + "***" for s in parts.path.split("/")]
    return urlunsplit((scheme, host, "/".join(segments), "***" if parts.query else "", ""))


# --- the store -------------------------------------------------------------------

# Stamp ``created_ms`` with Redis time in the same atomic step that makes the
# subscription visible: an alert XADDed after it has a later id, and one added
# before it is not delivered to it.
_CREATED_PLACEHOLDER = "__created_ms__"
_ADD = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return false end
local t = redis.call('TIME')
local ms = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local rec = string.gsub(ARGV[2], ARGV[3], ms, 1)
redis.call('HSET', KEYS[1], ARGV[1], rec)
return ms
"""


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Subscriptions:
    """Add, list and remove subscriptions in Redis; what the CLI and the dispatcher share."""

    def __init__(self, connection: redis.Redis, keys: Keys):
        self.connection = connection
        self.keys = keys

    def add(
        self,
        target: str,
        categories: Iterable[str] = (),
        *,
        name: str | None = None,
        secret: str | None = None,
    ) -> tuple[Subscription, str | None]:
        """Validate and store a subscription; returns it and the secret generated for it (else None)."""
        kind = validate_target(target)
        cats = validate_categories(categories)
        generated = None
        if kind == "webhook":
            if secret is None:
                secret = generated = generate_secret()
            else:
                validate_secret(secret)
        elif secret is not None:
            raise SubscriptionError("--secret applies to http(s) webhooks only; notification URLs carry their own credentials")
        name = validate_name(name) if name is not None else self._new_name(target, kind)
        seconds, _micros = self.connection.time()
        draft = Subscription(
            name=name,
            target=target,
            categories=cats,
            secret=secret,
            created_at=datetime.fromtimestamp(int(seconds), timezone.utc).isoformat(),
            created_ms=0,
        )
        record = draft.to_json().replace('"created_ms": 0', f'"created_ms": "{_CREATED_PLACEHOLDER}"')
        created_ms = self.connection.eval(_ADD, 1, self.keys.subscriptions, name, record, f'"{_CREATED_PLACEHOLDER}"')
        if created_ms is None:
            raise SubscriptionError(f"a subscription named {name!r} already exists")
        return replace(draft, created_ms=int(created_ms)), generated

    def _new_name(self, target: str, kind: str) -> str:
        """``webhook-3fa2c1`` / ``slack-9a8b7c``: short, readable, and free."""
        base = "webhook" if kind == "webhook" else re.sub(r"[^a-z0-9]", "", urlsplit(target).scheme.lower())[:20]
        while True:
            name = f"{base or 'notify'}-{secrets.token_hex(3)}"
            if not self.connection.hexists(self.keys.subscriptions, name):
                return name

    def get(self, name: str) -> Subscription | None:
        raw = self.connection.hget(self.keys.subscriptions, name)
        return Subscription.from_json(raw) if raw else None

    def all(self) -> list[Subscription]:
        """Every subscription, by name; an unreadable record is skipped rather than stopping delivery to the rest."""
        out = []
        for _name, raw in sorted(self.connection.hgetall(self.keys.subscriptions).items()):
            try:
                out.append(Subscription.from_json(raw))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def remove(self, name: str) -> bool:
        """Remove the subscription and all its delivery state, atomically."""
        state = StateKeys.of(self.keys, name)
        pipe = self.connection.pipeline(transaction=True)
        pipe.hdel(self.keys.subscriptions, name)
        pipe.delete(*state.all())
        removed, _ = pipe.execute()
        return bool(removed)

    def stats(self, name: str) -> dict[str, int | str]:
        """Delivered / pending / dead counts and the last error, for ``alerts subscriptions``."""
        state = StateKeys.of(self.keys, name)
        pipe = self.connection.pipeline(transaction=False)
        pipe.hgetall(state.stats)
        pipe.hlen(state.pending)
        pipe.llen(state.dead)
        raw, pending, dead = pipe.execute()
        counters = {_decode(k): _decode(v) for k, v in raw.items()}
        return {
            "delivered": int(counters.get("delivered", 0)),
            "retries": int(counters.get("retries", 0)),
            "pending": int(pending),
            "dead": int(dead),
            "last_error": counters.get("last_error", ""),
            "last_delivered_ms": int(counters.get("last_delivered_ms", 0)),
        }

    def dead_letters(self, name: str, limit: int = 20) -> list[dict]:
        """The newest dead letters of one subscription (alert id, attempts, reason, when)."""
        rows = self.connection.lrange(StateKeys.of(self.keys, name).dead, 0, limit - 1)
        out = []
        for raw in rows:
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out
