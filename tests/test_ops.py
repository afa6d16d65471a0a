"""Operations: /health, /metrics (Prometheus), and absolute URLs under public_url or the Host."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from rdflib import Graph, URIRef
from werkzeug.exceptions import TooManyRequests

from citygraph.config import Settings
from citygraph.errors import ConfigError, EngineCrashed
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS
from citygraph.vocab import SD
from citygraph.web import create_app
from citygraph.web.context import AppContext

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorting the data joined with itself needs gigabytes: past a 200 MiB cap.
HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c ?e LIMIT 1"
#: Overflows the engine's parser stack: the worker dies of SIGSEGV.
CRASHER = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
SPARQL_JSON = "application/sparql-results+json"
PUBLIC = "https://citygraph.example.org/"
HOST = "attacker.invalid"


def samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by name and sorted labels (parsed by prometheus_client)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(client: FlaskClient, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when absent)."""
    return samples(client).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def own(settings: Settings, app_context: AppContext) -> Iterator[AppContext]:
    """A context with pools of its own: one user worker, a 2 s limit, a 200 MiB memory cap."""
    tight = settings.replace(query_timeout=2.0, query_workers=1, query_memory_mb=200)
    context = AppContext(tight, app_context.manifest, app_context.store, app_context.queries)
    yield context
    context.close()


@pytest.fixture()
def own_app(own: AppContext) -> Flask:
    """A fresh app over the context with pools of its own."""
    return create_app(own.settings, {"TESTING": True}, context=own)


# --- /health -----------------------------------------------------------------------------------

def test_health_reports_the_build_and_live_workers(client: FlaskClient, app_context: AppContext) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == "ok"
    assert body["build"]["loaded"] and body["build"]["present"]
    assert body["build"]["version"] == app_context.version
    assert body["build"]["triples"] == app_context.manifest.triples > 0
    assert body["workers"]["user"] == {"alive": app_context.settings.query_workers,
                                       "size": app_context.settings.query_workers}
    assert body["workers"]["internal"] == {"alive": 1, "size": 1}
    assert body["uptime_seconds"] >= 0


def reaped(pid: int, limit: float = 10.0) -> None:
    """Wait until a killed process has ended (a zombie counts as ended)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still runs")


def test_health_is_503_when_a_pool_has_no_live_worker_and_recovers(own_app: Flask,
                                                                    own: AppContext) -> None:
    client = own_app.test_client()
    assert client.get("/health").status_code == 200
    pool = own.query_executor()
    for pid in pool.pids:
        os.kill(pid, signal.SIGKILL)
        reaped(pid)
    deadline = time.monotonic() + 10
    while pool.alive and time.monotonic() < deadline:  # the executor sees it end
        time.sleep(0.05)
    response = client.get("/health")
    body = json.loads(response.get_data(as_text=True))
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["workers"]["user"] == {"alive": 0, "size": 1}
    assert value(client, "citygraph_workers_alive", pool="user") == 0
    # The next query replaces the dead worker instead of failing on it.
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": SPARQL_JSON})
    assert answer.status_code == 200
    assert client.get("/health").status_code == 200
    assert value(client, "citygraph_workers_alive", pool="user") == 1


# --- /metrics ----------------------------------------------------------------------------------

def test_metrics_are_prometheus_text_and_never_cached(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=0.0.4" in response.content_type
    assert response.headers["Cache-Control"] == "no-store"
    openmetrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.mimetype == "application/openmetrics-text"
    assert openmetrics.get_data(as_text=True).endswith("# EOF\n")
    names = {family.name for family in
             text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"citygraph_http_requests", "citygraph_query_duration_seconds",
            "citygraph_query_timeouts", "citygraph_query_memory_kills", "citygraph_engine_crashes",
            "citygraph_worker_restarts", "citygraph_http_rate_limited", "citygraph_workers_alive",
            "citygraph_build_info"} <= names


def test_requests_are_counted_by_route_name_and_status(client: FlaskClient) -> None:
    route = {"route": "sparql.endpoint"}
    ok = value(client, "citygraph_http_requests_total", status="200", **route)
    bad = value(client, "citygraph_http_requests_total", status="400", **route)
    durations = value(client, "citygraph_query_duration_seconds_count", pool="user")
    assert client.get("/sparql", query_string={"query": "ASK {}"},
                      headers={"Accept": SPARQL_JSON}).status_code == 200
    assert client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}).status_code == 400
    assert value(client, "citygraph_http_requests_total", status="200", **route) == ok + 1
    assert value(client, "citygraph_http_requests_total", status="400", **route) == bad + 1
    # Both queries went to a worker (the syntax error is found there): two durations.
    assert value(client, "citygraph_query_duration_seconds_count", pool="user") == durations + 2


def test_raw_paths_never_become_labels(client: FlaskClient) -> None:
    for number in range(3):
        client.get(f"/no-such-thing-{number}/x")
        client.get(f"/id/city/no-such-city-{number}")
    labels = {value for (name, pairs) in samples(client) for key, value in pairs
              if name.startswith("citygraph_http")}
    assert not any("no-such" in label for label in labels)


def test_429_answers_are_counted(settings: Settings, app_context: AppContext) -> None:
    app = create_app(settings, {"TESTING": True}, context=app_context)

    @app.get("/test-budget")
    def budget() -> str:
        raise TooManyRequests("over budget")

    client = app.test_client()
    assert client.get("/test-budget").status_code == 429
    assert client.get("/test-budget").status_code == 429
    assert value(client, "citygraph_http_rate_limited_total") == 2
    assert value(client, "citygraph_http_requests_total", route="budget", status="429") == 2


def test_timeouts_memory_kills_crashes_and_restarts_are_counted(own_app: Flask,
                                                               own: AppContext) -> None:
    client = own_app.test_client()

    def counted(name: str) -> float:
        return value(client, f"citygraph_{name}_total", pool="user")

    before = {name: counted(name) for name in
              ("query_timeouts", "query_memory_kills", "engine_crashes", "worker_restarts")}
    timeout = client.get("/sparql", query_string={"query": RUNAWAY})
    assert timeout.status_code == 503 and "limit of 2 s" in timeout.get_data(as_text=True)
    memory = client.get("/sparql", query_string={"query": HUNGRY})
    assert memory.status_code == 503 and "memory limit of 200 MiB" in memory.get_data(as_text=True)
    assert "Retry-After" not in memory.headers  # the same query would fail again
    # A crash, through the pool itself: the web process refuses such nesting before the engine.
    with pytest.raises(EngineCrashed):
        own.query_executor().run(CRASHER, select_format=SELECT_FORMATS["json"],
                                 graph_format=GRAPH_FORMATS["turtle"])
    assert counted("query_timeouts") == before["query_timeouts"] + 1
    assert counted("query_memory_kills") == before["query_memory_kills"] + 1
    assert counted("engine_crashes") == before["engine_crashes"] + 1
    assert counted("worker_restarts") == before["worker_restarts"] + 3
    assert value(client, "citygraph_query_duration_seconds_bucket", pool="user", le="1.0") < \
        value(client, "citygraph_query_duration_seconds_count", pool="user")  # the 2 s one


# --- absolute URLs: public_url, or the request's Host -----------------------------------------

def sd_endpoint(response_text: str) -> set[str]:
    """The sd:endpoint IRIs of a Service Description in Turtle."""
    graph = Graph().parse(data=response_text, format="turtle")
    return {str(o) for o in graph.objects(None, URIRef(str(SD.endpoint)))}


@pytest.fixture()
def public_app(settings: Settings, app_context: AppContext) -> Iterator[Flask]:
    """An app whose public_url is set (its context runs no query, so starts no worker)."""
    public = settings.replace(public_url=PUBLIC)
    context = AppContext(public, app_context.manifest, app_context.store, app_context.queries)
    yield create_app(public, {"TESTING": True}, context=context)
    context.close()


def test_without_public_url_the_description_names_the_host_and_varies_by_it(
        client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle", "Host": HOST})
    assert sd_endpoint(response.get_data(as_text=True)) == {f"http://{HOST}/sparql"}
    assert "Host" in response.headers["Vary"]
    assert "public" not in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    other = client.get("/sparql", headers={"Accept": "text/turtle", "Host": "other.invalid"})
    assert other.headers["ETag"] != response.headers["ETag"]  # another body, another tag


def test_with_public_url_the_host_is_never_written(public_app: Flask) -> None:
    client = public_app.test_client()
    response = client.get("/sparql", headers={"Accept": "text/turtle", "Host": HOST})
    text = response.get_data(as_text=True)
    assert sd_endpoint(text) == {PUBLIC + "sparql"}
    assert HOST not in text and f"<{PUBLIC}.well-known/void>" in text
    assert "Host" not in response.headers.get("Vary", "")
    assert "public" in response.headers["Cache-Control"]
    page = client.get("/sparql", headers={"Accept": "text/html", "Host": HOST})
    assert page.status_code == 303 and page.headers["Location"] == PUBLIC


@pytest.mark.parametrize("query", ['SELECT (IRI("x") AS ?i) {}', "CONSTRUCT { <s> <p> 1 } WHERE {}",
                                   'SELECT (URI("y") AS ?i) {}'])
def test_an_answer_resolved_against_the_host_varies_by_it(client: FlaskClient, query: str) -> None:
    """Relative IRIs and IRI()/URI() resolve against the endpoint's URL: without public_url that
    is the Host, so the answer is private and varies by Host (a forged Host poisons no cache)."""
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/n-triples, application/sparql-results+json",
                                   "Host": HOST})
    assert response.status_code == 200 and HOST in response.get_data(as_text=True)
    assert "Host" in response.headers["Vary"] and "private" in response.headers["Cache-Control"]
    other = client.get("/sparql", query_string={"query": query},
                       headers={"Accept": "application/n-triples, application/sparql-results+json",
                                "Host": "other.invalid"})
    assert other.headers["ETag"] != response.headers["ETag"]


def test_an_answer_without_relative_iris_stays_shared(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT (STR(<http://e/x>) AS ?s) {}"},
                          headers={"Host": HOST})
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    assert "Host" not in response.headers.get("Vary", "")


def test_public_url_with_a_path_is_the_root_of_the_app(settings: Settings,
                                                       app_context: AppContext) -> None:
    public = settings.replace(public_url="https://example.org/cg")
    assert public.public_url == "https://example.org/cg/"
    context = AppContext(public, app_context.manifest, app_context.store, app_context.queries)
    try:
        client = create_app(public, {"TESTING": True}, context=context).test_client()
        response = client.get("/sparql", headers={"Accept": "text/turtle"})
        assert sd_endpoint(response.get_data(as_text=True)) == {"https://example.org/cg/sparql"}
    finally:
        context.close()


@pytest.mark.parametrize("bad", ["citygraph.example.org", "ftp://example.org/", "https://",
                                 "https://example.org/?a=b", "https://exa mple.org/"])
def test_a_bad_public_url_is_a_config_error(settings: Settings, bad: str) -> None:
    with pytest.raises(ConfigError, match="public_url"):
        settings.replace(public_url=bad)


def test_without_public_url_redirects_are_relative(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html", "Host": HOST})
    assert response.status_code == 303 and response.headers["Location"] == "/"


PAGES = ["/", "/sparql", "/api", "/api/openapi.json", "/catalog", "/.well-known/void",
         "/id/city/dortmund", "/ontology"]


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/json", "*/*"])
def test_no_shared_cache_keeps_a_body_written_with_the_host(client: FlaskClient, accept: str) -> None:
    written_by = set()
    for path in PAGES:
        response = client.get(path, headers={"Accept": accept, "Host": HOST},
                              follow_redirects=False)
        body = response.get_data(as_text=True)
        if HOST in body or HOST in response.headers.get("Location", ""):
            written_by.add(path)
            if "public" in response.headers.get("Cache-Control", ""):
                assert "Host" in response.headers.get("Vary", ""), (path, accept)
    if accept in ("text/turtle", "*/*"):
        assert "/sparql" in written_by  # the Service Description names the endpoint's URL


def test_a_crash_is_a_503_without_retry_after(settings: Settings, app_context: AppContext) -> None:
    app = create_app(settings, {"TESTING": True}, context=app_context)

    @app.get("/test-crash")
    def crash() -> str:
        raise EngineCrashed("the query crashed the engine and was stopped")

    response = app.test_client().get("/test-crash")
    assert response.status_code == 503 and "Retry-After" not in response.headers
    assert response.get_data(as_text=True) == "the query crashed the engine and was stopped\n"
