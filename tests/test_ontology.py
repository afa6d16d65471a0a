"""The ontology: identity, bilingual labels and definitions, alignments, the derived twin link."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

REPO = Path(__file__).resolve().parents[1]
CG = "https://w3id.org/citygraph/ontology#"
ONTOLOGY = URIRef("https://w3id.org/citygraph/ontology")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.SymmetricProperty,
              OWL.AnnotationProperty, SKOS.ConceptScheme)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path)
    return graph


def our_terms(graph: Graph) -> list[URIRef]:
    terms = {s for t in TERM_TYPES for s in graph.subjects(RDF.type, t)
             if isinstance(s, URIRef) and s.startswith(CG)}
    return sorted(terms)


def test_ontology_has_iri_and_version_iri(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(ONTOLOGY, OWL.versionIRI)
    assert isinstance(version, URIRef) and version.startswith(str(ONTOLOGY) + "/")


def test_there_are_classes_and_properties(ontology: Graph) -> None:
    terms = our_terms(ontology)
    assert len([t for t in terms if (t, RDF.type, OWL.Class) in ontology]) >= 30
    assert len([t for t in terms if (t, RDF.type, OWL.ObjectProperty) in ontology]) >= 20


def test_every_term_is_labelled_and_defined_in_english_and_german(ontology: Graph) -> None:
    missing = []
    for term in our_terms(ontology):
        for predicate in (RDFS.label, SKOS.definition):
            langs = {o.language for o in ontology.objects(term, predicate) if isinstance(o, Literal)}
            missing += [f"{term} {predicate} @{lang}" for lang in ("en", "de") if lang not in langs]
    assert missing == []


def test_every_cg_term_used_is_declared(ontology: Graph) -> None:
    declared = set(our_terms(ontology))
    used = {t for triple in ontology for t in triple
            if isinstance(t, URIRef) and t.startswith(CG)}
    assert used - declared == set()


@pytest.mark.parametrize(("term", "relation", "target"), [
    ("City", RDFS.subClassOf, "https://schema.org/City"),
    ("Country", RDFS.subClassOf, "https://schema.org/Country"),
    ("Organisation", RDFS.subClassOf, "http://www.w3.org/ns/org#Organization"),
    ("Person", RDFS.subClassOf, "https://schema.org/Person"),
    ("Partnership", RDFS.subClassOf, "http://www.w3.org/ns/prov#Entity"),
    ("Resolution", RDFS.subClassOf, "https://schema.org/Legislation"),
    ("Claim", RDFS.subClassOf, "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"),
    ("twinnedWith", RDFS.subPropertyOf, "http://dbpedia.org/ontology/twinCity"),
    ("wikidataEntity", RDFS.subPropertyOf, "https://schema.org/sameAs"),
])
def test_alignments_to_standard_vocabularies(ontology: Graph, term: str, relation: URIRef,
                                             target: str) -> None:
    assert (URIRef(CG + term), relation, URIRef(target)) in ontology


def test_twinned_with_is_symmetric_and_never_asserted_in_data(ontology: Graph) -> None:
    assert (URIRef(CG + "twinnedWith"), RDF.type, OWL.SymmetricProperty) in ontology
    data = Graph()
    for path in sorted((REPO / "data").glob("**/*.ttl")):
        data.parse(path)
    assert list(data.triples((None, URIRef(CG + "twinnedWith"), None))) == []
    assert list(data.triples((None, OWL.sameAs, None))) == []


def test_concept_schemes_are_complete(ontology: Graph) -> None:
    kinds = {str(c).rsplit("/", 1)[1] for c in ontology.subjects(
        SKOS.inScheme, URIRef(CG + "PartnershipKindScheme"))}
    assert kinds >= {"twinning", "friendship", "contact", "project-partnership",
                     "climate-partnership", "solidarity-partnership"}
    statuses = {str(c).rsplit("/", 1)[1] for c in ontology.subjects(
        SKOS.inScheme, URIRef(CG + "PartnershipStatusScheme"))}
    assert statuses == {"proposed", "planned", "active", "paused", "ended"}
    for concept in ontology.subjects(RDF.type, SKOS.Concept):
        langs = {o.language for o in ontology.objects(concept, SKOS.prefLabel)}
        assert {"en", "de"} <= langs, concept
