"""Blueprint 'validation': the build's SHACL validation report and the shapes it checked.

``/validation`` is the ``sh:ValidationReport`` the build wrote (``dist/validation.ttl``, the IRI
``{base_iri}validation``): an HTML page grouped by focus node for browsers, RDF by ``Accept`` or a
URL twin (``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``, ``.html``). ``/shapes`` (``{base_iri}shapes``) is
the SHACL shapes graph (``dist/shapes.ttl``) the same way, its HTML a listing of every node shape
with its targets and constraints. Entity pages show the results about their resource
(:func:`results_about`). Both files are parsed once per build and kept.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from ..errors import NotFound
from ..formats import HTML, Format, serialize_triples
from ..validate import (
    SHAPES_FILE,
    SHAPES_NAMESPACE,
    VALIDATION_FILE,
    ValidationResult,
    parse_results,
)
from .context import ctx
from .linked_data import TWINS, choose, compact, document_response, local_href

bp = Blueprint("validation", __name__)


@dataclass(frozen=True)
class Published:
    """One published Turtle file of the build, parsed: its bytes, triples and rdflib graph."""

    turtle: bytes
    triples: tuple[ox.Triple, ...]
    graph: Graph


@functools.lru_cache(maxsize=8)
def _read(path: str, version: str) -> Published | None:
    """Parse a published file of the build ``version`` (cached; None when the build has none)."""
    file = Path(path)
    if not file.is_file():
        return None
    body = file.read_bytes()
    # Canonical blank-node labels: every format of the document is the same bytes each time.
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object)
                         for t in ox.parse(body, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    triples = tuple(sorted((q.triple for q in dataset), key=str))
    return Published(body, triples, Graph().parse(data=body.decode("utf-8"), format="turtle"))


def published(name: str) -> Published | None:
    """The build's ``validation.ttl`` or ``shapes.ttl``, parsed (None for an older build)."""
    app_ctx = ctx()
    return _read(str(app_ctx.dist / name), app_ctx.version)


def _required(name: str, what: str) -> Published:
    document = published(name)
    if document is None:
        raise NotFound(f"this build has no {what} ({name} is missing from its directory; "
                       "build again with `citygraph build`)")
    return document


@functools.lru_cache(maxsize=8)
def _results(path: str, version: str) -> tuple[ValidationResult, ...]:
    document = _read(path, version)
    return () if document is None else parse_results(document.graph)


def report_results() -> tuple[ValidationResult, ...]:
    """Every result of the build's report, grouped by focus node (the text report's order)."""
    app_ctx = ctx()
    return _results(str(app_ctx.dist / VALIDATION_FILE), app_ctx.version)


# ------------------------------------------------------------------------------------------------
# What the pages show
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """A term as a page shows it: text, and where it links (None: no link)."""

    text: str
    href: str | None = None
    title: str = ""


def shape_href(iri: str) -> str | None:
    """The place on this server where a shape is listed (``/shapes#Name``), None if elsewhere."""
    for namespace in dict.fromkeys((ctx().settings.base_iri + "shapes#", SHAPES_NAMESPACE)):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return "/shapes#" + iri[len(namespace):]
    return None


def show(node: Node | None) -> Link | None:
    """A term of the report or the shapes as a Link (IRIs compacted and linked)."""
    if node is None:
        return None
    if isinstance(node, Literal):
        return Link(str(node))
    if isinstance(node, BNode):
        return Link("(anonymous)")
    iri = str(node)
    href = shape_href(iri)
    if href is not None:
        return Link("cgsh:" + iri.rsplit("#", 1)[1], href, iri)
    return Link(compact(iri), local_href(iri) or iri, iri)


def focus_anchor(iri: str) -> str:
    """The fragment naming a focus node on /validation: its local path, else a hash."""
    local = local_href(iri)
    if local is not None:
        return local.lstrip("/")
    return "node-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ResultView:
    """One validation result as a page shows it."""

    severity: str
    message: str
    path: Link | None
    value: Link | None
    shape: Link | None
    component: str
    focus: Link
    anchor: str


def result_view(result: ValidationResult) -> ResultView:
    """The page model of one result."""
    component = str(result.constraint_component).rsplit("#", 1)[-1].removesuffix(
        "ConstraintComponent")
    focus = show(result.focus_node) or Link("")
    return ResultView(result.severity_name, result.message, show(result.path), show(result.value),
                      show(result.source_shape), component, focus,
                      focus_anchor(str(result.focus_node)))


@dataclass(frozen=True)
class FocusGroup:
    """The results about one focus node."""

    focus: Link
    anchor: str
    results: list[ResultView]


def focus_groups(results: Iterable[ValidationResult]) -> list[FocusGroup]:
    """Results grouped by focus node, in the report's order."""
    groups = []
    ordered = sorted(results, key=ValidationResult.sort_key)
    for _, group in groupby(ordered, key=lambda r: r.focus_node):
        views = [result_view(r) for r in group]
        groups.append(FocusGroup(views[0].focus, views[0].anchor, views))
    return groups


def results_about(iri: str) -> list[ResultView]:
    """The results of the build's report whose focus node is ``iri`` (for its entity page)."""
    node = URIRef(iri)
    return [result_view(r) for r in report_results() if r.focus_node == node]


def _counts(results: Iterable[ValidationResult]) -> dict[str, int]:
    out = {"Violation": 0, "Warning": 0, "Info": 0}
    for result in results:
        out[result.severity_name] = out.get(result.severity_name, 0) + 1
    return out


# ------------------------------------------------------------------------------------------------
# The shapes listing
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Constraint:
    """A property shape or SPARQL constraint of a node shape, as the listing shows it."""

    anchor: str
    kind: str  # "property" or "SPARQL"
    name: str
    path: Link | None
    severity: str
    message: str
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class ShapeView:
    """A node shape in the listing."""

    anchor: str
    iri: str
    name: str
    description: str
    message: str
    severity: str
    targets: list[tuple[str, Link]]
    constraints: list[Constraint]


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    values = sorted(graph.objects(node, predicate), key=lambda v: (
        not (isinstance(v, Literal) and v.language in ("en", None)), str(v)))
    return str(values[0]) if values else ""


def _anchor(node: Node) -> str:
    return str(node).rsplit("#", 1)[-1] if isinstance(node, URIRef) else ""


def _severity(graph: Graph, node: Node) -> str:
    severity = next(iter(graph.objects(node, SH.severity)), SH.Violation)
    return str(severity).rsplit("#", 1)[-1]


#: Constraint parameters the listing spells out (predicate → label).
DETAILS = [(SH.minCount, "min"), (SH.maxCount, "max"), (SH.datatype, "datatype"),
           (SH["class"], "class"), (SH.nodeKind, "node kind"), (SH.pattern, "pattern"),
           (SH.hasValue, "has value"), (SH.minInclusive, "≥"), (SH.maxInclusive, "≤"),
           (SH.languageIn, "languages"), (SH["in"], "one of")]


def _details(graph: Graph, node: Node) -> list[tuple[str, str]]:
    out = []
    for predicate, label in DETAILS:
        for value in sorted(graph.objects(node, predicate), key=str):
            if isinstance(value, BNode) and (value, RDF.first, None) in graph:
                items = graph.items(value)
                out.append((label, ", ".join((show(i) or Link("")).text for i in items)))
            else:
                out.append((label, (show(value) or Link("")).text))
    return out


def shape_views(graph: Graph) -> list[ShapeView]:
    """Every node shape of the shapes graph with its targets and constraints, by name."""
    views = []
    for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = [(label, show(t) or Link("")) for predicate, label in (
            (SH.targetClass, "class"), (SH.targetNode, "node"),
            (SH.targetSubjectsOf, "subjects of"), (SH.targetObjectsOf, "objects of"))
            for t in sorted(graph.objects(shape, predicate), key=str)]
        constraints = []
        for prop in sorted(graph.objects(shape, SH.property), key=str):
            constraints.append(Constraint(
                _anchor(prop), "property", _text(graph, prop, SH.name),
                show(next(iter(graph.objects(prop, SH.path)), None)), _severity(graph, prop),
                _text(graph, prop, SH.message), _details(graph, prop)))
        for sparql in sorted(graph.objects(shape, SH.sparql), key=str):
            constraints.append(Constraint(
                _anchor(sparql), "SPARQL", _text(graph, sparql, SH.name), None,
                _severity(graph, sparql), _text(graph, sparql, SH.message), []))
        views.append(ShapeView(
            _anchor(shape), str(shape), _text(graph, shape, SH.name),
            _text(graph, shape, SH.description), _text(graph, shape, SH.message),
            _severity(graph, shape), targets, constraints))
    return views


# ------------------------------------------------------------------------------------------------
# Routes
# ------------------------------------------------------------------------------------------------

def _twin(extension: str | None) -> Format | None:
    if extension is None:
        return None
    twin = TWINS.get(extension)
    if twin is None:
        abort(404)
    return twin


def _rdf(document: Published, fmt: Format) -> bytes:
    """The document in an RDF format: Turtle as published (byte-stable), others converted."""
    if fmt.name == "turtle":
        return document.turtle
    return serialize_triples(document.triples, fmt).body


def _published_page(name: str, file: str, what: str, extension: str | None,
                    context: Callable[[Published], dict[str, Any]]) -> Response:
    """A published document of the build at ``/{name}``: its HTML page (``{name}.html`` with
    ``context(document)``) or its RDF in the negotiated format or URL twin."""
    twin = _twin(extension)
    fmt = choose(twin)
    document = _required(file, what)
    if fmt is HTML:
        html = render_template(
            f"{name}.html", iri=ctx().settings.base_iri + name, **context(document),
            twins=[(f"/{name}.{f.extension}", f.name) for f in TWINS.values() if f is not HTML])
        return document_response(html, HTML, name, twin)
    return document_response(_rdf(document, fmt), fmt, name, twin, rows=len(document.triples))


def _report_context(document: Published) -> dict[str, Any]:
    results = report_results()
    return {"conforms": any(o == Literal(True) for o in document.graph.objects(None, SH.conforms)),
            "counts": _counts(results), "groups": focus_groups(results)}


@bp.get("/validation")
@bp.get("/validation.<extension>")
def validation(extension: str | None = None) -> Response:
    """The build's SHACL validation report: HTML grouped by focus node, or its RDF."""
    return _published_page("validation", VALIDATION_FILE, "validation report", extension,
                           _report_context)


@bp.get("/shapes")
@bp.get("/shapes.<extension>")
def shapes(extension: str | None = None) -> Response:
    """The SHACL shapes the build validated against: an HTML listing, or their RDF."""
    return _published_page("shapes", SHAPES_FILE, "shapes", extension, lambda document: {
        "shapes": shape_views(document.graph), "triples": len(document.triples)})
