"""Blueprint 'sparql': the SPARQL 1.1 Protocol at ``/sparql`` and its Service Description.

Queries come by GET ``?query=``, by POST ``application/x-www-form-urlencoded`` (``query=``) or by
POST ``application/sparql-query``; ``default-graph-uri`` and ``named-graph-uri`` (repeatable) set
the dataset, otherwise the default graph is the union of every named graph (asserted and
inferred). The answer format is chosen by ``format=`` or ``Accept``: both a result format
(SELECT/ASK) and a graph format (CONSTRUCT/DESCRIBE) are negotiated up front, since the kind of a
query is known only once it is parsed, and a 406 is given only when the one needed is missing.
Every query runs in the executor's worker processes (``ctx().run_query``), which stop it at the
timeout. The endpoint is read-only: any update is a 403.

The same URL is the read side of the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph
identification, as on a Fuseki dataset URL): ``GET /sparql?default`` gives the default graph (the
union of every named graph) and ``GET /sparql?graph=IRI`` one named graph, whole, in the negotiated
RDF format; an unknown graph is a 404. Writes (PUT, DELETE, PATCH, or a POST of RDF) are 403.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Request, redirect, request
from rdflib.namespace import RDF, RDFS, VOID
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.wrappers import Response as BaseResponse

from ..errors import (
    BadParameter,
    BadRequest,
    NotAcceptable,
    NotFound,
    QuerySyntaxError,
    QueryTooLarge,
    UpdateForbidden,
)
from ..formats import (
    GRAPH_FORMATS,
    HTML,
    SELECT_FORMATS,
    Format,
    by_name,
    negotiate,
    serialize_triples,
)
from ..queries import query_form
from ..sparqltext import analyse, check_text, tokens
from ..vocab import SD
from ..wikidata.labels import parse_accept_language, rewrite_labels
from .common import external_url, host_dependent, negotiated, redirect_location, unchanged
from .context import AppContext, ctx

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

#: W3C format IRIs (http://www.w3.org/ns/formats/) of every format the endpoint produces.
FORMAT_IRIS: dict[str, str] = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}

#: ``format=`` names that pick a format in the other table too (a JSON answer either way, …).
SIBLINGS = {"json": "jsonld", "jsonld": "json", "xml": "rdfxml", "rdfxml": "xml"}

#: ``format=`` names of other clients that this endpoint reads as one of its formats.
EXTRA_ALIASES = {"n3": "turtle", "text/n3": "turtle", "text/rdf+n3": "turtle"}


@dataclass(frozen=True)
class ProtocolRequest:
    """What a SPARQL Protocol request asks: the query text and its dataset."""

    query: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


@dataclass(frozen=True)
class Formats:
    """The formats negotiated for a request: one per kind of answer, None if unacceptable."""

    select: Format | None
    graph: Format | None

    @property
    def variant(self) -> str:
        """A short name of the pair, part of the ETag."""
        return f"{self.select.name if self.select else '-'}.{self.graph.name if self.graph else '-'}"


def _values(req: Request, name: str) -> list[str]:
    """Every value of a parameter, from the URL and (for form posts) from the body."""
    values = req.args.getlist(name)
    if req.method == "POST" and req.mimetype == FORM:
        values += req.form.getlist(name)
    return values


def read_request(req: Request, max_bytes: int) -> ProtocolRequest:
    """The query and dataset of a Protocol request; refuse updates (403) and big queries (413)."""
    if (req.method == "POST" and req.mimetype == SPARQL_UPDATE) or any(
            _values(req, name) for name in ("update", "using-graph-uri", "using-named-graph-uri")):
        raise UpdateForbidden("SPARQL Update is not allowed: this endpoint is read-only")
    if req.method == "POST" and req.mimetype not in (FORM, SPARQL_QUERY):
        raise UnsupportedMediaType(f"a SPARQL query is posted as {FORM} or {SPARQL_QUERY}, "
                                   f"not {req.mimetype or 'without a Content-Type'}")
    charset = req.mimetype_params.get("charset") if req.method == "POST" else None
    if charset is not None and charset.strip().strip('"').lower() not in (
            "utf-8", "utf8", "us-ascii", "ascii"):  # ASCII text is UTF-8 text
        raise BadRequest(f"a SPARQL Protocol request body is UTF-8 text; this one says "
                         f"charset={charset} (send it in UTF-8)")
    if req.method == "POST" and req.mimetype == SPARQL_QUERY:
        if req.content_length is not None and req.content_length > max_bytes:
            raise _too_large(req.content_length, max_bytes)
        raw = req.get_data(cache=True)
        try:
            texts = [raw.decode("utf-8")] if raw else []
        except UnicodeDecodeError:
            raise BadRequest("the query is not valid UTF-8 text") from None
    else:
        texts = _values(req, "query")
    if len(texts) > 1:
        raise BadRequest("give exactly one query (several 'query' parameters were sent)")
    text = texts[0] if texts else None
    if text is not None and len(text.encode("utf-8")) > max_bytes:
        raise _too_large(len(text.encode("utf-8")), max_bytes)
    return ProtocolRequest(text, _graph_iris(req, "default-graph-uri"),
                           _graph_iris(req, "named-graph-uri"))


def _graph_iris(req: Request, name: str) -> tuple[str, ...]:
    """The graph IRIs of a dataset parameter; a value that is not an absolute IRI is a 400."""
    values = tuple(_values(req, name))
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadParameter(name, f"{value!r} is not an absolute IRI ({exc})") from None
    return values


def _too_large(size: int, max_bytes: int) -> QueryTooLarge:
    return QueryTooLarge(f"the query has {size} bytes, more than the limit of {max_bytes} bytes")


def _format_names(req: Request) -> list[str]:
    return [name for name in _values(req, "format") if name.strip()]


def choose_formats(req: Request) -> Formats:
    """Negotiate a result format and a graph format (``format=`` first, then ``Accept``)."""
    names = _format_names(req)
    if names:
        for name in names:  # clients such as SPARQLWrapper send a name and a media type
            key = EXTRA_ALIASES.get(name.lower(), name)
            select, graph = by_name(key, SELECT_FORMATS), by_name(key, GRAPH_FORMATS)
            if select is None and graph is not None and graph.name in SIBLINGS:
                select = SELECT_FORMATS[SIBLINGS[graph.name]]
            if graph is None and select is not None and select.name in SIBLINGS:
                graph = GRAPH_FORMATS[SIBLINGS[select.name]]
            if select is not None or graph is not None:
                return Formats(select, graph)
        raise NotAcceptable(f"format {names[0]!r} is not available; choose one of "
                            + ", ".join([*SELECT_FORMATS, *GRAPH_FORMATS]))
    return negotiated_formats(req.headers.get("Accept"))


#: Accept headers up to this length have their negotiation remembered (clients send a few).
ACCEPT_MEMO_LENGTH = 512


def negotiated_formats(accept: str | None) -> Formats:
    """The result format and graph format an Accept header asks for (remembered for short
    headers: the same few come with every request of a client).

    >>> negotiated_formats("text/turtle").variant
    '-.turtle'
    """
    if accept is not None and len(accept) > ACCEPT_MEMO_LENGTH:
        return _negotiate_both(accept)
    return _negotiate_memo(accept)


def _negotiate_both(accept: str | None) -> Formats:
    return Formats(negotiate(accept, SELECT_FORMATS), negotiate(accept, GRAPH_FORMATS))


_negotiate_memo = functools.lru_cache(maxsize=256)(_negotiate_both)


def _not_acceptable(kind: str, table: Mapping[str, Format]) -> NotAcceptable:
    return NotAcceptable(f"a {kind} answer can be given as one of "
                         + ", ".join(f.media_type for f in table.values())
                         + " (by Accept, or format=" + "|".join(table) + ")")


def _states_form(text: str) -> bool:
    """True when the text names its query form (query_form's default of 'select' is a guess)."""
    return analyse(text).form is not None


def _query_variant(protocol: ProtocolRequest, formats: Formats, base: str | None = None) -> str:
    """The ETag variant of a query response: the formats and a hash of the query, dataset and
    base IRI."""
    key = "\x00".join([protocol.query or "", *protocol.default_graphs, "\x01",
                       *protocol.named_graphs, "\x02", base or ""])
    return f"q{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}-{formats.variant}"


@bp.route("/sparql", methods=["GET", "POST"], endpoint="endpoint")
def endpoint() -> BaseResponse:
    """The SPARQL 1.1 Protocol: run a query, or describe the service when there is none."""
    app_ctx = ctx()
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # not the proxy
    if is_graph_store_request(req):
        return graph_store_read(app_ctx)
    protocol = read_request(req, app_ctx.settings.max_query_bytes)
    if protocol.query is None:
        if req.method in ("GET", "HEAD"):
            return service_description_response(app_ctx)
        raise BadRequest("missing query: send the SPARQL query as 'query' (form) or as an "
                         f"{SPARQL_QUERY} body")
    if not protocol.query.strip():
        raise BadRequest("missing query: the 'query' parameter is empty")
    # No query in it (comments, PREFIX only), or too deep for the engine: 400 before it runs;
    # an update is refused here too, without taking a worker.
    if check_text(protocol.query, app_ctx.settings.max_query_depth).is_update:
        raise UpdateForbidden("SPARQL Update is not allowed: this endpoint is read-only")
    # The WDQS label service is answered here, by rewriting the text into plain SPARQL (400 for a
    # shape it cannot answer): it never reaches the SERVICE allowlist, nor the network.
    labels = rewrite_labels(protocol.query, app_ctx.store.prefixes,
                            parse_accept_language(req.headers.get("Accept-Language")))
    original = protocol.query
    protocol = dataclasses.replace(protocol, query=labels.text)
    formats = choose_formats(req)
    if formats.select is None and formats.graph is None:
        raise NotAcceptable("none of the media types in Accept can be produced; available: "
                            + ", ".join(f.media_type for f in [*SELECT_FORMATS.values(),
                                                                 *GRAPH_FORMATS.values()]))
    # Refuse before running when the query's form plainly needs a format that cannot be given.
    form = query_form(original)
    if form in ("construct", "describe") and formats.graph is None:
        raise _not_acceptable("CONSTRUCT or DESCRIBE", GRAPH_FORMATS)
    if form in ("select", "ask") and formats.select is None and _states_form(original):
        raise _not_acceptable("SELECT or ASK", SELECT_FORMATS)
    # Relative IRIs resolve against the endpoint's URL: only then does the answer depend on it
    # (and only then is the URL worked out: werkzeug builds it slowly).
    relative = has_relative_iri(original)
    base = endpoint_base() if relative else None
    # The tag hashes the rewritten text: with [AUTO_LANGUAGE] it holds the request's languages.
    variant = _query_variant(protocol, formats, base)
    cached_answer = unchanged(variant)
    if cached_answer is not None:
        if labels.auto_language:
            cached_answer.vary.add("Accept-Language")
        return cached_answer
    try:
        result = app_ctx.run_query(
            labels.text,
            select_format=formats.select or SELECT_FORMATS["json"],
            graph_format=formats.graph or GRAPH_FORMATS["turtle"],
            default_graphs=protocol.default_graphs, named_graphs=protocol.named_graphs,
            base_iri=base)
    except QuerySyntaxError as exc:  # at the lines and columns the user wrote
        raise QuerySyntaxError(labels.restore_positions(exc.message)) from None
    if result.kind == "graph" and formats.graph is None:
        raise _not_acceptable("CONSTRUCT or DESCRIBE", GRAPH_FORMATS)
    if result.kind != "graph" and formats.select is None:
        raise _not_acceptable("SELECT or ASK", SELECT_FORMATS)
    response = negotiated(result.body, result.format, variant=variant, weak=True)
    if relative:
        host_dependent(response)
    if labels.auto_language:
        response.vary.add("Accept-Language")
    response.headers["X-Citygraph-Rows"] = str(result.rows)
    response.headers["X-Citygraph-Truncated"] = "true" if result.truncated else "false"
    return response


# ------------------------------------------------------------------------------------------------
# Graph Store HTTP Protocol, read side (indirect identification: ?default, ?graph=IRI)
# ------------------------------------------------------------------------------------------------

#: Every graph's triples, as a graph-store GET answers them (the dataset names the graph).
GRAPH_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
#: Parameters of the SPARQL Protocol: a request with one of them is not a graph-store request.
PROTOCOL_PARAMETERS = ("query", "update", "using-graph-uri", "using-named-graph-uri")


def is_graph_store_request(req: Request) -> bool:
    """True for a Graph Store Protocol request: ``default`` or ``graph`` in the URL, and no
    query or update (a POST of RDF counts: it is a write, refused)."""
    if "default" not in req.args and "graph" not in req.args:
        return False
    if any(name in req.args for name in PROTOCOL_PARAMETERS):
        return False
    return not (req.method == "POST" and req.mimetype == FORM
                and any(name in req.form for name in PROTOCOL_PARAMETERS))


def graph_store_graph(req: Request, graphs: Mapping[str, int]) -> str | None:
    """The graph a graph-store request names: None for the default graph, else a named graph's
    IRI (400 when the parameters are ambiguous or not an absolute IRI, 404 when unknown)."""
    names = req.args.getlist("graph")
    if "default" in req.args:
        if names:
            raise BadRequest("give either 'default' or 'graph=IRI', not both")
        if any(v for v in req.args.getlist("default")):
            raise BadParameter("default", "takes no value: write ?default")
        return None
    if len(names) != 1:
        raise BadRequest("give exactly one 'graph' parameter (an absolute IRI)")
    try:
        iri = ox.NamedNode(names[0]).value
    except ValueError as exc:
        raise BadParameter("graph", f"{names[0]!r} is not an absolute IRI ({exc})") from None
    if iri not in graphs or not iri:
        raise NotFound(f"there is no graph <{iri}> in this dataset; its named graphs are listed "
                       "in the service description (GET /sparql)")
    return iri


def graph_store_read(app_ctx: AppContext) -> BaseResponse:
    """A Graph Store Protocol GET/HEAD: the whole graph in the negotiated RDF format."""
    if request.method == "POST":
        raise UpdateForbidden("the graph store is read-only: RDF cannot be posted to a graph here")
    graph = graph_store_graph(request, app_ctx.manifest.graphs)
    names = _format_names(request)
    if names:
        fmt = next((f for f in (_graph_format(n) for n in names) if f is not None), None)
    else:
        fmt = negotiate(request.headers.get("Accept"), GRAPH_FORMATS, GRAPH_FORMATS["turtle"])
    if fmt is None:
        raise _not_acceptable("graph", GRAPH_FORMATS)
    name = graph if graph is not None else ""
    variant = f"gsp{hashlib.sha256(name.encode('utf-8')).hexdigest()[:16]}-{fmt.name}"
    cached_answer = unchanged(variant)
    if cached_answer is not None:
        return cached_answer
    result = app_ctx.run_query(
        GRAPH_TRIPLES, select_format=SELECT_FORMATS["json"], graph_format=fmt,
        default_graphs=() if graph is None else (graph,), max_rows=sys.maxsize)
    response = negotiated(result.body, fmt, variant=variant, weak=True)
    response.headers["X-Citygraph-Rows"] = str(result.rows)
    return response


WRITE_METHODS = ("PUT", "DELETE", "PATCH")


@bp.before_app_request
def graph_store_write() -> None:
    """Writes to the graph store (PUT, DELETE, PATCH of ``/sparql?graph=…`` or ``?default``)
    are 403, read-only; other such requests to ``/sparql`` stay a 405 with ``Allow``.

    A hook rather than a route, so that ``/sparql`` allows (and ``OPTIONS`` lists) only the
    methods it serves.
    """
    if request.method in WRITE_METHODS and request.path == "/sparql" and (
            "default" in request.args or "graph" in request.args):
        raise UpdateForbidden(f"the graph store is read-only: {request.method} of a graph is not "
                              "allowed (GET ?default or ?graph=IRI reads one)")


def endpoint_base() -> str | None:
    """The base IRI of a query's relative IRIs: the endpoint's URL (as Oxigraph and Fuseki do),
    under the ``public_url`` setting when set; None when the request's host makes no valid IRI."""
    try:
        return ox.NamedNode(external_url("sparql.endpoint")).value
    except ValueError:
        return None


_ABSOLUTE_IRI_REF = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:")

#: What a text with a relative IRI reference or an IRI()/URI() call must contain: a ``<`` not
#: followed by a scheme, or the letters IRI/URI. A text without either needs no lexing.
_MAYBE_RELATIVE = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)|[IU]RI", re.IGNORECASE)


def has_relative_iri(text: str) -> bool:
    """True when the answer may depend on the base IRI: the query writes a relative IRI
    reference, or calls IRI()/URI(), which resolve a relative string against the base.

    >>> has_relative_iri("CONSTRUCT { <s> <p> 1 } WHERE {}")
    True
    >>> has_relative_iri('SELECT (IRI("x") AS ?i) {}')
    True
    >>> has_relative_iri("SELECT * WHERE { <http://e/s> ?p ?o FILTER(?o < 3) }")
    False
    >>> has_relative_iri("SELECT * WHERE { <http://e/s> ?p ?o }")  # no lexing needed
    False
    """
    if _MAYBE_RELATIVE.search(text) is None:
        return False
    return any((t.kind == "iri" and not _ABSOLUTE_IRI_REF.match(t.text))
               or (t.kind == "keyword" and t.text.upper() in ("IRI", "URI")) for t in tokens(text))


def service_description_response(app_ctx: AppContext) -> BaseResponse:
    """The Service Description in the negotiated RDF format, or a redirect for a browser."""
    names = _format_names(request)
    if names:
        fmt = next((f for f in (_graph_format(n) for n in names) if f is not None), None)
        if fmt is None and any(n.lower() == "html" for n in names):
            return _to_query_page()
    else:
        offers = [*GRAPH_FORMATS.values(), HTML]
        fmt = negotiate(request.headers.get("Accept"), {f.name: f for f in offers},
                        GRAPH_FORMATS["turtle"])
        if fmt is HTML:
            return _to_query_page()
    if fmt is None:
        raise _not_acceptable("service description", GRAPH_FORMATS)
    endpoint_iri = external_url("sparql.endpoint")
    void_iri = external_url("catalog.void")
    triples = service_description(endpoint_iri, void_iri, app_ctx.manifest.graphs,
                                  app_ctx.manifest.triples,
                                  federated=bool(app_ctx.settings.services))
    body = serialize_triples(triples, fmt).body
    # The tag names the IRIs written in: another public URL or Host is another body.
    where = hashlib.sha256(endpoint_iri.encode("utf-8")).hexdigest()[:8]
    return host_dependent(negotiated(body, fmt, variant=f"sd-{fmt.name}-{where}"))


def _graph_format(name: str) -> Format | None:
    """The graph format a ``format=`` name asks for (a result-format name: its sibling)."""
    key = EXTRA_ALIASES.get(name.lower(), name)
    fmt = by_name(key, GRAPH_FORMATS)
    select = by_name(key, SELECT_FORMATS)
    if fmt is None and select is not None and select.name in SIBLINGS:
        fmt = GRAPH_FORMATS[SIBLINGS[select.name]]
    return fmt


def _to_query_page() -> BaseResponse:
    """A browser asking for the endpoint itself is sent to the query page."""
    response = redirect(redirect_location("page.index"), 303)
    response.vary.add("Accept")
    return response


def service_description(endpoint_iri: str, void_iri: str, graphs: Mapping[str, int],
                        triples: int, federated: bool = False) -> list[ox.Triple]:
    """The triples of the SPARQL 1.1 Service Description of the endpoint.

    ``federated``: SERVICE may call out (to the endpoints of the allowlist).

    >>> desc = service_description("http://h/sparql", "http://h/.well-known/void",
    ...                            {"http://g/a": 3}, 3)
    >>> any(str(t.object) == "<http://www.w3.org/ns/sparql-service-description#SPARQL11Query>"
    ...     for t in desc)
    True
    """
    def iri(value: object) -> ox.NamedNode:
        return ox.NamedNode(str(value))

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=iri("http://www.w3.org/2001/XMLSchema#integer"))

    # Blank nodes with fixed labels: the same description is the same bytes (strong ETag).
    service, dataset, default = iri(endpoint_iri), ox.BlankNode("dataset"), ox.BlankNode("default")
    out = [
        ox.Triple(service, iri(RDF.type), iri(SD.Service)),
        ox.Triple(service, iri(SD.endpoint), service),
        ox.Triple(service, iri(SD.supportedLanguage), iri(SD.SPARQL11Query)),
        ox.Triple(service, iri(SD.feature), iri(SD.UnionDefaultGraph)),
        *([ox.Triple(service, iri(SD.feature), iri(SD.BasicFederatedQuery))] if federated else []),
        ox.Triple(service, iri(RDFS.label), ox.Literal("citygraph SPARQL endpoint", language="en")),
        ox.Triple(service, iri(RDFS.seeAlso), iri(void_iri)),
        *(ox.Triple(service, iri(SD.resultFormat), iri(f)) for f in FORMAT_IRIS.values()),
        ox.Triple(service, iri(SD.defaultDataset), dataset),
        ox.Triple(dataset, iri(RDF.type), iri(SD.Dataset)),
        ox.Triple(dataset, iri(RDFS.seeAlso), iri(void_iri)),
        ox.Triple(dataset, iri(SD.defaultGraph), default),
        ox.Triple(default, iri(RDF.type), iri(SD.Graph)),
        ox.Triple(default, iri(VOID.triples), count(triples)),
    ]
    for number, (name, size) in enumerate(sorted(graphs.items())):
        if not name:
            continue
        named, graph = ox.BlankNode(f"named{number}"), ox.BlankNode(f"graph{number}")
        out += [
            ox.Triple(dataset, iri(SD.namedGraph), named),
            ox.Triple(named, iri(RDF.type), iri(SD.NamedGraph)),
            ox.Triple(named, iri(SD.name), iri(name)),
            ox.Triple(named, iri(SD.graph), graph),
            ox.Triple(graph, iri(RDF.type), iri(SD.Graph)),
            ox.Triple(graph, iri(VOID.triples), count(size)),
        ]
    return out
