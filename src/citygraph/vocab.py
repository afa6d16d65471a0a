"""Namespaces and prefixes: the one place where citygraph spells IRIs.

>>> str(CG.Partnership)
'https://w3id.org/citygraph/ontology#Partnership'
>>> PREFIXES["wdt"]
'http://www.wikidata.org/prop/direct/'
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
)

from .config import DEFAULT_BASE

CG = Namespace(DEFAULT_BASE + "ontology#")
ONTOLOGY_IRI = DEFAULT_BASE + "ontology"
ID = Namespace(DEFAULT_BASE + "id/")
GRAPH = Namespace(DEFAULT_BASE + "graph/")
SCHEMA = SDO
ORG = Namespace("http://www.w3.org/ns/org#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
DBO = Namespace("http://dbpedia.org/ontology/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")

#: Named graphs of the dataset that are not source files.
INFERRED_GRAPH = GRAPH["inferred"]

#: Prefixes predeclared for every query and bound in every serialisation.
PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "foaf": str(FOAF),
    "void": str(VOID),
    "sh": str(SH),
    "geo": str(GEO),
    "wgs": str(WGS),
    "dbo": str(DBO),
    "cg": str(CG),
    "id": str(ID),
    "cgkind": str(ID) + "partnership-kind/",
    "cgstatus": str(ID) + "partnership-status/",
    "cgrole": str(ID) + "role/",
    "cgoutcome": str(ID) + "resolution-outcome/",
    "cgqty": str(ID) + "quantity-kind/",
    "wd": str(WD),
    "wdt": str(WDT),
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "pr": "http://www.wikidata.org/prop/reference/",
    "wikibase": "http://wikiba.se/ontology#",
    # The rest of the Wikidata Query Service's predeclared prefixes, so a query copied from WDQS needs
    # no PREFIX line. WDQS's ``dct`` and its ``schema`` (http://schema.org/) are not added: a namespace has
    # one prefix here (``dcterms``), and ``schema`` stays https://schema.org/, the one the data uses (the
    # Wikidata view states its names on both schema.org spellings; see ontology/rules/wikidata-view/).
    "bd": "http://www.bigdata.com/rdf#",
    "wds": "http://www.wikidata.org/entity/statement/",
    "wdref": "http://www.wikidata.org/reference/",
    "wdv": "http://www.wikidata.org/value/",
    "wdata": "http://www.wikidata.org/wiki/Special:EntityData/",
    "wdno": "http://www.wikidata.org/prop/novalue/",
    "wdtn": "http://www.wikidata.org/prop/direct-normalized/",
    "psv": "http://www.wikidata.org/prop/statement/value/",
    "psn": "http://www.wikidata.org/prop/statement/value-normalized/",
    "pqv": "http://www.wikidata.org/prop/qualifier/value/",
    "pqn": "http://www.wikidata.org/prop/qualifier/value-normalized/",
    "prv": "http://www.wikidata.org/prop/reference/value/",
    "prn": "http://www.wikidata.org/prop/reference/value-normalized/",
    "bds": "http://www.bigdata.com/rdf/search#",
    "hint": "http://www.bigdata.com/queryHints#",
    "gas": "http://www.bigdata.com/rdf/gas#",
    "geof": "http://www.opengis.net/def/function/geosparql/",
    "mediawiki": "https://www.mediawiki.org/ontology#",
    "mwapi": "https://www.mediawiki.org/ontology#API/",
    "cc": "http://creativecommons.org/ns#",
    "ontolex": "http://www.w3.org/ns/lemon/ontolex#",
}


def instance_namespace(base_iri: str) -> str:
    """The namespace of instances under a (possibly configured) base IRI."""
    return base_iri + "id/"


def bind_prefixes(graph: object) -> None:
    """Bind every citygraph prefix on an rdflib graph or dataset (replacing defaults)."""
    bind = graph.bind  # type: ignore[attr-defined]
    for prefix, iri in PREFIXES.items():
        bind(prefix, Namespace(iri), override=True, replace=True)
