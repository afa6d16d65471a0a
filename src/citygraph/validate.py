"""Validate stage: pyshacl over asserted + inferred data, with a typed, sorted report.

"Conforms" means no result of severity sh:Violation; warnings and infos are reported but
do not fail a build (pySHACL's own ``conforms`` is false for any result, whatever its severity).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Node

from .infer import Rule, infer
from .vocab import bind_prefixes

SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: which node broke which shape, on which path, how badly."""

    focus_node: Node
    path: Node | None
    source_shape: Node
    severity: URIRef
    message: str
    value: Node | None
    constraint_component: Node

    @property
    def severity_name(self) -> str:
        """``Violation``, ``Warning`` or ``Info``."""
        return str(self.severity).rsplit("#", 1)[-1]

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: severity, focus node, path, shape, message."""
        return (SEVERITY_ORDER.get(self.severity, 9), _key(self.focus_node), _key(self.path),
                _key(self.source_shape), self.message, _key(self.value))


def _key(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return "_:"  # anonymous shapes/paths: order by the other fields
    return node.n3()


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: conformance, sorted results, a readable text."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    graph: Graph

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        """The results of severity sh:Violation."""
        return tuple(r for r in self.results if r.severity == SH.Violation)

    def counts(self) -> dict[str, int]:
        """Number of results per severity name."""
        out = {"Violation": 0, "Warning": 0, "Info": 0}
        for r in self.results:
            out[r.severity_name] = out.get(r.severity_name, 0) + 1
        return out

    @property
    def text(self) -> str:
        """A readable report, grouped by focus node."""
        return format_text(self)

    def to_json(self) -> str:
        """The report as JSON (a list of results plus counts)."""
        return json.dumps(
            {
                "conforms": self.conforms,
                "counts": self.counts(),
                "results": [
                    {
                        "focusNode": _show(r.focus_node),
                        "path": _show(r.path),
                        "severity": r.severity_name,
                        "sourceShape": _show(r.source_shape),
                        "constraintComponent": _show(r.constraint_component),
                        "value": _show(r.value),
                        "message": r.message,
                    }
                    for r in self.results
                ],
            },
            indent=2,
            ensure_ascii=False,
        )

    def to_turtle(self) -> str:
        """The SHACL validation report graph as Turtle."""
        return self.graph.serialize(format="turtle")


def _show(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal):
        return str(node)
    return str(node) if isinstance(node, URIRef) else node.n3()


def format_text(report: ValidationReport) -> str:
    """Render a report as text, one block per focus node."""
    counts = report.counts()
    head = "Conforms" if report.conforms else "Does not conform"
    lines = [f"{head}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), "
             f"{counts['Info']} info(s)"]
    current: Node | None = None
    for r in report.results:
        if r.focus_node != current:
            current = r.focus_node
            lines.append("")
            lines.append(f"{_show(r.focus_node)}")
        where = f" {_show(r.path)}" if r.path is not None and not isinstance(r.path, BNode) else ""
        value = f" (value: {_show(r.value)})" if r.value is not None else ""
        lines.append(f"  [{r.severity_name}]{where}: {r.message}{value}")
        lines.append(f"      shape {_show(r.source_shape)}")
    return "\n".join(lines) + "\n"


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    return next(iter(graph.objects(subject, predicate)), None)


def parse_results(results_graph: Graph) -> tuple[ValidationResult, ...]:
    """Turn a SHACL results graph into sorted ValidationResult objects."""
    results = []
    # Only the report's own results: nested sh:detail results (of sh:node checks) are not.
    for node in results_graph.objects(None, SH.result):
        messages = sorted(str(m) for m in results_graph.objects(node, SH.resultMessage))
        results.append(
            ValidationResult(
                focus_node=_one(results_graph, node, SH.focusNode),  # type: ignore[arg-type]
                path=_one(results_graph, node, SH.resultPath),
                source_shape=_one(results_graph, node, SH.sourceShape),  # type: ignore[arg-type]
                severity=_one(results_graph, node, SH.resultSeverity),  # type: ignore[arg-type]
                message="; ".join(messages),
                value=_one(results_graph, node, SH.value),
                constraint_component=_one(  # type: ignore[arg-type]
                    results_graph, node, SH.sourceConstraintComponent
                ),
            )
        )
    return tuple(sorted(results, key=ValidationResult.sort_key))


_PATCH_LOCK = threading.Lock()


@contextmanager
def _parsed_once() -> Iterator[None]:
    """Let rdflib parse each SHACL-SPARQL query text once, not once per focus node.

    pySHACL hands rdflib the same query string for every focus node, and rdflib re-parses it
    each time (pyparsing: ~30 ms a parse, most of the validation time). While the context is
    active, rdflib's SPARQLProcessor keeps the translated algebra of each text — exactly what
    ``prepareQuery`` does, keyed by text, base and namespaces.
    """
    original = sparql_processor.SPARQLProcessor.query
    cache: dict[tuple[Any, ...], Any] = {}

    def query(self: Any, str_or_query: Any, initBindings: Any = None,  # noqa: N803
              initNs: Mapping[str, Any] | None = None, base: str | None = None,  # noqa: N803
              DEBUG: bool = False) -> Any:  # noqa: N803
        if isinstance(str_or_query, str):
            key = (str_or_query, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            if key not in cache:
                cache[key] = translateQuery(parseQuery(str_or_query), base, initNs)
            str_or_query = cache[key]
        return original(self, str_or_query, initBindings, initNs, base, DEBUG)

    with _PATCH_LOCK:
        sparql_processor.SPARQLProcessor.query = query  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            sparql_processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def validate(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None = None,
    *,
    inference: bool = True,
    rules: tuple[Rule, ...] = (),
    inferred: Graph | None = None,
    parse_once: bool = True,
) -> ValidationReport:
    """Validate ``data`` (plus its OWL RL closure with ``ontology``) against ``shapes``.

    ``inferred`` may pass a closure computed already (the build does), so it is not run twice.
    ``parse_once=False`` turns the SHACL-SPARQL parse cache off (for benchmarks).
    """
    combined = Graph()
    bind_prefixes(combined)
    combined += data
    if ontology is not None:
        combined += ontology
    if inference:
        combined += inferred if inferred is not None else infer(combined, rules)
    with _parsed_once() if parse_once else nullcontext():
        _conforms, results_graph, _text = pyshacl.validate(
            combined,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
            abort_on_first=False,
            do_owl_imports=False,
        )
    assert isinstance(results_graph, Graph)
    bind_prefixes(results_graph)
    results = parse_results(results_graph)
    conforms = not any(r.severity == SH.Violation for r in results)
    return ValidationReport(conforms, results, results_graph)
