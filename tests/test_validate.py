"""Validate stage: typed report grouped by focus node; severities; restriction to some nodes;
text/json/turtle renderings."""

from __future__ import annotations

import json

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from citygraph.validate import validate

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "needs a label" ] ;
  sh:property [ sh:path ex:note ; sh:minCount 1 ; sh:severity sh:Warning ;
                sh:message "should have a note" ] .
"""
ONTOLOGY = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Sub rdfs:subClassOf ex:Thing .
"""


def graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def test_violation_found_through_inferred_type() -> None:
    data = graph("@prefix ex: <http://example.org/> . ex:b a ex:Sub . ex:a a ex:Sub .")
    report = validate(data, graph(SHAPES), graph(ONTOLOGY))
    assert not report.conforms
    violations = report.violations
    assert [str(r.focus_node) for r in violations] == ["http://example.org/a",
                                                       "http://example.org/b"]
    assert violations[0].path == URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    assert violations[0].message == "needs a label"


def test_without_inference_subclass_instances_are_not_targeted() -> None:
    data = graph("@prefix ex: <http://example.org/> . ex:a a ex:Sub .")
    assert validate(data, graph(SHAPES), None, inference=False).conforms


def test_warnings_do_not_break_conformance_but_are_reported() -> None:
    data = graph('@prefix ex: <http://example.org/> . @prefix rdfs: '
                 '<http://www.w3.org/2000/01/rdf-schema#> . ex:a a ex:Thing ; rdfs:label "A" .')
    report = validate(data, graph(SHAPES))
    assert report.conforms
    assert [r.severity for r in report.results] == [SH.Warning]
    assert report.counts() == {"Violation": 0, "Warning": 1, "Info": 0}


TWO_NODES = "@prefix ex: <http://example.org/> . ex:b a ex:Thing . ex:a a ex:Thing ."
A, B = URIRef("http://example.org/a"), URIRef("http://example.org/b")


def test_results_are_grouped_by_focus_node_then_severity_then_path() -> None:
    report = validate(graph(TWO_NODES), graph(SHAPES))
    assert [(r.focus_node, r.severity_name) for r in report.results] == [
        (A, "Violation"), (A, "Warning"), (B, "Violation"), (B, "Warning")]


def test_text_report_is_grouped_by_focus_node() -> None:
    text = validate(graph(TWO_NODES), graph(SHAPES)).text
    lines = text.splitlines()
    assert lines[0] == "Does not conform: 2 violation(s), 2 warning(s), 0 info(s)"
    assert lines.count("http://example.org/a") == lines.count("http://example.org/b") == 1
    block_a, block_b = text.split("\n\n")[1:]
    for block, node in ((block_a, "a"), (block_b, "b")):
        head, violation, _shape, warning, _shape2 = block.strip().splitlines()
        assert head == f"http://example.org/{node}"
        assert violation == "  [Violation] http://www.w3.org/2000/01/rdf-schema#label: needs a label"
        assert warning == "  [Warning] http://example.org/note: should have a note"


def test_json_and_turtle_renderings_parse() -> None:
    report = validate(graph(TWO_NODES), graph(SHAPES))
    parsed = json.loads(report.to_json())
    assert parsed["conforms"] is False and parsed["omitted"] is None
    assert [(r["focusNode"], r["severity"]) for r in parsed["results"]] == [
        (str(A), "Violation"), (str(A), "Warning"), (str(B), "Violation"), (str(B), "Warning")]
    results = Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(results.subjects(RDF.type, SH.ValidationResult))) == 4
    assert set(results.objects(None, SH.conforms)) == {Literal(False)}


def test_turtle_is_repeatable_and_grouped_by_focus_node() -> None:
    """Two validations (blank nodes labelled anew each time) give the same Turtle bytes."""
    first = validate(graph(TWO_NODES), graph(SHAPES)).to_turtle()
    second = validate(graph(TWO_NODES), graph(SHAPES)).to_turtle()
    assert first == second
    assert first.index("example.org/a>") < first.rindex("example.org/a>") \
        < first.index("example.org/b>")


def test_restricted_report_keeps_the_results_about_the_given_nodes() -> None:
    report = validate(graph(TWO_NODES), graph(SHAPES))
    only_a = report.restricted_to({A})
    assert [r.focus_node for r in only_a.results] == [A, A] and not only_a.conforms
    assert only_a.omitted == {"Violation": 1, "Warning": 1, "Info": 0}
    assert only_a.text.splitlines()[1] == ("Not shown: 1 violation(s), 1 warning(s), 0 info(s) "
                                          "about nodes outside the validated files")
    assert "http://example.org/b" not in only_a.text
    assert json.loads(only_a.to_json())["omitted"] == {"Violation": 1, "Warning": 1, "Info": 0}
    turtle = Graph().parse(data=only_a.to_turtle(), format="turtle")
    assert set(turtle.objects(None, SH.focusNode)) == {A}

    nothing = report.restricted_to({URIRef("http://example.org/c")})
    assert nothing.conforms and nothing.results == ()
    assert nothing.text.startswith("Conforms: 0 violation(s), 0 warning(s), 0 info(s)\nNot shown: ")
    empty = Graph().parse(data=nothing.to_turtle(), format="turtle")
    assert set(empty.objects(None, SH.conforms)) == {Literal(True)}
    assert not list(empty.objects(None, SH.result))


def test_only_warnings_conform_when_restricted() -> None:
    data = graph('@prefix ex: <http://example.org/> . @prefix rdfs: '
                 '<http://www.w3.org/2000/01/rdf-schema#> . ex:a a ex:Thing ; rdfs:label "A" . '
                 'ex:b a ex:Thing .')
    report = validate(data, graph(SHAPES))
    assert not report.conforms  # ex:b has no label
    only_a = report.restricted_to({A})  # ex:a only lacks a note (a warning)
    assert only_a.conforms and [r.severity for r in only_a.results] == [SH.Warning]
    turtle = Graph().parse(data=only_a.to_turtle(), format="turtle")
    assert set(turtle.objects(None, SH.conforms)) == {Literal(True)}  # as the text says
