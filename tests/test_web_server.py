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
            if process.stdout:
                process.stdout.close()
    assert process.returncode in (0, -signal.SIGINT)


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
