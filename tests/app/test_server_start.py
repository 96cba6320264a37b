"""Starting the server honestly: the address is printed only once the port is ours, a busy port
or an unknown host is said plainly with what to do, and the exit code says it failed."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import app

ROOT = Path(__file__).resolve().parents[2]
START = [sys.executable, "-m", "app", "--data-dir", tempfile.mkdtemp(prefix="backprop-test-")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_app(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*START, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_a_busy_port_is_named_with_the_way_out_and_the_exit_code_is_not_zero():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_app("--port", str(port))
    assert done.returncode != 0
    assert "is running" not in done.stdout  # never claims an address it does not hold
    assert f"port {port}" in done.stderr and "already in use" in done.stderr
    assert f"make run PORT={port + 1}" in done.stderr
    assert f"--port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_host_is_named_and_the_exit_code_is_not_zero():
    done = run_app("--host", "no-such-host.invalid", "--port", str(free_port()))
    assert done.returncode != 0
    assert "--host no-such-host.invalid" in done.stderr
    assert "is running" not in done.stdout
    assert "Traceback" not in done.stderr


def test_the_address_is_printed_once_the_server_answers_there():
    port = free_port()
    proc = subprocess.Popen([*START, "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while "is running" not in line:
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, f"no address printed; last line {line!r}"
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        # right when the address is printed, the page is there
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_version_prints_the_package_version():
    done = run_app("--version")
    assert done.returncode == 0
    assert done.stdout.split() == ["python", "-m", "app", app.__version__]
