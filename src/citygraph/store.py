"""The store interface that answers queries, and the embedded pyoxigraph store (the default).

A store has a ``version`` (the dataset version of the build it holds), ``load(path)`` and
``query(text, ...)``. Queries go to pyoxigraph as strings (never rdflib-prepared); the default
graph is the merge of all named graphs (asserted + inferred, each triple once) unless a request
names its default graphs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from .errors import (
    BadRequest,
    BuildNotFound,
    CitygraphError,
    NotAcceptable,
    QuerySyntaxError,
    RemoteServiceError,
    UpdateForbidden,
)
from .federation import check_services, service_targets
from .formats import Answer, Format, serialize_boolean, serialize_solutions, serialize_triples
from .functions import CUSTOM_FUNCTIONS
from .publish import DATASET_FILE, MERGED_FILE, Manifest
from .sparqltext import analyse, check_text, unknown_prefix
from .vocab import PREFIXES

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

__all__ = ["EmbeddedStore", "Store", "answer", "answer_error", "looks_like_update", "unknown_prefix"]


def looks_like_update(text: str) -> bool:
    """True when the text is a SPARQL Update request rather than a query.

    >>> looks_like_update("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }")
    True
    >>> looks_like_update("SELECT * WHERE { ?s ?p ?o }")
    False
    >>> looks_like_update("# labels, with languages\\nSELECT * WHERE { ?s ?p ?o }")
    False
    """
    return analyse(text).is_update


class Store(Protocol):
    """What the web app and the CLI need of a SPARQL store."""

    version: str

    def load(self, dist: Path) -> None:
        """Load the build in ``dist``."""

    def query(
        self,
        text: str,
        *,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL query and return the engine's result object."""


class EmbeddedStore:
    """An in-memory pyoxigraph store holding one build.

    >>> store = EmbeddedStore()
    >>> store.store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/b"),
    ...                         ox.Literal("c")))
    >>> [str(s["o"]) for s in store.query("SELECT ?o WHERE { ?s ?p ?o }")]
    ['"c"']
    """

    def __init__(self, dist: Path | None = None, prefixes: Mapping[str, str] = PREFIXES,
                 services: Collection[str] = (),
                 max_depth: int | None = None) -> None:
        self.store = ox.Store()
        self.max_depth = max_depth
        self.version = ""
        self.prefixes = dict(prefixes)
        self.services = frozenset(services)
        if dist is not None:
            self.load(dist)

    def load(self, dist: Path) -> None:
        """Replace the store's content by the build in ``dist``.

        The named graphs come from the N-Quads dataset; the default graph holds the merged
        graph (every distinct triple once: asserted + inferred), so that a query over the
        default graph sees RDF-merge semantics, not one copy of a triple per named graph.
        """
        dataset = dist / DATASET_FILE
        merged = dist / MERGED_FILE
        if not dataset.exists() or not merged.exists():
            raise BuildNotFound(f"no build found in {dist} (run `citygraph build`)")
        store = ox.Store()
        store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
        store.bulk_load(path=str(merged), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.DefaultGraph())
        self.store = store
        self.version = Manifest.read(dist).version

    def query(
        self,
        text: str,
        *,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a read-only SPARQL query; typed values are bound, never spliced into the text.

        A SERVICE clause may only name an endpoint of ``services`` (the allowlist); a text with
        no query, or nesting deeper than ``max_depth`` (when given), is a 400 before the engine
        sees it. Relative IRIs of the query resolve against ``base_iri`` (the endpoint's URL;
        None: they are an error).
        """
        check_text(text, self.max_depth)
        if looks_like_update(text):
            raise UpdateForbidden("SPARQL Update is not allowed: this endpoint is read-only")
        undeclared = unknown_prefix(text, self.prefixes)  # named, before SERVICE targets need it
        if undeclared is not None:
            raise QuerySyntaxError(undeclared)
        check_services(text, self.prefixes, self.services)
        kwargs: dict[str, object] = {"prefixes": self.prefixes, "custom_functions": CUSTOM_FUNCTIONS}
        if base_iri is not None:
            kwargs["base_iri"] = base_iri
        if default_graphs or named_graphs:  # the protocol's dataset is exactly the one named
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        try:
            return self.store.query(text, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QuerySyntaxError(unknown_prefix(text, self.prefixes)
                                   or f"SPARQL syntax error: {exc}") from None
        except ValueError as exc:  # e.g. an invalid IRI in default-graph-uri
            raise QuerySyntaxError(str(exc)) from None
        except RuntimeError as exc:  # e.g. a bound variable missing from the projection
            raise BadRequest(f"the query cannot be run: {exc}") from None
        except OSError as exc:  # evaluated at once (ASK): a SERVICE call failed
            raise answer_error(exc, text, self.prefixes) from None


def answer_error(exc: OSError, text: str,
                 prefixes: Mapping[str, str] = PREFIXES) -> CitygraphError:
    """The error an OSError while running or writing an answer stands for: a failed SERVICE
    call (502) when the query calls out, else a format that cannot hold the answer (406)."""
    try:
        federated = bool(service_targets(text, prefixes))
    except QuerySyntaxError:
        federated = False
    if federated:
        return RemoteServiceError(f"a SERVICE endpoint of the query failed: {exc}")
    return NotAcceptable(f"the answer cannot be given in this format: {exc}")


def answer(result: QueryResult, fmt_select: Format, fmt_graph: Format, max_rows: int,
           text: str = "") -> Answer:
    """Serialise a query result in the format chosen for its kind.

    Results are computed while they are read: a SERVICE call of the query (``text``) that fails
    then is a RemoteServiceError (502), not a crash.
    """
    try:
        if isinstance(result, ox.QueryBoolean):
            return serialize_boolean(result, fmt_select)
        if isinstance(result, ox.QuerySolutions):
            return serialize_solutions(result, fmt_select, max_rows)
        return serialize_triples(result, fmt_graph, max_rows)
    except OSError as exc:
        raise answer_error(exc, text) from None
