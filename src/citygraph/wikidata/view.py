"""The Wikidata-shaped view: the rules of ``ontology/rules/wikidata-view/`` run over the build.

The view states the twinnings the way Wikidata's RDF does (``wdt:P190``, statement nodes with
qualifiers, ranks and references, ``wdt:P17``, ``wdt:P625``, labels) on the ``wd:`` IRIs of the
entities with a verified QID, in a named graph of its own, so that a query copied from the Wikidata
Query Service runs unchanged. The rules run with Oxigraph over every named graph (the default graph
is their union; ``GRAPH ?g`` finds the file, hence the source, that states a start date), in file-name
order, each seeing the triples the ones before it derived.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from ..config import DEFAULT_BASE
from ..errors import DataSyntaxError
from ..infer import Rule, load_rules
from ..vocab import instance_namespace

#: Where the view's rules live, relative to the project root.
VIEW_RULES_DIR = Path("ontology") / "rules" / "wikidata-view"
#: The local name of the view's graph under ``{base}graph/``.
VIEW_GRAPH_NAME = "wikidata-view"
_POSITION = re.compile(r"\berror at (\d+):(\d+)")


def view_graph_iri(base_iri: str) -> str:
    """The IRI of the view's named graph under a base IRI."""
    return base_iri + "graph/" + VIEW_GRAPH_NAME


def load_view_rules(root: Path) -> list[Rule]:
    """The view's CONSTRUCT rules of a project (none when it has no such directory)."""
    return load_rules(root / VIEW_RULES_DIR)


def _rebased(text: str, base_iri: str) -> str:
    """A rule's text with the default instance namespace replaced by the configured one."""
    if base_iri == DEFAULT_BASE:
        return text
    default = instance_namespace(DEFAULT_BASE)
    return text.replace(default, instance_namespace(base_iri)).replace(
        DEFAULT_BASE + ".well-known/", base_iri + ".well-known/")


def derive_view(quads: Iterable[ox.Quad], rules: Sequence[Rule], base_iri: str) -> list[ox.Triple]:
    """The triples of the view, sorted (so builds stay byte-identical), derived from ``quads``."""
    store = ox.Store()
    store.bulk_extend(quads)
    graph = ox.NamedNode(view_graph_iri(base_iri))
    derived: set[ox.Triple] = set()
    for rule in rules:
        try:
            result = store.query(_rebased(rule.text, base_iri), use_default_graph_as_union=True)
        except SyntaxError as exc:  # rdflib parsed it (load_rules), Oxigraph did not
            position = _POSITION.search(str(exc))
            raise DataSyntaxError(rule.path, int(position.group(1)) if position else None,
                                  str(exc)) from None
        new = {t for t in result if isinstance(t, ox.Triple)} - derived  # type: ignore[union-attr]
        derived |= new
        store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in new)
    return sorted(derived, key=str)
