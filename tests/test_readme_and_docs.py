"""Every ```python and ```sh block of README.md and docs/*.md runs as written, unless the line
right before it is ``<!-- illustration -->`` (see docs/decisions.md, "Code in the docs").

Python blocks run in a new interpreter, in an empty temporary folder, with the checkout on
PYTHONPATH. Shell blocks run with bash from the checkout (their paths, such as
examples/spiral.json, are the checkout's), ``.venv/bin/python`` standing for this interpreter."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ILLUSTRATION = "<!-- illustration -->"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
RUNNABLE = {"python": "python", "py": "python", "sh": "sh", "bash": "sh", "shell": "sh"}


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    kind: str  # "python" or "sh"
    code: str

    @property
    def name(self) -> str:
        folder = "docs/" if self.doc.parent.name == "docs" else ""
        return f"{folder}{self.doc.name}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The runnable blocks of ``doc``: fenced python/sh blocks not marked as illustrations."""
    text = doc.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        kind = RUNNABLE.get(m.group(1).lower())
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        if kind and before != ILLUSTRATION:
            found.append(Block(doc, text.count("\n", 0, m.start()) + 1, kind, m.group(2)))
    return found


ALL = [b for doc in DOCS for b in blocks(doc)]


def run(block: Block, tmp_path: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``block`` against this checkout."""
    return run_in(block, ROOT, tmp_path, timeout)


def run_in(block: Block, checkout: Path, tmp_path: Path,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``block`` against ``checkout``; on a timeout its whole process group is ended (a
    block that starts a server must not leave it running)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(checkout), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if block.kind == "python":
        cmd, cwd = [sys.executable, "-c", block.code], tmp_path
    else:
        script = block.code.replace(".venv/bin/python", sys.executable)
        cmd, cwd = ["bash", "-euo", "pipefail", "-c", script], checkout
        env["TMPDIR"] = str(tmp_path)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(still running after {timeout:g} s: stopped)"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.parametrize("block", ALL, ids=[b.name for b in ALL])
def test_the_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    done = run(block, tmp_path)
    assert done.returncode == 0, (f"{block.name} ({block.kind}) failed:\n{block.code}\n"
                                  f"--- output ---\n{done.stdout[-2000:]}{done.stderr[-3000:]}")


def test_the_readme_has_blocks_that_run_and_the_rule_can_skip_one(tmp_path: Path) -> None:
    readme = blocks(ROOT / "README.md")
    assert {b.kind for b in readme} == {"python", "sh"}
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nprint(1)\n```\n\n<!-- illustration -->\n```python\nX\n```\n"
                   "\n```json\n{}\n```\n")
    found = blocks(doc)
    assert [(b.line, b.code) for b in found] == [(1, "print(1)\n")]


def test_a_failing_block_fails(tmp_path: Path) -> None:
    bad = Block(ROOT / "README.md", 1, "python", "X + y\n")
    assert run(bad, tmp_path).returncode != 0


def test_a_block_that_never_ends_is_stopped_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    forever = Block(ROOT / "README.md", 1, "sh", f"sleep 300 & echo $! > {pid_file}; wait\n")
    assert run(forever, tmp_path, timeout=1).returncode != 0
    child = int(pid_file.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    """The process state letter from /proc (Z: ended, not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the committed checkout, as a new user gets it."""
    where = tmp_path_factory.mktemp("clone") / "backprop-lab"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(where)], check=True, timeout=120,
                   capture_output=True)
    return where


def make_n(clone: Path, *args: str) -> str:
    """What ``make -n ARGS`` would run in ``clone``, as typed in a terminal (not from within
    another make, which would add its "Entering directory" lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "-n", *args], cwd=clone, capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_make_run_in_a_fresh_clone_sets_up_then_serves(clone: Path) -> None:
    plan = make_n(clone, "run")
    assert "-m venv .venv" in plan and "pip install -e ." in plan
    assert plan.rstrip().endswith(".venv/bin/python -m app --host 127.0.0.1 --port 8000")
    classroom = make_n(clone, "run", "HOST=0.0.0.0", "PORT=8001")
    assert "-m app --host 0.0.0.0 --port 8001" in classroom


@pytest.mark.slow
def test_make_test_in_a_fresh_clone_runs_every_kind_of_test(clone: Path) -> None:
    plan = make_n(clone, "test")
    assert "pip install -e '.[test]'" in plan
    for step in ("ruff check", "mypy", "node --test", "-m pytest"):
        assert step in plan, step


@pytest.mark.slow
def test_the_readme_blocks_run_in_a_fresh_clone_and_leave_it_clean(clone: Path,
                                                                    tmp_path: Path) -> None:
    readme = blocks(clone / "README.md")
    assert readme
    for block in readme:
        done = run_in(block, clone, tmp_path)
        assert done.returncode == 0, (block.name, done.stderr[-2000:])
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    assert status == "", f"the README's commands wrote into the checkout:\n{status}"
