"""Validate stage: typed, sorted report; severities; text/json/turtle renderings."""

from __future__ import annotations

import json

from rdflib import Graph, URIRef
from rdflib.namespace import SH

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


def test_text_report_is_grouped_by_focus_node() -> None:
    data = graph("@prefix ex: <http://example.org/> . ex:a a ex:Thing .")
    text = validate(data, graph(SHAPES)).text
    lines = text.splitlines()
    assert lines[0] == "Does not conform: 1 violation(s), 1 warning(s), 0 info(s)"
    assert lines.count("http://example.org/a") == 1
    block = text.split("http://example.org/a\n", 1)[1]
    assert "[Violation] http://www.w3.org/2000/01/rdf-schema#label: needs a label" in block
    assert "[Warning] http://example.org/note: should have a note" in block


def test_json_and_turtle_renderings_parse() -> None:
    data = graph("@prefix ex: <http://example.org/> . ex:a a ex:Thing .")
    report = validate(data, graph(SHAPES))
    parsed = json.loads(report.to_json())
    assert parsed["conforms"] is False
    assert parsed["results"][0]["focusNode"] == "http://example.org/a"
    results = Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(results.subjects(None, SH.ValidationResult))) == 2
