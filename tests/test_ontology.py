"""The ontology: identity, bilingual labels and definitions, alignments, the derived twin link."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, TIME

REPO = Path(__file__).resolve().parents[1]
CG = "https://w3id.org/citygraph/ontology#"
ORG_ROLE = "http://www.w3.org/ns/org#Role"
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
    # council meetings and agenda items: OParl 1.1 and the Flemish besluit vocabulary
    ("CouncilMeeting", RDFS.subClassOf, "https://schema.oparl.org/1.1/Meeting"),
    ("CouncilMeeting", RDFS.subClassOf, "http://data.vlaanderen.be/ns/besluit#Zitting"),
    ("CouncilMeeting", RDFS.subClassOf, CG + "Event"),
    ("AgendaItem", RDFS.subClassOf, "https://schema.oparl.org/1.1/AgendaItem"),
    ("AgendaItem", RDFS.subClassOf, "http://data.vlaanderen.be/ns/besluit#Agendapunt"),
    ("agendaItem", RDFS.subPropertyOf, "http://data.vlaanderen.be/ns/besluit#behandelt"),
    ("heldBy", RDFS.subPropertyOf, "http://data.vlaanderen.be/ns/besluit#isGehoudenDoor"),
    ("heldBy", RDFS.range, CG + "CityCouncil"),
    ("Claim", RDFS.subClassOf, "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"),
    ("twinnedWith", RDFS.subPropertyOf, "http://dbpedia.org/ontology/twinCity"),
    ("wikidataEntity", RDFS.subPropertyOf, "https://schema.org/sameAs"),
    # OWL-Time
    ("referenceTime", RDFS.subPropertyOf, str(TIME.hasTime)),
    ("referenceTime", RDFS.range, str(TIME.TemporalEntity)),
    ("publicationTime", RDFS.subPropertyOf, str(TIME.hasTime)),
    ("publicationTime", RDFS.range, str(TIME.Instant)),
    # SKOS (and ORG's org:Role, a skos:Concept) for the classes of the concept schemes
    ("PartnershipKind", RDFS.subClassOf, str(SKOS.Concept)),
    ("PartnershipStatus", RDFS.subClassOf, str(SKOS.Concept)),
    ("Role", RDFS.subClassOf, ORG_ROLE),
    ("Role", RDFS.subClassOf, str(SKOS.Concept)),
    ("ResolutionOutcome", RDFS.subClassOf, str(SKOS.Concept)),
    ("QuantityKind", RDFS.subClassOf, str(SKOS.Concept)),
    ("Approximation", RDFS.subClassOf, str(SKOS.Concept)),
    ("CompassDirection", RDFS.subClassOf, str(SKOS.Concept)),
    ("kind", RDFS.range, CG + "PartnershipKind"),
    ("kind", RDFS.subPropertyOf, str(DCTERMS.type)),
    ("status", RDFS.range, CG + "PartnershipStatus"),
    ("toStatus", RDFS.range, CG + "PartnershipStatus"),
    ("fromStatus", RDFS.range, CG + "PartnershipStatus"),
    ("outcome", RDFS.range, CG + "ResolutionOutcome"),
    ("quantityKind", RDFS.range, CG + "QuantityKind"),
    ("approximation", RDFS.range, CG + "Approximation"),
    ("direction", RDFS.range, CG + "CompassDirection"),
    # schema.org / GeoSPARQL for continents
    ("Continent", RDFS.subClassOf, "https://schema.org/Continent"),
    ("Continent", RDFS.subClassOf, CG + "WorldRegion"),
    ("WorldRegion", RDFS.subClassOf, "http://www.opengis.net/ont/geosparql#Feature"),
    ("continent", RDFS.subPropertyOf, "https://schema.org/containedInPlace"),
    ("continent", RDFS.range, CG + "Continent"),
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


SCHEME_CLASSES = {
    "PartnershipKindScheme": "PartnershipKind",
    "PartnershipStatusScheme": "PartnershipStatus",
    "RoleScheme": "Role",
    "ResolutionOutcomeScheme": "ResolutionOutcome",
    "QuantityKindScheme": "QuantityKind",
    "ApproximationScheme": "Approximation",
    "CompassDirectionScheme": "CompassDirection",
}


@pytest.mark.parametrize(("scheme", "cls"), SCHEME_CLASSES.items(), ids=list(SCHEME_CLASSES))
def test_every_concept_is_typed_with_its_schemes_class(ontology: Graph, scheme: str, cls: str) -> None:
    """Each scheme has a skos:Concept subclass, and every concept in it carries both types (so that it
    is a SKOS concept without inference and the property ranges name the right scheme)."""
    concepts = set(ontology.subjects(SKOS.inScheme, URIRef(CG + scheme)))
    assert concepts, scheme
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in ontology, concept
        assert (concept, RDF.type, URIRef(CG + cls)) in ontology, concept
    assert set(ontology.subjects(RDF.type, URIRef(CG + cls))) == concepts


def test_state_partnership_kind(ontology: Graph) -> None:
    state = URIRef("https://w3id.org/citygraph/id/partnership-kind/state-partnership")
    assert (state, SKOS.inScheme, URIRef(CG + "PartnershipKindScheme")) in ontology
    assert (URIRef(CG + "PartnershipKindScheme"), SKOS.hasTopConcept, state) in ontology
    labels = {(o.language, str(o)) for o in ontology.objects(state, SKOS.prefLabel)}
    assert ("de", "Länderpartnerschaft") in labels and "en" in {lang for lang, _ in labels}
    for lang in ("en", "de"):
        assert any(o.language == lang for o in ontology.objects(state, SKOS.definition)), lang


def test_solidarity_partnership_is_related_to_twinning(ontology: Graph) -> None:
    """skos:related is symmetric in SKOS; SKOS is not imported, so both directions are stated."""
    kind = "https://w3id.org/citygraph/id/partnership-kind/"
    solidarity, twinning = URIRef(kind + "solidarity-partnership"), URIRef(kind + "twinning")
    assert (solidarity, SKOS.related, twinning) in ontology
    assert (twinning, SKOS.related, solidarity) in ontology


def test_alignments_use_no_axioms_about_external_terms(ontology: Graph) -> None:
    """Alignment axioms have a citygraph term as subject: external vocabularies are not redefined."""
    axioms = (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass,
              OWL.equivalentProperty, OWL.inverseOf)
    foreign = [(s, p, o) for p in axioms for s, o in ontology.subject_objects(p)
               if not str(s).startswith(CG)]
    assert foreign == []
