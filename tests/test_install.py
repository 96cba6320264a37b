"""``pip install .`` gives a complete Backprop Lab: the wheel is built from a copy of the
checkout, installed into a new virtual environment, and its ``backprop-lab`` command serves the
page and its files from another folder. No network: the build uses this environment's
setuptools, and the new environment borrows this one's packages (fastapi, numpy, ...)."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import app

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def copy_checkout(dest: Path) -> None:
    """The files git would commit (tracked, and new ones not ignored), links kept as links."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout
    for name in sorted({n for n in listed.decode().split("\0") if n}):
        src, out = ROOT / name, dest / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree, not yet committed
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            out.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*cmd: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200, url
        return bytes(r.read())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(the copied checkout, the built wheel, the new environment's bin folder)."""
    tmp = tmp_path_factory.mktemp("install")
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    copy_checkout(src)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "-w", dist, src, cwd=tmp)
    (wheel,) = dist.glob("backprop_lab-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
        "--no-deps", "--no-index", wheel, cwd=tmp)
    # the dependencies: this environment's packages, after the new environment's own
    (site,) = (venv / "lib").glob("python3*/site-packages")
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "borrowed.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    return src, wheel, venv / "bin"


def test_the_wheel_holds_every_subpackage_the_page_and_the_data(
        installed: tuple[Path, Path, Path]):
    src, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("app", "engine"):
        for init in (src / package).rglob("__init__.py"):
            assert init.relative_to(src).as_posix() in names
    for folder in ("static", "templates"):
        for f in (src / folder).rglob("*"):
            if f.is_file():
                assert f"app/{f.relative_to(src).as_posix()}" in names
    assert "engine/datafiles/digits.npz" in names
    assert "engine/zoo/index.json" in names


def test_backprop_lab_serves_the_page_and_its_files_from_elsewhere(
        installed: tuple[Path, Path, Path], tmp_path: Path):
    src, _, bin_dir = installed
    where = run(bin_dir / "python", "-c", "import app; print(app.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(bin_dir.parent), where  # not the checkout
    version = run(bin_dir / "backprop-lab", "--version", cwd=tmp_path)
    assert version.split() == ["backprop-lab", app.__version__]

    port = free_port()
    proc = subprocess.Popen([str(bin_dir / "backprop-lab"), "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": ""})
    try:
        assert proc.stdout is not None
        out = ""
        deadline = time.monotonic() + 40
        while "is running" not in out:
            assert proc.poll() is None and time.monotonic() < deadline, f"no start:\n{out}"
            if select.select([proc.stdout], [], [], 1)[0]:
                out += proc.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        page = get(base + "/").decode()
        assert "<html" in page and "/static/js/app.js" in page
        assert get(base + "/static/js/app.js") == (src / "static/js/app.js").read_bytes()
        assert get(base + "/static/css/app.css") == (src / "static/css/app.css").read_bytes()
        assert len(get(base + "/docs-assets/swagger-ui-bundle.js")) > 100_000
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
