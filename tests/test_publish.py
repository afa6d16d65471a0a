"""Publish stage: dumps, manifest, atomic replacement, byte-identical output."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph import publish as publish_module
from citygraph.publish import DUMPS, MANIFEST_FILE, Manifest, publish

G1 = ox.NamedNode("https://w3id.org/citygraph/graph/data/a")
G2 = ox.NamedNode("https://w3id.org/citygraph/graph/inferred")


def quads() -> list[ox.Quad]:
    a = ox.NamedNode("https://w3id.org/citygraph/id/city/a")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return [
        ox.Quad(a, label, ox.Literal("A", language="de"), G1),
        ox.Quad(a, label, ox.Literal("A", language="en"), G1),
        ox.Quad(a, kind, ox.NamedNode("https://schema.org/City"), G2),
        ox.Quad(a, label, ox.Literal("A", language="de"), G2),  # same triple, other graph
    ]


def test_publish_writes_every_dump_and_a_manifest(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    manifest = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    assert sorted(p.name for p in dist.iterdir()) == sorted([*DUMPS, MANIFEST_FILE])
    assert manifest.quads == 4
    assert manifest.triples == 3
    assert manifest.graphs == {str(G1.value): 2, str(G2.value): 2}
    assert set(manifest.tools) >= {"python", "rdflib", "owlrl", "pyshacl", "pyoxigraph"}
    on_disk = json.loads((dist / MANIFEST_FILE).read_text())
    assert on_disk["version"] == manifest.version == Manifest.read(dist).version
    for name, (fmt, with_graphs) in DUMPS.items():
        parsed = list(ox.parse(path=str(dist / name), format=fmt))
        assert len(parsed) == (4 if with_graphs else 3), name


def test_same_quads_in_any_order_give_identical_bytes(tmp_path: Path) -> None:
    one = publish(quads(), tmp_path / "one", base_iri="https://w3id.org/citygraph/")
    two = publish(list(reversed(quads())), tmp_path / "two", base_iri="https://w3id.org/citygraph/")
    for name in DUMPS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert one.version == two.version


def test_failed_publish_leaves_previous_dist_intact(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    first = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    before = {p.name: p.read_bytes() for p in dist.iterdir()}

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "write_dumps", explode)
    with pytest.raises(OSError, match="disk full"):
        publish(quads()[:1], dist, base_iri="https://w3id.org/citygraph/")
    assert {p.name: p.read_bytes() for p in dist.iterdir()} == before
    assert Manifest.read(dist).version == first.version
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]  # no temporary directory left


def test_a_directory_that_is_not_a_build_is_never_replaced(tmp_path: Path) -> None:
    from citygraph.errors import ConfigError
    from citygraph.publish import check_target

    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(ConfigError, match="refusing to replace it"):
        check_target(precious)
    with pytest.raises(ConfigError, match="refusing to replace it"):
        publish([], precious, base_iri="https://w3id.org/citygraph/")
    assert (precious / "thesis.txt").read_text(encoding="utf-8") == "years of work"
    a_file = tmp_path / "dist"
    a_file.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file"):
        check_target(a_file)
    check_target(tmp_path / "new")  # a new or empty directory is fine
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty")
