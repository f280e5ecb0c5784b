"""Fetch one URL politely and defensively; never raises.

Feeds misbehave: they drip a byte a second, send a gigabyte of gzipped
zeros, redirect in circles or to ``file://``, answer 429. :class:`Fetcher`
bounds every one of those (connect/read/total timeouts, a limit on the
*decoded* body enforced while decompressing, a redirect limit checked hop by
hop) and turns every outcome into a :class:`FetchResult` the poller can
schedule on. Decompression is done here with ``max_length`` so a bomb never
inflates more than one small chunk past the limit.
"""

from __future__ import annotations

import email.utils
import time
import zlib
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from worker.errors import FeedError

USER_AGENT = "transferwatch/0.1 (+https://github.com/transferwatch/transferwatch)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PERMANENT_STATUSES = (410,)
RETRY_AFTER_STATUSES = (429, 503)
MAX_RETRY_AFTER = 7 * 24 * 3600.0
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchResult:
    """What happened when we asked for ``url``.

    ``error`` is a short kind (``timeout``, ``connect``, ``too_large``,
    ``too_many_redirects``, ``bad_scheme``, ``http_status``, ``protocol``,
    ``decode``, ``bad_url``, ``internal``) or ``None``; ``message`` says it in words.
    """

    url: str
    final_url: str
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    message: str = ""
    retry_after: float | None = None
    elapsed: float = 0.0
    redirects: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.status == 304

    @property
    def permanent(self) -> bool:
        """The server says the resource is gone for good (410): report it, retry only slowly."""
        return self.status in PERMANENT_STATUSES

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped at a week."""
    if not value:
        return None
    value = value.strip()
    now = time.time() if now is None else now
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Decoder:
    """Incremental Content-Encoding decoder with bounded output per call (gzip, deflate, identity)."""

    def __init__(self, encoding: str):
        encodings = [e.strip() for e in encoding.lower().split(",") if e.strip() and e.strip() != "identity"]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedError(f"unsupported Content-Encoding {encoding!r}")
        self.kind = encodings[0] if encodings else "identity"
        self._z: zlib._Decompress | None = None
        if self.kind in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._first = True

    def decode(self, data: bytes, room: int) -> list[bytes]:
        """Decode ``data``, producing at most about ``room`` bytes more (then the caller stops)."""
        if self.kind == "identity":
            return [data]
        if self.kind == "deflate" and self._z is None:
            # "deflate" is zlib-wrapped by the spec, raw in practice: sniff the header
            self._z = zlib.decompressobj(zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS)
        assert self._z is not None
        out: list[bytes] = []
        produced = 0
        pending = data
        while pending and produced <= room:
            piece = self._z.decompress(pending, min(_CHUNK, room - produced + 1))
            out.append(piece)
            produced += len(piece)
            if self._z.eof and self._z.unused_data and self.kind != "deflate":
                pending = self._z.unused_data  # concatenated gzip members
                self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                pending = self._z.unconsumed_tail
            if not piece and not pending:
                break
        return out


class Fetcher:
    """Conditional GETs with limits, over one shared connection pool (thread-safe)."""

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        max_connections: int = 64,
    ):
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._client = httpx.Client(
            follow_redirects=False,  # we follow them ourselves, checking each hop
            trust_env=False,  # no proxies or .netrc from the environment: fetch exactly what was asked
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              accept: str = FEED_ACCEPT) -> FetchResult:
        """GET ``url`` (conditionally when validators are given); every failure comes back as a result."""
        started = time.monotonic()
        deadline = started + self.total_timeout
        try:
            return self._fetch(url, etag, last_modified, accept, started, deadline)
        except httpx.TimeoutException as exc:
            return self._error(url, url, started, "timeout", f"timed out ({type(exc).__name__})")
        except httpx.ConnectError as exc:
            return self._error(url, url, started, "connect", f"cannot connect: {exc or type(exc).__name__}")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return self._error(url, url, started, "bad_url", str(exc))
        except httpx.HTTPError as exc:
            return self._error(url, url, started, "protocol", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
            return self._error(url, url, started, "internal", f"{type(exc).__name__}: {exc}")

    def _error(self, url: str, final_url: str, started: float, kind: str, message: str, **extra) -> FetchResult:
        return FetchResult(url=url, final_url=final_url, error=kind, message=message,
                           elapsed=time.monotonic() - started, **extra)

    def _timeout(self, deadline: float) -> httpx.Timeout:
        remaining = max(deadline - time.monotonic(), 0.001)
        return httpx.Timeout(
            connect=min(self.connect_timeout, remaining),
            read=min(self.read_timeout, remaining),
            write=min(self.read_timeout, remaining),
            pool=min(self.connect_timeout, remaining),
        )

    def _fetch(self, url: str, etag: str | None, last_modified: str | None, accept: str,
               started: float, deadline: float) -> FetchResult:
        current = url
        for hop in range(self.max_redirects + 1):
            scheme = urlsplit(current).scheme.lower()
            if scheme not in ("http", "https"):
                return self._error(url, current, started, "bad_scheme",
                                   f"refusing to fetch {scheme or 'relative'}:// URL {current}")
            headers = {"Accept": accept}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            request = self._client.build_request("GET", current, headers=headers, timeout=self._timeout(deadline))
            response = self._client.send(request, stream=True)
            try:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    target = str(response.url.join(response.headers["location"]))
                    if hop == self.max_redirects:
                        return self._error(url, target, started, "too_many_redirects",
                                           f"more than {self.max_redirects} redirects (last to {target})",
                                           status=response.status_code, redirects=hop)
                    current = target
                    continue
                return self._read(url, response, started, deadline, hop)
            finally:
                response.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, url: str, response: httpx.Response, started: float, deadline: float, redirects: int) -> FetchResult:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        final_url = str(response.url)
        retry_after = parse_retry_after(headers.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
        common: dict[str, Any] = dict(status=status, headers=headers, retry_after=retry_after, redirects=redirects)
        if status == 304:
            return FetchResult(url=url, final_url=final_url, elapsed=time.monotonic() - started, **common)
        if status != 200:
            reason = response.reason_phrase or ""
            return self._error(url, final_url, started, "http_status", f"HTTP {status} {reason}".strip(), **common)
        try:
            decoder = _Decoder(headers.get("content-encoding", ""))
        except FeedError as exc:
            return self._error(url, final_url, started, "decode", str(exc), **common)
        declared = headers.get("content-length", "")
        if decoder.kind == "identity" and declared.isdigit() and int(declared) > self.max_bytes:
            return self._error(url, final_url, started, "too_large",
                               f"body of {int(declared)} bytes is over the {self.max_bytes}-byte limit", **common)
        body = bytearray()
        try:
            for raw in response.iter_raw():  # no chunk_size: a chunker would wait for 64 KB from a drip
                for piece in decoder.decode(raw, self.max_bytes - len(body)):
                    body += piece
                if len(body) > self.max_bytes:
                    return self._error(url, final_url, started, "too_large",
                                       f"body is over the {self.max_bytes}-byte limit (decoded)", **common)
                if time.monotonic() > deadline:
                    return self._error(url, final_url, started, "timeout",
                                       f"body not received within {self.total_timeout:g}s", **common)
        except zlib.error as exc:
            return self._error(url, final_url, started, "decode", f"bad {decoder.kind} body: {exc}", **common)
        return FetchResult(url=url, final_url=final_url, body=bytes(body), elapsed=time.monotonic() - started, **common)

