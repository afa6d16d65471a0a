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
from citygraph.web.page import DATA_LICENCE, STARTER_QUERY

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
