"""The W3C SPARQL 1.1 Protocol test suite (tests/w3c/protocol/manifest.ttl), run against the app.

The manifest describes each test as HTTP requests in RDF (``ht:Request``: method, path, headers,
body with its character encoding) and the expected outcome (``mf:expectedStatus`` as a status
class, ``mf:expectedFormat`` "boolean" / "tabular" / "RDF", ``mf:expectedBoolean``). This runner
reads the requests from the manifest itself — nothing about a test is restated here except
which tests are updates that a read-only endpoint refuses — and sends each one to the app over
a build holding the manifest's graph data (``ut:graphData``) besides the real dataset.

Every entry of the manifest is accounted for: it passes as the manifest says, or it is one of
READ_ONLY_REFUSED, whose update request must be refused with 403 (its later requests check the
update's effect, which a read-only endpoint never has).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node
from werkzeug.test import TestResponse

from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.publish import DATASET_FILE, MERGED_FILE
from citygraph.web import create_app
from citygraph.web.context import AppContext

SUITE = Path(__file__).resolve().parent / "w3c" / "protocol"
MANIFEST = SUITE / "manifest.ttl"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
#: Where the manifest's requests go: its paths start with /sparql/, this endpoint is /sparql.
MANIFEST_PATH, ENDPOINT = "/sparql/", "/sparql"

#: The tests whose first request is a SPARQL Update the manifest expects to succeed: this
#: endpoint is read-only, so each must get 403 (and the requests checking its effect are moot).
READ_ONLY_REFUSED = frozenset(BASE + name for name in (
    "update_dataset_default_graph", "update_dataset_default_graphs",
    "update_dataset_named_graphs", "update_dataset_full", "update_post_form",
    "update_post_direct", "update_base_uri"))


@dataclass(frozen=True)
class HttpRequest:
    """One ``ht:Request`` of the manifest and the response it expects."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    status_classes: frozenset[int]  # 2 for hts:StatusCode2xx, …
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        """True when the request carries a SPARQL Update (direct or form-encoded)."""
        content_type = dict(self.headers).get("content-type", "")
        return content_type.startswith("application/sparql-update") or (
            content_type.startswith("application/x-www-form-urlencoded")
            and self.body is not None and self.body.startswith(b"update="))


@dataclass(frozen=True)
class ProtocolTest:
    """One ``mf:ProtocolTest``: its IRI, name, graph data and requests in order."""

    iri: str
    name: str
    graph_data: tuple[tuple[Path, str], ...]  # file, graph IRI
    requests: tuple[HttpRequest, ...]


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    return next(iter(graph.objects(subject, predicate)), None)


def _items(graph: Graph, head: Node | None) -> list[Node]:
    return [] if head is None else list(Collection(graph, head))


def _status_class(node: Node) -> int:
    """2 for hts:StatusCode2xx, and so on."""
    name = str(node)[len(str(HTS)):]
    assert name.startswith("StatusCode") and name.endswith("xx"), node
    return int(name[len("StatusCode")])


def _request(graph: Graph, node: Node) -> HttpRequest:
    headers = tuple((str(_one(graph, h, HT.fieldName)).lower(), str(_one(graph, h, HT.fieldValue)))
                    for h in _items(graph, _one(graph, node, HT.headers)))
    body_node = _one(graph, node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(_one(graph, body_node, CNT.characterEncoding) or "UTF-8")
        body = str(_one(graph, body_node, CNT.chars)).encode(encoding)
    response = _one(graph, node, HT.resp)
    assert response is not None
    boolean = _one(graph, response, MF.expectedBoolean)
    fmt = _one(graph, response, MF.expectedFormat)
    return HttpRequest(
        method=str(_one(graph, node, HT.methodName)),
        path=str(_one(graph, node, HT.absolutePath)),
        headers=headers, body=body,
        status_classes=frozenset(_status_class(s) for s in graph.objects(response,
                                                                         MF.expectedStatus)),
        expected_format=None if fmt is None else str(fmt),
        expected_boolean=None if boolean is None else bool(
            boolean.toPython() if isinstance(boolean, Literal) else boolean))


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """Every entry of the manifest, in its order."""
    graph = Graph().parse(path, format="turtle", publicID=BASE)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in _items(graph, _one(graph, manifest, MF.entries)):
        action = _one(graph, entry, MF.action)
        assert action is not None, entry
        data = tuple(sorted(
            (SUITE / str(_one(graph, g, UT.graph)).rsplit("/", 1)[-1],
             str(_one(graph, g, RDFS.label)))
            for g in graph.objects(entry, UT.graphData)))
        requests = tuple(_request(graph, r) for r in _items(graph, _one(graph, action,
                                                                          HT.requests)))
        tests.append(ProtocolTest(str(entry), str(_one(graph, entry, MF.name)), data, requests))
    return tests


TESTS = load_manifest()


def _local(test: ProtocolTest) -> str:
    return test.iri[len(BASE):] if test.iri.startswith(BASE) else test.iri


# --- the app over a build holding the suite's graphs ------------------------------------------

@pytest.fixture(scope="module")
def suite_context(settings: Settings, built: BuildResult,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """An AppContext over a copy of the session build plus the manifest's graph data."""
    dist = tmp_path_factory.mktemp("w3c-protocol") / "dist"
    shutil.copytree(built.dist, dist)
    graphs = sorted({pair for test in TESTS for pair in test.graph_data})
    with (dist / DATASET_FILE).open("ab") as quads, (dist / MERGED_FILE).open("ab") as merged:
        for path, name in graphs:
            triples = list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
            quads.write(ox.serialize([ox.Quad(t.subject, t.predicate, t.object,
                                              ox.NamedNode(name)) for t in triples],
                                     format=ox.RdfFormat.N_QUADS) or b"")
            merged.write(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    context = AppContext.open(Settings(root=settings.root, dist=dist))
    yield context
    context.close()


@pytest.fixture()
def suite_client(settings: Settings, suite_context: AppContext) -> Iterator[FlaskClient]:
    """A test client of the app over the suite's build."""
    app = create_app(suite_context.settings, {"TESTING": True}, context=suite_context)
    with app.test_client() as client:
        yield client


def send(client: FlaskClient, request: HttpRequest) -> TestResponse:
    """Send one manifest request to the app (its /sparql/ path mapped to the endpoint)."""
    assert request.path.startswith(MANIFEST_PATH), request.path
    path = ENDPOINT + request.path[len(MANIFEST_PATH) - 1:].lstrip("/")
    headers = dict(request.headers)
    content_type = headers.pop("content-type", None)
    return client.open(path, method=request.method, headers=headers, data=request.body,
                       content_type=content_type)


def check_response(request: HttpRequest, response: TestResponse) -> None:
    """Assert that a response is what the manifest expects of it."""
    body = response.get_data()
    assert response.status_code // 100 in request.status_classes, (response.status, body[:300])
    if request.expected_format is None:
        return
    media = response.mimetype
    if request.expected_format in ("boolean", "tabular"):
        results_format = ox.QueryResultsFormat.from_media_type(media)
        assert results_format is not None, media
        results = ox.parse_query_results(body, format=results_format)
        if request.expected_format == "boolean":
            assert isinstance(results, ox.QueryBoolean), body[:300]
            if request.expected_boolean is not None:
                assert bool(results) is request.expected_boolean
        else:
            assert isinstance(results, ox.QuerySolutions), body[:300]
            assert list(results)  # the test's SELECT has one solution
    else:
        assert request.expected_format == "RDF", request.expected_format
        rdf_format = ox.RdfFormat.from_media_type(media)
        assert rdf_format is not None, media
        list(ox.parse(body, format=rdf_format))  # it parses as RDF in its declared format


# --- the suite ------------------------------------------------------------------------------

def test_the_manifest_is_the_whole_suite() -> None:
    """All 34 entries are read, each with requests; the refused ones are entries of it."""
    iris = [t.iri for t in TESTS]
    assert len(iris) == len(set(iris)) == 34
    assert all(t.requests for t in TESTS)
    assert READ_ONLY_REFUSED <= set(iris)
    # A refused test is one whose first request is an update expected to succeed: the list
    # above is exactly those, not a way to skip tests that fail.
    assert READ_ONLY_REFUSED == {t.iri for t in TESTS if t.requests[0].is_update
                                 and 2 in t.requests[0].status_classes}


@pytest.mark.parametrize("test", TESTS, ids=_local)
def test_protocol(test: ProtocolTest, suite_client: FlaskClient) -> None:
    """Run one manifest entry: each of its requests in order, checked as the manifest says."""
    if test.iri in READ_ONLY_REFUSED:
        first = test.requests[0]
        response = send(suite_client, first)
        assert response.status_code == 403, (response.status, response.get_data()[:300])
        assert b"read-only" in response.get_data()
        return
    for request in test.requests:
        check_response(request, send(suite_client, request))


def test_non_utf8_bodies_are_refused_with_a_reason(suite_client: FlaskClient) -> None:
    """A query body declared in another charset is a 400 that says so (not a guess at it)."""
    for charset in ("UTF-16", "ISO-8859-1", "utf-16le"):
        response = suite_client.post(ENDPOINT, data="ASK {}".encode(charset),
                                     content_type=f"application/sparql-query; charset={charset}")
        assert response.status_code == 400, charset
        assert f"charset={charset}".encode() in response.get_data()
    for charset in ("UTF-8", "utf8", "US-ASCII"):
        response = suite_client.post(ENDPOINT, data=b"ASK {}",
                                     content_type=f"application/sparql-query; charset={charset}")
        assert response.status_code == 200, charset
    # A form post says its charset too: only UTF-8 is the Protocol's.
    response = suite_client.post(ENDPOINT, data=b"query=ASK%20%7B%7D",
                                 content_type="application/x-www-form-urlencoded; charset=UTF-16")
    assert response.status_code == 400
    response = suite_client.post(ENDPOINT, data=b"query=ASK%20%7B%7D",
                                 content_type="application/x-www-form-urlencoded; charset=utf-8")
    assert response.status_code == 200
    # Bytes that are not UTF-8 under a UTF-8 label are a 400 too.
    response = suite_client.post(ENDPOINT, data="ASK { FILTER(\"é\") }".encode("latin-1"),
                                 content_type="application/sparql-query")
    assert response.status_code == 400 and b"UTF-8" in response.get_data()


def test_relative_iris_resolve_against_the_endpoint(suite_client: FlaskClient) -> None:
    """``<s>`` in a query is the endpoint's URL resolved: http://localhost/s (as Oxigraph does)."""
    response = suite_client.post(ENDPOINT, data=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
                                 content_type="application/sparql-query",
                                 headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.get_data()
    triples = list(ox.parse(response.get_data(), format=ox.RdfFormat.N_TRIPLES))
    assert [(t.subject.value, t.predicate.value) for t in triples] == [
        ("http://localhost/s", "http://localhost/p")]
    # A query's own BASE wins; another host gives another answer (and another ETag).
    response = suite_client.get(ENDPOINT, query_string={
        "query": "BASE <http://example.org/a/> SELECT (<b> AS ?x) {}"})
    assert b"http://example.org/a/b" in response.get_data()
    first = suite_client.get(ENDPOINT, query_string={"query": "SELECT (<x> AS ?x) {}"})
    other = suite_client.get(ENDPOINT, query_string={"query": "SELECT (<x> AS ?x) {}"},
                             base_url="http://other.example")
    assert b"http://localhost/x" in first.get_data()
    assert b"http://other.example/x" in other.get_data()
    assert first.headers["ETag"] != other.headers["ETag"]
