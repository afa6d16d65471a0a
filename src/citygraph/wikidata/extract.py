"""Readers for a Wikidata extract of twinnings (P190), the other side of ``citygraph wikidata diff``.

Three forms are read, told apart by the file's name and, failing that, by its first bytes:

- the crawl format of ``reference/twinnings/`` (L3viathan/sister-cities): a directory holding
  ``relations.tsv`` (``QID<TAB>QID``, one directed P190 statement a line) and optionally ``names.tsv``
  (``QID<TAB>label``), or the relations file itself (``names.tsv`` beside it is read for labels).
  A first line that is not a QID pair is a header naming the columns (``subject``/``object``,
  ``item``/``twin``; ``…label…`` columns give labels), as in ``dortmund_subset.derived.tsv``.
- a WDQS result in SPARQL 1.1 Query Results JSON (``application/sparql-results+json``), one row per
  statement (or per start), with the columns of :data:`COLUMNS` (values: entity IRIs or bare QIDs).
- Wikidata RDF (Turtle ``.ttl``, N-Triples ``.nt``): ``wdt:P190`` triples and, where present, the
  statement form ``p:P190`` → ``ps:P190`` with ``pq:P580`` / ``pq:P582`` (precision from
  ``pqv:P580`` → ``wikibase:timePrecision``) and ``wikibase:rank`` (deprecated statements are not
  counted as asserted, as WDQS leaves them out of ``wdt:``).

Any of them may be gzip-compressed (``.gz``). Bad input is an
:class:`~citygraph.errors.ExtractError` naming the file and, where the parser gives one, the line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from ..errors import ExtractError, MissingPathError

WD = "http://www.wikidata.org/entity/"
#: A QID: Q and up to 12 digits (Wikidata's items are numbered below Q200000000 today; the bound keeps
#: a runaway number out of int(), which refuses more than 4300 digits).
_QID = re.compile(r"Q[1-9][0-9]{0,11}")
_ENTITY = re.compile(r"(?:https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q[1-9][0-9]{0,11})")
#: An entity IRI whose local name looks like an item but is not a QID (too long, say).
_BAD_ENTITY = re.compile(r"https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/Q[0-9]+")
#: WDQS writes "unknown value" (somevalue) as a skolem IRI under /.well-known/genid/.
_GENID = re.compile(r"https?://(?:www\.)?wikidata\.org/\.well-known/genid/\S*")
_TIME = re.compile(r"([+-]?\d{4,})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?)?")

#: The WDQS column names read from a JSON result, each a list of accepted spellings, first the
#: preferred one (matched case-insensitively; ``?itemLabel``/``?twinLabel`` give labels).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "item": ("item", "city", "town", "place", "subject", "s", "entity"),
    "twin": ("twin", "twinCity", "twin_city", "twinnedCity", "sister", "sisterCity", "sister_city",
             "partner", "object", "o", "other"),
    "start": ("start", "startTime", "start_time", "P580", "since", "begin"),
    "start_precision": ("startPrecision", "start_precision", "precision", "P580precision"),
    "end": ("end", "endTime", "end_time", "P582", "until"),
    "end_precision": ("endPrecision", "end_precision", "P582precision"),
    "rank": ("rank",),
    "statement": ("statement", "st", "claim"),
}

#: Extracts citygraph knows by content (SHA-256 of the relations file) → the local name of the
#: source node (``{base}id/source/NAME``) in the data whose ``dcterms:date`` is the extract's date.
KNOWN_EXTRACTS: Mapping[str, str] = {
    # reference/twinnings/l3viathan-sister-cities-2016/relations.tsv (L3viathan/sister-cities @ d3028c2)
    "97a24bcf23989728ecfbecb20322237a8800836709931fb750ae92e372294154": "wikidata-sister-cities-2016",
    # reference/twinnings/l3viathan-sister-cities-2016/dortmund_subset.derived.tsv (derived from it)
    "c5e7a57b4005ebc762ba5f2cb5240113fc281d051c1c5d63af50d26b01c9f9d2": "wikidata-sister-cities-2016",
}

_P = "http://www.wikidata.org/prop/"
P190_DIRECT = ox.NamedNode(_P + "direct/P190")
P190 = ox.NamedNode(_P + "P190")
PS_P190 = ox.NamedNode(_P + "statement/P190")
PQ_P580 = ox.NamedNode(_P + "qualifier/P580")
PQ_P582 = ox.NamedNode(_P + "qualifier/P582")
PQV_P580 = ox.NamedNode(_P + "qualifier/value/P580")
PQV_P582 = ox.NamedNode(_P + "qualifier/value/P582")
WIKIBASE = "http://wikiba.se/ontology#"
RANK = ox.NamedNode(WIKIBASE + "rank")
PRECISION = ox.NamedNode(WIKIBASE + "timePrecision")
DEPRECATED = WIKIBASE + "DeprecatedRank"
LABELS = (ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
          ox.NamedNode("http://schema.org/name"), ox.NamedNode("https://schema.org/name"))
DATE_MODIFIED = (ox.NamedNode("http://schema.org/dateModified"),
                 ox.NamedNode("https://schema.org/dateModified"))
_LABEL_LANGUAGES = ("en", "de", "mul")


class ImpossibleTime(ValueError):
    """A timestamp of the right shape whose date cannot exist (2016-02-30, month 13)."""


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def days_in_month(year: int, month: int) -> int:
    """The number of days of a month in the proleptic Gregorian calendar (any year, BCE too)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@dataclass(frozen=True)
class TimeValue:
    """A Wikidata time value: the date part of its timestamp and its precision (9 year, 10 month,
    11 day; None when the extract does not say)."""

    year: int
    month: int
    day: int
    precision: int | None

    @classmethod
    def parse(cls, text: str, precision: int | None) -> TimeValue | None:
        """The time value of a timestamp such as ``1960-01-01T00:00:00Z`` (None if it is none)."""
        match = _TIME.fullmatch(text.strip())
        if match is None:
            return None
        if len(match.group(1).lstrip("+-")) > 16:
            raise ImpossibleTime(f"{text[:40]!r}: a year of more than 16 digits")
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        hour, minute, second = (int(g) if g else 0 for g in match.group(4, 5, 6))
        # Wikidata writes the digits past a year's or a month's precision as 00 (+1960-00-00).
        if month > 12 or (month == 0 and (day or (precision or 9) >= 10)):
            raise ImpossibleTime(f"{text!r} is not a real date: there is no month {month:02d}")
        if month and (day > days_in_month(year, month) or (day == 0 and (precision or 9) >= 11)):
            raise ImpossibleTime(f"{text!r} is not a real date: {_MONTHS[month - 1]} {year} has "
                                 f"{days_in_month(year, month)} days")
        if hour > 24 or minute > 59 or second > 60:
            raise ImpossibleTime(f"{text!r} is not a real time of day")
        return cls(year, month, day, precision)

    def __lt__(self, other: TimeValue) -> bool:
        """Chronological order (an unstated precision before a stated one)."""
        return (self.year, self.month, self.day, self.precision or 0) < \
            (other.year, other.month, other.day, other.precision or 0)

    def key(self, precision: int) -> tuple[int, ...]:
        """The parts of the value that a comparison at ``precision`` looks at."""
        return (self.year, self.month, self.day)[: max(1, min(precision, 11) - 8)]

    @property
    def effective_precision(self) -> int:
        """The precision to compare at: the stated one, or the year where none is stated."""
        return self.precision if self.precision in (9, 10, 11) else 9

    def earliest(self) -> date:
        """The first day the value can stand for (1960 at year precision: 1960-01-01)."""
        p = self.effective_precision
        return date(self.year, self.month if p >= 10 and self.month else 1,
                    self.day if p >= 11 and self.day else 1)

    def latest(self) -> date:
        """The last day the value can stand for (1960 at year precision: 1960-12-31)."""
        p = self.effective_precision
        month = self.month if p >= 10 and self.month else 12
        return date(self.year, month, self.day if p >= 11 and self.day else days_in_month(self.year, month))

    def __str__(self) -> str:
        p = self.effective_precision
        return (f"{self.year:04d}" + (f"-{self.month:02d}" if p >= 10 else "")
                + (f"-{self.day:02d}" if p >= 11 else ""))


@dataclass
class Extract:
    """What a Wikidata extract says about twinnings: directed P190 statements, their starts and
    ends (where it has qualifiers), labels, and its date (when known)."""

    path: Path
    format: str
    #: (subject QID, object QID) of every asserted (non-deprecated) P190 statement.
    edges: set[tuple[str, str]] = field(default_factory=set)
    starts: dict[tuple[str, str], set[TimeValue]] = field(default_factory=dict)
    ends: dict[tuple[str, str], set[TimeValue | None]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: Whether the extract can carry P580/P582 at all (a crawl of QID pairs cannot).
    qualifiers: bool = False
    #: The extract's date and where it was taken from (in words).
    as_of: date | None = None
    as_of_basis: str = ""
    #: The SHA-256 of the file the statements were read from.
    sha256: str = ""
    statements: int = 0
    #: Items the extract shows with no P190 statement (a WDQS row whose twin is unbound).
    covered: set[str] = field(default_factory=set)
    #: P190 statements whose twin is "unknown value" (somevalue): (item, the skolem IRI or blank node);
    #: skipped, as no pair can be made of them, and counted in the report.
    unknown_twins: set[tuple[str, str]] = field(default_factory=set)
    #: The statements that can carry qualifiers (the statement form of RDF, every row of a WDQS
    #: result with a start or end column); a ``wdt:`` triple alone cannot.
    qualified: set[tuple[str, str]] = field(default_factory=set)
    _subjects: set[str] | None = field(default=None, repr=False)
    _subjects_of: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def add(self, subject: str, obj: str, starts: Iterable[TimeValue] = (),
            ends: Iterable[TimeValue | None] = (), qualified: bool = False) -> None:
        """Record a P190 statement ``subject`` → ``obj`` with its starts and ends."""
        if subject == obj:
            return
        self.edges.add((subject, obj))
        if qualified:
            self.qualified.add((subject, obj))
        self.statements += 1
        for start in starts:
            self.starts.setdefault((subject, obj), set()).add(start)
        for end in ends:
            self.ends.setdefault((subject, obj), set()).add(end)

    @property
    def subjects(self) -> set[str]:
        """The items whose P190 statements the extract shows (the subjects of its statements)."""
        if self._subjects is None or len(self._subjects_of) != len(self.edges):
            self._subjects_of = set(self.edges)
            self._subjects = {s for s, _ in self.edges}
        return self._subjects | self.covered

    def lacks(self, subject: str, obj: str) -> bool:
        """Whether the extract shows that Wikidata lacks ``subject`` → ``obj``: it has no such statement
        but has statements of ``subject`` (a WDQS result of one city's twins says nothing about the
        statements of its twins, so their directions are not judged)."""
        return (subject, obj) not in self.edges and subject in self.subjects

    def touching(self, qids: set[str]) -> set[frozenset[str]]:
        """The unordered pairs of the extract that have an item of ``qids``."""
        return {frozenset(e) for e in self.edges if e[0] in qids or e[1] in qids}

    def known_source(self) -> str | None:
        """The local name of the data's source node this extract is a copy of, if citygraph knows it."""
        return KNOWN_EXTRACTS.get(self.sha256)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip."""
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ExtractError(path, None, f"not a readable gzip file: {exc}") from None
    return data


def _text(path: Path, data: bytes) -> str:
    """The file's text (UTF-8), or an error naming the line of the first bad byte."""
    if b"\x00" in data[:65536]:
        raise ExtractError(path, data[: data.index(b"\x00")].count(b"\n") + 1,
                              "a NUL byte: this is a binary file, not a Wikidata extract (expected a "
                              "relations TSV, a WDQS SPARQL JSON result or Wikidata RDF)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExtractError(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): a binary "
                              "file or another encoding") from None


def _stem_suffix(path: Path) -> str:
    """The suffix that tells the format (``.ttl`` for ``x.ttl.gz``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def sniff(path: Path, text: str) -> str:
    """The format of an extract file: ``crawl``, ``wdqs-json`` or ``rdf`` (an error otherwise)."""
    suffix = _stem_suffix(path)
    if suffix in (".json", ".srj"):
        return "wdqs-json"
    if suffix in (".ttl", ".nt", ".turtle"):
        return "rdf"
    if suffix in (".tsv", ".tab"):
        return "crawl"
    head = text.lstrip()
    first = head.split("\n", 1)[0]
    if head.startswith(("{", "[")):
        return "wdqs-json"
    if re.match(r"(?i)(@prefix|@base|prefix\s|base\s|<[^>\s]*>\s)", head) or head.startswith("#"):
        return "rdf"
    if "\t" in first:
        return "crawl"
    raise ExtractError(path, 1, "cannot tell what this is: expected a relations TSV (QID<TAB>QID), "
                          "a WDQS SPARQL JSON result (.json) or Wikidata RDF (.ttl, .nt)")


def read_extract(source: Path) -> Extract:
    """Read a Wikidata extract (crawl directory or file, WDQS JSON, RDF), told apart automatically."""
    if not source.exists():
        raise MissingPathError(source, "Wikidata extract")
    if source.is_dir():
        relations = source / "relations.tsv"
        if not relations.is_file():
            raise ExtractError(source, None, "a directory holding no relations.tsv: give the crawl "
                                  "directory, its relations file, a WDQS JSON result or an RDF file")
        extract = read_crawl(relations)
    else:
        data = _read_bytes(source)
        text = _text(source, data)
        kind = sniff(source, text)
        readers = {"crawl": read_crawl, "wdqs-json": read_wdqs_json, "rdf": read_rdf}
        extract = readers[kind](source, text, data)
    if not extract.edges and not extract.covered:
        raise ExtractError(extract.path, None, f"no P190 (twinned administrative body) statement in this "
                           f"{extract.format} extract: nothing to compare")
    return extract


def _not_a_qid(value: str) -> str:
    """Why a cell is not a QID, in words."""
    if re_full(r"Q[0-9]+", value):
        return (f"{value[:40]}{'…' if len(value) > 40 else ''} ({len(value) - 1} digits) is not a QID: "
                "a QID is Q and at most 12 digits, without a leading 0 (such as Q1295)")
    return f"{value[:40]!r} is not a QID (such as Q1295)"


def re_full(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` as a whole."""
    return re.fullmatch(pattern, text) is not None


def _line_of(text: str, needle: str) -> int | None:
    """The line of the first occurrence of ``needle`` in ``text`` (None when absent)."""
    index = text.find(needle) if needle else -1
    return None if index < 0 else text.count("\n", 0, index) + 1


def _qid(value: str) -> str | None:
    """The QID an entity IRI or a bare QID names (None for anything else)."""
    match = _ENTITY.fullmatch(value.strip())
    return match.group(1) if match else None


def read_crawl(path: Path, text: str | None = None, data: bytes | None = None, *,
               names_beside: bool = True) -> Extract:
    """Read a crawl relations TSV (``QID<TAB>QID`` lines, or a header naming the columns); with
    ``names_beside``, labels from the ``names.tsv`` beside it."""
    if data is None:
        data = _read_bytes(path)
    if text is None:
        text = _text(path, data)
    extract = Extract(path, "crawl", sha256=hashlib.sha256(data).hexdigest())
    lines = text.splitlines()
    columns: tuple[int, int] = (0, 1)
    label_columns: tuple[int | None, int | None] = (None, None)
    start_line = 0
    if lines and not all(re_full(r"Q[0-9]+", c.strip()) for c in lines[0].split("\t")[:2]):
        header = [c.strip().lower() for c in lines[0].split("\t")]
        s_index = next((i for i, c in enumerate(header) if c in ("subject", "item", "city", "qid", "from",
                                                                  "source", "s")), None)
        o_index = next((i for i, c in enumerate(header) if c in ("object", "twin", "partner", "to", "target",
                                                                  "o", "qid2")), None)
        if s_index is None or o_index is None or "\t" not in lines[0]:
            raise ExtractError(path, 1, f"expected QID<TAB>QID (a P190 statement) or a header naming "
                                  f"the subject and object columns (subject/object or item/twin), "
                                  f"got {lines[0][:80]!r}")
        columns = (s_index, o_index)
        label_columns = (
            next((i for i, c in enumerate(header) if c.startswith(header[s_index] + "_label")), None),
            next((i for i, c in enumerate(header) if c.startswith(header[o_index] + "_label")), None))
        start_line = 1
    width = max(columns) + 1
    for number, line in enumerate(lines[start_line:], start=start_line + 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < width:
            raise ExtractError(path, number, f"expected {width} TAB-separated columns "
                                  f"(QID<TAB>QID), got {len(cells)}: {line[:80]!r}")
        subject, obj = (cells[columns[0]].strip(), cells[columns[1]].strip())
        for value in (subject, obj):
            if not _QID.fullmatch(value):
                raise ExtractError(path, number, _not_a_qid(value))
        extract.add(subject, obj)
        for qid, index in zip((subject, obj), label_columns, strict=True):
            if index is not None and index < len(cells) and cells[index].strip():
                extract.labels.setdefault(qid, cells[index].strip())
    names = path.with_name("names.tsv")
    if names_beside and names.is_file() and names != path:
        _read_names(names, extract)
    return extract


def _read_names(path: Path, extract: Extract) -> None:
    """Labels from a crawl's ``names.tsv`` (``QID<TAB>label``)."""
    text = _text(path, _read_bytes(path))
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        qid, sep, label = line.partition("\t")
        if not sep or not _QID.fullmatch(qid.strip()):
            raise ExtractError(path, number, f"expected QID<TAB>label, got {line[:80]!r}")
        extract.labels.setdefault(qid.strip(), label.strip())


def _column(variables: list[str], role: str) -> str | None:
    """The result variable playing ``role`` (see :data:`COLUMNS`), matched case-insensitively."""
    lower = {v.lower(): v for v in variables}
    for name in COLUMNS[role]:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _int(cell: Mapping[str, object] | None) -> int | None:
    """An integer cell's value (None when unbound or not an integer)."""
    if not cell:
        return None
    try:
        return int(str(cell.get("value", "")).strip())
    except ValueError:
        return None


_WS = re.compile(r"[ \t\n\r]*")


def _members(text: str, start: int, decoder: json.JSONDecoder) -> dict[str, tuple[int, int]]:
    """The offsets (start, end) of the member values of the JSON object at ``start`` (the last of a
    repeated name, as json.loads keeps it)."""
    members: dict[str, tuple[int, int]] = {}
    if text[start] != "{":
        return members
    i = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    while text[i] == '"':
        name, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _WS.match(text, i).end() + 1  # type: ignore[union-attr]  # the ':'
        begin = _WS.match(text, i).end()  # type: ignore[union-attr]
        _, end = decoder.raw_decode(text, begin)
        members[name] = (begin, end)
        i = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[i] != ",":
            break
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    return members


def _row_lines(text: str) -> list[int]:
    """The line in the file where each row of ``results.bindings`` starts, for error messages ([]
    when the document is not laid out as expected; it has been parsed already)."""
    decoder = json.JSONDecoder()
    try:
        top = _WS.match(text).end()  # type: ignore[union-attr]
        results = _members(text, top, decoder).get("results")
        bindings = _members(text, results[0], decoder).get("bindings") if results else None
        if bindings is None or text[bindings[0]] != "[":
            return []
        lines, i = [], _WS.match(text, bindings[0] + 1).end()  # type: ignore[union-attr]
        line, counted = 1, 0
        while text[i] != "]":
            line += text.count("\n", counted, i)
            counted = i
            lines.append(line)
            _, end = decoder.raw_decode(text, i)
            i = _WS.match(text, end).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        return lines
    except (ValueError, IndexError, RecursionError):
        return []


def read_wdqs_json(path: Path, text: str | None = None, data: bytes | None = None) -> Extract:
    """Read a WDQS SELECT result in SPARQL 1.1 Query Results JSON."""
    if data is None:
        data = _read_bytes(path)
    if text is None:
        text = _text(path, data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ExtractError(path, None, "not valid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise ExtractError(path, 1, "not a SPARQL JSON result: expected an object with 'head' and "
                              "'results'")
    if "boolean" in document:
        raise ExtractError(path, None, "an ASK result (true/false): run a SELECT listing the items "
                              "and their twins")
    head, results = document.get("head"), document.get("results")
    variables = head.get("vars") if isinstance(head, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables) \
            or not isinstance(bindings, list):
        raise ExtractError(path, None, "not a SPARQL JSON result (application/sparql-results+json): "
                              "expected {\"head\": {\"vars\": [...]}, \"results\": {\"bindings\": [...]}}")
    roles = {role: _column(variables, role) for role in COLUMNS}
    for role in ("item", "twin"):
        if roles[role] is None:
            accepted = ", ".join("?" + n for n in COLUMNS[role])
            raise ExtractError(path, None, f"no column for the {role}: expected one of {accepted} "
                                  f"(the result has {', '.join('?' + v for v in variables) or 'none'})")
    extract = Extract(path, "wdqs-json", sha256=hashlib.sha256(data).hexdigest(),
                      qualifiers=roles["start"] is not None or roles["end"] is not None)
    seen: dict[tuple[str, str, str], None] = {}
    row_lines: list[int] | None = None

    def error(number: int, detail: str) -> ExtractError:
        """An error naming the row (1-based, as a person counts) and the line where it starts."""
        nonlocal row_lines
        if row_lines is None:
            row_lines = _row_lines(text)
        line = row_lines[number - 1] if len(row_lines) == len(bindings) else None
        return ExtractError(path, line, f"result row {number} (1-based) of results.bindings: {detail}")

    for number, row in enumerate(bindings, start=1):
        if not isinstance(row, dict) or not all(isinstance(c, dict) for c in row.values()):
            raise error(number, "not an object of bindings")
        qids: list[str] = []
        for role in ("item", "twin"):
            cell = row.get(roles[role])
            value = str(cell.get("value", "")) if cell else ""
            if role == "twin" and not value and qids:  # OPTIONAL { ?item wdt:P190 ?twin }: no twin
                extract.covered.add(qids[0])
                break
            if role == "twin" and qids and cell and (cell.get("type") == "bnode"
                                                     or _GENID.fullmatch(value)):
                extract.unknown_twins.add((qids[0], value))  # "unknown value": no pair to compare
                extract.covered.add(qids[0])
                break
            qid = _qid(value)
            if qid is None:
                what = (f"{_not_a_qid(value.rsplit('/', 1)[-1])}" if _BAD_ENTITY.fullmatch(value)
                        or re_full(r"Q[0-9]+", value) else
                        f"{value[:60]!r} is not a Wikidata item (an entity IRI or a QID)" if value
                        else "no value")
                raise error(number, f"?{roles[role]}: {what}")
            qids.append(qid)
            label = row.get(f"{roles[role]}Label")
            if label and isinstance(label.get("value"), str) and not _QID.fullmatch(label["value"]):
                extract.labels.setdefault(qid, label["value"])
        if len(qids) < 2:
            continue
        rank = row.get(roles["rank"]) if roles["rank"] else None
        if rank and str(rank.get("value", "")).endswith("DeprecatedRank"):
            continue
        try:
            starts = [t for t in _times(row, roles["start"], roles["start_precision"]) if t]
            ends = _times(row, roles["end"], roles["end_precision"])
        except ValueError as exc:
            raise error(number, str(exc)) from None
        statement = row.get(roles["statement"]) if roles["statement"] else None
        key = (qids[0], qids[1], str(statement.get("value")) if statement else str(number))
        if key in seen and statement:  # another row of the same statement (one per start, say)
            for s in starts:
                extract.starts.setdefault((qids[0], qids[1]), set()).add(s)
            for e in ends:
                extract.ends.setdefault((qids[0], qids[1]), set()).add(e)
            continue
        seen[key] = None
        extract.add(qids[0], qids[1], starts, ends, qualified=extract.qualifiers)
    return extract


def _times(row: Mapping[str, Mapping[str, object]], column: str | None,
           precision_column: str | None) -> list[TimeValue | None]:
    """The time value of a row's start or end column ([] when unbound; None for "unknown value");
    a ValueError naming the column for a value that is no date or an impossible one."""
    if column is None or not row.get(column):
        return []
    cell = row[column]
    value = str(cell.get("value", ""))
    if cell.get("type") in ("uri", "bnode") and not _TIME.fullmatch(value):
        return [None]  # WDQS writes "unknown value" (somevalue) as a skolem IRI or blank node
    try:
        time = TimeValue.parse(value, _int(row.get(precision_column)) if precision_column else None)
    except ImpossibleTime as exc:
        raise ValueError(f"?{column}: {exc}") from None
    if time is None:
        raise ValueError(f"?{column}: {value[:60]!r} is not a date or dateTime")
    return [time]


def read_rdf(path: Path, text: str | None = None, data: bytes | None = None) -> Extract:
    """Read Wikidata RDF (Turtle or N-Triples): ``wdt:P190`` and ``p:P190`` statements."""
    if data is None:
        data = _read_bytes(path)
    if text is None:
        text = _text(path, data)
    fmt = ox.RdfFormat.N_TRIPLES if _stem_suffix(path) == ".nt" else ox.RdfFormat.TURTLE
    store = ox.Store()
    try:
        store.bulk_extend(ox.parse(text.encode("utf-8"), format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as exc:
        detail = str(exc.msg) if hasattr(exc, "msg") else str(exc)
        detail = re.sub(r"^Parser error (at|between) line \d+ [^:]*: ", "", detail)
        detail = re.sub(r" \(line \d+\)$", "", detail)
        column = f", column {exc.offset}" if getattr(exc, "offset", None) else ""
        raise ExtractError(path, exc.lineno, f"{detail}{column}") from None
    extract = Extract(path, "rdf", sha256=hashlib.sha256(data).hexdigest())
    statement_edges: set[tuple[str, str]] = set()

    def entity(term: object) -> str | None:
        """The QID of an entity IRI; an error at its line for an IRI of an item that is no QID."""
        iri = _term(term)
        qid = _qid(iri) if isinstance(term, ox.NamedNode) else None
        if qid is None and isinstance(term, ox.NamedNode) and _BAD_ENTITY.fullmatch(iri):
            local = iri.rsplit("/", 1)[-1]
            raise ExtractError(path, _line_of(text, local[:200]), f"<{iri[:80]}…>: {_not_a_qid(local)}")
        return qid

    def unknown(item: str, term: object) -> bool:
        """Whether a P190 value is "unknown value" (a skolem IRI or a blank node), noted if so."""
        if isinstance(term, ox.BlankNode) or (isinstance(term, ox.NamedNode)
                                               and _GENID.fullmatch(term.value)):
            extract.unknown_twins.add((item, _term(term)))
            extract.covered.add(item)
            return True
        return False

    def times(node: ox.NamedNode | ox.BlankNode, simple: ox.NamedNode,
              full: ox.NamedNode) -> list[TimeValue | None]:
        try:
            return _statement_times(store, node, simple, full)
        except ImpossibleTime as exc:
            raise ExtractError(path, _line_of(text, exc.args[1]), f"{_term(simple).rsplit('/', 1)[-1]} "
                               f"of <{_term(node)}>: {exc.args[0]}") from None

    for quad in store.quads_for_pattern(None, P190, None):
        item, node = entity(quad.subject), quad.object
        if item is None or not isinstance(node, ox.NamedNode | ox.BlankNode):
            continue
        extract.qualifiers = True
        if any(_term(q.object) == DEPRECATED for q in store.quads_for_pattern(node, RANK, None)):
            continue
        for value in store.quads_for_pattern(node, PS_P190, None):
            if unknown(item, value.object):
                continue
            twin = entity(value.object)
            if twin is None:
                continue
            starts = times(node, PQ_P580, PQV_P580)
            ends = times(node, PQ_P582, PQV_P582)
            extract.add(item, twin, [s for s in starts if s is not None], ends, qualified=True)
            statement_edges.add((item, twin))
    for quad in store.quads_for_pattern(None, P190_DIRECT, None):
        item = entity(quad.subject)
        if item is None or unknown(item, quad.object):
            continue
        twin = entity(quad.object)
        if twin and (item, twin) not in statement_edges:
            extract.add(item, twin)
    for predicate in LABELS:
        for quad in store.quads_for_pattern(None, predicate, None):
            qid = _qid(_term(quad.subject))
            if qid and isinstance(quad.object, ox.Literal):
                language = quad.object.language or ""
                if language in _LABEL_LANGUAGES or qid not in extract.labels:
                    if language == "en" or qid not in extract.labels:
                        extract.labels[qid] = quad.object.value
    dates = []
    for predicate in DATE_MODIFIED:
        for quad in store.quads_for_pattern(None, predicate, None):
            if not isinstance(quad.object, ox.Literal):
                continue
            stamp = quad.object.value
            try:
                modified = TimeValue.parse(stamp, 11)
                if modified is not None and not 1 <= modified.year <= 9999:
                    raise ImpossibleTime(f"{stamp!r}: a year the extract's date cannot be")
            except ImpossibleTime as exc:
                raise ExtractError(path, _line_of(text, stamp), f"schema:dateModified of "
                                   f"<{_term(quad.subject)}>: {exc}") from None
            if modified is not None:
                dates.append(modified.earliest())
    if dates:
        extract.as_of = max(dates)
        extract.as_of_basis = "the latest schema:dateModified in the file"
    return extract


def _term(term: object) -> str:
    """The IRI, blank node id or lexical value of an RDF term ('' for a quoted triple)."""
    return str(getattr(term, "value", ""))


def _statement_times(store: ox.Store, node: ox.NamedNode | ox.BlankNode, simple: ox.NamedNode,
                     full: ox.NamedNode) -> list[TimeValue | None]:
    """A statement's values of a time qualifier, at the precision of its value node (None: unknown)."""
    precisions: dict[str, int] = {}
    for value in store.quads_for_pattern(node, full, None):
        holder = value.object
        if not isinstance(holder, ox.NamedNode | ox.BlankNode):
            continue
        for stamp in store.quads_for_pattern(holder, ox.NamedNode(WIKIBASE + "timeValue"), None):
            for p in store.quads_for_pattern(holder, PRECISION, None):
                try:
                    precisions[_term(stamp.object)] = int(_term(p.object))
                except ValueError:
                    pass
    times: list[TimeValue | None] = []
    for quad in store.quads_for_pattern(node, simple, None):
        if isinstance(quad.object, ox.Literal):
            try:
                time = TimeValue.parse(quad.object.value, precisions.get(quad.object.value))
            except ImpossibleTime as exc:
                raise ImpossibleTime(str(exc), quad.object.value) from None
            if time is None:
                raise ImpossibleTime(f"{quad.object.value[:60]!r} is not a date or dateTime",
                                     quad.object.value)
            times.append(time)
        else:
            times.append(None)  # somevalue: an IRI (skolem) or a blank node
    return times
