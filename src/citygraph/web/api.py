"""Blueprint 'api': the named queries of ``queries/*.rq`` at ``/api/<name>``, with OpenAPI 3.1.

Each query's parameters come from the query string and are bound as typed RDF terms
(substitutions), never spliced into the SPARQL text; a missing, malformed or unknown parameter is a
400 naming it. The answer is negotiated like ``/sparql``: by ``Accept`` (q-values honoured) or a
``format`` parameter; SELECT and ASK answers in the result formats, CONSTRUCT and DESCRIBE answers
in the graph formats; 406 when nothing acceptable can be produced.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Request, Response, render_template, request, url_for

from ..errors import BadParameter, NotAcceptable, NotFound
from ..formats import GRAPH_FORMATS, HTML, SELECT_FORMATS, Format, by_name, negotiate
from ..queries import NamedQuery, Parameter, query_form
from ..sparqltext import analyse, check_text
from ..wikidata.labels import Rewrite, parse_accept_language, rewrite_labels
from .common import negotiated, unchanged
from .context import ctx

bp = Blueprint("api", __name__)

#: Query-string names that select the representation and are never query parameters.
RESERVED = ("format",)

JSON = Format("json", "application/json", "json", None)
OPENAPI_VERSION = "3.1.0"

#: OpenAPI schema of each parameter type of queries.PARAM_TYPES.
PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "langstring": {"type": "string", "pattern": r"^[\s\S]*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
}

@functools.lru_cache(maxsize=256)  # the catalogue's texts: kept apart from the lexer's small cache
def curated_facts(text: str) -> tuple[str, bool]:
    """A curated query's form and whether it has a SERVICE clause: worked out once per text, not
    on every request (with the whole catalogue in use, the lexer's own cache of the last few
    texts misses every time).

    >>> curated_facts("CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://e/> { ?s ?p ?o } }")
    ('construct', True)
    """
    found = analyse(text)
    return found.form or "select", bool(found.services)


def answer_formats(query: NamedQuery) -> dict[str, Format]:
    """The formats a query's answer can be given in (result formats or graph formats)."""
    form = curated_facts(query.text)[0]
    return GRAPH_FORMATS if form in ("construct", "describe") else SELECT_FORMATS


def choose_format(table: Mapping[str, Format], default: Format | None = None,
                  req: Request | None = None) -> Format:
    """The requested format of ``table``: ``format=`` first, then ``Accept``; else 406."""
    req = req if req is not None else request
    names = req.args.getlist("format")
    if len(names) > 1:
        raise BadParameter("format", f"is given {len(names)} times; give it once")
    name = names[0] if names else None
    if name:
        fmt = by_name(name, table)
        if fmt is None:
            raise NotAcceptable(f"format {name!r} is not available here; choose one of "
                                f"{', '.join(f.name for f in table.values())}")
        return fmt
    accept = req.headers.get("Accept")
    if default is None and (table is SELECT_FORMATS or table is GRAPH_FORMATS) and (
            accept is None or len(accept) <= ACCEPT_MEMO_LENGTH):
        fmt = _negotiate_answer(accept, table is GRAPH_FORMATS)  # what every query asks
    else:
        fmt = negotiate(accept, table, default)
    if fmt is None:
        raise NotAcceptable("none of the media types in Accept can be produced here; available: "
                            + ", ".join(f.media_type for f in table.values()))
    return fmt


#: Accept headers up to this length have their negotiation remembered (clients send a few).
ACCEPT_MEMO_LENGTH = 512


@functools.lru_cache(maxsize=256)
def _negotiate_answer(accept: str | None, graph: bool) -> Format | None:
    """The answer format an Accept header asks for, of the graph or the result formats."""
    return negotiate(accept, GRAPH_FORMATS if graph else SELECT_FORMATS)


@functools.cache  # the catalogue's texts: a fixed, small set
def _check_curated(text: str, max_depth: int) -> None:
    """Check a curated query's text once (the settings are fixed for the app's life)."""
    check_text(text, max_depth)


def parameter_info(param: Parameter) -> dict[str, Any]:
    """A JSON description of a parameter."""
    return {"name": param.name, "type": param.type, "required": param.required,
            "default": param.default, "description": param.description}


def query_info(query: NamedQuery) -> dict[str, Any]:
    """A JSON description of a named query (for the list and the HTML page)."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "form": query_form(query.text),
        "url": url_for("api.run", name=query.name),
        "parameters": [parameter_info(p) for p in query.parameters],
        "formats": [f.media_type for f in answer_formats(query).values()],
        "tags": list(query.tags),
    }


@bp.get("/api")
@bp.get("/api/")
def index() -> Response:
    """The list of named queries: JSON by default, HTML for browsers."""
    queries = [query_info(q) for q in ctx().queries.values()]
    fmt = choose_format({"json": JSON, "html": HTML}, JSON)
    if fmt is HTML:
        texts = {q.name: q.text for q in ctx().queries.values()}
        body = render_template("api.html", queries=queries, texts=texts)
        return negotiated(body, HTML, variant="api-html")
    document = {"queries": queries, "openapi": url_for("api.openapi")}
    return negotiated(json.dumps(document, ensure_ascii=False, indent=2) + "\n", JSON,
                      variant="api-json")


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document describing every named query."""
    document = openapi_document(ctx().queries.values(), ctx().manifest.tools.get("citygraph", "0"))
    return negotiated(json.dumps(document, ensure_ascii=False, indent=2) + "\n", JSON,
                      variant="openapi")


@bp.get("/api/<name>")
def run(name: str) -> Response:
    """Run the named query with the typed parameters of the query string."""
    app_ctx = ctx()
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # not the proxy
    query = app_ctx.queries.get(name)
    if query is None:
        raise NotFound(f"no named query {name!r}; the list is at /api")
    table = answer_formats(query)
    fmt = choose_format(table, req=req)
    values: dict[str, str] = {}
    for key, given in req.args.lists():
        if key in RESERVED:
            continue
        if len(given) > 1:
            raise BadParameter(key, f"is given {len(given)} times; give it once")
        values[key] = given[0]
    substitutions = query.bindings(values)
    # A curated query may use the WDQS label service: answered by a rewrite, in the languages
    # of the request when it says [AUTO_LANGUAGE] (then the tag and Vary name them).
    if curated_facts(query.text)[1]:  # only a SERVICE clause can be the label service
        labels = rewrite_labels(query.text, app_ctx.store.prefixes,
                                parse_accept_language(req.headers.get("Accept-Language")))
    else:
        labels = Rewrite(query.text)
    tagged: object = sorted(values.items())
    if labels.auto_language:
        tagged = [tagged, list(labels.languages)]
    digest = hashlib.sha256(json.dumps(tagged).encode()).hexdigest()[:12]
    variant = f"{name}-{fmt.name}-{digest}"
    cached_answer = unchanged(variant)
    if cached_answer is not None:  # the client has this answer already: don't run the query
        if labels.auto_language:
            cached_answer.vary.add("Accept-Language")
        return cached_answer
    _check_curated(query.text, app_ctx.settings.max_query_depth)  # curated, but a setting
    select_fmt = fmt if table is SELECT_FORMATS else SELECT_FORMATS["json"]
    graph_fmt = fmt if table is GRAPH_FORMATS else GRAPH_FORMATS["turtle"]
    result = app_ctx.run_query(labels.text, select_format=select_fmt, graph_format=graph_fmt,
                             substitutions=substitutions)
    response = negotiated(result.body, fmt, variant=variant, weak=True)
    if labels.auto_language:
        response.vary.add("Accept-Language")
    response.headers["X-Citygraph-Rows"] = str(result.rows)
    response.headers["X-Citygraph-Truncated"] = "true" if result.truncated else "false"
    return response


#: JSON Schema of SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/).
_RDF_TERM = {"type": "object", "required": ["type", "value"], "properties": {
    "type": {"enum": ["uri", "literal", "bnode", "triple"]},
    "value": {}, "xml:lang": {"type": "string"}, "datatype": {"type": "string"}}}
SPARQL_JSON_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["head"],
    "properties": {
        "head": {"type": "object", "properties": {
            "vars": {"type": "array", "items": {"type": "string"}},
            "link": {"type": "array", "items": {"type": "string"}}}},
        "results": {"type": "object", "required": ["bindings"], "properties": {
            "bindings": {"type": "array", "items": {
                "type": "object", "additionalProperties": _RDF_TERM}}}},
        "boolean": {"type": "boolean"},
    },
}

_ANSWER_HEADERS = {
    "ETag": {"description": "Dataset version, query and parameters (weak: same meaning).",
             "schema": {"type": "string"}},
    "X-Citygraph-Rows": {"description": "Rows (or triples) in this answer.",
                         "schema": {"type": "integer", "minimum": 0}},
    "X-Citygraph-Truncated": {"description": "true when the answer was cut at the row limit.",
                              "schema": {"type": "string", "enum": ["true", "false"]}},
}


def _media_content(formats: Mapping[str, Format]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for f in formats.values():
        if f.name == "json":
            schema: dict[str, Any] = SPARQL_JSON_SCHEMA
        elif f.name == "jsonld":
            schema = {"type": ["object", "array"]}
        else:
            schema = {"type": "string"}
        content[f.media_type] = {"schema": schema}
    return content


def _parameter_schema(param: Parameter) -> dict[str, Any]:
    schema = dict(PARAM_SCHEMAS[param.type])
    if param.default is not None:
        schema["default"] = int(param.default) if param.type == "integer" else param.default
    return schema


_ERRORS = {
    "400": {"description": "A parameter is missing, unknown or not of its type (the message "
                           "names it).", "content": {"text/plain": {"schema": {"type": "string"}}}},
    "406": {"description": "No acceptable representation.",
            "content": {"text/plain": {"schema": {"type": "string"}}}},
    "503": {"description": "The query ran past the time limit (or its memory limit) and was "
                           "stopped, or every query worker was busy; try again later.",
            "headers": {"Retry-After": {"description": "Seconds to wait.",
                                        "schema": {"type": "integer"}}},
            "content": {"text/plain": {"schema": {"type": "string"}}}},
}


def query_operation(query: NamedQuery) -> dict[str, Any]:
    """The OpenAPI operation object of one named query."""
    formats = answer_formats(query)
    parameters: list[dict[str, Any]] = []
    for param in query.parameters:
        kind = {"langstring": "language-tagged string, written text@lang (e.g. Dortmund@de)",
                "iri": "absolute IRI", "date": "date, YYYY-MM-DD"}.get(param.type, param.type)
        parameters.append({
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": f"{param.description} ({kind})" if param.description else kind,
            "schema": _parameter_schema(param),
        })
    parameters.append({
        "name": "format",
        "in": "query",
        "required": False,
        "description": "The answer's format (overrides Accept).",
        "schema": {"type": "string", "enum": list(formats)},
    })
    return {
        "operationId": query.name,
        "summary": query.title,
        "description": query.description or query.title,
        "tags": list(query.tags) or ["queries"],
        "parameters": parameters,
        "responses": {
            "200": {"description": f"The answer of the {query_form(query.text).upper()} query.",
                    "headers": _ANSWER_HEADERS, "content": _media_content(formats)},
            "304": {"description": "Not modified: the If-None-Match tag is still current."},
            **_ERRORS,
        },
    }


def openapi_document(queries: Any, version: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document for the named queries (and the list itself)."""
    paths: dict[str, Any] = {
        "/api": {"get": {
            "operationId": "listQueries",
            "summary": "The list of named queries",
            "responses": {"200": {"description": "Every named query with its parameters.",
                                  "content": {"application/json": {"schema": {"type": "object"}},
                                              "text/html": {"schema": {"type": "string"}}}}},
        }},
    }
    for query in queries:
        paths[f"/api/{query.name}"] = {"get": query_operation(query)}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "citygraph named queries",
            "version": version,
            "description": "Curated SPARQL queries over citygraph, cities' international "
                           "relations as linked open data. Parameters are bound as typed RDF "
                           "terms, never spliced into the query text.",
            "license": {"name": "CC BY 4.0",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
    }
