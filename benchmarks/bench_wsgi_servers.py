"""WSGI servers side by side: what each costs per request on one bare Flask app (no query).

Run from the repository root::

    pip install cheroot gunicorn granian   # the candidates; any that is missing is skipped
    python benchmarks/bench_wsgi_servers.py [--runs 400]

Each server runs in a process of its own and answers a tiny body (``/ask``, an ASK answer) and a
7 KB one (``/big``, a typical curated answer); one keep-alive client takes turns between them, so
that a change in the machine's load weighs on every server alike. The table gives the p50 of the
whole round trip. waitress is citygraph's server: a candidate must beat it clearly and keep the
slow-client guarantees (tests/test_slow_clients.py), which a server that reads a request in a
worker thread (cheroot, gunicorn's gthread) does not. Exit status 0 either way.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = '''
from flask import Flask, Response
app = Flask("bare")
SMALL = b'{"head":{},"boolean":true}'
BIG = b"x" * 7000
@app.get("/ask")
def ask():
    return Response(SMALL, content_type="application/sparql-results+json")
@app.get("/big")
def big():
    return Response(BIG, content_type="application/sparql-results+json")
'''


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commands(folder: str) -> dict[str, tuple[int, list[str]]]:
    """Each installed candidate's port and command line, serving ``bareapp:app`` of ``folder``."""
    py = sys.executable
    out: dict[str, tuple[int, list[str]]] = {}

    def waitress(threads: int) -> list[str]:
        return [py, "-c", f"import sys; sys.path.insert(0, {folder!r}); import waitress, bareapp; "
                f"waitress.serve(bareapp.app, host='127.0.0.1', port={port}, threads={threads}, "
                "asyncore_use_poll=True, connection_limit=1000)"]

    for threads in (8, 2):
        port = free_port()
        out[f"waitress threads={threads}"] = (port, waitress(threads))
    if importlib.util.find_spec("cheroot"):
        port = free_port()
        out["cheroot"] = (port, [py, "-c", f"import sys; sys.path.insert(0, {folder!r}); "
                                 "import bareapp; from cheroot import wsgi; "
                                 f"wsgi.Server(('127.0.0.1', {port}), bareapp.app, "
                                 "numthreads=8).start()"])
    if importlib.util.find_spec("gunicorn"):
        port = free_port()
        out["gunicorn gthread"] = (port, [py, "-m", "gunicorn", "--chdir", folder, "-w", "1", "-k",
                                          "gthread", "--threads", "8", "-b", f"127.0.0.1:{port}",
                                          "--log-level", "warning", "bareapp:app"])
    if importlib.util.find_spec("granian"):
        port = free_port()
        out["granian wsgi"] = (port, [py, "-m", "granian", "--interface", "wsgi", "--host",
                                      "127.0.0.1", "--port", str(port), "--workers", "1",
                                      "--blocking-threads", "8", "--working-dir", folder,
                                      "--log-level", "warning", "bareapp:app"])
    return out


def connect(port: int, limit: float = 30.0) -> http.client.HTTPConnection:
    """A keep-alive connection to a server once it answers."""
    deadline = time.monotonic() + limit
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/ask")
            conn.getresponse().read()
            return conn
        except OSError:
            conn.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bareapp.py").write_text(APP)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            clients: dict[str, http.client.HTTPConnection] = {}
            for name, (port, command) in commands(folder).items():
                processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL))
                clients[name] = connect(port)
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
                  f"{args.runs} runs; p50 ms of a keep-alive GET")
            print(f"{'server':24} {'/ask':>8} {'/big':>8}")
            results: dict[str, list[float]] = {name: [] for name in clients}
            for path in ("/ask", "/big"):
                samples: dict[str, list[float]] = {name: [] for name in clients}
                for _ in range(args.runs):
                    for name, conn in clients.items():
                        start = time.perf_counter()
                        conn.request("GET", path)
                        response = conn.getresponse()
                        response.read()
                        samples[name].append(time.perf_counter() - start)
                for name, values in samples.items():
                    results[name].append(statistics.median(values) * 1000)
            for name, (small, big) in results.items():
                print(f"{name:24} {small:8.3f} {big:8.3f}")
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
