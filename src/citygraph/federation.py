"""Federated queries: a SERVICE clause may call out only to an endpoint on the allowlist.

pyoxigraph runs ``SERVICE <iri> { … }`` by sending an HTTP request to ``<iri>``: left alone, any
caller of the public endpoint could make the server fetch any address it can reach. So every
query is checked before it runs: the IRIs of its SERVICE clauses (after prefix expansion, in
sub-queries, OPTIONAL, MINUS and FILTER EXISTS too) must each be on the allowlist, compared
exactly; a ``SERVICE ?variable`` is refused, since its target is known only at run time. The
targets come from the linear lexer of :mod:`citygraph.sparqltext` (the keyword SERVICE outside
comments, strings and IRIs, then its IRI, prefixed name or variable): no parse that deep input could
exhaust, and nothing to do for a query that calls no SERVICE. A SERVICE whose target cannot be told
(an undeclared prefix, no target) is refused too.

>>> service_targets("SELECT * WHERE { ?s a sd:Service }", {"sd": "http://e/sd#"})
[]
>>> service_targets("SELECT * WHERE { SERVICE <http://127.0.0.1:7878/query> { ?s ?p ?o } }", {})
['http://127.0.0.1:7878/query']
>>> check_services("SELECT * WHERE { SERVICE <http://h/sparql> { ?s ?p ?o } }", {}, frozenset())
Traceback (most recent call last):
...
citygraph.errors.ServiceForbidden: SERVICE <http://h/sparql> is not allowed: ... (none are allowed)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from .errors import ServiceForbidden
from .sparqltext import VARIABLE_TARGET, nested_services, service_targets

#: The WDQS label service (``wikibase:label``): rewritten into plain SPARQL before a query runs
#: (citygraph.wikidata.labels), so never called out to; inside another SERVICE block it is that
#: endpoint's to answer.
LABEL_SERVICE = "http://wikiba.se/ontology#label"

__all__ = ["VARIABLE_TARGET", "check_services", "parse_allowlist", "service_targets"]


#: The services WDQS answers itself (besides wikibase:label): named in a refusal for what they are.
WDQS_BUILTINS = {
    "http://wikiba.se/ontology#around": "wikibase:around",
    "http://wikiba.se/ontology#box": "wikibase:box",
    "http://wikiba.se/ontology#mwapi": "wikibase:mwapi",
    "http://www.bigdata.com/rdf/gas#service": "gas:service",
}


def check_services(text: str, prefixes: Mapping[str, str], allowed: Collection[str]) -> None:
    """Raise ServiceForbidden unless every SERVICE target of the query is on the allowlist.

    A label service nested in another SERVICE block goes out with that block, whose target is
    checked; one that is not nested was not rewritten (a path that does not rewrite) and is
    refused, allowlisted or not: it is never sent anywhere.
    """
    targets = service_targets(text, prefixes)
    nested = nested_services(text) if LABEL_SERVICE in targets else [False] * len(targets)
    for target, inside in zip(targets, nested, strict=False):
        if target == LABEL_SERVICE and inside:
            continue
        if target == LABEL_SERVICE:  # even if listed: it is never called out to
            raise ServiceForbidden("SERVICE wikibase:label is answered by rewriting the query over "
                                   "citygraph's own labels (the SPARQL endpoint, /api and "
                                   "`citygraph query` do it); it is never called out to")
        if target == VARIABLE_TARGET:
            raise ServiceForbidden("SERVICE with a variable is not allowed: name the endpoint, "
                                   "which must be on the allowlist")
        if target in WDQS_BUILTINS and target not in allowed:
            raise ServiceForbidden(f"SERVICE {WDQS_BUILTINS[target]} is a service built into the "
                                   "Wikidata Query Service, not an endpoint to call out to; "
                                   "citygraph does not implement it (wikibase:label is answered)")
        if target not in allowed:
            listed = ", ".join(f"<{a}>" for a in sorted(allowed)) or "none are allowed"
            raise ServiceForbidden(f"SERVICE <{target}> is not allowed: this endpoint calls out "
                                   f"only to the endpoints on its allowlist ({listed})")


def parse_allowlist(value: str) -> frozenset[str]:
    """The endpoint IRIs of a comma- or space-separated allowlist setting.

    >>> sorted(parse_allowlist("https://query.wikidata.org/sparql, http://127.0.0.1:7878/query"))
    ['http://127.0.0.1:7878/query', 'https://query.wikidata.org/sparql']
    >>> parse_allowlist("")
    frozenset()
    """
    return frozenset(part for part in re.split(r"[\s,]+", value) if part)
