"""End to end: ``citygraph serve`` (waitress) on 127.0.0.1, queried with SPARQLWrapper."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore

QUERY_TIMEOUT = 2.0
LABELS = ("SELECT ?city ?label WHERE { ?city a cg:City ; rdfs:label ?label } "
          "ORDER BY ?city ?label")
CONSTRUCT = ("CONSTRUCT { ?city a cg:City ; rdfs:label ?label } "
             "WHERE { ?city a cg:City ; rdfs:label ?label }")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass(frozen=True)
class Server:
    """A running ``citygraph serve`` process and its endpoint."""

    process: subprocess.Popen[bytes]
    url: str

    @property
    def endpoint(self) -> str:
        """The SPARQL endpoint URL."""
        return self.url + "sparql"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> set[int]:
    """The child processes of ``pid`` (from /proc)."""
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def alive(pid: int) -> bool:
    """True when a process with this id exists (and is not a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.fixture(scope="session")
def server(settings: Settings, built: BuildResult) -> Iterator[Server]:
    """``citygraph serve`` on a free port of 127.0.0.1, once per session; stopped at the end."""
    port = free_port()
    # Every client of this module is 127.0.0.1: let it run more than one query at a time.
    env = {**os.environ, "CITYGRAPH_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
           "CITYGRAPH_QUERY_WORKERS": "2", "CITYGRAPH_CLIENT_CONCURRENT_QUERIES": "4"}
    cli = Path(sys.executable).with_name("citygraph")  # the installed command itself
    command = [str(cli), "serve", "--root", str(settings.root),
               "--dist", str(settings.dist_dir), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"citygraph serve exited with {process.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(url + "sparql", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("citygraph serve did not answer within 60 s")
                time.sleep(0.2)
        yield Server(process, url)
    finally:
        workers = children(process.pid)
        assert workers, "the server runs its queries in worker processes"
        process.send_signal(signal.SIGINT)  # like Ctrl-C: the server ends its query workers
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers), "query workers outlived the server"


@pytest.fixture(scope="module")
def reference(settings: Settings, built: BuildResult) -> EmbeddedStore:
    """The same build opened in this process, to compare the server's answers with."""
    return EmbeddedStore(settings.dist_dir)


def expected_rows(store: EmbeddedStore, text: str) -> list[tuple[str, ...]]:
    """SELECT rows (N-Triples terms) run directly on the store."""
    result = store.query(text)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(str(s[n]) for n in names) for s in result]


def expected_graph(store: EmbeddedStore, text: str) -> Graph:
    """The graph of a CONSTRUCT query run directly on the store."""
    body = ox.serialize(store.query(text), format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
    return Graph().parse(data=body, format="nt")


def client(server: Server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    """A SPARQLWrapper for the server with a query, a return format and a method."""
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method == "POST":
        sparql.setMethod(POST)
    elif method == "POSTDIRECTLY":
        sparql.setMethod(POST)
        sparql.setRequestMethod(POSTDIRECTLY)
    return sparql


def raw(sparql: SPARQLWrapper) -> tuple[str, bytes]:
    """The Content-Type and body of the answer to a SPARQLWrapper request."""
    result = sparql.query()
    return result.info()["content-type"], result.response.read()


def json_rows(document: dict[str, object]) -> list[tuple[str, ...]]:
    """SELECT rows of a SPARQL JSON document, as N-Triples terms."""
    solutions = ox.parse_query_results(json.dumps(document).encode(),
                                       format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [tuple(str(s[n]) for n in names) for s in solutions]


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_select_json_by_every_method(server: Server, reference: EmbeddedStore,
                                     method: str) -> None:
    document = client(server, LABELS, JSON, method).queryAndConvert()
    assert isinstance(document, dict)
    expected = expected_rows(reference, LABELS)
    assert len(expected) > 5 and json_rows(document) == expected


@pytest.mark.parametrize(("fmt", "media_type", "results_format"), [
    (XML, "application/sparql-results+xml", ox.QueryResultsFormat.XML),
    (TSV, "text/tab-separated-values", ox.QueryResultsFormat.TSV),
])
def test_select_xml_and_tsv(server: Server, reference: EmbeddedStore, fmt: str,
                            media_type: str, results_format: ox.QueryResultsFormat) -> None:
    content_type, body = raw(client(server, LABELS, fmt))
    assert content_type == f"{media_type}; charset=utf-8"
    solutions = ox.parse_query_results(body, format=results_format)
    assert isinstance(solutions, ox.QuerySolutions)
    got = [(str(s["city"]), str(s["label"])) for s in solutions]
    assert got == expected_rows(reference, LABELS)


def test_select_csv(server: Server, reference: EmbeddedStore) -> None:
    converted = client(server, LABELS, CSV).queryAndConvert()
    assert isinstance(converted, bytes)
    lines = converted.decode().splitlines()
    assert lines[0] == "city,label"
    assert len(lines) - 1 == len(expected_rows(reference, LABELS))


def test_select_xml_converts_to_a_dom(server: Server, reference: EmbeddedStore) -> None:
    document = client(server, LABELS, XML, "POST").queryAndConvert()
    results = document.getElementsByTagName("result")  # type: ignore[union-attr]
    assert len(results) == len(expected_rows(reference, LABELS))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_ask(server: Server, method: str) -> None:
    assert client(server, "ASK { ?c a cg:City }", JSON, method).queryAndConvert() == {
        "head": {}, "boolean": True}
    document = client(server, "ASK { ?c a cg:NoSuchClass }", XML, method).queryAndConvert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"  # type: ignore[union-attr]


@pytest.mark.parametrize(("fmt", "media_type", "rdflib_format", "accept"), [
    (TURTLE, "text/turtle", "turtle", None),
    (N3, "application/n-triples", "nt", "application/n-triples"),
    (JSONLD, "application/ld+json", "json-ld", None),
    (RDFXML, "application/rdf+xml", "xml", None),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_construct_in_every_graph_format(server: Server, reference: EmbeddedStore, fmt: str,
                                         media_type: str, rdflib_format: str, accept: str | None,
                                         method: str) -> None:
    sparql = client(server, CONSTRUCT, fmt, method)
    if accept:  # SPARQLWrapper has no N-Triples format of its own: ask for it by Accept
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", accept)
    content_type, body = raw(sparql)
    assert content_type == f"{media_type}; charset=utf-8"
    with warnings.catch_warnings():  # rdflib's JSON-LD parser still uses ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        graph = Graph().parse(data=body, format=rdflib_format)
    expected = expected_graph(reference, CONSTRUCT)
    assert len(expected) > 10 and isomorphic(graph, expected)


def test_syntax_error_reaches_the_client(server: Server) -> None:
    with pytest.raises(QueryBadFormed, match="line 1, column"):
        client(server, "SELECT ?s WHERE { ?s ?p }", JSON).query()


def test_update_is_refused(server: Server) -> None:
    data = urllib.parse.urlencode({"update": "DROP ALL"}).encode()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(server.endpoint, data=data), timeout=10)
    assert caught.value.code == 403
    caught.value.close()
    assert client(server, "ASK { ?c a cg:City }", JSON).queryAndConvert()["boolean"] is True  # type: ignore[index]


def test_gzip_and_cors_over_the_wire(server: Server) -> None:
    url = server.endpoint + "?" + urllib.parse.urlencode(
        {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500", "format": "tsv"})
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip",
                                                   "Origin": "https://example.org"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = gzip.decompress(response.read())
    assert len(list(ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV))) == 500  # type: ignore[arg-type]


def test_runaway_query_is_stopped_while_others_are_answered(server: Server) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        url = server.endpoint + "?" + urllib.parse.urlencode({"query": RUNAWAY})
        start = time.monotonic()
        try:
            urllib.request.urlopen(url, timeout=QUERY_TIMEOUT + 20)
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
            outcome["message"] = exc.read().decode()
            exc.close()
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    answer = client(server, "ASK { ?c a cg:City }", JSON).queryAndConvert()
    assert answer["boolean"] is True  # type: ignore[index]
    assert time.monotonic() - start < QUERY_TIMEOUT  # answered while the runaway one runs
    thread.join(QUERY_TIMEOUT + 25)
    assert outcome["status"] == 503 and "limit of 2 s" in str(outcome["message"])
    assert float(outcome["seconds"]) < QUERY_TIMEOUT + 3  # type: ignore[arg-type]
    assert client(server, "ASK { ?c a cg:City }", JSON).queryAndConvert()["boolean"] is True  # type: ignore[index]
