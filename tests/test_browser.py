"""The query page in a real headless Chromium (Playwright) against a real server on 127.0.0.1.

Chromium comes from Debian (``apt-get install chromium``), never downloaded by Playwright. Every
request to a host other than 127.0.0.1 is blocked and recorded; each test asserts there was none.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from citygraph.config import Settings
from citygraph.queries import load_catalogue

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
#: The server caps results at this many rows, so one test can see the truncation notice.
MAX_ROWS = 100
TIMEOUT_MS = 15_000

CITIES_QUERY = """\
#+ title: Cities with a partnership (browser test)
#+ description: Every city that is a partner in at least one partnership.
SELECT DISTINCT ?city ?label WHERE {
  ?partnership a cg:Partnership ; cg:partner ?city .
  ?city a cg:City ; rdfs:label ?label .
  FILTER (lang(?label) = "en")
}
ORDER BY DESC(?label)
"""


@pytest.fixture(scope="session")
def server(settings: Settings, app_context: object,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real waitress server on a free loopback port, serving the session build."""
    import waitress

    from citygraph.web import create_app

    queries_dir = tmp_path_factory.mktemp("browser-queries")
    (queries_dir / "browser-cities.rq").write_text(CITIES_QUERY, encoding="utf-8")
    # The browser and the test itself are one client (127.0.0.1) sending queries side by side.
    served = settings.replace(max_rows=MAX_ROWS, client_concurrent_queries=4)
    queries = {**app_context.queries, **load_catalogue(queries_dir)}
    context = dataclasses.replace(app_context, settings=served, queries=queries)  # type: ignore[type-var]
    app = create_app(served, context=context)
    wsgi = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    gc.collect()  # pyoxigraph results made here must be freed here, not in a server thread
    thread = threading.Thread(target=wsgi.run, name="citygraph-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{wsgi.effective_port}"  # type: ignore[union-attr]
    finally:
        wsgi.close()
        thread.join(timeout=5)
        if getattr(context, "executor", None) is not getattr(app_context, "executor", None):
            context.close()  # query workers this context started itself


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from /usr/bin/chromium (installed from Debian's packages)."""
    if not shutil.which(CHROMIUM):  # a real browser is part of the suite: never skipped
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (Debian's package)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclasses.dataclass
class Session:
    """One browser page with its record of blocked requests and script errors."""

    page: Page
    base: str
    blocked: list[str]
    errors: list[str]


@pytest.fixture()
def session(browser: Browser, server: str) -> Iterator[Session]:
    """A fresh page on the server's query page; requests off 127.0.0.1 are blocked."""
    context = browser.new_context()
    blocked: list[str] = []
    errors: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]")
    try:
        yield Session(page, server, blocked, errors)
    finally:
        context.close()
    assert blocked == [], f"requests to other hosts were attempted: {blocked}"
    assert errors == [], f"script errors: {errors}"


def _column(page: Page, index: int) -> list[str]:
    cells = page.locator(f"#results-table tbody tr td:nth-child({index}) .literal")
    return cells.all_inner_texts()


def _post_json(base: str, query: str) -> dict[str, object]:
    request = urllib.request.Request(base + "/sparql", data=query.encode("utf-8"), headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _get(base: str, path: str, params: dict[str, str] | None = None,
         accept: str = "application/sparql-results+json") -> tuple[int, str]:
    """Status and body of a GET on the server (an HTTP error's status and body too)."""
    url = base + path + ("?" + urlencode(params) if params is not None else "")
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _api_rows(base: str, name: str, params: dict[str, str] | None = None) -> dict[str, object]:
    """The SPARQL JSON answer of the named query ``name`` from the server's API."""
    status, body = _get(base, f"/api/{name}", params)
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def _link_titles(page: Page, column: int) -> list[str]:
    """The full IRIs (titles of the links) of a column of the results table."""
    return page.eval_on_selector_all(
        f"#results-table tbody tr td:nth-child({column})",
        "tds => tds.map(td => { const a = td.querySelector('a'); return a ? a.title : ''; })")


def _wait_for_rows(page: Page, count: int) -> None:
    """Wait until the results table has exactly ``count`` rows (after a new run)."""
    page.wait_for_function("n => document.querySelector('#results-table') && "
                           "document.querySelectorAll('#results-table tbody tr').length === n",
                           arg=count)


def _shows_answer(page: Page, answer: dict[str, object]) -> None:
    """The results table shows exactly the rows of a SPARQL JSON answer, in its order."""
    variables = answer["head"]["vars"]  # type: ignore[index]
    bindings = answer["results"]["bindings"]  # type: ignore[index]
    _wait_for_rows(page, len(bindings))
    headers = page.eval_on_selector_all("#results-table th", "ths => ths.map(t => t.textContent)")
    assert headers == variables
    for index, name in enumerate(variables, start=1):
        cells = page.eval_on_selector_all(
            f"#results-table tbody tr td:nth-child({index})",
            "tds => tds.map(td => { const a = td.querySelector('a'); "
            "const l = td.querySelector('.literal'); "
            "return a ? a.title : (l ? l.textContent : ''); })")
        assert cells == [b.get(name, {}).get("value", "") for b in bindings], name  # type: ignore[union-attr]


def _load_example(page: Page, name: str) -> None:
    page.locator(f"li.example[data-name={name}]").get_by_role("button", name="Load and run").click()


def test_page_shows_dataset_and_highlighted_editor(session: Session) -> None:
    page = session.page
    assert int(page.inner_text("#count-partnerships").replace(",", "")) > 0
    assert int(page.inner_text("#count-triples").replace(",", "")) > 0
    keywords = page.eval_on_selector_all(".sparql-highlight .tok-keyword",
                                         "els => els.map(e => e.textContent)")
    assert "SELECT" in keywords and "WHERE" in keywords
    assert page.locator(".sparql-highlight .tok-variable").count() > 0
    assert page.locator(".sparql-highlight .tok-prefixed").count() > 0
    # Typing re-highlights: a string and a comment appear as their own tokens.
    page.fill("#query-text", 'ASK { ?s rdfs:label "Amiens"@en } # is there Amiens?')
    assert page.inner_text(".sparql-highlight .tok-string") == '"Amiens"'
    assert page.inner_text(".sparql-highlight .tok-comment") == "# is there Amiens?"
    page.click("#run-query")
    assert "true" in page.inner_text("#ask-answer")


def test_example_query_runs_and_shows_rows(session: Session) -> None:
    page = session.page
    example = page.locator("li.example", has_text="Cities with a partnership (browser test)")
    example.get_by_role("button", name="Load and run").click()
    page.wait_for_selector("#results-table tbody tr")
    assert "Cities with a partnership" in page.input_value("#query-text")
    expected = _post_json(session.base, CITIES_QUERY)["results"]["bindings"]  # type: ignore[index]
    rows = page.locator("#results-table tbody tr")
    assert rows.count() == len(expected) > 0
    labels = _column(page, 2)
    assert "Amiens" in labels and "Dortmund" in labels
    assert labels == [b["label"]["value"] for b in expected]  # the server's order (DESC)
    # IRIs under the base link to this server.
    href = page.get_attribute("#results-table tbody tr td:nth-child(1) a", "href")
    assert href.startswith("/id/city/")
    # Download links per SELECT format, each answered by the server in its format.
    links = page.locator("#downloads a.download")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["json", "xml", "csv", "tsv"]
    # An unedited curated example runs (and downloads) through the named-query API.
    csv_href = page.get_attribute("#downloads a[data-format=csv]", "href")
    assert csv_href == "/api/browser-cities?format=csv"
    assert page.get_attribute("#downloads a[data-format=csv]", "download") == "browser-cities.csv"
    with urllib.request.urlopen(session.base + csv_href, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "Amiens" in response.read().decode("utf-8")
    assert page.is_hidden("#truncation-notice")
    assert "named query" in page.inner_text("#query-mode")
    assert page.is_hidden("#query-params")  # no parameters to show


def test_sort_by_a_column(session: Session) -> None:
    page = session.page
    page.locator("li.example", has_text="browser test").get_by_role(
        "button", name="Load and run").click()
    page.wait_for_selector("#results-table tbody tr")
    before = _column(page, 2)
    header = page.locator("#results-table th", has_text="label")
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = _column(page, 2)
    assert ascending == sorted(before, key=str.casefold) and ascending != before
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert _column(page, 2) == ascending[::-1]


def test_syntax_error_is_shown(session: Session) -> None:
    page = session.page
    page.fill("#query-text", "SELECT * WHERE { ?s ?p }")
    page.click("#run-query")
    page.wait_for_selector("#query-error:not([hidden])")
    assert page.inner_text("#query-error-title") == "The query has an error"
    message = page.inner_text("#query-error-message")
    assert "syntax" in message.lower()
    assert re.search(r"\b1\D+25\b", message), message  # the parser's line 1 and column 25
    assert page.locator("#results-table").count() == 0
    assert page.get_attribute("#query-error", "role") == "alert"


def test_construct_and_truncation_notice(session: Session) -> None:
    page = session.page
    page.fill("#query-text", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    page.click("#run-query")
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() == MAX_ROWS
    headers = page.eval_on_selector_all("#results-table th",
                                        "ths => ths.map(t => t.textContent)")
    assert headers == ["subject", "predicate", "object"]
    notice = page.inner_text("#truncation-notice")
    assert f"cut after {MAX_ROWS} rows" in notice
    links = page.locator("#downloads a.download")
    assert [links.nth(i).inner_text() for i in range(links.count())] == [
        "turtle", "ntriples", "jsonld", "rdfxml"]
    # A free query downloads from /sparql, saved under a real file name.
    turtle = page.locator("#downloads a[data-format=turtle]")
    assert turtle.get_attribute("download") == "query.ttl"
    assert turtle.get_attribute("href").startswith("/sparql?query=")
    assert page.is_hidden("#query-example")  # no curated example loaded


def test_ctrl_enter_runs_the_query(session: Session) -> None:
    page = session.page
    page.fill("#query-text", "SELECT (COUNT(*) AS ?n) WHERE { ?s a cg:City }")
    page.focus("#query-text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results-table tbody tr")
    cell = page.locator("#results-table tbody td")
    assert int(cell.inner_text()) > 0 and cell.get_attribute("title") == "xsd:integer"


def test_example_with_parameters_runs_through_the_api(session: Session) -> None:
    page = session.page
    listing = json.loads(_get(session.base, "/api", accept="application/json")[1])
    info = next(q for q in listing["queries"] if q["name"] == "partners-of-city")
    defaults = {p["name"]: p["default"] for p in info["parameters"]}
    assert set(defaults) == {"city", "lang"}
    _load_example(page, "partners-of-city")
    # The form shows each parameter with its type, description and default.
    page.wait_for_selector("#query-params:not([hidden])")
    assert page.input_value("#param-city") == defaults["city"]
    assert page.input_value("#param-lang") == defaults["lang"]
    assert page.get_attribute("#param-city", "type") == "url"
    assert page.get_attribute("#param-lang", "type") == "text"
    city_help = page.inner_text("#param-city-help")
    assert next(p["description"] for p in info["parameters"] if p["name"] == "city") in city_help
    assert "iri" in page.inner_text("label[for=param-city]")
    assert "/api/partners-of-city" in page.inner_text("#query-mode")
    # The rows are exactly the API's with the defaults (not those of the unbound text).
    default_answer = _api_rows(session.base, "partners-of-city")
    _shows_answer(page, default_answer)
    bindings = default_answer["results"]["bindings"]  # type: ignore[index]
    unbound = _post_json(session.base, page.input_value("#query-text"))  # parameters unbound
    assert len(unbound["results"]["bindings"]) != len(bindings)  # type: ignore[index]
    assert "named query partners-of-city" in page.inner_text("#query-status")
    # The downloads are the API's, with the form's values and a real file name.
    link = page.locator("#downloads a[data-format=csv]")
    assert link.get_attribute("download") == "partners-of-city.csv"
    href = link.get_attribute("href")
    assert href.startswith("/api/partners-of-city?")
    with urllib.request.urlopen(session.base + href, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        csv_lines = response.read().decode("utf-8").strip().splitlines()
    assert len(csv_lines) == 1 + len(bindings)

    # Another city: the rows change to the API's for that city.
    kumasi = "https://w3id.org/citygraph/id/city/kumasi"
    page.fill("#param-city", kumasi)
    page.click("#run-query")
    kumasi_answer = _api_rows(session.base, "partners-of-city", {"city": kumasi, "lang": "en"})
    _shows_answer(page, kumasi_answer)
    kumasi_rows = kumasi_answer["results"]["bindings"]  # type: ignore[index]
    assert 0 < len(kumasi_rows) != len(bindings)
    assert set(_link_titles(page, 1)) == {kumasi}
    assert f"city={quote(kumasi, safe='')}" in page.get_attribute(
        "#downloads a[data-format=tsv]", "href")

    # Another language: the labels follow.
    page.fill("#param-lang", "de")
    page.click("#run-query")
    german = _api_rows(session.base, "partners-of-city", {"city": kumasi, "lang": "de"})
    _shows_answer(page, german)  # a run empties the table first: no stale rows are compared
    kinds = {b["kindLabel"]["value"] for b in german["results"]["bindings"]}  # type: ignore[index]
    assert kinds.isdisjoint({b["kindLabel"]["value"] for b in kumasi_rows})

    # An empty city leaves it unbound, as the query's description says.
    page.fill("#param-city", "")
    page.fill("#param-lang", "en")
    page.click("#run-query")
    _shows_answer(page, _api_rows(session.base, "partners-of-city", {"city": "", "lang": "en"}))


def test_bad_parameter_shows_the_api_message(session: Session) -> None:
    page = session.page
    _load_example(page, "partners-of-city")
    page.wait_for_selector("#results-table tbody tr")
    page.fill("#param-city", "not an IRI")
    page.click("#run-query")
    page.wait_for_selector("#query-error:not([hidden])")
    status, message = _get(session.base, "/api/partners-of-city",
                           {"city": "not an IRI", "lang": "en"})
    assert status == 400 and "city" in message
    assert page.inner_text("#query-error-title") == "A parameter is not valid"
    assert page.inner_text("#query-error-message") == message.strip()
    assert page.locator("#results-table").count() == 0
    assert "Failed (400)" in page.inner_text("#query-status")


def test_edited_example_runs_as_a_free_query(session: Session) -> None:
    page = session.page
    _load_example(page, "partners-of-city")
    page.wait_for_selector("#results-table tbody tr")
    text = page.input_value("#query-text")
    edited = text + "\n# my own version\n"
    page.fill("#query-text", edited)
    # The form is disabled and the page says why.
    assert page.get_attribute("#query-params", "disabled") is not None
    assert page.is_disabled("#param-city")
    mode = page.inner_text("#query-mode")
    assert "free query" in mode and "/sparql" in mode and "not used" in mode
    page.click("#run-query")
    expected = _post_json(session.base, edited)
    _shows_answer(page, expected)
    assert "named query" not in page.inner_text("#query-status")
    link = page.locator("#downloads a[data-format=csv]")
    assert link.get_attribute("href").startswith("/sparql?query=")
    assert link.get_attribute("download") == "query.csv"
    # Restoring the text brings the named query and its form back.
    page.click("#restore-example")
    assert page.input_value("#query-text") == text
    assert page.get_attribute("#query-params", "disabled") is None
    assert "/api/partners-of-city" in page.inner_text("#query-mode")
    page.click("#run-query")
    _shows_answer(page, _api_rows(session.base, "partners-of-city", {"city": page.input_value(
        "#param-city"), "lang": page.input_value("#param-lang")}))


def test_links_to_this_server_and_long_texts(session: Session) -> None:
    page = session.page
    local = "window.CitygraphQueryPage.localPath"
    assert page.evaluate(f"{local}('https://w3id.org/citygraph/id/city/dortmund')") == \
        "/id/city/dortmund"
    assert page.evaluate(f"{local}('https://w3id.org/citygraph/ontology#City')") == \
        "/ontology#City"
    assert page.evaluate(f"{local}('https://w3id.org/citygraph/graph/data/places.ttl')") == \
        "/graph/data/places.ttl"
    assert page.evaluate(f"{local}('https://w3id.org/citygraph/dataset/citygraph')") is None
    assert page.evaluate(f"{local}('https://www.wikidata.org/entity/Q1295')") is None
    # Vocabulary terms and named graphs in a result link to pages this server serves.
    page.fill("#query-text", """SELECT ?type ?g WHERE {
  GRAPH ?g { <https://w3id.org/citygraph/id/city/dortmund> a ?type }
  FILTER (STRSTARTS(STR(?type), STR(cg:)))
} LIMIT 1""")
    page.click("#run-query")
    # Wait for this answer (the table of an earlier test may still be on the page).
    page.wait_for_selector("#results-table tbody td:nth-child(2) a[href^='/graph/']")
    for column in (1, 2):
        href = page.get_attribute(f"#results-table tbody td:nth-child({column}) a", "href")
        assert href.startswith(("/ontology#", "/graph/")), href
        status, _ = _get(session.base, href.split("#")[0], accept="text/html")
        assert status == 200, href
    # A long literal is clamped to a few lines, with its full text one click away.
    page.fill("#query-text", 'SELECT ?text WHERE { BIND (CONCAT("start ", '
              + ", ".join(['"lorem ipsum dolor sit amet, consectetur adipiscing elit "'] * 20)
              + ', " end") AS ?text) }')
    page.click("#run-query")
    page.wait_for_selector("#results-table .literal.long")
    literal = page.locator("#results-table .literal.long")
    assert literal.evaluate("e => e.scrollHeight > e.clientHeight")
    short = literal.evaluate("e => e.getBoundingClientRect().height")
    assert literal.get_attribute("title").endswith(" end")
    page.click("#results-table button.expand")
    assert page.get_attribute("#results-table button.expand", "aria-expanded") == "true"
    assert literal.evaluate("e => e.getBoundingClientRect().height") > short
