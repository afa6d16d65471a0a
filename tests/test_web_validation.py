"""The published SHACL validation report (/validation) and shapes (/shapes), and entity warnings."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from citygraph.config import Settings
from citygraph.formats import GRAPH_FORMATS
from citygraph.load import load_graph
from citygraph.pipeline import BuildResult, build
from citygraph.validate import SHAPES_FILE, VALIDATION_FILE

BASE = "https://w3id.org/citygraph/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def as_graph(body: bytes, media_type: str) -> Graph:
    """A served RDF document as an rdflib graph (read by pyoxigraph in its declared format)."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    text = (ox.serialize(list(ox.parse(body, format=fmt)), format=ox.RdfFormat.N_TRIPLES)
            or b"").decode("utf-8")
    return Graph().parse(data=text, format="nt")


def canonical(triples: object) -> ox.Dataset:
    """The triples (pyoxigraph's, or an rdflib graph's) as a canonicalised dataset: two are
    equal exactly when the graphs are isomorphic (rdflib's isomorphic is slow on the shapes)."""
    if isinstance(triples, Graph):
        text = triples.serialize(format="nt")
        triples = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object)
                         for t in triples)  # type: ignore[attr-defined]
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def served(body: bytes, media_type: str) -> ox.Dataset:
    """A served RDF document, canonicalised (read by pyoxigraph in its declared format)."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    return canonical(list(ox.parse(body, format=fmt)))


class Ids(HTMLParser):
    """The id attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)


def ids_of(html: str) -> set[str]:
    parser = Ids()
    parser.feed(html)
    return parser.ids


# --- the build writes them ------------------------------------------------------------------

def test_the_build_writes_the_report_and_the_shapes(built: BuildResult) -> None:
    report = (built.dist / VALIDATION_FILE).read_text(encoding="utf-8")
    assert report == built.report.to_turtle(BASE + "validation")
    graph = Graph().parse(data=report, format="turtle")
    assert (URIRef(BASE + "validation"), RDF.type, SH.ValidationReport) in graph
    assert len(set(graph.objects(URIRef(BASE + "validation"), SH.result))) == len(
        built.report.results) > 0
    assert VALIDATION_FILE in built.manifest.files and SHAPES_FILE in built.manifest.files
    shapes = Graph().parse(built.dist / SHAPES_FILE, format="turtle")
    assert (URIRef(BASE + "shapes#PlaceShape"), RDF.type, SH.NodeShape) in shapes


def test_the_published_shapes_are_the_shapes_sources(built: BuildResult, repo: Path) -> None:
    sources = load_graph([repo / "shapes"], repo)
    shapes = list(ox.parse(path=str(built.dist / SHAPES_FILE), format=ox.RdfFormat.TURTLE))
    assert canonical(shapes) == canonical(sources)


def test_report_and_shapes_are_byte_stable(small_project: Path, tmp_path: Path) -> None:
    """Two builds of the same sources write the same report and shapes bytes."""
    outputs = []
    for name in ("one", "two"):
        result = build(Settings(root=small_project, dist=tmp_path / name))
        outputs.append([(result.dist / f).read_bytes() for f in (VALIDATION_FILE, SHAPES_FILE)])
    assert outputs[0] == outputs[1]
    assert b"\\/" not in outputs[0][0] + outputs[0][1]


# --- /validation ----------------------------------------------------------------------------

def test_the_report_page_groups_results_by_focus_node(client: FlaskClient,
                                                      built: BuildResult) -> None:
    response = client.get("/validation", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    counts = built.report.counts()
    assert f"{counts['Warning']} warning" in html and f"{counts['Info']} info" in html
    focus_nodes = list(dict.fromkeys(str(r.focus_node) for r in built.report.results))
    sections = re.findall(r'<section class="focus" id="([^"]+)">', html)
    assert len(sections) == len(focus_nodes)  # one section per focus node, each once
    assert sections[0] == focus_nodes[0][len(BASE):]  # anchored by its local path
    for result in built.report.results:
        assert result.message in html
    assert 'href="/shapes#Place-geometry-present"' in html  # shapes are linked to their listing


@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_the_report_in_rdf_by_accept_and_twin(client: FlaskClient, built: BuildResult,
                                              name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    expected = Graph().parse(built.dist / VALIDATION_FILE, format="turtle")
    negotiated = client.get("/validation", headers={"Accept": fmt.media_type})
    twin = client.get(f"/validation.{fmt.extension}")
    for response in (negotiated, twin):
        assert response.status_code == 200 and response.mimetype == fmt.media_type
        assert isomorphic(as_graph(response.get_data(), fmt.media_type), expected)
    assert negotiated.get_data() == twin.get_data()  # the same bytes every time
    assert negotiated.headers["Content-Location"] == f"/validation.{fmt.extension}"
    assert "ETag" in negotiated.headers


def test_the_report_turtle_is_the_published_file(client: FlaskClient, built: BuildResult) -> None:
    response = client.get("/validation", headers={"Accept": "*/*"})
    assert response.mimetype == "text/turtle"
    assert response.get_data() == (built.dist / VALIDATION_FILE).read_bytes()
    again = client.get("/validation.ttl", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.head("/validation.ttl").status_code == 200
    assert client.get("/validation.png").status_code == 404
    assert client.get("/validation", headers={"Accept": "image/png"}).status_code == 406


# --- /shapes --------------------------------------------------------------------------------

def test_the_shapes_listing(client: FlaskClient, built: BuildResult) -> None:
    html = client.get("/shapes", headers={"Accept": BROWSER}).get_data(as_text=True)
    shapes = Graph().parse(built.dist / SHAPES_FILE, format="turtle")
    node_shapes = {str(s).rsplit("#", 1)[1] for s in shapes.subjects(RDF.type, SH.NodeShape)}
    ids = ids_of(html)
    assert node_shapes <= ids
    # Every shape a result of the report names is on the page under its own anchor.
    for result in built.report.results:
        if isinstance(result.source_shape, URIRef):
            assert str(result.source_shape).rsplit("#", 1)[1] in ids, result.source_shape
    assert "place" in html and 'href="/ontology#City"' in html  # a target class, linked


@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_the_shapes_in_rdf(client: FlaskClient, built: BuildResult, name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    response = client.get("/shapes", headers={"Accept": fmt.media_type})
    assert response.status_code == 200 and response.mimetype == fmt.media_type
    expected = list(ox.parse(path=str(built.dist / SHAPES_FILE), format=ox.RdfFormat.TURTLE))
    assert served(response.get_data(), fmt.media_type) == canonical(expected)
    assert client.get(f"/shapes.{fmt.extension}").get_data() == response.get_data()


# --- entity pages ---------------------------------------------------------------------------

def test_an_entity_page_shows_its_own_results(client: FlaskClient, built: BuildResult) -> None:
    by_node: dict[str, list[str]] = {}
    for result in built.report.results:
        if isinstance(result.focus_node, URIRef) and str(result.focus_node).startswith(
                BASE + "id/"):
            by_node.setdefault(str(result.focus_node), []).append(result.message)
    assert by_node, "the build has warnings about some entity"
    iri, messages = next(iter(by_node.items()))
    html = client.get(iri[len(BASE) - 1:], headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'id="validation"' in html
    for message in messages:
        assert message in html
    others = {m for node, ms in by_node.items() if node != iri for m in ms} - set(messages)
    assert not any(m in html for m in others)  # only its own
    assert f'href="/validation#{iri[len(BASE):]}"' in html


def test_a_page_without_results_has_no_validation_section(client: FlaskClient,
                                                          built: BuildResult) -> None:
    focus = {str(r.focus_node) for r in built.report.results}
    assert BASE + "id/city/dortmund" not in focus
    html = client.get("/id/city/dortmund", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'id="validation"' not in html


def test_the_report_says_conforms(client: FlaskClient) -> None:
    body = client.get("/validation.ttl").get_data(as_text=True)
    graph = Graph().parse(data=body, format="turtle")
    assert (URIRef(BASE + "validation"), SH.conforms, Literal(True)) in graph


def test_published_report_declares_only_the_prefixes_it_uses(built: BuildResult) -> None:
    text = (built.dist / VALIDATION_FILE).read_text(encoding="utf-8")
    declared = re.findall(r"^@prefix ([\w.-]*):", text, flags=re.MULTILINE)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    assert declared and all(f"{name}:" in body for name in declared), declared
    assert Graph().parse(data=text, format="turtle")  # still Turtle
