"""Infer stage: OWL 2 RL closure, rules, noise filtering."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, TIME

from citygraph.errors import DataSyntaxError
from citygraph.infer import infer, is_noise, load_rules
from citygraph.pipeline import BuildResult

CG = Namespace("https://w3id.org/citygraph/ontology#")
CITY = Namespace("https://w3id.org/citygraph/id/city/")
ID = Namespace("https://w3id.org/citygraph/id/")
SCHEMA = Namespace("https://schema.org/")
REPO = Path(__file__).resolve().parents[1]

DATA = """
@prefix cg: <https://w3id.org/citygraph/ontology#> .
@prefix city: <https://w3id.org/citygraph/id/city/> .
@prefix p: <https://w3id.org/citygraph/id/partnership/> .
@prefix cgkind: <https://w3id.org/citygraph/id/partnership-kind/> .
@prefix cgstatus: <https://w3id.org/citygraph/id/partnership-status/> .
city:a a cg:City . city:b a cg:City . city:c a cg:City . city:d a cg:City .
p:a-b a cg:Partnership ; cg:kind cgkind:twinning ; cg:status cgstatus:paused ;
    cg:partner city:a, city:b .
p:a-c a cg:Partnership ; cg:kind cgkind:twinning ; cg:status cgstatus:planned ;
    cg:partner city:a, city:c .
p:a-d a cg:Partnership ; cg:kind cgkind:project-partnership ; cg:status cgstatus:active ;
    cg:partner city:a, city:d .
city:a cg:continent <https://w3id.org/citygraph/id/continent/europe> .
<https://w3id.org/citygraph/id/quantity/q> a cg:QuantitativeStatement ;
    cg:referenceTime <https://w3id.org/citygraph/id/instant/t> .
"""


@pytest.fixture(scope="module")
def inferred() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path)
    graph.parse(data=DATA, format="turtle")
    return infer(graph, load_rules(REPO / "ontology" / "rules"))


def test_twinned_with_is_derived_both_ways_for_active_or_paused_twinnings(inferred: Graph) -> None:
    assert (CITY.a, CG.twinnedWith, CITY.b) in inferred
    assert (CITY.b, CG.twinnedWith, CITY.a) in inferred
    assert (CITY.a, URIRef("http://dbpedia.org/ontology/twinCity"), CITY.b) in inferred


def test_planned_twinning_and_project_partnership_make_no_twins(inferred: Graph) -> None:
    assert (CITY.a, CG.twinnedWith, CITY.c) not in inferred
    assert (CITY.a, CG.twinnedWith, CITY.d) not in inferred
    assert (CITY.d, CG.partnerOf, CITY.a) in inferred


def test_class_hierarchy_types_are_inferred(inferred: Graph) -> None:
    assert (CITY.a, RDF.type, URIRef("https://schema.org/City")) in inferred


def test_noise_is_dropped(inferred: Graph) -> None:
    assert not any(s == o for s, o in inferred.subject_objects(OWL.sameAs))
    assert all(not is_noise(t) for t in inferred)


def test_only_new_triples_are_returned(inferred: Graph) -> None:
    assert (CITY.a, RDF.type, CG.City) not in inferred


def test_rule_must_be_a_construct_query(tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(DataSyntaxError, match="CONSTRUCT"):
        load_rules(tmp_path)


def test_rule_with_syntax_error_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.rq").write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p }")
    with pytest.raises(DataSyntaxError) as info:
        load_rules(tmp_path)
    assert "broken.rq" in str(info.value)


def test_owl_time_alignment(inferred: Graph) -> None:
    """cg:referenceTime is a sub-property of time:hasTime with range time:TemporalEntity."""
    quantity, instant = ID["quantity/q"], ID["instant/t"]
    assert (quantity, TIME.hasTime, instant) in inferred
    assert (instant, RDF.type, TIME.TemporalEntity) in inferred


def test_skos_alignment(inferred: Graph) -> None:
    """cg:kind is a sub-property of dcterms:type; kinds are skos:Concepts of cg:PartnershipKind."""
    twinning = ID["partnership-kind/twinning"]
    assert (ID["partnership/a-b"], DCTERMS.type, twinning) in inferred
    assert (twinning, RDF.type, SKOS.Concept) not in inferred  # asserted already in schemes.ttl
    assert (ID["role/mayor"], RDF.type, URIRef("http://www.w3.org/ns/org#Role")) in inferred


def test_continent_is_containment(inferred: Graph) -> None:
    europe = ID["continent/europe"]
    assert (CITY.a, SCHEMA.containedInPlace, europe) in inferred
    assert (europe, RDF.type, CG.Continent) in inferred
    assert (europe, RDF.type, SCHEMA.Continent) in inferred


def test_inferred_graph_stays_small_on_the_real_build(built: BuildResult) -> None:
    """The alignments add direct super-types and super-properties only: the inferred graph stays well
    below the asserted data (no closure over imported vocabularies, no sameAs explosion)."""
    graphs = built.manifest.graphs
    inferred = graphs["https://w3id.org/citygraph/graph/inferred"]
    data = sum(n for g, n in graphs.items() if "/graph/data/" in g)
    assert 0 < inferred < 0.75 * data, (inferred, data)
