"""feeds.yaml: load, validate, edit in place, watch for changes.

People edit this file by hand while the service runs, so every error names
the file and the line it stands on (``feeds.yaml:7: feed 'x': interval must
be ...``), edits from ``transferwatch feeds add/remove`` keep the comments,
order and formatting around them, and a broken edit never replaces the last
good list (:class:`FeedsWatcher`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from worker.settings import ConfigError

log = structlog.get_logger(__name__)

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62})$")
MIN_INTERVAL = 1  # contracts.md only calls "bad" intervals errors; below a minute is impolite to most feeds, not invalid
MAX_INTERVAL = 86400
DEFAULT_INTERVAL = 900
_TOP_LEVEL_KEYS = ("feeds",)


class FeedConfig(BaseModel):
    """One watched feed, as written in feeds.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    url: str
    interval: StrictInt = Field(default=DEFAULT_INTERVAL, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    enabled: StrictBool = True
    full_text: StrictBool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        check_feed_url(value)
        return value


def check_feed_url(url: str) -> None:
    """Only absolute http(s) URLs with a host: anything else is a typo or a trick (file://, javascript:)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"must be an http:// or https:// URL, not {url!r}")
    if not parts.hostname:
        raise ValueError(f"has no host: {url!r}")
    if any(c.isspace() for c in url):
        raise ValueError(f"contains whitespace: {url!r}")


# --- loading -------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: keeps comments and line numbers
    yaml.allow_duplicate_keys = False
    return yaml


def _describe(error: dict[str, Any]) -> str:
    """One pydantic error as the words a person editing YAML understands."""
    loc = [str(p) for p in error.get("loc", ())]
    field = loc[0] if loc else ""
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return f"unknown key {field!r} (allowed: name, url, interval, enabled, full_text)"
    if kind == "missing":
        return f"{field} is required"
    if field == "interval":
        if kind in ("greater_than_equal", "less_than_equal", "int_type", "int_parsing"):
            return f"interval must be a whole number of seconds from {MIN_INTERVAL} to {MAX_INTERVAL}, not {error.get('input')!r}"
    if field in ("enabled", "full_text") and kind == "bool_type":
        return f"{field} must be true or false, not {error.get('input')!r}"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{field} {message}" if field else message


def _line_of(node: Any, key: str | None = None) -> int | None:
    """1-based line of a mapping (or of one of its keys) as ruamel recorded it."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None and isinstance(node, CommentedMap) and key in node:
            return lc.key(key)[0] + 1
        return lc.line + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _fail(source: str, line: int | None, message: str) -> ConfigError:
    where = f"{source}:{line}" if line else source
    return ConfigError(f"{where}: {message}")


def _load_document(text: str, source: str) -> Any:
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(source, line, f"YAML syntax error: {problem}") from None
    except YAMLError as exc:
        raise _fail(source, None, f"YAML error: {str(exc).splitlines()[0]}") from None


def parse_feeds(text: str, source: str = "feeds.yaml") -> list[FeedConfig]:
    """Validate the text of a feeds.yaml; raises :class:`ConfigError` naming ``source:line``."""
    doc = _load_document(text, source)
    if doc is None:
        return []
    if not isinstance(doc, CommentedMap):
        raise _fail(source, 1, "the file must be a mapping with a 'feeds:' list")
    for key in doc:
        if key not in _TOP_LEVEL_KEYS:
            raise _fail(source, _line_of(doc, key), f"unknown top-level key {key!r} (allowed: feeds)")
    entries = doc.get("feeds")
    if entries is None:
        return []
    if not isinstance(entries, CommentedSeq):
        raise _fail(source, _line_of(doc, "feeds"), "'feeds' must be a list of entries ('- name: ...')")
    feeds: list[FeedConfig] = []
    first_line: dict[str, int | None] = {}
    for index, entry in enumerate(entries):
        entry_line = entries.lc.item(index)[0] + 1 if index < len(entries) else None
        if not isinstance(entry, CommentedMap):
            raise _fail(source, entry_line, f"feed #{index + 1} must be a mapping with name and url")
        label = f"feed {entry.get('name')!r}" if isinstance(entry.get("name"), str) else f"feed #{index + 1}"
        try:
            feed = FeedConfig.model_validate(dict(entry))
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = error.get("loc") or ()
            field = str(loc[0]) if loc else None
            line = _line_of(entry, field) if field in entry else (entry_line or _line_of(entry))
            raise _fail(source, line, f"{label}: {_describe(error)}") from None
        if feed.name in first_line:
            raise _fail(
                source,
                _line_of(entry, "name"),
                f"feed {feed.name!r}: duplicate name (first used on line {first_line[feed.name]})",
            )
        first_line[feed.name] = _line_of(entry, "name")
        feeds.append(feed)
    return feeds


def load_feeds(path: Path) -> list[FeedConfig]:
    """Read and validate ``path``; a missing or unreadable file is a :class:`ConfigError` too."""
    return parse_feeds(_read(path), str(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (set TRANSFERWATCH_FEEDS or pass --feeds)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


# --- editing -------------------------------------------------------------------


def derive_name(url: str, taken: Sequence[str] = ()) -> str:
    """A feed name from the URL's host (``https://www.nknews.org/feed/`` -> ``nknews-org``), unique among ``taken``."""
    host = (urlsplit(url).hostname or "feed").lower().removeprefix("www.")
    base = re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:56] or "feed"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a running watcher never reads half a file."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump_entry(entry: dict[str, Any]) -> list[str]:
    """The YAML lines of one list item (``- name: ...``), quoted only where YAML needs it."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=2, offset=0)
    buf = io.StringIO()
    yaml.dump([entry], buf)
    return buf.getvalue().splitlines()


def _item_span(lines: list[str], entries: CommentedSeq, index: int) -> tuple[int, int, int]:
    """(first line, end line exclusive, dash column) of list item ``index``, 0-based.

    Comment lines directly above an item belong to it; comment and blank
    lines directly above the *next* item belong to that one.
    """
    line, col = entries.lc.item(index)
    dash = lines[line].rfind("-", 0, col)
    dash = dash if dash >= 0 else max(col - 2, 0)
    start = line
    while start > 0 and lines[start - 1].strip().startswith("#"):
        start -= 1
    if index + 1 < len(entries):
        end = entries.lc.item(index + 1)[0]
    else:
        end = line + 1
        while end < len(lines):
            stripped = lines[end].strip()
            indent = len(lines[end]) - len(lines[end].lstrip())
            if stripped and not stripped.startswith("#") and indent <= dash:
                break
            end += 1
    while end > line + 1 and (not lines[end - 1].strip() or lines[end - 1].strip().startswith("#")):
        end -= 1
    return start, end, dash


def _load_for_edit(path: Path) -> tuple[str, Any]:
    text = _read(path) if path.exists() else ""
    parse_feeds(text, str(path))  # refuse to edit a file that is already broken
    return text, _load_document(text, str(path))


def add_feed(path: Path, url: str, *, name: str | None = None, interval: int | None = None,
             enabled: bool = True) -> FeedConfig:
    """Append a feed to ``path`` (created if missing), keeping everything else as it was."""
    text, doc = _load_for_edit(path)
    existing = parse_feeds(text, str(path))
    names = [f.name for f in existing]
    for feed in existing:
        if feed.url == url:
            raise ConfigError(f"{path}: feed {feed.name!r} already watches {url}")
    if name is not None and name in names:
        raise ConfigError(f"{path}: feed {name!r} already exists")
    entry: dict[str, Any] = {"name": name or derive_name(url, names), "url": url}
    if interval is not None:
        entry["interval"] = interval
    if not enabled:
        entry["enabled"] = False
    try:
        feed = FeedConfig.model_validate(entry)
    except ValidationError as exc:
        raise ConfigError(f"{path}: feed {entry['name']!r}: {_describe(exc.errors()[0])}") from None

    entries = doc.get("feeds") if isinstance(doc, CommentedMap) else None
    if isinstance(entries, CommentedSeq) and len(entries) and entries.fa.flow_style() is False:
        lines = text.splitlines()
        start, end, dash = _item_span(lines, entries, len(entries) - 1)
        block = [" " * dash + line for line in _dump_entry(entry)]
        if start > 0 and not lines[start - 1].strip():
            block.insert(0, "")  # the file separates entries with a blank line: so do we
        new_text = "\n".join(lines[:end] + block + lines[end:]) + "\n"
    elif doc is None:  # an empty or comment-only file: its lines stay, the list follows them
        block = ["feeds:", *("  " + line for line in _dump_entry(entry))]
        new_text = (text.rstrip("\n") + "\n" if text.strip() else "") + "\n".join(block) + "\n"
    else:
        if not isinstance(doc, CommentedMap):
            doc = CommentedMap()
        if not isinstance(entries, CommentedSeq):
            entries = CommentedSeq()
            doc["feeds"] = entries
        entries.append(CommentedMap(entry))
        yaml = _yaml()
        yaml.indent(mapping=2, sequence=4, offset=2)
        buf = io.StringIO()
        yaml.dump(doc, buf)
        new_text = buf.getvalue()
    _check_edit(path, new_text, [*names, feed.name])
    _write_atomically(path, new_text)
    log.info("feed_added", file=str(path), feed=feed.name, url=url)
    return feed


def _index_of(path: Path, existing: list[FeedConfig], name: str) -> int:
    index = next((i for i, f in enumerate(existing) if f.name == name), None)
    if index is None:
        known = ", ".join(f.name for f in existing) or "none"
        raise ConfigError(f"{path}: no feed named {name!r} (feeds: {known})")
    return index


def _shares_lines(entries: CommentedSeq) -> bool:
    """True when the list is written so that line-based edits cannot cut it apart (flow style, items on one line)."""
    if entries.fa.flow_style():
        return True
    lines = [entries.lc.item(i)[0] for i in range(len(entries))]
    return len(set(lines)) != len(lines)


def remove_feed(path: Path, name: str) -> FeedConfig:
    """Remove the feed ``name`` and the comment lines directly above it; the rest stays byte for byte."""
    text, doc = _load_for_edit(path)
    existing = parse_feeds(text, str(path))
    index = _index_of(path, existing, name)
    entries: CommentedSeq = doc["feeds"]
    lines = text.splitlines()
    if _shares_lines(entries):
        del entries[index]
        buf = io.StringIO()
        _yaml().dump(doc, buf)
        new_text = buf.getvalue()
    else:
        start, end, _ = _item_span(lines, entries, index)
        kept = lines[:start] + lines[end:]
        # the blank line that separated the removed item goes with it
        if start < len(kept) and not kept[start].strip() and (start == 0 or index == 0 or not kept[start - 1].strip()):
            del kept[start]
        elif start == len(kept) and start > 0 and not kept[start - 1].strip():
            del kept[start - 1]  # the last entry went: so does the blank line that set it apart
        new_text = "\n".join(kept) + ("\n" if kept else "")
    _check_edit(path, new_text, [f.name for f in existing if f.name != name])
    _write_atomically(path, new_text)
    log.info("feed_removed", file=str(path), feed=name)
    return existing[index]


def set_enabled(path: Path, name: str, enabled: bool) -> FeedConfig:
    """Enable or disable the feed ``name``: its ``enabled:`` value is rewritten (or the key added under its
    other keys); every other byte of the file, comments included, stays as it was."""
    text, doc = _load_for_edit(path)
    existing = parse_feeds(text, str(path))
    index = _index_of(path, existing, name)
    if existing[index].enabled == enabled:
        return existing[index]
    entries: CommentedSeq = doc["feeds"]
    entry: CommentedMap = entries[index]
    word = "true" if enabled else "false"
    lines = text.splitlines()
    if _shares_lines(entries) or entry.fa.flow_style():
        entry["enabled"] = enabled
        buf = io.StringIO()
        _yaml().dump(doc, buf)
        new_text = buf.getvalue()
    else:
        if "enabled" in entry:
            line, col = entry.lc.value("enabled")
            token = re.match(r"[^\s#]*", lines[line][col:]).group(0)
            lines[line] = lines[line][:col] + word + lines[line][col + len(token):]
        else:
            _start, end, _dash = _item_span(lines, entries, index)
            column = entry.lc.key(next(iter(entry)))[1]
            lines.insert(end, " " * column + f"enabled: {word}")
        new_text = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    _check_edit(path, new_text, [f.name for f in existing])
    if parse_feeds(new_text, str(path))[index].enabled != enabled:
        raise ConfigError(f"{path}: the edit could not be applied safely (feed {name!r} is still "
                          f"{'disabled' if enabled else 'enabled'})")
    _write_atomically(path, new_text)
    log.info("feed_enabled" if enabled else "feed_disabled", file=str(path), feed=name)
    return existing[index].model_copy(update={"enabled": enabled})


def _check_edit(path: Path, new_text: str, expected_names: list[str]) -> None:
    """An edit must leave a valid file with exactly the expected feeds: never write anything else."""
    got = [f.name for f in parse_feeds(new_text, str(path))]
    if got != expected_names:
        raise ConfigError(f"{path}: the edit could not be applied safely (expected {expected_names}, got {got})")


# --- watching ------------------------------------------------------------------


class FeedsWatcher:
    """Holds the last good feed list and reloads it when the file's content changes.

    :meth:`check` is cheap (one small read and a hash) and is called once per
    poll tick, so an edit takes effect within a tick without a watcher thread.
    The first load raises :class:`ConfigError` (the service refuses to start on
    a bad file); later broken edits are logged and the last good list stays.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        text = _read(self.path)
        self.feeds: list[FeedConfig] = parse_feeds(text, str(self.path))
        self._digest = _digest(text)
        self._bad_digest: str | None = None

    def check(self) -> bool:
        """Reload if the file changed; True when a new good list is now in force."""
        try:
            text = _read(self.path)
        except ConfigError as exc:
            if self._bad_digest != "unreadable":
                log.warning("feeds_reload_failed", file=str(self.path), error=str(exc), kept=len(self.feeds))
                self._bad_digest = "unreadable"
            return False
        digest = _digest(text)
        if digest == self._digest or digest == self._bad_digest:
            return False
        try:
            feeds = parse_feeds(text, str(self.path))
        except ConfigError as exc:
            line = _error_line(str(exc))
            log.warning("feeds_reload_failed", file=str(self.path), line=line, error=str(exc), kept=len(self.feeds))
            self._bad_digest = digest  # report a broken edit once, not every tick
            return False
        before = {f.name: f for f in self.feeds}
        after = {f.name: f for f in feeds}
        self.feeds, self._digest, self._bad_digest = feeds, digest, None
        log.info(
            "feeds_reloaded",
            file=str(self.path),
            feeds=len(feeds),
            added=sorted(after.keys() - before.keys()),
            removed=sorted(before.keys() - after.keys()),
            changed=sorted(n for n in after.keys() & before.keys() if after[n] != before[n]),
        )
        return True


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _error_line(message: str) -> int | None:
    match = re.match(r"^[^:]*:(\d+):", message)
    return int(match.group(1)) if match else None
