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
from .sparqltext import VARIABLE_TARGET, service_targets

__all__ = ["VARIABLE_TARGET", "check_services", "parse_allowlist", "service_targets"]


def check_services(text: str, prefixes: Mapping[str, str], allowed: Collection[str]) -> None:
    """Raise ServiceForbidden unless every SERVICE target of the query is on the allowlist."""
    for target in service_targets(text, prefixes):
        if target == VARIABLE_TARGET:
            raise ServiceForbidden("SERVICE with a variable is not allowed: name the endpoint, "
                                   "which must be on the allowlist")
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
