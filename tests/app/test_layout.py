"""The server's rooms: imports between app/ modules go one way (no cycles), and the session
rooms stay small enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
ROOMS = ["sessions.py", "session.py", "worker.py", "publish.py", "races.py", "uploads.py",
         "runs.py", "run_limits.py", "connection.py", "errors.py", "codes.py", "frames.py",
         "limits.py", "routes/ws.py", "routes/sessions.py", "commands/table.py",
         "commands/models.py", "commands/run.py", "commands/edit.py", "commands/teach.py"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The app modules ``path`` imports at run time (not under ``if TYPE_CHECKING``)."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom):
                if sub.level:
                    base = package.split(".")
                    base = base[:len(base) - (sub.level - 1)]
                    target = ".".join(base + ([sub.module] if sub.module else []))
                else:
                    target = sub.module or ""
                if target.startswith("app"):
                    subs = {f"{target}.{a.name}" for a in sub.names} & modules
                    out.update(subs or {target})  # ``from . import x``: x, not the package
            elif isinstance(sub, ast.Import):
                out.update(a.name for a in sub.names if a.name.startswith("app"))
    return out


def test_app_modules_import_each_other_without_cycles():
    files = {_module(p): p for p in APP.rglob("*.py") if "store" not in p.parts}
    # (app/store/ is the run store's package, with layers of its own)
    graph = {m: {t for t in _imports(p, set(files)) if t in files and t != m}
             for m, p in files.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycle = path[path.index(t):] + [t] if t in path else [m, t]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    # the rooms are layered: the session knows nothing of the worker, commands or routes
    assert not {t for t in graph["app.session"] if t.startswith(("app.worker", "app.commands",
                                                                   "app.routes", "app.publish"))}


def test_the_session_rooms_are_small():
    for name in ROOMS:
        n = len((APP / name).read_text(encoding="utf-8").splitlines())
        assert n <= 400, f"app/{name} has {n} lines"
