"""Validate stage: pyshacl over asserted + inferred data, with a typed report grouped by focus node.

"Conforms" means no result of severity sh:Violation; warnings and infos are reported but
do not fail a build (pySHACL's own ``conforms`` is false for any result, whatever its severity).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Node

from .config import DEFAULT_BASE
from .formats import GRAPH_FORMATS, serialize_triples
from .infer import Rule, infer
from .terms import graph_triples
from .vocab import PREFIXES, bind_prefixes

SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
SEVERITY_NAMES = ("Violation", "Warning", "Info")

#: Files of dist/ holding the build's SHACL validation report and the shapes it checked.
VALIDATION_FILE = "validation.ttl"
SHAPES_FILE = "shapes.ttl"
#: The namespace of citygraph's shapes (``cgsh:PlaceShape``).
SHAPES_NAMESPACE = DEFAULT_BASE + "shapes#"


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: which node broke which shape, on which path, how badly.

    ``node`` is the result's own node in the report graph it was read from (not compared).
    """

    focus_node: Node
    path: Node | None
    source_shape: Node
    severity: URIRef
    message: str
    value: Node | None
    constraint_component: Node
    node: Node | None = field(default=None, compare=False, repr=False)

    @property
    def severity_name(self) -> str:
        """``Violation``, ``Warning`` or ``Info``."""
        return str(self.severity).rsplit("#", 1)[-1]

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: focus node, then severity, path, shape, message, value.

        Sorting by focus node first keeps every result about one node together (the text
        report prints one block per focus node).
        """
        return (_focus_key(self.focus_node), SEVERITY_ORDER.get(self.severity, 9),
                _key(self.path), _key(self.source_shape), self.message, _key(self.value))


def _key(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return "_:"  # anonymous shapes/paths: order by the other fields
    return node.n3()


def _focus_key(node: Node) -> tuple[int, str]:
    """IRIs first, then blank nodes (by label: stable when loaded by citygraph), then literals."""
    if isinstance(node, URIRef):
        return (0, str(node))
    if isinstance(node, BNode):
        return (1, str(node))
    return (2, node.n3())


def _count(results: Iterable[ValidationResult]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITY_NAMES, 0)
    for r in results:
        out[r.severity_name] = out.get(r.severity_name, 0) + 1
    return out


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: conformance, sorted results, a readable text.

    ``graph`` is the SHACL results graph the results were read from. ``omitted`` is None for a
    report on everything validated; for a report restricted to some nodes
    (:meth:`restricted_to`) it counts, per severity, the results about the other nodes.
    """

    conforms: bool
    results: tuple[ValidationResult, ...]
    graph: Graph
    omitted: Mapping[str, int] | None = None

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        """The results of severity sh:Violation."""
        return tuple(r for r in self.results if r.severity == SH.Violation)

    def counts(self) -> dict[str, int]:
        """Number of results per severity name."""
        return _count(self.results)

    def restricted_to(self, nodes: Collection[Node]) -> ValidationReport:
        """The report on the results whose focus node is one of ``nodes`` only.

        Conformance is decided on those results; the others are counted in ``omitted``.
        """
        kept = tuple(r for r in self.results if r.focus_node in nodes)
        dropped = [r for r in self.results if r.focus_node not in nodes]
        conforms = not any(r.severity == SH.Violation for r in kept)
        graph, kept = _report_graph(self.graph, kept, conforms)
        omitted = _count(dropped)
        if self.omitted is not None:
            omitted = {k: v + self.omitted.get(k, 0) for k, v in omitted.items()}
        return ValidationReport(conforms, kept, graph, omitted)

    @property
    def text(self) -> str:
        """A readable report, grouped by focus node."""
        return format_text(self)

    def to_json(self) -> str:
        """The report as JSON: conformance, counts, omitted counts and the results.

        The results come in the order of the text report: grouped by focus node, within a
        node by severity, then path.
        """
        return json.dumps(
            {
                "conforms": self.conforms,
                "counts": self.counts(),
                "omitted": dict(self.omitted) if self.omitted is not None else None,
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

    def to_turtle(self, iri: str | None = None) -> str:
        """The SHACL validation report graph of these results as Turtle, byte-for-byte repeatable.

        Blank nodes get labels in the order of the text report (``_:r00000``, ``_:r00001``, …),
        so the results are written grouped by focus node. ``sh:conforms`` says what the text and
        JSON say (no violation; warnings and infos allowed, as pySHACL's allow_warnings has it).
        ``iri``: the report's own IRI (a published report), else it is a blank node.
        """
        graph, _ = _report_graph(self.graph, self.results, self.conforms,
                                 URIRef(iri) if iri is not None else None)
        return _without_unused_prefixes(graph.serialize(format="turtle"))


def _without_unused_prefixes(turtle: str) -> str:
    """Turtle from rdflib without the ``@prefix`` lines whose name the text never uses (rdflib
    declares ``xsd:`` for numbers it writes bare). A name that occurs anywhere else, even in a
    string, is kept: a used prefix is never dropped.
    """
    lines = turtle.splitlines(keepends=True)
    declarations = [(i, m.group(1)) for i, line in enumerate(lines)
                    if (m := _PREFIX_LINE.match(line))]
    declared = {n for n, _ in declarations}
    body = "".join(line for i, line in enumerate(lines) if i not in declared)
    unused = {i for i, name in declarations if f"{name}:" not in body}
    return "".join(line for i, line in enumerate(lines) if i not in unused)


_PREFIX_LINE = re.compile(r"@prefix ([A-Za-z][\w.-]*|) *:")


def _show(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal):
        return str(node)
    return str(node) if isinstance(node, URIRef) else node.n3()


def _report_graph(source: Graph, results: Sequence[ValidationResult], conforms: bool,
                  report: URIRef | BNode | None = None
                  ) -> tuple[Graph, tuple[ValidationResult, ...]]:
    """A fresh SHACL report graph holding ``results`` (copied from ``source``) in their order.

    Every result is copied with what hangs off it through blank nodes (paths, nested
    sh:detail results); blank nodes are relabelled by position. Returns the graph and the
    results pointing to their new nodes.
    """
    out = Graph()
    bind_prefixes(out)
    out.bind("cgsh", SHAPES_NAMESPACE)
    report = BNode("report") if report is None else report
    out.add((report, RDF.type, SH.ValidationReport))
    out.add((report, SH.conforms, Literal(conforms)))
    moved = []
    for index, result in enumerate(results):
        label = BNode(f"r{index:05d}")
        out.add((report, SH.result, label))
        if result.node is not None and (result.node, None, None) in source:
            _copy_tree(source, result.node, label, out)
        else:  # a result made in code: write its fields
            out.add((label, RDF.type, SH.ValidationResult))
            for predicate, value in ((SH.focusNode, result.focus_node),
                                     (SH.resultPath, result.path),
                                     (SH.sourceShape, result.source_shape),
                                     (SH.resultSeverity, result.severity),
                                     (SH.sourceConstraintComponent, result.constraint_component),
                                     (SH.value, result.value)):
                if value is not None:
                    out.add((label, predicate, value))
            if result.message:
                out.add((label, SH.resultMessage, Literal(result.message)))
        moved.append(replace(result, node=label))
    return out, tuple(moved)


def _copy_tree(source: Graph, node: Node, label: BNode, out: Graph) -> None:
    """Copy the triples of ``node`` as ``label``, and of the blank nodes below it, relabelled."""
    names: dict[Node, BNode] = {node: label}
    queue = [node]
    while queue:
        subject = queue.pop(0)
        for predicate, obj in sorted(source.predicate_objects(subject),
                                     key=lambda po: (str(po[0]), _signature(source, po[1]))):
            if isinstance(obj, BNode):
                if obj not in names:
                    names[obj] = BNode(f"{label}x{len(names)}")
                    queue.append(obj)
                obj = names[obj]
            out.add((names[subject], predicate, obj))


def _signature(graph: Graph, node: Node) -> str:
    """An order for sibling blank nodes that does not depend on their labels."""
    if not isinstance(node, BNode):
        return node.n3()
    return "_:" + " ".join(sorted(f"{p.n3()} {_key(o)}" for p, o in graph.predicate_objects(node)))


def format_text(report: ValidationReport) -> str:
    """Render a report as text: a summary line, then one block per focus node.

    Within a block, results come by severity (violations first), then path.
    """
    counts = report.counts()
    head = "Conforms" if report.conforms else "Does not conform"
    lines = [f"{head}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), "
             f"{counts['Info']} info(s)"]
    if report.omitted is not None and any(report.omitted.values()):
        o = report.omitted
        lines.append(f"Not shown: {o.get('Violation', 0)} violation(s), "
                     f"{o.get('Warning', 0)} warning(s), {o.get('Info', 0)} info(s) about "
                     "nodes outside the validated files")
    ordered = sorted(report.results, key=ValidationResult.sort_key)
    for focus, group in groupby(ordered, key=lambda r: r.focus_node):
        lines.append("")
        lines.append(f"{_show(focus)}")
        for r in group:
            where = (f" {_show(r.path)}" if r.path is not None and not isinstance(r.path, BNode)
                     else "")
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
                node=node,
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
    shapes_copy = Graph()  # pySHACL adds triples to the shapes graph it is given: not to ours
    shapes_copy += shapes
    with _parsed_once() if parse_once else nullcontext():
        _conforms, results_graph, _text = pyshacl.validate(
            combined,
            shacl_graph=shapes_copy,
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


def shapes_turtle(shapes: Graph) -> bytes:
    """The shapes graph as Turtle, byte-for-byte repeatable (blank nodes canonically labelled,
    triples sorted), with the prefixes it uses."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in graph_triples(shapes))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)  # stable for one engine version
    triples = sorted((q.triple for q in dataset), key=str)
    prefixes = {**PREFIXES, "cgsh": SHAPES_NAMESPACE}
    return serialize_triples(triples, GRAPH_FORMATS["turtle"], prefixes=prefixes).body


def published_files(report: ValidationReport, shapes: Graph, base_iri: str) -> dict[str, bytes]:
    """The files a build publishes about its validation: the report (as ``{base_iri}validation``)
    and the shapes, both Turtle."""
    return {VALIDATION_FILE: report.to_turtle(base_iri + "validation").encode("utf-8"),
            SHAPES_FILE: shapes_turtle(shapes)}
