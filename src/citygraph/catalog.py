"""The DCAT-AP.de 3.0 catalog and the VoID description of a build, as rdflib graphs.

Both are plain functions of the build: its manifest (version, dump sizes and hashes), the
settings (base IRI) and the dataset itself, which they query with SPARQL on pyoxigraph for every
number they state (temporal coverage, counts, link counts) — nothing is hard-coded. ``publish``
writes them as ``dist/catalog.ttl`` and ``dist/void.ttl``; the web app serves them at
``/catalog`` and ``/.well-known/void``.

Reproducible: neither states the build time (that lives only in ``manifest.json``).
``dcterms:modified`` is the sources' date (``source_date``): ``SOURCE_DATE_EPOCH`` when set
(reproducible-builds.org), else the latest date the source documents of the data state.

Conformance: DCAT-AP 3.0.1 (whose range shapes want every IRI value typed with its range class,
so the catalog states those classes) as well as DCAT-AP 3.0.0 + DCAT-AP.de 3.0.

Licence: the data is published under CC BY 4.0 (README, "Licence"), stated with the DCAT-AP.de
licence IRI ``http://dcat-ap.de/def/licenses/cc-by/4.0`` everywhere (catalog, dataset, every
distribution, the data service and VoID), so portals find it in the controlled vocabulary. Each
licensed source the data derives from is stated (catalog: ``prov:wasDerivedFrom``, VoID:
``dcterms:source``) with its own licence and attribution as ``data/sources.ttl`` gives them; the
distributions' attribution text carries the credits those sources ask for.

Provenance per file: VoID lists every data file's named graph as a ``void:subset`` of the dataset
with the one source document it is derived from (``prov:wasDerivedFrom`` and ``dcterms:source``,
read from the graph's own ``<graph> prov:wasDerivedFrom <source>``) and its triple count.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID, XSD

from .config import Settings
from .errors import ConfigError
from .formats import DATASET_FORMATS, GRAPH_FORMATS, Format, by_extension
from .publish import DATASET_FILE, DUMPS, Manifest
from .store import EmbeddedStore
from .vocab import CG, DCATDE, PREFIXES, bind_prefixes, instance_namespace

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
#: Creative Commons Rights Expression Language (cc:attributionName in VoID).
CC = Namespace("http://creativecommons.org/ns#")
#: DCAT 3 terms missing from rdflib's closed DCAT namespace (dcat:version).
DCAT3 = Namespace(str(DCAT))

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
FILE_TYPE = Namespace(EU_AUTHORITY + "file-type/")
DATA_THEME = Namespace(EU_AUTHORITY + "data-theme/")
LANGUAGE = Namespace(EU_AUTHORITY + "language/")
ACCESS_RIGHT = Namespace(EU_AUTHORITY + "access-right/")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

#: CC BY 4.0 in the DCAT-AP.de licence vocabulary (http://dcat-ap.de/def/licenses).
LICENSE = URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
#: Dortmund's official municipality key (Amtlicher Gemeindeschlüssel 05913000).
DORTMUND = URIRef("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05913000")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
WIKIDATA_URI_SPACE = "http://www.wikidata.org/entity/"

#: Extra prefixes of the catalog and VoID documents (besides vocab.PREFIXES).
CATALOG_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "vcard": str(VCARD),
    "spdx": str(SPDX),
    "adms": str(ADMS),
    "dcatde": str(DCATDE),
    "formats": str(FORMATS_NS),
    "cc": str(CC),
}

#: Format name (formats.py) → EU file-type code and W3C format IRI (for void:feature).
FILE_TYPES: dict[str, tuple[str, str]] = {
    "turtle": ("RDF_TURTLE", "Turtle"),
    "ntriples": ("RDF_N_TRIPLES", "N-Triples"),
    "jsonld": ("JSON_LD", "JSON-LD"),
    "rdfxml": ("RDF_XML", "RDF_XML"),
    "nquads": ("RDF_N_QUADS", "N-Quads"),
    "trig": ("RDF_TRIG", "TriG"),
}

#: The first words of every attribution; the credits the sources ask for follow (``attribution``).
ATTRIBUTION = "citygraph contributors"
#: The environment variable of reproducible-builds.org: the sources' time, in Unix seconds.
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"

Source = ox.Store | EmbeddedStore | Path


@dataclass(frozen=True)
class Iris:
    """The IRIs the catalog mints under one base IRI."""

    base: str

    @property
    def catalog(self) -> URIRef:
        """The dcat:Catalog (served at /catalog)."""
        return URIRef(self.base + "catalog")

    @property
    def dataset(self) -> URIRef:
        """The one dcat:Dataset, also the void:Dataset."""
        return URIRef(self.base + "dataset/citygraph")

    def distribution(self, fmt: Format) -> URIRef:
        """The dcat:Distribution of the dump in ``fmt``."""
        return URIRef(f"{self.dataset}/distribution/{fmt.name}")

    @property
    def service(self) -> URIRef:
        """The SPARQL endpoint as a dcat:DataService."""
        return URIRef(self.base + "service/sparql")

    @property
    def publisher(self) -> URIRef:
        """The publisher (a foaf:Agent)."""
        return URIRef(self.base + "catalog#publisher")

    @property
    def contact(self) -> URIRef:
        """The contact point (a vcard:Kind)."""
        return URIRef(self.base + "catalog#contact")

    @property
    def temporal(self) -> URIRef:
        """The dataset's temporal coverage (a dcterms:PeriodOfTime)."""
        return URIRef(self.base + "catalog#temporal-coverage")

    @property
    def homepage(self) -> URIRef:
        """The query page: the homepage of the project and the dataset's landing page."""
        return URIRef(self.base)

    @property
    def endpoint(self) -> URIRef:
        """The SPARQL endpoint URL."""
        return URIRef(self.base + "sparql")

    def dump(self, name: str) -> URIRef:
        """The download URL of a dump file."""
        return URIRef(self.base + "dump/" + name)

    @property
    def void(self) -> URIRef:
        """The VoID document (served at /.well-known/void)."""
        return URIRef(self.base + ".well-known/void")

    @property
    def linkset(self) -> URIRef:
        """The void:Linkset of the links to Wikidata."""
        return URIRef(f"{self.dataset}/linkset/wikidata")

    @property
    def wikidata(self) -> URIRef:
        """Wikidata, as the target void:Dataset of the linkset."""
        return URIRef(self.base + "dataset/wikidata")

    @property
    def shapes(self) -> URIRef:
        """The project's SHACL shapes (served at /shapes), which the dataset conforms to."""
        return URIRef(self.base + "shapes")



def dump_format(name: str) -> Format:
    """The format (formats.py) of a dump file, from its extension.

    >>> dump_format("citygraph.nq").name
    'nquads'
    """
    extension = name.rsplit(".", 1)[-1]
    fmt = by_extension(extension, DATASET_FORMATS) or by_extension(extension, GRAPH_FORMATS)
    if fmt is None:
        raise ValueError(f"no format for dump {name!r}")
    return fmt


def open_source(source: Source) -> ox.Store:
    """A pyoxigraph store over the build: an existing store, or the dataset file of a dist dir."""
    if isinstance(source, ox.Store):
        return source
    if isinstance(source, EmbeddedStore):
        return source.store
    path = source / DATASET_FILE if source.is_dir() else source
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    return store


def _rows(store: ox.Store, text: str) -> list[ox.QuerySolution]:
    result = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


def _int(term: object) -> int:
    assert isinstance(term, ox.Literal)
    return int(term.value)


def _count(store: ox.Store, text: str) -> int:
    rows = _rows(store, text)
    return _int(rows[0]["n"]) if rows else 0


def partnership_years(store: ox.Store) -> tuple[int, int] | None:
    """The earliest and the latest year of any partnership's start or end date (None if none)."""
    rows = _rows(store, """
        SELECT (MIN(?year) AS ?first) (MAX(?year) AS ?last) WHERE {
          ?partnership a cg:Partnership .
          { ?partnership schema:startDate ?date } UNION { ?partnership schema:endDate ?date }
          BIND (YEAR(?date) AS ?year)
        }""")
    if not rows or rows[0]["first"] is None:
        return None
    return _int(rows[0]["first"]), _int(rows[0]["last"])


def source_date(store: ox.Store, environ: Mapping[str, str] | None = None) -> date | datetime | None:
    """The date of the sources: ``SOURCE_DATE_EPOCH`` (a UTC time) when set, else the latest
    ``dcterms:modified``, ``dcterms:issued`` or ``dcterms:date`` (xsd:date or xsd:dateTime) of
    a source document in the data; None when the sources state no date."""
    env = os.environ if environ is None else environ
    epoch = env.get(SOURCE_DATE_EPOCH, "").strip()
    if epoch:
        if not re.fullmatch(r"[0-9]{1,12}", epoch):
            raise ConfigError(f"{SOURCE_DATE_EPOCH} must be a number of seconds since 1970-01-01 "
                              f"(reproducible-builds.org), not {epoch!r}")
        return datetime.fromtimestamp(int(epoch), UTC)
    latest: date | datetime | None = None
    for row in _rows(store, """
        SELECT DISTINCT ?d WHERE {
          ?source a/rdfs:subClassOf* cg:Source ; dcterms:modified|dcterms:issued|dcterms:date ?d
          FILTER (DATATYPE(?d) IN (xsd:date, xsd:dateTime))
        }"""):
        term = row["d"]
        assert isinstance(term, ox.Literal)
        value = _as_datetime(term)
        if value is not None and (latest is None or _as_utc(value) > _as_utc(latest)):
            latest = value
    return latest


def _as_datetime(term: ox.Literal) -> date | datetime | None:
    try:
        if term.datatype == ox.NamedNode(str(XSD.date)):
            return date.fromisoformat(term.value[:10])
        parsed = datetime.fromisoformat(term.value.replace("Z", "+00:00"))
    except ValueError:
        return None  # an ill-typed literal is reported by validation, not dated here
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_utc(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def date_literal(value: date | datetime) -> Literal:
    """``value`` as an xsd:dateTime (UTC, seconds) or xsd:date literal.

    >>> str(date_literal(datetime(2024, 5, 14, 12, 0, 30, 5, tzinfo=UTC)))
    '2024-05-14T12:00:30+00:00'
    >>> date_literal(date(2017, 11, 9)).datatype == XSD.date
    True
    """
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(timespec="seconds")
        return Literal(text, datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def last_modified(value: date | datetime) -> datetime:
    """The HTTP Last-Modified time of a source date (midnight UTC for a date)."""
    return _as_utc(value)


@dataclass(frozen=True)
class SourceInfo:
    """A licensed source the data derives from, as ``data/sources.ttl`` describes it."""

    iri: str
    title: str
    description: str
    licenses: tuple[str, ...]
    url: str | None
    credit: str | None


def licensed_sources(store: ox.Store) -> list[SourceInfo]:
    """Every source with a ``dcterms:license`` that some statement of the data (not only
    another source) is derived from, sorted by IRI (one value of each text: the least)."""
    out = []
    for row in _rows(store, """
        SELECT ?source (GROUP_CONCAT(DISTINCT STR(?lic); SEPARATOR=" ") AS ?licenses)
               (MIN(STR(?t)) AS ?title) (MIN(STR(?note)) AS ?description) (MIN(STR(?u)) AS ?url)
               (MIN(STR(?c)) AS ?credit) WHERE {
          ?source a/rdfs:subClassOf* cg:Source ; dcterms:license ?lic .
          FILTER (isIRI(?lic))
          FILTER EXISTS { ?node prov:wasDerivedFrom ?source
                          FILTER NOT EXISTS { ?node a/rdfs:subClassOf* cg:Source } }
          OPTIONAL { ?source dcterms:title ?t }
          OPTIONAL { ?source skos:editorialNote ?note FILTER (LANGMATCHES(LANG(?note), "en")) }
          OPTIONAL { ?source schema:url ?u }
          OPTIONAL { ?source schema:creditText ?c }
        } GROUP BY ?source ORDER BY STR(?source)"""):
        iri = str(row["source"].value)
        title = _value(row["title"]) or iri
        out.append(SourceInfo(
            iri=iri, title=title, description=_value(row["description"]) or title,
            licenses=tuple(sorted(str(row["licenses"].value).split())),
            url=_value(row["url"]), credit=_value(row["credit"])))
    return out


def _value(term: object) -> str | None:
    return str(term.value) if isinstance(term, ox.Literal) else None


def attribution(sources: list[SourceInfo]) -> str:
    """The attribution text of the dataset: its authors and every credit its sources ask for.

    >>> attribution([SourceInfo("s", "T", "D", ("l",), None, "GeoNames (geonames.org), CC BY 3.0")])
    'citygraph contributors; with data from GeoNames (geonames.org), CC BY 3.0'
    """
    credits = sorted({s.credit for s in sources if s.credit})
    return ATTRIBUTION + ("; with data from " + "; ".join(credits) if credits else "")


def _modified(graph: Graph, subject: URIRef, modified: date | datetime | None) -> None:
    if modified is not None:
        graph.add((subject, DCTERMS.modified, date_literal(modified)))


def _typed(graph: Graph, node: URIRef, cls: URIRef) -> URIRef:
    """State the range class of an IRI value (DCAT-AP 3.0.1's range shapes check it)."""
    graph.add((node, RDF.type, cls))
    return node


def _texts(graph: Graph, subject: URIRef, predicate: URIRef, de: str, en: str) -> None:
    graph.add((subject, predicate, Literal(de, lang="de")))
    graph.add((subject, predicate, Literal(en, lang="en")))


def _new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    for prefix, iri in CATALOG_PREFIXES.items():
        graph.bind(prefix, Namespace(iri), override=True, replace=True)
    return graph


def _agents(graph: Graph, iris: Iris) -> None:
    graph.add((iris.publisher, RDF.type, FOAF.Agent))
    graph.add((iris.publisher, FOAF.name, Literal("citygraph contributors")))
    graph.add((iris.publisher, FOAF.homepage, iris.homepage))
    # No e-mail address exists for the project, and DCAT-AP.de accepts vcard:hasURL instead.
    graph.add((iris.contact, RDF.type, VCARD.Kind))
    graph.add((iris.contact, VCARD.fn, Literal("citygraph contributors")))
    graph.add((iris.contact, VCARD.hasURL, iris.homepage))


def _range_classes(graph: Graph, iris: Iris) -> None:
    """The classes DCAT-AP 3.0.1 wants the catalog's IRI values to have (the ranges of
    dcterms:language, dcterms:license, foaf:homepage, … — true by RDFS, stated for validators)."""
    _typed(graph, iris.homepage, FOAF.Document)
    _typed(graph, iris.endpoint, RDFS.Resource)
    _typed(graph, LICENSE, DCTERMS.LicenseDocument)
    _typed(graph, DORTMUND, DCTERMS.Location)
    _typed(graph, ACCESS_RIGHT.PUBLIC, DCTERMS.RightsStatement)
    _typed(graph, SPARQL_PROTOCOL, DCTERMS.Standard)
    for language in (LANGUAGE.DEU, LANGUAGE.ENG):
        _typed(graph, language, DCTERMS.LinguisticSystem)


def _sources(graph: Graph, dataset: URIRef, sources: list[SourceInfo]) -> None:
    """Each licensed source as what ``dataset`` ``prov:wasDerivedFrom``, with its title, licence,
    landing page and the attribution it asks for (``cc:attributionName``). Not ``dcterms:source``:
    DCAT-AP wants its value to be a dcat:Dataset, which DCAT-AP.de requires to have a publisher,
    and the data states none for these sources."""
    for source in sources:
        node = URIRef(source.iri)
        graph.add((dataset, PROV.wasDerivedFrom, node))
        graph.add((node, DCTERMS.title, Literal(source.title, lang="en")))
        graph.add((node, DCTERMS.description, Literal(source.description, lang="en")))
        for license_ in source.licenses:
            graph.add((node, DCTERMS.license, _typed(graph, URIRef(license_), DCTERMS.LicenseDocument)))
        if source.url is not None:
            graph.add((node, DCAT.landingPage, _typed(graph, URIRef(source.url), FOAF.Document)))
        if source.credit:
            graph.add((node, CC.attributionName, Literal(source.credit)))


def catalog_graph(manifest: Manifest, settings: Settings, source: Source | None = None) -> Graph:
    """The DCAT-AP.de 3.0 catalog of a build: catalog, dataset, one distribution per dump and
    the SPARQL endpoint as a data service (``source``: the build's store or dataset file,
    default the dataset file in ``settings.dist_dir``)."""
    store = open_source(source if source is not None else settings.dist_dir)
    iris = Iris(settings.base_iri)
    modified = source_date(store)
    sources = licensed_sources(store)
    g = _new_graph()
    _agents(g, iris)
    _range_classes(g, iris)

    g.add((iris.catalog, RDF.type, DCAT.Catalog))
    _texts(g, iris.catalog, DCTERMS.title, "citygraph – Katalog", "citygraph catalog")
    _texts(g, iris.catalog, DCTERMS.description,
           "Katalog von citygraph: der Wissensgraph der internationalen Beziehungen von Städten "
           "(Städtepartnerschaften, Projekt- und Klimapartnerschaften), beginnend mit Dortmund, "
           "als Datensatz zum Herunterladen und als SPARQL-Endpunkt.",
           "Catalog of citygraph: the knowledge graph of cities' international relations (town "
           "twinnings, project and climate partnerships), starting with Dortmund, as a "
           "downloadable dataset and a SPARQL endpoint.")
    g.add((iris.catalog, DCTERMS.publisher, iris.publisher))
    g.add((iris.catalog, FOAF.homepage, iris.homepage))
    g.add((iris.catalog, DCTERMS.language, LANGUAGE.DEU))
    g.add((iris.catalog, DCTERMS.language, LANGUAGE.ENG))
    g.add((iris.catalog, DCTERMS.license, LICENSE))
    _modified(g, iris.catalog, modified)
    g.add((iris.catalog, DCTERMS.spatial, DORTMUND))
    g.add((iris.catalog, DCAT.themeTaxonomy, URIRef(str(DATA_THEME).rstrip("/"))))
    g.add((iris.catalog, DCAT.dataset, iris.dataset))
    g.add((iris.catalog, DCAT.service, iris.service))

    ds = iris.dataset
    g.add((ds, RDF.type, DCAT.Dataset))
    _texts(g, ds, DCTERMS.title,
           "citygraph: Städtepartnerschaften und internationale Beziehungen Dortmunds",
           "citygraph: Dortmund's town twinnings and international relations")
    _texts(g, ds, DCTERMS.description,
           "Die Städtepartnerschaften, Städtefreundschaften, Projekt- und Klimapartnerschaften "
           "der Stadt Dortmund als Linked Open Data: Partnerstädte, Status und Daten jeder "
           "Partnerschaft, Ratsbeschlüsse, Ereignisse, Organisationen und Personen, mit der "
           "Quelle jeder Aussage und Verknüpfungen zu Wikidata.",
           "The town twinnings, friendships, project and climate partnerships of the city of "
           "Dortmund as linked open data: partner cities, the status and dates of each "
           "partnership, council resolutions, events, organisations and people, with the source "
           "of every statement and links to Wikidata.")
    g.add((ds, DCTERMS.identifier, Literal(str(ds))))
    g.add((ds, DCAT3.version, Literal(manifest.version)))
    g.add((ds, DCTERMS.publisher, iris.publisher))
    g.add((ds, DCAT.contactPoint, iris.contact))
    g.add((ds, DCAT.landingPage, iris.homepage))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, DCTERMS.accessRights, ACCESS_RIGHT.PUBLIC))
    g.add((ds, DCTERMS.spatial, DORTMUND))
    _modified(g, ds, modified)
    g.add((ds, DCTERMS.conformsTo, _typed(g, iris.shapes, DCTERMS.Standard)))
    g.add((iris.shapes, DCTERMS.title, Literal("citygraph SHACL shapes", lang="en")))
    _sources(g, ds, sources)
    g.add((ds, DCTERMS.language, LANGUAGE.DEU))
    g.add((ds, DCTERMS.language, LANGUAGE.ENG))
    for theme in ("GOVE", "SOCI"):
        g.add((ds, DCAT.theme, DATA_THEME[theme]))
    for word in ("Städtepartnerschaft", "Städtediplomatie", "internationale Beziehungen",
                 "Dortmund", "Linked Open Data", "Wikidata"):
        g.add((ds, DCAT.keyword, Literal(word, lang="de")))
    for word in ("town twinning", "sister cities", "urban diplomacy", "Dortmund",
                 "linked open data", "Wikidata"):
        g.add((ds, DCAT.keyword, Literal(word, lang="en")))
    years = partnership_years(store)
    if years is not None:
        g.add((ds, DCTERMS.temporal, iris.temporal))
        g.add((iris.temporal, RDF.type, DCTERMS.PeriodOfTime))
        g.add((iris.temporal, DCAT.startDate, Literal(f"{years[0]:04d}", datatype=XSD.gYear)))
        g.add((iris.temporal, DCAT.endDate, Literal(f"{years[1]:04d}", datatype=XSD.gYear)))

    for name in DUMPS:
        info = manifest.files[name]
        fmt = dump_format(name)
        dist = iris.distribution(fmt)
        code, _ = FILE_TYPES[fmt.name]
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{name} ({FILE_TYPES[fmt.name][1]})")))
        _texts(g, dist, DCTERMS.description,
               f"Der ganze Datensatz als eine Datei ({fmt.media_type}).",
               f"The whole dataset as one file ({fmt.media_type}).")
        g.add((dist, DCAT.accessURL, iris.dump(name)))
        g.add((dist, DCAT.downloadURL, iris.dump(name)))
        g.add((dist, DCTERMS.format, _typed(g, FILE_TYPE[code], DCTERMS.MediaTypeOrExtent)))
        g.add((dist, DCAT.mediaType,
               _typed(g, URIRef(IANA_MEDIA_TYPES + fmt.media_type), DCTERMS.MediaType)))
        g.add((dist, DCAT.byteSize, Literal(int(info["bytes"]), datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(info["sha256"], datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.license, LICENSE))
        g.add((dist, DCATDE.licenseAttributionByText, Literal(attribution(sources))))
        _modified(g, dist, modified)

    svc = iris.service
    g.add((svc, RDF.type, DCAT.DataService))
    _texts(g, svc, DCTERMS.title, "citygraph SPARQL-Endpunkt", "citygraph SPARQL endpoint")
    _texts(g, svc, DCTERMS.description,
           "SPARQL-1.1-Endpunkt über den ganzen Datensatz (Standardgraph: Vereinigung aller "
           "benannten Graphen); GET ohne Anfrage liefert die Service Description.",
           "SPARQL 1.1 endpoint over the whole dataset (default graph: the union of all named "
           "graphs); GET without a query returns the service description.")
    g.add((svc, DCAT.endpointURL, iris.endpoint))
    g.add((svc, DCAT.endpointDescription, iris.endpoint))
    g.add((svc, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((svc, DCAT.servesDataset, ds))
    g.add((svc, DCTERMS.publisher, iris.publisher))
    g.add((svc, DCAT.contactPoint, iris.contact))
    g.add((svc, DCAT.landingPage, iris.homepage))
    g.add((svc, DCTERMS.license, LICENSE))
    g.add((svc, DCTERMS.accessRights, ACCESS_RIGHT.PUBLIC))
    g.add((svc, DCAT.keyword, Literal("SPARQL")))
    return g


@dataclass(frozen=True)
class VoidCounts:
    """The statistics VoID states about a build, each counted with SPARQL."""

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int
    wikidata_links: int
    class_partitions: Mapping[str, int]
    property_partitions: Mapping[str, int]
    vocabularies: tuple[str, ...]


def void_counts(store: ox.Store, base_iri: str) -> VoidCounts:
    """Count triples, entities, classes, properties, subjects, objects and Wikidata links of the
    merged graph (distinct triples of all named graphs) with SPARQL."""
    triples = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
    space = instance_namespace(base_iri)
    entities = _count(store, f"""
        SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), {_string(space)}))
        }}""")
    classes = {str(r["c"].value): _int(r["n"]) for r in _rows(store, """
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER isIRI(?c) } GROUP BY ?c""")}
    properties = {str(r["p"].value): _int(r["n"]) for r in _rows(store, f"""
        SELECT ?p (COUNT(*) AS ?n) WHERE {{ {{ {triples} }} }} GROUP BY ?p""")}
    vocabularies = tuple(sorted(str(r["ns"].value) for r in _rows(store, """
        SELECT DISTINCT ?ns WHERE {
          { ?s ?term ?o } UNION { ?s a ?term FILTER isIRI(?term) }
          BIND (REPLACE(STR(?term), "[^#/]*$", "") AS ?ns)
        }""")))
    return VoidCounts(
        triples=_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ {triples} }} }}"),
        entities=entities,
        classes=len(classes),
        properties=len(properties),
        distinct_subjects=_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_objects=_count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        wikidata_links=_count(store, """
            SELECT (COUNT(*) AS ?n) WHERE {
              SELECT DISTINCT ?s ?o WHERE { ?s cg:wikidataEntity ?o } }"""),
        class_partitions=dict(sorted(classes.items())),
        property_partitions=dict(sorted(properties.items())),
        vocabularies=vocabularies,
    )


@dataclass(frozen=True)
class SourceGraph:
    """A named graph of the data and the one source document it is derived from."""

    iri: str
    source: str
    title: str | None


def source_graphs(store: ox.Store) -> list[SourceGraph]:
    """Every named graph that names its source (``<graph> prov:wasDerivedFrom <source>`` in
    the graph itself: one per data file), with the source's title."""
    out = []
    for row in _rows(store, """
        SELECT ?g ?source (MIN(STR(?t)) AS ?title) WHERE {
          GRAPH ?g { ?g prov:wasDerivedFrom ?source }
          OPTIONAL { ?source dcterms:title ?t }
        } GROUP BY ?g ?source ORDER BY STR(?g) STR(?source)"""):
        out.append(SourceGraph(str(row["g"].value), str(row["source"].value), _value(row["title"])))
    return out


def _string(text: str) -> str:
    """A SPARQL string literal for a trusted constant (the configured base IRI)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def partition_iri(dataset: URIRef, kind: str, term: str) -> URIRef:
    """A stable IRI for the class or property partition of ``term`` (its prefixed name, or a
    hash when it has none).

    >>> partition_iri(URIRef("http://e/ds"), "class", "https://w3id.org/citygraph/ontology#City")
    rdflib.term.URIRef('http://e/ds/partition/class/cg-City')
    """
    for prefix, namespace in PREFIXES.items():
        local = term[len(namespace):]
        if term.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_.-]+", local):
            return URIRef(f"{dataset}/partition/{kind}/{prefix}-{local}")
    return URIRef(f"{dataset}/partition/{kind}/{hashlib.sha256(term.encode()).hexdigest()[:16]}")


def _n(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def void_graph(manifest: Manifest, settings: Settings, source: Source | None = None) -> Graph:
    """The VoID description of a build: statistics, partitions, endpoint, dumps, vocabularies
    and the linkset to Wikidata (``source``: the build's store or dataset file)."""
    store = open_source(source if source is not None else settings.dist_dir)
    counts = void_counts(store, settings.base_iri)
    sources = licensed_sources(store)
    iris = Iris(settings.base_iri)
    ds = iris.dataset
    g = _new_graph()

    g.add((iris.void, RDF.type, VOID.DatasetDescription))
    g.add((iris.void, DCTERMS.title, Literal("VoID description of citygraph", lang="en")))
    g.add((iris.void, FOAF.primaryTopic, ds))

    g.add((ds, RDF.type, VOID.Dataset))
    _texts(g, ds, DCTERMS.title,
           "citygraph: Städtepartnerschaften und internationale Beziehungen Dortmunds",
           "citygraph: Dortmund's town twinnings and international relations")
    g.add((ds, DCTERMS.publisher, iris.publisher))
    g.add((iris.publisher, RDF.type, FOAF.Agent))
    g.add((iris.publisher, FOAF.name, Literal("citygraph contributors")))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, CC.attributionName, Literal(attribution(sources))))
    _modified(g, ds, source_date(store))
    g.add((ds, FOAF.homepage, iris.homepage))
    g.add((ds, DCTERMS.conformsTo, iris.shapes))
    for used in sources:
        node = URIRef(used.iri)
        g.add((ds, DCTERMS.source, node))
        g.add((node, DCTERMS.title, Literal(used.title, lang="en")))
        for license_ in used.licenses:
            g.add((node, DCTERMS.license, URIRef(license_)))
        if used.url is not None:
            g.add((node, FOAF.homepage, URIRef(used.url)))
        if used.credit:
            g.add((node, CC.attributionName, Literal(used.credit)))
    g.add((ds, VOID.sparqlEndpoint, iris.endpoint))
    g.add((ds, VOID.uriSpace, Literal(instance_namespace(settings.base_iri))))
    root = instance_namespace(settings.base_iri) + "city/dortmund"
    if store.query(f"ASK {{ <{root}> ?p ?o }}", use_default_graph_as_union=True):
        g.add((ds, VOID.rootResource, URIRef(root)))
    for name in DUMPS:
        g.add((ds, VOID.dataDump, iris.dump(name)))
        g.add((ds, VOID.feature, FORMATS_NS[FILE_TYPES[dump_format(name).name][1]]))
    for namespace in counts.vocabularies:
        if namespace.startswith(("http://", "https://")):
            g.add((ds, VOID.vocabulary, URIRef(namespace)))
    g.add((ds, VOID.triples, _n(counts.triples)))
    g.add((ds, VOID.entities, _n(counts.entities)))
    g.add((ds, VOID.classes, _n(counts.classes)))
    g.add((ds, VOID.properties, _n(counts.properties)))
    g.add((ds, VOID.distinctSubjects, _n(counts.distinct_subjects)))
    g.add((ds, VOID.distinctObjects, _n(counts.distinct_objects)))
    for cls, entities in counts.class_partitions.items():
        node = partition_iri(ds, "class", cls)
        g.add((ds, VOID.classPartition, node))
        g.add((node, VOID["class"], URIRef(cls)))
        g.add((node, VOID.entities, _n(entities)))
    for prop, triples in counts.property_partitions.items():
        node = partition_iri(ds, "property", prop)
        g.add((ds, VOID.propertyPartition, node))
        g.add((node, VOID.property, URIRef(prop)))
        g.add((node, VOID.triples, _n(triples)))

    for part in source_graphs(store):
        # one subset per data file: the named graph, its size and the one document it comes from
        node = URIRef(part.iri)
        g.add((ds, VOID.subset, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, PROV.wasDerivedFrom, URIRef(part.source)))
        g.add((node, DCTERMS.source, URIRef(part.source)))
        if part.iri in manifest.graphs:
            g.add((node, VOID.triples, _n(manifest.graphs[part.iri])))
        g.add((node, DCTERMS.title, Literal(
            f"Named graph {part.iri.rsplit('/graph/', 1)[-1]}" + (f": {part.title}" if part.title else ""),
            lang="en")))

    wd = iris.wikidata
    g.add((wd, RDF.type, VOID.Dataset))
    g.add((wd, DCTERMS.title, Literal("Wikidata")))
    g.add((wd, FOAF.homepage, URIRef("https://www.wikidata.org/")))
    g.add((wd, VOID.uriSpace, Literal(WIKIDATA_URI_SPACE)))
    g.add((wd, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))

    ls = iris.linkset
    g.add((ds, VOID.subset, ls))
    g.add((ls, RDF.type, VOID.Linkset))
    _texts(g, ls, DCTERMS.title, "Verknüpfungen zu Wikidata", "Links to Wikidata")
    g.add((ls, VOID.subjectsTarget, ds))
    g.add((ls, VOID.objectsTarget, wd))
    g.add((ls, VOID.linkPredicate, CG.wikidataEntity))
    g.add((ls, VOID.triples, _n(counts.wikidata_links)))
    return g


def describe(manifest: Manifest, settings: Settings, source: Source) -> dict[str, bytes]:
    """The catalog and VoID documents of a build as Turtle files (name → content)."""
    store = open_source(source)
    return {
        CATALOG_FILE: catalog_graph(manifest, settings, store).serialize(format="turtle")
        .encode("utf-8"),
        VOID_FILE: void_graph(manifest, settings, store).serialize(format="turtle")
        .encode("utf-8"),
    }


CATALOG_FILE = "catalog.ttl"
VOID_FILE = "void.ttl"
