"""The command line: commands, formats, exit codes, clear errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from citygraph.cli import main
from citygraph.config import Settings
from citygraph.pipeline import BuildResult

if TYPE_CHECKING:
    from conftest import Background, StartBackground

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


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.run([CITYGRAPH, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0  # the installed command
    assert "exit codes:" in proc.stdout and "does not conform" in proc.stdout
    for command in ("build", "validate", "query", "serve"):
        assert run(command, "--help")[0] == 0
        assert "exit codes:" in capsys.readouterr().out, command


def test_usage_error_exits_2() -> None:
    assert run("frobnicate")[0] == 2


@pytest.fixture(scope="module", autouse=True)
def real_data_validation(request: pytest.FixtureRequest, repo: Path,
                         start_background: StartBackground,
                         tmp_path_factory: pytest.TempPathFactory) -> Background | None:
    """``citygraph validate`` in the repository root, run by the installed command in another
    process: started with this module's first test (when the test that checks it is selected),
    so it runs on the other core meanwhile."""
    if not any(i.name == "test_validate_real_data_conforms" for i in request.session.items):
        return None
    return start_background([CITYGRAPH, "validate", "--root", str(repo)],
                            tmp_path_factory.mktemp("validate-real-data"), {})


BAD_NODES = (
    "@prefix cg: <https://w3id.org/citygraph/ontology#> .\n"
    "@prefix partnership: <https://w3id.org/citygraph/id/partnership/> .\n"
    "@prefix city: <https://w3id.org/citygraph/id/city/> .\n"
    "partnership:broken a cg:Partnership .\n"
    "city:nowhere a cg:City .\n"
)
BROKEN = "https://w3id.org/citygraph/id/partnership/broken"
NOWHERE = "https://w3id.org/citygraph/id/city/nowhere"
SEVERITIES = {"Violation": 0, "Warning": 1, "Info": 2}
RESULT_LINE = re.compile(r"^\[(\w+)\](?: (\S+))?: ")


def blocks(text: str) -> dict[str, list[str]]:
    """The text report's blocks: focus node → its result lines (without the shape lines)."""
    out: dict[str, list[str]] = {}
    for block in text.split("\n\n")[1:]:
        head, *lines = block.strip("\n").splitlines()
        assert head not in out, f"{head} has two blocks"
        out[head] = [line.strip() for line in lines if line.startswith("  [")]
    return out


def result_key(line: str) -> tuple[int, str]:
    """(severity rank, path) of a result line of the text report."""
    match = RESULT_LINE.match(line)
    assert match, line
    return SEVERITIES[match.group(1)], match.group(2) or ""


def test_validate_bad_file_exits_1_with_a_report_grouped_by_focus(small_project: Path) -> None:
    (small_project / "data" / "zz-bad.ttl").write_text(BAD_NODES, encoding="utf-8")
    code, out, _ = run("validate", "--root", str(small_project))
    assert code == 1 and out.startswith("Does not conform: ")
    report = blocks(out)
    assert list(report) == [NOWHERE, BROKEN]  # one block per focus node, in IRI order
    assert "[Violation] https://w3id.org/citygraph/ontology#partner: " in " ".join(report[BROKEN])
    for focus, lines in report.items():  # within a block: by severity, then path
        keys = [result_key(line) for line in lines]
        assert keys == sorted(keys), focus
    assert {0, 1} <= {severity for severity, _ in map(result_key, report[NOWHERE])}

    code, out_json, _ = run("validate", "--root", str(small_project), "--format", "json")
    parsed = json.loads(out_json)
    assert code == 1 and parsed["conforms"] is False and parsed["omitted"] is None
    focus_nodes = [r["focusNode"] for r in parsed["results"]]
    assert focus_nodes == [NOWHERE] * len(report[NOWHERE]) + [BROKEN] * len(report[BROKEN])
    assert sum(parsed["counts"].values()) == len(parsed["results"])

    code, out_ttl, _ = run("validate", "--root", str(small_project), "--format", "turtle")
    graph = Graph().parse(data=out_ttl, format="turtle")
    assert code == 1 and len(list(graph.objects(None, SH.result))) == len(parsed["results"])
    assert out_ttl.index(NOWHERE) < out_ttl.rindex(NOWHERE) < out_ttl.index(BROKEN)


NEW_FILE = (
    "@prefix cg: <https://w3id.org/citygraph/ontology#> .\n"
    "@prefix cgkind: <https://w3id.org/citygraph/id/partnership-kind/> .\n"
    "@prefix cgstatus: <https://w3id.org/citygraph/id/partnership-status/> .\n"
    "@prefix city: <https://w3id.org/citygraph/id/city/> .\n"
    "@prefix ps: <https://w3id.org/citygraph/id/partnership/> .\n"
    "@prefix src: <https://w3id.org/citygraph/id/source/> .\n"
    "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "ps:zz-friendship a cg:Partnership ;\n"
    '    rdfs:label "Freundschaft Dortmund–Amiens"@de , "Dortmund–Amiens friendship"@en ;\n'
    "    cg:partner city:dortmund , city:amiens ; cg:kind cgkind:friendship ;\n"
    "    cg:status cgstatus:active ; prov:wasDerivedFrom src:ctx-article .\n"
)
FRIENDSHIP = "https://w3id.org/citygraph/id/partnership/zz-friendship"


def test_validate_file_checks_it_with_the_rest_of_the_data(small_project: Path,
                                                          tmp_path_factory: pytest.TempPathFactory
                                                          ) -> None:
    """A file is validated with data/ as context and only its own nodes are reported."""
    new = tmp_path_factory.mktemp("drafts") / "friendship.ttl"
    new.write_text(NEW_FILE, encoding="utf-8")  # points to Dortmund, Amiens, a source in data/
    (small_project / "data" / "zz-bad.ttl").write_text(BAD_NODES, encoding="utf-8")
    code, out, _ = run("validate", "--root", str(small_project), str(new))
    assert code == 0, out  # the references resolve; data/zz-bad.ttl's violations are not ours
    lines = out.splitlines()
    assert lines[0].startswith("Conforms: 0 violation(s)")
    assert re.match(r"Not shown: [1-9][0-9]* violation\(s\)", lines[1]), lines[1]
    assert set(blocks(out)) <= {FRIENDSHIP} and NOWHERE not in out and BROKEN not in out

    code, out, _ = run("validate", "--root", str(small_project), "--alone", "--format", "json",
                       str(new))
    parsed = json.loads(out)
    assert code == 1 and parsed["conforms"] is False and parsed["omitted"] is not None
    assert {r["focusNode"] for r in parsed["results"]} == {FRIENDSHIP}
    unresolved = {r["path"] for r in parsed["results"] if r["severity"] == "Violation"}
    assert "https://w3id.org/citygraph/ontology#partner" in unresolved  # untyped partners alone

    code, _, err = run("validate", "--root", str(small_project), "--alone")
    assert code == 2 and "--alone" in err


def test_validate_syntax_error_names_file_and_line_without_traceback(small_project: Path
                                                                    ) -> None:
    bad = small_project / "data" / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c\nex:d ex:e ex:f .\n",
                   encoding="utf-8")
    code, out, err = run("validate", "--root", str(small_project), str(bad))
    assert code == 2 and out == ""
    assert f"{bad}, line 3" in err and "Traceback" not in err


def test_validate_unknown_prefix_is_named(small_project: Path) -> None:
    bad = small_project / "data" / "prefix.ttl"
    bad.write_text("<http://example.org/a> rdfs:label \"x\" .\n", encoding="utf-8")
    code, _, err = run("validate", "--root", str(small_project), str(bad))
    assert code == 2 and "rdfs:" in err and "line 1" in err


def test_build_with_a_broken_query_exits_2_naming_file_and_line(small_project: Path) -> None:
    bad = small_project / "queries" / "zz-broken.rq"
    bad.write_text("#+ title: Broken\nSELECT ?s WHERE {\n  ?s a nope:Thing .\n}\n",
                   encoding="utf-8")
    code, out, err = run("build", "--root", str(small_project))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{bad}, line 3: SPARQL syntax error" in err
    assert not (small_project / "dist").exists()


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


def test_installed_command_runs_in_the_repository_root(repo: Path, built: BuildResult,
                                                        tmp_path: Path) -> None:
    """The console script, run in the repository root, finds the project there (no --root).

    It queries a copy of the session's build (fresh, so nothing is rebuilt); that ``query``
    builds first when there is no build is shown on a small project below.
    """
    shutil.copytree(built.dist, tmp_path / "dist")  # keeps the files' times: still fresh
    env = dict(os.environ, CITYGRAPH_DIST=str(tmp_path / "dist"))
    proc = subprocess.run([CITYGRAPH, "query", "--format", "csv", TWINS_QUERY], cwd=repo,
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert DORTMUND.replace("dortmund", "leeds") in proc.stdout



def test_query_builds_first_when_there_is_no_build(small_project: Path) -> None:
    """It says so on standard error (standard output is the answer's), with the summary."""
    assert not (small_project / "dist").exists()
    code, out, err = run("query", "--root", str(small_project), f"ASK {{ <{DORTMUND}> a cg:City }}")
    assert (code, out) == (0, "true\n")
    lines = err.splitlines()
    assert lines[0] == f"building {small_project / 'dist'} first (no build yet) …"
    assert lines[1].startswith(f"built {small_project / 'dist'} (version ") and "triples" in lines[1]
    assert (small_project / "dist" / "manifest.json").is_file()
    code, out, err = run("query", "--root", str(small_project), f"ASK {{ <{DORTMUND}> a cg:City }}")
    assert (code, out, err) == (0, "true\n", "")  # fresh now: nothing built, nothing said


def long_twins_query(length: int) -> str:
    """TWINS_QUERY on one line, made ``length`` characters long by a filter that keeps every
    twin (a list of IRIs no twin has)."""
    head = f"SELECT ?twin WHERE {{ <{DORTMUND}> cg:twinnedWith ?twin FILTER(?twin NOT IN ("
    tail = ")) } ORDER BY ?twin"
    iris = []
    n = 0
    while len(head) + len(", ".join(iris)) + len(tail) < length:
        iris.append(f"<http://example.org/not-a-twin/{n}>")
        n += 1
    return head + ", ".join(iris) + tail


@pytest.mark.parametrize("length", [300, 5000, 200_000])
def test_a_one_line_query_of_any_length_runs(settings: Settings, built: BuildResult,
                                             length: int) -> None:
    """Longer than a file name may be (255 bytes), than a path (4096), or than both by far."""
    text = long_twins_query(length)
    assert "\n" not in text and len(text) >= length
    code, out, err = run("query", *where(settings), "--format", "csv", text)
    assert code == 0, err
    _, short, _ = run("query", *where(settings), "--format", "csv", TWINS_QUERY)
    assert out == short
    no_slash = 'ASK { FILTER("' + "x" * length + '" != "") }'  # one long path component
    assert run("query", *where(settings), no_slash)[:2] == (0, "true\n")


def test_a_named_query_runs_by_name_with_params(settings: Settings, built: BuildResult) -> None:
    amiens = DORTMUND.replace("dortmund", "amiens")
    code, out, err = run("query", *where(settings), "partners-of-city", "--format", "csv",
                         "--param", f"city={amiens}", "--param", "lang=de")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["city"] for r in rows} == {amiens} and DORTMUND in {r["partner"] for r in rows}
    assert {r["lang"] for r in rows} == {"de"}
    by_path = settings.root / "queries" / "partners-of-city.rq"
    _, same, _ = run("query", *where(settings), str(by_path), "--format", "csv",
                     "--param", f"city={amiens}", "--param", "lang=de")
    assert same == out
    _, default, _ = run("query", *where(settings), "partners-of-city", "--format", "csv")
    assert {r["city"] for r in csv.DictReader(io.StringIO(default))} == {DORTMUND}  # the default


def test_named_query_errors_are_clear(settings: Settings, built: BuildResult) -> None:
    code, out, err = run("query", *where(settings), "partners-of-nowhere")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "no query named 'partners-of-nowhere'" in err and "partners-of-city" in err
    code, _, err = run("query", *where(settings), "partners-of-city", "--param", "town=x")
    assert code == 2 and "'town'" in err and "city" in err  # names the known parameters
    code, _, err = run("query", *where(settings), "partners-of-city", "--param", "city=not an iri")
    assert code == 2 and "'city'" in err
    code, _, err = run("query", *where(settings), TWINS_QUERY, "--param", "city=x")
    assert code == 2 and "--param needs a named query" in err
    code, _, err = run("query", *where(settings), "partners-of-city", "--param", "lang")
    assert code == 2 and "has no value: write --param NAME=VALUE" in err and "Traceback" not in err


def test_each_command_lists_the_settings_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    from citygraph.cli import READS, settings_read
    from citygraph.config import SETTINGS

    for command in READS:
        assert run(command, "--help")[0] == 0
        text = capsys.readouterr().out
        listed = text.split("settings it reads", 1)[1]
        for setting in settings_read(command):
            line = next(x for x in listed.splitlines() if x.split()[:1] == [setting.env])
            assert setting.help.split()[0] in line, (command, setting.name)
            if setting.default is not None:
                assert f"(default: {setting.default})" in line, (command, setting.name)
        others = {s.env for s in SETTINGS} - {s.env for s in settings_read(command)}
        assert not any(env in listed.split() for env in others), command
    assert {s.name for s in settings_read("serve")} == {s.name for s in SETTINGS}
    assert {s.name for s in settings_read("build")} == {"root", "base_iri", "dist"}


def test_a_setting_the_command_does_not_read_is_warned_about(small_project: Path) -> None:
    code, _, err = run("validate", "--root", str(small_project), "--setting", "port=9999")
    assert code == 0
    assert "warning: --setting port: this command does not read it" in err


def test_serve_says_it_builds_first_and_prints_the_summary(small_project: Path) -> None:
    """On a project without a build, serve says it builds (before the build), prints the
    build's summary, then the serving line; it answers; Ctrl-C ends it."""
    import signal
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([CITYGRAPH, "serve", "--root", str(small_project), "--port",
                                str(port), "--setting", "query_workers=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        first = process.stdout.readline().decode()
        assert first == f"building {small_project / 'dist'} first (no build yet) …\n"
        summary = process.stdout.readline().decode()
        assert re.match(rf"built {re.escape(str(small_project / 'dist'))} \(version [0-9a-f]{{16}}\): "
                        r"\d+ triples in \d+ named graphs; 0 violation\(s\), \d+ warning\(s\), "
                        r"\d+ info\(s\)$", summary.strip()), summary
        times = process.stdout.readline().decode()
        assert re.match(r"^  load \d+\.\d\ds, infer .*, publish \d+\.\d\ds; \d+\.\ds in all$",
                        times.rstrip("\n")), times
        banner = process.stdout.readline().decode()
        assert banner.startswith("citygraph serving") and f":{port}/" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D",
                                    timeout=60) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()


# Last in the module: its command has been running beside the tests above.
def test_validate_real_data_conforms(real_data_validation: Background | None) -> None:
    assert real_data_validation is not None
    code, out, err = real_data_validation.wait()
    assert code == 0, out + err
    assert out.startswith("Conforms: 0 violation(s)") and "Traceback" not in err


def readme_commands(repo: Path) -> dict[str, str]:
    """The README's set-up commands on its first screen: number → command (lines joined)."""
    first_screen = (repo / "README.md").read_text(encoding="utf-8").splitlines()[:40]
    block = first_screen[first_screen.index("```sh") + 1:]
    block = block[:block.index("```")]
    commands: dict[str, str] = {}
    number = ""
    for line in block:
        if line.startswith("# "):
            number = line.split(".")[0][2:]
            commands[number] = ""
        elif line.strip():
            commands[number] += line.rstrip("\\").strip() + " "
    return {k: v.strip() for k, v in commands.items()}


def test_the_readme_has_two_set_up_commands_that_do_not_fight(repo: Path) -> None:
    """Serve and tests: apt-get update before installing, a venv each (ignored by git), --port;
    .ci/run runs the second one as written."""
    commands = readme_commands(repo)
    assert list(commands) == ["1", "2"]
    serve, tests = commands["1"], commands["2"]
    for command in (serve, tests):
        assert command.index("apt-get update") < command.index("apt-get install -y python3-venv")
    assert "chromium" in tests.split("&&")[1] and "apt-get install" in tests.split("&&")[1]
    venvs = [re.search(r"python3 -m venv (\S+) && \. (\S+)/bin/activate", c) for c in commands.values()]
    assert all(v is not None and v.group(1) == v.group(2) for v in venvs)
    serve_venv, test_venv = (v.group(1) for v in venvs if v is not None)
    assert serve_venv != test_venv
    ignored = (repo / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {f"{serve_venv}/", f"{test_venv}/"} <= set(ignored) and "/dist" in ignored
    assert serve.endswith("pip install . && citygraph serve --port 8000")
    assert tests.endswith("pip install '.[test]' && python -m pytest")
    script = (repo / ".ci" / "run").read_text(encoding="utf-8")
    extract = next(line for line in script.splitlines() if line.startswith("command="))
    proc = subprocess.run(["bash", "-c", f"{extract}; printf %s \"$command\""], cwd=repo,
                          capture_output=True, text=True, check=True)
    assert " ".join(proc.stdout.replace("\\\n", " ").split()) == tests
    assert 'eval "$command"' in script
