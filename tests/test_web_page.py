"""The query page at ``/``: dataset facts, counts, example queries, and assets served locally."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from rdflib import URIRef
from rdflib.namespace import RDF

from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.queries import load_catalogue
from citygraph.vocab import CG
from citygraph.web import create_app
from citygraph.web.linked_data import local_href
from citygraph.web.page import DATA_LICENCE, INPUT_TYPES, LOCAL_ROOTS, STARTER_QUERY

#: Attributes whose URL the browser loads by itself (not a link the user follows).
LOADING_ATTRIBUTES = {"src", "srcset", "poster", "data", "background"}
#: The only absolute URLs allowed inside served assets: XML namespace names, never fetched.
NAMESPACE_NAMES = {"http://www.w3.org/2000/svg"}

QUERY_A = """\
#+ title: Cities with a partnership
#+ description: Every city that is a partner in at least one partnership <b>bold</b> & more.
SELECT DISTINCT ?city ?label WHERE {
  ?p a cg:Partnership ; cg:partner ?city .
  ?city a cg:City ; rdfs:label ?label .
  FILTER (lang(?label) = "en" && ?label != "<none>")
}
ORDER BY ?label
"""
QUERY_B = """\
#+ title: Statuses
#+ description: The partnership statuses.
#+ param: lang string = en | the language of the labels
SELECT ?status ?label ?lang WHERE { ?status skos:inScheme cg:PartnershipStatusScheme ;
  skos:prefLabel ?label . FILTER (lang(?label) = ?lang) }
"""

#: A query with one parameter of every type (with and without defaults).
QUERY_TYPED = """\
#+ title: Typed parameters
#+ description: One parameter of each type.
#+ param: city iri = https://w3id.org/citygraph/id/city/dortmund | the city
#+ param: name string | a name (required)
#+ param: label langstring = Dortmund@de | a label with its language
#+ param: since integer = 1990 | a year
#+ param: day date = 2020-01-01 | a day
SELECT ?city ?name ?label ?since ?day WHERE { OPTIONAL { ?city rdfs:label ?x } }
"""


def _config(page: str) -> dict[str, object]:
    """The page's JSON configuration (the script's input)."""
    return json.loads(re.search(r'id="citygraph-config">(.*?)</script>', page, re.S)[1])  # type: ignore[index,no-any-return]


class _Refs(HTMLParser):
    """Collects the URLs of a page: those the browser loads, and plain links."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name, value in values.items():
            if name in LOADING_ATTRIBUTES:
                self.loaded.extend(u.split()[0] for u in value.split(",") if u.strip())
        if tag == "link" and "href" in values:
            self.loaded.append(values["href"])  # stylesheets, icons, preloads
        elif "href" in values:
            self.links.append(values["href"])
        if "style" in values:
            self.loaded.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", values["style"]))


def _refs(page: str) -> _Refs:
    parser = _Refs()
    parser.feed(page)
    return parser


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


@contextmanager
def _client_with_queries(settings: Settings, app_context: object,
                         queries: dict[str, object]) -> Iterator[FlaskClient]:
    """A client of an app whose context has other curated queries (same build)."""
    context = dataclasses.replace(app_context, queries=queries)  # type: ignore[type-var]
    try:
        yield create_app(settings, {"TESTING": True}, context=context).test_client()
    finally:
        if getattr(context, "executor", None) is not getattr(app_context, "executor", None):
            context.close()  # query workers this context started itself


@pytest.fixture(scope="module")
def dataset(built: BuildResult) -> list[ox.Quad]:
    """The published quads, parsed from the dump (not through the web app or its store)."""
    return list(ox.parse(path=str(built.dist / "citygraph.nq"), format=ox.RdfFormat.N_QUADS))


def _instances(quads: list[ox.Quad], cls: URIRef) -> int:
    rdf_type, target = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls))
    return len({q.subject for q in quads if q.predicate == rdf_type and q.object == target})


def test_page_is_html_with_dataset_facts(client: FlaskClient, built: BuildResult,
                                         dataset: list[ox.Quad]) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    manifest = built.manifest
    assert f'id="count-triples">{manifest.triples:,}<' in page
    named = sum(1 for g in manifest.graphs if g)
    assert named > 0
    assert f'id="count-graphs">{named:,}<' in page
    for name, cls in (("partnerships", CG.Partnership), ("cities", CG.City),
                      ("organisations", CG.Organisation), ("sources", CG.Source)):
        expected = _instances(dataset, cls)
        assert expected > 0, name
        assert f'id="count-{name}">{expected:,}<' in page, name
    assert manifest.version[:12] in page
    assert f'datetime="{manifest.built}"' in page
    assert DATA_LICENCE[0] in page and f'href="{DATA_LICENCE[1]}"' in page
    assert "<h1" in page and "citygraph" in page


def test_page_offers_an_accessible_editor(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<label for="query-text">' in page
    assert re.search(r'<textarea id="query-text" name="query"[^>]*>', page)
    assert str(escape(STARTER_QUERY)) in page
    assert 'role="alert"' in page and 'aria-live="polite"' in page
    assert '<html lang="en">' in page


def test_page_works_without_curated_queries(settings: Settings, app_context: object) -> None:
    with _client_with_queries(settings, app_context, {}) as client:
        page = client.get("/").get_data(as_text=True)
    assert "No curated queries yet" in page
    assert page.count('class="load-example"') == 1  # the starter query only
    config = json.loads(re.search(r'id="citygraph-config">(.*?)</script>', page, re.S)[1])
    assert [e["name"] for e in config["examples"]] == ["starter"]


def test_page_lists_every_curated_query(settings: Settings, app_context: object,
                                        tmp_path: Path) -> None:
    (tmp_path / "cities.rq").write_text(QUERY_A, encoding="utf-8")
    (tmp_path / "statuses.rq").write_text(QUERY_B, encoding="utf-8")
    with _client_with_queries(settings, app_context, dict(load_catalogue(tmp_path))) as client:
        page = client.get("/").get_data(as_text=True)
    assert "No curated queries yet" not in page
    assert page.count('class="load-example"') == 3
    assert "Cities with a partnership" in page and "Statuses" in page
    # Markup in descriptions and query texts is escaped, not interpreted.
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page and "<b>bold</b>" not in page
    assert str(escape(QUERY_A)) in page
    assert 'href="/api/cities"' in page and 'href="/api/statuses"' in page
    config = json.loads(re.search(r'id="citygraph-config">(.*?)</script>', page, re.S)[1])
    assert [e["name"] for e in config["examples"]] == ["starter", "cities", "statuses"]
    assert config["examples"][1]["text"] == QUERY_A
    assert config["endpoint"] == "/sparql"


def test_page_etag_and_conditional_get(client: FlaskClient) -> None:
    first = client.get("/")
    assert first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_real_catalogue_is_offered(client: FlaskClient, app_context: object) -> None:
    page = client.get("/").get_data(as_text=True)
    for query in app_context.queries.values():  # type: ignore[attr-defined]
        assert str(escape(query.title)) in page


CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",),
                 ".svg": ("image/svg+xml",)}


def test_every_referenced_asset_is_served(client: FlaskClient) -> None:
    refs = _refs(client.get("/").get_data(as_text=True))
    assets = [u for u in refs.loaded if u.startswith("/static/")]
    assert {Path(urlsplit(u).path).suffix for u in assets} >= {".js", ".css", ".svg"}
    for url in assets:
        with client.get(url) as response:
            assert response.status_code == 200, url
            expected = CONTENT_TYPES[Path(urlsplit(url).path).suffix]
            assert response.mimetype in expected, (url, response.mimetype)
            assert len(response.get_data()) > 100, url


def test_no_asset_from_another_host(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    refs = _refs(page)
    assert refs.loaded, "the page loads its assets"
    assert all(_is_local(u) for u in refs.loaded), [u for u in refs.loaded if not _is_local(u)]
    assert "<iframe" not in page and "@import" not in page
    for url in refs.loaded:
        with client.get(url) as response:
            body = response.get_data(as_text=True)
        absolute = set(re.findall(r"https?://[^\s\"'<>)`]+", body)) - NAMESPACE_NAMES
        assert not absolute, (url, absolute)
        assert "//" + "cdn" not in body.lower() and "fonts.googleapis" not in body
        assert not re.search(r"""(?:src|href|url)\s*[=(]\s*['"]?//""", body), url


def test_examples_carry_their_api_url_and_typed_parameters(settings: Settings, app_context: object,
                                                            tmp_path: Path) -> None:
    (tmp_path / "typed.rq").write_text(QUERY_TYPED, encoding="utf-8")
    (tmp_path / "cities.rq").write_text(QUERY_A, encoding="utf-8")
    with _client_with_queries(settings, app_context, dict(load_catalogue(tmp_path))) as client:
        page = client.get("/").get_data(as_text=True)
        examples = {e["name"]: e for e in _config(page)["examples"]}  # type: ignore[attr-defined]
        assert examples["starter"]["api"] is False and examples["starter"]["url"] is None
        assert examples["starter"]["parameters"] == []
        assert examples["cities"]["url"] == "/api/cities" and examples["cities"]["parameters"] == []
        typed = examples["typed"]
        assert typed["url"] == "/api/typed"
        params = {p["name"]: p for p in typed["parameters"]}
        assert list(params) == ["city", "name", "label", "since", "day"]  # the header's order
        assert {n: p["type"] for n, p in params.items()} == {
            "city": "iri", "name": "string", "label": "langstring", "since": "integer",
            "day": "date"}
        assert {n: p["input"] for n, p in params.items()} == {
            "city": "url", "name": "text", "label": "text", "since": "number", "day": "date"}
        assert params["city"]["default"] == "https://w3id.org/citygraph/id/city/dortmund"
        assert params["city"]["description"] == "the city"
        assert params["name"]["default"] is None and params["name"]["required"] is True
        assert params["since"]["default"] == "1990" and params["since"]["required"] is False
        assert "text@lang" in params["label"]["hint"]
        # The API answers at the URL the page runs the example at, with the page's defaults.
        defaults = {n: p["default"] for n, p in params.items() if p["default"] is not None}
        answer = client.get(typed["url"], query_string={**defaults, "name": "x"},
                            headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        missing = client.get(typed["url"], headers={"Accept": "application/sparql-results+json"})
        assert missing.status_code == 400 and "name" in missing.get_data(as_text=True)
    # The example list names the parameters for readers without JavaScript too.
    assert re.search(r'<p class="example-params">Parameters:\s*<code>city</code>', page)
    assert "required" in page


def test_every_parameter_type_has_an_input_type() -> None:
    from citygraph.queries import PARAM_TYPES

    assert set(INPUT_TYPES) == set(PARAM_TYPES)
    assert set(INPUT_TYPES.values()) <= {"url", "text", "number", "date"}


def test_real_examples_have_the_catalogue_parameters(client: FlaskClient,
                                                     app_context: object) -> None:
    examples = {e["name"]: e for e in _config(client.get("/").get_data(as_text=True))["examples"]}  # type: ignore[attr-defined]
    for name, query in app_context.queries.items():  # type: ignore[attr-defined]
        example = examples[name]
        assert example["url"] == f"/api/{name}"
        assert [(p["name"], p["type"], p["default"]) for p in example["parameters"]] == [
            (p.name, p.type, p.default) for p in query.parameters]
    city = examples["partners-of-city"]["parameters"][0]
    assert (city["name"], city["input"]) == ("city", "url")


def test_download_names_and_formats(client: FlaskClient) -> None:
    config = _config(client.get("/").get_data(as_text=True))
    extensions = config["extensions"]
    assert set(extensions) == {*config["selectFormats"], *config["graphFormats"]}  # type: ignore[misc]
    assert extensions["csv"] == "csv" and extensions["json"] == "json"  # type: ignore[index]
    assert extensions["turtle"] == "ttl" and extensions["jsonld"] == "jsonld"  # type: ignore[index]


def _js_local_path(config: dict[str, object], iri: str) -> str | None:
    """What query-page.js's localPath does with the page's configuration (the same rule)."""
    for base in config["localBases"]:  # type: ignore[attr-defined]
        if iri.startswith(base) and len(iri) > len(base):
            rest = iri[len(base):]
            if rest.startswith(tuple(config["localRoots"])):  # type: ignore[arg-type]
                return "/" + rest
    return None


@pytest.mark.parametrize("base", ["https://w3id.org/citygraph/", "https://data.example.org/cg/",
                                  "http://localhost:8000/"])
def test_local_links_follow_the_configured_base(settings: Settings, app_context: object,
                                                base: str) -> None:
    served = settings.replace(base_iri=base)
    context = dataclasses.replace(app_context, settings=served)  # type: ignore[type-var]
    app = create_app(served, {"TESTING": True}, context=context)
    try:
        config = _config(app.test_client().get("/").get_data(as_text=True))
        assert config["base"] == base
        assert config["localBases"][0] == base  # type: ignore[index]
        assert config["localRoots"] == list(LOCAL_ROOTS)
        ontology = "https://w3id.org/citygraph/ontology"
        samples = [base + "id/city/dortmund", base + "graph/data/places.ttl", base + "ontology",
                   base + "ontology#City", ontology + "#Partnership", base + "dataset/citygraph",
                   base, "https://www.wikidata.org/entity/Q1295", "http://example.org/id/x"]
        with app.test_request_context("/"):
            for iri in samples:
                assert _js_local_path(config, iri) == local_href(iri), iri
        assert _js_local_path(config, base + "id/city/dortmund") == "/id/city/dortmund"
        assert _js_local_path(config, ontology + "#City") == "/ontology#City"
    finally:
        if getattr(context, "executor", None) is not getattr(app_context, "executor", None):
            context.close()


def test_form_posts_are_not_validated_by_the_browser(client: FlaskClient) -> None:
    """The API checks parameter values and names the bad one; the page shows its message."""
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<form id="query-form"[^>]*\bnovalidate\b', page)
    assert 'id="query-params"' in page and 'id="query-mode"' in page
