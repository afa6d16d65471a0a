"""Per-request overhead of the endpoint: every curated query through HTTP against the engine alone.

Run from the repository root after a build::

    python benchmarks/bench_overhead.py [--dist dist] [--runs 60] [--warmup 5] [--no-reference]

Side by side in one run, for every curated query (``queries/*.rq``, default parameters):

- **engine**: pyoxigraph in this process, over the same build, running the query (typed
  parameters bound as substitutions) and serialising its answer (``citygraph.store.answer``, the
  worker's serialiser) in the format the endpoint answers in;
- **http**: the same query through a real ``citygraph serve`` subprocess on loopback
  (``GET /api/<name>``), one keep-alive connection, the whole answer read;
- **bare** (a reference): a bare Flask + pyoxigraph app behind waitress in this process, that
  runs the query and serialises the answer in the web process itself — what a request costs
  without workers, content negotiation, caching headers, CORS, gzip or metrics.

Each query is run ``--warmup`` times, then ``--runs`` times on each side, the sides taking
turns; the table gives the p50s, and the ratio ``http / max(engine, 3 ms)`` with the target
≤ 1.3. ``ASK {}`` through
``/sparql`` is a first line: the fixed cost of a request. Exit status 0 either way: a benchmark
reports, it does not assert.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS, Format
from citygraph.queries import NamedQuery, load_catalogue, query_form
from citygraph.store import EmbeddedStore, answer

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 0.003  # seconds: below this, the engine's time is not the yardstick
TARGET = 1.3


@dataclass(frozen=True)
class Case:
    """One query to measure: its name, text, bound parameters, HTTP path and answer format."""

    name: str
    text: str
    substitutions: dict[str, ox.NamedNode | ox.Literal]
    path: str
    fmt: Format


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def p50s(runs: list[Callable[[], object]], times: int, warmup: int) -> list[float]:
    """The median wall time in seconds of each of ``runs``, after ``warmup`` runs of each.

    The runs are interleaved (one of each, then again), so that a change in the machine's load
    during the measurement weighs on every side alike.
    """
    for run in runs:
        for _ in range(warmup):
            run()
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(times):
        for run, out in zip(runs, samples, strict=True):
            start = time.perf_counter()
            run()
            out.append(time.perf_counter() - start)
    return [statistics.median(out) for out in samples]


class Client:
    """A keep-alive HTTP client of one server."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, accept: str) -> bytes:
        """GET ``path`` and read the whole answer; a non-200 status is an error."""
        self.conn.request("GET", path, headers={"Accept": accept})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return body


def wait_for(port: int, server: subprocess.Popen[bytes], limit: float = 120.0) -> None:
    """Wait until the server answers on the port (its error if it ends first)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"citygraph serve ended: {server.stderr.read().decode()[-2000:]}"
                               if server.stderr else "citygraph serve ended")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {limit:g} s")


def cases(catalogue: dict[str, NamedQuery]) -> list[Case]:
    """Every curated query with its default parameters, and ``ASK {}`` through /sparql first."""
    out = [Case("ASK {} (/sparql)", "ASK {}", {},
                "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), SELECT_FORMATS["json"])]
    for name, query in sorted(catalogue.items()):
        graph = query_form(query.text) in ("construct", "describe")
        fmt = GRAPH_FORMATS["turtle"] if graph else SELECT_FORMATS["json"]
        out.append(Case(name, query.text, query.bindings({}), f"/api/{name}", fmt))
    return out


def engine_run(store: EmbeddedStore, case: Case, max_rows: int) -> Callable[[], object]:
    """Run a case on pyoxigraph in process and serialise its answer."""
    kwargs: dict[str, object] = {"prefixes": store.prefixes}
    if case.substitutions:
        kwargs["substitutions"] = {ox.Variable(k): v for k, v in case.substitutions.items()}

    def run() -> object:
        result = store.store.query(case.text, **kwargs)  # type: ignore[arg-type]
        return answer(result, case.fmt, case.fmt, max_rows).body

    return run


def bare_app(store: EmbeddedStore, cases_by_path: dict[str, Case], max_rows: int) -> object:
    """A bare Flask app answering each case's path with pyoxigraph in the web process."""
    from flask import Flask, Response, request

    app = Flask("bare")
    runs = {path: engine_run(store, case, max_rows) for path, case in cases_by_path.items()}
    types = {path: case.fmt.content_type for path, case in cases_by_path.items()}

    @app.get("/<path:rest>")
    def any_case(rest: str) -> Response:
        path = request.full_path.rstrip("?")
        return Response(runs[path](), content_type=types[path])  # type: ignore[arg-type]

    return app


def start_server(dist: Path, port: int, source: Path | None = None) -> subprocess.Popen[bytes]:
    """``citygraph serve`` of ``dist`` on ``port`` (HTTP caching off), from the source directory
    ``source`` when given (first on PYTHONPATH), else from the installed package."""
    env = {**os.environ, "CITYGRAPH_CACHE_SECONDS": "0"}
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source.resolve()), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "citygraph", "serve", "--dist", str(dist), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true", help="skip the bare Flask app")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="measure only this query (repeatable; 'ask' for ASK {})")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="also serve from the source tree TREE (for example `git worktree add "
                             "/tmp/base HEAD~3`; its src/ goes first on PYTHONPATH), measured in "
                             "the same turns: column 'base'")
    parser.add_argument("--mixed", action="store_true",
                        help="run the queries in turn (one of each, then again) instead of one "
                             "query's runs after another: what a server with mixed traffic sees")
    args = parser.parse_args(argv)
    if not (args.dist / "manifest.json").is_file():
        print(f"no build in {args.dist}: run `citygraph build` first", file=sys.stderr)
        return 2
    max_rows = 10_000
    store = EmbeddedStore(args.dist)
    todo = cases(load_catalogue(ROOT / "queries"))
    if args.only:
        todo = [c for c in todo if c.name in args.only or ("ask" in args.only and c.text == "ASK {}")]
    port = free_port()
    server = start_server(args.dist, port)
    servers = [server]
    try:
        wait_for(port, server)
        client = Client(port)
        base_client = None
        if args.baseline is not None:
            base_port = free_port()
            servers.append(start_server(args.dist, base_port, args.baseline / "src"))
            wait_for(base_port, servers[-1])
            base_client = Client(base_port)
        bare_client = None
        if not args.no_reference:
            import waitress.server

            bare_port = free_port()
            app = bare_app(store, {c.path: c for c in todo}, max_rows)
            bare_server = waitress.server.create_server(app, host="127.0.0.1", port=bare_port,
                                                        threads=4)
            threading.Thread(target=bare_server.run, daemon=True).start()
            bare_client = Client(bare_port)
        base_head = f" {'base':>8} {'ratio':>6}" if base_client is not None else ""
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.runs} runs")
        print(f"{'query':36} {'engine':>8} {'http':>8} {'bare':>8} {'ratio':>6} {'bare':>6}{base_head}"
              f"  (p50 ms; ratio = http / max(engine, {FLOOR * 1000:g} ms), target <= {TARGET}; "
              f"the bare app's ratio beside it)")
        worst = worst_base = 0.0
        groups: list[list[Callable[[], object]]] = []
        for case in todo:
            accept = case.fmt.media_type
            sides: list[Callable[[], object]] = [
                engine_run(store, case, max_rows), functools.partial(client.get, case.path, accept)]
            if bare_client is not None:
                sides.append(functools.partial(bare_client.get, case.path, accept))
            if base_client is not None:
                sides.append(functools.partial(base_client.get, case.path, accept))
            groups.append(sides)
        if args.mixed:  # every side of every query in one round: the queries take turns too
            flat = p50s([side for sides in groups for side in sides], args.runs, args.warmup)
            results = [flat[i:i + len(sides)] for i, sides in
                       zip(itertools.accumulate([0, *map(len, groups)]), groups, strict=False)]
        else:
            results = []
        for index, (case, sides) in enumerate(zip(todo, groups, strict=True)):
            measured = results[index] if args.mixed else p50s(sides, args.runs, args.warmup)
            engine, over_http, *rest = measured
            bare = rest.pop(0) if bare_client is not None else float("nan")
            floor = max(engine, FLOOR)
            ratio = over_http / floor
            worst = max(worst, ratio)
            base_cells = ""
            if base_client is not None:
                base = rest.pop(0)
                worst_base = max(worst_base, base / floor)
                base_cells = f" {base * 1000:8.2f} {base / floor:6.2f}"
            mark = "" if ratio <= TARGET else "  over target"
            print(f"{case.name:36} {engine * 1000:8.2f} {over_http * 1000:8.2f} {bare * 1000:8.2f} "
                  f"{ratio:6.2f} {bare / floor:6.2f}{base_cells}{mark}", flush=True)
        print(f"worst ratio {worst:.2f} (target <= {TARGET})"
              + (f"; the baseline's {worst_base:.2f}" if base_client is not None else ""))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        # The bare server's threads are daemons: they end with this process (closing it under
        # a keep-alive connection makes waitress complain).
        for running in servers:
            running.send_signal(signal.SIGINT)
        for running in servers:
            try:
                running.wait(20)
            except subprocess.TimeoutExpired:
                running.kill()
                running.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
