"""Blueprint 'catalog': the DCAT-AP.de 3.0 catalog at ``/catalog`` and VoID at ``/.well-known/void``.

Both documents are made at build time (``dist/catalog.ttl``, ``dist/void.ttl``, see
``citygraph.catalog``); a build made before they existed gets them computed from its dataset
file once. Each is served in Turtle (the default), N-Triples, JSON-LD or RDF/XML by ``Accept``,
``?format=`` or a URL twin (``/catalog.ttl`` …), and as an HTML summary for browsers. The IRIs
the catalog mints (``/dataset/…``, ``/service/…``) redirect (303) to the document describing them.

Both answer with ``Last-Modified``: when the build's files last changed (``Manifest.changed``: a
rebuild of the same sources keeps it, so it moves exactly when the answer can differ; never before
the dataset's ``dcterms:modified``, the sources' date that the documents themselves state), and
honour ``If-Modified-Since`` with 304 as well as ``If-None-Match``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID

from ..catalog import (
    CATALOG_FILE,
    CATALOG_PREFIXES,
    SPDX,
    VOID_FILE,
    Iris,
    catalog_graph,
    last_modified,
    void_graph,
)
from ..config import Settings
from ..errors import BadParameter, NotAcceptable, NotFound
from ..formats import (
    GRAPH_FORMATS,
    HTML,
    Format,
    by_extension,
    by_name,
    negotiate,
    serialize_triples,
)
from ..publish import Manifest
from ..terms import graph_triples
from .common import cached
from .context import AppContext, ctx

bp = Blueprint("catalog", __name__)

#: What /catalog and /.well-known/void offer: RDF formats (Turtle first, the default) and HTML.
DOCUMENT_FORMATS: dict[str, Format] = {**GRAPH_FORMATS, HTML.name: HTML}
DEFAULT_FORMAT = GRAPH_FORMATS["turtle"]


@dataclass(frozen=True)
class Document:
    """One served description: its file in dist/, how to compute it, and its HTML template."""

    name: str
    file: str
    make: Callable[[Manifest, Settings, Any], Graph]
    template: str


DOCUMENTS = {
    "catalog": Document("catalog", CATALOG_FILE, catalog_graph, "catalog.html"),
    "void": Document("void", VOID_FILE, void_graph, "void.html"),
}


@dataclass(frozen=True)
class Loaded:
    """A document of the served build, parsed once: as rdflib graph and pyoxigraph triples."""

    graph: Graph
    triples: tuple[ox.Triple, ...]
    prefixes: Mapping[str, str]
    modified: datetime | None


_CACHE: dict[tuple[str, str, str], Loaded] = {}


def load_document(app_ctx: AppContext, doc: Document) -> Loaded:
    """The document of the served build (from dist/, else computed from its dataset file)."""
    cache = _CACHE
    key = (str(app_ctx.dist.resolve()), app_ctx.version, doc.name)
    if key not in cache:
        path = app_ctx.dist / doc.file
        if path.is_file():
            graph = Graph().parse(path, format="turtle")
        else:
            graph = doc.make(app_ctx.manifest, app_ctx.settings, app_ctx.dist)
        # Sorted by subject, so the writers group each resource's statements together.
        triples = sorted(graph_triples(graph),
                         key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        modified = modified_time(graph, Iris(app_ctx.settings.base_iri).dataset)
        cache[key] = Loaded(graph, tuple(triples), used_prefixes(graph), modified)
    return cache[key]


def modified_time(graph: Graph, dataset: URIRef) -> datetime | None:
    """The dataset's ``dcterms:modified`` as an HTTP time (UTC), or None if it states none."""
    value = graph.value(dataset, DCTERMS.modified)
    python = value.toPython() if isinstance(value, Literal) else None
    if isinstance(python, date):  # a datetime is a date too
        return last_modified(python)
    return None


def used_prefixes(graph: Graph) -> dict[str, str]:
    """The prefixes of CATALOG_PREFIXES whose namespace some IRI of ``graph`` lies in."""
    iris = {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    iris |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    return {prefix: ns for prefix, ns in CATALOG_PREFIXES.items()
            if any(iri.startswith(ns) and iri != ns for iri in iris)}


def choose_format(extension: str | None = None) -> Format:
    """The format asked for by URL twin, ``format=`` or ``Accept`` (in that order)."""
    if extension is not None:
        fmt = by_extension(extension, DOCUMENT_FORMATS)
        if fmt is None:
            raise NotFound(f"no such format: .{extension}")
        return fmt
    name = request.args.get("format")
    if name:
        fmt = by_name(name, DOCUMENT_FORMATS)
        if fmt is None:
            raise BadParameter("format", f"unknown format {name!r}; use one of "
                               + ", ".join(DOCUMENT_FORMATS))
        return fmt
    fmt = negotiate(request.headers.get("Accept"), DOCUMENT_FORMATS, DEFAULT_FORMAT)
    if fmt is None:
        offered = ", ".join(f.media_type for f in DOCUMENT_FORMATS.values())
        raise NotAcceptable(f"none of the requested media types can be produced; offered: "
                            f"{offered}")
    return fmt


def serve(doc: Document, extension: str | None = None) -> Response:
    """Answer with a document in the negotiated format (cached by dataset version)."""
    fmt = choose_format(extension)
    app_ctx = ctx()
    loaded = load_document(app_ctx, doc)
    if fmt is HTML:
        html = render_template(doc.template, **summary(loaded.graph, app_ctx))
        response = Response(html, content_type=HTML.content_type)
    else:
        answer = serialize_triples(loaded.triples, fmt, prefixes=loaded.prefixes)
        response = Response(answer.body, content_type=fmt.content_type)
    # When this representation last changed: the build that first wrote these files (a rebuild
    # of the same sources keeps it), never before the sources' own date.
    changed = app_ctx.manifest.changed_time
    response.last_modified = changed if loaded.modified is None else max(changed, loaded.modified)
    return cached(response, "html" if fmt is HTML else fmt.name)


@bp.get("/catalog")
def catalog() -> Response:
    """The DCAT-AP.de 3.0 catalog."""
    return serve(DOCUMENTS["catalog"])


@bp.get("/catalog.<extension>")
def catalog_twin(extension: str) -> Response:
    """The catalog in the format of the URL twin's extension."""
    return serve(DOCUMENTS["catalog"], extension)


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID description of the dataset."""
    return serve(DOCUMENTS["void"])


@bp.get("/.well-known/void.<extension>")
def void_twin(extension: str) -> Response:
    """The VoID description in the format of the URL twin's extension."""
    return serve(DOCUMENTS["void"], extension)


@bp.get("/dataset/<path:rest>")
@bp.get("/service/<path:rest>")
def minted(rest: str) -> Response:
    """A 303 redirect from an IRI the catalog or VoID mints to the document describing it."""
    app_ctx = ctx()
    prefix = request.path.lstrip("/").split("/", 1)[0]
    iri = URIRef(f"{app_ctx.settings.base_iri}{prefix}/{rest}")
    for name, route in (("catalog", "/catalog"), ("void", "/.well-known/void")):
        graph = load_document(app_ctx, DOCUMENTS[name]).graph
        if (iri, None, None) in graph:
            response = Response(status=303, headers={"Location": route})
            response.vary.add("Accept")
            return response
    raise NotFound(f"nothing is described as {iri}")


def local(iri: object, base: str) -> str:
    """A link to ``iri`` on this server when it lies under the base IRI, else the IRI itself."""
    text = str(iri)
    return "/" + text[len(base):] if text.startswith(base) else text


def _int(node: object) -> int:
    return int(str(node))


def _text(graph: Graph, subject: object, predicate: URIRef, lang: str = "en") -> str:
    values = list(graph.objects(subject, predicate))  # type: ignore[arg-type]
    for value in values:
        if getattr(value, "language", None) == lang:
            return str(value)
    return str(values[0]) if values else ""


def summary(graph: Graph, app_ctx: AppContext) -> Mapping[str, Any]:
    """What the HTML pages show of the catalog or VoID graph."""
    base = app_ctx.settings.base_iri
    iris = Iris(base)
    ds = iris.dataset
    distributions = []
    for dist in sorted(graph.objects(ds, DCAT.distribution), key=str):
        url = graph.value(dist, DCAT.downloadURL)
        checksum = graph.value(dist, SPDX.checksum)
        distributions.append({
            "title": _text(graph, dist, DCTERMS.title),
            "href": local(url, base),
            "url": str(url),
            "media_type": str(graph.value(dist, DCAT.mediaType)).rsplit("media-types/", 1)[-1],
            "bytes": graph.value(dist, DCAT.byteSize),
            "sha256": str(graph.value(checksum, SPDX.checksumValue)) if checksum else "",
        })
    temporal = graph.value(ds, DCTERMS.temporal)
    stats = {name: graph.value(ds, VOID[name]) for name in (
        "triples", "entities", "classes", "properties", "distinctSubjects", "distinctObjects")}
    linkset = graph.value(ds, VOID.subset)
    partitions = sorted(
        ((str(graph.value(p, VOID["class"])), _int(graph.value(p, VOID.entities)))
         for p in graph.objects(ds, VOID.classPartition)), key=lambda pair: (-pair[1], pair[0]))
    return {
        "dataset": str(ds),
        "title": _text(graph, ds, DCTERMS.title),
        "title_de": _text(graph, ds, DCTERMS.title, "de"),
        "description": _text(graph, ds, DCTERMS.description),
        "description_de": _text(graph, ds, DCTERMS.description, "de"),
        "license": str(graph.value(ds, DCTERMS.license) or ""),
        "modified": str(graph.value(ds, DCTERMS.modified) or ""),
        "publisher": _text(graph, graph.value(ds, DCTERMS.publisher), FOAF.name),
        "spatial": str(graph.value(ds, DCTERMS.spatial) or ""),
        "start": str(graph.value(temporal, DCAT.startDate)) if temporal else "",
        "end": str(graph.value(temporal, DCAT.endDate)) if temporal else "",
        "distributions": distributions,
        "endpoint": local(iris.endpoint, base),
        "endpoint_iri": str(iris.endpoint),
        "stats": {k: _int(v) for k, v in stats.items() if v is not None},
        "links": _int(graph.value(linkset, VOID.triples)) if linkset else None,
        "partitions": partitions[:25],
        "vocabularies": sorted(str(v) for v in graph.objects(ds, VOID.vocabulary)),
        "dumps": sorted(local(d, base) for d in graph.objects(ds, VOID.dataDump)),
        "formats": [(f.name, f.extension, f.media_type) for f in GRAPH_FORMATS.values()],
        "is_catalog": (None, RDF.type, DCAT.Catalog) in graph,
    }
