"""``citygraph serve``: the app behind waitress (not Flask's development server), started with
``python -m citygraph`` as well as by the console script."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from servers import serving

from citygraph.config import Settings
from citygraph.pipeline import BuildResult


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_waitress_and_says_where(settings: Settings, built: BuildResult) -> None:
    port = free_port()
    command = [sys.executable, "-m", "citygraph", "serve", "--root", str(settings.root),
               "--dist", str(settings.dist_dir), "--port", str(port),
               "--setting", "query_workers=1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        summary, banner = process.stdout.readline().decode(), process.stdout.readline().decode()
        assert summary.startswith(f"build {settings.dist_dir} (version ") and "triples" in summary
        assert banner.startswith("citygraph serving") and f"http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql", timeout=5) as r:
                    server, status = r.headers["Server"], r.status
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert status == 200
        assert server == "citygraph"  # waitress's ident; Flask's dev server says Werkzeug
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        finally:
            if process.poll() is None:
                process.kill()
            rest = process.stdout.read().decode() if process.stdout else ""
            if process.stdout:
                process.stdout.close()
    assert process.returncode == 0
    assert rest.rstrip().endswith("citygraph stopped")


def test_a_port_in_use_is_a_clear_error_with_exit_2(settings: Settings, built: BuildResult) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "citygraph", "serve", "--root",
                               str(settings.root), "--dist", str(settings.dist_dir),
                               "--port", str(port), "--setting", "query_workers=1"],
                              capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr and "serving" not in proc.stdout


def _children(pid: int) -> set[int]:
    """The process ids whose parent is ``pid`` (from /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_sigterm_and_on_sigint_even_if_ignored(
        settings: Settings, built: BuildResult, stop: signal.Signals) -> None:
    """systemd and ``kill`` send SIGTERM; a shell that starts a job in the background has it
    ignore SIGINT: either way serve stops, exit 0, and its query workers end with it."""
    with serving(settings, "query_workers=1", sigint_ignored=True) as served:
        workers = _children(served.pid)
        assert workers  # the query workers (and multiprocessing's resource tracker)
        served.process.send_signal(stop)
        assert served.process.wait(15) == 0
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") for pid in workers):
        assert time.monotonic() < deadline, "query workers outlived serve"
        time.sleep(0.1)
