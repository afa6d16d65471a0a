"""Linked data: dereferenceable IRIs, the ontology's documentation, named graphs and dumps."""

from __future__ import annotations

import doctest
import gzip
import hashlib
import re
import warnings
from datetime import datetime
from email.utils import parsedate_to_datetime

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from citygraph.publish import DUMPS
from citygraph.web import linked_data
from citygraph.web.context import AppContext
from citygraph.web.linked_data import compact, split_twin

BASE = "https://w3id.org/citygraph/"
DORTMUND = BASE + "id/city/dortmund"
ONTOLOGY = BASE + "ontology"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GRAPH_TYPES = {
    "turtle": ("text/turtle", "ttl", "turtle"),
    "ntriples": ("application/n-triples", "nt", "nt"),
    "jsonld": ("application/ld+json", "jsonld", "json-ld"),
    "rdfxml": ("application/rdf+xml", "rdf", "xml"),
}
DUMP_TYPES = {
    "citygraph.ttl": "text/turtle",
    "citygraph.nt": "application/n-triples",
    "citygraph.nq": "application/n-quads",
    "citygraph.trig": "application/trig",
    "citygraph.jsonld": "application/ld+json",
}


def parse(body: bytes, rdflib_format: str) -> Graph:
    """Parse an RDF response with rdflib (its JSON-LD parser warns about its own internals)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=body.decode("utf-8"), format=rdflib_format)


def to_graph(triples: list[ox.Triple]) -> Graph:
    """An rdflib graph of Oxigraph triples."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return Graph().parse(data=data.decode(), format="nt")


def expected_description(context: AppContext, iri: str) -> Graph:
    """The outgoing and inbound triples of ``iri`` (and of its blank nodes), from the store."""
    store = context.store.store
    node = ox.NamedNode(iri)
    triples = {q.triple for q in store.quads_for_pattern(node, None, None)}
    triples |= {q.triple for q in store.quads_for_pattern(None, None, node)}
    for triple in list(triples):
        if triple.subject == node and isinstance(triple.object, ox.BlankNode):
            triples |= {q.triple for q in store.quads_for_pattern(triple.object, None, None)}
    return to_graph(sorted(triples, key=str))


def graph_triples(context: AppContext, *graphs: str) -> Graph:
    """The triples of some named graphs, from the store."""
    triples = {q.triple for g in graphs
               for q in context.store.store.quads_for_pattern(None, None, None, ox.NamedNode(g))}
    return to_graph(sorted(triples, key=str))


# ---------------------------------------------------------------------------------------------
# Resource pages
# ---------------------------------------------------------------------------------------------

def test_the_html_page_of_dortmund(client: FlaskClient) -> None:
    response = client.get("/id/city/dortmund", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert "<h1>Dortmund</h1>" in html
    assert re.search(r'<dd lang="de">Dortmund</dd>', html)
    assert re.search(r'<dd lang="en">Dortmund</dd>', html)
    assert DORTMUND in html
    assert 'href="http://www.wikidata.org/entity/Q1295"' in html  # the Wikidata link
    assert 'href="/graph/data/places"' in html  # the source file of its statements
    assert "data/places.ttl" in html
    assert 'href="/id/source/citygraph-curation"' in html  # prov:wasDerivedFrom
    assert 'href="/id/country/germany"' in html  # an internal IRI is a local link
    assert 'href="/ontology#City"' in html  # its type, linked to the ontology documentation
    assert "Inbound links" in html and 'href="/id/partnership/dortmund-amiens"' in html
    assert "inferred" in html  # derived statements say so
    assert 'href="/id/city/dortmund.ttl"' in html


def test_every_statement_of_the_page_names_its_graph(client: FlaskClient,
                                                    app_context: AppContext) -> None:
    html = client.get("/id/city/dortmund.html").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    statement_rows = [r for r in rows if "<td" in r]
    assert statement_rows
    assert all('class="source"' in r for r in statement_rows)
    graphs = {q.graph_name.value for q in app_context.store.store.quads_for_pattern(
        ox.NamedNode(DORTMUND), None, None) if isinstance(q.graph_name, ox.NamedNode)}
    for graph in graphs:
        assert f'title="{graph}"' in html


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_rdf_by_accept_is_the_description(client: FlaskClient, app_context: AppContext,
                                          fmt: str) -> None:
    media, _, rdflib_format = GRAPH_TYPES[fmt]
    response = client.get("/id/city/dortmund", headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == media + "; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    graph = parse(response.data, rdflib_format)
    assert isomorphic(graph, expected_description(app_context, DORTMUND))
    assert (URIRef(DORTMUND), RDFS.label, Literal("Dortmund", lang="de")) in graph
    assert (URIRef(DORTMUND), RDFS.label, Literal("Dortmund", lang="en")) in graph
    assert (URIRef(BASE + "id/partnership/dortmund-amiens"), URIRef(BASE + "ontology#partner"),
            URIRef(DORTMUND)) in graph  # an inbound link


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_a_url_twin_equals_the_negotiated_response(client: FlaskClient, fmt: str) -> None:
    media, extension, _ = GRAPH_TYPES[fmt]
    twin = client.get(f"/id/city/dortmund.{extension}")
    negotiated = client.get("/id/city/dortmund", headers={"Accept": media})
    assert twin.status_code == 200
    assert twin.content_type == media + "; charset=utf-8"
    assert twin.data == negotiated.data
    assert negotiated.headers["Content-Location"] == f"/id/city/dortmund.{extension}"


def test_html_twin_and_default_format(client: FlaskClient) -> None:
    html = client.get("/id/city/dortmund.html", headers={"Accept": "text/turtle"})
    assert html.content_type == "text/html; charset=utf-8"
    for accept in (None, "*/*"):
        response = client.get("/id/city/dortmund", headers={"Accept": accept} if accept else {})
        assert response.content_type == "text/turtle; charset=utf-8"
    preferred = client.get("/id/city/dortmund",
                           headers={"Accept": "text/html;q=0.5, application/ld+json"})
    assert preferred.content_type == "application/ld+json; charset=utf-8"
    link = client.get("/id/city/dortmund").headers["Link"]
    assert '</id/city/dortmund.jsonld>; rel="alternate"; type="application/ld+json"' in link


def test_the_host_does_not_matter(client: FlaskClient) -> None:
    here = client.get("/id/city/dortmund.nt")
    elsewhere = client.get("/id/city/dortmund.nt", base_url="http://mirror.example:8080")
    assert elsewhere.status_code == 200
    assert isomorphic(parse(here.data, "nt"), parse(elsewhere.data, "nt"))
    assert f"<{DORTMUND}>".encode() in elsewhere.data
    assert b"mirror.example" not in elsewhere.data
    page = client.get("/id/city/dortmund", headers={"Accept": BROWSER},
                      base_url="http://mirror.example:8080").get_data(as_text=True)
    assert DORTMUND in page


@pytest.mark.parametrize("path", [
    "/id/city/atlantis", "/id/city/atlantis.ttl", "/id/nothing", "/graph/data/atlantis",
    "/graph/data/atlantis.nt", "/ontology.xyz", "/dump/citygraph.xyz", "/dump/manifest",
])
def test_unknown_iris_are_404(client: FlaskClient, path: str) -> None:
    plain = client.get(path, headers={"Accept": "text/turtle"})
    assert plain.status_code == 404
    assert plain.content_type == "text/plain; charset=utf-8"
    page = client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 404
    assert page.content_type == "text/html; charset=utf-8"
    assert "Not found" in page.get_data(as_text=True)


def test_not_acceptable(client: FlaskClient) -> None:
    response = client.get("/id/city/dortmund",
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_head_etag_and_304(client: FlaskClient) -> None:
    get = client.get("/id/city/dortmund.ttl")
    head = client.head("/id/city/dortmund.ttl")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert "max-age" in get.headers["Cache-Control"]
    again = client.get("/id/city/dortmund.ttl", headers={"If-None-Match": get.headers["ETag"]})
    assert again.status_code == 304
    html = client.get("/id/city/dortmund", headers={"Accept": BROWSER})
    assert html.headers["ETag"] != get.headers["ETag"]  # one tag per representation
    assert client.head("/ontology", headers={"Accept": BROWSER}).status_code == 200


def test_concepts_and_other_kinds_dereference(client: FlaskClient) -> None:
    for path in ("/id/partnership-kind/twinning", "/id/partnership/dortmund-amiens",
                 "/id/source/citygraph-curation"):
        response = client.get(path, headers={"Accept": BROWSER})
        assert response.status_code == 200, path
    concept = client.get("/id/partnership-kind/twinning", headers={"Accept": BROWSER})
    assert "Städtepartnerschaft" in concept.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# Named graphs
# ---------------------------------------------------------------------------------------------

def test_a_named_graph_dereferences_to_its_triples(client: FlaskClient,
                                                   app_context: AppContext) -> None:
    iri = BASE + "graph/data/places"
    response = client.get("/graph/data/places.nt")
    assert response.status_code == 200
    assert isomorphic(parse(response.data, "nt"), graph_triples(app_context, iri))
    page = client.get("/graph/data/places", headers={"Accept": BROWSER})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/id/city/dortmund"' in html and iri in html


# ---------------------------------------------------------------------------------------------
# The ontology
# ---------------------------------------------------------------------------------------------

def test_the_ontology_documentation(client: FlaskClient) -> None:
    response = client.get("/ontology", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert ONTOLOGY in html
    city = html[html.index('<section class="term" id="City">'):]
    city = city[:city.index("</section>")]
    assert "Stadt" in city and "city" in city  # labels en + de
    assert "A city or town" in city and "kommunale Gebietskörperschaft" in city  # definitions
    assert 'href="#AdministrativeBody"' in city  # an ontology superclass, as an anchor
    assert "schema:City" in city  # an external superclass
    twinned = html[html.index('id="twinnedWith"'):]
    twinned = twinned[:twinned.index("</section>")]
    assert "symmetric" in twinned and 'href="#partnerOf"' in twinned
    assert "Partnerstadt von" in twinned
    assert 'id="Partnership"' in html and 'id="PartnershipKindScheme"' in html
    assert 'href="/id/partnership-kind/twinning"' in html
    assert re.search(r"domain</dt><dd>.*?</dd>", html, re.S)


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_the_ontology_as_rdf(client: FlaskClient, app_context: AppContext, fmt: str) -> None:
    media, extension, rdflib_format = GRAPH_TYPES[fmt]
    response = client.get("/ontology", headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == media + "; charset=utf-8"
    graph = parse(response.data, rdflib_format)
    graphs = [g for g in app_context.manifest.graphs if g.startswith(BASE + "graph/ontology/")]
    assert graphs
    assert isomorphic(graph, graph_triples(app_context, *graphs))
    assert (URIRef(ONTOLOGY + "#City"), RDFS.label, Literal("Stadt", lang="de")) in graph
    assert client.get(f"/ontology.{extension}").data == response.data


# ---------------------------------------------------------------------------------------------
# Dumps
# ---------------------------------------------------------------------------------------------

def test_the_dump_index(client: FlaskClient, app_context: AppContext) -> None:
    response = client.get("/dump/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in DUMPS:
        info = app_context.manifest.files[name]
        assert f'href="/dump/{name}"' in html
        assert info["sha256"] in html and str(info["bytes"]) in html
    listing = client.get("/dump/", headers={"Accept": "application/json"}).get_json()
    assert {d["name"] for d in listing["dumps"]} >= set(DUMPS)
    nq = next(d for d in listing["dumps"] if d["name"] == "citygraph.nq")
    assert nq["mediaType"] == "application/n-quads" and nq["namedGraphs"] is True


@pytest.mark.parametrize("name", list(DUMP_TYPES))
def test_a_dump_download(client: FlaskClient, app_context: AppContext, name: str) -> None:
    content = (app_context.dist / name).read_bytes()
    response = client.get(f"/dump/{name}")
    assert response.status_code == 200
    assert response.content_type == DUMP_TYPES[name] + "; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.data == content
    assert hashlib.sha256(response.data).hexdigest() == app_context.manifest.files[name]["sha256"]
    built = datetime.fromisoformat(app_context.manifest.built)
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == built
    etag = response.headers["ETag"]
    assert client.get(f"/dump/{name}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/dump/{name}", headers={
        "If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304
    head = client.head(f"/dump/{name}")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Disposition"] == response.headers["Content-Disposition"]


@pytest.mark.parametrize("name", list(DUMP_TYPES))
def test_a_dump_is_gzipped_when_asked(client: FlaskClient, app_context: AppContext,
                                      name: str) -> None:
    response = client.get(f"/dump/{name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (app_context.dist / name).read_bytes()
    again = client.get(f"/dump/{name}", headers={"Accept-Encoding": "gzip",
                                                 "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_dumps_with_named_graphs_keep_them(client: FlaskClient, app_context: AppContext) -> None:
    body = client.get("/dump/citygraph.nq").data
    graphs = {str(q.graph_name.value) for q in ox.parse(body, format=ox.RdfFormat.N_QUADS)
              if isinstance(q.graph_name, ox.NamedNode)}
    assert graphs == set(app_context.manifest.graphs) - {""}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(linked_data)
    assert failures == 0 and tried > 0


def test_helpers() -> None:
    assert split_twin("id/city/dortmund.rdf")[1] is not None
    assert split_twin("id/city/dortmund.xyz") == ("id/city/dortmund.xyz", None)
    assert compact(DORTMUND) == DORTMUND  # "id:city/dortmund" is no valid prefixed name
    assert compact("https://w3id.org/citygraph/id/partnership-kind/twinning") == "cgkind:twinning"


# --- every IRI of the dataset dereferences -----------------------------------------------------

def dataset_iris(context: AppContext) -> list[str]:
    """Every IRI under the base that the dataset uses (subject, object or graph name)."""
    query = """SELECT DISTINCT ?x WHERE {
        { GRAPH ?g { ?x ?p ?o } } UNION { GRAPH ?g { ?s ?p ?x } } UNION { GRAPH ?x { ?s ?p ?o } }
        FILTER(isIRI(?x) && STRSTARTS(STR(?x), ?base))
    }"""
    rows = context.store.store.query(query.replace("?base", f'"{BASE}"'))
    return sorted(row["x"].value for row in rows)  # type: ignore[union-attr]


def test_every_iri_of_the_dataset_dereferences(client: FlaskClient,
                                               app_context: AppContext) -> None:
    iris = dataset_iris(app_context)
    assert BASE + "ontology/0.1.0" in iris and BASE + "id/" in iris  # version IRI, seeAlso
    failed = []
    retired = {BASE + "id/resolution/2023-11-dortmund-council-kumasi": 301,  # data/retired.ttl
               BASE + "graph/data/dortmund-de": 410}
    for iri in iris:
        path = "/" + iri[len(BASE):].split("#", 1)[0]
        response = client.get(path, headers={"Accept": "text/turtle"})
        if iri in retired:
            if response.status_code != retired[iri]:
                failed.append((iri, response.status_code))
        elif response.status_code != 200 or response.mimetype != "text/turtle":
            failed.append((iri, response.status_code))
    assert failed == []
    assert retired.keys() <= set(iris)


def test_id_index_lists_things_by_kind(client: FlaskClient) -> None:
    page = client.get("/id/", headers={"Accept": BROWSER})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/id/city/"' in html and 'href="/id/city/dortmund"' in html
    cities = parse(client.get("/id/city/index.ttl").data, "turtle")
    assert (URIRef(DORTMUND), RDFS.label, Literal("Dortmund", lang="de")) in cities
    assert all(str(s).startswith(BASE + "id/city/") for s in cities.subjects())
    assert client.get("/id/no-such-kind/", headers={"Accept": "text/turtle"}).status_code == 404


def test_version_iri_answers_with_the_ontology(client: FlaskClient) -> None:
    versioned = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    current = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert versioned.status_code == 200 and versioned.data == current.data
    assert client.get("/ontology/9.9.9", headers={"Accept": "text/turtle"}).status_code == 404


def test_accept_with_parameters_is_honoured(client: FlaskClient) -> None:
    for accept, media in [("text/turtle; charset=utf-8", "text/turtle"),
                          ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"',
                           "application/ld+json")]:
        response = client.get("/id/city/dortmund", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == media


@pytest.mark.parametrize("path", ["/id/city/a%20b", "/id/city/%ff", "/id/city/a%22b",
                                  "/id/a%5Eb.ttl", "/ontology/a%20b", "/id/city/a%3Cb%3E"])
def test_a_path_that_makes_no_valid_iri_is_a_404(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404
