"""Blueprint 'ops': ``/health`` (JSON) and ``/metrics`` (Prometheus text format) for operators.

Each app has its own :class:`prometheus_client.CollectorRegistry` (never the global one): requests
by route (the endpoint's name, not the raw path, so that the label set stays bounded) and status,
the duration of queries by pool (``user``: /sparql and /api; ``internal``: the server's own
pages), timeouts, busy refusals, memory-cap kills, engine crashes, worker restarts and 429s. The
pools' events come from the executor's observer (:meth:`AppContext.listen`); this module is the
only one that knows about Prometheus. Neither route is kept by caches (``no-store``).
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

from .context import AppContext, ctx

bp = Blueprint("ops", __name__)

#: The pools of worker processes, labels of the pool metrics.
POOLS = ("user", "internal")

#: Upper bounds (seconds) of the query-duration histogram's buckets.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0)

#: Executor events (see citygraph.executor.Observer) and the counter each one adds to.
EVENTS = {
    "timeout": "timeouts",
    "busy": "busy",
    "memory": "memory_kills",
    "crash": "crashes",
    "restart": "restarts",
}

#: Label of requests that matched no route (404s), so that raw paths never become labels.
UNMATCHED = "unmatched"


class Metrics:
    """The Prometheus metrics of one app, in a registry of its own."""

    def __init__(self, app_ctx: AppContext) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.started = time.time()
        reg = self.registry
        self.requests = Counter("citygraph_http_requests", "HTTP requests answered, by route "
                                "(endpoint name) and status code", ["route", "status"],
                                registry=reg)
        self.rate_limited = Counter("citygraph_http_rate_limited",
                                    "Requests refused with 429 (a client past its budget)",
                                    registry=reg)
        self.duration = Histogram("citygraph_query_duration_seconds",
                                  "Time a query spent in a worker process, by pool", ["pool"],
                                  buckets=DURATION_BUCKETS, registry=reg)
        labels = ["pool"]
        self.counters = {
            "timeouts": Counter("citygraph_query_timeouts", "Queries stopped at the time limit",
                                labels, registry=reg),
            "busy": Counter("citygraph_query_busy", "Queries refused because no worker was free",
                            labels, registry=reg),
            "memory_kills": Counter("citygraph_query_memory_kills",
                                    "Queries stopped at the memory limit of a worker", labels,
                                    registry=reg),
            "crashes": Counter("citygraph_engine_crashes", "Queries that crashed the engine "
                               "(the worker died, not of the memory limit)", labels,
                               registry=reg),
            "restarts": Counter("citygraph_worker_restarts",
                                "Worker processes replaced by a fresh one", labels, registry=reg),
        }
        alive = Gauge("citygraph_workers_alive", "Worker processes running, by pool", labels,
                      registry=reg)
        size = Gauge("citygraph_workers", "Worker processes a pool is made of", labels,
                     registry=reg)
        # Children resolved once: labels() takes a lock and builds a key on every call.
        self._durations = {pool: self.duration.labels(pool) for pool in POOLS}
        self._answered: dict[tuple[str, int], Any] = {}
        for pool in POOLS:
            for counter in self.counters.values():
                counter.labels(pool)
            alive.labels(pool).set_function(functools.partial(_state, app_ctx, pool, 0))
            size.labels(pool).set_function(functools.partial(_state, app_ctx, pool, 1))
        info = Gauge("citygraph_build_info", "The build being served (always 1)", ["version"],
                     registry=reg)
        info.labels(app_ctx.version).set(1)
        Gauge("citygraph_dataset_triples", "Triples in the build being served",
              registry=reg).set(app_ctx.manifest.triples)
        Gauge("citygraph_uptime_seconds", "Seconds since the app was made",
              registry=reg).set_function(lambda: time.time() - self.started)
        ProcessCollector(registry=reg)  # the web process's CPU, memory and open files

    def heard(self, pool: str, event: str, seconds: float) -> None:
        """Count one event of a pool of worker processes (an executor observer)."""
        if event == "query":
            child = self._durations.get(pool)
            (child if child is not None else self.duration.labels(pool)).observe(seconds)
        elif event in EVENTS:
            self.counters[EVENTS[event]].labels(pool).inc()

    def answered(self, response: Response) -> Response:
        """Count a request by route and status (an ``after_request`` hook)."""
        rule = request.url_rule
        route = rule.endpoint if rule is not None else UNMATCHED
        status = response.status_code
        child = self._answered.get((route, status))
        if child is None:  # routes and status codes are few: their children are kept
            child = self._answered.setdefault((route, status),
                                              self.requests.labels(route, str(status)))
        child.inc()
        if status == 429:
            self.rate_limited.inc()
        return response


def install(app: Flask) -> Metrics:
    """Give ``app`` its metrics: count every request and hear its pools' events."""
    app_ctx = app.extensions["citygraph"]
    metrics = Metrics(app_ctx)
    app.extensions["citygraph.metrics"] = metrics
    app_ctx.listen(metrics.heard)
    app.after_request(metrics.answered)
    app.register_blueprint(bp)
    return metrics


def pool_state(app_ctx: AppContext, pool: str) -> tuple[int, int]:
    """How many workers of a pool run, and how many it is made of (0, 0 when not started)."""
    executor = app_ctx.executor if pool == "user" else app_ctx.internal
    if executor is None:
        return 0, 0
    return executor.alive, executor.size


def _state(app_ctx: AppContext, pool: str, index: int) -> float:
    return pool_state(app_ctx, pool)[index]


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/health")
def health() -> Response:
    """The server's state as JSON: the build, workers alive per pool, uptime; 503 when a pool has
    no live worker (its queries cannot be answered)."""
    app_ctx = ctx()
    metrics: Metrics = current_app.extensions["citygraph.metrics"]
    app_ctx.query_executor()  # a closed pool starts again on its next query: now
    app_ctx.internal_executor()
    manifest = app_ctx.manifest
    workers = {}
    for pool in POOLS:
        alive, size = pool_state(app_ctx, pool)
        workers[pool] = {"alive": alive, "size": size}
    healthy = all(state["alive"] > 0 for state in workers.values())
    body: dict[str, Any] = {
        "status": "ok" if healthy else "unavailable",
        "build": {
            "loaded": True,
            "present": (app_ctx.dist / "manifest.json").is_file(),
            "version": app_ctx.version,
            "built": manifest.built,
            "base_iri": manifest.base_iri,
            "triples": manifest.triples,
            "graphs": len([name for name in manifest.graphs if name]),
        },
        "workers": workers,
        "uptime_seconds": round(time.time() - metrics.started, 3),
    }
    response = Response(json.dumps(body, indent=2) + "\n", status=200 if healthy else 503,
                        content_type="application/json")
    return _uncached(response)


@bp.get("/metrics")
def metrics_text() -> Response:
    """Every metric of this app in the Prometheus text format (or OpenMetrics, by Accept)."""
    metrics: Metrics = current_app.extensions["citygraph.metrics"]
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encode(metrics.registry), content_type=content_type)
    response.vary.add("Accept")
    return _uncached(response)
