"""The read side of the SPARQL 1.1 Graph Store HTTP Protocol on /sparql (?default, ?graph=IRI)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph
from rdflib.compare import isomorphic

from citygraph.formats import GRAPH_FORMATS
from citygraph.pipeline import BuildResult

BASE = "https://w3id.org/citygraph/"
PLACES = BASE + "graph/data/places"
INFERRED = BASE + "graph/inferred"


def dumped_quads(built: BuildResult) -> list[ox.Quad]:
    """The quads of the build's N-Quads dump."""
    return list(ox.parse(path=str(built.dist / "citygraph.nq"), format=ox.RdfFormat.N_QUADS))


def parsed(body: bytes, media_type: str) -> Graph:
    """A served RDF document as an rdflib graph (read by pyoxigraph in its declared format)."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    triples = list(ox.parse(body, format=fmt))
    text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    return Graph().parse(data=text, format="nt")


def expected_graph(built: BuildResult, graph: str | None) -> Graph:
    """The triples of one named graph of the dump (None: the merged graph), as rdflib parses."""
    if graph is None:
        text = (built.dist / "citygraph.nt").read_text(encoding="utf-8")
    else:
        triples = [q.triple for q in dumped_quads(built)
                   if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph]
        assert triples
        text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    return Graph().parse(data=text, format="nt")


@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_a_named_graph_whole_in_each_format(client: FlaskClient, built: BuildResult,
                                            name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    response = client.get("/sparql", query_string={"graph": PLACES},
                          headers={"Accept": fmt.media_type})
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == fmt.media_type
    served = parsed(response.get_data(), fmt.media_type)
    assert isomorphic(served, expected_graph(built, PLACES))
    assert response.headers["ETag"] and "Accept" in response.headers["Vary"]


def test_the_default_graph_is_the_merged_graph_uncut(client: FlaskClient,
                                                     built: BuildResult) -> None:
    response = client.get("/sparql?default", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    served = Graph().parse(data=response.get_data(as_text=True), format="nt")
    expected = expected_graph(built, None)
    assert len(served) == len(expected) == built.manifest.triples
    assert isomorphic(served, expected)
    assert int(response.headers["X-Citygraph-Rows"]) == built.manifest.triples


def test_the_inferred_graph_and_turtle_by_default(client: FlaskClient, built: BuildResult) -> None:
    response = client.get("/sparql", query_string={"graph": INFERRED})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    served = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert isomorphic(served, expected_graph(built, INFERRED))
    assert "\\/" not in response.get_data(as_text=True)


def test_format_parameter_and_not_acceptable(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"graph": PLACES, "format": "jsonld"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    response = client.get("/sparql?default", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert b"text/turtle" in response.get_data()


def test_unknown_and_bad_graphs(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"graph": BASE + "graph/data/nowhere"})
    assert response.status_code == 404
    assert b"graph/data/nowhere" in response.get_data()
    assert client.get("/sparql", query_string={"graph": "not an iri"}).status_code == 400
    assert client.get("/sparql", query_string={"graph": [PLACES, INFERRED]}).status_code == 400
    response = client.get("/sparql", query_string={"graph": PLACES, "default": ""})
    assert response.status_code == 400 and b"not both" in response.get_data()


def test_caching_and_head(client: FlaskClient) -> None:
    first = client.get("/sparql", query_string={"graph": PLACES})
    tag = first.headers["ETag"]
    again = client.get("/sparql", query_string={"graph": PLACES},
                       headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.get_data()
    other = client.get("/sparql", query_string={"graph": INFERRED})
    assert other.headers["ETag"] != tag
    assert client.get("/sparql?default").headers["ETag"] not in (tag, other.headers["ETag"])
    head = client.head("/sparql", query_string={"graph": PLACES})
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == tag and head.mimetype == "text/turtle"
    assert client.head("/sparql", query_string={"graph": BASE + "x"}).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST"])
def test_writes_are_refused(client: FlaskClient, method: str) -> None:
    for query_string in ({"graph": PLACES}, {"default": ""}):
        response = client.open("/sparql", method=method, query_string=query_string,
                               data=b"<http://e/a> <http://e/b> <http://e/c> .",
                               content_type="application/n-triples")
        assert response.status_code == 403, (method, response.get_data())
        assert b"read-only" in response.get_data()
    # The graph is unchanged.
    response = client.get("/sparql", query_string={"query": "ASK { <http://e/a> ?p ?o }"})
    assert response.get_json()["boolean"] is False


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_endpoint_are_405_with_allow(client: FlaskClient,
                                                          method: str) -> None:
    response = client.open("/sparql", method=method, query_string={"query": "ASK {}"})
    assert response.status_code == 405
    allowed = set(response.headers["Allow"].replace(" ", "").split(","))
    assert {"GET", "POST"} <= allowed and method not in allowed
    options = client.options("/sparql")
    assert set(options.headers["Allow"].replace(" ", "").split(",")).isdisjoint(
        {"PUT", "DELETE", "PATCH"})


def test_queries_and_the_service_description_still_answer(client: FlaskClient) -> None:
    """A query that happens to come with a graph parameter is a query, not a graph read."""
    response = client.get("/sparql", query_string={"query": "ASK {}", "graph": PLACES})
    assert response.status_code == 200 and response.get_json()["boolean"] is True
    response = client.post("/sparql", data={"query": "ASK {}"}, query_string={"default": ""})
    assert response.status_code == 200 and response.get_json()["boolean"] is True
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and b"sparql-service-description" in response.get_data()
