"""Real ``citygraph serve`` processes for the tests that need a server of their own on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from citygraph.config import Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running server: its port, its process and its base URL."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"


def _answers(base: str) -> bool:
    """True when the server answers ``ASK {}`` (its query workers have loaded the build)."""
    request = urllib.request.Request(base + "/sparql", data=b"ASK {}", method="POST",
                                     headers={"Content-Type": "application/sparql-query"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


@contextmanager
def serving(settings: Settings, *extra: str, start_seconds: float = 90,
            sigint_ignored: bool = False) -> Iterator[Served]:
    """``citygraph serve`` of the build in ``settings`` on a free port, with ``--setting`` values
    ``extra``; ready once it answers ``ASK {}``; stopped with Ctrl-C (SIGINT), killed if it hangs.

    ``sigint_ignored``: start it as a shell starts a background job, with SIGINT ignored.
    """
    port = free_port()
    command = [sys.executable, "-m", "citygraph", "serve", "--root", str(settings.root),
               "--dist", str(settings.dist_dir), "--port", str(port)]
    for item in extra:
        command += ["--setting", item]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=ignore)
    served = Served(port, process)
    try:
        deadline = time.monotonic() + start_seconds
        while not _answers(served.base):
            assert process.poll() is None, "citygraph serve stopped"
            assert time.monotonic() < deadline, f"citygraph serve did not answer in {start_seconds:g} s"
            time.sleep(0.2)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
