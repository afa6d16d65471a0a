"""The build: named graphs per source, inferred graph, validation, atomic and repeatable output."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.errors import DataSyntaxError, ValidationFailed
from citygraph.pipeline import BuildResult, build, check_queries, is_stale
from citygraph.publish import DUMPS, Manifest

if TYPE_CHECKING:
    from conftest import Background, StartBackground

GRAPH = "https://w3id.org/citygraph/graph/"
CITYGRAPH = str(Path(sys.executable).with_name("citygraph"))  # the installed console script


@dataclass(frozen=True)
class SecondBuild:
    """A build of the repository by the installed command in another process."""

    run: Background
    dist: Path
    seed: str


@pytest.fixture(scope="module", autouse=True)
def second_build(request: pytest.FixtureRequest, repo: Path, start_background: StartBackground,
                 tmp_path_factory: pytest.TempPathFactory) -> SecondBuild | None:
    """The real project built again in a fresh process, with a hash seed unlike this one's.

    Started with this module's first test (when the byte-identity test is selected), so that
    it runs on the other core while the module's small builds run here; that test waits for it.
    """
    if not any(i.name == "test_same_sources_give_byte_identical_dumps"
               for i in request.session.items):
        return None
    directory = tmp_path_factory.mktemp("second-build")
    seed = "54321" if os.environ.get("PYTHONHASHSEED") == "12345" else "12345"
    argv = [CITYGRAPH, "build", "--quiet", "--root", str(repo), "--dist", str(directory / "dist")]
    return SecondBuild(start_background(argv, directory, {"PYTHONHASHSEED": seed}),
                       directory / "dist", seed)


def test_every_source_file_is_a_named_graph(built: BuildResult, repo: Path) -> None:
    expected = {GRAPH + p.relative_to(repo).with_suffix("").as_posix()
                for d in ("ontology", "data") for p in (repo / d).rglob("*.ttl")}
    assert expected | {GRAPH + "inferred", GRAPH + "wikidata-view"} == set(built.manifest.graphs)
    assert all(count > 0 for count in built.manifest.graphs.values())


def test_inferred_graph_holds_derived_twins(built: BuildResult) -> None:
    store = ox.Store()
    store.bulk_load(path=str(built.dist / "citygraph.nq"), format=ox.RdfFormat.N_QUADS)
    ask = store.query(
        f"ASK {{ GRAPH <{GRAPH}inferred> {{ "
        "<https://w3id.org/citygraph/id/city/amiens> "
        "<https://w3id.org/citygraph/ontology#twinnedWith> "
        "<https://w3id.org/citygraph/id/city/dortmund> } }")
    assert bool(ask)
    asserted = store.query(
        "ASK { GRAPH ?g { ?a <https://w3id.org/citygraph/ontology#twinnedWith> ?b } "
        f"FILTER(?g != <{GRAPH}inferred>) }}")
    assert not bool(asserted)


def test_manifest_describes_the_build(built: BuildResult) -> None:
    m = Manifest.read(built.dist)
    assert m.version == built.manifest.version and len(m.version) == 16
    assert m.triples > 1000 and m.quads >= m.triples
    assert set(m.files) >= set(DUMPS)
    assert m.validation["Violation"] == 0
    assert {"python", "rdflib", "owlrl", "pyshacl", "pyoxigraph", "citygraph"} <= set(m.tools)


def test_dumps_parse_and_agree(built: BuildResult) -> None:
    counts = {}
    for name, (fmt, _with_graphs) in DUMPS.items():
        counts[name] = len(list(ox.parse(path=str(built.dist / name), format=fmt)))
    assert counts["citygraph.nq"] == counts["citygraph.trig"] == built.manifest.quads
    assert counts["citygraph.ttl"] == counts["citygraph.nt"] == counts["citygraph.jsonld"] \
        == built.manifest.triples


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (relative path → bytes)."""
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def previous_dist(built: BuildResult, settings: Settings) -> dict[str, bytes]:
    """Put a copy of the session's build where ``settings`` builds to; return its files."""
    shutil.copytree(built.dist, settings.dist_dir)
    return snapshot(settings.dist_dir)


def test_failed_build_leaves_previous_dist_intact(small_project: Path, built: BuildResult) -> None:
    settings = Settings(root=small_project)
    before = previous_dist(built, settings)
    assert before and "manifest.json" in before
    (small_project / "data" / "zz.ttl").write_text(
        "@prefix cg: <https://w3id.org/citygraph/ontology#> .\n"
        "<https://w3id.org/citygraph/id/partnership/x> a cg:Partnership .\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:  # load, infer, validate ran; publish did not
        build(settings)
    assert info.value.exit_code == 1 and "partnership/x" in str(info.value)
    (small_project / "data" / "zz.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(DataSyntaxError):
        build(settings)
    assert snapshot(settings.dist_dir) == before
    assert Manifest.read(settings.dist_dir).version == built.manifest.version
    assert sorted(p.name for p in small_project.iterdir() if p.name.startswith(".")) == []


BROKEN_QUERIES = {
    # file text → (line the error names, words of the message)
    "PREFIX cg: <https://w3id.org/citygraph/ontology#>\n"
    "SELECT ?city WHERE {\n"
    "  ?city a nope:City .\n"
    "}\n": (3, "SPARQL syntax error"),
    "#+ title: A query with a bad header\n"
    "#+ param: city uri = https://w3id.org/citygraph/id/city/dortmund\n"
    "SELECT * WHERE { ?city ?p ?o }\n": (2, "bad parameter line"),
}


@pytest.mark.parametrize("text", BROKEN_QUERIES, ids=["syntax", "header"])
def test_broken_query_fails_the_build_naming_file_and_line(small_project: Path,
                                                            built: BuildResult,
                                                            text: str) -> None:
    settings = Settings(root=small_project)
    before = previous_dist(built, settings)
    bad = small_project / "queries" / "zz-broken.rq"
    bad.write_text(text, encoding="utf-8")
    line, words = BROKEN_QUERIES[text]
    with pytest.raises(DataSyntaxError) as info:
        build(settings)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"{bad}, line {line}: ") and words in str(info.value)
    assert snapshot(settings.dist_dir) == before


def test_every_curated_query_is_checked(small_project: Path) -> None:
    queries = check_queries(small_project)
    assert sorted(queries) == sorted(p.stem for p in (small_project / "queries").glob("*.rq"))
    assert len(queries) >= 12
    assert check_queries(small_project / "data") == {}  # no queries/ directory: nothing to check


def test_staleness(small_project: Path) -> None:
    settings = Settings(root=small_project)
    assert is_stale(settings)
    build(settings)
    assert not is_stale(settings)
    later = settings.dist_dir.joinpath("citygraph.nq").stat().st_mtime + 10
    os.utime(small_project / "data" / "context.ttl", (later, later))
    assert is_stale(settings)
    os.utime(small_project / "data" / "context.ttl", (later - 20, later - 20))
    assert not is_stale(settings)
    os.utime(next((small_project / "shapes").glob("*.ttl")), (later, later))
    assert is_stale(settings)
    os.utime(next((small_project / "shapes").glob("*.ttl")), (later - 20, later - 20))
    assert not is_stale(settings)
    # A build for another base IRI is not the one asked for: serve/query build again.
    assert is_stale(settings.replace(base_iri="http://example.org/cg/"))


def test_base_iri_is_configurable(small_project: Path) -> None:
    settings = Settings(root=small_project, base_iri="http://example.org/cg/")
    result = build(settings)
    store = ox.Store()
    store.bulk_load(path=str(result.dist / "citygraph.nq"), format=ox.RdfFormat.N_QUADS)
    assert bool(store.query("ASK { GRAPH ?g { <http://example.org/cg/id/city/dortmund> ?p ?o } }"))
    assert not bool(store.query(
        "ASK { GRAPH ?g { <https://w3id.org/citygraph/id/city/dortmund> ?p ?o } }"))
    assert "http://example.org/cg/graph/inferred" in result.manifest.graphs
    assert "http://example.org/cg/graph/data/context" in result.manifest.graphs
    assert bool(store.query(  # the closure ran on the rebased data
        "ASK { GRAPH <http://example.org/cg/graph/inferred> { "
        "<http://example.org/cg/id/city/dortmund> a ?type } }"))


# Last in the module: the second build has been running beside the tests above.
def test_same_sources_give_byte_identical_dumps(built: BuildResult,
                                                second_build: SecondBuild | None) -> None:
    """Two builds of the same sources in different processes (hash seeds) write the same bytes.

    The first is the session's build, made in this process; the second is made by the
    installed command in a fresh process (fixture ``second_build``).
    """
    assert second_build is not None and second_build.seed != os.environ.get("PYTHONHASHSEED")
    code, _, err = second_build.run.wait()
    assert code == 0, err
    for name in DUMPS:
        assert (second_build.dist / name).read_bytes() == (built.dist / name).read_bytes(), name
    assert Manifest.read(second_build.dist).version == built.manifest.version
