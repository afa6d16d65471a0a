"""Blazegraph's query hints, as queries copied from the Wikidata Query Service carry them.

WDQS runs on Blazegraph, which reads triples such as ``hint:Query hint:optimizer "None" .`` or
``hint:Prior hint:runFirst true .`` as directions to its optimiser, not as patterns to match. Sent
as they are to another engine, they are patterns that match nothing, and the query silently
answers no rows. :func:`strip_hints` blanks them out (same length, newlines kept, so every other
token keeps its line and column) before the engine sees the query: Oxigraph plans on its own.

Blazegraph's full-text search (``bds:search``) has no counterpart here: a query that uses it is a
400 that says so, rather than an empty answer.

>>> from citygraph.vocab import PREFIXES
>>> query = 'SELECT * { hint:Query hint:optimizer "None" . ?s ?p ?o }'
>>> stripped = strip_hints(query, PREFIXES)
>>> stripped.split(), len(stripped) == len(query)
(['SELECT', '*', '{', '?s', '?p', '?o', '}'], True)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import QuerySyntaxError
from ..sparqltext import Token, analyse, position, tokens, unescape_iri

#: The namespace of Blazegraph's query hints (``hint:``).
HINTS = "http://www.bigdata.com/queryHints#"
#: The namespace of Blazegraph's full-text search (``bds:``).
SEARCH = "http://www.bigdata.com/rdf/search#"
_NOT_NEWLINE = re.compile(r"[^\n]")


def _namespaces(text: str, prefixes: Mapping[str, str]) -> dict[str, str]:
    found = dict(prefixes)
    found.update((p, iri) for _, p, iri in analyse(text).declarations)
    return found


def _iri(token: Token, namespaces: Mapping[str, str]) -> str | None:
    if token.kind == "iri":
        return unescape_iri(token.text)
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in namespaces:
            return namespaces[prefix] + local.replace("\\", "")
    return None


def mentions(text: str, prefixes: Mapping[str, str]) -> bool:
    """True when the query may hold a hint or a full-text search (cheap: no tokens read)."""
    used = {p for _, p in analyse(text).names}
    namespaces = _namespaces(text, prefixes)
    return (any(namespaces.get(p) in (HINTS, SEARCH) for p in used)
            or "bigdata.com/queryHints#" in text or "bigdata.com/rdf/search#" in text)


def strip_hints(text: str, prefixes: Mapping[str, str]) -> str:
    """The query with its Blazegraph query hints blanked out (unchanged when it has none).

    A hint is a triple whose subject and predicate are ``hint:`` terms; a predicate-object list
    (``hint:Prior hint:runFirst true ; hint:runLast false``) goes with it. Raises QuerySyntaxError
    for ``bds:search`` and the other full-text-search predicates, which no engine here answers.
    """
    if not mentions(text, prefixes):
        return text
    namespaces = _namespaces(text, prefixes)
    toks = [t for t in tokens(text) if t.kind != "comment"]
    spans: list[tuple[int, int]] = []
    i, n = 0, len(toks)
    while i < n:
        iri = _iri(toks[i], namespaces)
        declared = i >= 2 and toks[i - 2].kind == "keyword" and toks[i - 2].text.upper() == "PREFIX"
        if iri is not None and iri.startswith(SEARCH) and not declared:
            line, column = position(text, toks[i].start)
            raise QuerySyntaxError(
                f"SPARQL query at line {line}, column {column}: {toks[i].text} is Blazegraph's "
                "full-text search on the Wikidata Query Service; this endpoint has none (match "
                "names with FILTER(CONTAINS(LCASE(?label), \"…\")) or use /reconcile)")
        starts_triple = i == 0 or toks[i - 1].text in ("{", ".", "}")
        if (iri is not None and iri.startswith(HINTS) and starts_triple and i + 2 < n
                and (_iri(toks[i + 1], namespaces) or "").startswith(HINTS)):
            end = i + 3
            while end + 2 < n and toks[end].text == ";" \
                    and (_iri(toks[end + 1], namespaces) or "").startswith(HINTS):
                end += 3
            if end < n and toks[end].text == ".":
                end += 1
            spans.append((toks[i].start, toks[end - 1].start + len(toks[end - 1].text)))
            i = end
            continue
        i += 1
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end in spans:
        out += [text[at:start], _NOT_NEWLINE.sub(" ", text[start:end])]
        at = end
    out.append(text[at:])
    return "".join(out)
