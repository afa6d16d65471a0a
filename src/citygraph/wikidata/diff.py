"""``citygraph wikidata diff``: citygraph's twinnings next to a Wikidata extract, pair by pair.

Scope: the unordered pairs of items that are P190 on either side and have an entity citygraph holds
(an entity with a verified QID, ``cg:wikidataEntity``). A pair whose two items citygraph holds is
compared; a pair of the extract whose other item citygraph does not hold is *outside*: citygraph can
neither confirm nor refute it (it is counted, and listed with ``--all``, never a difference). So is
a pair of two held items for which citygraph has neither a partnership nor a P190 claim, unless one
of them is a city whose twinnings citygraph covers (the data states how many it has,
``cg:numberOfTwinnings``): citygraph says nothing about the twinnings of a city it holds only as
another's partner.

Every finding has a verdict: ``agree``, ``expected`` (a difference with a reason that makes it no
conflict: a planned twinning is not on Wikidata; a twinning that started after the extract's date
is not in it; a start citygraph's sources do not give), ``unexpected`` (anything else), or
``outside``. See ``docs/wikidata.md`` for the categories.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .extract import Extract, TimeValue
from .side import STARTED, Citygraph, Partnership, Statement, only_from_wikidata, wikidata_copies

AGREE, EXPECTED, UNEXPECTED, OUTSIDE = "agree", "expected", "unexpected", "outside"
VERDICTS = (UNEXPECTED, EXPECTED, AGREE, OUTSIDE)

#: Categories of findings, in the order a pair's findings are listed.
CATEGORIES = {
    "agree": "a started twinning in citygraph, P190 in both directions on Wikidata",
    "missing-on-wikidata": "a started twinning in citygraph, P190 in neither direction on Wikidata",
    "one-directional": "a started twinning in citygraph, P190 in one direction only on Wikidata",
    "not-in-citygraph": "P190 on Wikidata, no started twinning between the two in citygraph",
    "planned": "a planned twinning in citygraph, not on Wikidata",
    "start-differs": "the start (P580) on Wikidata is not the one citygraph prefers",
    "start-missing-on-wikidata": "citygraph has a start, the extract's statement has no P580",
    "start-missing-in-citygraph": "the extract has a start, citygraph's sources give none",
    "end-differs": "an end (P582) on one side only, or different ends",
    "outside": "P190 on Wikidata with an item citygraph does not hold, or between two items whose "
               "twinnings citygraph does not cover (no partnership, no claim, no cg:numberOfTwinnings)",
}


CIRCULAR = "circular: citygraph has this pair only from Wikidata"


@dataclass
class Finding:
    """One thing said about a pair: a category, a verdict and why."""

    category: str
    verdict: str
    reason: str


@dataclass
class Pair:
    """A pair of items (``a`` the one with more citygraph partnerships) and its findings."""

    a: str
    b: str
    a_label: str
    b_label: str
    wikidata: list[str]
    wikidata_starts: list[TimeValue]
    wikidata_ends: list[TimeValue | None]
    partnerships: list[Partnership]
    statements: list[Statement]
    findings: list[Finding] = field(default_factory=list)
    #: Whether citygraph has the pair only from Wikidata (every reference of its statements cites a
    #: copy of Wikidata): an agreement then confirms nothing.
    circular: bool = False
    #: The starts of each P190 statement of the extract, by direction (``Qa>Qb``).
    direction_starts: dict[str, list[TimeValue]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """The pair's worst verdict (unexpected before expected before agree before outside)."""
        return min((f.verdict for f in self.findings), key=VERDICTS.index, default=AGREE)

    def add(self, category: str, verdict: str, reason: str) -> None:
        """Add a finding."""
        self.findings.append(Finding(category, verdict, reason))

    def name(self, qid: str) -> str:
        """An item as ``label (QID)`` (the QID alone when no label is known)."""
        label = self.a_label if qid == self.a else self.b_label
        return f"{label} ({qid})" if label else qid

    @property
    def directions_text(self) -> str:
        """The P190 directions the extract states, in words."""
        if len(self.wikidata) == 2:
            return "both directions"
        if not self.wikidata:
            return "neither direction"
        s, o = self.wikidata[0].split(">")
        return f"only {self.name(s)} → {self.name(o)}"

    @property
    def directions_code(self) -> str:
        """The P190 directions the extract states: ``both``, ``none``, or ``Qa>Qb``."""
        return {2: "both", 0: "none"}.get(len(self.wikidata), self.wikidata[0] if self.wikidata else "")


@dataclass
class Report:
    """The result of a comparison: the pairs with their findings, and what was compared."""

    extract: Extract
    citygraph: Citygraph
    pairs: list[Pair]
    as_of: date | None
    as_of_basis: str
    include_outside: bool
    strict: bool

    def count(self, verdict: str) -> int:
        """How many pairs have ``verdict`` as their worst one."""
        return sum(1 for p in self.pairs if p.verdict == verdict)

    @property
    def exit_code(self) -> int:
        """0 when no pair has an unexpected difference (with ``strict``: no difference at all), else 1."""
        failing = (UNEXPECTED, EXPECTED) if self.strict else (UNEXPECTED,)
        return 1 if any(p.verdict in failing for p in self.pairs) else 0

    def listed(self) -> list[Pair]:
        """The pairs to print: all but the outside ones, unless asked for."""
        return [p for p in self.pairs if self.include_outside or p.verdict != OUTSIDE]

    @property
    def scope(self) -> str:
        """The scope of the comparison, in words."""
        return ("pairs that are P190 on either side and have an entity citygraph holds "
                f"({len(self.citygraph.entities)} with a verified QID); pairs with an item citygraph "
                "does not hold are outside (citygraph can neither confirm nor refute them), and so are "
                "pairs with neither a partnership nor a claim in citygraph unless it covers the twinnings "
                f"of one of the two ({len(self.citygraph.covered)} cities with cg:numberOfTwinnings)")


def _time(value: TimeValue | None) -> str:
    return "unknown" if value is None else str(value)


def _starts_text(statements: Iterable[Statement]) -> str:
    """The starts citygraph claims for a pair, with the sources that say them."""
    seen: dict[str, set[str]] = {}
    ranks: dict[str, str] = {}
    for s in statements:
        if s.start is None:
            continue
        key = str(s.start)
        seen.setdefault(key, set()).update(r.source_label for r in s.references)
        if s.rank != "normal":
            ranks[key] = s.rank
    parts = []
    for key in sorted(seen, key=lambda k: (ranks.get(k) != "preferred", k)):
        sources = ", ".join(sorted(seen[key]))
        rank = f", {ranks[key]} rank" if key in ranks else ""
        parts.append(f"{key} ({sources}{rank})" if sources or rank else key)
    return " or ".join(parts)


def preferred_starts(statements: Iterable[Statement]) -> list[TimeValue]:
    """The starts to go by: those of preferred-rank statements, else all normal-rank ones."""
    statements = [s for s in statements if s.start is not None and s.rank != "deprecated"]
    preferred = [s for s in statements if s.rank == "preferred"]
    chosen = preferred or [s for s in statements if s.rank == "normal"]
    return sorted({s.start for s in chosen if s.start is not None})


def _matches(a: TimeValue, b: TimeValue) -> bool:
    """Whether two time values agree at the coarser of their precisions."""
    precision = min(a.effective_precision, b.effective_precision)
    return a.key(precision) == b.key(precision)


def _orient(a: str, b: str, weight: dict[str, int]) -> tuple[str, str]:
    """The pair in reading order: the item with more citygraph partnerships first, then by QID."""
    return tuple(sorted((a, b), key=lambda q: (-weight.get(q, 0), int(q[1:]))))  # type: ignore[return-value]


def compare(citygraph: Citygraph, extract: Extract, *, as_of: date | None = None, as_of_basis: str = "",
            include_outside: bool = False, strict: bool = False) -> Report:
    """Compare citygraph's twinnings with an extract, pair by pair (see the module's docstring)."""
    held = citygraph.qids
    weight: dict[str, int] = {}
    for p in citygraph.partnerships:
        for q in p.qids:
            weight[q] = weight.get(q, 0) + 1
    statements: dict[frozenset[str], list[Statement]] = {}
    for s in citygraph.statements:
        statements.setdefault(frozenset((s.item, s.twin)), []).append(s)
    partnerships: dict[frozenset[str], list[Partnership]] = {}
    for p in citygraph.partnerships:
        partnerships.setdefault(p.qids, []).append(p)
    copies = wikidata_copies(citygraph.base_iri)
    keys = set(statements) | extract.touching(held)
    keys |= {k for k, ps in partnerships.items() if any(p.kind == "twinning" and p.status == "planned"
                                                          for p in ps)}
    pairs = []
    for key in keys:
        first, second = sorted(key)
        a, b = _orient(first, second, weight)
        directions = [f"{s}>{o}" for s, o in ((a, b), (b, a)) if (s, o) in extract.edges]
        pair = Pair(a, b, citygraph.label(a) or extract.labels.get(a, ""),
                    citygraph.label(b) or extract.labels.get(b, ""), directions,
                    sorted({t for e in ((a, b), (b, a)) for t in extract.starts.get(e, ())}),
                    sorted({t for e in ((a, b), (b, a)) for t in extract.ends.get(e, ())},
                           key=lambda t: (t is None, t or TimeValue(0, 0, 0, None))),
                    sorted(partnerships.get(key, []), key=lambda p: p.iri),
                    statements.get(key, []))
        pair.circular = only_from_wikidata(pair.statements, copies)
        pair.direction_starts = {f"{s}>{o}": sorted(extract.starts.get((s, o), ()))
                                 for s, o in ((a, b), (b, a)) if (s, o) in extract.edges}
        _judge(pair, citygraph, extract, held, as_of)
        pairs.append(pair)
    pairs.sort(key=lambda p: (VERDICTS.index(p.verdict), -weight.get(p.a, 0), p.a_label or p.a,
                              p.b_label or p.b, p.a, p.b))
    return Report(extract, citygraph, pairs, as_of, as_of_basis, include_outside, strict)


def _twinning_text(p: Partnership) -> str:
    return f"{p.kind.replace('-', ' ')}, {p.status}"


def _judge(pair: Pair, citygraph: Citygraph, extract: Extract, held: set[str], as_of: date | None) -> None:
    """Add the pair's findings."""
    if pair.a not in held or pair.b not in held:
        other = pair.b if pair.a in held else pair.a
        pair.add("outside", OUTSIDE, f"Wikidata: {pair.directions_text}; citygraph holds no entity for "
                 f"{pair.name(other)}, so it can neither confirm nor refute this pair")
        return
    started = [p for p in pair.partnerships if p.kind == "twinning" and p.status in STARTED]
    if pair.statements:
        _judge_p190(pair, started, extract, as_of)
        return
    if pair.wikidata:
        _judge_not_in_citygraph(pair, citygraph)
        return
    planned = [p for p in pair.partnerships if p.kind == "twinning" and p.status == "planned"]
    if planned:
        pair.add("planned", EXPECTED, "a planned twinning in citygraph: a planned twinning is not "
                 "expected on Wikidata")


def _judge_p190(pair: Pair, started: Sequence[Partnership], extract: Extract, as_of: date | None) -> None:
    """Findings for a pair citygraph states as P190 (a started twinning).

    A direction s → o the extract lacks counts as missing only when the extract has statements of s
    (it shows s's P190 statements); otherwise the extract does not cover it (a WDQS query of one
    city's twins, say) and it is not judged.
    """
    status = sorted({p.status for p in started}) or ["active"]
    starts = sorted({s.start for s in pair.statements if s.start is not None})
    since = _starts_text(pair.statements)
    what = f"twinning, {'/'.join(status)}" + (f", since {since}" if since else ", start unknown")
    subjects = extract.subjects
    present = [(s, o) for s, o in ((pair.a, pair.b), (pair.b, pair.a)) if (s, o) in extract.edges]
    absent = [(s, o) for s, o in ((pair.a, pair.b), (pair.b, pair.a))
              if (s, o) not in extract.edges and s in subjects]
    uncovered = [s for s, o in ((pair.a, pair.b), (pair.b, pair.a))
                 if (s, o) not in extract.edges and s not in subjects]
    not_covered = "".join(f"; the extract has no statements of {pair.name(s)}" for s in uncovered)
    if not present and not absent:
        pair.add("outside", OUTSIDE, f"citygraph: {what}; the extract has no P190 statements of either "
                 "item, so it cannot tell")
        return
    if not present:
        if as_of is not None and starts and min(s.earliest() for s in starts) > as_of:
            pair.add("missing-on-wikidata", EXPECTED,
                     f"citygraph: {what}; it started after the extract's date ({as_of.isoformat()})")
        elif as_of is None:
            pair.add("missing-on-wikidata", UNEXPECTED, f"citygraph: {what}; the extract's date is unknown "
                     "(--as-of DATE labels twinnings that started after it as expected)")
        elif not starts:
            pair.add("missing-on-wikidata", UNEXPECTED,
                     f"citygraph: {what}; no start to tell it from the extract's date")
        elif all(s.latest() <= as_of for s in starts):
            pair.add("missing-on-wikidata", UNEXPECTED, f"citygraph: {what}; it started on or before "
                     f"the extract's date ({as_of.isoformat()})")
        else:
            pair.add("missing-on-wikidata", UNEXPECTED, f"citygraph: {what}; it may have started on or "
                     f"before the extract's date ({as_of.isoformat()}, within "
                     f"{', '.join(str(s) for s in starts if s.latest() > as_of)})")
        return
    if absent:
        s, o = present[0]
        pair.add("one-directional", UNEXPECTED, f"Wikidata: only {pair.name(s)} → {pair.name(o)}; "
                 f"{pair.name(o)} → {pair.name(s)} is missing; citygraph: {what}")
    else:
        note = ""
        if "paused" in status and not pair.wikidata_ends:
            note = " — paused in citygraph, and a pause is not an end: P190 without P582 agrees"
        shown = "both directions" if len(present) == 2 else \
            f"{pair.name(present[0][0])} → {pair.name(present[0][1])}{not_covered}"
        if pair.circular:
            note += f" — {CIRCULAR}, so this agreement confirms nothing"
        pair.add("agree", AGREE, f"Wikidata: {shown}; citygraph: {what}{note}")
    if extract.qualifiers:
        _judge_start(pair, extract)
        _judge_end(pair, status)


def _judge_start(pair: Pair, extract: Extract) -> None:
    """Findings on the start, direction by direction (each P190 statement has its own P580), for the
    directions whose statements the extract gives with their qualifiers."""
    for s, o in ((pair.a, pair.b), (pair.b, pair.a)):
        if (s, o) not in extract.qualified:
            continue
        arrow = f"{pair.name(s)} → {pair.name(o)}"
        ours = [st for st in pair.statements if (st.item, st.twin) == (s, o)] or pair.statements
        since = _starts_text(ours)
        preferred = preferred_starts(ours)
        claimed = sorted({st.start for st in ours if st.start is not None})
        wikidata = sorted(extract.starts.get((s, o), ()))
        if not wikidata:
            if claimed:
                other = sorted(extract.starts.get((o, s), ()))
                also = (f" (the statement {pair.name(o)} → {pair.name(s)} has "
                        f"{', '.join(str(t) for t in other)})") if other else ""
                pair.add("start-missing-on-wikidata", UNEXPECTED, f"{arrow}: the extract's statement has "
                         f"no start (P580){also}; citygraph: {since}")
            continue
        if not claimed:
            pair.add("start-missing-in-citygraph", EXPECTED, f"{arrow}: Wikidata: start "
                     f"{', '.join(str(t) for t in wikidata)}; citygraph's sources give no start")
            continue
        if all(any(_matches(w, c) for c in preferred) for w in wikidata):
            continue
        values = []
        for w in wikidata:
            if any(_matches(w, c) for c in preferred):
                values.append(f"{w} (the start citygraph goes by)")
            elif any(_matches(w, c) for c in claimed):
                sources = sorted({r.source_label for st in ours if st.start is not None
                                  and _matches(w, st.start) for r in st.references})
                values.append(f"{w} (the value of a source citygraph does not prefer"
                              + (f": {', '.join(sources)})" if sources else ")"))
            else:
                values.append(f"{w} (no source of citygraph gives it)")
        pair.add("start-differs", UNEXPECTED, f"{arrow}: Wikidata: start {'; '.join(values)}; "
                 f"citygraph: {since}")


def _judge_end(pair: Pair, status: Sequence[str]) -> None:
    """A finding on the end (P582) when the extract can carry it."""
    ends = {s.end for s in pair.statements if s.end is not None}
    wikidata = pair.wikidata_ends
    shown = ", ".join(_time(t) for t in wikidata)
    if "ended" in status and not wikidata:
        ours = ", ".join(sorted(_time(e) if isinstance(e, TimeValue) else "unknown" for e in ends))
        pair.add("end-differs", UNEXPECTED, f"citygraph: ended (end {ours or 'unknown'}); the extract's "
                 "statements have no end (P582)")
    elif wikidata and "ended" not in status:
        why = " — a pause is not an end" if "paused" in status else ""
        pair.add("end-differs", UNEXPECTED, f"Wikidata: ended ({shown}); citygraph: "
                 f"{'/'.join(status)}{why}")
    elif wikidata:
        known = [e for e in ends if isinstance(e, TimeValue)]
        dated = [w for w in wikidata if w is not None]
        if known and dated and not all(any(_matches(w, e) for e in known) for w in dated):
            pair.add("end-differs", UNEXPECTED, f"Wikidata: end {shown}; citygraph: end "
                     f"{', '.join(str(e) for e in sorted(known))}")


def _judge_not_in_citygraph(pair: Pair, citygraph: Citygraph) -> None:
    """The finding for a pair Wikidata states as P190 and citygraph does not."""
    key = {pair.a, pair.b}
    claims = [c for c in citygraph.claims if {c.subject, c.object} == key]
    if pair.partnerships:
        ours = "; ".join(f"{p.label} ({_twinning_text(p)})" for p in pair.partnerships)
        kinds = {p.kind for p in pair.partnerships}
        why = ("not started" if kinds == {"twinning"} else "not a town twinning, which P190 is for")
        reason = f"citygraph: {ours} — {why}"
    elif claims:
        sources = ", ".join(sorted({c.source_label for c in claims if c.source_label})) or "a source"
        reason = f"citygraph keeps it only as a claim (source: {sources}), not as a twinning"
    else:
        covering = [q for q in (pair.a, pair.b) if q in citygraph.covered]
        if not covering:
            pair.add("outside", OUTSIDE, f"Wikidata: {pair.directions_text}; citygraph records no "
                     "partnership between them and does not cover the twinnings of either (it states "
                     "no number of twinnings, cg:numberOfTwinnings, for them), so it can neither confirm "
                     "nor refute this pair")
            return
        names = " and ".join(pair.name(q) for q in covering)
        reason = (f"citygraph records no partnership between them, though it covers the twinnings of "
                  f"{names} (it states how many there are)")
    pair.add("not-in-citygraph", UNEXPECTED, f"Wikidata: {pair.directions_text}; {reason}")


def _header(report: Report) -> list[str]:
    """The lines that say what was compared with what."""
    e = report.extract
    qualifiers = "with qualifiers (P580/P582)" if e.qualifiers else "no qualifiers"
    as_of = (f"as of {report.as_of.isoformat()} ({report.as_of_basis})" if report.as_of
             else "date unknown (--as-of DATE)")
    lines = [f"citygraph build {report.citygraph.version} compared with {e.path}",
             f"  extract: {e.format}, {len(e.edges)} distinct P190 statements, {qualifiers}; {as_of}",
             f"  scope: {report.scope}"]
    if e.unknown_twins:
        items = ", ".join(sorted({q for q, _ in e.unknown_twins}, key=lambda q: int(q[1:])))
        lines.append(f"  skipped: {len(e.unknown_twins)} P190 statement(s) whose twin is \"unknown value\" "
                     f"(somevalue; a .well-known/genid IRI or blank node), of {items}: no pair to compare")
    if report.citygraph.unverified:
        names = ", ".join(label or iri for iri, label in report.citygraph.unverified)
        lines.append(f"  not comparable (a partner without a verified QID): {names}")
    return lines


def _summary(report: Report) -> str:
    """The closing line: counts per verdict and the exit code."""
    circular = sum(1 for p in report.pairs if p.verdict == AGREE and p.circular)
    return (f"{len([p for p in report.pairs if p.verdict != OUTSIDE])} pairs compared: "
            f"{report.count(AGREE)} agree{f' ({circular} circular)' if circular else ''}, "
            f"{report.count(UNEXPECTED)} with unexpected differences, "
            f"{report.count(EXPECTED)} with expected differences only; {report.count(OUTSIDE)} outside"
            f"{'' if report.include_outside else ' (--all lists them)'} → exit {report.exit_code}")


def render_text(report: Report) -> str:
    """The report for a person: what was compared, then the pairs by verdict, labels next to QIDs."""
    lines = _header(report)
    for verdict in VERDICTS:
        pairs = [p for p in report.listed() if p.verdict == verdict]
        if not pairs:
            continue
        title = {UNEXPECTED: "unexpected differences", EXPECTED: "expected differences",
                 AGREE: "agreements", OUTSIDE: "outside the comparison"}[verdict]
        lines += ["", f"{title} ({len(pairs)} pair{'s' if len(pairs) != 1 else ''})"]
        for pair in pairs:
            lines.append(f"  {pair.name(pair.a)} – {pair.name(pair.b)}"
                         + (f" [{CIRCULAR}]" if pair.circular else ""))
            for f in pair.findings:
                mark = f" [{f.verdict}]" if f.verdict != verdict else ""
                lines.append(f"    {f.category}{mark}: {f.reason}")
    return "\n".join(lines + ["", _summary(report)]) + "\n"


CSV_COLUMNS = ("verdict", "category", "item", "item_label", "twin", "twin_label", "wikidata_directions",
               "wikidata_start", "wikidata_end", "citygraph_partnership", "citygraph_kind",
               "citygraph_status", "citygraph_start", "reason", "circular")


def render_csv(report: Report) -> str:
    """The report for spreadsheets: a header, then one row per finding."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for pair in report.listed():
        for f in pair.findings:
            writer.writerow((
                f.verdict, f.category, pair.a, pair.a_label, pair.b, pair.b_label, pair.directions_code,
                "; ".join(f"{d} {' '.join(str(t) for t in ts)}" for d, ts in pair.direction_starts.items()
                          if ts),
                " ".join(_time(t) for t in pair.wikidata_ends),
                " ".join(p.iri for p in pair.partnerships), " ".join(p.kind for p in pair.partnerships),
                " ".join(p.status for p in pair.partnerships), _starts_text(pair.statements), f.reason,
                "true" if pair.circular else "false"))
    return out.getvalue()


def _time_json(value: TimeValue | None) -> dict[str, Any] | None:
    return None if value is None else {"value": str(value), "precision": value.precision}


def to_json(report: Report) -> dict[str, Any]:
    """The report for scripts, as a JSON-ready dictionary."""
    e = report.extract
    return {
        "extract": {"path": str(e.path), "format": e.format, "statements": len(e.edges),
                    "qualifiers": e.qualifiers, "sha256": e.sha256,
                    "unknown_twins_skipped": len(e.unknown_twins),
                    "as_of": report.as_of.isoformat() if report.as_of else None,
                    "as_of_basis": report.as_of_basis or None},
        "citygraph": {"build": report.citygraph.version, "entities": len(report.citygraph.entities),
                      "not_comparable": [iri for iri, _ in report.citygraph.unverified]},
        "scope": report.scope,
        "summary": {"pairs": len([p for p in report.pairs if p.verdict != OUTSIDE]),
                    AGREE: report.count(AGREE),
                    "agree_circular": sum(1 for p in report.pairs if p.verdict == AGREE and p.circular),
                    UNEXPECTED: report.count(UNEXPECTED),
                    EXPECTED: report.count(EXPECTED), OUTSIDE: report.count(OUTSIDE),
                    "exit_code": report.exit_code},
        "pairs": [{
            "item": {"qid": p.a, "label": p.a_label or None},
            "twin": {"qid": p.b, "label": p.b_label or None},
            "verdict": p.verdict,
            "circular": p.circular,
            "wikidata": {"directions": [d.split(">") for d in p.wikidata],
                         "starts": [_time_json(t) for t in p.wikidata_starts],
                         "starts_by_direction": {d: [_time_json(t) for t in ts]
                                                 for d, ts in p.direction_starts.items()},
                         "ends": [_time_json(t) for t in p.wikidata_ends]},
            "citygraph": {
                "partnerships": [{"iri": x.iri, "label": x.label, "kind": x.kind, "status": x.status}
                                 for x in p.partnerships],
                "statements": [{"iri": s.iri, "item": s.item, "twin": s.twin, "rank": s.rank,
                                "start": _time_json(s.start),
                                "sources": [r.source for r in s.references]}
                               for s in sorted(p.statements, key=lambda s: s.iri)]},
            "findings": [{"category": f.category, "verdict": f.verdict, "reason": f.reason}
                         for f in p.findings],
        } for p in report.listed()],
    }


def render_json(report: Report) -> str:
    """The report for scripts: JSON (UTF-8, indented)."""
    return json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"
