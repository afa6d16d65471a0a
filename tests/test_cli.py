"""The command line: commands, formats, exit codes, clear errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from citygraph.cli import main
from citygraph.config import Settings
from citygraph.pipeline import BuildResult

DORTMUND = "https://w3id.org/citygraph/id/city/dortmund"
TWINS_QUERY = (f"SELECT ?twin WHERE {{ <{DORTMUND}> cg:twinnedWith ?twin }} ORDER BY ?twin")


CITYGRAPH = str(Path(sys.executable).with_name("citygraph"))  # the installed console script


def run(*argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def where(settings: Settings) -> list[str]:
    return ["--root", str(settings.root), "--dist", str(settings.dist_dir)]


def test_help_documents_exit_codes() -> None:
    proc = subprocess.run([CITYGRAPH, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "exit codes:" in proc.stdout and "does not conform" in proc.stdout
    for command in ("build", "validate", "query", "serve"):
        sub = subprocess.run([CITYGRAPH, command, "--help"], capture_output=True, text=True,
                             check=False)
        assert sub.returncode == 0 and "exit codes:" in sub.stdout, command


def test_usage_error_exits_2() -> None:
    assert run("frobnicate")[0] == 2


def test_validate_real_data_conforms(repo: Path) -> None:
    code, out, _ = run("validate", "--root", str(repo))
    assert code == 0
    assert out.startswith("Conforms: 0 violation(s)")


def test_validate_bad_file_exits_1_with_a_report_grouped_by_focus(project: Path) -> None:
    bad = project / "data" / "zz-bad.ttl"
    bad.write_text(
        "@prefix cg: <https://w3id.org/citygraph/ontology#> .\n"
        "@prefix partnership: <https://w3id.org/citygraph/id/partnership/> .\n"
        "partnership:broken a cg:Partnership .\n", encoding="utf-8")
    code, out, _ = run("validate", "--root", str(project))
    assert code == 1
    block = out.split("https://w3id.org/citygraph/id/partnership/broken\n", 1)[1]
    assert "[Violation] https://w3id.org/citygraph/ontology#partner" in block
    code, out, _ = run("validate", "--root", str(project), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["conforms"] is False
    assert any(r["focusNode"].endswith("/partnership/broken") for r in report["results"])
    code, out, _ = run("validate", "--root", str(project), "--format", "turtle")
    assert code == 1 and len(Graph().parse(data=out, format="turtle")) > 0


def test_validate_syntax_error_names_file_and_line_without_traceback(project: Path) -> None:
    bad = project / "data" / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c\nex:d ex:e ex:f .\n",
                   encoding="utf-8")
    code, out, err = run("validate", "--root", str(project), str(bad))
    assert code == 2 and out == ""
    assert f"{bad}, line 3" in err and "Traceback" not in err


def test_validate_unknown_prefix_is_named(project: Path) -> None:
    bad = project / "data" / "prefix.ttl"
    bad.write_text("<http://example.org/a> rdfs:label \"x\" .\n", encoding="utf-8")
    code, _, err = run("validate", "--root", str(project), str(bad))
    assert code == 2 and "rdfs:" in err and "line 1" in err


def test_missing_paths_are_reported(tmp_path: Path, repo: Path) -> None:
    code, _, err = run("validate", "--root", str(repo), str(tmp_path / "nope.ttl"))
    assert code == 2 and "not found" in err and "nope.ttl" in err
    code, _, err = run("build", "--root", str(tmp_path / "nowhere"))
    assert code == 2 and "project directory not found" in err


def test_query_text_table(settings: Settings, built: BuildResult) -> None:
    code, out, _ = run("query", *where(settings), TWINS_QUERY)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].strip() == "twin"
    assert any(line.endswith("/city/amiens") for line in lines)
    assert lines[-1].startswith("(") and "rows)" in lines[-1]


def test_query_csv_tsv_json(settings: Settings, built: BuildResult) -> None:
    _, out_csv, _ = run("query", *where(settings), "--format", "csv", TWINS_QUERY)
    rows = list(csv.reader(io.StringIO(out_csv)))
    assert rows[0] == ["twin"] and [DORTMUND.replace("dortmund", "amiens")] in rows
    _, out_tsv, _ = run("query", *where(settings), "--format", "tsv", TWINS_QUERY)
    assert out_tsv.splitlines()[0] == "?twin"
    assert f"<{DORTMUND.replace('dortmund', 'amiens')}>" in out_tsv.splitlines()
    _, out_json, _ = run("query", *where(settings), "--format", "json", TWINS_QUERY)
    bindings = json.loads(out_json)["results"]["bindings"]
    assert len(bindings) == len(rows) - 1


def test_query_from_file_and_stdin(settings: Settings, built: BuildResult, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "q.rq"
    path.write_text(TWINS_QUERY, encoding="utf-8")
    _, from_file, _ = run("query", *where(settings), "--format", "csv", str(path))
    _, from_stdin, _ = run("query", *where(settings), "--format", "csv", "-",
                           stdin=TWINS_QUERY, monkeypatch=monkeypatch)
    _, from_text, _ = run("query", *where(settings), "--format", "csv", TWINS_QUERY)
    assert from_file == from_stdin == from_text


def test_query_ask_and_construct(settings: Settings, built: BuildResult) -> None:
    code, out, _ = run("query", *where(settings), f"ASK {{ <{DORTMUND}> a cg:City }}")
    assert (code, out) == (0, "true\n")
    code, out, _ = run("query", *where(settings),
                       f"CONSTRUCT {{ <{DORTMUND}> rdfs:label ?l }} WHERE {{ <{DORTMUND}> rdfs:label ?l }}")
    graph = Graph().parse(data=out, format="turtle")
    assert code == 0 and {lit.language for lit in graph.objects()} >= {"de", "en"}


def test_malformed_query_gets_the_parser_message(settings: Settings, built: BuildResult) -> None:
    code, out, err = run("query", *where(settings), "SELECT * WHERE { ?s ?p }")
    assert code == 2 and out == ""
    assert "SPARQL syntax error" in err and "1:" in err and "Traceback" not in err


def test_query_missing_file(settings: Settings, built: BuildResult, tmp_path: Path) -> None:
    code, _, err = run("query", *where(settings), str(tmp_path / "absent.rq"))
    assert code == 2 and "query file not found" in err


def test_update_is_refused(settings: Settings, built: BuildResult) -> None:
    code, _, err = run("query", *where(settings), "INSERT DATA { <http://e/a> <http://e/b> 1 }")
    assert code == 2 and "read-only" in err


def test_installed_command_runs_in_the_repository_root(repo: Path, tmp_path: Path) -> None:
    env = dict(os.environ, CITYGRAPH_DIST=str(tmp_path / "dist"))
    proc = subprocess.run([CITYGRAPH, "query", "--format", "csv", TWINS_QUERY], cwd=repo,
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert DORTMUND.replace("dortmund", "leeds") in proc.stdout
