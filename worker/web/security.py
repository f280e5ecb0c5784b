"""Who may ask, and what a cross-site page cannot make a browser do.

* **Token.** With ``TRANSFERWATCH_WEB_TOKEN`` set, every request carries
  ``Authorization: Bearer <token>`` or the session cookie that the sign-in form
  sets; the token is compared in constant time. Without a token the server
  only listens on loopback (``config.check_bind``) and answers only requests
  addressed to a loopback name (``Host``), so a DNS-rebinding page cannot read it.
* **Sessions.** The cookie holds a random nonce, its issue time and an HMAC of
  both (key derived from the token, else random per process); it is
  ``HttpOnly`` and ``SameSite=Strict``. Every browser gets one, signed in or not,
  because the CSRF token of its forms is an HMAC of that nonce.
* **CSRF.** Every request that is not GET/HEAD/OPTIONS must come from our own
  origin (``Sec-Fetch-Site`` and ``Origin`` when the browser sends them) and,
  unless it is authenticated by the Authorization header (which no other site
  can make a browser send), carry the form field ``csrf`` matching its session.
  The check sits in front of every route, so a new form cannot forget it.
* **Headers.** A Content-Security-Policy without ``'unsafe-inline'`` (scripts and
  styles come from ``/static`` only), no framing, no referrer to other sites, no sniffing, and
  ``Cache-Control: no-store`` on everything but static files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.web.config import is_loopback

SESSION_COOKIE = "tw_session"
SESSION_MAX_AGE = 7 * 24 * 3600
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIXES = ("/static/",)  # the stylesheet and script hold nothing secret; the sign-in page needs them
PUBLIC_PATHS = frozenset({"/signin"})
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",  # no referrer to article sites; "no-referrer" would make forms send "Origin: null"
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token_matches(given: str | None, token: str) -> bool:
    """Constant time, whatever the lengths (both sides hashed first)."""
    if not given:
        return False
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(token.encode()).digest())


class Sessions:
    """Signed session cookies and the CSRF tokens derived from them."""

    def __init__(self, token: str | None):
        if token:  # sessions survive a restart and die when the token changes
            self._key = hmac.new(token.encode(), b"transferwatch web session v1", hashlib.sha256).digest()
        else:
            self._key = secrets.token_bytes(32)

    def _sign(self, *parts: str) -> str:
        return _b64(hmac.new(self._key, "|".join(parts).encode(), hashlib.sha256).digest())

    def new(self) -> tuple[str, str]:
        """A new session: its nonce, and the cookie value that carries it."""
        nonce, issued = secrets.token_urlsafe(18), str(int(time.time()))
        return nonce, f"{nonce}.{issued}.{self._sign('session', nonce, issued)}"

    def verify(self, value: str | None) -> str | None:
        """The nonce of a valid, unexpired cookie value; None otherwise."""
        if not value or value.count(".") != 2:
            return None
        nonce, issued, signature = value.split(".")
        if not issued.isdigit() or time.time() - int(issued) > SESSION_MAX_AGE:
            return None
        if not hmac.compare_digest(signature, self._sign("session", nonce, issued)):
            return None
        return nonce

    def csrf_token(self, nonce: str) -> str:
        return self._sign("csrf", nonce)

    def csrf_matches(self, nonce: str | None, given: str | None) -> bool:
        return bool(nonce and given) and hmac.compare_digest(given, self.csrf_token(nonce))


def session_cookie(value: str, *, secure: bool, max_age: int = SESSION_MAX_AGE) -> str:
    cookie = f"{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    return cookie + "; Secure" if secure else cookie


def _cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is as good as none
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _bearer(headers: Headers) -> str | None:
    scheme, _, value = (headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _host_name(host_header: str) -> str:
    """``[::1]:8650`` -> ``::1``; ``localhost:8650`` -> ``localhost``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def wants_json(path: str) -> bool:
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


class SecurityHeaders:
    """Adds the security headers to every response; ``no-store`` unless a route set its own caching."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS.items() if k not in present]
                if b"cache-control" not in present and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Guard:
    """Host check, authentication, the session cookie and CSRF, in front of every route.

    Sets ``scope["state"]``: ``session`` (the nonce; templates derive the CSRF
    token from it) and ``auth`` (``"bearer"``, ``"cookie"`` or ``"open"``, no token configured).
    """

    def __init__(self, app: ASGIApp, *, sessions: Sessions, token: str | None,
                 signin_page: Callable[[Scope], Response]):
        self.app = app
        self.sessions = sessions
        self.token = token
        self.signin_page = signin_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope["path"]
        if self.token is None and not is_loopback(_host_name(headers.get("host") or "localhost")):
            # served on loopback without a token: a request for another host name is a DNS-rebinding attempt
            await PlainTextResponse("unknown host", status_code=421)(scope, receive, send)
            return

        nonce = self.sessions.verify(_cookie(headers, SESSION_COOKIE))
        bearer = _bearer(headers)
        if self.token is None:
            auth = "open"
        elif bearer is not None and token_matches(bearer, self.token):
            auth = "bearer"
        elif bearer is None and nonce is not None:
            auth = "cookie"
        else:
            auth = None
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if auth is None and not public:
            await self._unauthorized(scope, receive, send, path)
            return

        new_cookie = None
        if nonce is None and auth == "open" and not wants_json(path) and not path.startswith(PUBLIC_PREFIXES):
            nonce, new_cookie = self.sessions.new()  # a session for the CSRF token of this browser's forms
        state = scope.setdefault("state", {})
        state["session"] = nonce
        state["auth"] = auth

        if scope["method"] not in SAFE_METHODS:
            problem = self._cross_site(headers, scope)
            if problem is None and auth != "bearer" and path not in PUBLIC_PATHS:
                problem, receive = await self._check_form_token(headers, receive, nonce)
            if problem is not None:
                await self._forbidden(scope, receive, send, problem)
                return

        if new_cookie is None:
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = session_cookie(new_cookie, secure=secure).encode()
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _unauthorized(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if wants_json(path) or scope["method"] not in SAFE_METHODS:
            response: Response = JSONResponse(
                {"error": "authentication required: send 'Authorization: Bearer <TRANSFERWATCH_WEB_TOKEN>'"},
                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="transferwatch"'})
        else:
            response = self.signin_page(scope)
        await response(scope, receive, send)

    @staticmethod
    async def _forbidden(scope: Scope, receive: Receive, send: Send, problem: str) -> None:
        if wants_json(scope["path"]):
            response: Response = JSONResponse({"error": problem}, status_code=403)
        else:
            response = PlainTextResponse(f"Forbidden: {problem}. Reload the page and try again.", status_code=403)
        await response(scope, receive, send)

    @staticmethod
    def _cross_site(headers: Headers, scope: Scope) -> str | None:
        """A state-changing request sent by another site, as the browser tells it; None when it is ours."""
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return f"cross-site request refused (Sec-Fetch-Site: {fetch_site})"
        origin = headers.get("origin")
        if origin is not None:
            # host and port only: behind a TLS-terminating proxy the browser's scheme is not ours
            if origin == "null" or urlsplit(origin).netloc.lower() != (headers.get("host") or "").lower():
                return "cross-origin request refused (Origin does not match)"
        return None

    async def _check_form_token(self, headers: Headers, receive: Receive,
                                nonce: str | None) -> tuple[str | None, Receive]:
        """Read the form (small, urlencoded), check its CSRF field, and hand the body on unchanged."""
        content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return "a form post (application/x-www-form-urlencoded) with its CSRF token is required", receive
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return "client went away", receive
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return "form too large", receive
        given = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [None])[0]
        if not self.sessions.csrf_matches(nonce, given):
            return "missing or invalid CSRF token", receive
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return None, replay
