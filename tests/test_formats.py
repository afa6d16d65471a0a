"""Content negotiation tables and serialisers."""

from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

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
from citygraph.pipeline import BuildResult


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


# --- Turtle for people: only the prefixes used, no escaped local names ----------------------

_TURTLE_SKIP = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                          r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>]*>|#[^\n]*')
_PNAME = re.compile(r"(?<![\w.:-])([A-Za-z][\w.-]*)?:(?=[\w\\%]|[\s;,.\])}])")


def check_turtle_for_people(body: bytes, ntriples: bytes) -> dict[str, str]:
    """Assert that Turtle has the triples of ``ntriples``, no ``\\/``, and uses every prefix it
    declares (a prefixed name outside strings, IRIs and comments); return its prefixes."""
    text = body.decode("utf-8")
    graph = Graph().parse(data=text, format="turtle")
    assert isomorphic(graph, Graph().parse(data=ntriples.decode("utf-8"), format="nt"))
    assert "\\/" not in text
    declared = dict(re.findall(r"^@prefix ([\w.-]*): <([^>]*)> \.$", text, re.MULTILINE))
    statements = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    used = {m.group(1) or "" for m in _PNAME.finditer(_TURTLE_SKIP.sub(" ", statements))}
    assert set(declared) <= used, f"declared but unused: {sorted(set(declared) - used)}"
    assert used <= set(declared), f"used but undeclared: {sorted(used - set(declared))}"
    return declared


def _triple(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


ID = "https://w3id.org/citygraph/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def test_turtle_prefixes_give_plain_names_or_full_iris() -> None:
    """A namespace whose IRIs would need ``\\/`` is not declared; bare literals need no xsd:."""
    triples = [
        _triple(ID + "city/dortmund", str(RDF.type), ox.NamedNode(ID + "partnership-kind/twin")),
        _triple(ID + "city/dortmund", str(RDFS.label), ox.Literal("Dortmund", language="de")),
        _triple(ID + "city/dortmund", "http://www.w3.org/2003/01/geo/wgs84_pos#lat",
                ox.Literal("51.5", datatype=ox.NamedNode(XSD + "decimal"))),
        _triple(ID + "council", "https://w3id.org/citygraph/ontology#since",
                ox.Literal("1950", datatype=ox.NamedNode(XSD + "gYear"))),
        _triple(ID + "council", "http://www.w3.org/2002/07/owl#sameAs",
                ox.NamedNode("http://www.wikidata.org/entity/Q1295")),
    ]
    answer = serialize_triples(triples, GRAPH_FORMATS["turtle"])
    nt = serialize_triples(triples, GRAPH_FORMATS["ntriples"]).body
    declared = check_turtle_for_people(answer.body, nt)
    # id: would write id:city\/dortmund: those IRIs are written in full; rdf: only gives "a".
    assert set(declared) == {"cgkind", "rdfs", "wgs", "cg", "xsd", "owl", "wd"}
    assert f"<{ID}city/dortmund>" in answer.body.decode()


def test_turtle_with_no_prefixes_to_use_declares_none() -> None:
    triples = [_triple("http://example.org/a", "http://example.org/b", ox.Literal("1"))]
    body = serialize_triples(triples, GRAPH_FORMATS["turtle"]).body
    assert b"@prefix" not in body


@pytest.mark.parametrize("path", ["/id/city/dortmund", "/id/partnership/dortmund-amiens",
                                  "/ontology", "/graph/data/places", "/id/"])
def test_served_linked_data_turtle_is_for_people(client: FlaskClient, path: str) -> None:
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    ntriples = client.get(path, headers={"Accept": "application/n-triples"})
    assert turtle.status_code == ntriples.status_code == 200, path
    check_turtle_for_people(turtle.get_data(), ntriples.get_data())


def test_construct_answers_and_the_service_description_are_for_people(
        client: FlaskClient) -> None:
    query = ("CONSTRUCT { ?c a cg:City ; rdfs:label ?l ; cg:twinnedWith ?o } WHERE { ?c a cg:City ;"
             " rdfs:label ?l OPTIONAL { ?c cg:twinnedWith ?o } }")
    bodies = [client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
              for accept in ("text/turtle", "application/n-triples")]
    assert bodies[0].status_code == 200
    check_turtle_for_people(bodies[0].get_data(), bodies[1].get_data())
    bodies = [client.get("/sparql", headers={"Accept": accept})
              for accept in ("text/turtle", "application/n-triples")]
    check_turtle_for_people(bodies[0].get_data(), bodies[1].get_data())


def test_the_turtle_dump_is_for_people(built: BuildResult) -> None:
    dist = built.dist
    declared = check_turtle_for_people((dist / "citygraph.ttl").read_bytes(),
                                       (dist / "citygraph.nt").read_bytes())
    assert "cg" in declared
    trig = (dist / "citygraph.trig").read_text(encoding="utf-8")
    assert "\\/" not in trig


def test_solutions_are_cut_at_the_cap_without_computing_the_rest() -> None:
    """The TSV writer is stopped past the cap: a huge answer is neither computed nor kept."""
    store = ox.Store()
    store.extend([ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"), ox.Literal(str(i)))
                  for i in range(50_000)])
    answer = serialize_solutions(store.query("SELECT * { ?s ?p ?o }"), SELECT_FORMATS["json"], 3)
    assert (answer.rows, answer.truncated) == (3, True)
    assert len(json.loads(answer.body)["results"]["bindings"]) == 3
    whole = serialize_solutions(store.query("SELECT * { ?s ?p ?o }"), SELECT_FORMATS["tsv"], 50_000)
    assert (whole.rows, whole.truncated) == (50_000, False)
    assert whole.body.count(b"\n") == 50_001


def test_terms_that_need_escapes_and_triple_terms_survive_every_result_format() -> None:
    """Line breaks, tabs and quotes in literals stay one row; an RDF 1.2 triple term is written."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"),
                      ox.Literal('two\nlines\tand "quotes"', language="de")))
    text = 'SELECT ?o (<<( <http://e/a> <http://e/p> 1 )>> AS ?t) { ?s ?p ?o }'
    for fmt in SELECT_FORMATS.values():
        answer = serialize_solutions(store.query(text), fmt, 10)
        assert (answer.rows, answer.truncated) == (1, False), fmt.name
        if fmt.name == "csv":  # lossy: only the lexical forms, and pyoxigraph does not read it
            rows = list(csv.reader(io.StringIO(answer.body.decode("utf-8"), newline="")))
            assert rows[1][0] == 'two\nlines\tand "quotes"'
            continue
        back = list(ox.parse_query_results(answer.body, format=fmt.writer))  # type: ignore[arg-type]
        assert back[0]["o"] == ox.Literal('two\nlines\tand "quotes"', language="de")
        assert isinstance(back[0]["t"], ox.Triple)
