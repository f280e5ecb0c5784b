"""Honest tests: no assertion that cannot fail, no expected failure that is not a strict marker.

ruff bans ``pytest.xfail()`` in a test body (TID251) and pytest runs with
``xfail_strict``; what a linter does not see, an assertion whose condition is
true whatever the code does (``assert x or True``, ``assert True``), is found here.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def always_true(node: ast.expr) -> bool:
    """True for a condition that holds whatever the code under test does."""
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
        return bool(getattr(node, "elts", None) or getattr(node, "keys", None))
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return any(always_true(value) for value in node.values)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return all(always_true(value) for value in node.values)
    return False


def hollow_asserts(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert) and always_true(node.test)]


def test_no_assertion_in_the_tests_is_always_true():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(TESTS).as_posix()
        found += [f"tests/{rel}:{line}" for line in hollow_asserts(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_guard_sees_hollow_assertions_and_passes_real_ones():
    hollow = "assert f(x) or True\nassert True\nassert 'text'\nassert (a, 'why')\nassert not g() or 1 and 2\n"
    assert hollow_asserts(hollow) == [1, 2, 3, 4, 5]
    real = "assert f(x)\nassert x == 1 or y == 2\nassert not f(x), 'why'\nassert x or False\nassert []  # fails\n"
    assert hollow_asserts(real) == []
