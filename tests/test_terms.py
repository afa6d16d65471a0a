"""Conversion of RDF terms between rdflib (the build) and pyoxigraph (serving)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import XSD

from citygraph.terms import dataset_quads, graph_triples, to_ox, to_rdflib

TERMS = [
    URIRef("https://w3id.org/citygraph/id/city/dortmund"),
    URIRef("http://www.wikidata.org/entity/Q1295"),
    BNode("b0"),
    Literal("Dortmund"),
    Literal("Dortmund", lang="de"),
    Literal("Ростов-на-Дону", lang="ru"),
    Literal("1960", datatype=XSD.gYear),
    Literal("2023-02", datatype=XSD.gYearMonth),
    Literal("2024-05-14", datatype=XSD.date),
    Literal("13000", datatype=XSD.integer),
    Literal("51.5299670604", datatype=XSD.decimal),
    Literal("POINT(7.45 51.53)", datatype=URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")),
]


@pytest.mark.parametrize("term", TERMS, ids=[t.n3() for t in TERMS])
def test_round_trip(term: object) -> None:
    assert to_rdflib(to_ox(term)) == term  # type: ignore[arg-type]


def test_a_plain_string_stays_plain_and_xsd_string_is_plain_too() -> None:
    assert to_ox(Literal("x")) == ox.Literal("x")
    assert to_rdflib(ox.Literal("x", datatype=ox.NamedNode(str(XSD.string)))) == Literal("x")


def test_not_a_term_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        to_ox("just a string")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_rdflib("just a string")


def test_dataset_quads_keep_named_graphs() -> None:
    dataset = Dataset()
    g = dataset.graph(URIRef("http://e/g"))
    g.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal("o", lang="en")))
    dataset.default_graph.add((URIRef("http://e/d"), URIRef("http://e/p"),
                               Literal("in the default graph")))
    quads = set(dataset_quads(dataset))
    assert ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"),
                   ox.Literal("o", language="en"), ox.NamedNode("http://e/g")) in quads
    assert ox.Quad(ox.NamedNode("http://e/d"), ox.NamedNode("http://e/p"),
                   ox.Literal("in the default graph"), ox.DefaultGraph()) in quads
    assert len(quads) == 2
    assert list(graph_triples(g)) == [ox.Triple(ox.NamedNode("http://e/s"),
                                                ox.NamedNode("http://e/p"),
                                                ox.Literal("o", language="en"))]
