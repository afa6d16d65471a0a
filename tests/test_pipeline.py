"""The build: named graphs per source, inferred graph, validation, atomic and repeatable output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.errors import DataSyntaxError, ValidationFailed
from citygraph.pipeline import BuildResult, build, is_stale
from citygraph.publish import DUMPS, Manifest

GRAPH = "https://w3id.org/citygraph/graph/"


def test_every_source_file_is_a_named_graph(built: BuildResult, repo: Path) -> None:
    expected = {GRAPH + p.relative_to(repo).with_suffix("").as_posix()
                for d in ("ontology", "data") for p in (repo / d).rglob("*.ttl")}
    assert expected | {GRAPH + "inferred"} == set(built.manifest.graphs)
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


def test_same_sources_give_byte_identical_dumps(built: BuildResult, repo: Path,
                                                tmp_path: Path) -> None:
    """A second build in another process (other hash seed) writes the same bytes."""
    env = dict(os.environ, PYTHONHASHSEED="12345")
    proc = subprocess.run([str(Path(sys.executable).with_name("citygraph")), "build", "--quiet",
                           "--root", str(repo), "--dist",
                           str(tmp_path / "again")], env=env, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in DUMPS:
        assert (tmp_path / "again" / name).read_bytes() == (built.dist / name).read_bytes(), name
    assert Manifest.read(tmp_path / "again").version == built.manifest.version


def test_failed_build_leaves_previous_dist_intact(project: Path) -> None:
    settings = Settings(root=project)
    first = build(settings)
    before = {p.name: p.read_bytes() for p in settings.dist_dir.iterdir()}
    (project / "data" / "zz.ttl").write_text(
        "@prefix cg: <https://w3id.org/citygraph/ontology#> .\n"
        "<https://w3id.org/citygraph/id/partnership/x> a cg:Partnership .\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        build(settings)
    assert info.value.exit_code == 1 and "partnership/x" in str(info.value)
    (project / "data" / "zz.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(DataSyntaxError):
        build(settings)
    assert {p.name: p.read_bytes() for p in settings.dist_dir.iterdir()} == before
    assert Manifest.read(settings.dist_dir).version == first.manifest.version
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_staleness(project: Path) -> None:
    settings = Settings(root=project)
    assert is_stale(settings)
    build(settings)
    assert not is_stale(settings)
    later = settings.dist_dir.joinpath("citygraph.nq").stat().st_mtime + 10
    os.utime(project / "data" / "places.ttl", (later, later))
    assert is_stale(settings)


def test_base_iri_is_configurable(project: Path) -> None:
    settings = Settings(root=project, base_iri="http://example.org/cg/")
    result = build(settings)
    store = ox.Store()
    store.bulk_load(path=str(result.dist / "citygraph.nq"), format=ox.RdfFormat.N_QUADS)
    assert bool(store.query("ASK { GRAPH ?g { <http://example.org/cg/id/city/dortmund> ?p ?o } }"))
    assert not bool(store.query(
        "ASK { GRAPH ?g { <https://w3id.org/citygraph/id/city/dortmund> ?p ?o } }"))
    assert "http://example.org/cg/graph/inferred" in result.manifest.graphs
