"""The named-query catalogue: ``queries/*.rq`` files with a header of ``#+`` lines.

Header lines (grlc style, the file stays valid SPARQL)::

    #+ title: Partners of a city
    #+ description: Every partnership of the city, with kind, status and start year.
    #+ param: city iri = https://w3id.org/citygraph/id/city/dortmund | the city
    #+ param: since integer | only partnerships that started in or after this year

A parameter is a variable of the query (``?city``); its value is bound as a typed RDF term
(substitution), never spliced into the query text. A parameter without default is required.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from .errors import BadParameter, DataSyntaxError, MissingPathError, QuerySyntaxError
from .sparqltext import query_form

__all__ = ["NamedQuery", "Parameter", "load_catalogue", "load_query", "parse_header", "query_form"]

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = ("iri", "string", "langstring", "integer", "date")
_HEADER = re.compile(r"^#\+\s*([A-Za-z_]+)\s*:\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>[a-z]+)"
    r"(?:\s*=\s*(?P<default>[^|]*?))?\s*(?:\|\s*(?P<description>.*))?$"
)
_SAMPLES: dict[str, ox.NamedNode | ox.Literal] = {
    "iri": ox.NamedNode("https://example.org/sample"),
    "string": ox.Literal("sample"),
    "langstring": ox.Literal("sample", language="en"),
    "integer": ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
    "date": ox.Literal("2000-01-01", datatype=ox.NamedNode(XSD + "date")),
}
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a named query."""

    name: str
    type: str
    default: str | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        """A parameter without a default must be given."""
        return self.default is None

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        """Turn a request value into the RDF term of this parameter's type, or BadParameter.

        >>> Parameter("n", "integer").bind("12")
        <Literal value=12 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        >>> Parameter("n", "integer").bind("1 } ; DROP ALL")
        Traceback (most recent call last):
        ...
        citygraph.errors.BadParameter: parameter 'n': '1 } ; DROP ALL' is not an integer
        """
        if self.type == "iri":
            if not _IRI.match(raw):
                raise BadParameter(self.name, f"{raw!r} is not an absolute IRI")
            try:
                return ox.NamedNode(raw)
            except ValueError as exc:
                raise BadParameter(self.name, f"{raw!r} is not a valid IRI: {exc}") from None
        if self.type == "string":
            return ox.Literal(raw)
        if self.type == "langstring":
            text, sep, lang = raw.rpartition("@")
            if not sep or not _LANG.match(lang):
                raise BadParameter(self.name, f"{raw!r} is not a language-tagged string "
                                   "(write text@lang, e.g. Dortmund@de)")
            return ox.Literal(text, language=lang.lower())
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?[0-9]{1,18}", raw, flags=re.ASCII):
                raise BadParameter(self.name, f"{raw!r} is not an integer")
            return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
        if self.type == "date":
            # Only YYYY-MM-DD: fromisoformat alone would also take 20200101 or 2020-W01-1.
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw, flags=re.ASCII):
                    raise ValueError(raw)
                value = date.fromisoformat(raw)
            except ValueError:
                raise BadParameter(self.name, f"{raw!r} is not a date (YYYY-MM-DD)") from None
            return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))
        raise BadParameter(self.name, f"unknown parameter type {self.type!r}")


@dataclass(frozen=True)
class NamedQuery:
    """One curated query file with its header."""

    name: str
    path: Path
    text: str
    title: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)

    def bindings(self, values: Mapping[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Typed terms for every parameter from ``values`` or its default; unknown names fail."""
        known = {p.name for p in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadParameter(unknown[0], f"the query {self.name!r} has no such parameter "
                               f"(known: {', '.join(sorted(known)) or 'none'})")
        out: dict[str, ox.NamedNode | ox.Literal] = {}
        for param in self.parameters:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                if param.required:
                    raise BadParameter(param.name, "is required")
                continue
            out[param.name] = param.bind(raw)
        return out


def parse_header(path: Path, text: str) -> tuple[dict[str, str], list[Parameter]]:
    """The ``#+`` header fields and parameters of a query file."""
    fields: dict[str, str] = {}
    params: list[Parameter] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "param":
            pm = _PARAM.match(value)
            if not pm or pm.group("type") not in PARAM_TYPES:
                raise DataSyntaxError(path, number, f"bad parameter line {value!r}: expected "
                                      f"'NAME TYPE [= DEFAULT] [| description]' with TYPE one of "
                                      f"{', '.join(PARAM_TYPES)}")
            default = pm.group("default")
            params.append(Parameter(pm.group("name"), pm.group("type"),
                                    default.strip() if default is not None else None,
                                    (pm.group("description") or "").strip()))
        else:
            fields[key] = (fields[key] + " " + value) if key in fields else value
    return fields, params


def load_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its header; the SPARQL text is checked by pyoxigraph."""
    from .federation import service_targets
    from .store import unknown_prefix

    text = path.read_text(encoding="utf-8")
    fields, params = parse_header(path, text)
    try:
        # A query that calls out (SERVICE) is only parsed: running it, even on an empty
        # store, would send requests.
        federated = bool(service_targets(text, _prefixes()))
    except QuerySyntaxError as exc:
        raise DataSyntaxError(path, None, exc.message) from None
    undeclared = unknown_prefix(text, _prefixes())  # a query that calls out is never run: tell here
    if undeclared is not None:
        where = re.search(r"at line (\d+),", undeclared)
        raise DataSyntaxError(path, int(where.group(1)) if where else None, undeclared)
    try:
        if not federated:
            ox.Store().query(text, prefixes=_prefixes())
    except SyntaxError as exc:
        message = unknown_prefix(text, _prefixes()) or f"SPARQL syntax error: {exc}"
        where = re.search(r"(?:error at |line )(\d+)[:,]", message)
        raise DataSyntaxError(path, int(where.group(1)) if where else None, message) from None
    except ValueError:
        pass  # an evaluation problem on the empty store is not a syntax problem
    for p in params:
        if not re.search(r"[?$]" + re.escape(p.name) + r"\b", text):
            raise DataSyntaxError(path, None, f"parameter {p.name!r} is not a variable of the query")
        if federated:
            continue
        sample = p.bind(p.default) if p.default is not None else _SAMPLES[p.type]
        try:
            result = ox.Store().query(text, prefixes=_prefixes(),
                                      substitutions={ox.Variable(p.name): sample})
            if isinstance(result, ox.QuerySolutions):
                list(result)
        except RuntimeError as exc:
            raise DataSyntaxError(path, None, f"parameter {p.name!r} cannot be bound: {exc} "
                                  "(a SELECT must project every parameter, e.g. SELECT * or "
                                  f"SELECT ... ?{p.name})") from None
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        title=fields.get("title", path.stem),
        description=fields.get("description", ""),
        parameters=tuple(params),
        tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
    )


def _prefixes() -> dict[str, str]:
    from .vocab import PREFIXES

    return PREFIXES


def load_catalogue(directory: Path) -> dict[str, NamedQuery]:
    """Every query of ``directory`` by name, sorted."""
    if not directory.is_dir():
        raise MissingPathError(directory, "queries directory")
    return {p.stem: load_query(p) for p in sorted(directory.glob("*.rq"))}
