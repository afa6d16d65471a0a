"""Conversion of RDF terms between rdflib (build) and pyoxigraph (serialisation and serving).

>>> from rdflib import Literal, URIRef
>>> to_ox(Literal("1960", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")))
<Literal value=1960 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#gYear>>
>>> to_rdflib(to_ox(Literal("Dortmund", lang="de")))
rdflib.term.Literal('Dortmund', lang='de')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def to_ox(term: Node) -> OxTerm:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_rdflib(term: object) -> Node:
    """A pyoxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"not an RDF term: {term!r}")


def dataset_quads(dataset: Dataset) -> Iterator[ox.Quad]:
    """Every quad of the named graphs of an rdflib Dataset, as pyoxigraph quads."""
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if g is None:
            continue
        name = g.identifier if isinstance(g, Graph) else g
        if name == URIRef("urn:x-rdflib:default"):
            graph_name: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph()
        else:
            graph_name = ox.NamedNode(str(name))
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph_name)  # type: ignore[arg-type]


def graph_triples(graph: Iterable[tuple[Node, Node, Node]]) -> Iterator[ox.Triple]:
    """Every triple of an rdflib graph as a pyoxigraph triple."""
    for s, p, o in graph:
        yield ox.Triple(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]
