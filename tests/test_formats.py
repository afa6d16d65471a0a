"""Content negotiation tables and serialisers."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from citygraph.formats import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    Format,
    by_extension,
    by_name,
    negotiate,
    render_table,
    serialize_boolean,
    serialize_solutions,
    serialize_triples,
)


@pytest.mark.parametrize("fmt", list(SELECT_FORMATS.values()), ids=list(SELECT_FORMATS))
def test_each_result_media_type_negotiates_to_its_format(fmt: object) -> None:
    assert negotiate(fmt.media_type, SELECT_FORMATS) is fmt  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", list(GRAPH_FORMATS.values()), ids=list(GRAPH_FORMATS))
def test_each_graph_media_type_negotiates_to_its_format(fmt: object) -> None:
    assert negotiate(fmt.media_type, GRAPH_FORMATS) is fmt  # type: ignore[attr-defined]
    assert by_extension(fmt.extension, GRAPH_FORMATS) is fmt  # type: ignore[attr-defined]


def test_q_values_decide() -> None:
    accept = "text/csv;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1"
    assert negotiate(accept, SELECT_FORMATS).name == "xml"  # type: ignore[union-attr]


def test_wildcard_and_missing_header_give_the_default() -> None:
    assert negotiate("*/*", SELECT_FORMATS).name == "json"  # type: ignore[union-attr]
    assert negotiate(None, GRAPH_FORMATS).name == "turtle"  # type: ignore[union-attr]


@pytest.mark.parametrize("accept, table, expected", [
    ("text/csv; charset=utf-8", SELECT_FORMATS, "csv"),
    ("application/sparql-results+json;charset=UTF-8", SELECT_FORMATS, "json"),
    ("text/turtle; charset=utf-8", GRAPH_FORMATS, "turtle"),
    ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', GRAPH_FORMATS,
     "jsonld"),
    ("text/*", SELECT_FORMATS, "csv"),  # an alias (text/xml) never matches a wildcard
    ("application/*", GRAPH_FORMATS, "ntriples"),
    ("text/turtle;q=0.2, application/*;q=0.5, */*;q=0.1", GRAPH_FORMATS, "ntriples"),
    ("application/rdf+xml, */*;q=0.1", GRAPH_FORMATS, "rdfxml"),
    ("text/turtle;q=0, */*", GRAPH_FORMATS, "ntriples"),  # the most specific range decides
])
def test_media_type_parameters_and_specificity(accept: str, table: dict[str, Format],
                                               expected: str) -> None:
    chosen = negotiate(accept, table)
    assert chosen is not None and chosen.name == expected


def test_nothing_acceptable_is_none() -> None:
    assert negotiate("image/png", SELECT_FORMATS) is None


def test_names_and_aliases() -> None:
    assert by_name("ttl", GRAPH_FORMATS).name == "turtle"  # type: ignore[union-attr]
    assert by_name("text/csv", SELECT_FORMATS).name == "csv"  # type: ignore[union-attr]
    assert by_name("yaml", SELECT_FORMATS) is None
    assert SELECT_FORMATS["csv"].content_type == "text/csv; charset=utf-8"


def store() -> ox.Store:
    s = ox.Store()
    for i in range(5):
        s.add(ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"),
                      ox.Literal(f"tab\there {i}")))
    return s


@pytest.mark.parametrize("name", list(SELECT_FORMATS))
def test_solutions_are_capped_and_say_so(name: str) -> None:
    fmt = SELECT_FORMATS[name]
    result = store().query("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s")
    answer = serialize_solutions(result, fmt, max_rows=3)  # type: ignore[arg-type]
    assert answer.truncated and answer.rows == 3
    if name == "csv":  # CSV keeps only lexical forms and cannot be parsed back to terms
        rows_csv = list(csv.reader(io.StringIO(answer.body.decode())))
        assert rows_csv[0] == ["s", "o"] and len(rows_csv) == 4
        assert rows_csv[1] == ["http://e/0", "tab\there 0"]
        return
    parsed = ox.parse_query_results(answer.body, format=fmt.writer)  # type: ignore[arg-type]
    rows = list(parsed)  # type: ignore[call-overload]
    assert len(rows) == 3
    assert rows[0]["o"] == ox.Literal("tab\there 0")


def test_solutions_under_the_cap_are_complete() -> None:
    result = store().query("SELECT ?s WHERE { ?s ?p ?o }")
    answer = serialize_solutions(result, SELECT_FORMATS["json"], max_rows=10)  # type: ignore[arg-type]
    assert not answer.truncated and answer.rows == 5


@pytest.mark.parametrize("name", list(SELECT_FORMATS))
def test_boolean_in_every_format(name: str) -> None:
    answer = serialize_boolean(store().query("ASK { ?s ?p ?o }"), SELECT_FORMATS[name])  # type: ignore[arg-type]
    if name == "csv":
        assert answer.body.strip() == b"true"
        return
    assert bool(ox.parse_query_results(answer.body, format=SELECT_FORMATS[name].writer)) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_triples_in_every_graph_format(name: str) -> None:
    fmt = GRAPH_FORMATS[name]
    result = store().query("CONSTRUCT WHERE { ?s ?p ?o }")
    answer = serialize_triples(result, fmt)  # type: ignore[arg-type]
    assert len(list(ox.parse(answer.body, format=fmt.writer))) == 5  # type: ignore[arg-type]


def test_render_table_aligns_columns() -> None:
    text = render_table(["a", "bb"], [["xyz", "1"], ["", "22"]])
    assert text.splitlines() == ["a   | bb", "----+---", "xyz | 1", "    | 22"]
