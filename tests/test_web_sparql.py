"""The SPARQL 1.1 Protocol at /sparql, through the Flask test client: methods, formats, errors."""

from __future__ import annotations

import csv
import gzip
import io
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, VOID
from werkzeug.test import TestResponse

from citygraph.config import Settings
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS, Format
from citygraph.vocab import INFERRED_GRAPH, SD
from citygraph.web import create_app
from citygraph.web.context import AppContext
from citygraph.web.sparql import FORMAT_IRIS

CITIES = "SELECT ?city WHERE { ?city a cg:City } ORDER BY ?city"
LABELS = "SELECT ?city ?label WHERE { ?city a cg:City ; rdfs:label ?label } ORDER BY ?city ?label"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?city a cg:City ; rdfs:label ?label } WHERE { ?city a cg:City ; " \
            "rdfs:label ?label }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
INFERRED = str(INFERRED_GRAPH)
RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
FORM = "application/x-www-form-urlencoded"


# --- helpers -------------------------------------------------------------------------------

def ctx_of(app: Flask) -> AppContext:
    """The AppContext of an app."""
    value = app.extensions["citygraph"]
    assert isinstance(value, AppContext)
    return value


def reference_rows(app: Flask, text: str, **kwargs: Any) -> list[tuple[str, ...]]:
    """The rows of a SELECT query run directly on the app's in-process store (N-Triples terms)."""
    result = ctx_of(app).store.query(text, **kwargs)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple("" if s[n] is None else str(s[n]) for n in names) for s in result]


def reference_graph(app: Flask, text: str) -> Graph:
    """The graph a CONSTRUCT query gives when run directly on the app's store."""
    result = ctx_of(app).store.query(text)
    body = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
    return Graph().parse(data=body, format="nt")


def rows_of(response: TestResponse, fmt: Format) -> list[tuple[str, ...]]:
    """The rows of a SELECT answer, parsed back (N-Triples terms; CSV gives plain values)."""
    if fmt.name == "csv":
        table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        return [tuple(row) for row in table[1:]]
    solutions = ox.parse_query_results(response.data, format=fmt.writer)  # type: ignore[arg-type]
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [tuple("" if s[n] is None else str(s[n]) for n in names) for s in solutions]


def plain_values(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """N-Triples terms of IRIs reduced to the bare IRI (what CSV carries)."""
    return [tuple(c[1:-1] if c.startswith("<") else c for c in row) for row in rows]


def boolean_of(response: TestResponse, fmt: Format) -> bool:
    """The boolean of an ASK answer, parsed back."""
    if fmt.name == "csv":
        return response.get_data(as_text=True).strip() == "true"
    result = ox.parse_query_results(response.data, format=fmt.writer)  # type: ignore[arg-type]
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def graph_of(response: TestResponse, fmt: Format) -> Graph:
    """The graph of a CONSTRUCT/DESCRIBE answer, parsed back with rdflib."""
    with warnings.catch_warnings():  # rdflib's own JSON-LD parser still uses ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=response.data, format=RDFLIB_FORMAT[fmt.name])


def count_of(client: FlaskClient, **params: Any) -> int:
    """The ?n that the endpoint answers to a counting query (COUNT of every triple by default)."""
    response = client.get("/sparql", query_string={"query": COUNT, **params},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(rows_of(response, SELECT_FORMATS["json"])[0][0].split('"')[1])


def assert_plain_error(response: TestResponse, status: int) -> str:
    """Check an error response: its status, text/plain with charset; return its text."""
    assert response.status_code == status, response.text
    assert response.content_type == "text/plain; charset=utf-8"
    return response.get_data(as_text=True)


@pytest.fixture()
def limited(settings: Settings, app_context: AppContext) -> Iterator[Flask]:
    """An app of its own with a one-second timeout and a cap of 5 rows (its own workers)."""
    tight = settings.replace(query_timeout=1.0, max_rows=5, query_workers=1)
    context = AppContext(tight, app_context.manifest, app_context.store, app_context.queries)
    yield create_app(tight, {"TESTING": True}, context=context)
    context.close()


# --- methods ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post-form", "post-direct"])
def test_every_method_answers_the_same(client: FlaskClient, app: Flask, method: str) -> None:
    headers = {"Accept": "application/sparql-results+json"}
    if method == "get":
        response = client.get("/sparql", query_string={"query": LABELS}, headers=headers)
    elif method == "post-form":
        response = client.post("/sparql", data={"query": LABELS}, headers=headers)
    else:
        response = client.post("/sparql", data=LABELS.encode(), headers={
            **headers, "Content-Type": "application/sparql-query; charset=utf-8"})
    assert response.status_code == 200, response.text
    expected = reference_rows(app, LABELS)
    assert len(expected) > 5
    assert rows_of(response, SELECT_FORMATS["json"]) == expected


def test_head_has_the_headers_and_no_body(client: FlaskClient) -> None:
    get = client.get("/sparql", query_string={"query": CITIES, "format": "csv"})
    head = client.head("/sparql", query_string={"query": CITIES, "format": "csv"})
    assert head.status_code == 200 and head.data == b""
    assert head.content_type == get.content_type == "text/csv; charset=utf-8"
    assert head.headers["ETag"] == get.headers["ETag"]


def test_other_post_bodies_are_refused(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"{}", content_type="application/json")
    assert "application/sparql-query" in assert_plain_error(response, 415)


# --- formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", SELECT_FORMATS.values(), ids=list(SELECT_FORMATS))
def test_select_in_every_result_format(client: FlaskClient, app: Flask, fmt: Format) -> None:
    response = client.get("/sparql", query_string={"query": LABELS},
                          headers={"Accept": fmt.media_type})
    assert response.status_code == 200, response.text
    assert response.content_type == fmt.content_type
    expected = reference_rows(app, LABELS)
    got = rows_of(response, fmt)
    if fmt.name == "csv":  # CSV is lossy: IRIs bare, literals as their lexical form
        assert got == [(row[0][1:-1], row[1].split('"')[1]) for row in expected]
    else:
        assert got == expected


@pytest.mark.parametrize("fmt", SELECT_FORMATS.values(), ids=list(SELECT_FORMATS))
def test_ask_in_every_result_format(client: FlaskClient, fmt: Format) -> None:
    for query, expected in (("ASK { ?c a cg:City }", True), ("ASK { ?c a cg:NoSuchClass }", False)):
        response = client.get("/sparql", query_string={"query": query},
                              headers={"Accept": fmt.media_type})
        assert response.status_code == 200 and response.content_type == fmt.content_type
        assert boolean_of(response, fmt) is expected


@pytest.mark.parametrize("fmt", GRAPH_FORMATS.values(), ids=list(GRAPH_FORMATS))
def test_construct_in_every_graph_format(client: FlaskClient, app: Flask, fmt: Format) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT},
                          headers={"Accept": fmt.media_type})
    assert response.status_code == 200, response.text
    assert response.content_type == fmt.content_type
    expected = reference_graph(app, CONSTRUCT)
    assert len(expected) > 10
    assert isomorphic(graph_of(response, fmt), expected)


def test_describe_gives_a_graph(client: FlaskClient, app: Flask) -> None:
    city = reference_rows(app, CITIES)[0][0]
    response = client.get("/sparql", query_string={"query": f"DESCRIBE {city}"},
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.content_type.startswith("text/turtle")
    graph = graph_of(response, GRAPH_FORMATS["turtle"])
    assert (URIRef(city[1:-1]), RDF.type, None) in graph


@pytest.mark.parametrize(("accept", "select", "graph"), [
    ("text/csv;q=0.9, application/sparql-results+xml", "xml", None),
    ("application/sparql-results+json;q=0.5, text/tab-separated-values", "tsv", None),
    ("text/turtle;q=0.2, application/n-triples, text/csv;q=0.3", "csv", "ntriples"),
    ("application/rdf+xml;q=0.1, application/ld+json;q=0.8, application/sparql-results+json;q=0.9",
     "json", "jsonld"),
    ("text/turtle, application/sparql-results+json;q=0.9", "json", "turtle"),
    ("application/json", "json", "jsonld"),
    ("application/xml", "xml", "rdfxml"),
    ("*/*", "json", "turtle"),
    ("", "json", "turtle"),
])
def test_accept_with_q_values(client: FlaskClient, accept: str, select: str,
                              graph: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    selected = client.get("/sparql", query_string={"query": CITIES}, headers=headers)
    assert selected.status_code == 200 and selected.content_type == \
        SELECT_FORMATS[select].content_type
    constructed = client.get("/sparql", query_string={"query": CONSTRUCT}, headers=headers)
    if graph is None:  # the result format was acceptable, but no graph format is
        assert "CONSTRUCT" in assert_plain_error(constructed, 406)
    else:
        assert constructed.status_code == 200 and constructed.content_type == \
            GRAPH_FORMATS[graph].content_type


@pytest.mark.parametrize(("name", "select", "graph"), [
    ("json", "json", "jsonld"), ("xml", "xml", "rdfxml"), ("csv", "csv", None),
    ("tsv", "tsv", None), ("turtle", None, "turtle"), ("ntriples", None, "ntriples"),
    ("jsonld", "json", "jsonld"), ("rdfxml", "xml", "rdfxml"), ("ttl", None, "turtle"),
    ("text/tab-separated-values", "tsv", None),
])
def test_format_parameter_beats_accept(client: FlaskClient, name: str, select: str | None,
                                       graph: str | None) -> None:
    headers = {"Accept": "text/html"}
    for query, table, expected in ((CITIES, SELECT_FORMATS, select),
                                   (CONSTRUCT, GRAPH_FORMATS, graph)):
        response = client.get("/sparql", query_string={"query": query, "format": name},
                              headers=headers)
        if expected is None:
            assert_plain_error(response, 406)
        else:
            assert response.status_code == 200
            assert response.content_type == table[expected].content_type


def test_format_parameter_in_a_form_post(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"query": CITIES, "format": "tsv"})
    assert response.content_type == "text/tab-separated-values; charset=utf-8"


@pytest.mark.parametrize(("query", "accept"), [
    (CITIES, "image/png"),
    (CITIES, "text/turtle"),  # a graph format for a SELECT
    ("ASK { ?s ?p ?o }", "application/rdf+xml"),
    (CONSTRUCT, "text/csv"),  # a result format for a CONSTRUCT
])
def test_not_acceptable(client: FlaskClient, query: str, accept: str) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert "can be given as" in assert_plain_error(response, 406) or accept == "image/png"


def test_unknown_format_name(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": CITIES, "format": "yaml"})
    assert "'yaml'" in assert_plain_error(response, 406)


# --- dataset ---------------------------------------------------------------------------------

def test_default_graph_is_the_union_of_asserted_and_inferred(client: FlaskClient,
                                                             app: Flask) -> None:
    manifest = ctx_of(app).manifest
    assert INFERRED in manifest.graphs and manifest.graphs[INFERRED] > 0
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    assert count_of(client) == count_of(client, query=distinct) == manifest.triples
    inferred_only = f"ASK {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH ?g {{ " \
                    f"?s ?p ?o }} FILTER(?g != <{INFERRED}>) }} }}"
    assert reference_rows_ask(app, inferred_only)  # some triples are only inferred …
    response = client.get("/sparql", query_string={"query": inferred_only.replace(
        "ASK {", "ASK { ?s ?p ?o . ", 1), "format": "json"})
    assert boolean_of(response, SELECT_FORMATS["json"]) is True  # … and in the default graph


def reference_rows_ask(app: Flask, text: str) -> bool:
    """The answer of an ASK query run directly on the app's store."""
    result = ctx_of(app).store.query(text)
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def test_default_graph_uri(client: FlaskClient, app: Flask) -> None:
    graphs = ctx_of(app).manifest.graphs
    assert count_of(client, **{"default-graph-uri": INFERRED}) == graphs[INFERRED]
    other = next(g for g in graphs if g and g != INFERRED)
    both = client.get("/sparql", query_string=[("query", COUNT), ("default-graph-uri", INFERRED),
                                                ("default-graph-uri", other), ("format", "csv")])
    union = reference_rows(app, COUNT, default_graphs=[INFERRED, other])
    assert rows_of(both, SELECT_FORMATS["csv"])[0][0] == union[0][0].split('"')[1]
    assert int(union[0][0].split('"')[1]) > graphs[INFERRED]


def test_named_graph_uri(client: FlaskClient, app: Flask) -> None:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    every = client.get("/sparql", query_string={"query": query, "format": "json"})
    assert len(rows_of(every, SELECT_FORMATS["json"])) == len([g for g in ctx_of(app).manifest.graphs
                                                               if g])
    only = client.post("/sparql", data={"query": query, "named-graph-uri": INFERRED,
                                        "format": "json"})
    assert [row[0] for row in rows_of(only, SELECT_FORMATS["json"])] == [f"<{INFERRED}>"]


def test_named_graph_uri_alone_leaves_the_default_graph_empty(client: FlaskClient) -> None:
    # The protocol's dataset is exactly the one the request names (like FROM NAMED alone).
    assert count_of(client, **{"named-graph-uri": INFERRED}) == 0


def test_default_graph_uri_alone_leaves_no_named_graphs(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": INFERRED,
                                                   "format": "csv"})
    assert rows_of(response, SELECT_FORMATS["csv"]) == [("0",)]


def test_graph_on_the_inferred_graph(client: FlaskClient, app: Flask) -> None:
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
    response = client.get("/sparql", query_string={"query": query, "format": "tsv"})
    got = rows_of(response, SELECT_FORMATS["tsv"])
    assert len(got) == ctx_of(app).manifest.graphs[INFERRED] == len(reference_rows(app, query))


def test_invalid_graph_iri_is_a_bad_request(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": COUNT, "default-graph-uri": "not an iri"})
    assert_plain_error(response, 400)


def test_predeclared_prefixes(client: FlaskClient, app: Flask) -> None:
    body = ("SELECT ?p ?label WHERE { ?p a cg:Partnership ; rdfs:label ?label . "
            "FILTER(LANG(?label) = 'en') } ORDER BY ?p")
    declared = "PREFIX cg: <https://w3id.org/citygraph/ontology#>\n" \
               "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + body
    response = client.get("/sparql", query_string={"query": body, "format": "json"})
    assert response.status_code == 200, response.text
    rows = rows_of(response, SELECT_FORMATS["json"])
    assert len(rows) > 3 and rows == reference_rows(app, declared)
    undeclared = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s nope:x ?o }"})
    assert "line 1, column" in assert_plain_error(undeclared, 400)


# --- errors ----------------------------------------------------------------------------------

def test_syntax_error_is_a_400_with_line_and_column(client: FlaskClient) -> None:
    query = "SELECT ?s\nWHERE {\n  ?s ?p ?o FILTER( }"
    text = assert_plain_error(client.get("/sparql", query_string={"query": query}), 400)
    assert "line 3, column" in text and "syntax error" in text


@pytest.mark.parametrize("request_kwargs", [
    {"method": "POST", "data": {"format": "json"}},
    {"method": "POST", "data": b"", "content_type": "application/sparql-query"},
    {"method": "GET", "query_string": {"query": "  \n"}},
    {"method": "GET", "query_string": [("query", CITIES), ("query", COUNT)]},
])
def test_missing_or_ambiguous_query_is_a_400(client: FlaskClient,
                                              request_kwargs: dict[str, Any]) -> None:
    text = assert_plain_error(client.open("/sparql", **request_kwargs), 400)
    assert "query" in text


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "query_string": {"update": "DROP ALL"}},
    {"method": "POST", "data": {"update": "INSERT DATA { cg:a cg:b cg:c }"}},
    {"method": "POST", "data": b"DELETE WHERE { ?s ?p ?o }",
     "content_type": "application/sparql-update"},
    {"method": "GET", "query_string": {"query": "CLEAR DEFAULT"}},
    {"method": "POST", "data": {"query": "PREFIX ex: <http://example.org/>\n"
                                         "DELETE WHERE { ?s ?p ?o }"}},
    {"method": "POST", "data": b"INSERT DATA { cg:a cg:b cg:c }",
     "content_type": "application/sparql-query"},
])
def test_every_update_is_forbidden_and_changes_nothing(client: FlaskClient, app: Flask,
                                                       request_kwargs: dict[str, Any]) -> None:
    before, stored = count_of(client), len(ctx_of(app).store.store)
    assert "read-only" in assert_plain_error(client.open("/sparql", **request_kwargs), 403)
    assert count_of(client) == before == ctx_of(app).manifest.triples
    assert len(ctx_of(app).store.store) == stored


@pytest.mark.parametrize("method", ["get", "post-form", "post-direct"])
def test_oversized_query_is_a_413(client: FlaskClient, app: Flask, method: str) -> None:
    limit = ctx_of(app).settings.max_query_bytes
    query = "# " + "x" * limit + "\n" + CITIES
    if method == "get":
        response = client.get("/sparql", query_string={"query": query})
    elif method == "post-form":
        response = client.post("/sparql", data={"query": query})
    else:
        response = client.post("/sparql", data=query.encode(),
                               content_type="application/sparql-query")
    assert str(limit) in assert_plain_error(response, 413)


def test_query_at_the_limit_is_answered(client: FlaskClient, app: Flask) -> None:
    limit = ctx_of(app).settings.max_query_bytes
    query = CITIES + "\n#" + "x" * (limit - len(CITIES) - 3)
    assert len(query.encode()) == limit - 1
    assert client.post("/sparql", data={"query": query}).status_code == 200


def test_runaway_query_is_a_503_and_others_still_answer(limited: Flask) -> None:
    client = limited.test_client()
    response = client.get("/sparql", query_string={"query": RUNAWAY})
    assert "limit of 1 s" in assert_plain_error(response, 503)
    after = client.get("/sparql", query_string={"query": "ASK { ?s a cg:City }", "format": "json"})
    assert after.status_code == 200 and boolean_of(after, SELECT_FORMATS["json"]) is True


def test_pages_answer_while_user_queries_take_every_worker(limited: Flask) -> None:
    # The one user-query worker is busy with a runaway query; the server's own queries for a
    # linked-data page run in their own pool and answer while it still runs.
    page = "/id/city/dortmund"
    assert limited.test_client().get(page, headers={"Accept": "text/turtle"}).status_code == 200
    statuses: list[int] = []
    runaway = threading.Thread(target=lambda: statuses.append(
        limited.test_client().get("/sparql", query_string={"query": RUNAWAY}).status_code))
    runaway.start()
    time.sleep(0.2)
    response = limited.test_client().get(page, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert runaway.is_alive()  # answered before the runaway query was stopped at its limit
    runaway.join(10)
    assert statuses == [503]


def test_an_unanswerable_format_is_refused_before_the_query_runs(limited: Flask) -> None:
    client = limited.test_client()
    construct = client.get("/sparql", headers={"Accept": "text/csv"}, query_string={
        "query": "CONSTRUCT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
    select = client.get("/sparql", query_string={"query": RUNAWAY, "format": "turtle"})
    # Had these runaway queries run, the one-second limit would have made them a 503.
    assert construct.status_code == 406 and select.status_code == 406


def test_busy_answer_asks_to_retry_later(limited: Flask) -> None:
    response = limited.test_client().get("/sparql", query_string={"query": RUNAWAY})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"


def test_cut_answer_says_so(limited: Flask, client: FlaskClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    cut = limited.test_client().get("/sparql", query_string={"query": query, "format": "json"})
    assert cut.headers["X-Citygraph-Truncated"] == "true"
    assert cut.headers["X-Citygraph-Rows"] == "5"
    assert len(rows_of(cut, SELECT_FORMATS["json"])) == 5
    graph = limited.test_client().get("/sparql", query_string={"query": CONSTRUCT,
                                                              "format": "ntriples"})
    assert graph.headers["X-Citygraph-Truncated"] == "true"
    assert len(graph_of(graph, GRAPH_FORMATS["ntriples"])) == 5
    whole = client.get("/sparql", query_string={"query": CITIES, "format": "json"})
    assert whole.headers["X-Citygraph-Truncated"] == "false"
    assert whole.headers["X-Citygraph-Rows"] == str(len(rows_of(whole, SELECT_FORMATS["json"])))


# --- service description ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", GRAPH_FORMATS.values(), ids=list(GRAPH_FORMATS))
def test_service_description(client: FlaskClient, app: Flask, fmt: Format) -> None:
    response = client.get("/sparql", headers={"Accept": fmt.media_type})
    assert response.status_code == 200 and response.content_type == fmt.content_type
    graph = graph_of(response, fmt)
    service = URIRef("http://localhost/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) in graph  # the default allowlist: WDQS
    assert set(graph.objects(service, SD.resultFormat)) == {URIRef(i) for i in FORMAT_IRIS.values()}
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (dataset, None, URIRef("http://localhost/.well-known/void")) in graph
    manifest = ctx_of(app).manifest
    default = graph.value(dataset, SD.defaultGraph)
    assert graph.value(default, VOID.triples) == Literal(manifest.triples)
    counts = {}
    for named in graph.objects(dataset, SD.namedGraph):
        counts[str(graph.value(named, SD.name))] = graph.value(graph.value(named, SD.graph),
                                                               VOID.triples).toPython()
    assert counts == {g: n for g, n in manifest.graphs.items() if g}
    assert INFERRED in counts


def test_service_description_defaults_to_turtle(client: FlaskClient) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200 and response.content_type == "text/turtle; charset=utf-8"
    assert response.headers["ETag"] and "max-age" in response.headers["Cache-Control"]


def test_browser_is_sent_to_the_query_page(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_service_description_not_acceptable(client: FlaskClient) -> None:
    assert_plain_error(client.get("/sparql", headers={"Accept": "text/csv"}), 406)


# --- HTTP ------------------------------------------------------------------------------------

def test_cors_preflight_and_header(client: FlaskClient) -> None:
    preflight = client.options("/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    response = client.get("/sparql", query_string={"query": CITIES},
                          headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Citygraph-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_large_answers_are_gzipped(client: FlaskClient, app: Flask) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 1000"
    response = client.get("/sparql", query_string={"query": query, "format": "tsv"},
                          headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.data)
    solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    assert len(list(solutions)) == 1000  # type: ignore[arg-type]
    assert len(response.data) < len(body) / 3
    small = client.get("/sparql", query_string={"query": "ASK {}"},
                       headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_etag_and_304(client: FlaskClient) -> None:
    params = {"query": CITIES, "format": "json"}
    first = client.get("/sparql", query_string=params)
    etag = first.headers["ETag"]
    assert etag and "public" in first.headers["Cache-Control"]
    assert "max-age=300" in first.headers["Cache-Control"]
    again = client.get("/sparql", query_string=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.head("/sparql", query_string=params,
                       headers={"If-None-Match": etag}).status_code == 304
    other_query = client.get("/sparql", query_string={**params, "query": CITIES + " LIMIT 2"})
    other_format = client.get("/sparql", query_string={**params, "format": "xml"})
    assert len({etag, other_query.headers["ETag"], other_format.headers["ETag"]}) == 3
    stale = client.get("/sparql", query_string=params, headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.data == first.data
    # A query answer is equivalent, not always byte-identical (blank-node labels): a weak tag.
    assert etag.startswith('W/"')


def test_service_description_is_byte_stable_under_a_strong_etag(client: FlaskClient) -> None:
    first, second = client.get("/sparql"), client.get("/sparql")
    assert first.data == second.data and not first.headers["ETag"].startswith("W/")


def test_head_without_query_describes_the_service(client: FlaskClient) -> None:
    get = client.get("/sparql", headers={"Accept": "application/n-triples"})
    head = client.head("/sparql", headers={"Accept": "application/n-triples"})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["ETag"] == get.headers["ETag"]


def test_format_json_without_query_gives_the_description_in_json_ld(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"format": "json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/ld+json; charset=utf-8"


def test_redirect_of_a_browser_varies_by_accept(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html"})
    assert response.status_code == 303 and "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept, media_type", [
    ("application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
    ("text/csv;charset=UTF-8", "text/csv"),
    ("text/*", "text/csv"),
    ("text/csv;q=0, */*;q=0.5", "application/sparql-results+json"),
])
def test_accept_parameters_and_wildcards(client: FlaskClient, accept: str, media_type: str) -> None:
    response = client.get("/sparql", query_string={"query": CITIES}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type


def test_preflight_offers_only_read_methods(client: FlaskClient) -> None:
    preflight = client.options("/sparql", headers={
        "Origin": "https://portal.example", "Access-Control-Request-Method": "POST"})
    allowed = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "POST", "OPTIONS"}


def test_errors_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT"})
    assert response.status_code == 400 and "ETag" not in response.headers


def test_an_answer_the_format_cannot_hold_is_a_406(client: FlaskClient) -> None:
    # JSON-LD has no quoted triples (RDF 1.2): not a SERVICE failure, not a 500.
    query = "CONSTRUCT { <http://e/s> <http://e/p> << <http://e/a> <http://e/b> <http://e/c> >> } " \
            "WHERE {}"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/ld+json"})
    assert response.status_code == 406 and "cannot be given in this format" in response.text


def test_an_empty_query_is_a_400(client: FlaskClient) -> None:
    assert_plain_error(client.post("/sparql", data="  ", content_type="application/sparql-query"),
                       400)
