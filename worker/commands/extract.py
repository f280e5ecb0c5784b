"""``transferwatch extract``: run the extractor on one article, or on JSON lines.

    transferwatch extract article.txt --published 2024-10-23     # prints a JSON array of events
    transferwatch extract --jsonl articles.jsonl                  # one {"id", "events"} line per input line

In ``--jsonl`` mode a bad input line (not JSON, not an object, no text) is reported on stderr
with its line number and still gets an output line, ``{"id": <id or null>, "events": []}``, so
that output line N always answers input line N. Exit codes: 0 success, 2 bad usage, 1 runtime failure.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date

import click

from worker.terminal import inert

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            valid = bool(_DATE.match(value)) and date.fromisoformat(value[:10]) is not None
        except ValueError:
            valid = False
        if not valid:
            raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}")
    return value


def _records(stream, bad: list[int], name: str = "<stdin>") -> Iterator[tuple[object, dict]]:
    """(id, record) per non-blank line; a bad line yields (id or None, {}) and is reported as
    ``name:line: problem`` (the line keeps its place in the output, with no events)."""
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            click.echo(f"{name}:{n}: not JSON: {exc.msg}", err=True)
            bad.append(n)
            yield None, {}
            continue
        if not isinstance(obj, dict):
            click.echo(f"{name}:{n}: expected a JSON object", err=True)
            bad.append(n)
            yield None, {}
            continue
        rid = obj.get("id")
        text = obj.get("text")
        if not isinstance(text, str):
            click.echo(f"{name}:{n}: 'text' missing or not a string", err=True)
            bad.append(n)
            yield rid, {}
            continue
        published = obj.get("published")
        if published is not None and not (isinstance(published, str) and _DATE.match(published[:10])):
            click.echo(f"{name}:{n}: 'published' is not YYYY-MM-DD; read without a date", err=True)
            published = None
        yield rid, {"text": text, "title": obj.get("title"), "published": published}


@click.command("extract")
@click.argument("path", required=False, default="-")
@click.option("--jsonl", "jsonl", metavar="PATH|-", help="Read JSON lines {id, text, title?, published?}.")
@click.option("--published", callback=_check_date, metavar="YYYY-MM-DD", help="Publication date of the article.")
@click.option("--title", metavar="T", help="Title of the article.")
def extract(path: str, jsonl: str | None, published: str | None, title: str | None) -> None:
    """Extract Russia-North Korea transfer events from an article (PATH or - for stdin)."""
    if jsonl is not None and path != "-":
        raise click.UsageError("give either PATH or --jsonl, not both")
    if jsonl is not None and (published or title):
        raise click.UsageError("--published and --title apply to a single article, not to --jsonl")
    src = jsonl if jsonl is not None else path
    try:
        stream = sys.stdin if src == "-" else open(src, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise click.BadParameter(f"cannot read {src}: {exc.strerror}", param_hint="PATH") from exc
    try:
        from worker.extract import Extractor

        ex = Extractor()
        if jsonl is None:
            events = ex.extract(stream.read(), title=title, published=published)
            click.echo(inert(json.dumps(events, ensure_ascii=False, indent=2), keep_layout=True))
            return
        bad: list[int] = []
        ids: list[object] = []

        def records() -> Iterator[dict]:
            for rid, rec in _records(stream, bad, "<stdin>" if src == "-" else src):
                ids.append(rid)
                yield rec

        out = sys.stdout
        for k, events in enumerate(ex.extract_many(records())):
            out.write(inert(json.dumps({"id": ids[k], "events": events}, ensure_ascii=False), keep_layout=True) + "\n")
        out.flush()
        if bad:
            click.echo(f"{len(bad)} bad line(s): {', '.join(map(str, bad[:20]))}", err=True)
    except (OSError, RuntimeError, MemoryError) as exc:
        click.echo(f"transferwatch extract: {exc}", err=True)
        sys.exit(1)
    finally:
        if stream is not sys.stdin:
            stream.close()
