"""The embedded store: the build loaded into pyoxigraph, read-only, the default graph a merge."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.errors import BuildNotFound, QuerySyntaxError, ServiceForbidden, UpdateForbidden
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore, looks_like_update, unknown_prefix
from citygraph.vocab import INFERRED_GRAPH, PREFIXES


@pytest.fixture(scope="module")
def store(settings: Settings, built: BuildResult) -> EmbeddedStore:
    return EmbeddedStore(settings.dist_dir)


def count(store: EmbeddedStore, text: str, **kwargs: object) -> int:
    rows = list(store.query(text, **kwargs))  # type: ignore[arg-type,call-overload]
    return int(rows[0]["n"].value)


def test_default_graph_is_the_merge_each_triple_once(store: EmbeddedStore,
                                                     built: BuildResult) -> None:
    manifest = built.manifest
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == manifest.triples
    per_graph = count(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert per_graph == sum(n for g, n in manifest.graphs.items() if g)
    assert per_graph >= manifest.triples  # a triple stated by two sources is counted twice here
    assert store.version == manifest.version


def test_named_default_graphs_and_named_graphs_are_exactly_the_dataset(
        store: EmbeddedStore, built: BuildResult) -> None:
    inferred = str(INFERRED_GRAPH)
    total = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(store, total, default_graphs=[inferred]) == built.manifest.graphs[inferred]
    assert count(store, in_graphs, default_graphs=[inferred]) == 0
    assert count(store, total, named_graphs=[inferred]) == 0
    assert count(store, in_graphs, named_graphs=[inferred]) == built.manifest.graphs[inferred]


def test_predeclared_prefixes_and_typed_bindings(store: EmbeddedStore) -> None:
    rows = list(store.query("SELECT ?city ?label WHERE { ?city rdfs:label ?label "
                            "FILTER(lang(?label) = 'de') }",
                            substitutions={"city": ox.NamedNode(
                                "https://w3id.org/citygraph/id/city/dortmund")}))
    assert [r["label"].value for r in rows] == ["Dortmund"]  # type: ignore[index]


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "# a comment\nPREFIX ex: <http://e/>\nDELETE WHERE { ?s ?p ?o }",
    "DROP ALL", "CLEAR DEFAULT", "LOAD <http://e/data.ttl>",
])
def test_updates_are_refused_and_change_nothing(store: EmbeddedStore, text: str) -> None:
    before = len(store.store)
    assert looks_like_update(text)
    with pytest.raises(UpdateForbidden):
        store.query(text)
    assert len(store.store) == before


def test_a_service_off_the_allowlist_is_refused(settings: Settings, built: BuildResult) -> None:
    allowing = EmbeddedStore(settings.dist_dir, services={"http://127.0.0.1:9/sparql"})
    with pytest.raises(ServiceForbidden):
        allowing.query("ASK { SERVICE <http://127.0.0.1:10/sparql> { ?s ?p ?o } }")


@pytest.mark.parametrize(("text", "name", "line", "column"), [
    ("SELECT * WHERE { ?s foo:bar ?o }", "foo", 1, 21),
    ("SELECT * WHERE {\n  ?s a cg:City ;\n     nope:x ?o }", "nope", 3, 6),
    ("PREFIX ex: <http://e/>\nSELECT * WHERE { ?s ex:a \"not:a:prefix\" . ?s :x ?o }", "", 2, 46),
])
def test_an_unknown_prefix_is_named_with_its_place(store: EmbeddedStore, text: str, name: str,
                                                   line: int, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        store.query(text)
    assert f"line {line}, column {column}: unknown prefix '{name}:'" in str(info.value)


def test_other_syntax_errors_keep_the_parser_message(store: EmbeddedStore) -> None:
    with pytest.raises(QuerySyntaxError, match=r"error at 1:27"):
        store.query("SELECT * WHERE { ?s ?p ?o ")
    assert unknown_prefix("SELECT * WHERE { ?s rdf:type <http://e/a:b> } # x:y", PREFIXES) is None


def test_missing_build_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(BuildNotFound, match="citygraph build"):
        EmbeddedStore(tmp_path)
