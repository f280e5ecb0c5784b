"""The image (Dockerfile), read as Docker reads it: no Docker engine runs here or in CI, so the build's
logic is checked from the file itself.

* dependencies install in a layer of their own, from pyproject.toml alone, before any code is copied
  (an edit to the code must not reinstall spaCy);
* the project then installs without fetching anything (``--no-deps --no-build-isolation``);
* a HEALTHCHECK runs ``transferwatch health``;
* the service runs as a non-root user, which owns the data volume.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Instruction:
    line: int
    name: str
    args: str


def parse(text: str) -> list[Instruction]:
    """Dockerfile instructions with their (continued) arguments; comments and blank lines dropped."""
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if pending and raw.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction is dropped, as Docker does
        if not pending:
            start = n
        pending.append(raw.rstrip())
        if raw.rstrip().endswith("\\"):
            pending[-1] = pending[-1][:-1]
            continue
        name, _, args = " ".join(p.strip() for p in pending).partition(" ")
        out.append(Instruction(start, name.upper(), args.strip()))
        pending = []
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return out


def copy_sources(instruction: Instruction) -> list[str]:
    parts = json.loads(instruction.args) if instruction.args.startswith("[") else shlex.split(instruction.args)
    return [p for p in parts[:-1] if not p.startswith("--")]


def index(instructions: list[Instruction], predicate) -> int:
    found = [i for i, ins in enumerate(instructions) if predicate(ins)]
    assert found, "no such instruction"
    return found[0]


DOCKERFILE = parse((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def test_the_parser_joins_continuations_and_skips_comments():
    parsed = parse("FROM x\n# note\nRUN a \\\n    && b\nCOPY [\"p\", \"./\"]\n")
    assert [(i.name, i.args) for i in parsed] == [("FROM", "x"), ("RUN", "a && b"), ("COPY", '["p", "./"]')]


def test_dependencies_install_in_their_own_layer_before_the_code_is_copied():
    copies = [(i, ins) for i, ins in enumerate(DOCKERFILE) if ins.name == "COPY"]
    first_copy_index, first_copy = copies[0]
    assert copy_sources(first_copy) == ["pyproject.toml"], "the dependency layer must depend on pyproject.toml only"
    deps = index(DOCKERFILE, lambda ins: ins.name == "RUN" and "pip install" in ins.args)
    assert first_copy_index < deps
    assert "-r /tmp/requirements.txt" in DOCKERFILE[deps].args and "pyproject.toml" in DOCKERFILE[deps].args
    code = index(DOCKERFILE, lambda ins: ins.name == "COPY" and {"worker", "alerts"} & {
        s.rstrip("/").removeprefix("./") for s in copy_sources(ins)})
    assert deps < code
    project = index(DOCKERFILE, lambda ins: ins.name == "RUN" and re.search(r"pip install .*\.\s*$", ins.args))
    assert code < project
    assert "--no-deps" in DOCKERFILE[project].args and "--no-build-isolation" in DOCKERFILE[project].args


def test_the_dependency_layer_lists_what_pyproject_declares():
    """The RUN step's own Python, run here on our pyproject.toml: the build backend and every dependency."""
    deps = DOCKERFILE[index(DOCKERFILE, lambda ins: ins.name == "RUN" and "tomllib" in ins.args)].args
    program = shlex.split(deps.split(">", 1)[0])  # python -c '...' (the part before the redirect)
    assert program[:2] == ["python", "-c"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    import contextlib
    import io
    import os

    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            exec(program[2], {})  # noqa: S102 - our own Dockerfile's one-liner
    finally:
        os.chdir(cwd)
    expected = pyproject["build-system"]["requires"] + pyproject["project"]["dependencies"]
    assert out.getvalue().splitlines() == expected
    assert any(r.startswith("spacy") for r in expected)


def test_everything_the_project_install_needs_is_copied_before_it():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = index(DOCKERFILE, lambda ins: ins.name == "RUN" and "--no-deps" in ins.args)
    copied = {s.rstrip("/").removeprefix("./") for ins in DOCKERFILE[:project] if ins.name == "COPY"
              for s in copy_sources(ins)}
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied and pyproject["project"]["readme"] in copied


def test_a_healthcheck_runs_transferwatch_health():
    [check] = [ins for ins in DOCKERFILE if ins.name == "HEALTHCHECK"]
    command = check.args.split("CMD", 1)[1].strip()
    argv = json.loads(command) if command.startswith("[") else shlex.split(command)
    assert argv == ["transferwatch", "health"]
    assert re.search(r"--interval=\d+s", check.args) and re.search(r"--start-period=\d+s", check.args)


def test_the_service_runs_as_a_non_root_user_owning_the_data_volume():
    users = [ins for ins in DOCKERFILE if ins.name == "USER"]
    assert [u.args for u in users] == ["transferwatch"]
    user_at = DOCKERFILE.index(users[0])
    assert all(ins.name not in ("RUN",) for ins in DOCKERFILE[user_at:]), "nothing runs as root after USER"
    setup = DOCKERFILE[index(DOCKERFILE, lambda ins: ins.name == "RUN" and "useradd" in ins.args)].args
    assert "--uid 10001 transferwatch" in setup and "chown transferwatch /data" in setup
    assert [ins.args for ins in DOCKERFILE if ins.name == "VOLUME"] == ['["/data"]']
    assert [ins.args for ins in DOCKERFILE if ins.name == "ENTRYPOINT"] == ['["transferwatch"]']


def test_the_build_context_holds_only_what_the_image_copies():
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*") if "*" in ignore else 0] == "*"  # everything out, then the exceptions
    allowed = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    copied = {s.rstrip("/").removeprefix("./") for ins in DOCKERFILE if ins.name == "COPY" for s in copy_sources(ins)}
    assert copied == allowed
