"""The query page in a real headless Chromium (Playwright) against a real server on 127.0.0.1.

Chromium comes from Debian (``apt-get install chromium``), never downloaded by Playwright. Every
request to a host other than 127.0.0.1 is blocked and recorded; each test asserts there was none.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

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
    served = settings.replace(max_rows=MAX_ROWS)
    queries = {**app_context.queries, **load_catalogue(queries_dir)}
    context = dataclasses.replace(app_context, settings=served, queries=queries)  # type: ignore[type-var]
    app = create_app(served, context=context)
    wsgi = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
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
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
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
    csv_href = page.get_attribute("#downloads a[data-format=csv]", "href")
    assert csv_href.startswith("/sparql?query=")
    with urllib.request.urlopen(session.base + csv_href, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "Amiens" in response.read().decode("utf-8")
    assert page.is_hidden("#truncation-notice")


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


def test_ctrl_enter_runs_the_query(session: Session) -> None:
    page = session.page
    page.fill("#query-text", "SELECT (COUNT(*) AS ?n) WHERE { ?s a cg:City }")
    page.focus("#query-text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results-table tbody tr")
    cell = page.locator("#results-table tbody td")
    assert int(cell.inner_text()) > 0 and cell.get_attribute("title") == "xsd:integer"
