"""Feed bytes -> article dicts (the schema in :mod:`worker.jobs`), safely and stably.

Safety: feedparser gets bytes we fetched ourselves (never a URL or a path),
converted to UTF-8 and with any DOCTYPE removed first, so no entity
declaration survives to be expanded (billion laughs) or resolved (an
external entity naming a local file). A feed that is bozo but readable still
gives its entries.

Stability: an article's ``id`` comes from its guid, else its canonical link
(tracking parameters stripped), else a content hash; ``version`` changes when
the title or body changes (a corrected figure is processed again);
``fingerprint`` is the same for the same story under two URLs or feeds.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from feedparser.encodings import convert_to_utf8

_TRACKING_PREFIXES = ("utm_",)
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
        "igshid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "oly_anon_id", "oly_enc_id",
        "vero_id", "wt.mc_id", "cmpid", "ocid", "ncid", "sr_share", "rss", "rssfeed",
    }
)
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head", "button", "form"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "table",
     "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt", "main", "aside"}
)
_SHORT_TEXT = 200  # below this, a body alone is too generic to identify a story ("Read more...")


# --- HTML to text --------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects visible text; script/style and friends are dropped with their content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._skip = max(self._skip - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: paragraphs kept as lines, whitespace collapsed."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            parser.close()
        except (AssertionError, ValueError):  # html.parser on pathological input
            pass
        text = "".join(parser.parts)
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def page_text(body: bytes, content_type: str = "") -> str:
    """Main text of an article page: ``<article>``, else ``<main>``, else ``<body>``, as plain text."""
    charset = (re.search(r"charset=([\w-]+)", content_type or "", re.I)
               or re.search(rb'<meta[^>]+charset=["\']?([\w-]+)', body[:4096], re.I))
    encoding = charset.group(1) if charset else "utf-8"
    if isinstance(encoding, bytes):
        encoding = encoding.decode("ascii", "replace")
    try:
        markup = body.decode(encoding, "replace")
    except LookupError:
        markup = body.decode("utf-8", "replace")
    for tag in ("article", "main", "body"):
        match = re.search(rf"<{tag}\b.*</{tag}\s*>", markup, re.I | re.S)
        if match:
            return html_to_text(match.group(0))
    return html_to_text(markup)


# --- links and hashes ----------------------------------------------------------


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """http(s) URL without tracking parameters, fragment, credentials or default port; else None."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_PARAMS
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query, doseq=True), ""))


def _hash(*parts: str, size: int = 32) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:size]


def normalise(text: str) -> str:
    """Lower-case words only: markup, punctuation and spacing differences between copies vanish."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def fingerprint(title: str, text: str) -> str:
    """Same story, same fingerprint: the body decides; a short body is only distinctive with its title."""
    body = normalise(text)
    if len(body) < _SHORT_TEXT:
        return _hash("fp", normalise(title), body)
    return _hash("fp", body)


# --- the entry -> article chain ------------------------------------------------


def _iso(parsed: Any) -> str | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text_from_content(entry: Any) -> str:
    contents = entry.get("content") or []
    texts = [html_to_text(c.get("value") or "") for c in contents if isinstance(c, dict)]
    return max(texts, key=len, default="")


def _text_from_summary(entry: Any) -> str:
    return html_to_text(entry.get("summary") or entry.get("description") or "")


# Fallbacks as ordered lists of small functions, like feedparser's date handlers.
TEXT_SOURCES: list[Callable[[Any], str]] = [_text_from_content, _text_from_summary]
DATE_SOURCES: list[Callable[[Any], str | None]] = [
    lambda e: _iso(e.get("published_parsed")),
    lambda e: _iso(e.get("updated_parsed")),
    lambda e: _iso(e.get("created_parsed")),
]


def _first(sources: Iterable[Callable[[Any], Any]], entry: Any) -> Any:
    for source in sources:
        value = source(entry)
        if value:
            return value
    return None


def _link(entry: Any, base: str | None) -> str | None:
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or []
                   if isinstance(link, dict) and link.get("rel", "alternate") == "alternate"]
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    if entry.get("link") and entry.get("link") != guid:
        candidates = [c for c in candidates if c != guid]  # the feed gave a link: a bad one is not replaced by the guid
    for candidate in candidates:
        url = canonical_url(candidate, base)
        if url:
            return url
    return None


def _article_id(entry: Any, feed_name: str, link: str | None, title: str, text: str) -> str:
    guid = (entry.get("id") or "").strip() if isinstance(entry.get("id"), str) else ""
    if guid:
        as_url = canonical_url(guid) if guid.lower().startswith(("http://", "https://")) else None
        return _hash("url", as_url) if as_url else _hash("guid", feed_name, guid)
    if link:
        return _hash("url", link)
    return _hash("content", feed_name, title, text)


@dataclass(frozen=True)
class Entry:
    """One article and whether its date came from the feed (else: first seen, i.e. now)."""

    article: dict[str, Any]
    dated: bool


@dataclass
class ParsedFeed:
    title: str | None
    entries: list[Entry] = field(default_factory=list)
    is_feed: bool = True
    bozo: str | None = None  # why feedparser found it malformed, when it did
    dropped: int = 0  # entries with neither text nor title


def strip_doctype(data: bytes) -> bytes:
    """Remove the DOCTYPE declaration (with its internal subset) from the document's prolog.

    Entity declarations can live only there: without them, ``&lol9;`` or an
    external ``&xxe;`` is an undefined entity that the parser reports, never
    expands or resolves. Only the prolog is scanned, so article markup is untouched.
    """
    out = bytearray()
    pos = 0
    while True:
        start = data.find(b"<", pos)
        if start < 0 or start + 1 >= len(data):
            break
        if data.startswith(b"<?", start):
            end = data.find(b"?>", start)
        elif data.startswith(b"<!--", start):
            end = data.find(b"-->", start)
            end = end + 1 if end >= 0 else end
        elif data[start + 1 : start + 9].upper() == b"!DOCTYPE":
            out += data[pos:start]
            pos = _declaration_end(data, start + 9)
            continue
        else:
            break  # the root element: the prolog is over
        if end < 0:
            break
        out += data[pos : end + 2]
        pos = end + 2
    out += data[pos:]
    return bytes(out)


def _declaration_end(data: bytes, i: int) -> int:
    """Index just past the ``>`` closing a declaration, skipping quoted strings and ``[...]``."""
    depth, quote = 0, 0
    while i < len(data):
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):
            quote = c
        elif c == 0x5B:  # [
            depth += 1
        elif c == 0x5D:  # ]
            depth = max(depth - 1, 0)
        elif c == 0x3E and depth == 0:  # >
            return i + 1
        i += 1
    return len(data)


def _to_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, bool]:
    """UTF-8 bytes of the document (so the DOCTYPE can be found in UTF-16 too), and whether that worked."""
    result: dict[str, Any] = {}
    try:
        data = convert_to_utf8({k.lower(): v for k, v in headers.items()}, body, result)
    except Exception:  # noqa: BLE001 - messy input never raises
        return body, False
    return data, bool(result.get("encoding"))


def parse_feed(body: bytes, *, feed_name: str, base_url: str | None = None,
               headers: dict[str, str] | None = None, now: datetime | None = None) -> ParsedFeed:
    """Parse fetched feed bytes into articles; never raises on a bad feed."""
    headers = headers or {}
    now_iso = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    data, converted = _to_utf8(body, headers)
    data = strip_doctype(data)
    response_headers = {"content-location": base_url or ""}
    response_headers["content-type"] = (
        "application/xml; charset=utf-8" if converted else headers.get("content-type", "application/xml"))
    parsed = feedparser.parse(io.BytesIO(data), response_headers=response_headers, sanitize_html=True)
    bozo = str(parsed.get("bozo_exception") or "") or None if parsed.get("bozo") else None
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        return ParsedFeed(title=None, is_feed=False, bozo=bozo or "no RSS or Atom elements found")
    feed_title = html_to_text(parsed.get("feed", {}).get("title") or "").replace("\n", " ").strip()
    out = ParsedFeed(title=feed_title or None, bozo=bozo)
    for entry in entries:
        item = _entry_to_article(entry, feed_name, feed_title or feed_name, base_url, now_iso)
        if item is None:
            out.dropped += 1
        else:
            out.entries.append(item)
    return out


def _entry_to_article(entry: Any, feed_name: str, source: str, base_url: str | None, now_iso: str) -> Entry | None:
    title = html_to_text(entry.get("title") or "").replace("\n", " ").strip()
    text = _first(TEXT_SOURCES, entry) or ""
    if not title and not text:
        return None
    link = _link(entry, base_url)
    published = _first(DATE_SOURCES, entry)
    article = {
        "id": _article_id(entry, feed_name, link, title, text),
        "version": _hash("version", title, text, size=16),
        "feed": feed_name,
        "source": source,
        "url": link or "",
        "title": title,
        "text": text,
        "published": published or now_iso,
        "fingerprint": fingerprint(title, text),
    }
    return Entry(article=article, dated=published is not None)


def with_text(article: dict[str, Any], text: str) -> dict[str, Any]:
    """The article with a fuller body (full-text fetch): version and fingerprint follow the text."""
    updated = dict(article, text=text)
    updated["version"] = _hash("version", updated["title"], text, size=16)
    updated["fingerprint"] = fingerprint(updated["title"], text)
    return updated


__all__ = [
    "Entry", "ParsedFeed", "parse_feed", "canonical_url", "html_to_text", "page_text", "strip_doctype",
    "fingerprint", "normalise", "with_text",
]
