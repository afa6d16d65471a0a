"""``citygraph wikidata quickstatements``: every line parsed against the QuickStatements v1 grammar;
what is written (started town twinnings with verified QIDs, both directions, P580 at its
precision, references) and what never is (planned twinnings, friendships, project partnerships,
entities without a verified QID)."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from wikidata_fixtures import CRAWL, extended_project

from citygraph.cli import main
from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore

DORTMUND, KUMASI, ZHYTOMYR, BUFFALO, ROSTOV = "Q1295", "Q182059", "Q156713", "Q40435", "Q908"
AMIENS, LEEDS = "Q41604", "Q39121"
ACCRA, BONN, CAPE_COAST, MOENCHENGLADBACH = "Q3761", "Q586", "Q221283", "Q2758"

# ---------------------------------------------------------------- the QuickStatements v1 grammar
# As QuickStatements' parser (importDataFromV1 / parseValueV1) reads a statement command: columns
# separated by TABs; ENTITY PROPERTY VALUE, then (KEY VALUE) pairs, KEY a qualifier Pnnn or a source
# Snnn / !Snnn (a new reference group); PROPERTY Pnnn or !Pnnn (a new statement). Values: an item,
# a "string", a lang:"monolingual text", a time +YYYY-MM-DDT00:00:00Z[/precision], somevalue,
# novalue, a quantity, or a coordinate @lat/long.

ENTITY = re.compile(r"(?:Q|P|L|M)[1-9]\d*|LAST")
PROPERTY = re.compile(r"!?P[1-9]\d*")
KEY = re.compile(r"(?P<kind>P|S|!S)(?P<number>[1-9]\d*)")
ITEM = re.compile(r"Q[1-9]\d*")
STRING = re.compile(r'"(?P<text>[^"\t\n][^\t\n]*|)"')
MONOLINGUAL = re.compile(r'(?P<lang>[a-z]{2,3}(?:-[a-z0-9]+)*):"(?P<text>[^\t\n]*)"')
TIME = re.compile(r"(?P<sign>[+-])(?P<year>\d{1,16})-(?P<month>\d\d)-(?P<day>\d\d)T00:00:00Z"
                  r"(?:/(?P<precision>\d{1,2}))?(?P<julian>/J)?")
QUANTITY = re.compile(r"[+-]?\d+(?:\.\d+)?(?:~[+-]?\d+(?:\.\d+)?)?(?:U[1-9]\d*)?")
COORDINATE = re.compile(r"@[+-]?\d+(?:\.\d+)?/[+-]?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Value:
    """A parsed v1 value: its type and its text (for a time: the precision too)."""

    type: str
    text: str
    precision: int | None = None


@dataclass(frozen=True)
class Command:
    """A parsed v1 statement command."""

    entity: str
    property: str
    new_statement: bool
    value: Value
    qualifiers: tuple[tuple[str, Value], ...]
    #: Reference groups: each a tuple of (Snnn, value).
    references: tuple[tuple[tuple[str, Value], ...], ...]


class GrammarError(ValueError):
    """A line that is not a QuickStatements v1 statement command."""


def parse_value(text: str) -> Value:
    """A v1 value, or GrammarError; times are checked for a real date at their precision."""
    if text in ("somevalue", "novalue"):
        return Value(text, text)
    if ITEM.fullmatch(text):
        return Value("item", text)
    if match := STRING.fullmatch(text):
        return Value("string", match["text"])
    if match := MONOLINGUAL.fullmatch(text):
        return Value("monolingualtext", match["text"])
    if match := TIME.fullmatch(text):
        precision = int(match["precision"]) if match["precision"] else 9  # QuickStatements' default
        if not 0 <= precision <= 14:
            raise GrammarError(f"time precision {precision} is not 0–14: {text}")
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        if precision <= 9 and (month, day) != (0, 0):
            raise GrammarError(f"a year-precision time writes month and day as 00: {text}")
        if precision == 10 and (day != 0 or not 1 <= month <= 12):
            raise GrammarError(f"a month-precision time has a month and day 00: {text}")
        if precision >= 11:
            date(year, month, day)  # a real calendar date, else ValueError
        return Value("time", text, precision)
    if COORDINATE.fullmatch(text):
        return Value("globecoordinate", text)
    if QUANTITY.fullmatch(text):
        return Value("quantity", text)
    raise GrammarError(f"not a v1 value: {text!r}")


def parse_line(line: str) -> Command:
    """A v1 statement command, or GrammarError naming what is wrong."""
    if "\n" in line or "\r" in line:
        raise GrammarError("a line break inside a command")
    cells = line.split("\t")
    if len(cells) < 3:
        raise GrammarError(f"fewer than 3 TAB-separated columns: {line!r}")
    entity, prop, value, *rest = cells
    if not ENTITY.fullmatch(entity):
        raise GrammarError(f"not an entity: {entity!r}")
    if not PROPERTY.fullmatch(prop):
        raise GrammarError(f"not a property: {prop!r}")
    if len(rest) % 2:
        raise GrammarError(f"a qualifier or source without its value: {rest[-1]!r}")
    qualifiers: list[tuple[str, Value]] = []
    references: list[list[tuple[str, Value]]] = []
    for key, raw in zip(rest[::2], rest[1::2], strict=True):
        match = KEY.fullmatch(key)
        if not match:
            raise GrammarError(f"not a qualifier (Pnnn) or source (Snnn, !Snnn) key: {key!r}")
        parsed = parse_value(raw)
        if match["kind"] == "P":
            if references:
                raise GrammarError(f"qualifier {key} after the sources")
            qualifiers.append((key, parsed))
        else:
            if match["kind"] == "!S" or not references:
                references.append([])
            references[-1].append(("S" + match["number"], parsed))
    return Command(entity, prop.lstrip("!"), prop.startswith("!"), parse_value(value), tuple(qualifiers),
                   tuple(tuple(r) for r in references))


@pytest.mark.parametrize("line", [
    "Q1295\tP190\tQ41604",
    "Q1295\t!P190\tQ41604\tP580\t+1960-00-00T00:00:00Z/9\tS854\t\"https://www.dortmund.de/\"",
    "Q1295\tP190\tQ182059\tP580\t+2024-05-14T00:00:00Z/11\tS1476\tde:\"Kumasi\"\t!S854\t\"https://x.org/\"",
    "Q1295\tP190\tQ3761\tP582\tsomevalue",
    "Q1295\tP1082\t+588250U11229",
])
def test_grammar_accepts_v1_commands(line: str) -> None:
    """The checker reads well-formed v1 commands."""
    parse_line(line)


@pytest.mark.parametrize("line", [
    "Q1295 P190 Q41604",                                     # spaces, not TABs
    "Q1295\tP190",                                           # no value
    "Q1295\tP190\tQ41604\tP580",                             # a key without its value
    "Q1295\tP190\tQ41604\tX580\t+1960-00-00T00:00:00Z/9",    # not a key
    "Q1295\tP190\tQ41604\tP580\t1960",                       # not a time (a quantity is no start)
    "Q1295\tP190\tQ41604\tP580\t+1960-01-01T00:00:00Z/9",    # year precision with month and day
    "Q1295\tP190\tQ41604\tP580\t+2024-05-14T00:00:00Z/10",   # month precision with a day
    "Q1295\tP190\tQ41604\tP580\t+2024-02-30T00:00:00Z/11",   # no such day
    "Q1295\tP190\tQ41604\tS854\t\"https://x.org/",           # an unclosed string
    "Q1295\tP190\tQ41604\tS854\t\"u\"\tP580\t+1960-00-00T00:00:00Z/9",  # a qualifier after sources
    "Dortmund\tP190\tQ41604",                                # not an entity
])
def test_grammar_rejects_malformed_commands(line: str) -> None:
    """The checker is a real one: malformed commands fail it."""
    with pytest.raises((GrammarError, ValueError)):
        command = parse_line(line)
        for _, value in command.qualifiers:  # a start must be a time
            if value.type != "time":
                raise GrammarError("P580 is not a time")


# ---------------------------------------------------------------- the batches


def run(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def batch(settings: Settings, *extra: str) -> tuple[list[Command], str]:
    """The commands ``citygraph wikidata quickstatements`` writes for a build (each line parsed,
    each checked for the value types of its properties), and its standard error."""
    code, out, err = run(["wikidata", "quickstatements", "--root", str(settings.root), "--dist",
                          str(settings.dist_dir), *extra])
    assert code == 0, err
    assert out.endswith("\n") or out == ""
    commands = [parse_line(line) for line in out.splitlines()]
    for c in commands:
        assert c.property == "P190" and c.value.type == "item" and ITEM.fullmatch(c.entity)
        for key, value in c.qualifiers:
            assert key in ("P580", "P582"), key
            assert value.type == "time" and value.precision in (9, 10, 11) or \
                (key == "P582" and value.type == "somevalue")
        for reference in c.references:
            assert reference, c
            for key, value in reference:
                expected = {"S854": "string", "S248": "item", "S1476": "monolingualtext", "S577": "time",
                            "S813": "time"}[key]
                assert value.type == expected, (key, value)
                if key == "S854":
                    assert re.fullmatch(r"https?://\S+", value.text), value
    return commands, err


def started_twinnings(settings: Settings) -> set[frozenset[str]]:
    """The QID pairs of the build's started town twinnings (active, paused, ended), from the model."""
    store = EmbeddedStore(settings.dist_dir)
    rows = store.query("""SELECT ?qa ?qb WHERE {
        ?p a cg:Partnership ; cg:kind cgkind:twinning ; cg:status ?s ; cg:partner ?a, ?b .
        FILTER (?s IN (cgstatus:active, cgstatus:paused, cgstatus:ended) && ?a != ?b)
        ?a cg:wikidataEntity ?qa . ?b cg:wikidataEntity ?qb . }""")
    return {frozenset((r["qa"].value.rsplit("/", 1)[1], r["qb"].value.rsplit("/", 1)[1]))  # type: ignore
            for r in rows}  # type: ignore[union-attr]


def starts(commands: list[Command], item: str, twin: str) -> list[str]:
    """The P580 values of the commands item → twin."""
    return [v.text for c in commands if (c.entity, c.value.text) == (item, twin)
            for k, v in c.qualifiers if k == "P580"]


def test_every_line_is_v1_and_both_directions(settings: Settings, built: BuildResult) -> None:
    """The whole batch of the real build: v1 commands, P190 between items, each statement on both
    items with the same start, only started town twinnings."""
    commands, err = batch(settings)
    assert commands
    pairs = {(c.entity, c.value.text) for c in commands}
    for a, b in pairs:
        assert (b, a) in pairs, f"{a} → {b} without {b} → {a}"
        assert sorted(starts(commands, a, b)) == sorted(starts(commands, b, a))
    assert {frozenset(p) for p in pairs} <= started_twinnings(settings)
    assert frozenset((DORTMUND, KUMASI)) in {frozenset(p) for p in pairs}
    assert starts(commands, DORTMUND, KUMASI) == ["+2024-05-14T00:00:00Z/11"]
    assert starts(commands, KUMASI, DORTMUND) == ["+2024-05-14T00:00:00Z/11"]
    assert starts(commands, DORTMUND, ZHYTOMYR) == ["+2025-00-00T00:00:00Z/9"]
    assert "command(s) written" in err


def test_disagreeing_starts_preferred_or_each_its_own(settings: Settings, built: BuildResult) -> None:
    """Where the sources disagree (Rostov-on-Don, Buffalo): the preferred-rank start alone as a plain
    P190; without a preferred one, every normal start as a statement of its own (!P190)."""
    commands, err = batch(settings)
    store = EmbeddedStore(settings.dist_dir)
    for twin in (ROSTOV, BUFFALO):
        lines = [c for c in commands if (c.entity, c.value.text) == (DORTMUND, twin)]
        preferred = bool(store.query(f"""ASK {{ ?claim a cg:Claim ; rdf:subject ?p ;
            rdf:predicate schema:startDate ; wikibase:rank wikibase:PreferredRank .
            ?p cg:partner ?a, ?b . ?a cg:wikidataEntity wd:{DORTMUND} . ?b cg:wikidataEntity wd:{twin} }}"""))
        if preferred:
            assert len(lines) == 1 and not lines[0].new_statement
        else:
            assert len(lines) >= 2 and all(c.new_statement for c in lines)
            assert len(set(starts(commands, DORTMUND, twin))) == len(lines)
            assert f"{DORTMUND} P190 {twin}: the sources disagree" in err


def test_no_retrieval_date_is_invented(settings: Settings, built: BuildResult) -> None:
    """S813 only where the data has a retrieval date; today none has, and stderr says so."""
    commands, err = batch(settings)
    store = EmbeddedStore(settings.dist_dir)
    has_retrieval = bool(store.query("ASK { ?s <http://purl.org/pav/retrievedOn> ?d }"))
    s813 = [v for c in commands for r in c.references for k, v in r if k == "S813"]
    if not has_retrieval:
        assert s813 == []
        assert "no retrieval date" in err and "none is invented" in err
    assert all(k != "S813" or v.precision == 11 for c in commands for r in c.references for k, v in r)


def test_against_the_crawl_only_the_missing(settings: Settings, built: BuildResult) -> None:
    """With --against the 2016 crawl: only statements the crawl lacks — Kumasi and Zhytomyr among
    them, none that the crawl has."""
    commands, err = batch(settings, "--against", str(CRAWL))
    crawl = {tuple(line.split("\t")) for line in (CRAWL / "relations.tsv").read_text().splitlines()}
    pairs = {(c.entity, c.value.text) for c in commands}
    assert not pairs & crawl
    for twin in (KUMASI, ZHYTOMYR):
        assert {(DORTMUND, twin), (twin, DORTMUND)} <= pairs
    assert "left out: the extract already has them" in err


def test_against_writes_only_the_directions_the_extract_judges(settings: Settings, built: BuildResult,
                                                                tmp_path: Path) -> None:
    """Against a WDQS result of Dortmund's twins only, as diff: Dortmund's missing statements
    (Kumasi, Zhytomyr) are written; the twins' statements of Dortmund (Amiens → Dortmund …) are not
    judged by the extract, so none is written, and stderr lists them with their count."""
    store = EmbeddedStore(settings.dist_dir)
    view = f"{settings.base_iri}graph/wikidata-view"
    rows = store.query(f"SELECT ?a ?b WHERE {{ GRAPH <{view}> {{ ?a wdt:P190 ?b }} }}")
    directed = {(r["a"].value.rsplit("/", 1)[1], r["b"].value.rsplit("/", 1)[1])  # type: ignore[index]
                for r in rows}  # type: ignore[union-attr]
    dortmunds = sorted(b for a, b in directed if a == DORTMUND and b not in (KUMASI, ZHYTOMYR))
    assert {AMIENS, LEEDS, BUFFALO, ROSTOV} <= set(dortmunds)
    wd = "http://www.wikidata.org/entity/"
    (tmp_path / "dortmund.json").write_text(json.dumps({"head": {"vars": ["item", "twin", "start"]},
        "results": {"bindings": [{"item": {"type": "uri", "value": wd + DORTMUND},
                                  "twin": {"type": "uri", "value": wd + twin},
                                  "start": {"type": "literal", "value": "1960-01-01T00:00:00Z"}}
                                 for twin in dortmunds]}}), encoding="utf-8")
    commands, err = batch(settings, "--against", str(tmp_path / "dortmund.json"))
    assert {(c.entity, c.value.text) for c in commands} == {(DORTMUND, KUMASI), (DORTMUND, ZHYTOMYR)}
    assert starts(commands, DORTMUND, KUMASI) == ["+2024-05-14T00:00:00Z/11"]
    unjudged = sorted((a, b) for a, b in directed if a != DORTMUND and b == DORTMUND)
    assert f"note: {len(unjudged)} statement(s) not written: the extract has no P190 statements of " \
        "their item" in err
    for a, b in unjudged:
        assert f"{a} P190 {b}" in err
    assert f"{len(dortmunds)} statement(s) left out: the extract already has them" in err


def test_statements_from_wikidata_itself_are_left_out(settings: Settings, built: BuildResult) -> None:
    """Bonn–Cape Coast is known to citygraph only from the 2016 crawl of Wikidata: no command."""
    commands, err = batch(settings)
    assert not [c for c in commands if {c.entity, c.value.text} == {BONN, CAPE_COAST}]
    assert "from Wikidata itself" in err and f"{BONN} P190 {CAPE_COAST}" in err


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The project with test partnerships added, built."""
    return extended_project(tmp_path_factory.mktemp("qs-project"))


def test_never_planned_friendship_project_or_unverified(extended: Settings) -> None:
    """Never a planned twinning (Dortmund–Accra), a friendship (Dortmund–Bonn), a project
    partnership, or a partner without a verified QID; an ended twinning keeps its P582."""
    commands, _ = batch(extended)
    pairs = {frozenset((c.entity, c.value.text)) for c in commands}
    assert frozenset((DORTMUND, ACCRA)) not in pairs
    assert frozenset((DORTMUND, BONN)) not in pairs
    assert pairs <= started_twinnings(extended)
    store = EmbeddedStore(extended.dist_dir)
    project = {r["q"].value.rsplit("/", 1)[1] for r in store.query(  # type: ignore[union-attr]
        """SELECT ?q WHERE { ?p cg:kind cgkind:project-partnership ; cg:partner ?x .
           ?x cg:wikidataEntity ?q . FILTER NOT EXISTS { ?x cg:wikidataEntity wd:Q1295 } }""")}
    assert project and not project & {q for p in pairs for q in p}
    ended = [c for c in commands if (c.entity, c.value.text) == (MOENCHENGLADBACH, ACCRA)]
    assert [(k, v.text) for k, v in ended[0].qualifiers] == [
        ("P580", "+2001-06-30T00:00:00Z/11"), ("P582", "+2019-00-00T00:00:00Z/9")]


def test_month_precision_and_a_retrieval_date_from_the_data(extended: Settings) -> None:
    """A start known to the month is /10; a source with a URL and pav:retrievedOn gives S854 and S813;
    the preferred start (Buffalo 1978) is the one written."""
    commands, _ = batch(extended)
    cape = [c for c in commands if (c.entity, c.value.text) == (DORTMUND, CAPE_COAST)]
    assert len(cape) == 1
    assert [(k, v.text) for k, v in cape[0].qualifiers] == [("P580", "+2020-03-00T00:00:00Z/10")]
    assert [(k, v.text) for k, v in cape[0].references[0]] == [
        ("S854", "https://example.org/test-twinnings"), ("S1476", "Test page on twinnings"),
        ("S813", "+2026-01-02T00:00:00Z/11")]
    buffalo = [c for c in commands if (c.entity, c.value.text) == (DORTMUND, BUFFALO)]
    assert len(buffalo) == 1 and not buffalo[0].new_statement
    assert starts(commands, DORTMUND, BUFFALO) == ["+1978-00-00T00:00:00Z/9"]


def test_bad_against_is_exit_2(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    """An --against extract that cannot be read: exit 2, the file and line, nothing written."""
    path = tmp_path / "cut.json"
    path.write_text('{"head": {"vars": ["item", "twin"]}, "results": {"bindings": [', encoding="utf-8")
    code, out, err = run(["wikidata", "quickstatements", "--root", str(settings.root), "--dist",
                          str(settings.dist_dir), "--against", str(path)])
    assert code == 2 and out == ""
    assert "cut.json, line 1: not valid JSON" in err and "Traceback" not in err
