"""No query text stalls the server: the inputs that once froze it (quadratic regexes in the web
process), crashed the engine (deep nesting) or were a 500 (nested SERVICE, undeclared prefixes)
are sent to a real ``citygraph serve`` on 127.0.0.1, each gets its 4xx, and a small query sent
meanwhile is answered within a second. The CLI gives the same errors, without a traceback."""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from servers import serving

from citygraph.config import DEFAULT_MAX_QUERY_DEPTH, Settings
from citygraph.pipeline import BuildResult
from citygraph.sparqltext import analyse

#: (name, query text, expected status, a phrase of the answer)
BAD: list[tuple[str, str, int, str]] = [
    ("quote-backslash", '"\\' * 32760, 400, "syntax error"),
    ("apostrophe-backslash", "'\\" * 32760, 400, "syntax error"),
    ("parentheses", "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }", 400,
     f"limit of {DEFAULT_MAX_QUERY_DEPTH} (setting max_query_depth"),
    ("negations", "ASK { FILTER(" + "!" * 10000 + "true) }", 400, "max_query_depth"),
    ("str-calls", "SELECT * WHERE { FILTER(" + "STR(" * 3000 + "1" + ")" * 3000 + ") }", 400,
     "max_query_depth"),
    ("braces", "SELECT * WHERE " + "{" * 5000 + "}" * 5000, 400, "max_query_depth"),
    ("deep-service", "SELECT * WHERE { " + "{" * 5000 + "SERVICE <http://a/> {}" + "}" * 5000
     + " }", 400, "max_query_depth"),
    ("union-chain", "SELECT * WHERE { {}" + "UNION{}" * 3000 + " }", 400, "max_query_depth"),
    # Flat lists that the engine nests as deeply as brackets (each crashed a worker under 64 KiB).
    ("bind-chain", "SELECT * { " + "".join(f"BIND({i} AS ?x{i}) " for i in range(2800)) + "}", 400,
     "max_query_depth"),
    ("filter-chain", "ASK { " + "FILTER(1=1) " * 5000 + "}", 400, "max_query_depth"),
    ("projection", "SELECT " + "".join(f"(1 AS ?v{i}) " for i in range(3000)) + "{}", 400,
     "max_query_depth"),
    ("describe-list", "DESCRIBE " + "<http://e/a> " * 4000, 400, "max_query_depth"),
    ("order-by-list", "SELECT * {} ORDER BY " + "?x " * 6000, 400, "max_query_depth"),
    ("nested-service", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/a> { SERVICE "
     "<http://127.0.0.1:9/b> { ?s ?p ?o } } }", 403, "allowlist"),
    ("wdqs-label", 'SELECT * WHERE {\n  ?c cg:wikidataEntity ?q .\n  SERVICE wikibase:label '
     '{ nosuch:serviceParam wikibase:language "en". } }', 400, "line 3, column 28: unknown prefix 'nosuch:'"),
    ("comment-only", "#", 400, "missing query"),
    ("prefix-only", "PREFIX ex: <http://e/>\n# nothing else", 400, "missing query"),
]


#: The abusing clients and the client whose small query must be answered: distinct addresses.
ABUSER, CLIENT = "127.0.0.2", "127.0.0.3"


def post(base: str, text: str, timeout: float = 60, source: str = "127.0.0.1") -> tuple[int, str]:
    """POST a query as application/sparql-query from the loopback address ``source`` (each
    address is a client of its own for the server's budgets); the status and the body."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0))
    try:
        connection.request("POST", "/sparql", body=text.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(settings: Settings, built: BuildResult) -> Iterator[str]:
    """A real ``citygraph serve`` (waitress, two query workers) on a free loopback port."""
    with serving(settings, "query_workers=2") as served:
        yield served.base


@pytest.mark.parametrize("name,text,status,phrase", BAD, ids=[b[0] for b in BAD])
def test_each_bad_input_gets_its_4xx(server: str, name: str, text: str, status: int,
                                     phrase: str) -> None:
    code, body = post(server, text)
    assert (code, phrase in body) == (status, True), body[:300]


def test_get_with_a_comment_only_query_is_a_400(server: str) -> None:
    try:
        with urllib.request.urlopen(server + "/sparql?query=%23", timeout=30) as response:
            code, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        code, body = exc.code, exc.read().decode()
    assert code == 400 and "missing query" in body


def test_a_small_query_is_answered_within_a_second_while_the_worst_inputs_arrive(
        server: str) -> None:
    stop = threading.Event()
    statuses: list[tuple[str, int]] = []

    def abuse() -> None:
        while not stop.is_set():
            for name, text, _, _ in BAD:
                statuses.append((name, post(server, text, source=ABUSER)[0]))

    abusers = [threading.Thread(target=abuse, daemon=True) for _ in range(2)]
    for thread in abusers:
        thread.start()
    latencies: list[float] = []
    answers: list[int] = []
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            started = time.monotonic()
            answers.append(post(server, "ASK {}", timeout=5, source=CLIENT)[0])
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in abusers:
            thread.join(120)
    assert set(answers) == {200}
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
    # Every bad input was sent at least once meanwhile, and none was a 500.
    assert {name for name, _ in statuses} >= {name for name, *_ in BAD[:2]}
    assert all(400 <= code < 500 for _, code in statuses), statuses


def cli(settings: Settings, text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``citygraph query -`` with ``text`` on standard input."""
    return subprocess.run([sys.executable, "-m", "citygraph", "query", "--root",
                           str(settings.root), "--dist", str(settings.dist_dir), *extra, "-"],
                          input=text, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,text,status,phrase",
                         [b for b in BAD if b[0] in ("parentheses", "wdqs-label", "comment-only",
                                                     "quote-backslash")],
                         ids=["parentheses", "wdqs-label", "comment-only", "quote-backslash"])
def test_the_cli_gives_the_same_errors_without_a_traceback(settings: Settings, built: BuildResult,
                                                           name: str, text: str, status: int,
                                                           phrase: str) -> None:
    result = cli(settings, text)
    assert result.returncode == 2, result.stderr
    assert phrase in result.stderr and "Traceback" not in result.stderr


def test_the_cli_reads_the_depth_setting(settings: Settings, built: BuildResult) -> None:
    text = "ASK { FILTER(" + "(" * 20 + "true" + ")" * 20 + ") }"
    assert cli(settings, text).returncode == 0
    refused = cli(settings, text, "--setting", "max_query_depth=10")
    assert refused.returncode == 2 and "limit of 10 (setting max_query_depth" in refused.stderr


def _largest(make: Callable[[int], str], limit: int = DEFAULT_MAX_QUERY_DEPTH) -> str:
    """The query ``make(n)`` for the largest n whose depth is within ``limit``."""
    n = 1
    while analyse(make(n * 2)).effective_depth <= limit:
        n *= 2
    low, high = n, n * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if analyse(make(middle)).effective_depth <= limit else (low, middle)
    text = make(low)
    assert analyse(text).effective_depth in (limit, limit - 1), (analyse(text), text[:60])
    return text


#: The constructs that crash the engine soonest (measured in benchmarks/README.md), each as deep
#: as the default limit lets it be, and one mixing nesting with a long sequence.
AT_THE_LIMIT: dict[str, Callable[[int], str]] = {
    "filter-exists": lambda n: "ASK { " + "FILTER EXISTS {" * n + "}" * n + " }",
    "filter-paren-exists": lambda n: "ASK { " + "FILTER(EXISTS{" * n + "})" * n + " }",
    "sum": lambda n: "SELECT (" + "SUM(" * n + "1" + ")" * n + " AS ?x) WHERE {}",
    "str": lambda n: "ASK { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "coalesce": lambda n: "ASK { FILTER(" + "COALESCE(" * n + "1" + ")" * n + ") }",
    "minus-chain": lambda n: "ASK { " + "{}MINUS" * n + "{} }",
    # In a template, not a pattern: a pattern's list is a join of 2n patterns (a timeout).
    "list-items": lambda n: "CONSTRUCT { <http://e/s> <http://e/p> (" + " 1" * n + ") } WHERE {}",
    "exists-then-minus": lambda n: "ASK { " + "FILTER EXISTS {" * 120 + "{}MINUS" * n + "{}"
                                   + "}" * 120 + " }",
}


@pytest.mark.parametrize("name", list(AT_THE_LIMIT))
def test_queries_at_the_default_limit_run_without_crashing_the_engine(server: str,
                                                                      name: str) -> None:
    text = _largest(AT_THE_LIMIT[name])
    code, body = post(server, text)
    assert code == 200, body[:300]
    deeper = text.replace("ASK {", "ASK { {", 1).replace("SELECT (", "SELECT ((", 1)
    deeper = deeper[: -1] + "} }" if deeper.startswith("ASK { {") else deeper.replace(" AS ?x", ") AS ?x", 1)
    if analyse(deeper).effective_depth > DEFAULT_MAX_QUERY_DEPTH:
        assert post(server, deeper)[0] == 400


def test_the_depth_setting_applies_to_sparql_and_api(app_context: object, client: FlaskClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app_context.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(app_context, "settings", settings.replace(max_query_depth=4))
    deep = "ASK { FILTER(((true))) }"  # 4 levels of brackets and a FILTER: 4.25, rounded up
    response = client.get("/sparql", query_string={"query": deep})
    assert response.status_code == 400
    assert "nests 5 levels deep, more than the limit of 4 (setting max_query_depth" in response.text
    assert client.get("/sparql", query_string={"query": "ASK { FILTER((true)) }"}).status_code == 200
    response = client.get("/api/partnership-counts")  # a curated query nests deeper than 4
    assert response.status_code == 400 and "max_query_depth" in response.text
