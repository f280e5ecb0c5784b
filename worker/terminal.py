"""Text from feeds made inert before it reaches a terminal.

Feed titles, source names, evidence and article text are untrusted: an ANSI
escape sequence in them could clear the screen, retitle the window or hide a
line, a bidi override could make ``12,000`` read as ``000,21``, a carriage
return or a newline could forge a line of output. Every command that prints
such text (``alerts tail``, ``figures``, ``feeds list``, ``alerts
subscriptions``, ``extract``, ``demo``) passes it through :func:`inert`:

* each C0 control (but tab, newline, carriage return), DEL, each C1 control
  (``\\x80``-``\\x9f``, among them the 8-bit CSI ``\\x9b``), each bidi embedding,
  override and isolate (U+202A-U+202E, U+2066-U+2069) and the line and paragraph
  separators (U+2028, U+2029) is written as its escape, ``\\u001b``: visible,
  never obeyed (an escape sequence's ESC goes, so what follows is plain text);
* in a field shown on a line (``keep_layout=False``), tab, newline and carriage
  return become a space: a field never breaks or rewinds its line.

JSON output uses the same function with ``keep_layout=True`` on the whole
document: the escapes are JSON's own, so the output stays valid JSON and parses
to exactly the text the feed sent; the JSON encoder has already escaped tabs and
newlines inside strings, and the ones left are the document's own layout.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ESCAPED = re.compile(f"[{_UNSAFE}]")
_ESCAPED_OR_LAYOUT = re.compile(f"[{_UNSAFE}\t\n\r]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return " " if char in "\t\n\r" else f"\\u{ord(char):04x}"


def inert(text: str, *, keep_layout: bool = False) -> str:
    """``text`` safe to print: controls and bidi overrides escaped, and (unless ``keep_layout``) tabs and line
    breaks made spaces."""
    return (_ESCAPED if keep_layout else _ESCAPED_OR_LAYOUT).sub(_escape, text)


def inert_fields(value: Any) -> Any:
    """:func:`inert` on every string in a JSON-like value (dicts, lists), for renderers that pick fields."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {k: inert_fields(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(inert_fields(v) for v in value)
    return value
