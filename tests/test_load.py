"""Load stage: one named graph per file; clear syntax errors; rebasing; stable blank nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, URIRef

from citygraph.errors import DataSyntaxError, MissingPathError
from citygraph.load import find_files, graph_iri, load, load_graph, parse_file

HEAD = """@prefix cg: <https://w3id.org/citygraph/ontology#> .
@prefix city: <https://w3id.org/citygraph/id/city/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_syntax_error_names_file_line_and_expectation(tmp_path: Path) -> None:
    bad = write(tmp_path / "data" / "bad.ttl", HEAD + "city:a a cg:City .\ncity:b a cg:City\n"
                "city:c a cg:City .\n")
    with pytest.raises(DataSyntaxError) as info:
        parse_file(bad)
    error = info.value
    assert error.file == bad
    assert error.line == 6
    assert "dot is expected" in error.detail
    assert str(error).startswith(f"{bad}, line 6:")


def test_unknown_prefix_is_named(tmp_path: Path) -> None:
    bad = write(tmp_path / "x.ttl", HEAD + "city:a nope:label \"A\" .\n")
    with pytest.raises(DataSyntaxError) as info:
        parse_file(bad)
    assert "nope:" in str(info.value)
    assert info.value.line == 4


def test_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(MissingPathError, match="not found"):
        find_files([tmp_path / "absent.ttl"], tmp_path)
    with pytest.raises(MissingPathError, match="ontology"):
        load(tmp_path)


def test_non_rdf_file_given_explicitly_is_an_error(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.txt", "hello")
    with pytest.raises(DataSyntaxError, match="not an RDF file"):
        find_files([notes], tmp_path)


def test_each_file_is_its_own_named_graph(tmp_path: Path) -> None:
    write(tmp_path / "ontology" / "o.ttl", HEAD + "cg:City a <http://www.w3.org/2002/07/owl#Class> .\n")
    write(tmp_path / "data" / "a.ttl", HEAD + "city:a a cg:City .\n")
    write(tmp_path / "data" / "sub" / "b.ttl", HEAD + "city:b a cg:City .\n")
    dataset = load(tmp_path)
    names = sorted(str(g.identifier) for g in dataset.graphs() if len(g))
    assert names == [
        "https://w3id.org/citygraph/graph/data/a",
        "https://w3id.org/citygraph/graph/data/sub/b",
        "https://w3id.org/citygraph/graph/ontology/o",
    ]
    b = dataset.graph(URIRef("https://w3id.org/citygraph/graph/data/sub/b"))
    assert len(b) == 1


def test_graph_iri_follows_the_base() -> None:
    assert graph_iri("data/x.ttl", "http://example.org/cg/") == URIRef(
        "http://example.org/cg/graph/data/x")


def test_configured_base_moves_instances_not_terms(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ttl", HEAD + "city:a a cg:City .\n")
    graph = parse_file(path, "http://example.org/cg/")
    assert (URIRef("http://example.org/cg/id/city/a"), None, None) in graph
    assert URIRef("https://w3id.org/citygraph/ontology#City") in set(graph.objects())


def test_blank_nodes_are_labelled_the_same_on_every_parse(tmp_path: Path) -> None:
    path = write(tmp_path / "b.ttl", HEAD + "city:a rdfs:seeAlso [ rdfs:label \"x\" ] .\n")
    first = {t for t in parse_file(path).objects() if isinstance(t, BNode)}
    second = {t for t in parse_file(path).objects() if isinstance(t, BNode)}
    assert first == second and len(first) == 1


def test_load_graph_merges_files(tmp_path: Path) -> None:
    write(tmp_path / "s" / "one.ttl", HEAD + "city:a a cg:City .\n")
    write(tmp_path / "s" / "two.ttl", HEAD + "city:b a cg:City .\n")
    assert len(load_graph([tmp_path / "s"], tmp_path)) == 2
