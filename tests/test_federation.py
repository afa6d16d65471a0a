"""Federated queries: SERVICE calls reach only allowlisted endpoints (a real Oxigraph server on
127.0.0.1 answers the allowed ones; a recording server proves the refused ones never leave)."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from citygraph.config import Settings
from citygraph.errors import QuerySyntaxError, RemoteServiceError, ServiceForbidden
from citygraph.federation import VARIABLE_TARGET, check_services, service_targets
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore
from citygraph.vocab import PREFIXES

DORTMUND = "https://w3id.org/citygraph/id/city/dortmund"
REMOTE_DATA = """
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
wd:Q1295 wdt:P1082 586852 .
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def oxigraph_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph SPARQL server (the ``oxigraph`` package) on 127.0.0.1 with a little data."""
    binary = Path(sys.executable).with_name("oxigraph")
    command = str(binary) if binary.exists() else shutil.which("oxigraph")
    assert command, "the oxigraph server (PyPI package 'oxigraph', a test dependency) is missing"
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    log = location / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([command, "serve", "--location", str(location / "db"),
                                    "--bind", f"127.0.0.1:{port}"], stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(base + "/store?default", data=REMOTE_DATA.encode(),
                                                 headers={"Content-Type": "text/turtle"},
                                                 method="POST")
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status in (200, 201, 204)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the oxigraph server did not start: "
                                       + log.read_text(errors="replace")) from None
                time.sleep(0.1)
        yield base + "/query"
    finally:
        process.terminate()
        process.wait(10)


class Recorder(http.server.BaseHTTPRequestHandler):
    """An HTTP server on loopback that only records the requests it gets."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        self.seen.append(self.path)
        self.send_response(500)
        self.end_headers()

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def recorder() -> Iterator[tuple[str, list[str]]]:
    """The URL of a recording server and the list of request paths it has received."""
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", seen
    finally:
        server.shutdown()
        server.server_close()


def test_targets_are_found_wherever_the_clause_is() -> None:
    text = """PREFIX ex: <http://example.org/>
        SELECT * WHERE {
          ?s a sd:Service .
          OPTIONAL { SERVICE SILENT ex:one { ?s ?p ?o } }
          FILTER EXISTS { SERVICE <http://example.org/two> { ?s ?q ?r } }
          { SELECT ?s WHERE { SERVICE wd:three { ?s ?x ?y } } }
          MINUS { SERVICE ?endpoint { ?s ?z ?w } }
        }"""
    prefixes = dict(PREFIXES, sd="http://www.w3.org/ns/sparql-service-description#")
    assert sorted(service_targets(text, prefixes)) == sorted([
        "http://example.org/one", "http://example.org/two",
        "http://www.wikidata.org/entity/three", VARIABLE_TARGET])


def test_a_query_without_service_is_not_parsed_twice() -> None:
    # Not even valid SPARQL: without the word SERVICE, the engine alone judges the query.
    assert service_targets("SELECT * WHERE { ?s ?p", PREFIXES) == []


def test_a_variable_target_is_refused() -> None:
    with pytest.raises(ServiceForbidden, match="variable"):
        check_services("SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }", PREFIXES,
                       {"http://example.org/sparql"})


def test_a_service_without_a_target_is_refused_with_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError, match="line 2, column 11: SERVICE must be followed"):
        check_services("SELECT * WHERE {\n  SERVICE { ?s ?p ?o } }", PREFIXES, set())


def test_an_undeclared_prefix_in_a_target_is_named() -> None:
    with pytest.raises(QuerySyntaxError, match="unknown prefix 'nope:' in the SERVICE target nope:x"):
        check_services("ASK { SERVICE nope:x { ?s ?p ?o } }", PREFIXES, set())


def test_targets_in_comments_strings_and_iris_are_not_calls() -> None:
    text = ("# SERVICE <http://evil.example/> { }\n"
            'SELECT * WHERE { ?s <http://e/SERVICE> "SERVICE <http://evil.example/>",\n'
            "  '''SERVICE ?x { }''' ; <http://e/p> ?service . ?x a service:Service }")
    assert service_targets(text, dict(PREFIXES, service="http://e/s#")) == []


def test_declarations_escapes_and_base_count_as_the_engine_reads_them() -> None:
    allowed = {"https://query.wikidata.org/sparql"}
    for text in ("PREFIX w: <https://query.wikidata.org/> ASK { SERVICE w:sparql { } }",
                 "ASK { SERVICE <https://query.wikidata.org/\\u0073parql> { } }",
                 "ASK { SERVICE SILENT <https://query.wikidata.org/sparql> { } }"):
        check_services(text, PREFIXES, allowed)
    # A relative target is never taken for an allowlisted IRI, whatever the base: refused.
    with pytest.raises(ServiceForbidden, match="<sparql> is not allowed"):
        check_services("BASE <https://query.wikidata.org/> ASK { SERVICE <sparql> { } }",
                       PREFIXES, allowed)
    # A query's own prefix wins over a predeclared one of the same name.
    with pytest.raises(ServiceForbidden, match="<http://evil.example/sparql>"):
        check_services("PREFIX wd: <http://evil.example/> ASK { SERVICE wd:sparql { } }",
                       PREFIXES, allowed)


def test_nested_and_deep_services_are_found_without_recursion() -> None:
    nested = "SELECT * WHERE { SERVICE <http://a/> { SERVICE <http://b/> { ?s ?p ?o } } }"
    assert service_targets(nested, PREFIXES) == ["http://a/", "http://b/"]
    deep = "SELECT * WHERE { " + "{" * 5000 + "SERVICE <http://c/> {}" + "}" * 5000 + " }"
    assert service_targets(deep, PREFIXES) == ["http://c/"]
    # '<' after an operand inside an expression is less-than, as the engine reads it: the
    # comment after it does not hide the SERVICE clause that follows.
    hidden = ("PREFIX e: <http://evil.example/>\nASK { BIND(1 AS ?a) BIND(2 AS ?b)\n"
              "FILTER(?a<?b)SERVICE e:x#>\n{ ?s ?p ?o } }")
    assert service_targets(hidden, PREFIXES) == ["http://evil.example/x"]


def test_the_wdqs_label_service_with_bd_undeclared_names_bd(settings: Settings,
                                                             built: BuildResult) -> None:
    store = EmbeddedStore(settings.dist_dir, services={"http://wikiba.se/ontology#label"},
                          prefixes=dict(PREFIXES, wikibase="http://wikiba.se/ontology#"))
    text = ("SELECT * WHERE {\n  ?c cg:wikidataEntity ?q .\n"
            '  SERVICE wikibase:label { nosuch:serviceParam wikibase:language "en". } }')
    with pytest.raises(QuerySyntaxError, match="line 3, column 28: unknown prefix 'nosuch:'"):
        store.query(text)


def test_allowed_endpoint_answers_a_federated_join(settings: Settings, built: BuildResult,
                                                   oxigraph_endpoint: str) -> None:
    store = EmbeddedStore(settings.dist_dir, services={oxigraph_endpoint})
    rows = list(store.query(f"""
        SELECT ?city ?population WHERE {{
          ?city cg:wikidataEntity wd:Q1295 .
          SERVICE <{oxigraph_endpoint}> {{ wd:Q1295 wdt:P1082 ?population }}
        }}"""))
    assert [(r["city"].value, r["population"].value) for r in rows] == [(DORTMUND, "586852")]


def test_endpoint_not_on_the_allowlist_is_never_called(settings: Settings, built: BuildResult,
                                                       oxigraph_endpoint: str,
                                                       recorder: tuple[str, list[str]]) -> None:
    url, seen = recorder
    store = EmbeddedStore(settings.dist_dir, services={oxigraph_endpoint})
    with pytest.raises(ServiceForbidden, match=f"<{url}> is not allowed"):
        store.query(f"ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert seen == []


def test_http_endpoint_refuses_a_service_off_the_allowlist(
        client: FlaskClient, recorder: tuple[str, list[str]]) -> None:
    url, seen = recorder
    for query in (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                  f"ASK {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}"):
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 403
        assert response.mimetype == "text/plain"
        assert "allowlist" in response.get_data(as_text=True)
    assert seen == []


def test_http_endpoint_federates_with_an_allowed_server(
        settings: Settings, built: BuildResult, oxigraph_endpoint: str) -> None:
    from citygraph.web import create_app
    from citygraph.web.context import AppContext

    allowing = settings.replace(service_allowlist=oxigraph_endpoint, query_workers=1)
    context = AppContext.open(allowing)
    try:
        app = create_app(allowing, {"TESTING": True}, context=context)
        query = (f"SELECT ?population WHERE {{ SERVICE <{oxigraph_endpoint}> "
                 "{ wd:Q1295 wdt:P1082 ?population } }")
        response = app.test_client().get("/sparql", query_string={"query": query},
                                         headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        bindings = json.loads(response.get_data())["results"]["bindings"]
        assert [b["population"]["value"] for b in bindings] == ["586852"]
    finally:
        context.close()


@pytest.mark.parametrize("form", ["SELECT * WHERE", "ASK", "CONSTRUCT { ?s ?p ?o } WHERE"])
def test_an_allowed_endpoint_that_is_down_is_a_502(settings: Settings, built: BuildResult,
                                                   form: str) -> None:
    from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS
    from citygraph.store import answer

    down = f"http://127.0.0.1:{free_port()}/sparql"  # nothing listens there
    store = EmbeddedStore(settings.dist_dir, services={down})
    text = f"{form} {{ SERVICE <{down}> {{ ?s ?p ?o }} }}"
    with pytest.raises(RemoteServiceError, match="SERVICE endpoint of the query failed") as info:
        answer(store.query(text), SELECT_FORMATS["json"], GRAPH_FORMATS["turtle"], 10, text)
    assert info.value.http_status == 502


def test_a_query_mentioning_service_is_never_run_when_loaded_as_a_file(
        tmp_path: Path, recorder: tuple[str, list[str]]) -> None:
    from citygraph.queries import load_query

    url, seen = recorder
    path = tmp_path / "federated.rq"
    path.write_text(f"#+ title: federated\n#+ param: s iri = http://e/a | subject\n"
                    f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}\n", encoding="utf-8")
    assert load_query(path).name == "federated"  # parsed and checked, never run
    assert seen == []


def test_the_wdqs_label_idiom_over_http_is_a_400_naming_bd(client: FlaskClient) -> None:
    query = ("SELECT ?c ?cLabel WHERE {\n  ?c cg:wikidataEntity ?q .\n"
             '  SERVICE wikibase:label { nosuch:serviceParam wikibase:language "en". } }')
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert "line 3, column 28: unknown prefix 'nosuch:'" in response.get_data(as_text=True)
