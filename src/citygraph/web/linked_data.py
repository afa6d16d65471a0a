"""Blueprint 'linked_data': dereferenceable IRIs, the ontology's documentation and the dumps.

Every IRI of the dataset under the base answers on this server whatever host it runs on: the path
after the base (``/id/…``, ``/graph/…``, ``/ontology``) names the IRI ``base + path``. A browser gets
an HTML page (labels, types, every property with links, inbound links, the Wikidata entity and the
named graph — the source file — of each statement); other clients get Turtle, JSON-LD, N-Triples or
RDF/XML by ``Accept``, or by a URL twin (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.html``).
A retired IRI (``owl:deprecated true`` in the data, see ``data/retired.ttl``) never silently 404s:
with one ``dcterms:isReplacedBy`` it answers 301 Moved Permanently to its successor (the same URL
twin), with several or none 410 Gone, linking every successor (``Link: rel="successor-version"``)
and describing the retirement in the negotiated format.
The RDF description of a resource is its outgoing and inbound triples (plus the triples of the
blank nodes it points to) from the union graph; the IRI is bound as a typed term, never spliced.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ..errors import NotAcceptable
from ..formats import DATASET_FORMATS, GRAPH_FORMATS, HTML, SELECT_FORMATS, Format, negotiate
from ..publish import DUMPS, MANIFEST_FILE
from ..vocab import CG, ONTOLOGY_IRI, PREFIXES
from .common import cached, negotiated
from .context import ctx

bp = Blueprint("linked_data", __name__)

#: What a linked-data URL can be answered in: HTML and the graph formats.
DOCUMENT_FORMATS: dict[str, Format] = {"html": HTML, **GRAPH_FORMATS}
#: URL-twin extension → format.
TWINS: dict[str, Format] = {f.extension: f for f in DOCUMENT_FORMATS.values()}
JSON = Format("json", "application/json", "json", None)

LABEL = str(RDFS.label)
TYPE = str(RDF.type)
WIKIDATA = str(CG.wikidataEntity)
DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
#: Properties shown first on a resource page, in this order.
FIRST_PROPERTIES = (TYPE, LABEL, str(SKOS.prefLabel), WIKIDATA)

DESCRIBE = """
CONSTRUCT { ?r ?p ?o . ?s ?q ?r . ?b ?bp ?bo }
WHERE {
  { ?r ?p ?o }
  UNION { ?s ?q ?r }
  UNION { ?r ?p0 ?b . FILTER(isBlank(?b)) ?b ?bp ?bo }
}
"""

#: Every statement about ?r (out) or pointing to ?r (in), per named graph, with English and
#: German labels of the property and of the other end.
STATEMENTS = """
SELECT ?r ?dir ?p ?o ?g (SAMPLE(?pen) AS ?pEn) (SAMPLE(?pde) AS ?pDe)
       (SAMPLE(?oen) AS ?oEn) (SAMPLE(?ode) AS ?oDe) (SAMPLE(?oany) AS ?oAny)
WHERE {
  { GRAPH ?g { ?r ?p ?o } BIND("out" AS ?dir) }
  UNION
  { GRAPH ?g { ?o ?p ?r } BIND("in" AS ?dir) }
  OPTIONAL { ?p rdfs:label ?pen FILTER(langMatches(lang(?pen), "en")) }
  OPTIONAL { ?p rdfs:label ?pde FILTER(langMatches(lang(?pde), "de")) }
  OPTIONAL { ?o rdfs:label ?oen FILTER(langMatches(lang(?oen), "en")) }
  OPTIONAL { ?o rdfs:label ?ode FILTER(langMatches(lang(?ode), "de")) }
  OPTIONAL { ?o skos:prefLabel|dcterms:title|rdfs:label ?oany }
}
GROUP BY ?r ?dir ?p ?o ?g
"""

GRAPH_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"

#: The source document a named graph ?g is derived from (``<> prov:wasDerivedFrom`` in its file).
GRAPH_SOURCE = """
SELECT ?g ?source (SAMPLE(?en) AS ?sourceEn) (SAMPLE(?de) AS ?sourceDe) WHERE {
  GRAPH ?g { ?g prov:wasDerivedFrom ?source }
  OPTIONAL { ?source rdfs:label ?en FILTER(langMatches(lang(?en), "en")) }
  OPTIONAL { ?source rdfs:label ?de FILTER(langMatches(lang(?de), "de")) }
}
GROUP BY ?g ?source ORDER BY ?source
"""

#: Whether ?r is a retired IRI (owl:deprecated true), and its successors (dcterms:isReplacedBy).
RETIRED = """
SELECT ?r ?new WHERE {
  ?r owl:deprecated true .
  OPTIONAL { ?r dcterms:isReplacedBy ?new FILTER(isIRI(?new)) }
}
ORDER BY ?new
"""

#: The editorial notes on ?r (why an IRI was retired), English first.
NOTES = """
SELECT ?r ?note WHERE { ?r skos:editorialNote ?note } ORDER BY (!langMatches(lang(?note), "en")) ?note
"""

GRAPH_SUBJECTS = """
SELECT ?s (COUNT(*) AS ?n) (SAMPLE(?en) AS ?sEn) (SAMPLE(?de) AS ?sDe) WHERE {
  ?s ?p ?o .
  OPTIONAL { ?s rdfs:label ?en FILTER(langMatches(lang(?en), "en")) }
  OPTIONAL { ?s rdfs:label ?de FILTER(langMatches(lang(?de), "de")) }
}
GROUP BY ?s ORDER BY ?s
"""


# ------------------------------------------------------------------------------------------------
# IRIs and terms
# ------------------------------------------------------------------------------------------------

def dataset_iri(iri: str) -> ox.NamedNode:
    """The IRI a path names; a path that makes no valid IRI names nothing here (404)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        abort(404)


def base_iri() -> str:
    """The base IRI of the served dataset."""
    return ctx().settings.base_iri


def local_href(iri: str) -> str | None:
    """The path on this server of an IRI of the dataset, or None for an outside IRI.

    Ontology terms (``…/ontology#City``) map to ``/ontology#City``.
    """
    for base in dict.fromkeys((base_iri(), ONTOLOGY_IRI.rsplit("ontology", 1)[0])):
        if iri.startswith(base) and len(iri) > len(base):
            rest = iri[len(base):]
            if rest.startswith(("id/", "graph/", "ontology")):
                return "/" + rest
    return None


def compact(iri: str) -> str:
    """A prefixed name for an IRI when a predeclared prefix fits, else the IRI.

    >>> compact("https://w3id.org/citygraph/ontology#City")
    'cg:City'
    >>> compact("http://example.org/x")
    'http://example.org/x'
    """
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            local = iri[len(namespace):]
            if local and all(c.isalnum() or c in "-_." for c in local):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


@dataclass(frozen=True)
class Term:
    """An RDF term as shown on a page: its value, kind, label and link."""

    kind: str  # "uri", "literal" or "bnode"
    value: str
    lang: str = ""
    datatype: str = ""
    label_en: str = ""
    label_de: str = ""
    label_any: str = ""

    @property
    def href(self) -> str | None:
        """Where a link to this term goes (a local path for the dataset's IRIs)."""
        if self.kind != "uri":
            return None
        return local_href(self.value) or self.value

    @property
    def text(self) -> str:
        """The text a link to this term shows."""
        if self.kind == "literal":
            return self.value
        return self.label_en or self.label_de or self.label_any or compact(self.value)

    @property
    def datatype_name(self) -> str:
        """The compact datatype of a typed literal (empty for strings and language strings)."""
        if not self.datatype or self.datatype.endswith("#string") or self.datatype.endswith(
                "#langString"):
            return ""
        return compact(self.datatype)


def term(binding: Mapping[str, Any] | None, en: Mapping[str, Any] | None = None,
         de: Mapping[str, Any] | None = None, other: Mapping[str, Any] | None = None) -> Term:
    """A Term from a SPARQL JSON result binding (and optional label bindings)."""
    if binding is None:
        return Term("literal", "")
    kind = {"typed-literal": "literal"}.get(binding["type"], binding["type"])
    return Term(kind, binding["value"], binding.get("xml:lang", ""), binding.get("datatype", ""),
                (en or {}).get("value", ""), (de or {}).get("value", ""),
                (other or {}).get("value", ""))


def graph_title(graph_iri: str) -> str:
    """What a named graph stands for: its source file, or the inferred triples."""
    base = base_iri() + "graph/"
    name = graph_iri[len(base):] if graph_iri.startswith(base) else graph_iri
    if name == "inferred":
        return "inferred (OWL 2 RL closure and derivation rules)"
    return f"{name}.ttl" if name.startswith(("data/", "ontology/")) else name


# ------------------------------------------------------------------------------------------------
# Querying (always through ctx().run_query, values bound as substitutions; the server's own
# queries run in the internal pool, apart from user queries)
# ------------------------------------------------------------------------------------------------

def select(text: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
           default_graphs: Sequence[str] = ()) -> tuple[list[dict[str, Any]], bool]:
    """The solutions of a SELECT query as SPARQL JSON bindings, and whether they were cut."""
    answer = ctx().run_query(text, select_format=SELECT_FORMATS["json"],
                             graph_format=GRAPH_FORMATS["ntriples"], substitutions=substitutions,
                             default_graphs=default_graphs, internal=True)
    return json.loads(answer.body)["results"]["bindings"], answer.truncated


def graph_document(text: str, fmt: Format,
                   substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
                   default_graphs: Sequence[str] = (),
                   max_rows: int | None = None) -> tuple[bytes, int, bool]:
    """The serialised triples of a CONSTRUCT query in ``fmt``, their number and whether cut."""
    answer = ctx().run_query(text, select_format=SELECT_FORMATS["json"], graph_format=fmt,
                             substitutions=substitutions, default_graphs=default_graphs,
                             internal=True, max_rows=max_rows)
    return answer.body, answer.rows, answer.truncated


# ------------------------------------------------------------------------------------------------
# Negotiation
# ------------------------------------------------------------------------------------------------

def split_twin(path: str) -> tuple[str, Format | None]:
    """A path without its URL-twin extension, and the twin's format (None if no twin).

    >>> split_twin("id/city/dortmund.ttl")[0]
    'id/city/dortmund'
    >>> split_twin("id/city/dortmund")
    ('id/city/dortmund', None)
    """
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension and extension in TWINS:
        return stem, TWINS[extension]
    return path, None


def choose(twin: Format | None) -> Format:
    """The format of the answer: the twin's, else the best one for Accept (Turtle for ``*/*``)."""
    if twin is not None:
        return twin
    fmt = negotiate(request.headers.get("Accept"), DOCUMENT_FORMATS, GRAPH_FORMATS["turtle"])
    if fmt is None:
        raise NotAcceptable("none of the media types in Accept can be produced here; available: "
                            + ", ".join(f.media_type for f in DOCUMENT_FORMATS.values()))
    return fmt


def document_response(body: bytes | str, fmt: Format, path: str, twin: Format | None,
                      *, rows: int | None = None, truncated: bool = False) -> Response:
    """A negotiated linked-data response with alternates in ``Link`` and caching headers."""
    response = negotiated(body, fmt, variant=fmt.name)
    links = [f'</{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"'
             for f in DOCUMENT_FORMATS.values() if f is not fmt]
    response.headers["Link"] = ", ".join(links)
    if twin is None:
        response.headers["Content-Location"] = f"/{path}.{fmt.extension}"
    if rows is not None:
        response.headers["X-Citygraph-Rows"] = str(rows)
    if truncated:
        response.headers["X-Citygraph-Truncated"] = "true"
    return response


# ------------------------------------------------------------------------------------------------
# Resource pages
# ------------------------------------------------------------------------------------------------

@dataclass
class Statement:
    """One property value of a resource (or one inbound link) and the graphs stating it."""

    value: Term
    graphs: list[str] = field(default_factory=list)


@dataclass
class PropertyGroup:
    """The values of one property on a resource page."""

    property: Term
    statements: list[Statement]


@dataclass
class ResourcePage:
    """What the HTML page of a resource shows."""

    iri: str
    labels: dict[str, list[str]]
    types: list[Term]
    wikidata: list[Term]
    derived_from: list[Term]
    outgoing: list[PropertyGroup]
    inbound: list[PropertyGroup]
    graphs: list[tuple[str, str, int]]  # graph IRI, title, statements
    truncated: bool

    @property
    def title(self) -> str:
        """The English label, else the German one, else the compact IRI."""
        for lang in ("en", "de"):
            if self.labels.get(lang):
                return self.labels[lang][0]
        return next((v[0] for v in self.labels.values() if v), compact(self.iri))


def _groups(rows: Iterable[dict[str, Any]]) -> list[PropertyGroup]:
    by_property: dict[str, tuple[Term, dict[tuple[str, str, str, str], Statement]]] = {}
    for row in rows:
        prop = term(row["p"], row.get("pEn"), row.get("pDe"))
        value = term(row["o"], row.get("oEn"), row.get("oDe"), row.get("oAny"))
        entry = by_property.setdefault(prop.value, (prop, {}))
        key = (value.kind, value.value, value.lang, value.datatype)
        statement = entry[1].setdefault(key, Statement(value))
        statement.graphs.append(row["g"]["value"])
    order = {p: i for i, p in enumerate(FIRST_PROPERTIES)}
    groups = []
    for prop, statements in sorted(by_property.values(), key=lambda item: (
            order.get(item[0].value, len(order)), item[0].text.lower())):
        values = sorted(statements.values(), key=lambda s: (s.value.lang, s.value.text.lower()))
        for statement in values:
            statement.graphs.sort()
        groups.append(PropertyGroup(prop, values))
    return groups


def resource_page(iri: str, rows: list[dict[str, Any]], truncated: bool) -> ResourcePage:
    """The page model of a resource from its statements (as STATEMENTS answers them)."""
    outgoing = [r for r in rows if r["dir"]["value"] == "out"]
    inbound = [r for r in rows if r["dir"]["value"] == "in"]
    labels: dict[str, list[str]] = defaultdict(list)
    for row in outgoing:
        if row["p"]["value"] == LABEL and row["o"]["value"] not in labels[
                row["o"].get("xml:lang", "")]:
            labels[row["o"].get("xml:lang", "")].append(row["o"]["value"])

    def values(predicate: str) -> list[Term]:
        seen: dict[str, Term] = {}
        for row in outgoing:
            if row["p"]["value"] == predicate:
                t = term(row["o"], row.get("oEn"), row.get("oDe"), row.get("oAny"))
                seen.setdefault(t.value, t)
        return sorted(seen.values(), key=lambda t: t.text.lower())

    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["g"]["value"]] += 1
    graphs = [(g, graph_title(g), n) for g, n in sorted(counts.items())]
    return ResourcePage(iri, {k: sorted(v) for k, v in sorted(labels.items())}, values(TYPE),
                        values(WIKIDATA), values(DERIVED_FROM), _groups(outgoing),
                        _groups(inbound), graphs, truncated)


#: The things whose IRIs start with ?ns (a literal), with a type and labels: an index of ``/id/``.
INDEX = """
SELECT ?ns ?s (SAMPLE(?t) AS ?type) (SAMPLE(?en) AS ?sEn) (SAMPLE(?de) AS ?sDe) WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?ns))
  OPTIONAL { ?s a ?t }
  OPTIONAL { ?s rdfs:label ?en FILTER(langMatches(lang(?en), "en")) }
  OPTIONAL { ?s rdfs:label ?de FILTER(langMatches(lang(?de), "de")) }
}
GROUP BY ?ns ?s ORDER BY ?s
"""

#: The same index as RDF: each thing with its types and labels.
INDEX_GRAPH = """
CONSTRUCT { ?s a ?t ; rdfs:label ?l } WHERE {
  { SELECT DISTINCT ?ns ?s WHERE { ?s ?p ?o . FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?ns)) } }
  OPTIONAL { ?s a ?t }
  OPTIONAL { ?s rdfs:label ?l }
}
"""


@bp.get("/id/", defaults={"path": ""})
@bp.get("/id/<path:path>")
def resource(path: str) -> Response:
    """Dereference an instance IRI ``base/id/…`` (HTML, or RDF by Accept or URL twin).

    ``/id/`` and ``/id/{kind}/`` are indexes: the things whose IRIs they begin.
    """
    if path == "" or path.endswith("/"):
        return index("id/" + path)
    return describe("id/" + path)


@bp.get("/id/index.<extension>", defaults={"path": ""})
@bp.get("/id/<path:path>/index.<extension>")
def index_twin(path: str, extension: str) -> Response:
    """The URL twins of an index: ``/id/index.ttl``, ``/id/city/index.jsonld``, …"""
    twin = TWINS.get(extension)
    if twin is None:
        abort(404)
    return index("id/" + (path + "/" if path else ""), twin)


def index(path: str, twin: Format | None = None) -> Response:
    """The index of the things whose IRIs begin with ``base + path`` (a path ending in ``/``)."""
    fmt = choose(twin)
    namespace = {"ns": ox.Literal(base_iri() + path)}
    twins = [(f"/{path}index.{f.extension}", f.name) for f in GRAPH_FORMATS.values()]
    if fmt is HTML:
        rows, truncated = select(INDEX, namespace)
        if not rows:
            abort(404)
        kinds: dict[str, list[tuple[Term, Term | None]]] = defaultdict(list)
        for row in rows:
            kind = row["s"]["value"][len(base_iri() + path):].split("/", 1)[0]
            kinds[kind if "/" in row["s"]["value"][len(base_iri() + path):] else ""].append(
                (term(row["s"], row.get("sEn"), row.get("sDe")),
                 term(row["type"]) if "type" in row else None))
        html = render_template("resource_index.html", iri=base_iri() + path, path=path,
                               kinds=sorted(kinds.items()), count=len(rows),
                               truncated=truncated, twins=twins)
        return _index_response(html, HTML, path, twin)
    body, count, truncated = graph_document(INDEX_GRAPH, fmt, namespace)
    if count == 0:
        abort(404)
    return _index_response(body, fmt, path, twin, rows=count, truncated=truncated)


def _index_response(body: bytes | str, fmt: Format, path: str, twin: Format | None,
                    **kwargs: Any) -> Response:
    """An index answer: as a document whose twins are ``…/index.{ext}``."""
    return document_response(body, fmt, path + "index", twin, **kwargs)


def describe(path: str) -> Response:
    """Answer for the resource ``base + path`` (a URL twin's extension picks the format)."""
    stem, twin = split_twin(path)
    if twin is not None and exists(base_iri() + path):
        stem, twin = path, None  # the IRI itself ends like a twin
    retired = retired_answer(stem, twin)
    if retired is not None:
        return retired
    fmt = choose(twin)
    iri = dataset_iri(base_iri() + stem)
    if fmt is HTML:
        rows, truncated = select(STATEMENTS, {"r": iri})
        if not rows:
            abort(404)
        page = resource_page(iri.value, rows, truncated)
        from .validation import results_about  # (validation builds on this module)

        html = render_template("resource.html", page=page, path=stem, twins=twin_links(stem),
                               validation=results_about(iri.value))
        return document_response(html, HTML, stem, twin)
    body, count, truncated = graph_document(DESCRIBE, fmt, {"r": iri})
    if count == 0:
        abort(404)
    return document_response(body, fmt, stem, twin, rows=count, truncated=truncated)


def successors(iri: str) -> list[str] | None:
    """The IRIs replacing a retired IRI (``owl:deprecated true``), or None if it is not retired."""
    rows, _ = select(RETIRED, {"r": dataset_iri(iri)})
    if not rows:
        return None
    return [row["new"]["value"] for row in rows if "new" in row]


def retired_answer(path: str, twin: Format | None) -> Response | None:
    """301 to the one successor of a retired IRI (keeping the URL twin), 410 Gone with links to
    its successors when it has several or none; None when ``base + path`` is not retired."""
    new = successors(base_iri() + path)
    if new is None:
        return None
    suffix = f".{twin.extension}" if twin is not None else ""
    targets = [(local_href(n) or n) + (suffix if local_href(n) else "") for n in new]
    links = ", ".join(f'<{t}>; rel="successor-version"' for t in targets)
    if len(targets) == 1:
        response = Response(f"Moved permanently to {targets[0]}\n", status=301,
                            content_type="text/plain; charset=utf-8")
        response.headers["Location"] = targets[0]
        response.headers["Link"] = links
        response.cache_control.public = True
        response.cache_control.max_age = ctx().settings.cache_seconds
        return response
    fmt = choose(twin)
    if fmt is HTML:
        notes, _ = select(NOTES, {"r": dataset_iri(base_iri() + path)})
        html = render_template("resource_gone.html", iri=base_iri() + path,
                               successors=list(zip(new, targets, strict=True)),
                               notes=[row["note"]["value"] for row in notes])
        response = document_response(html, HTML, path, twin)
    else:
        body, count, _ = graph_document(DESCRIBE, fmt, {"r": dataset_iri(base_iri() + path)})
        response = document_response(body, fmt, path, twin, rows=count)
    response.status_code = 410
    if links:
        response.headers["Link"] = links + ", " + response.headers["Link"]
    return response


def exists(iri: str) -> bool:
    """True when the IRI is the subject or object of a triple of the dataset."""
    answer = ctx().run_query("ASK { { ?r ?p ?o } UNION { ?s ?q ?r } }",
                             select_format=SELECT_FORMATS["json"],
                             graph_format=GRAPH_FORMATS["ntriples"],
                             substitutions={"r": dataset_iri(iri)}, internal=True)
    return bool(json.loads(answer.body)["boolean"])


def twin_links(path: str) -> list[tuple[str, str]]:
    """(URL, format name) of every RDF twin of a page."""
    return [(f"/{path}.{f.extension}", f.name) for f in GRAPH_FORMATS.values()]


# ------------------------------------------------------------------------------------------------
# Named graphs (one per source file, plus the inferred triples)
# ------------------------------------------------------------------------------------------------

@bp.get("/graph/<path:path>")
def named_graph(path: str) -> Response:
    """Dereference a named graph ``base/graph/…``: its triples, or an HTML list of its subjects."""
    stem, twin = split_twin(path)
    full = "graph/" + stem
    iri = base_iri() + full
    if iri not in ctx().manifest.graphs:
        retired = retired_answer(full, twin)
        if retired is not None:
            return retired
        abort(404)
    fmt = choose(twin)
    if fmt is HTML:
        rows, truncated = select(GRAPH_SUBJECTS, default_graphs=[iri])
        subjects = [(term(r["s"], r.get("sEn"), r.get("sDe")), int(r["n"]["value"]))
                    for r in rows]
        found, _ = select(GRAPH_SOURCE, {"g": dataset_iri(iri)})
        sources = [term(r["source"], r.get("sourceEn"), r.get("sourceDe")) for r in found]
        html = render_template("resource_graph.html", iri=iri, title=graph_title(iri),
                               subjects=subjects, sources=sources, triples=ctx().manifest.graphs[iri],
                               truncated=truncated, twins=twin_links(full))
        return document_response(html, HTML, full, twin)
    body, count, truncated = graph_document(GRAPH_CONTENT, fmt, default_graphs=[iri])
    return document_response(body, fmt, full, twin, rows=count, truncated=truncated)


# ------------------------------------------------------------------------------------------------
# The ontology
# ------------------------------------------------------------------------------------------------

def ontology_graphs() -> list[str]:
    """The named graphs of the ontology files (vocabulary and concept schemes)."""
    prefix = base_iri() + "graph/ontology/"
    return sorted(g for g in ctx().manifest.graphs if g.startswith(prefix))


@dataclass
class TermDoc:
    """The documentation of one class, property or concept scheme of the ontology."""

    iri: str
    name: str
    kinds: list[str]
    labels: dict[str, str]
    definitions: dict[str, str]
    notes: dict[str, str]
    relations: list[tuple[str, list[tuple[str, str | None]]]]  # heading → (text, href)


def _text_by_lang(graph: Graph, subject: URIRef, predicate: URIRef) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal):
            out.setdefault(value.language or "", str(value))
    return dict(sorted(out.items(), key=lambda kv: (kv[0] not in ("en", "de"), kv[0])))


def _link(graph: Graph, node: object) -> tuple[str, str | None]:
    iri = str(node)
    if iri.startswith(str(CG)):
        return compact(iri), "#" + iri[len(str(CG)):]
    if not isinstance(node, URIRef):
        return "(anonymous class)", None
    label = next((str(lab) for lab in graph.objects(node, RDFS.label)
                  if isinstance(lab, Literal) and lab.language == "en"), "")
    text = f"{label} ({compact(iri)})" if label and local_href(iri) else compact(iri)
    return text, local_href(iri) or iri


def ontology_docs(graph: Graph) -> dict[str, list[TermDoc]]:
    """Documentation of the classes, properties and concept schemes in the cg: namespace."""
    namespace = str(CG)
    sections: dict[str, list[TermDoc]] = {"classes": [], "properties": [], "schemes": []}
    property_types: dict[Any, str] = {OWL.ObjectProperty: "object property", OWL.DatatypeProperty:
                      "datatype property", OWL.AnnotationProperty: "annotation property",
                      RDF.Property: "property"}
    characteristics: dict[Any, str] = {
        OWL.SymmetricProperty: "symmetric", OWL.TransitiveProperty: "transitive",
        OWL.FunctionalProperty: "functional", OWL.InverseFunctionalProperty: "inverse functional",
        OWL.AsymmetricProperty: "asymmetric"}
    subjects = sorted({s for s in graph.subjects(RDF.type, None)
                       if isinstance(s, URIRef) and str(s).startswith(namespace)})
    for subject in subjects:
        types = set(graph.objects(subject, RDF.type))
        name = str(subject)[len(namespace):]

        def links(predicate: URIRef, inverse: bool = False,
                  subject: URIRef = subject) -> list[tuple[str, str | None]]:
            nodes = graph.subjects(predicate, subject) if inverse else graph.objects(
                subject, predicate)
            return sorted({_link(graph, n) for n in nodes}, key=lambda x: x[0].lower())

        if types & {OWL.Class, RDFS.Class}:
            section, kinds = "classes", ["class"]
            relations = [("subclass of", links(RDFS.subClassOf)),
                         ("superclass of", links(RDFS.subClassOf, inverse=True)),
                         ("equivalent to", links(OWL.equivalentClass))]
        elif types & set(property_types):
            section = "properties"
            kinds = sorted(property_types[t] for t in types if t in property_types) + sorted(
                characteristics[t] for t in types if t in characteristics)
            relations = [("subproperty of", links(RDFS.subPropertyOf)),
                         ("superproperty of", links(RDFS.subPropertyOf, inverse=True)),
                         ("inverse of", links(OWL.inverseOf)),
                         ("domain", links(RDFS.domain)), ("range", links(RDFS.range))]
        elif SKOS.ConceptScheme in types:
            section, kinds = "schemes", ["concept scheme"]
            relations = [("concepts", links(SKOS.inScheme, inverse=True))]
        else:
            continue
        labels = _text_by_lang(graph, subject, RDFS.label) or _text_by_lang(
            graph, subject, SKOS.prefLabel)
        definitions = _text_by_lang(graph, subject, SKOS.definition) or _text_by_lang(
            graph, subject, RDFS.comment)
        sections[section].append(TermDoc(
            str(subject), name, kinds, labels, definitions,
            _text_by_lang(graph, subject, SKOS.scopeNote),
            [(heading, items) for heading, items in relations if items]))
    return sections


def is_version_iri(iri: str) -> bool:
    """True when ``iri`` is the ``owl:versionIRI`` of the ontology in the dataset."""
    answer = ctx().run_query("ASK { ?o owl:versionIRI ?v }", select_format=SELECT_FORMATS["json"],
                             graph_format=GRAPH_FORMATS["ntriples"],
                             substitutions={"v": dataset_iri(iri)}, internal=True)
    return bool(json.loads(answer.body)["boolean"])


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The version IRI of the ontology (``…/ontology/0.1.0``) answers with this version."""
    stem, twin = split_twin(version)
    if not is_version_iri(ONTOLOGY_IRI + "/" + stem):
        abort(404)
    return ontology(twin.extension if twin is not None else None)


@bp.get("/ontology")
@bp.get("/ontology.<extension>")
def ontology(extension: str | None = None) -> Response:
    """The ontology: HTML documentation for browsers, its RDF by Accept or URL twin."""
    twin = None
    if extension is not None:
        twin = TWINS.get(extension)
        if twin is None:
            abort(404)
    fmt = choose(twin)
    graphs = ontology_graphs()
    if not graphs:
        abort(404)
    if fmt is HTML:
        # The whole ontology, whatever the row cap: the documentation must not lose terms.
        body_nt, _, _ = graph_document(GRAPH_CONTENT, GRAPH_FORMATS["ntriples"],
                                       default_graphs=graphs, max_rows=sys.maxsize)
        graph = Graph()
        graph.parse(data=body_nt.decode("utf-8"), format="nt")
        header = URIRef(ONTOLOGY_IRI)
        meta = {key: _text_by_lang(graph, header, URIRef(iri)) for key, iri in (
            ("title", "http://purl.org/dc/terms/title"),
            ("description", "http://purl.org/dc/terms/description"),
            ("version", str(OWL.versionInfo)))}
        licence = next((str(o) for o in graph.objects(
            header, URIRef("http://purl.org/dc/terms/license"))), "")
        html = render_template("ontology.html", iri=ONTOLOGY_IRI, meta=meta, licence=licence,
                               sections=ontology_docs(graph), namespace=str(CG),
                               twins=twin_links("ontology"),
                               graphs=[(g, graph_title(g)) for g in graphs])
        return document_response(html, HTML, "ontology", twin)
    body, count, truncated = graph_document(GRAPH_CONTENT, fmt, default_graphs=graphs)
    return document_response(body, fmt, "ontology", twin, rows=count, truncated=truncated)


# ------------------------------------------------------------------------------------------------
# Dumps
# ------------------------------------------------------------------------------------------------

def dump_format(name: str) -> Format | None:
    """The format of a dump file (by its extension), or None when it is not a dump."""
    if name == MANIFEST_FILE:
        return JSON
    if name not in DUMPS:
        return None
    extension = name.rpartition(".")[2]
    return next((f for f in (*DATASET_FORMATS.values(), *GRAPH_FORMATS.values())
                 if f.extension == extension), None)


def build_time() -> datetime:
    """When the served build was made (the dumps' Last-Modified)."""
    return datetime.fromisoformat(ctx().manifest.built)


@bp.get("/dump")
@bp.get("/dump/")
def dumps() -> Response:
    """The list of dumps with format, size and SHA-256 (HTML, or JSON by Accept)."""
    manifest = ctx().manifest
    items = []
    for name in [*DUMPS, MANIFEST_FILE]:
        info = manifest.files.get(name, {})
        fmt = dump_format(name)
        assert fmt is not None
        items.append({"name": name, "url": f"/dump/{name}", "mediaType": fmt.media_type,
                      "bytes": info.get("bytes"), "sha256": info.get("sha256"),
                      "namedGraphs": DUMPS[name][1] if name in DUMPS else None})
    fmt = negotiate(request.headers.get("Accept"), {"html": HTML, "json": JSON}, HTML)
    if fmt is None:
        raise NotAcceptable("the list of dumps is available as text/html or application/json")
    if fmt is JSON:
        document = {"version": manifest.version, "built": manifest.built, "dumps": items}
        return negotiated(json.dumps(document, indent=2) + "\n", JSON, variant="dumps-json")
    body = render_template("resource_dumps.html", dumps=items, manifest=manifest)
    return negotiated(body, HTML, variant="dumps-html")


@bp.get("/dump/<name>")
def dump(name: str) -> Response:
    """One dump file, as an attachment with Last-Modified, ETag and (negotiated) gzip."""
    fmt = dump_format(name)
    path = ctx().dist / name
    if fmt is None or not path.is_file():
        abort(404)
    response = Response(path.read_bytes(), content_type=fmt.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.last_modified = build_time()
    sha = ctx().manifest.files.get(name, {}).get("sha256")
    response = cached(response, variant=name) if sha is None else _tagged(response, sha)
    return response


def _tagged(response: Response, sha: str) -> Response:
    app_ctx = ctx()
    response.set_etag(sha[:32])
    response.cache_control.public = True
    response.cache_control.max_age = app_ctx.settings.cache_seconds
    response.headers["X-Citygraph-Version"] = app_ctx.version
    conditional = response.make_conditional(request)
    assert isinstance(conditional, Response)
    return conditional


# ------------------------------------------------------------------------------------------------
# Template filters (prefixed ld_ as they are registered app-wide)
# ------------------------------------------------------------------------------------------------

@bp.app_template_filter("ld_local")
def ld_local(iri: str) -> str:
    """A link to an IRI: its local path when it is one of the dataset's."""
    return local_href(iri) or iri


@bp.app_template_filter("ld_graph")
def ld_graph(iri: str) -> str:
    """The short name of a named graph (its source file)."""
    return graph_title(iri).split(" (", 1)[0]


@bp.app_template_filter("ld_media")
def ld_media(name: str) -> str:
    """The media type of a document format by name."""
    return DOCUMENT_FORMATS[name].media_type
