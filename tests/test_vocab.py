"""Namespaces and prefixes: the one place IRIs are spelled."""

from __future__ import annotations

from rdflib import Graph

from citygraph import vocab
from citygraph.vocab import PREFIXES, bind_prefixes, instance_namespace

#: The prefixes the SPARQL endpoint must predeclare (issue: the common ones, ours, Wikidata's).
REQUIRED = {"rdf", "rdfs", "owl", "xsd", "skos", "schema", "prov", "dcterms", "cg", "wd", "wdt",
            "p", "ps", "pq", "pr", "wikibase"}


def test_required_prefixes_are_declared_with_the_standard_namespaces() -> None:
    assert REQUIRED <= set(PREFIXES)
    assert PREFIXES["schema"] == "https://schema.org/"
    assert PREFIXES["wd"] == "http://www.wikidata.org/entity/"
    assert PREFIXES["pq"] == "http://www.wikidata.org/prop/qualifier/"
    assert PREFIXES["cg"] == "https://w3id.org/citygraph/ontology#"


def test_every_namespace_is_an_absolute_iri_ending_in_a_separator() -> None:
    for prefix, namespace in PREFIXES.items():
        assert namespace.startswith(("http://", "https://")), prefix
        assert namespace.endswith(("/", "#")), prefix
    assert len(set(PREFIXES.values())) == len(PREFIXES)  # no namespace under two prefixes


def test_instance_namespace_follows_the_base() -> None:
    assert instance_namespace("https://example.org/kg/") == "https://example.org/kg/id/"
    assert str(vocab.ID) == instance_namespace(vocab.DEFAULT_BASE)


def test_bind_prefixes_replaces_rdflib_defaults() -> None:
    graph = Graph()
    bind_prefixes(graph)
    bound = {prefix: str(ns) for prefix, ns in graph.namespaces()}
    for prefix, namespace in PREFIXES.items():
        assert bound[prefix] == namespace
