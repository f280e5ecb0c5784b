"""The HTML pages: overview, a metric, alerts, feeds, subscriptions, sign-in.

Reads go through the same functions as the command line (``read_figures``,
``alerts.stream``, ``worker.feed_health``, ``alerts.subscriptions``); edits too
(``worker.feeds.add_feed / remove_feed / set_enabled``, ``Subscriptions.add /
remove``), so a form accepts and refuses exactly what the CLI does, with the
CLI's message. A successful edit redirects (303) to the page it came from; a
refused one shows the page again with the problem (400). The CSRF check of
every POST is in ``security.Guard``; the forms carry its token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from alerts.stream import StreamAlert, last_id, latest
from alerts.subscriptions import CATEGORIES, SubscriptionError, Subscriptions, validate_categories
from worker.commands.figures import read_figures
from worker.feed_health import health_rows
from worker.feeds import add_feed, load_feeds, remove_feed, set_enabled
from worker.settings import ConfigError, redact_url
from worker.web import views
from worker.web.charts import safe_url
from worker.web.security import CSRF_FIELD, session_cookie, token_matches

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)

ALERTS_SHOWN = 50
NOTICES = {  # ?done=... after a redirect: fixed words, the name escaped by the template
    "added": "Added feed {name}.",
    "removed": "Removed feed {name}.",
    "enabled": "Enabled feed {name}.",
    "disabled": "Disabled feed {name}.",
    "unsubscribed": "Removed subscription {name}.",
}


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    state = request.app.state
    nonce = getattr(request.state, "session", None)
    common = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": state.sessions.csrf_token(nonce) if nonce else "",
        "signed_in": getattr(request.state, "auth", None) == "cookie",
    }
    return state.templates.TemplateResponse(request, name, {**common, **context}, status_code=status_code)


def _notice(request: Request) -> str | None:
    template = NOTICES.get(request.query_params.get("done", ""))
    return template.format(name=request.query_params.get("name", "")) if template else None


def _done(path: str, done: str, name: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': done, 'name': name})}", status_code=303)


# --- figures ---------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    state = request.app.state
    metrics = views.overview(read_figures(state.redis, state.keys))
    return render(request, "overview.html", {"nav": "overview", "metrics": metrics})


@router.get("/metric/{metric_id:path}", response_class=HTMLResponse)
def metric(request: Request, metric_id: str) -> HTMLResponse:
    state = request.app.state
    item = next((m for m in read_figures(state.redis, state.keys) if m.get("id") == metric_id), None)
    if item is None:
        return render(request, "error.html", {"nav": "overview", "title": "No such metric",
                                              "message": f"The ledger has no metric {metric_id}."}, 404)
    return render(request, "metric.html", {"nav": "overview", "m": views.metric_view(item, detailed=True)})


# --- alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertItem:
    entry_id: str
    kind: str
    category: str
    created_at: str
    message: str
    metric_path: str | None
    title: str
    url: str | None


def alert_item(item: StreamAlert) -> AlertItem:
    alert = item.alert or {}
    metric = alert.get("metric") or {}
    current = alert.get("current") or {}
    parts = [str(metric.get(k, "")) for k in ("supplier", "recipient", "category", "unit")]
    return AlertItem(
        entry_id=item.entry_id,
        kind=str(alert.get("kind", "")),
        category=str(metric.get("category", "")),
        created_at=str(alert.get("created_at", "")),
        message=str(alert.get("message", "")),
        metric_path=views.metric_path(":".join(parts)) if all(parts) else None,
        title=str(current.get("title") or current.get("url") or ""),
        url=safe_url(current.get("url")),
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    state = request.app.state
    wanted = [c for c in request.query_params.getlist("category") if c]
    try:
        cats = validate_categories(wanted)
    except SubscriptionError as exc:
        return render(request, "error.html", {"nav": "alerts", "title": "Bad filter", "message": str(exc)}, 400)
    newest = last_id(state.redis, state.keys)  # the page shows up to here; the live stream continues after it
    items = [alert_item(i) for i in reversed(latest(state.redis, state.keys, ALERTS_SHOWN, cats, until=newest))]
    query = [("category", c) for c in cats] + [("since", newest)]
    return render(request, "alerts.html", {
        "nav": "alerts", "alerts": items, "categories": CATEGORIES, "selected": cats[0] if cats else "",
        "stream_url": "/api/alerts/stream?" + urlencode(query),
    })


# --- feeds -----------------------------------------------------------------------


def _feeds_page(request: Request, *, error: str | None = None, form: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    state = request.app.state
    rows, file_error = [], None
    try:
        listed = load_feeds(state.config.feeds_path)
        rows = health_rows(state.redis, state.keys, listed)
    except ConfigError as exc:
        file_error = str(exc)
    for row in rows:
        row["url"] = redact_url(row["url"])
    return render(request, "feeds.html", {
        "nav": "feeds", "rows": rows, "file_error": file_error, "error": error, "notice": _notice(request),
        "feeds_path": str(state.config.feeds_path), "form": form or {"url": "", "name": "", "interval": ""},
    }, status_code)


def _unwritable(request: Request, exc: OSError) -> str:
    log.error("feeds_file_not_written", file=str(request.app.state.config.feeds_path), error=str(exc))
    return f"{request.app.state.config.feeds_path}: cannot write the feed list ({exc.strerror or exc})"


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request) -> HTMLResponse:
    return _feeds_page(request)


@router.post("/feeds")
def feeds_add(request: Request, url: Annotated[str, Form()], name: Annotated[str, Form()] = "",
              interval: Annotated[str, Form()] = "") -> Response:
    form = {"url": url, "name": name, "interval": interval}
    url, name, interval = url.strip(), name.strip(), interval.strip()
    try:
        if interval and not interval.isdigit():
            raise ConfigError(f"interval must be a whole number of seconds, not {interval!r}")
        feed = add_feed(request.app.state.config.feeds_path, url, name=name or None,
                        interval=int(interval) if interval else None)
    except ConfigError as exc:
        return _feeds_page(request, error=str(exc), form=form, status_code=400)
    except OSError as exc:
        return _feeds_page(request, error=_unwritable(request, exc), form=form, status_code=500)
    return _done("/feeds", "added", feed.name)


@router.post("/feeds/{name}/{action}")
def feeds_edit(request: Request, name: str, action: str) -> Response:
    path = request.app.state.config.feeds_path
    try:
        if action == "remove":
            remove_feed(path, name)
        elif action in ("enable", "disable"):
            set_enabled(path, name, action == "enable")
        else:
            return _feeds_page(request, error=f"unknown action {action!r}", status_code=404)
    except ConfigError as exc:
        return _feeds_page(request, error=str(exc), status_code=400)
    except OSError as exc:
        return _feeds_page(request, error=_unwritable(request, exc), status_code=500)
    return _done("/feeds", {"remove": "removed", "enable": "enabled", "disable": "disabled"}[action], name)


# --- subscriptions -----------------------------------------------------------------


def _subscriptions_page(request: Request, *, error: str | None = None, created: dict[str, Any] | None = None,
                        form: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    state = request.app.state
    store = Subscriptions(state.redis, state.keys)
    subs = [{
        "name": sub.name,
        "target": sub.masked_target(),
        "kind": "webhook" if sub.is_webhook else "notification",
        "categories": sub.categories,
        "has_secret": bool(sub.secret),
        "created_at": sub.created_at,
        "stats": store.stats(sub.name),
        "dead_letters": [{k: letter.get(k) for k in ("alert_id", "attempts", "reason", "at")}
                         for letter in store.dead_letters(sub.name)],
    } for sub in store.all()]
    return render(request, "subscriptions.html", {
        "nav": "subscriptions", "subs": subs, "categories": CATEGORIES, "error": error, "created": created,
        "notice": _notice(request), "form": form or {"name": "", "categories": ()},
    }, status_code)


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request) -> HTMLResponse:
    return _subscriptions_page(request)


@router.post("/subscriptions")
async def subscriptions_add(request: Request) -> Response:
    data = await request.form()  # categories repeat; read the form as a multi-dict
    target = str(data.get("target") or "").strip()
    name = str(data.get("name") or "").strip()
    categories = [str(c) for c in data.getlist("category")]
    form = {"name": name, "categories": categories}  # the target is not echoed: it may hold a token
    state = request.app.state
    try:
        sub, secret = Subscriptions(state.redis, state.keys).add(target, categories, name=name or None)
    except SubscriptionError as exc:
        return _subscriptions_page(request, error=str(exc), form=form, status_code=400)
    created = {"name": sub.name, "target": sub.masked_target(), "secret": secret}
    return _subscriptions_page(request, created=created)


@router.post("/subscriptions/{name}/remove")
def subscriptions_remove(request: Request, name: str) -> Response:
    state = request.app.state
    if not Subscriptions(state.redis, state.keys).remove(name):
        return _subscriptions_page(request, error=f"no subscription named {name!r}", status_code=404)
    return _done("/subscriptions", "unsubscribed", name)


# --- sign-in ---------------------------------------------------------------------


def _local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//evil.example``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def signin_response(request: Request, *, next_path: str, error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    return render(request, "signin.html", {"nav": "", "next": _local_path(next_path), "error": error}, status_code)


def signin_page_for(scope: Scope) -> Response:
    """The page ``security.Guard`` answers an unauthenticated page request with (status 401)."""
    request = Request(scope)
    here = scope["path"] + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
    return signin_response(request, next_path=here, status_code=401)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request) -> Response:
    if request.app.state.config.token is None:
        return RedirectResponse("/", status_code=303)
    return signin_response(request, next_path=request.query_params.get("next", "/"))


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    state = request.app.state
    if state.config.token is None:
        return RedirectResponse("/", status_code=303)
    if not token_matches(token, state.config.token):
        return signin_response(request, next_path=next, error="That is not the token.", status_code=401)
    _nonce, value = state.sessions.new()
    response = RedirectResponse(_local_path(next), status_code=303)
    response.headers.append("set-cookie", session_cookie(value, secure=request.url.scheme == "https"))
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/signin" if request.app.state.config.token else "/", status_code=303)
    response.headers.append("set-cookie", session_cookie("", secure=request.url.scheme == "https", max_age=0))
    return response


# --- templates -------------------------------------------------------------------


def make_templates(static_version: str) -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template (SVG fragments included) and undefined names as errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("worker.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = lambda name: f"/static/{quote(name)}?v={static_version}"
    env.globals["number"] = views.messages.number
    return Jinja2Templates(env=env)

