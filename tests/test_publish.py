"""Publish stage: dumps, manifest, atomic replacement, byte-identical output."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph import publish as publish_module
from citygraph.errors import ConfigError, PublishError
from citygraph.publish import (
    DUMPS,
    MANIFEST_FILE,
    Manifest,
    build_link,
    is_build_link,
    publish,
    remove_leftovers,
)

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


def test_failed_publish_leaves_previous_dist_intact(tmp_path: Path) -> None:
    """A write the file system refuses (here: into a directory that does not exist) is a
    PublishError naming the file; the previous build and nothing else remains."""
    dist = tmp_path / "dist"
    first = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    before = {p.name: p.read_bytes() for p in dist.iterdir()}
    with pytest.raises(PublishError) as info:
        publish(quads()[:1], dist, base_iri="https://w3id.org/citygraph/",
                extra_files={"missing/notes.txt": b"x"})
    assert info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(f"cannot write the build: {tmp_path}/.dist-tmp-")
    assert message.endswith(f"/missing/notes.txt: No such file or directory; the previous build "
                            f"in {dist} is unchanged")
    assert {p.name: p.read_bytes() for p in dist.iterdir()} == before
    assert Manifest.read(dist).version == first.version
    assert sorted(p.name for p in tmp_path.iterdir()) == [os.readlink(dist), "dist"]


def test_dist_is_a_relative_link_to_a_versioned_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    one = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    assert dist.is_symlink() and os.readlink(dist) == f".dist-{one.version}-1"
    again = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")  # same version
    assert again.version == one.version and os.readlink(dist) == f".dist-{one.version}-2"
    other = publish(quads()[:2], dist, base_iri="https://w3id.org/citygraph/")
    assert os.readlink(dist) == f".dist-{other.version}-1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".dist-{other.version}-1", "dist"]
    moved = tmp_path / "moved"
    moved.mkdir()
    for p in tmp_path.iterdir():
        if p != moved:
            p.rename(moved / p.name)
    assert Manifest.read(moved / "dist").version == other.version  # the link moves along


def test_leftovers_are_removed_and_nothing_else(tmp_path: Path) -> None:
    """Only names citygraph makes beside the link are removed: never the live build, another
    link's builds, what a leftover link points to, a plain file, or look-alike names."""
    dist = tmp_path / "dist"
    publish(quads()[:1], tmp_path / "dist2", base_iri="https://w3id.org/citygraph/")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine", encoding="utf-8")
    ours = [".dist-tmp-ab_cd123", ".dist-0123456789abcdef-3", ".dist-old-123", ".dist-zz99xx00"]
    for name in ours:
        (tmp_path / name).mkdir()
        (tmp_path / name / "citygraph.nq").write_text("", encoding="utf-8")
    (tmp_path / ".dist-link-abcd0123").symlink_to("precious")
    theirs = [".dist-notes", ".dist-tmp-short", ".dist-0123456789abcdef", ".distribution-files",
              ".dist2-tmp-ab_cd123x", "dist-0123456789abcdef-1"]
    for name in theirs:
        (tmp_path / name).mkdir()
    (tmp_path / ".dist-tmp-abcdefgh").write_text("a plain file", encoding="utf-8")
    publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & {*ours, ".dist-link-abcd0123"}
    assert names >= {*theirs, ".dist-tmp-abcdefgh", "precious", "dist", "dist2"}
    assert (precious / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert Manifest.read(tmp_path / "dist2").quads == 1  # the other link's build is kept
    assert remove_leftovers(build_link(dist)) == []


def test_a_link_of_the_users_making_is_followed(tmp_path: Path) -> None:
    """--dist may be a symbolic link the user made: the build goes where it points, and the
    user's link stays as it is."""
    (tmp_path / "disk").mkdir()
    mine = tmp_path / "mydist"
    mine.symlink_to(tmp_path / "disk" / "citygraph")
    manifest = publish(quads(), mine, base_iri="https://w3id.org/citygraph/")
    assert os.readlink(mine) == str(tmp_path / "disk" / "citygraph")
    assert is_build_link(tmp_path / "disk" / "citygraph")
    assert Manifest.read(mine).version == manifest.version
    assert build_link(mine) == tmp_path / "disk" / "citygraph"
    aside = tmp_path / "aside"
    aside.symlink_to("docs")  # a link to a directory that is not a build
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(ConfigError, match="refusing to replace it"):
        publish(quads(), aside, base_iri="https://w3id.org/citygraph/")


def test_migration_without_an_atomic_exchange(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2 is missing (not Linux, old C library), a real dist/ directory is
    replaced with two renames, and the old directory removed."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / MANIFEST_FILE).write_text("{}", encoding="utf-8")

    def no_library(*args: object, **kwargs: object) -> None:
        raise OSError("no such library")

    monkeypatch.setattr(publish_module.ctypes, "CDLL", no_library)
    manifest = publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    assert dist.is_symlink() and Manifest.read(dist).version == manifest.version
    assert sorted(p.name for p in tmp_path.iterdir()) == [os.readlink(dist), "dist"]


def test_builds_beside_each_other_take_turns(tmp_path: Path) -> None:
    """While one build writes, another one beside it waits (it would remove the first one's
    temporary directory as a leftover otherwise)."""
    dist = tmp_path / "dist"
    publish(quads(), dist, base_iri="https://w3id.org/citygraph/")
    seen: dict[str, object] = {}

    def second() -> None:
        seen["second"] = publish(quads()[:1], dist, base_iri="https://w3id.org/citygraph/")

    def describe(manifest: Manifest, directory: Path) -> dict[str, bytes]:
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=2)
        seen["waited"] = other.is_alive()  # blocked on the lock, not cleaning up after us
        seen["kept"] = directory.is_dir()
        seen["thread"] = other
        return {}

    first = publish(quads()[:2], dist, base_iri="https://w3id.org/citygraph/", describe=describe)
    thread = seen["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=60)
    assert seen["waited"] is True and seen["kept"] is True
    last = seen["second"]
    assert isinstance(last, Manifest) and last.version != first.version
    assert Manifest.read(dist).version == last.version  # the second ran after the first
    assert sorted(p.name for p in tmp_path.iterdir()) == [os.readlink(dist), "dist"]


def test_a_directory_that_is_not_a_build_is_never_replaced(tmp_path: Path) -> None:
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
    publish([], tmp_path / "empty", base_iri="https://w3id.org/citygraph/")
    assert is_build_link(tmp_path / "empty")
    check_target(tmp_path / "empty")  # the link to a build: built again
