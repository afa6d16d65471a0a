"""The DCAT-AP.de 3.0 catalog and the VoID description of the real build.

The catalog is validated with pyshacl against the official shapes of the GovData DCAT-AP.de 3.0
profile (SEMIC DCAT-AP 3.0.0 + the five DCAT-AP.de 3.0 files) vendored in ``reference/dcat-ap``,
with imports off and the few vocabulary concepts the shapes look up loaded from
``tests/fixtures/dcat/``. The VoID numbers are checked against counts made independently with
rdflib's own SPARQL engine over the N-Quads file, and against the files on disk.
"""

from __future__ import annotations

import doctest
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, VOID, XSD

import citygraph.catalog as catalog_module
from citygraph.catalog import (
    CATALOG_FILE,
    DORTMUND,
    LICENSE,
    SPDX,
    VOID_FILE,
    Iris,
    catalog_graph,
    partnership_years,
    void_counts,
    void_graph,
)
from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.publish import DATASET_FILE, DUMPS
from citygraph.terms import to_rdflib
from citygraph.vocab import CG, PREFIXES

REPO = Path(__file__).resolve().parents[1]
DCAT_AP = REPO / "reference" / "dcat-ap"
#: The GovData DCAT-AP.de 3.0 profile: SEMIC DCAT-AP 3.0.0 plus the DCAT-AP.de 3.0 shapes.
SHAPE_FILES = (DCAT_AP / "semic-dcat-ap-3.0.0" / "shacl" / "dcat-ap-SHACL.ttl",
               *sorted((DCAT_AP / "dcat-ap.de-3.0" / "shacl").glob("*.ttl")))
VOCABULARIES = sorted((REPO / "tests" / "fixtures" / "dcat").glob("*.ttl"))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The official shapes, merged (their owl:imports are never followed)."""
    missing = [str(p) for p in SHAPE_FILES if not p.is_file()]
    assert len(SHAPE_FILES) == 6 and not missing, f"DCAT-AP shapes missing: {missing}"
    graph = Graph()
    for path in SHAPE_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    """The vocabulary concepts the shapes look up (licence, languages, file types, ...)."""
    assert VOCABULARIES, "tests/fixtures/dcat/*.ttl missing"
    graph = Graph()
    for path in VOCABULARIES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def catalog(built: BuildResult, settings: Settings) -> Graph:
    """The catalog of the session build, computed from its dataset file."""
    return catalog_graph(built.manifest, settings)


@pytest.fixture(scope="module")
def merged(built: BuildResult) -> Graph:
    """The build's merged graph (distinct triples of all named graphs of the N-Quads file)."""
    graph = Graph()
    for quad in ox.parse(path=str(built.dist / DATASET_FILE), format=ox.RdfFormat.N_QUADS):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def number(node: object) -> int:
    """The integer value of an RDF literal."""
    assert isinstance(node, Literal), node
    return int(str(node))


def shacl_results(data: Graph, shapes: Graph) -> list[tuple[str, str, str, str]]:
    """Every validation result as (severity, focus node, path, message), sorted."""
    _, report, _ = validate(data, shacl_graph=shapes, do_owl_imports=False, inference="none",
                            allow_warnings=True, allow_infos=True)
    assert isinstance(report, Graph)
    rows = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        rows.append((str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                     str(report.value(result, SH.focusNode)),
                     str(report.value(result, SH.resultPath)),
                     str(report.value(result, SH.resultMessage))))
    return sorted(rows)


def violations(data: Graph, shapes: Graph) -> list[tuple[str, str, str, str]]:
    """The results of severity sh:Violation."""
    return [row for row in shacl_results(data, shapes) if row[0] == "Violation"]


def test_catalog_conforms_to_dcat_ap_de_3(catalog: Graph, shapes: Graph,
                                          vocabularies: Graph) -> None:
    found = violations(catalog + vocabularies, shapes)
    for row in found:
        print(*row, sep="\n  ")
    assert found == []


@pytest.mark.parametrize("breakage", ["distribution without licence", "no vocabularies",
                                      "dataset without description"])
def test_the_shapes_do_find_violations(catalog: Graph, shapes: Graph, vocabularies: Graph,
                                       settings: Settings, breakage: str) -> None:
    """Guards the test above: a broken catalog does get violations from the same shapes."""
    data = catalog + vocabularies
    iris = Iris(settings.base_iri)
    if breakage == "distribution without licence":
        dist = next(iter(catalog.objects(iris.dataset, DCAT.distribution)))
        data.remove((dist, DCTERMS.license, None))
    elif breakage == "no vocabularies":
        data = catalog
    else:
        data.remove((iris.dataset, DCTERMS.description, None))
    assert violations(data, shapes)


def test_build_writes_catalog_and_void(built: BuildResult, settings: Settings,
                                       catalog: Graph) -> None:
    for name in (CATALOG_FILE, VOID_FILE):
        path = built.dist / name
        assert path.is_file()
        content = path.read_bytes()
        assert built.manifest.files[name]["sha256"] == hashlib.sha256(content).hexdigest()
    assert isomorphic(Graph().parse(built.dist / CATALOG_FILE, format="turtle"), catalog)
    written_void = Graph().parse(built.dist / VOID_FILE, format="turtle")
    assert isomorphic(written_void, void_graph(built.manifest, settings))


def test_catalog_describes_the_build(catalog: Graph, built: BuildResult,
                                     settings: Settings) -> None:
    iris = Iris(settings.base_iri)
    modified = Literal(built.manifest.built, datatype=XSD.dateTime)
    assert set(catalog.subjects(RDF.type, DCAT.Catalog)) == {iris.catalog}
    assert set(catalog.objects(iris.catalog, DCAT.dataset)) == {iris.dataset}
    assert set(catalog.objects(iris.catalog, DCAT.service)) == {iris.service}
    for subject in (iris.catalog, iris.dataset):
        assert catalog.value(subject, DCTERMS.modified) == modified
        languages = {getattr(t, "language", None) for t in catalog.objects(subject, DCTERMS.title)}
        assert {"de", "en"} <= languages
    assert catalog.value(iris.dataset, DCTERMS.spatial) == DORTMUND
    assert set(catalog.objects(None, DCTERMS.license)) == {LICENSE}
    service = iris.service
    assert catalog.value(service, DCAT.endpointURL) == URIRef(settings.base_iri + "sparql")
    assert catalog.value(service, DCAT.servesDataset) == iris.dataset


def test_one_distribution_per_dump_with_real_size_and_hash(catalog: Graph, built: BuildResult,
                                                           settings: Settings) -> None:
    iris = Iris(settings.base_iri)
    distributions = set(catalog.objects(iris.dataset, DCAT.distribution))
    assert len(distributions) == len(DUMPS)
    by_url = {str(catalog.value(d, DCAT.downloadURL)): d for d in distributions}
    assert set(by_url) == {settings.base_iri + "dump/" + name for name in DUMPS}
    for name in DUMPS:
        dist = by_url[settings.base_iri + "dump/" + name]
        content = (built.dist / name).read_bytes()
        assert catalog.value(dist, DCAT.accessURL) == URIRef(settings.base_iri + "dump/" + name)
        assert number(catalog.value(dist, DCAT.byteSize)) == len(content)
        checksum = catalog.value(dist, SPDX.checksum)
        assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = catalog.value(checksum, SPDX.checksumValue)
        assert str(value) == hashlib.sha256(content).hexdigest()
        media = str(catalog.value(dist, DCAT.mediaType))
        assert media.startswith("https://www.iana.org/assignments/media-types/")
        assert str(catalog.value(dist, DCTERMS.format)).startswith(
            "http://publications.europa.eu/resource/authority/file-type/")


def test_temporal_coverage_is_the_span_of_partnership_dates(catalog: Graph, merged: Graph,
                                                            settings: Settings) -> None:
    years = {int(str(row[0])[:4]) for row in merged.query(  # type: ignore[index]
        "SELECT ?d WHERE { ?p a cg:Partnership . "
        "{ ?p schema:startDate ?d } UNION { ?p schema:endDate ?d } }", initNs=PREFIXES)}
    assert years, "the build has no partnership dates"
    period = catalog.value(Iris(settings.base_iri).dataset, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in catalog
    assert catalog.value(period, DCAT.startDate) == Literal(f"{min(years)}", datatype=XSD.gYear)
    assert catalog.value(period, DCAT.endDate) == Literal(f"{max(years)}", datatype=XSD.gYear)


def _store(turtle: str) -> ox.Store:
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://e/g"))
    return store


def test_partnership_years_mixes_date_precisions() -> None:
    store = _store("""
        @prefix cg: <https://w3id.org/citygraph/ontology#> .
        @prefix schema: <https://schema.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <http://e/a> a cg:Partnership ; schema:startDate "1978-05"^^xsd:gYearMonth .
        <http://e/b> a cg:Partnership ; schema:startDate "2001-02-03"^^xsd:date ;
                     schema:endDate "2019"^^xsd:gYear .
        <http://e/c> schema:startDate "1900"^^xsd:gYear .   # not a partnership
    """)
    assert partnership_years(store) == (1978, 2019)
    assert partnership_years(_store("<http://e/a> <http://e/b> <http://e/c> .")) is None


def _count(graph: Graph, text: str) -> int:
    rows = list(graph.query(text, initNs=PREFIXES))
    return number(rows[0][0])  # type: ignore[index]


@pytest.fixture(scope="module")
def void(built: BuildResult, settings: Settings) -> Graph:
    """The VoID description of the session build."""
    return void_graph(built.manifest, settings)


def test_void_counts_match_independent_counts(void: Graph, merged: Graph,
                                              settings: Settings) -> None:
    ds = Iris(settings.base_iri).dataset
    space = settings.base_iri + "id/"
    expected = {
        VOID.triples: len(merged),
        VOID.entities: _count(merged, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
                                      f"FILTER (isIRI(?s) && STRSTARTS(STR(?s), \"{space}\")) }}"),
        VOID.classes: _count(merged, "SELECT (COUNT(DISTINCT ?c) AS ?n) "
                                     "WHERE { ?s a ?c FILTER isIRI(?c) }"),
        VOID.properties: _count(merged, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"),
        VOID.distinctSubjects: len(set(merged.subjects())),
        VOID.distinctObjects: len(set(merged.objects())),
    }
    assert expected[VOID.triples] > 1000 and expected[VOID.entities] > 50
    stated = {p: number(void.value(ds, p)) for p in expected}
    assert stated == expected


def test_void_partitions_match_independent_counts(void: Graph, merged: Graph,
                                                  settings: Settings) -> None:
    ds = Iris(settings.base_iri).dataset
    classes = {void.value(p, VOID["class"]): number(void.value(p, VOID.entities))
               for p in void.objects(ds, VOID.classPartition)}
    assert classes[CG.Partnership] == len(set(merged.subjects(RDF.type, CG.Partnership)))
    assert len(classes) == number(void.value(ds, VOID.classes))
    properties = {void.value(p, VOID.property): number(void.value(p, VOID.triples))
                  for p in void.objects(ds, VOID.propertyPartition)}
    assert sum(properties.values()) == len(merged)
    assert properties[RDF.type] == len(list(merged.triples((None, RDF.type, None))))
    vocabularies = {str(v) for v in void.objects(ds, VOID.vocabulary)}
    assert {str(CG), str(PREFIXES["schema"]), str(PREFIXES["prov"])} <= vocabularies


def test_linkset_counts_the_wikidata_links(void: Graph, merged: Graph,
                                           settings: Settings) -> None:
    iris = Iris(settings.base_iri)
    links = len(list(merged.triples((None, CG.wikidataEntity, None))))
    assert links > 0
    assert (iris.dataset, VOID.subset, iris.linkset) in void
    assert void.value(iris.linkset, VOID.linkPredicate) == CG.wikidataEntity
    assert number(void.value(iris.linkset, VOID.triples)) == links
    assert void.value(iris.linkset, VOID.subjectsTarget) == iris.dataset
    target = void.value(iris.linkset, VOID.objectsTarget)
    assert str(void.value(target, VOID.uriSpace)) == "http://www.wikidata.org/entity/"


def test_void_links_endpoint_and_dumps(void: Graph, settings: Settings) -> None:
    ds = Iris(settings.base_iri).dataset
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(settings.base_iri + "sparql")
    assert set(void.objects(ds, VOID.dataDump)) == {
        URIRef(settings.base_iri + "dump/" + name) for name in DUMPS}
    assert str(void.value(ds, VOID.uriSpace)) == settings.base_iri + "id/"
    assert void.value(ds, DCTERMS.license) == LICENSE


def test_counts_follow_the_data(settings: Settings) -> None:
    """The numbers come from the data: one more link and one more class change them."""
    base = """
        @prefix cg: <https://w3id.org/citygraph/ontology#> .
        <https://w3id.org/citygraph/id/city/a> a cg:City ;
            cg:wikidataEntity <http://www.wikidata.org/entity/Q1> .
    """
    before = void_counts(_store(base), settings.base_iri)
    after = void_counts(_store(base + """
        <https://w3id.org/citygraph/id/city/b> a cg:Town ;
            cg:wikidataEntity <http://www.wikidata.org/entity/Q2> .
    """), settings.base_iri)
    assert (before.triples, before.entities, before.classes, before.wikidata_links) == (2, 1, 1, 1)
    assert (after.triples, after.entities, after.classes, after.wikidata_links) == (4, 2, 2, 2)


def test_iris_follow_the_base_iri(built: BuildResult, settings: Settings) -> None:
    other = settings.replace(base_iri="http://example.org/cg/")
    graph = catalog_graph(built.manifest, other, built.dist)
    assert (URIRef("http://example.org/cg/catalog"), RDF.type, DCAT.Catalog) in graph
    assert not [s for s in graph.subjects() if str(s).startswith(settings.base_iri)]



def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(catalog_module, optionflags=doctest.ELLIPSIS)
    assert failures == 0 and tried > 0
