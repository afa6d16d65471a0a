"""Blueprint 'page': the query page at ``/`` (what the dataset is, a SPARQL editor, examples).

The page is plain HTML with two small scripts served from ``static/query/``: a SPARQL syntax
highlighter over a textarea, and the code that runs a query with ``fetch()`` and shows the answer
as a sortable table. Every asset is served by citygraph itself (no CDN).

A free query (anything typed or edited) goes to ``/sparql``. A curated example whose text is
unchanged goes to the named-query API ``/api/<name>`` with the values of its parameter form in the
query string, so that the server binds them as typed RDF terms: the page never splices a value
into SPARQL text. The page's configuration (``config`` below, a JSON block in the HTML) tells the
script each example's API URL and typed parameters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for

from ..formats import GRAPH_FORMATS, SELECT_FORMATS
from ..queries import NamedQuery, Parameter
from ..vocab import ONTOLOGY_IRI, PREFIXES
from .api import parameter_info
from .common import cached
from .context import AppContext, ctx

bp = Blueprint("page", __name__)

#: The licence of the data (the code is MIT, see LICENSE).
DATA_LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")

#: What the counts on the page are: label → class (a prefixed name of vocab.PREFIXES).
COUNTED_CLASSES: dict[str, str] = {
    "partnerships": "cg:Partnership",
    "cities": "cg:City",
    "organisations": "cg:Organisation",
    "sources": "cg:Source",
}

#: The query the editor starts with; also offered first among the examples.
STARTER_QUERY = """\
# Every partnership with its two partners, its kind and its current status (English labels).
SELECT DISTINCT ?partnership ?partnerA ?labelA ?partnerB ?labelB ?kind ?status
WHERE {
  ?partnership a cg:Partnership ;
               cg:partner ?partnerA, ?partnerB ;
               cg:kind/skos:prefLabel ?kind ;
               cg:status/skos:prefLabel ?status .
  FILTER (STR(?partnerA) < STR(?partnerB))
  ?partnerA rdfs:label ?labelA .
  ?partnerB rdfs:label ?labelB .
  FILTER (lang(?labelA) = "en" && lang(?labelB) = "en")
  FILTER (lang(?kind) = "en" && lang(?status) = "en")
}
ORDER BY ?labelA ?labelB
"""


#: The HTML input type of each parameter type of queries.PARAM_TYPES.
INPUT_TYPES: dict[str, str] = {
    "iri": "url",
    "string": "text",
    "langstring": "text",
    "integer": "number",
    "date": "date",
}

#: What a value of each parameter type looks like (placeholder and help text of its input).
INPUT_HINTS: dict[str, str] = {
    "iri": "an absolute IRI (https://…)",
    "string": "a text",
    "langstring": "a text with its language: text@lang, e.g. Dortmund@de",
    "integer": "a whole number",
    "date": "a date, YYYY-MM-DD",
}

#: The paths under a base IRI that this server dereferences (see linked_data.local_href): an IRI
#: ``base + path`` with ``path`` starting with one of these is linked to ``/path`` on this server.
LOCAL_ROOTS = ("id/", "graph/", "ontology")

#: The file extension of a download in each format (friendlier than .srj/.srx for results).
DOWNLOAD_EXTENSIONS: dict[str, str] = {
    **{f.name: f.extension for f in (*SELECT_FORMATS.values(), *GRAPH_FORMATS.values())},
    "json": "json",
    "xml": "xml",
}


@dataclass(frozen=True)
class Example:
    """A query offered on the page: name, title, description, SPARQL text and parameters."""

    name: str
    title: str
    description: str
    text: str
    api: bool = True  # served by the named-query API at /api/<name>
    url: str | None = None  # the API URL the page runs it at while its text is unchanged
    parameters: tuple[dict[str, Any], ...] = ()  # see parameter_form


def parameter_form(param: Parameter) -> dict[str, Any]:
    """A parameter as the page's form shows it: name, type, default, description, input type."""
    return {**parameter_info(param), "input": INPUT_TYPES.get(param.type, "text"),
            "hint": INPUT_HINTS.get(param.type, "")}


def example_of(query: NamedQuery) -> Example:
    """The page's example for a curated query (run at ``/api/<name>`` with its parameters)."""
    return Example(query.name, query.title, query.description, query.text, api=True,
                   url=url_for("api.run", name=query.name),
                   parameters=tuple(parameter_form(p) for p in query.parameters))


def local_bases(base_iri: str) -> list[str]:
    """The IRI bases whose paths this server dereferences: the configured base, the ontology's."""
    return list(dict.fromkeys((base_iri, ONTOLOGY_IRI.rsplit("ontology", 1)[0])))


def counts_query(classes: Mapping[str, str] = COUNTED_CLASSES) -> str:
    """A SELECT query counting the distinct instances of each class (one variable per label)."""
    parts = [f"  {{ SELECT (COUNT(DISTINCT ?x_{name}) AS ?{name}) "
             f"WHERE {{ ?x_{name} a {cls} }} }}" for name, cls in classes.items()]
    return "SELECT * WHERE {\n" + "\n".join(parts) + "\n}\n"


def dataset_counts(app_ctx: AppContext) -> dict[str, int]:
    """The number of partnerships, cities, organisations and sources, by one query."""
    answer = app_ctx.run_query(counts_query(), select_format=SELECT_FORMATS["json"],
                               graph_format=GRAPH_FORMATS["turtle"], max_rows=1, internal=True)
    bindings = json.loads(answer.body)["results"]["bindings"]
    row = bindings[0] if bindings else {}
    return {name: int(row[name]["value"]) if name in row else 0 for name in COUNTED_CLASSES}


def _cached_counts(app_ctx: AppContext) -> dict[str, int]:
    """``dataset_counts`` computed once per dataset version and app."""
    memo: dict[str, dict[str, int]] = current_app.extensions.setdefault("citygraph.page", {})
    if app_ctx.version not in memo:
        memo.clear()
        memo[app_ctx.version] = dataset_counts(app_ctx)
    return memo[app_ctx.version]


def examples(app_ctx: AppContext) -> list[Example]:
    """The starter query, then every curated query of the catalogue (``queries/*.rq``)."""
    out = [Example("starter", "Partnerships and their partners",
                   "Every partnership with its two partners, its kind and its current status.",
                   STARTER_QUERY, api=False)]
    for _, query in sorted(app_ctx.queries.items()):
        out.append(example_of(query))
    return out


@bp.get("/", endpoint="index")
def index() -> Response:
    """The query page: what the dataset is, the SPARQL editor, examples and results."""
    app_ctx = ctx()
    manifest = app_ctx.manifest
    offered = examples(app_ctx)
    config = {
        "endpoint": "/sparql",
        "base": app_ctx.settings.base_iri,
        "localBases": local_bases(app_ctx.settings.base_iri),
        "localRoots": list(LOCAL_ROOTS),
        "prefixes": PREFIXES,
        "maxRows": app_ctx.settings.max_rows,
        "selectFormats": list(SELECT_FORMATS),
        "graphFormats": list(GRAPH_FORMATS),
        "extensions": {name: DOWNLOAD_EXTENSIONS[name]
                       for name in (*SELECT_FORMATS, *GRAPH_FORMATS)},
        "examples": [asdict(e) for e in offered],
    }
    html = render_template(
        "index.html",
        manifest=manifest,
        counts=_cached_counts(app_ctx),
        named_graphs=sum(1 for g in manifest.graphs if g),
        examples=offered,
        starter=STARTER_QUERY,
        licence=DATA_LICENCE,
        prefixes=PREFIXES,
        settings=app_ctx.settings,
        config=config,
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    return cached(response, "page-" + _digest(config))


def _digest(config: Mapping[str, object]) -> str:
    """A short hash of what the page shows besides the dataset (examples, settings)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
