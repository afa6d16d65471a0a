"""``citygraph wikidata diff``: the real build against the vendored 2016 crawl, and against small
WDQS JSON and Wikidata RDF extracts written here; every format, exit codes, bad input."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from wikidata_fixtures import CRAWL, REPO, extended_project

from citygraph.cli import main
from citygraph.config import Settings
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore
from citygraph.wikidata.diff import CATEGORIES, CSV_COLUMNS
from citygraph.wikidata.view import view_graph_iri

WD = "http://www.wikidata.org/entity/"
DORTMUND, KUMASI, ZHYTOMYR, BEYOGLU, CITY_OF_LEEDS = "Q1295", "Q182059", "Q156713", "Q217411", "Q774015"
LEEDS, AMIENS, ROSTOV, BUFFALO, ACCRA, CAPE_COAST = "Q39121", "Q41604", "Q908", "Q40435", "Q3761", "Q221283"


def run(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def diff(settings: Settings, source: Path | str, *extra: str) -> tuple[int, str, str]:
    """``citygraph wikidata diff SOURCE`` over a build."""
    return run(["wikidata", "diff", str(source), "--root", str(settings.root), "--dist",
                str(settings.dist_dir), *extra])


def diff_json(settings: Settings, source: Path | str, *extra: str) -> tuple[int, dict[str, Any]]:
    """The JSON report of a diff, and its exit code."""
    code, out, err = diff(settings, source, "--format", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def pair(report: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    """The report's entry for the pair {a, b}."""
    found = [p for p in report["pairs"] if {p["item"]["qid"], p["twin"]["qid"]} == {a, b}]
    assert len(found) == 1, f"pair {a}–{b}: {found}"
    return found[0]


def categories(entry: dict[str, Any]) -> dict[str, str]:
    """A pair's findings: category → verdict."""
    return {f["category"]: f["verdict"] for f in entry["findings"]}


def view_pairs(settings: Settings) -> set[tuple[str, str]]:
    """The directed P190 pairs of the build's Wikidata view (the twinnings citygraph states)."""
    store = EmbeddedStore(settings.dist_dir)
    rows = store.query(f"SELECT ?a ?b WHERE {{ GRAPH <{view_graph_iri(settings.base_iri)}> "
                       "{ ?a <http://www.wikidata.org/prop/direct/P190> ?b } }")
    return {(s["a"].value.rsplit("/", 1)[1], s["b"].value.rsplit("/", 1)[1]) for s in rows}  # type: ignore


def covered_cities(settings: Settings) -> set[str]:
    """The QIDs of the cities whose twinnings the build covers: it states how many they have."""
    store = EmbeddedStore(settings.dist_dir)
    rows = store.query("""SELECT DISTINCT ?q WHERE {
        { ?c cg:numberOfTwinnings ?n }
        UNION { ?x a cg:Claim ; rdf:subject ?c ; rdf:predicate cg:numberOfTwinnings }
        ?c cg:wikidataEntity ?q }""")
    return {s["q"].value.rsplit("/", 1)[1] for s in rows}  # type: ignore[union-attr]


def wdqs_json(rows: list[dict[str, str]], variables: list[str] | None = None) -> str:
    """A WDQS SPARQL JSON result with the given rows (item/twin as entity IRIs, start as dateTime)."""
    variables = variables or sorted({k for r in rows for k in r})
    bindings = []
    for row in rows:
        binding: dict[str, dict[str, str]] = {}
        for key, value in row.items():
            if key in ("item", "twin", "city"):
                binding[key] = {"type": "uri", "value": WD + value}
            elif key == "start":
                binding[key] = {"type": "literal", "value": value,
                                "datatype": "http://www.w3.org/2001/XMLSchema#dateTime"}
            else:
                binding[key] = {"type": "literal", "value": value}
        bindings.append(binding)
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}})


@pytest.fixture(scope="module")
def crawl_report(settings: Settings, built: BuildResult) -> tuple[int, dict[str, Any]]:
    """The JSON diff of the real build against the vendored crawl directory."""
    return diff_json(settings, CRAWL)


def test_crawl_finds_the_known_differences(crawl_report: tuple[int, dict[str, Any]]) -> None:
    """Against the 2016 crawl: Beyoğlu and the City of Leeds borough are on Wikidata but not twinnings
    in citygraph (unexpected); Kumasi and Zhytomyr are missing, as expected (they started later)."""
    code, report = crawl_report
    assert code == 1
    assert report["extract"]["format"] == "crawl" and report["extract"]["qualifiers"] is False
    assert report["extract"]["as_of"] == "2016-09-10"  # the data's source node, matched by SHA-256
    assert "wikidata-sister-cities-2016" in report["extract"]["as_of_basis"]
    for other in (BEYOGLU, CITY_OF_LEEDS):
        entry = pair(report, DORTMUND, other)
        assert categories(entry) == {"not-in-citygraph": "unexpected"}
        assert entry["wikidata"]["directions"] == [[DORTMUND, other], [other, DORTMUND]]
        assert "claim" in entry["findings"][0]["reason"]
    for other in (KUMASI, ZHYTOMYR):
        entry = pair(report, DORTMUND, other)
        assert categories(entry) == {"missing-on-wikidata": "expected"}
        assert "after the extract's date (2016-09-10)" in entry["findings"][0]["reason"]
        assert "twinning" in {p["kind"] for p in entry["citygraph"]["partnerships"]}
    assert categories(pair(report, DORTMUND, LEEDS)) == {"agree": "agree"}  # the city, not the borough
    assert categories(pair(report, DORTMUND, AMIENS)) == {"agree": "agree"}
    rostov = pair(report, DORTMUND, ROSTOV)
    assert categories(rostov) == {"agree": "agree"}  # paused: a pause is not a conflict
    assert "a pause is not an end" in rostov["findings"][0]["reason"]
    assert {p["status"] for p in rostov["citygraph"]["partnerships"] if p["kind"] == "twinning"} == {"paused"}


def test_crawl_scope_and_outside_pairs(settings: Settings, built: BuildResult,
                                       crawl_report: tuple[int, dict[str, Any]]) -> None:
    """Every listed pair has two entities citygraph holds; the others are outside, listed with --all,
    and never make a difference."""
    _, report = crawl_report
    assert report["summary"]["outside"] > 0
    assert all(p["verdict"] != "outside" for p in report["pairs"])
    assert all(f["category"] in CATEGORIES for p in report["pairs"] for f in p["findings"])
    code, full = diff_json(settings, CRAWL, "--all")
    assert code == 1
    outside = [p for p in full["pairs"] if p["verdict"] == "outside"]
    assert len(outside) == report["summary"]["outside"]
    store = EmbeddedStore(settings.dist_dir)
    held = {s["q"].value.rsplit("/", 1)[1]  # type: ignore[union-attr]
            for s in store.query("SELECT ?q WHERE { ?e cg:wikidataEntity ?q }")}  # type: ignore[union-attr]
    assert len(held) == report["citygraph"]["entities"]
    covered = covered_cities(settings)
    assert DORTMUND in covered and BUFFALO not in covered and CAPE_COAST not in covered
    for p in outside:  # one item held; or both, neither covered, and no partnership or claim
        qids = {p["item"]["qid"], p["twin"]["qid"]}
        if len(qids & held) == 1:
            assert "citygraph holds no entity" in p["findings"][0]["reason"]
        else:
            assert qids <= held and not qids & covered and not p["citygraph"]["partnerships"]
            assert "does not cover the twinnings of either" in p["findings"][0]["reason"]
    # Buffalo and Cape Coast: held only as partners of Dortmund and Bonn; no statement about their
    # own twinnings, so their P190 pair is outside, not a difference.
    assert categories(pair(full, BUFFALO, CAPE_COAST)) == {"outside": "outside"}
    assert not [p for p in report["pairs"] if {p["item"]["qid"], p["twin"]["qid"]} == {BUFFALO, CAPE_COAST}]
    for p in report["pairs"]:  # a pair without partnership or claim is a difference only if covered
        if "not-in-citygraph" in categories(p) and "no partnership" in p["findings"][0]["reason"]:
            assert {p["item"]["qid"], p["twin"]["qid"]} & covered


def test_relations_file_and_gzip_give_the_same_report(settings: Settings, built: BuildResult,
                                                       crawl_report: tuple[int, dict[str, Any]],
                                                       tmp_path: Path) -> None:
    """The relations file itself, and a gzip copy of it (with names.tsv beside it), read as the
    directory does."""
    _, report = crawl_report
    _, direct = diff_json(settings, CRAWL / "relations.tsv")
    (tmp_path / "relations.tsv.gz").write_bytes(gzip.compress((CRAWL / "relations.tsv").read_bytes()))
    (tmp_path / "names.tsv").write_bytes((CRAWL / "names.tsv").read_bytes())
    _, zipped = diff_json(settings, tmp_path / "relations.tsv.gz", "--as-of", "2016-09-10")
    for other in (direct, zipped):
        assert other["pairs"] == report["pairs"]
        assert other["summary"] == report["summary"]


def test_as_of_decides_what_is_expected(settings: Settings, built: BuildResult) -> None:
    """--as-of after Kumasi's start (14 May 2024) makes its absence unexpected; Zhytomyr (2025) stays
    expected. Without a known date, a missing twinning is unexpected and the reason says why."""
    code, report = diff_json(settings, CRAWL, "--as-of", "2024-06-01")
    assert code == 1
    assert categories(pair(report, DORTMUND, KUMASI)) == {"missing-on-wikidata": "unexpected"}
    assert categories(pair(report, DORTMUND, ZHYTOMYR)) == {"missing-on-wikidata": "expected"}
    assert report["extract"]["as_of_basis"] == "--as-of"
    code, report = diff_json(settings, CRAWL, "--as-of", "2024-05-14")  # the extract's own date
    assert "it started on or before the extract's date (2024-05-14)" in \
        pair(report, DORTMUND, KUMASI)["findings"][0]["reason"]
    code, report = diff_json(settings, CRAWL, "--as-of", "2025-06-01")  # within Zhytomyr's year
    assert "it may have started on or before the extract's date (2025-06-01, within 2025)" in \
        pair(report, DORTMUND, ZHYTOMYR)["findings"][0]["reason"]
    code, out, err = diff(settings, CRAWL, "--as-of", "June 2024")
    assert code == 2 and "--as-of 'June 2024'" in err and "YYYY-MM-DD" in err


def test_text_report_is_readable(settings: Settings, built: BuildResult) -> None:
    """Text: labels next to QIDs, sections by verdict, the scope, a summary naming the exit code."""
    code, out, err = diff(settings, CRAWL)
    assert code == 1, err
    assert "Dortmund (Q1295) – Beyoğlu (Q217411)" in out
    assert "Dortmund (Q1295) – Kumasi (Q182059)" in out
    assert "unexpected differences" in out and "expected differences" in out and "agreements" in out
    assert "scope:" in out and "as of 2016-09-10" in out
    assert out.index("unexpected differences") < out.index("expected differences") < out.index("agreements")
    assert out.rstrip().endswith("→ exit 1")
    assert "(--all lists them)" in out


def test_csv_report_has_a_header_and_a_row_per_finding(settings: Settings, built: BuildResult) -> None:
    """CSV for spreadsheets: the documented header, one row per finding, labels in their columns."""
    code, out, _ = diff(settings, CRAWL, "--format", "csv")
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(csv.reader(io.StringIO(out)).__next__()) == CSV_COLUMNS
    beyoglu = [r for r in rows if {r["item"], r["twin"]} == {DORTMUND, BEYOGLU}]
    assert [(r["verdict"], r["category"], r["wikidata_directions"]) for r in beyoglu] == [
        ("unexpected", "not-in-citygraph", "both")]
    assert {beyoglu[0]["item_label"], beyoglu[0]["twin_label"]} == {"Dortmund", "Beyoğlu"}
    kumasi = [r for r in rows if {r["item"], r["twin"]} == {DORTMUND, KUMASI}]
    assert kumasi[0]["verdict"] == "expected" and "twinning" in kumasi[0]["citygraph_kind"].split()
    assert kumasi[0]["citygraph_start"].startswith("2024-05-14")


def test_exit_0_without_unexpected_differences(settings: Settings, built: BuildResult,
                                               tmp_path: Path) -> None:
    """A WDQS result stating every twinning of the build both ways, except those started after its
    date: exit 0 (only expected differences); --strict: exit 1; with everything: exit 0 even strict."""
    pairs = view_pairs(settings)
    later = {KUMASI, ZHYTOMYR}
    rows = [{"item": a, "twin": b} for a, b in sorted(pairs) if not ({a, b} & later)]
    (tmp_path / "partial.json").write_text(wdqs_json(rows, ["item", "twin"]), encoding="utf-8")
    code, report = diff_json(settings, tmp_path / "partial.json", "--as-of", "2020-01-01")
    assert code == 0
    assert report["summary"]["unexpected"] == 0
    assert categories(pair(report, DORTMUND, KUMASI)) == {"missing-on-wikidata": "expected"}
    code, _ = diff_json(settings, tmp_path / "partial.json", "--as-of", "2020-01-01", "--strict")
    assert code == 1
    rows = [{"item": a, "twin": b} for a, b in sorted(pairs)]
    (tmp_path / "all.json").write_text(wdqs_json(rows, ["item", "twin"]), encoding="utf-8")
    code, report = diff_json(settings, tmp_path / "all.json", "--strict")
    planned = [p for p in report["pairs"] if "planned" in categories(p)]
    assert code == (1 if planned else 0)
    assert all(set(categories(p).values()) <= {"agree", "expected"} for p in report["pairs"])
    assert report["summary"]["unexpected"] == 0


def test_wdqs_json_one_direction_and_start_years(settings: Settings, built: BuildResult,
                                                  tmp_path: Path) -> None:
    """WDQS JSON with bare QIDs and entity IRIs: a one-directional statement (the other side's
    statements are in the extract), a start that disagrees, a start that agrees, labels."""
    rows = [
        {"item": DORTMUND, "itemLabel": "Dortmund", "twin": AMIENS, "twinLabel": "Amiens",
         "start": "1961-01-01T00:00:00Z", "startPrecision": "9"},
        {"item": AMIENS, "twin": DORTMUND, "start": "1961-01-01T00:00:00Z", "startPrecision": "9"},
        {"item": DORTMUND, "twin": LEEDS, "start": "1969-01-01T00:00:00Z"},
        {"item": LEEDS, "twin": "Q90"},  # Leeds's statements are in the extract, Leeds → Dortmund is not
    ]
    path = tmp_path / "twins.json"
    path.write_text(wdqs_json(rows, ["item", "itemLabel", "twin", "twinLabel", "start", "startPrecision"]),
                    encoding="utf-8")
    code, report = diff_json(settings, path, "--as-of", "2026-01-01")
    assert code == 1
    assert report["extract"]["format"] == "wdqs-json" and report["extract"]["qualifiers"] is True
    amiens = pair(report, DORTMUND, AMIENS)
    assert categories(amiens) == {"agree": "agree", "start-differs": "unexpected"}
    assert "1961" in amiens["findings"][1]["reason"] and "1960" in amiens["findings"][1]["reason"]
    leeds = pair(report, DORTMUND, LEEDS)
    assert categories(leeds) == {"one-directional": "unexpected"}
    assert "Leeds (Q39121) → Dortmund (Q1295) is missing" in leeds["findings"][0]["reason"]
    # Neither Bonn's nor Cape Coast's statements are in this extract: it cannot tell.
    code, full = diff_json(settings, path, "--as-of", "2026-01-01", "--all")
    assert categories(pair(full, "Q586", CAPE_COAST)) == {"outside": "outside"}
    # A row of Bonn without a twin (OPTIONAL in the query): Bonn's statements are covered, and none
    # is Cape Coast.
    path.write_text(wdqs_json(rows + [{"item": "Q586"}], ["item", "itemLabel", "twin", "twinLabel", "start",
                                                           "startPrecision"]), encoding="utf-8")
    code, full = diff_json(settings, path, "--as-of", "2026-01-01")
    assert categories(pair(full, "Q586", CAPE_COAST)) == {"missing-on-wikidata": "unexpected"}
    # A bare-QID column works as well as entity IRIs.
    bare = {"head": {"vars": ["city", "twin"]}, "results": {"bindings": [
        {"city": {"type": "literal", "value": DORTMUND}, "twin": {"type": "literal", "value": BEYOGLU}}]}}
    (tmp_path / "bare.json").write_text(json.dumps(bare), encoding="utf-8")
    code, report = diff_json(settings, tmp_path / "bare.json")
    assert categories(pair(report, DORTMUND, BEYOGLU)) == {"not-in-citygraph": "unexpected"}


TURTLE = """\
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix pqv: <http://www.wikidata.org/prop/qualifier/value/> .
@prefix wikibase: <http://wikiba.se/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .

wd:Q1295 rdfs:label "Dortmund"@en ; wdt:P190 wd:Q908, wd:Q41604 ;
    p:P190 wds:Q1295-rostov, wds:Q1295-amiens, wds:Q1295-beyoglu .
wds:Q1295-rostov ps:P190 wd:Q908 ; wikibase:rank wikibase:NormalRank ;
    pq:P580 "1977-01-01T00:00:00Z"^^xsd:dateTime ; pq:P582 "2022-01-01T00:00:00Z"^^xsd:dateTime ;
    pqv:P580 [ wikibase:timeValue "1977-01-01T00:00:00Z"^^xsd:dateTime ; wikibase:timePrecision 9 ] .
wds:Q1295-amiens ps:P190 wd:Q41604 ; wikibase:rank wikibase:NormalRank ;
    pq:P580 "1960-01-01T00:00:00Z"^^xsd:dateTime .
wds:Q1295-beyoglu ps:P190 wd:Q217411 ; wikibase:rank wikibase:DeprecatedRank .
wd:Q908 p:P190 wds:Q908-dortmund .
wds:Q908-dortmund ps:P190 wd:Q1295 ; wikibase:rank wikibase:NormalRank ;
    pq:P580 "1977-01-01T00:00:00Z"^^xsd:dateTime ; pq:P582 "2022-01-01T00:00:00Z"^^xsd:dateTime .
wd:Q41604 wdt:P190 wd:Q1295 .
<https://www.wikidata.org/wiki/Special:EntityData/Q1295> a schema:Dataset ;
    schema:dateModified "2023-05-01T10:00:00Z"^^xsd:dateTime .
"""


def test_rdf_statements_with_qualifiers(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    """Wikidata RDF: an end (P582) on a paused twinning is a conflict (a pause is not an end); a
    start that agrees is no finding; a deprecated statement is not asserted; the date comes from
    schema:dateModified."""
    path = tmp_path / "Q1295.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    code, report = diff_json(settings, path)
    assert code == 1
    assert report["extract"]["format"] == "rdf" and report["extract"]["as_of"] == "2023-05-01"
    rostov = pair(report, DORTMUND, ROSTOV)
    assert categories(rostov) == {"agree": "agree", "end-differs": "unexpected"}
    assert "a pause is not an end" in rostov["findings"][1]["reason"]
    assert rostov["wikidata"]["ends"] == [{"value": "2022", "precision": None}]
    assert categories(pair(report, DORTMUND, AMIENS)) == {"agree": "agree"}
    assert not [p for p in report["pairs"] if BEYOGLU in (p["item"]["qid"], p["twin"]["qid"])]
    assert categories(pair(report, DORTMUND, KUMASI)) == {"missing-on-wikidata": "expected"}


def test_ntriples_direct_claims(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    """N-Triples with wdt:P190 only: no qualifiers, so starts are not compared."""
    path = tmp_path / "twins.nt"
    path.write_text(
        f"<{WD}{DORTMUND}> <http://www.wikidata.org/prop/direct/P190> <{WD}{CITY_OF_LEEDS}> .\n"
        f"<{WD}{CITY_OF_LEEDS}> <http://www.wikidata.org/prop/direct/P190> <{WD}{DORTMUND}> .\n"
        f"<{WD}{DORTMUND}> <http://www.wikidata.org/prop/direct/P190> <{WD}{AMIENS}> .\n"
        f"<{WD}{AMIENS}> <http://www.wikidata.org/prop/direct/P190> <{WD}{DORTMUND}> .\n", encoding="utf-8")
    code, report = diff_json(settings, path)
    assert code == 1 and report["extract"]["qualifiers"] is False
    assert categories(pair(report, DORTMUND, CITY_OF_LEEDS)) == {"not-in-citygraph": "unexpected"}
    assert categories(pair(report, DORTMUND, AMIENS)) == {"agree": "agree"}
    assert "date is unknown" in pair(report, DORTMUND, KUMASI)["findings"][0]["reason"]


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The project with test partnerships added (planned, friendship, month-precise, unverified,
    ended, a preferred start), built."""
    return extended_project(tmp_path_factory.mktemp("wddiff-project"))


def test_data_changes_flow_through(extended: Settings) -> None:
    """Partnerships added to the data show up: a planned twinning is an expected difference, a
    friendship with a Wikidata twin is no P190, a twinning started after 2016 is expected missing,
    an ended one missing on Wikidata is unexpected, an unverified partner is named as not comparable;
    a start on Wikidata that is not the preferred one differs."""
    code, report = diff_json(extended, CRAWL)
    assert code == 1
    assert categories(pair(report, DORTMUND, ACCRA)) == {"planned": "expected"}
    assert categories(pair(report, DORTMUND, CAPE_COAST)) == {"missing-on-wikidata": "expected"}
    # The data now states how many twinnings Buffalo has: Buffalo–Cape Coast becomes a difference.
    buffalo_cape = pair(report, BUFFALO, CAPE_COAST)
    assert categories(buffalo_cape) == {"not-in-citygraph": "unexpected"}
    assert "covers the twinnings of Buffalo (Q40435)" in buffalo_cape["findings"][0]["reason"]
    ended = pair(report, "Q2758", ACCRA)
    assert categories(ended) == {"missing-on-wikidata": "unexpected"}
    assert ended["citygraph"]["partnerships"][0]["status"] == "ended"
    assert not [p for p in report["pairs"] if {p["item"]["qid"], p["twin"]["qid"]} == {DORTMUND, "Q586"}]
    assert any(iri.endswith("/partnership/test-dortmund-nowhere")
               for iri in report["citygraph"]["not_comparable"])
    path = extended.root / "buffalo.json"
    path.write_text(wdqs_json([{"item": DORTMUND, "twin": BUFFALO, "start": "1977-01-01T00:00:00Z"},
                               {"item": BUFFALO, "twin": DORTMUND, "start": "1978-01-01T00:00:00Z"}],
                              ["item", "twin", "start"]), encoding="utf-8")
    code, report = diff_json(extended, path, "--as-of", "2026-01-01")
    buffalo = pair(report, DORTMUND, BUFFALO)
    assert categories(buffalo) == {"agree": "agree", "start-differs": "unexpected"}
    # Per direction: Dortmund → Buffalo has 1977, a value citygraph does not prefer; Buffalo →
    # Dortmund has 1978, the preferred one, and is no finding.
    assert [f["reason"].split(":")[0] for f in buffalo["findings"][1:]] == [
        "Dortmund (Q1295) → Buffalo (Q40435)"]
    reason = buffalo["findings"][1]["reason"]
    assert "start 1977 (the value of a source citygraph does not prefer: English Wikipedia" in reason
    assert "1978 (dortmund.de" in reason and "1978 (the value" not in reason
    assert buffalo["wikidata"]["starts_by_direction"] == {
        f"{DORTMUND}>{BUFFALO}": [{"value": "1977", "precision": None}],
        f"{BUFFALO}>{DORTMUND}": [{"value": "1978", "precision": None}]}
    # One statement with two starts (one row per start): each value is named for what it is.
    path.write_text(wdqs_json([{"item": DORTMUND, "twin": BUFFALO, "start": "1977-01-01T00:00:00Z",
                                "statement": "s1"},
                               {"item": DORTMUND, "twin": BUFFALO, "start": "1978-01-01T00:00:00Z",
                                "statement": "s1"},
                               {"item": BUFFALO, "twin": DORTMUND, "start": "1978-01-01T00:00:00Z"}],
                              ["item", "twin", "start", "statement"]), encoding="utf-8")
    code, report = diff_json(extended, path, "--as-of", "2026-01-01")
    findings = pair(report, DORTMUND, BUFFALO)["findings"][1:]
    assert len(findings) == 1 and findings[0]["reason"].startswith(
        "Dortmund (Q1295) → Buffalo (Q40435): Wikidata: start 1977 (the value of a source citygraph does "
        "not prefer: English Wikipedia")
    assert "; 1978 (the start citygraph goes by); citygraph: 1978 (dortmund.de" in findings[0]["reason"]
    # A friendship that Wikidata states as P190 is on Wikidata but not a twinning in citygraph.
    (extended.root / "bonn.json").write_text(wdqs_json([{"item": DORTMUND, "twin": "Q586"}],
                                                       ["item", "twin"]), encoding="utf-8")
    code, report = diff_json(extended, extended.root / "bonn.json")
    bonn = pair(report, DORTMUND, "Q586")
    assert categories(bonn) == {"not-in-citygraph": "unexpected"}
    assert "friendship" in bonn["findings"][0]["reason"]


P190 = "http://www.wikidata.org/prop/direct/P190"


def rows_json(rows: list[list[str]]) -> bytes:
    """A WDQS JSON result with one row a line (row N on line N + 2): item, twin and maybe a start."""
    cells = []
    for row in rows:
        cell = {"item": {"type": "uri", "value": WD + row[0]}, "twin": {"type": "uri", "value": WD + row[1]}}
        if len(row) > 2:
            cell["start"] = {"type": "literal", "value": row[2]}
        cells.append(json.dumps(cell))
    return ('{"head": {"vars": ["item", "twin", "start"]},\n "results": {"bindings": [\n'
            + ",\n".join(cells) + "\n]}}\n").encode()


BAD_INPUTS = [
    ("truncated.json", b'{"head": {"vars": ["item", "twin"]}, "results": {"bindings": [\n  {"item": ',
     ["truncated.json, line 2", "not valid JSON"]),
    ("columns.json", json.dumps({"head": {"vars": ["a", "b"]}, "results": {"bindings": []}}).encode(),
     ["columns.json", "no column for the item", "?item", "(the result has ?a, ?b)"]),
    ("ask.json", b'{"head": {}, "boolean": true}', ["ask.json", "an ASK result"]),
    ("value.json", json.dumps({"head": {"vars": ["item", "twin"]}, "results": {"bindings": [
        {"item": {"type": "literal", "value": "Dortmund"},
         "twin": {"type": "uri", "value": WD + "Q1"}}]}}).encode(),
     ["value.json, line 1", "result row 1 (1-based) of results.bindings: ?item",
      "'Dortmund' is not a Wikidata item"]),
    ("binary.bin", bytes(range(256)) * 4, ["binary.bin, line 1", "binary file"]),
    ("latin1.tsv", "Q1\tQ2\nQ3\tQ4 Görlitz\n".encode("latin-1"), ["latin1.tsv, line 2", "not UTF-8"]),
    ("bad.tsv", b"Q1295\tQ41604\nQ1295\tQ39121\nQ1295 Q908\n", ["bad.tsv, line 3", "TAB-separated"]),
    ("notqid.tsv", b"Q1295\tQ41604\nQ1295\tAmiens\n", ["notqid.tsv, line 2", "'Amiens' is not a QID"]),
    ("bad.ttl", b"@prefix wd: <http://www.wikidata.org/entity/> .\nwd:Q1 wd:P190 wd:Q2 .\n"
                b"wd:Q1 wd:P190 \"x .\n", ["bad.ttl, line 3"]),
    ("bad.nt", b"<http://a> <http://b> <http://c> .\n<http://a> <http://b> c .\n", ["bad.nt, line 2"]),
    ("words.txt", b"Dortmund is twinned with Amiens.\n", ["words.txt, line 1", "cannot tell what this is"]),
    ("empty.json", json.dumps({"head": {"vars": ["item", "twin"]}, "results": {"bindings": []}}).encode(),
     ["empty.json", "no P190", "nothing to compare"]),
    ("other.ttl", b"<http://www.wikidata.org/entity/Q1> <http://www.w3.org/2000/01/rdf-schema#label> "
                  b"\"x\" .\n", ["other.ttl", "no P190"]),
    ("broken.tsv.gz", b"\x1f\x8b\x08\x00garbage", ["broken.tsv.gz", "gzip"]),
    # A QID of 5000 digits next to a held item (int() refuses more than 4300 digits).
    ("hugeq.tsv", f"Q1295\tQ41604\nQ1295\tQ{'9' * 5000}\n".encode(),
     ["hugeq.tsv, line 2", "(5000 digits) is not a QID", "at most 12 digits"]),
    ("hugeq1.tsv", f"Q1295\tQ{'9' * 5000}\n".encode(),
     ["hugeq1.tsv, line 1", "(5000 digits) is not a QID"]),
    ("hugeq.json", rows_json([[DORTMUND, AMIENS], [DORTMUND, "Q" + "9" * 5000]]),
     ["hugeq.json, line 4", "result row 2 (1-based) of results.bindings: ?twin",
      "(5000 digits) is not a QID"]),
    ("hugeq.nt", (f"<{WD}Q1295> <{P190}> <{WD}Q41604> .\n"
                  f"<{WD}Q1295> <{P190}> <{WD}Q{'9' * 5000}> .\n").encode(),
     ["hugeq.nt, line 2", "(5000 digits) is not a QID"]),
    # Dates that cannot exist.
    ("badmod.ttl", b"@prefix schema: <http://schema.org/> .\n"
                   b"@prefix wdt: <http://www.wikidata.org/prop/direct/> .\n"
                   b"<http://www.wikidata.org/entity/Q1295> wdt:P190\n"
                   b"  <http://www.wikidata.org/entity/Q41604> ;\n"
                   b'  schema:dateModified "2016-02-30T00:00:00Z" .\n',
     ["badmod.ttl, line 5", "schema:dateModified", "'2016-02-30T00:00:00Z' is not a real date",
      "February 2016 has 29 days"]),
    ("badmonth.json", rows_json([[DORTMUND, KUMASI], [DORTMUND, AMIENS, "1960-13-45T00:00:00Z"]]),
     ["badmonth.json, line 4", "result row 2 (1-based)", "?start: '1960-13-45T00:00:00Z' is not a real date",
      "no month 13"]),
    ("feb30.json", rows_json([[DORTMUND, KUMASI, "2023-02-29T00:00:00Z"]]),
     ["feb30.json, line 3", "result row 1 (1-based)", "February 2023 has 28 days"]),
    ("badstart.ttl", b"@prefix wd: <http://www.wikidata.org/entity/> .\n"
                     b"@prefix p: <http://www.wikidata.org/prop/> .\n"
                     b"@prefix ps: <http://www.wikidata.org/prop/statement/> .\n"
                     b"@prefix pq: <http://www.wikidata.org/prop/qualifier/> .\n"
                     b"wd:Q1295 p:P190 wd:s1 .\nwd:s1 ps:P190 wd:Q41604 ;\n"
                     b'  pq:P580 "1960-13-45T00:00:00Z" .\n',
     ["badstart.ttl, line 7", "P580", "no month 13"]),
    ("wordend.ttl", b"@prefix wd: <http://www.wikidata.org/entity/> .\n"
                    b"@prefix p: <http://www.wikidata.org/prop/> .\n"
                    b"@prefix ps: <http://www.wikidata.org/prop/statement/> .\n"
                    b"@prefix pq: <http://www.wikidata.org/prop/qualifier/> .\n"
                    b'wd:Q1295 p:P190 wd:s1 .\nwd:s1 ps:P190 wd:Q41604 ;\n  pq:P582 "nineteen sixty" .\n',
     ["wordend.ttl, line 7", "P582", "'nineteen sixty' is not a date or dateTime"]),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_exit_2_with_file_and_reason(settings: Settings, built: BuildResult, tmp_path: Path,
                                                  name: str, content: bytes, expected: list[str]) -> None:
    """Bad input: exit 2, a message naming the file (and line where the parser gives one), no
    traceback, nothing on standard output."""
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = diff(settings, path)
    assert code == 2, err
    assert out == ""
    assert err.startswith("citygraph wikidata: error: ") and "Traceback" not in err
    for text in expected:
        assert text in err, (text, err)


def test_missing_source_and_empty_directory(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    """A missing path, and a directory without relations.tsv, are errors naming the path."""
    code, _, err = diff(settings, tmp_path / "nothing-here")
    assert code == 2 and "Wikidata extract not found" in err and "nothing-here" in err
    code, _, err = diff(settings, tmp_path)
    assert code == 2 and "no relations.tsv" in err and str(tmp_path) in err


def test_help_documents_exit_codes_and_scope(capsys: pytest.CaptureFixture[str]) -> None:
    """``wikidata diff --help`` states the exit codes and the scope."""
    code, _, _ = run(["wikidata", "diff", "--help"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no unexpected difference" in out and "Scope:" in out and "--as-of" in out
    assert (REPO / "docs" / "wikidata.md").is_file()


def test_unknown_value_twins_are_skipped_and_counted_in_every_reader(settings: Settings, built: BuildResult,
                                                                     tmp_path: Path) -> None:
    """A twin that is "unknown value" (WDQS's /.well-known/genid/ IRI, or a blank node) is skipped by
    the JSON and the RDF readers alike, and the report's header counts it."""
    genid = "http://www.wikidata.org/.well-known/genid/0f3b1a5e2c6d8e9f"
    json_path = tmp_path / "genid.json"
    json_path.write_text(json.dumps({"head": {"vars": ["item", "twin"]}, "results": {"bindings": [
        {"item": {"type": "uri", "value": WD + DORTMUND}, "twin": {"type": "uri", "value": WD + AMIENS}},
        {"item": {"type": "uri", "value": WD + DORTMUND}, "twin": {"type": "uri", "value": genid}},
        {"item": {"type": "uri", "value": WD + LEEDS}, "twin": {"type": "bnode", "value": "b0"}}]}}),
        encoding="utf-8")
    nt_path = tmp_path / "genid.nt"
    nt_path.write_text(f"<{WD}{DORTMUND}> <{P190}> <{WD}{AMIENS}> .\n<{WD}{DORTMUND}> <{P190}> <{genid}> .\n"
                       f"<{WD}{LEEDS}> <{P190}> _:b0 .\n", encoding="utf-8")
    reports = []
    for path in (json_path, nt_path):
        code, out, err = diff(settings, path, "--as-of", "2026-01-01")
        assert code == 1, err
        assert 'skipped: 2 P190 statement(s) whose twin is "unknown value"' in out
        assert "of Q1295, Q39121" in out
        code, report = diff_json(settings, path, "--as-of", "2026-01-01")
        assert report["extract"]["unknown_twins_skipped"] == 2
        reports.append(report)
    assert reports[0]["pairs"] == reports[1]["pairs"]
    # Leeds's statements are covered (it has one, of unknown value): Leeds → Dortmund is missing.
    assert categories(pair(reports[0], DORTMUND, LEEDS)) == {"missing-on-wikidata": "unexpected"}


def test_time_values_must_be_real_dates() -> None:
    """Wikidata's 00 digits past the precision are read; a day or month that cannot exist is not."""
    from citygraph.wikidata.extract import ImpossibleTime, TimeValue

    assert str(TimeValue.parse("+1960-00-00T00:00:00Z", 9)) == "1960"
    assert str(TimeValue.parse("2024-02-29T00:00:00Z", 11)) == "2024-02-29"
    assert str(TimeValue.parse("2000-02-29", None)) == "2000"
    assert TimeValue.parse("nineteen sixty", None) is None
    for text, precision in (("2023-02-29T00:00:00Z", 11), ("1900-02-29", 9), ("1960-13-01", 9),
                            ("1960-04-31", None), ("1960-00-00", 10), ("1960-05-00", 11),
                            ("1960-00-05", 9), ("1960-01-01T25:00:00Z", 11)):
        with pytest.raises(ImpossibleTime):
            TimeValue.parse(text, precision)


def test_starts_are_compared_per_direction(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    """Each P190 statement has its own P580: Kumasi → Dortmund without a start is reported even
    though Dortmund → Kumasi has the right one (2024-05-14), which is no finding."""
    path = tmp_path / "kumasi.json"
    path.write_text(wdqs_json([
        {"item": DORTMUND, "twin": KUMASI, "start": "2024-05-14T00:00:00Z", "startPrecision": "11"},
        {"item": KUMASI, "twin": DORTMUND}], ["item", "twin", "start", "startPrecision"]), encoding="utf-8")
    code, report = diff_json(settings, path, "--as-of", "2026-01-01")
    kumasi = pair(report, DORTMUND, KUMASI)
    assert categories(kumasi) == {"agree": "agree", "start-missing-on-wikidata": "unexpected"}
    assert [f["reason"] for f in kumasi["findings"][1:]] == [
        "Kumasi (Q182059) → Dortmund (Q1295): the extract's statement has no start (P580) (the statement "
        "Dortmund (Q1295) → Kumasi (Q182059) has 2024-05-14); citygraph: "
        + kumasi["findings"][1]["reason"].split("; citygraph: ", 1)[1]]
    assert "2024-05-14" in kumasi["findings"][1]["reason"].split("; citygraph: ", 1)[1]


def test_an_agreement_citygraph_has_only_from_wikidata_is_circular(
        settings: Settings, built: BuildResult, crawl_report: tuple[int, dict[str, Any]]) -> None:
    """Bonn–Cape Coast is in citygraph only from the 2016 crawl: its agreement with that crawl is
    labelled circular in JSON, text and CSV; Dortmund–Amiens (from dortmund.de) is not."""
    _, report = crawl_report
    bonn = pair(report, "Q586", CAPE_COAST)
    assert bonn["verdict"] == "agree" and bonn["circular"] is True
    assert "circular: citygraph has this pair only from Wikidata" in bonn["findings"][0]["reason"]
    assert pair(report, DORTMUND, AMIENS)["circular"] is False
    assert report["summary"]["agree_circular"] == len([p for p in report["pairs"] if p["circular"]]) >= 1
    _, out, _ = diff(settings, CRAWL)
    assert "Bonn (Q586) – Cape Coast (Q221283) [circular: citygraph has this pair only from Wikidata]" in out
    assert "Dortmund (Q1295) – Amiens (Q41604)\n" in out
    _, out, _ = diff(settings, CRAWL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["circular"] for r in rows if {r["item"], r["twin"]} == {"Q586", CAPE_COAST}} == {"true"}
    assert {r["circular"] for r in rows if {r["item"], r["twin"]} == {DORTMUND, AMIENS}} == {"false"}
