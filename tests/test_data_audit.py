"""The data audit: one source per data graph, retired IRIs that still answer, preferred start years.

Every data file is one named graph that names its one source (``<> prov:wasDerivedFrom source:…``,
``<>`` being the file's own graph), and every subject in it is derived from that source there. The
Kumasi council session is a meeting with an agenda item, dated only "im November"; the resolution IRI
it replaces answers 301, the graph of the split ``dortmund-de.ttl`` 410 with links to its successors.
Where start years disagree, dortmund.de's value is PreferredRank, as WDQS-form queries show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, VOID

from citygraph.load import graph_iri, load
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore

REPO = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/citygraph/"
DATA_GRAPHS = BASE + "graph/data/"
SOURCE = BASE + "id/source/"
OLD_RESOLUTION = "/id/resolution/2023-11-dortmund-council-kumasi"
AGENDA_ITEM = "/id/agenda-item/dortmund-city-council-november-kumasi-twinning"
OLD_GRAPH = "/graph/data/dortmund-de"
SPLIT_GRAPHS = ["/graph/data/dortmund-de-climate-partnership-kumasi",
                "/graph/data/dortmund-de-press-release-kumasi", "/graph/data/dortmund-de-twin-cities"]
WB = "http://wikiba.se/ontology#"


@pytest.fixture(scope="module")
def store(built: BuildResult) -> EmbeddedStore:
    """The built dataset (default graph: the union of all named graphs)."""
    return EmbeddedStore(built.dist)


def rows(store: EmbeddedStore, text: str) -> list[dict[str, str]]:
    """The solutions of a SELECT as plain strings."""
    result = store.query(text)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


# ----------------------------------------------------------------------------- one source per graph


def test_every_data_file_is_a_graph_that_names_exactly_one_source(store: EmbeddedStore) -> None:
    files = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "data").glob("*.ttl"))
    found = rows(store, f"""
      SELECT ?g (COUNT(DISTINCT ?s) AS ?n) (SAMPLE(?s) AS ?source) WHERE {{
        GRAPH ?g {{ ?x ?p ?o }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        OPTIONAL {{ GRAPH ?g {{ ?g prov:wasDerivedFrom ?s }} ?s a/rdfs:subClassOf* cg:Source }}
      }} GROUP BY ?g""")
    by_graph = {r["g"]: r for r in found}
    assert sorted(by_graph) == sorted(str(graph_iri(f)) for f in files)
    wrong = {g: r["n"] for g, r in by_graph.items() if r["n"] != "1"}
    assert not wrong, f"data graphs without exactly one source (a cg:Source) of their own: {wrong}"


def test_every_subject_of_a_graph_is_derived_from_the_graphs_source(store: EmbeddedStore) -> None:
    """Subject-level provenance agrees with the graph's: each subject of a data graph has
    prov:wasDerivedFrom in that graph, and only that graph's source. The one exception: a graph's
    source node may be described in its own graph without deriving from itself (the curation node
    in data/sources.ttl); what a source document itself draws on is dcterms:source there."""
    disagreeing = rows(store, f"""
      SELECT DISTINCT ?g ?x ?other WHERE {{
        GRAPH ?g {{ ?g prov:wasDerivedFrom ?source . ?x prov:wasDerivedFrom ?other }}
        FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}") && ?x != ?g && ?other != ?source)
      }}""")
    assert not disagreeing, "subjects derived from another source than their graph's:\n" + "\n".join(
        f"{r['g']}: {r['x']} <- {r['other']}" for r in disagreeing)
    unattributed = rows(store, f"""
      SELECT DISTINCT ?g ?x WHERE {{
        GRAPH ?g {{ ?g prov:wasDerivedFrom ?source . ?x ?p ?o }}
        FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}") && ?x != ?g)
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?x prov:wasDerivedFrom ?any }} }}
      }}""")
    assert [(r["g"], r["x"]) for r in unattributed] == [
        (DATA_GRAPHS + "sources", SOURCE + "citygraph-curation")]


def test_the_three_dortmund_de_documents_have_a_graph_each(store: EmbeddedStore) -> None:
    got = {(r["g"], r["s"]) for r in rows(store, f"""
      SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?g prov:wasDerivedFrom ?s }}
                            FILTER(CONTAINS(STR(?g), "{DATA_GRAPHS}dortmund-de")) }}""")}
    assert got == {(BASE + g.lstrip("/"), SOURCE + s) for g, s in zip(SPLIT_GRAPHS, (
        "dortmund-de-climate-partnership-kumasi", "dortmund-de-press-release-kumasi-tenth-partner-city",
        "dortmund-de-twin-cities"), strict=True)}
    # each of the three facts DOMAIN.md names lands in the graph of its own document
    for graph, pattern in ((SPLIT_GRAPHS[2], 'schema:startDate "1988"^^xsd:gYear'),
                           (SPLIT_GRAPHS[1], 'schema:startDate "2024-05-14"^^xsd:date'),
                           (SPLIT_GRAPHS[0], 'schema:startDate "2011"^^xsd:gYear')):
        assert rows(store, f"SELECT ?p WHERE {{ GRAPH <{BASE}{graph.lstrip('/')}> {{ ?p {pattern} }} }}")


def test_graph_sources_follow_another_base_iri() -> None:
    other = "http://example.org/cg/"
    dataset = load(REPO, other, paths=[REPO / "data" / "article.ttl", REPO / "data" / "retired.ttl"])
    article = dataset.graph(URIRef(other + "graph/data/article"))
    assert (article.identifier, PROV.wasDerivedFrom,
            URIRef(other + "id/source/nordstadtblogger-dortmund-international-relations")) in article
    retired = dataset.graph(URIRef(other + "graph/data/retired"))
    terms = Namespace("http://purl.org/dc/terms/")
    assert set(retired.objects(URIRef(other + "graph/data/dortmund-de"), terms.isReplacedBy)) == {
        URIRef(other + g.lstrip("/")) for g in SPLIT_GRAPHS}
    assert not any(str(t).startswith("file:") for triple in dataset.quads() for t in triple[:3])


# ----------------------------------------------------------------------------- the Kumasi session


def test_the_november_session_is_an_undated_meeting_with_an_agenda_item(store: EmbeddedStore) -> None:
    got = rows(store, """
      SELECT ?meeting ?when ?item ?subject ?council WHERE {
        ?meeting a cg:CouncilMeeting , <http://data.vlaanderen.be/ns/besluit#Zitting> ;
                 cg:heldBy ?council ; cg:agendaItem ?item ; cg:dateText ?when .
        ?item a cg:AgendaItem , <http://data.vlaanderen.be/ns/besluit#Agendapunt> ; dcterms:subject ?subject .
        FILTER NOT EXISTS { ?meeting schema:startDate ?d }
        FILTER NOT EXISTS { ?item a cg:Resolution }
      }""")
    assert got == [{"meeting": BASE + "id/meeting/dortmund-city-council-november-kumasi",
                    "when": "im November", "item": BASE + AGENDA_ITEM.lstrip("/"),
                    "subject": BASE + "id/partnership/dortmund-kumasi",
                    "council": BASE + "id/organisation/dortmund-city-council"}]


def test_the_old_resolution_iri_moves_permanently_to_the_agenda_item(client: FlaskClient) -> None:
    response = client.get(OLD_RESOLUTION, headers={"Accept": "text/html"})
    assert response.status_code == 301
    assert response.headers["Location"].endswith(AGENDA_ITEM)
    assert f'<{AGENDA_ITEM}>; rel="successor-version"' in response.headers["Link"]
    twin = client.get(OLD_RESOLUTION + ".ttl")
    assert twin.status_code == 301 and twin.headers["Location"].endswith(AGENDA_ITEM + ".ttl")
    followed = client.get(AGENDA_ITEM, headers={"Accept": "text/turtle"})
    assert followed.status_code == 200
    assert b"AgendaItem" in followed.data
    page = client.get(AGENDA_ITEM, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Kumasi" in page and "Resolution" not in page.split("<h1", 1)[-1].split("</h1>", 1)[0]


def test_the_graph_of_the_split_file_is_gone_with_links_to_its_successors(client: FlaskClient) -> None:
    html = client.get(OLD_GRAPH, headers={"Accept": "text/html"})
    assert html.status_code == 410
    links = html.headers["Link"]
    for graph in SPLIT_GRAPHS:
        assert f'<{graph}>; rel="successor-version"' in links
        assert f'href="{graph}"' in html.get_data(as_text=True)
        assert client.get(graph, headers={"Accept": "text/turtle"}).status_code == 200
    assert "mixed three dortmund.de documents" in html.get_data(as_text=True)
    turtle = client.get(OLD_GRAPH + ".ttl")
    assert turtle.status_code == 410 and turtle.mimetype == "text/turtle"
    assert b"isReplacedBy" in turtle.data and b"dortmund-de-twin-cities" in turtle.data


def test_unknown_iris_still_404(client: FlaskClient) -> None:
    assert client.get("/id/resolution/2023-12-no-such-resolution").status_code == 404
    assert client.get("/graph/data/no-such-file").status_code == 404


# ----------------------------------------------------------------------------- preferred start years

STATEMENTS = """
SELECT ?twin ?start ?rank ?url ?source WHERE {
  wd:Q1295 p:P190 ?st . ?st ps:P190 ?twin ; pq:P580 ?start ; wikibase:rank ?rank .
  OPTIONAL { ?st prov:wasDerivedFrom/pr:P854 ?url }
  ?st prov:wasDerivedFrom/dcterms:source ?source .
}"""


def sparql(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    """The bindings of a query asked over HTTP, as a researcher would (values only)."""
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    bindings = json.loads(response.get_data(as_text=True))["results"]["bindings"]
    return [{k: v["value"] for k, v in b.items()} for b in bindings]


@pytest.mark.parametrize(("qid", "preferred", "other"), [("Q908", 1977, 1973), ("Q40435", 1978, 1977)],
                         ids=["rostov-on-don", "buffalo"])
def test_wdqs_statements_show_which_source_says_which_year(client: FlaskClient, qid: str,
                                                           preferred: int, other: int) -> None:
    got = {(int(r["start"][:4]), r["rank"].removeprefix(WB), r.get("url"), r["source"].removeprefix(SOURCE))
           for r in sparql(client, STATEMENTS) if r["twin"] == "http://www.wikidata.org/entity/" + qid}
    assert got == {(preferred, "PreferredRank", None, "dortmund-de-twin-cities"),  # no page URL known
                   (other, "NormalRank", None, "wikipedia-en-list-of-twin-towns")}


def test_best_rank_keeps_every_twin_and_prefers_the_citys_year(client: FlaskClient) -> None:
    twins = {r["twin"] for r in sparql(client, "SELECT ?twin WHERE { wd:Q1295 wdt:P190 ?twin }")}
    statements = {r["twin"] for r in sparql(client, "SELECT ?twin WHERE { wd:Q1295 p:P190/ps:P190 ?twin }")}
    assert len(twins) == 11 and twins == statements
    best = sparql(client, """SELECT ?twin ?start WHERE {
      wd:Q1295 p:P190 ?st . ?st a wikibase:BestRank ; ps:P190 ?twin . OPTIONAL { ?st pq:P580 ?start } }""")
    assert {r["twin"] for r in best} == twins  # every twin keeps a best statement
    years = {r["twin"].rsplit("/", 1)[1]: r["start"][:4] for r in best if "start" in r}
    assert years["Q908"] == "1977" and years["Q40435"] == "1978"
    assert len(best) == len(twins)  # the Wikipedia years are not best-ranked beside the city's
    # and the other direction, as Wikidata states P190 on both items
    back = sparql(client, """SELECT ?start ?rank WHERE {
      wd:Q908 p:P190 ?st . ?st ps:P190 wd:Q1295 ; pq:P580 ?start ; wikibase:rank ?rank }""")
    assert {(r["start"][:4], r["rank"].removeprefix(WB)) for r in back} == {
        ("1977", "PreferredRank"), ("1973", "NormalRank")}


def test_the_disagreeing_claims_query_names_the_preferred_claim(store: EmbeddedStore) -> None:
    text = (REPO / "queries" / "disagreeing-claims.rq").read_text(encoding="utf-8")
    result = store.query(text)
    assert isinstance(result, ox.QuerySolutions)
    got = {}
    for row in result:
        preferred = row["preferred"]
        got[row["subject"].value.rsplit("/", 1)[1]] = (
            preferred.value.rsplit("/", 1)[1] if preferred is not None else None)
    assert got == {"dortmund-rostov-on-don": "dortmund-de-rostov-on-don-twinning-start",
                   "dortmund-buffalo": "dortmund-de-buffalo-twinning-start",
                   "dortmund-kumasi-climate-partnership": "dortmund-de-climate-partnership-start",
                   "dortmund": None}  # the article's own heading/body counts: no preferred source


def test_only_the_citys_own_pages_are_preferred(store: EmbeddedStore) -> None:
    got = rows(store, """SELECT ?claim ?rank ?source WHERE {
      ?claim a cg:Claim ; wikibase:rank ?rank ; prov:wasDerivedFrom ?source }""")
    preferred = {r["source"] for r in got if r["rank"] == WB + "PreferredRank"}
    assert preferred == {SOURCE + "dortmund-de-twin-cities",
                         SOURCE + "dortmund-de-climate-partnership-kumasi"}
    assert all(r["rank"] == WB + "NormalRank" for r in got if r["source"] not in preferred)


def test_void_describes_every_data_graph_with_its_source(built: BuildResult, store: EmbeddedStore) -> None:
    void = Graph().parse(built.dist / "void.ttl", format="turtle")
    dataset = URIRef(BASE + "dataset/citygraph")
    subsets = {s for s in void.objects(dataset, VOID.subset) if str(s).startswith(DATA_GRAPHS)}
    expected = {r["g"]: r["s"] for r in rows(store, f"""
      SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?g prov:wasDerivedFrom ?s }}
                            FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}")) }}""")}
    assert {str(s) for s in subsets} == set(expected)
    for subset in subsets:
        assert (subset, RDF.type, VOID.Dataset) in void
        assert {str(o) for o in void.objects(subset, PROV.wasDerivedFrom)} == {expected[str(subset)]}
        assert {str(o) for o in void.objects(subset, DCTERMS.source)} == {expected[str(subset)]}
        assert int(void.value(subset, VOID.triples)) == built.manifest.graphs[str(subset)]


def test_a_graph_page_names_its_source(client: FlaskClient) -> None:
    page = client.get("/graph/data/dortmund-de-twin-cities", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/id/source/dortmund-de-twin-cities"' in html and "dortmund.de: twin cities page" in html
    turtle = client.get("/graph/data/dortmund-de-twin-cities.ttl").get_data(as_text=True)
    assert "dortmund-de-twin-cities" in turtle and "wasDerivedFrom" in turtle
