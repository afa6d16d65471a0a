"""Content negotiation and serialisation, as data: media type ↔ format tables.

>>> negotiate("text/csv;q=0.9, application/sparql-results+json", SELECT_FORMATS).name
'json'
>>> negotiate("text/html", SELECT_FORMATS) is None
True
>>> GRAPH_FORMATS["turtle"].media_type
'text/turtle'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .vocab import PREFIXES


@dataclass(frozen=True)
class Format:
    """One serialisation: short name, media type, URL-twin extension and the writer's format."""

    name: str
    media_type: str
    extension: str
    writer: ox.RdfFormat | ox.QueryResultsFormat | None
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header value, with charset for text formats."""
        return f"{self.media_type}; charset=utf-8"


def _table(*formats: Format) -> dict[str, Format]:
    return {f.name: f for f in formats}


#: Result formats of SELECT and ASK queries.
SELECT_FORMATS = _table(
    Format("json", "application/sparql-results+json", "srj", ox.QueryResultsFormat.JSON,
           ("application/json",)),
    Format("xml", "application/sparql-results+xml", "srx", ox.QueryResultsFormat.XML,
           ("application/xml", "text/xml")),
    Format("csv", "text/csv", "csv", ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV),
)

#: Formats of RDF graphs (CONSTRUCT, DESCRIBE, linked-data documents, dumps).
GRAPH_FORMATS = _table(
    Format("turtle", "text/turtle", "ttl", ox.RdfFormat.TURTLE,
           ("application/x-turtle", "application/turtle")),
    Format("ntriples", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, ("text/plain",)),
    Format("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, ("application/json",)),
    Format("rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, ("application/xml",)),
)

#: Formats of datasets with named graphs.
DATASET_FORMATS = _table(
    Format("nquads", "application/n-quads", "nq", ox.RdfFormat.N_QUADS),
    Format("trig", "application/trig", "trig", ox.RdfFormat.TRIG),
)

#: Short names accepted by ``format=`` besides the table keys.
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
                  "rdf": "rdfxml", "rdf+xml": "rdfxml", "srj": "json", "srx": "xml"}

HTML = Format("html", "text/html", "html", None)


def by_name(name: str, table: Mapping[str, Format]) -> Format | None:
    """The format called ``name`` (or an alias, or its media type) in ``table``."""
    key = FORMAT_ALIASES.get(name.lower(), name.lower())
    if key in table:
        return table[key]
    for fmt in table.values():
        if fmt.media_type == key or key in fmt.aliases:
            return fmt
    return None


def by_extension(extension: str, table: Mapping[str, Format]) -> Format | None:
    """The format whose URL-twin extension is ``extension``."""
    return next((f for f in table.values() if f.extension == extension), None)


def accepted(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values, parameters other than q dropped.

    Parameters (``charset``, a JSON-LD ``profile``) never make a range unacceptable here: every
    format is served in UTF-8, and a profile is a preference, not a requirement.

    >>> accepted('text/turtle; charset=utf-8, application/ld+json; profile="x"; q=0.5')
    [('text/turtle', 1.0), ('application/ld+json', 0.5)]
    """
    return [(item.split(";", 1)[0].strip().lower(), float(q))
            for item, q in parse_accept_header(accept, MIMEAccept)]


def _quality(ranges: Sequence[tuple[str, float]], media: str, exact_only: bool) -> float:
    """The q-value the most specific matching range gives ``media`` (0 when none matches)."""
    kind = media.split("/", 1)[0]
    best, specificity = 0.0, -1
    for item, q in ranges:
        if item == media:
            level = 2
        elif exact_only:
            continue
        elif item == kind + "/*":
            level = 1
        elif item == "*/*":
            level = 0
        else:
            continue
        if level > specificity:
            best, specificity = q, level
    return best


def negotiate(accept: str | None, table: Mapping[str, Format],
              default: Format | None = None) -> Format | None:
    """The best format of ``table`` for an Accept header (q-values honoured).

    An absent or empty header, or ``*/*``, gives ``default`` (the table's first if None). The
    most specific range decides a format's q-value (RFC 9110); wildcards match a format's own
    media type only, never its aliases (so ``text/*`` means CSV, not XML as ``text/xml``); ties go
    to the default, then to table order. Returns None when nothing acceptable can be produced.

    >>> negotiate("text/*", SELECT_FORMATS).name
    'csv'
    >>> negotiate("text/turtle;q=0.1, */*", GRAPH_FORMATS, GRAPH_FORMATS["jsonld"]).name
    'jsonld'
    >>> negotiate("text/turtle;q=0, */*", GRAPH_FORMATS).name
    'ntriples'
    """
    first = default if default is not None else next(iter(table.values()))
    if not accept or not accept.strip():
        return first
    ranges = accepted(accept)
    chosen, best = None, 0.0
    for fmt in [first, *table.values()]:
        quality = max([_quality(ranges, fmt.media_type, False),
                       *(_quality(ranges, alias, True) for alias in fmt.aliases)])
        if quality > best:
            chosen, best = fmt, quality
    return chosen


@dataclass(frozen=True)
class Answer:
    """A serialised query answer."""

    body: bytes
    format: Format
    kind: str  # "select", "ask" or "graph"
    rows: int
    truncated: bool


class _RowCap(Exception):
    """Raised by :class:`_TsvRows` to stop the writer once the row cap is passed."""


class _TsvRows:
    """A binary sink for Oxigraph's TSV writer that keeps the header and at most ``cap`` rows.

    The writer streams; once one row more than ``cap`` has arrived, :class:`_RowCap` stops it,
    so a huge answer is never computed or written out in full. (TSV escapes line breaks inside
    terms, so every line is one row.)
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.lines = 0

    def write(self, chunk: bytes) -> int:
        """Keep a chunk of TSV; raise _RowCap once past the header and ``cap`` rows."""
        self.parts.append(bytes(chunk))
        self.lines += chunk.count(b"\n")
        if self.lines > self.cap + 1:
            raise _RowCap
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the parts are kept in memory."""

    def result(self) -> tuple[bytes, int, bool]:
        """The TSV text (header and at most ``cap`` rows), its row count and whether rows were cut."""
        tsv = b"".join(self.parts)
        if self.lines <= self.cap + 1:
            return tsv, max(0, self.lines - 1), False
        end = -1
        for _ in range(self.cap + 1):
            end = tsv.index(b"\n", end + 1)
        return tsv[:end + 1], self.cap, True


def serialize_solutions(solutions: ox.QuerySolutions, fmt: Format, max_rows: int) -> Answer:
    """Serialise at most ``max_rows`` SELECT solutions with Oxigraph's own result writers.

    The solutions are written as TSV by Oxigraph, stopped past the cap, and (for another format)
    read back and written in that format: no term is converted in Python.
    """
    sink = _TsvRows(max_rows)
    try:
        solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
    except _RowCap:
        pass
    tsv, count, truncated = sink.result()
    if fmt.writer == ox.QueryResultsFormat.TSV:
        body = tsv
    else:
        capped = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        body = capped.serialize(format=fmt.writer) or b""  # type: ignore[arg-type]
    return Answer(body, fmt, "select", count, truncated)


def serialize_boolean(result: ox.QueryBoolean, fmt: Format) -> Answer:
    """Serialise an ASK answer with Oxigraph's result writers."""
    body = result.serialize(format=fmt.writer) or b""  # type: ignore[arg-type]
    return Answer(body, fmt, "ask", 1, False)


#: A local name Turtle writes as is (no ``\\`` escape): ASCII letters, digits, ``_``, ``-`` and
#: inner dots. (Turtle allows more; a name outside this is written as a full IRI instead.)
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?\Z")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: Datatypes Turtle never writes, and the literals it writes bare (``1``, ``1.5``, ``1e3``, ``true``).
_IMPLICIT_DATATYPES = {_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
_BARE_LITERALS = {
    _XSD + "integer": re.compile(r"[+-]?[0-9]+\Z"),
    _XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+\Z"),
    _XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+\Z"),
    _XSD + "boolean": re.compile(r"(?:true|false)\Z"),
}


def _written_iris(terms: Iterable[object], out: set[str]) -> None:
    """Add to ``out`` the IRIs of ``terms`` that Turtle writes as IRIs (datatypes included)."""
    for item in terms:
        if isinstance(item, ox.NamedNode):
            out.add(item.value)
        elif isinstance(item, ox.Literal):
            datatype = item.datatype.value
            bare = _BARE_LITERALS.get(datatype)
            if datatype not in _IMPLICIT_DATATYPES and not (bare and bare.match(item.value)):
                out.add(datatype)
        elif isinstance(item, ox.Triple):  # an RDF-star quoted triple
            _written_iris((item.subject, item.predicate, item.object), out)


def turtle_prefixes(statements: Iterable[ox.Triple | ox.Quad],
                    prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes of ``prefixes`` that Turtle (or TriG) would use for ``statements`` with plain
    local names: none declared in vain, none that would need a ``\\/`` (or other) escape.

    The serialiser abbreviates an IRI with the longest matching namespace; a namespace one of whose
    IRIs would need an escape is dropped (those IRIs fall to a shorter one, or are written in full),
    until every abbreviation left is plain. ``rdf:type`` as a predicate is written ``a``.

    >>> ID = "https://w3id.org/citygraph/id/"
    >>> t = ox.Triple(ox.NamedNode(ID + "city/dortmund"), ox.NamedNode(_RDF_TYPE),
    ...               ox.NamedNode(ID + "partnership-kind/twinning"))
    >>> turtle_prefixes([t], {"id": ID, "cgkind": ID + "partnership-kind/",
    ...                       "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"})
    {'cgkind': 'https://w3id.org/citygraph/id/partnership-kind/'}
    >>> turtle_prefixes([t], {"kind": ID + "partnership-kind/", "cgkind": ID + "partnership-kind/"})
    {'kind': 'https://w3id.org/citygraph/id/partnership-kind/'}
    """
    iris: set[str] = set()
    for statement in statements:
        predicate = statement.predicate
        _written_iris((statement.subject, statement.object), iris)
        if predicate.value != _RDF_TYPE:
            iris.add(predicate.value)
        if isinstance(statement, ox.Quad):
            _written_iris((statement.graph_name,), iris)
    # Longest first, as the serialiser picks: the first alternative that matches is the longest.
    namespaces = sorted(set(prefixes.values()), key=len, reverse=True)
    ordered = sorted(iris)
    chosen: set[str] = set()
    while namespaces:
        chosen = set()
        dropped = None
        pattern = re.compile("|".join(map(re.escape, namespaces)))
        for iri in ordered:
            match = pattern.match(iri)
            if match is None:
                continue
            if not _PLAIN_LOCAL.match(iri, match.end()):
                dropped = match.group()
                break
            chosen.add(match.group())
        if dropped is None:
            break
        namespaces.remove(dropped)
    out: dict[str, str] = {}
    for prefix, namespace in prefixes.items():  # one name per namespace: the first given
        if namespace in chosen and namespace not in out.values():
            out[prefix] = namespace
    return out


def serialize_triples(triples: Iterable[ox.Triple], fmt: Format, max_rows: int | None = None,
                      prefixes: Mapping[str, str] | None = None) -> Answer:
    """Serialise CONSTRUCT/DESCRIBE triples (at most ``max_rows`` if given).

    Turtle declares only the prefixes it uses, each giving plain local names (:func:`turtle_prefixes`).
    """
    out: list[ox.Triple] = []
    truncated = False
    for triple in triples:
        if max_rows is not None and len(out) >= max_rows:
            truncated = True
            break
        out.append(triple)
    use = None if fmt.writer in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) else (
        prefixes if prefixes is not None else PREFIXES)
    if use is not None and fmt.writer in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        use = turtle_prefixes(out, use)
    body = ox.serialize(out, format=fmt.writer, prefixes=use) or b""  # type: ignore[arg-type]
    return Answer(body, fmt, "graph", len(out), truncated)


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns (for the terminal)."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    def line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)]) + "\n"
