"""``citygraph wikidata quickstatements``: QuickStatements v1 commands adding citygraph's P190 statements.

One command a line, columns separated by TABs (QuickStatements v1, as its parser
``importDataFromV1`` reads it): ``ITEM<TAB>P190<TAB>TWIN``, then qualifier pairs (``P580`` start,
``P582`` end) and source pairs (``S854`` reference URL, ``S248`` stated in, ``S1476`` title,
``S577`` publication date, ``S813`` retrieved — each only where the data has it; ``!S…`` opens the
next reference of the same statement). Times are ``+YYYY-MM-DDT00:00:00Z/P`` with the digits past the
precision written as ``00`` (``/9`` year, ``/10`` month, ``/11`` day).

Only the view's P190 statements are written: started town twinnings (active, paused, ended — an
ended one with its ``P582``) between entities with verified QIDs, both directions. Never a planned
twinning, a friendship or project partnership, nor an entity without a verified QID. With an extract
to compare with (``--against``), only the directions it shows Wikidata lacks: a direction whose item
has no statements in the extract is not judged (as by ``diff``), and is listed in the notes. Where sources
disagree on the start, the preferred-rank statement is written; without one, every normal-rank
start is written, each as a statement of its own (``!P190``) with its own references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .diff import preferred_starts
from .extract import Extract, TimeValue
from .side import STARTED, Citygraph, Reference, Statement, is_wikidata, wikidata_copies

_UNSAFE = re.compile(r"[\t\r\n\"]+|\s{2,}")


def qs_time(value: TimeValue) -> str:
    """A time value in QuickStatements v1 syntax: ``+1960-00-00T00:00:00Z/9``."""
    precision = value.effective_precision
    month = value.month if precision >= 10 else 0
    day = value.day if precision >= 11 else 0
    return f"+{value.year:04d}-{month:02d}-{day:02d}T00:00:00Z/{precision}"


def qs_string(text: str) -> str:
    """A string value in double quotes (TABs, line breaks and quotes would break the line: spaces)."""
    return '"' + _UNSAFE.sub(" ", text).strip() + '"'


def _reference_pairs(reference: Reference) -> list[tuple[str, str]]:
    """The source pairs (``S854`` …) of one reference, only what the data has."""
    pairs: list[tuple[str, str]] = []
    if reference.url:
        pairs.append(("S854", qs_string(reference.url)))
    if reference.stated_in:
        pairs.append(("S248", reference.stated_in))
    if reference.title and reference.title_language:
        pairs.append(("S1476", f"{reference.title_language}:{qs_string(reference.title)}"))
    if reference.published:
        pairs.append(("S577", qs_time(reference.published)))
    if reference.retrieved:
        pairs.append(("S813", qs_time(reference.retrieved)))
    return pairs


@dataclass
class Batch:
    """The commands, and what the one who runs them should know (written to stderr)."""

    lines: list[str]
    notes: list[str]
    statements: int
    skipped: int
    #: Directions left out because the ``--against`` extract does not cover them (not judged).
    unjudged: int = 0

    def text(self) -> str:
        """The commands, one a line."""
        return "".join(line + "\n" for line in self.lines)


def _command(statement: Statement, new: bool, copies: set[str]) -> tuple[str, list[Reference]]:
    """One v1 command for a view statement (``!P190`` for a statement of its own); references that
    cite Wikidata itself are left out (Wikidata is no source for Wikidata)."""
    cells = [statement.item, "!P190" if new else "P190", statement.twin]
    if statement.start is not None:
        cells += ["P580", qs_time(statement.start)]
    if isinstance(statement.end, TimeValue):
        cells += ["P582", qs_time(statement.end)]
    elif statement.end == "unknown":
        cells += ["P582", "somevalue"]
    written: list[Reference] = []
    for reference in statement.references:
        if is_wikidata(reference, copies):
            continue
        pairs = _reference_pairs(reference)
        if not pairs:
            continue
        if written:
            pairs[0] = ("!" + pairs[0][0], pairs[0][1])
        for key, value in pairs:
            cells += [key, value]
        written.append(reference)
    return "\t".join(cells), written


def quickstatements(citygraph: Citygraph, against: Extract | None = None) -> Batch:
    """The QuickStatements v1 batch adding citygraph's P190 statements (with ``against``: only the
    directions the extract shows Wikidata lacks, by the rule of ``diff``: see :meth:`Extract.lacks`)."""
    started = {p.iri for p in citygraph.partnerships if p.kind == "twinning" and p.status in STARTED}
    held = citygraph.qids
    groups: dict[tuple[str, str], list[Statement]] = {}
    for s in citygraph.statements:
        if s.partnership in started and s.item in held and s.twin in held and s.rank != "deprecated":
            groups.setdefault((s.item, s.twin), []).append(s)
    lines: list[str] = []
    notes: list[str] = []
    unreferenced: list[str] = []
    retrieved = 0
    references = 0
    skipped = 0
    count = 0
    copies = wikidata_copies(citygraph.base_iri)
    circular: list[str] = []
    unjudged: list[str] = []
    for (item, twin), statements in sorted(groups.items(), key=lambda kv: _order(kv[0])):
        if against is not None and (item, twin) in against.edges:
            skipped += 1
            continue
        chosen = _choose(statements)
        if all(r.source in copies or is_wikidata(r, copies) for s in chosen for r in s.references) \
                and any(s.references for s in chosen):
            circular.append(f"{item} P190 {twin}")
            continue
        if against is not None and not against.lacks(item, twin):
            unjudged.append(f"{item} P190 {twin}")  # the extract has no statements of the item
            continue
        for statement in chosen:
            line, written = _command(statement, new=len(chosen) > 1, copies=copies)
            lines.append(line)
            count += 1
            references += len(written)
            retrieved += sum(1 for r in written if r.retrieved)
            if not written:
                unreferenced.append(f"{item} P190 {twin}")
        if len({s.start for s in statements if s.start is not None}) > 1:
            ranks = {s.rank for s in statements}
            how = ("the preferred-rank start" if "preferred" in ranks else
                   "every normal-rank start, each as a statement of its own (!P190): no start is preferred")
            notes.append(f"{item} P190 {twin}: the sources disagree on the start; written: {how}")
    if references and retrieved < references:
        notes.append(f"{references - retrieved} of {references} references have no retrieval date in the "
                     "data (pav:retrievedOn), so they carry no S813: none is invented")
    if unreferenced:
        notes.append("no reference the data can give (no URL, title or stated-in) for: "
                     + ", ".join(unreferenced) + " — add one before running the batch")
    if circular:
        notes.append("left out, citygraph has them from Wikidata itself (a copy of Wikidata is no source "
                     "for Wikidata): " + ", ".join(circular))
    if against is not None:
        notes.append(f"{skipped} statement(s) left out: the extract already has them")
    if unjudged:
        notes.append(f"{len(unjudged)} statement(s) not written: the extract has no P190 statements of "
                     "their item, so it cannot tell whether Wikidata lacks them (as diff, it does not "
                     "judge them; check them on Wikidata, or run without --against to write them): "
                     + ", ".join(unjudged))
    notes.append("QuickStatements v1 cannot set a rank: review preferred starts on Wikidata")
    return Batch(lines, notes, count, skipped + len(circular) + len(unjudged), len(unjudged))


def _choose(statements: list[Statement]) -> list[Statement]:
    """The statements of one direction to write: the preferred start's, else every normal one's."""
    dated = [s for s in statements if s.start is not None]
    if not dated:  # the view states one statement per direction for a twinning without a start
        return sorted(statements, key=lambda s: s.iri)[:1]
    starts = set(preferred_starts(dated))
    preferred = [s for s in dated if s.rank == "preferred"]
    pool = preferred or [s for s in dated if s.rank == "normal"]
    chosen: dict[TimeValue, Statement] = {}
    for s in sorted(pool, key=lambda s: s.iri):
        if s.start in starts and s.start is not None:
            chosen.setdefault(s.start, s)
    return [chosen[t] for t in sorted(chosen)]


def _order(key: tuple[str, str]) -> tuple[int, int, int]:
    """Reading order: by pair (QIDs in numeric order), the two directions next to each other."""
    a, b = key
    low, high = sorted((int(a[1:]), int(b[1:])))
    return (low, high, int(a[1:]))
