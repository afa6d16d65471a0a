"""The DCAT-AP catalog and the VoID description of the real build.

The catalog is validated with pyshacl against the official shapes vendored in
``reference/dcat-ap`` — SEMIC DCAT-AP 3.0.1 (``releases/3.0.1/shacl``: the shapes and their range
shapes) and the GovData DCAT-AP.de 3.0 profile (SEMIC DCAT-AP 3.0.0 + the five DCAT-AP.de 3.0
files) — with imports off and the few vocabulary concepts the shapes look up loaded from
``tests/fixtures/dcat/``. Builds are reproducible: two builds of the same sources are
byte-identical but for ``manifest.json``. The VoID numbers are checked against counts made independently with
rdflib's own SPARQL engine over the N-Quads file, and against the files on disk.
"""

from __future__ import annotations

import doctest
import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, SH, VOID, XSD

import citygraph.catalog as catalog_module
from citygraph.catalog import (
    CATALOG_FILE,
    CC,
    DORTMUND,
    LICENSE,
    SPDX,
    VOID_FILE,
    Iris,
    catalog_graph,
    partnership_years,
    source_date,
    void_counts,
    void_graph,
)
from citygraph.config import Settings
from citygraph.errors import ConfigError
from citygraph.pipeline import BuildResult, build
from citygraph.publish import DATASET_FILE, DUMPS, MANIFEST_FILE
from citygraph.terms import to_rdflib
from citygraph.vocab import CG, DCATDE, PREFIXES

REPO = Path(__file__).resolve().parents[1]
DCAT_AP = REPO / "reference" / "dcat-ap"
#: Each profile the catalog must conform to → its official shape files.
PROFILES: dict[str, tuple[Path, ...]] = {
    # GovData DCAT-AP.de 3.0: SEMIC DCAT-AP 3.0.0 plus the DCAT-AP.de 3.0 shapes.
    "DCAT-AP.de 3.0": (DCAT_AP / "semic-dcat-ap-3.0.0" / "shacl" / "dcat-ap-SHACL.ttl",
                       *sorted((DCAT_AP / "dcat-ap.de-3.0" / "shacl").glob("*.ttl"))),
    # SEMIC DCAT-AP 3.0.1, releases/3.0.1/shacl: the shapes and the range (class) shapes.
    "DCAT-AP 3.0.1": (DCAT_AP / "semic-dcat-ap-3.0.1" / "shacl" / "dcat-ap-SHACL.ttl",
                      DCAT_AP / "semic-dcat-ap-3.0.1" / "shacl" / "ranges.ttl"),
}
SHAPE_COUNTS = {"DCAT-AP.de 3.0": 6, "DCAT-AP 3.0.1": 2}
VOCABULARIES = sorted((REPO / "tests" / "fixtures" / "dcat").glob("*.ttl"))


def load_shapes(paths: tuple[Path, ...]) -> Graph:
    """The shape files merged (their owl:imports never followed).

    The 3.0.1 release names five property shapes (``sh:property``) that it never defines (e.g.
    ``dcat:DatasetShape/4918ff7a…`` in ranges.ttl); pyshacl refuses such a reference, so those
    references — constraints the release does not contain — are dropped, nothing else.
    """
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    for shape, prop in list(graph.subject_objects(SH.property)):
        if graph.value(prop, SH.path) is None:
            graph.remove((shape, SH.property, prop))
    return graph


@pytest.fixture(scope="module", params=list(PROFILES))
def shapes(request: pytest.FixtureRequest) -> Graph:
    """The official shapes of one profile, merged."""
    paths = PROFILES[request.param]
    missing = [str(p) for p in paths if not p.is_file()]
    assert len(paths) == SHAPE_COUNTS[request.param] and not missing, f"shapes missing: {missing}"
    return load_shapes(paths)


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


def test_catalog_conforms_to_each_profile(catalog: Graph, shapes: Graph,
                                          vocabularies: Graph) -> None:
    found = violations(catalog + vocabularies, shapes)
    for row in found:
        print(*row, sep="\n  ")
    assert found == []


def test_dcat_ap_de_wants_a_licence_on_every_distribution(catalog: Graph, vocabularies: Graph,
                                                          settings: Settings) -> None:
    data = catalog + vocabularies
    dist = next(iter(catalog.objects(Iris(settings.base_iri).dataset, DCAT.distribution)))
    data.remove((dist, DCTERMS.license, None))
    found = violations(data, load_shapes(PROFILES["DCAT-AP.de 3.0"]))
    assert [(row[1], row[2]) for row in found] == [(str(dist), str(DCTERMS.license))]


def test_catalog_has_no_warnings_either(catalog: Graph, shapes: Graph, vocabularies: Graph) -> None:
    assert shacl_results(catalog + vocabularies, shapes) == []


def test_the_3_0_1_range_shapes_want_classes(catalog: Graph, vocabularies: Graph,
                                             settings: Settings) -> None:
    """Guards the profile test: without the class of its homepage the catalog fails 3.0.1."""
    shapes = load_shapes(PROFILES["DCAT-AP 3.0.1"])
    data = catalog + vocabularies
    data.remove((URIRef(settings.base_iri), RDF.type, FOAF.Document))
    paths = {(row[1], row[2]) for row in violations(data, shapes)}
    assert (settings.base_iri + "catalog", str(FOAF.homepage)) in paths
    assert (str(Iris(settings.base_iri).dataset), str(DCAT.landingPage)) in paths


@pytest.mark.parametrize("breakage", ["distribution without access URL", "no vocabularies",
                                      "dataset without description"])
def test_the_shapes_do_find_violations(catalog: Graph, shapes: Graph, vocabularies: Graph,
                                       settings: Settings, breakage: str) -> None:
    """Guards the test above: a broken catalog does get violations from the same shapes."""
    data = catalog + vocabularies
    iris = Iris(settings.base_iri)
    if breakage == "distribution without access URL":
        dist = next(iter(catalog.objects(iris.dataset, DCAT.distribution)))
        data.remove((dist, DCAT.accessURL, None))
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
    # The latest date of the sources (GeoNames dump 2016-03-15, crawl 2016-09-10, Natural Earth
    # 2017-11-09, ...), never the build time (SOURCE_DATE_EPOCH is unset in the test session).
    modified = Literal(max(date.fromisoformat(str(d)) for d in merged_source_dates(built)),
                       datatype=XSD.date)
    assert str(modified) != built.manifest.built[:10]
    assert set(catalog.subjects(RDF.type, DCAT.Catalog)) == {iris.catalog}
    assert set(catalog.objects(iris.catalog, DCAT.dataset)) == {iris.dataset}
    assert set(catalog.objects(iris.catalog, DCAT.service)) == {iris.service}
    for subject in (iris.catalog, iris.dataset):
        assert catalog.value(subject, DCTERMS.modified) == modified
        languages = {getattr(t, "language", None) for t in catalog.objects(subject, DCTERMS.title)}
        assert {"de", "en"} <= languages
    assert catalog.value(iris.dataset, DCTERMS.spatial) == DORTMUND
    ours = {iris.catalog, iris.dataset, iris.service, *catalog.objects(iris.dataset, DCAT.distribution)}
    assert {catalog.value(s, DCTERMS.license) for s in ours} == {LICENSE}
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
    # Only the IRIs the catalog mints follow it; the sources are the data's own nodes (id/…).
    minted = [s for s in graph.subjects() if str(s).startswith(settings.base_iri)
              and not str(s).startswith(settings.base_iri + "id/source/")]
    assert not minted



def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(catalog_module, optionflags=doctest.ELLIPSIS)
    assert failures == 0 and tried > 0


def merged_source_dates(built: BuildResult) -> list[str]:
    """The xsd:date values of dcterms:date/issued/modified on source documents, read with rdflib."""
    graph = Graph()
    for quad in ox.parse(path=str(built.dist / DATASET_FILE), format=ox.RdfFormat.N_QUADS):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    rows = graph.query("""SELECT ?d WHERE { ?s a ?c . ?c rdfs:subClassOf* cg:Source .
                           ?s dcterms:date|dcterms:issued|dcterms:modified ?d
                           FILTER (DATATYPE(?d) = xsd:date) }""", initNs=PREFIXES)
    return [str(row[0]) for row in rows]  # type: ignore[index]


def test_dataset_conforms_to_the_project_shapes(catalog: Graph, void: Graph,
                                                settings: Settings) -> None:
    iris = Iris(settings.base_iri)
    shapes = URIRef(settings.base_iri + "shapes")
    assert catalog.value(iris.dataset, DCTERMS.conformsTo) == shapes
    assert (shapes, RDF.type, DCTERMS.Standard) in catalog
    assert void.value(iris.dataset, DCTERMS.conformsTo) == shapes


#: What data/sources.ttl states of the licensed sources the data derives from.
SOURCES = {
    "geonames-cities15000": ("https://creativecommons.org/licenses/by/3.0/",
                             "GeoNames (geonames.org), CC BY 3.0", "https://github.com/dutc/wmeet"),
    "natural-earth-populated-places": ("https://creativecommons.org/publicdomain/zero/1.0/", None,
                                       "https://github.com/martynafford/natural-earth-geojson"),
    "wikidata-sister-cities-2016": ("https://creativecommons.org/publicdomain/zero/1.0/", None,
                                    "https://github.com/L3viathan/sister-cities"),
    "wikipedia-en-list-of-twin-towns": ("https://creativecommons.org/licenses/by-sa/4.0/", None, None),
}


def test_catalog_and_void_state_each_sources_licence_and_attribution(
        catalog: Graph, void: Graph, settings: Settings) -> None:
    iris = Iris(settings.base_iri)
    space = settings.base_iri + "id/source/"
    for graph, link in ((catalog, PROV.wasDerivedFrom), (void, DCTERMS.source)):
        stated = {str(s)[len(space):]: (str(graph.value(s, DCTERMS.license)),
                                        graph.value(s, CC.attributionName),
                                        graph.value(s, DCAT.landingPage if graph is catalog
                                                    else FOAF.homepage))
                  for s in graph.objects(iris.dataset, link)}
        assert {k: (lic, None if credit is None else str(credit), None if url is None else str(url))
                for k, (lic, credit, url) in stated.items()} == SOURCES
    # No share-alike coordinates: the ODbL database is cited only as QID evidence, not a source.
    assert not [o for o in catalog.objects() if "odbl" in str(o).lower()]
    for dist in catalog.objects(iris.dataset, DCAT.distribution):
        text = str(catalog.value(dist, DCATDE.licenseAttributionByText))
        assert text == "citygraph contributors; with data from GeoNames (geonames.org), CC BY 3.0"
    assert str(void.value(iris.dataset, CC.attributionName)) == text


def build_files(root: Path, dist: Path, settings: Settings) -> dict[str, bytes]:
    """Build ``root`` into ``dist``; every file of the build but the manifest, by name."""
    result = build(settings.replace(root=root, dist=dist))
    files = {p.name: p.read_bytes() for p in result.dist.iterdir() if p.name != MANIFEST_FILE}
    assert {CATALOG_FILE, VOID_FILE, *DUMPS} <= set(files)
    return files


def test_two_builds_are_byte_identical(small_project: Path, tmp_path: Path,
                                       settings: Settings) -> None:
    first = build_files(small_project, tmp_path / "a", settings)
    second = build_files(small_project, tmp_path / "b", settings)
    assert first == second
    # Only the manifest knows when the build ran.
    assert b"built" in (tmp_path / "a" / MANIFEST_FILE).read_bytes()
    for name in (CATALOG_FILE, VOID_FILE):
        assert b"2024-05-14" in first[name]  # the one source date of the small project


def test_the_real_build_is_reproducible(built: BuildResult, settings: Settings,
                                        tmp_path: Path) -> None:
    again = build_files(settings.root, tmp_path / "dist", settings)
    session = {p.name: p.read_bytes() for p in built.dist.iterdir() if p.name != MANIFEST_FILE}
    assert sorted(again) == sorted(session)
    differing = [name for name in session if session[name] != again[name]]
    assert differing == []


def test_source_date_epoch_is_honoured(small_project: Path, tmp_path: Path, settings: Settings,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    files = build_files(small_project, tmp_path / "dist", settings)
    expected = Literal(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), datatype=XSD.dateTime)
    iris = Iris(settings.base_iri)
    catalog = Graph().parse(data=files[CATALOG_FILE], format="turtle")
    void = Graph().parse(data=files[VOID_FILE], format="turtle")
    assert catalog.value(iris.dataset, DCTERMS.modified) == expected
    assert catalog.value(iris.catalog, DCTERMS.modified) == expected
    assert void.value(iris.dataset, DCTERMS.modified) == expected
    assert b"2024-05-14" not in files[CATALOG_FILE]


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5", "1e9"])
def test_a_malformed_source_date_epoch_is_a_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        source_date(ox.Store(), {"SOURCE_DATE_EPOCH": value})


def test_source_date_is_the_latest_date_of_a_source() -> None:
    store = _store("""
        @prefix cg: <https://w3id.org/citygraph/ontology#> .
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <http://e/a> a cg:Source ; dcterms:date "2016-03-15"^^xsd:date .
        <http://e/b> a cg:Source ; dcterms:modified "2020-01-02T10:00:00+02:00"^^xsd:dateTime .
        <http://e/c> a cg:Source ; dcterms:issued "2021"^^xsd:gYear .
        <http://e/x> dcterms:date "2030-01-01"^^xsd:date .   # not a source
    """)
    assert source_date(store, {}) == datetime(2020, 1, 2, 8, 0, tzinfo=UTC)
    assert source_date(store, {"SOURCE_DATE_EPOCH": "0"}) == datetime(1970, 1, 1, tzinfo=UTC)
    assert source_date(_store("<http://e/a> <http://e/b> <http://e/c> ."), {}) is None
