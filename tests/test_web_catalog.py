"""The web routes of the catalog: ``/catalog`` and ``/.well-known/void`` (formats, caching, HEAD,
CORS, URL twins, redirects of the IRIs the catalog mints)."""

from __future__ import annotations

import dataclasses
import shutil
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD
from werkzeug.http import http_date

from citygraph.catalog import CATALOG_FILE, VOID_FILE, Iris
from citygraph.config import Settings
from citygraph.formats import GRAPH_FORMATS
from citygraph.pipeline import BuildResult, build
from citygraph.web.catalog import DOCUMENTS, load_document, modified_time
from citygraph.web.context import AppContext

#: Format name → rdflib parser name.
PARSERS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
#: Route → file of the build it serves.
ROUTES = {"/catalog": CATALOG_FILE, "/.well-known/void": VOID_FILE}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def number(node: object) -> int:
    """The integer value of an RDF literal."""
    assert isinstance(node, Literal), node
    return int(str(node))


def parse(body: bytes, name: str) -> Graph:
    """Parse a response body with rdflib's own parser for format ``name``."""
    with warnings.catch_warnings():
        # rdflib 7.6's JSON-LD parser goes through its own deprecated ConjunctiveGraph API.
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=body, format=PARSERS[name])


def expected(built: BuildResult, route: str) -> Graph:
    """The graph the build wrote for a route."""
    return Graph().parse(built.dist / ROUTES[route], format="turtle")


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("name", list(PARSERS))
def test_negotiated_formats_parse_back(client: FlaskClient, built: BuildResult, route: str,
                                       name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    response = client.get(route, headers={"Accept": fmt.media_type})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{fmt.media_type}; charset=utf-8"
    graph = parse(response.get_data(), name)
    assert isomorphic(graph, expected(built, route))


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle;q=0.5, application/x-foo"])
def test_turtle_is_the_default(client: FlaskClient, route: str, accept: str | None) -> None:
    response = client.get(route, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"


def test_q_values_are_honoured(client: FlaskClient) -> None:
    accept = "text/turtle;q=0.2, application/ld+json;q=0.9, application/rdf+xml;q=0.5"
    assert client.get("/catalog", headers={"Accept": accept}).mimetype == "application/ld+json"


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("name", list(PARSERS))
def test_url_twins_and_format_parameter(client: FlaskClient, built: BuildResult, route: str,
                                        name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    for url in (f"{route}.{fmt.extension}", f"{route}?format={name}"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 200, url
        assert response.mimetype == fmt.media_type
        graph = parse(response.get_data(), name)
        assert isomorphic(graph, expected(built, route))


def test_browsers_get_an_html_summary(client: FlaskClient, built: BuildResult,
                                      settings: Settings) -> None:
    response = client.get("/catalog", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    for name in built.manifest.files:
        if name.startswith("citygraph."):
            assert f'href="/dump/{name}"' in html
            assert built.manifest.files[name]["sha256"] in html
    assert "http://dcat-ap.de/def/licenses/cc-by/4.0" in html
    assert 'href="/sparql"' in html

    void = client.get("/.well-known/void", headers={"Accept": BROWSER})
    assert void.mimetype == "text/html"
    triples = expected(built, "/.well-known/void").value(Iris(settings.base_iri).dataset,
                                                          VOID.triples)
    assert f"<dt>triples</dt><dd>{number(triples)}</dd>" in void.get_data(as_text=True)


def test_html_shows_the_linkset_count(client: FlaskClient, built: BuildResult) -> None:
    graph = expected(built, "/.well-known/void")
    linkset = graph.value(predicate=RDF.type, object=VOID.Linkset)
    links = graph.value(linkset, VOID.triples)
    html = client.get("/.well-known/void", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f"<dd>{number(links)} (<code>cg:wikidataEntity</code>)</dd>" in html


@pytest.mark.parametrize("url,status", [
    ("/catalog?format=excel", 400),
    ("/catalog.xlsx", 404),
    ("/.well-known/void?format=csv", 400),
])
def test_bad_formats_are_client_errors(client: FlaskClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).strip()


@pytest.mark.parametrize("route", list(ROUTES))
def test_nothing_acceptable_is_406(client: FlaskClient, route: str) -> None:
    response = client.get(route, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize("route", list(ROUTES))
def test_caching_headers_and_304(client: FlaskClient, built: BuildResult, route: str) -> None:
    response = client.get(route)
    etag = response.headers["ETag"]
    assert built.manifest.version in etag
    assert "max-age=" in response.headers["Cache-Control"]
    assert "Accept" in response.headers["Vary"]
    again = client.get(route, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get(route, headers={"If-None-Match": etag, "Accept": "application/ld+json"})
    assert other.status_code == 200  # another variant has another ETag
    assert other.headers["ETag"] != etag


@pytest.mark.parametrize("route", list(ROUTES))
def test_head(client: FlaskClient, route: str) -> None:
    get = client.get(route)
    head = client.head(route)
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_cors(client: FlaskClient, route: str) -> None:
    response = client.get(route, headers={"Origin": "https://portal.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(route, headers={
        "Origin": "https://portal.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path,target", [
    ("/dataset/citygraph", "/catalog"),
    ("/dataset/citygraph/distribution/turtle", "/catalog"),
    ("/service/sparql", "/catalog"),
    ("/dataset/citygraph/linkset/wikidata", "/.well-known/void"),
    ("/dataset/wikidata", "/.well-known/void"),
])
def test_minted_iris_redirect_to_their_description(client: FlaskClient, path: str,
                                                   target: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == target


def test_unknown_dataset_iri_is_404(client: FlaskClient) -> None:
    assert client.get("/dataset/nothing-here").status_code == 404
    assert client.get("/service/ftp").status_code == 404


def test_old_build_without_files_gets_them_computed(app_context: AppContext, built: BuildResult,
                                                    tmp_path: Path) -> None:
    """A build made before catalog.ttl/void.ttl existed is described from its dataset file."""
    old = tmp_path / "dist"
    shutil.copytree(built.dist, old)
    (old / CATALOG_FILE).unlink()
    (old / VOID_FILE).unlink()
    old_ctx = dataclasses.replace(app_context, settings=app_context.settings.replace(dist=old))
    for name, route in (("catalog", "/catalog"), ("void", "/.well-known/void")):
        graph = load_document(old_ctx, DOCUMENTS[name]).graph
        assert isomorphic(graph, expected(built, route))
    assert (None, RDF.type, DCAT.Catalog) in load_document(old_ctx, DOCUMENTS["catalog"]).graph


def source_time(built: BuildResult, settings: Settings) -> datetime:
    """The dataset's dcterms:modified in the written catalog, as an aware UTC datetime."""
    value = expected(built, "/catalog").value(Iris(settings.base_iri).dataset, DCTERMS.modified)
    assert isinstance(value, Literal) and value.datatype == XSD.date, value
    day = date.fromisoformat(str(value))
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", BROWSER])
def test_last_modified_is_when_the_build_last_changed(client: FlaskClient, built: BuildResult,
                                                      settings: Settings, route: str,
                                                      accept: str) -> None:
    response = client.get(route, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.last_modified == built.manifest.changed_time.replace(microsecond=0)
    assert response.last_modified >= source_time(built, settings)  # never before the sources' date
    assert client.head(route, headers={"Accept": accept}).headers["Last-Modified"] == \
        response.headers["Last-Modified"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_if_modified_since_is_honoured(client: FlaskClient, built: BuildResult,
                                       route: str) -> None:
    modified = built.manifest.changed_time
    for since in (modified, modified + timedelta(days=400)):
        response = client.get(route, headers={"If-Modified-Since": http_date(since)})
        assert response.status_code == 304, since
        assert response.get_data() == b""
    older = client.get(route, headers={"If-Modified-Since": http_date(modified - timedelta(seconds=1))})
    assert older.status_code == 200 and older.get_data()
    garbage = client.get(route, headers={"If-Modified-Since": "not a date"})
    assert garbage.status_code == 200 and garbage.get_data()
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2): another tag means a full answer.
    mismatch = client.get(route, headers={"If-Modified-Since": http_date(modified),
                                          "If-None-Match": '"some-other-version"'})
    assert mismatch.status_code == 200


def test_a_rebuild_keeps_the_change_time_until_a_file_changes(small_project: Path,
                                                               tmp_path: Path) -> None:
    """Last-Modified moves exactly when the build's files do: an identical rebuild keeps it (so
    caches keep their copies), an edit of the data moves it (so no cache keeps a stale one)."""
    settings = Settings(root=small_project, dist=tmp_path / "dist")
    first = build(settings).manifest
    time.sleep(1.1)  # build times are written to the second
    again = build(settings).manifest
    assert again.built != first.built and again.changed == first.changed == first.built
    data = small_project / "data" / "context.ttl"
    data.write_text(data.read_text(encoding="utf-8") + "\n<https://w3id.org/citygraph/id/city/"
                    "dortmund> <http://www.w3.org/2000/01/rdf-schema#comment> \"edited\"@en .\n",
                    encoding="utf-8")
    edited = build(settings).manifest
    assert edited.version != first.version and edited.changed == edited.built != first.changed


def test_a_document_without_a_date_has_no_last_modified(settings: Settings) -> None:
    graph = Graph()
    assert modified_time(graph, Iris(settings.base_iri).dataset) is None
    graph.add((Iris(settings.base_iri).dataset, DCTERMS.modified,
               Literal("2023-11-14T22:13:20+00:00", datatype=XSD.dateTime)))
    assert modified_time(graph, Iris(settings.base_iri).dataset) == \
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
