"""One exception family: what the project raises on purpose is a ``TransferwatchError``."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from worker import errors

ROOT = Path(__file__).resolve().parents[1]
BUILTIN_ERRORS = {name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, BaseException)}
# raising these is saying "cannot happen" or "not here", not reporting a failure
ALWAYS_ALLOWED = {"AssertionError", "NotImplementedError", "SystemExit", "KeyboardInterrupt", "StopIteration"}
# (file, builtin) -> why it stays
ALLOWED = {
    ("worker/feeds.py", "ValueError"): "pydantic field validators report a ValueError with the line it stands on",
    ("worker/extract/__init__.py", "AttributeError"): "a module's __getattr__ says 'no such name' with it",
}
EXCLUDED: tuple[str, ...] = ()


def project_files() -> list[Path]:
    files = sorted([*ROOT.glob("worker/**/*.py"), *ROOT.glob("alerts/**/*.py")])
    return [f for f in files if not f.relative_to(ROOT).as_posix().startswith(EXCLUDED)]


def raised_builtins(path: Path) -> list[tuple[int, str]]:
    """(line, name) of each ``raise Builtin(...)`` / ``raise Builtin`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in BUILTIN_ERRORS:
                found.append((node.lineno, target.id))
    return sorted(found)


def test_the_project_raises_its_own_errors():
    stray = []
    for path in project_files():
        rel = path.relative_to(ROOT).as_posix()
        for line, name in raised_builtins(path):
            if name not in ALWAYS_ALLOWED and (rel, name) not in ALLOWED:
                stray.append(f"{rel}:{line}: raise {name}")
    assert stray == [], "raise an error from worker/errors.py instead"


def test_the_guard_sees_a_stray_raise(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(x):\n    if x:\n        raise RuntimeError('no')\n    raise KeyError\n")
    assert raised_builtins(sample) == [(3, "RuntimeError"), (4, "KeyError")]


def test_every_exception_class_of_the_project_is_in_the_family():
    outside = []
    for path in project_files():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name != "TransferwatchError" and any(
                isinstance(b, ast.Name) and b.id in BUILTIN_ERRORS for b in node.bases
            ) and not any(isinstance(b, ast.Name) and b.id in vars(errors) for b in node.bases):
                outside.append(f"{rel}: {node.name}")
    assert outside == []


@pytest.mark.parametrize("name", ["ConfigError", "InputError", "SubscriptionError", "RedisUnavailable",
                                  "ListenError", "FeedError", "ExtractionError", "LedgerError"])
def test_each_error_has_the_common_base(name):
    assert issubclass(getattr(errors, name), errors.TransferwatchError)


def test_errors_that_callers_catch_as_value_errors_still_are():
    assert issubclass(errors.InputError, ValueError) and issubclass(errors.SubscriptionError, ValueError)
    assert not issubclass(errors.ExtractionError, ValueError)  # a bug in the extractor is no bad input


def test_an_extraction_error_names_the_article_and_the_cause():
    cause = KeyError("span")
    error = errors.ExtractionError("a1", cause)
    assert str(error) == "article a1: extractor raised KeyError: 'span'" and error.article_id == "a1"
