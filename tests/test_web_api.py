"""The named-query API: /api, /api/openapi.json and /api/<name> (through the Flask test client).

Most tests run against the small queries of tests/fixtures/queries (covering every parameter type
and query form) over the real build; one test runs every real query of queries/.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from citygraph.config import Settings
from citygraph.queries import load_catalogue, query_form
from citygraph.web import create_app
from citygraph.web.context import AppContext

FIXTURE_QUERIES = Path(__file__).parent / "fixtures" / "queries"
DORTMUND = "https://w3id.org/citygraph/id/city/dortmund"
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
OX_RESULTS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
              "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}


@pytest.fixture()
def fixture_app(settings: Settings, app_context: AppContext) -> Flask:
    """An app over the real build whose named queries are the test queries."""
    context = dataclasses.replace(app_context, queries=load_catalogue(FIXTURE_QUERIES))
    return create_app(settings, {"TESTING": True}, context=context)


@pytest.fixture()
def api(fixture_app: Flask) -> Iterator[FlaskClient]:
    """A test client of the app with the test queries."""
    with fixture_app.test_client() as c:
        yield c


def rows(response: Any) -> list[dict[str, str]]:
    """The solutions of a SPARQL JSON response as {variable: lexical value}."""
    assert response.status_code == 200, response.get_data(as_text=True)
    data = json.loads(response.data)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def solutions(body: bytes, fmt: str) -> list[dict[str, str]]:
    """Solutions of a result document parsed by Oxigraph, as {variable: term text}."""
    parsed = ox.parse_query_results(body, format=OX_RESULTS[fmt])
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [{n: str(s[n]) for n in names if s[n] is not None} for s in parsed]


def parse_rdf(text: str, fmt: str) -> Graph:
    """Parse an RDF response with rdflib (its JSON-LD parser warns about its own internals)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=text, format=RDFLIB_FORMATS[fmt])


def triple_count(context: AppContext) -> int:
    """How many quads the store holds (to show that nothing was changed)."""
    return len(context.store.store)


# ---------------------------------------------------------------------------------------------
# The list and the OpenAPI document
# ---------------------------------------------------------------------------------------------

def test_list_is_json_by_default(api: FlaskClient) -> None:
    response = api.get("/api")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    data = response.get_json()
    names = [q["name"] for q in data["queries"]]
    assert names == sorted(p.stem for p in FIXTURE_QUERIES.glob("*.rq"))
    echo = next(q for q in data["queries"] if q["name"] == "echo")
    assert echo["url"] == "/api/echo"
    assert echo["form"] == "select"
    assert {p["name"]: p["type"] for p in echo["parameters"]} == {
        "text": "string", "name": "langstring", "year": "integer", "day": "date"}
    assert next(p for p in echo["parameters"] if p["name"] == "year")["default"] == "2000"
    named = next(q for q in data["queries"] if q["name"] == "named")
    assert named["parameters"][0]["required"] is True
    assert data["openapi"] == "/api/openapi.json"


def test_list_is_html_for_browsers(api: FlaskClient) -> None:
    response = api.get("/api", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    for title in ("Labels of a resource", "Echo", "Literal description", "Label search"):
        assert title in html
    assert 'href="/api/echo"' in html
    assert "A language-tagged text".lower() in html.lower()
    assert 'href="/api/openapi.json"' in html


def test_openapi_document_is_valid_and_describes_every_query(api: FlaskClient) -> None:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    doc = response.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    assert set(paths) == {"/api"} | {f"/api/{p.stem}" for p in FIXTURE_QUERIES.glob("*.rq")}
    echo = paths["/api/echo"]["get"]
    params = {p["name"]: p for p in echo["parameters"]}
    assert params["text"]["schema"] == {"type": "string", "default": "hello"}
    assert params["year"]["schema"] == {"type": "integer", "default": 2000}
    assert params["day"]["schema"]["format"] == "date"
    assert params["name"]["schema"]["default"] == "Dortmund@de"
    assert "pattern" in params["name"]["schema"]
    assert all(p["in"] == "query" for p in params.values())
    assert not params["text"]["required"]
    assert params["format"]["schema"]["enum"] == ["json", "xml", "csv", "tsv"]
    assert set(echo["responses"]["200"]["content"]) == set(RESULT_TYPES.values())
    assert {"400", "406"} <= set(echo["responses"])
    labels = {p["name"]: p for p in paths["/api/labels"]["get"]["parameters"]}
    assert labels["thing"]["schema"] == {"type": "string", "format": "iri", "default": DORTMUND}
    named = {p["name"]: p for p in paths["/api/named"]["get"]["parameters"]}
    assert named["name"]["required"] is True and "default" not in named["name"]["schema"]
    construct = paths["/api/description"]["get"]["responses"]["200"]["content"]
    assert set(construct) == set(GRAPH_TYPES.values())
    assert paths["/api/search"]["get"]["summary"] == "Label search"


def test_openapi_document_of_the_real_queries_is_valid(client: FlaskClient,
                                                       app_context: AppContext) -> None:
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    assert set(doc["paths"]) == {"/api"} | {f"/api/{n}" for n in app_context.queries}


def test_every_real_query_answers_with_its_defaults(client: FlaskClient,
                                                    app_context: AppContext) -> None:
    listed = [q["name"] for q in client.get("/api").get_json()["queries"]]
    assert listed == list(app_context.queries)
    for name, query in app_context.queries.items():
        response = client.get(f"/api/{name}")
        if any(p.required for p in query.parameters):
            assert response.status_code == 400, name
            first = next(p.name for p in query.parameters if p.required)
            assert f"parameter {first!r}" in response.get_data(as_text=True)
        else:
            assert response.status_code == 200, (name, response.get_data(as_text=True))


def test_json_answers_match_the_schema_the_openapi_document_promises(
        client: FlaskClient, app_context: AppContext) -> None:
    import jsonschema

    doc = client.get("/api/openapi.json").get_json()
    for name in app_context.queries:
        responses = doc["paths"][f"/api/{name}"]["get"]["responses"]
        content = responses["200"]["content"]
        if "application/sparql-results+json" not in content:
            continue
        schema = content["application/sparql-results+json"]["schema"]
        answer = client.get(f"/api/{name}", headers={"Accept": "application/sparql-results+json"})
        jsonschema.validate(answer.get_json(force=True), schema)
        for header in ("X-Citygraph-Rows", "X-Citygraph-Truncated", "ETag"):
            assert header in answer.headers and header in responses["200"]["headers"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"results": {"bindings": [{"x": {"value": "no type"}}]}},
                            schema)


# ---------------------------------------------------------------------------------------------
# Answers and formats
# ---------------------------------------------------------------------------------------------

def test_parameters_are_bound_as_typed_terms(api: FlaskClient) -> None:
    response = api.get("/api/echo", query_string={
        "text": "Grüße", "name": "Zhytomyr@uk", "year": "-12", "day": "1999-12-31"})
    data = json.loads(response.data)
    (binding,) = data["results"]["bindings"]
    assert binding["text"] == {"type": "literal", "value": "Grüße"}
    assert binding["name"] == {"type": "literal", "value": "Zhytomyr", "xml:lang": "uk"}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert binding["year"] == {"type": "literal", "value": "-12", "datatype": xsd + "integer"}
    assert binding["day"] == {"type": "literal", "value": "1999-12-31", "datatype": xsd + "date"}
    assert binding["next"]["value"] == "-11"  # the integer is a number in the query


def test_defaults_apply_and_iri_parameters_select(api: FlaskClient) -> None:
    assert rows(api.get("/api/echo")) == [{"text": "hello", "name": "Dortmund", "year": "2000",
                                           "day": "2020-01-01", "next": "2001"}]
    labels = rows(api.get("/api/labels"))
    assert {r["label"] for r in labels} == {"Dortmund"}
    assert {r["thing"] for r in labels} == {DORTMUND}
    amiens = rows(api.get("/api/labels?thing=https://w3id.org/citygraph/id/city/amiens"))
    assert {r["label"] for r in amiens} == {"Amiens"}
    found = rows(api.get("/api/named", query_string={"name": "Dortmund@de"}))
    # The city, and its Wikidata entity, which the Wikidata view labels in every language we hold.
    assert found == [{"name": "Dortmund", "thing": "http://www.wikidata.org/entity/Q1295"},
                     {"name": "Dortmund", "thing": DORTMUND}]


@pytest.mark.parametrize("fmt", list(RESULT_TYPES))
def test_select_formats_by_accept_and_by_format_parameter(api: FlaskClient, fmt: str) -> None:
    by_accept = api.get("/api/labels", headers={"Accept": RESULT_TYPES[fmt]})
    by_param = api.get(f"/api/labels?format={fmt}")
    for response in (by_accept, by_param):
        assert response.status_code == 200
        assert response.content_type == RESULT_TYPES[fmt] + "; charset=utf-8"
        assert response.headers["Vary"].startswith("Accept")
    assert by_accept.data == by_param.data
    if fmt == "csv":
        table = list(csv.DictReader(io.StringIO(by_accept.get_data(as_text=True))))
        assert table == [{"thing": DORTMUND, "label": "Dortmund"}] * 2
    else:
        assert solutions(by_accept.data, fmt) == [
            {"thing": f"<{DORTMUND}>", "label": '"Dortmund"@de'},
            {"thing": f"<{DORTMUND}>", "label": '"Dortmund"@en'},
        ]


def test_accept_q_values_are_honoured(api: FlaskClient) -> None:
    response = api.get("/api/echo", headers={
        "Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9, text/turtle"})
    assert response.content_type.startswith("application/sparql-results+xml")
    response = api.get("/api/echo", headers={"Accept": "*/*"})
    assert response.content_type.startswith("application/sparql-results+json")


def expected_literal_description(context: AppContext) -> Graph:
    """The literal-valued triples of Dortmund, read from the store directly."""
    graph = Graph()
    for quad in context.store.store.quads_for_pattern(ox.NamedNode(DORTMUND), None, None):
        if isinstance(quad.object, ox.Literal):
            graph += Graph().parse(data=str(quad.triple) + " .", format="nt")
    return graph


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_construct_formats(api: FlaskClient, app_context: AppContext, fmt: str) -> None:
    response = api.get("/api/description", headers={"Accept": GRAPH_TYPES[fmt]})
    assert response.status_code == 200
    assert response.content_type == GRAPH_TYPES[fmt] + "; charset=utf-8"
    graph = parse_rdf(response.get_data(as_text=True), fmt)
    expected = expected_literal_description(app_context)
    assert len(expected) >= 4
    assert isomorphic(graph, expected)
    assert (URIRef(DORTMUND), URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("Dortmund", lang="de")) in graph
    assert api.get(f"/api/description?format={fmt}").data == response.data


def test_construct_default_is_turtle(api: FlaskClient) -> None:
    response = api.get("/api/description")
    assert response.content_type == "text/turtle; charset=utf-8"


def test_ask_answers_a_boolean(api: FlaskClient) -> None:
    assert json.loads(api.get("/api/labelled").data)["boolean"] is True
    no = api.get("/api/labelled", query_string={"name": "Dortmund@fr"})
    assert json.loads(no.data)["boolean"] is False
    xml = api.get("/api/labelled?format=xml")
    assert xml.content_type.startswith("application/sparql-results+xml")
    assert b"<boolean>true</boolean>" in xml.data


@pytest.mark.parametrize(("url", "accept"), [
    ("/api/echo", "text/turtle"),
    ("/api/echo?format=turtle", None),
    ("/api/echo?format=nonsense", None),
    ("/api/description", "application/sparql-results+json"),
    ("/api/description?format=csv", None),
    ("/api", "text/csv"),
])
def test_not_acceptable(api: FlaskClient, url: str, accept: str | None) -> None:
    response = api.get(url, headers={"Accept": accept} if accept else {})
    assert response.status_code == 406
    assert response.content_type == "text/plain; charset=utf-8"


# ---------------------------------------------------------------------------------------------
# Bad parameters
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "name"), [
    ("/api/named", "name"),  # required, missing
    ("/api/named?name=", "name"),  # required, empty
    ("/api/named?name=Dortmund", "name"),  # no language tag
    ("/api/echo?year=twelve", "year"),
    ("/api/echo?year=1.5", "year"),
    ("/api/echo?day=2020-13-01", "day"),
    ("/api/echo?day=yesterday", "day"),
    ("/api/labels?thing=dortmund", "thing"),  # not absolute
    ("/api/labels?thing=http://e/a%20b", "thing"),
    ("/api/echo?colour=red", "colour"),  # unknown
])
def test_bad_parameter_is_a_400_naming_it(api: FlaskClient, url: str, name: str) -> None:
    response = api.get(url)
    assert response.status_code == 400
    assert response.content_type == "text/plain; charset=utf-8"
    assert f"parameter {name!r}" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unknown_query_is_a_404(api: FlaskClient) -> None:
    response = api.get("/api/no-such-query")
    assert response.status_code == 404
    assert "no-such-query" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# SPARQL injection through every parameter type: a 400, or a harmless literal
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("param", "value"), [
    ("thing", "> } ; DROP ALL ; <"),
    ("thing", DORTMUND + "> ?p ?o } UNION { ?s ?p ?o } #"),
    ("thing", DORTMUND + ">}UNION{?s?p?o}#"),
    ("thing", f"<{DORTMUND}>"),
])
def test_injection_through_an_iri_parameter_is_refused(api: FlaskClient, app_context: AppContext,
                                                       param: str, value: str) -> None:
    before = triple_count(app_context)
    response = api.get("/api/labels", query_string={param: value})
    assert response.status_code == 400
    assert f"parameter {param!r}" in response.get_data(as_text=True)
    assert triple_count(app_context) == before


def test_an_iri_parameter_is_one_iri(api: FlaskClient) -> None:
    # Percent-encoded brackets stay inside the IRI: a harmless IRI that names nothing.
    response = api.get("/api/labels", query_string={"thing": DORTMUND + "%3E%20%7D"})
    assert rows(response) == []


STRING_ATTACKS = [
    '" } UNION { ?s ?p ?o } #',
    "' } UNION { ?s ?p ?o } #",
    '""") } UNION { ?s ?p ?o } #',
    "dortmund\" . ?thing ?p ?label } #",
    "\\\" } ; DROP ALL ; #",
]


@pytest.mark.parametrize("value", STRING_ATTACKS)
def test_injection_through_a_string_parameter_is_a_harmless_literal(
        api: FlaskClient, app_context: AppContext, value: str) -> None:
    before = triple_count(app_context)
    echoed = rows(api.get("/api/echo", query_string={"text": value}))
    assert len(echoed) == 1 and echoed[0]["text"] == value
    found = rows(api.get("/api/search", query_string={"text": value}))
    labels = [q.object.value for q in app_context.store.store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None)
        if isinstance(q.object, ox.Literal)]
    assert not any(value.lower() in label.lower() for label in labels)
    assert found == []  # the same as for any text no label contains
    assert triple_count(app_context) == before


def test_a_string_parameter_still_matches_what_it_says(api: FlaskClient) -> None:
    found = rows(api.get("/api/search", query_string={"text": "DORTMUND"}))
    assert DORTMUND in {r["thing"] for r in found}
    assert all("dortmund" in r["label"].lower() for r in found)


@pytest.mark.parametrize("value", [
    'Dortmund"@de } UNION { ?s ?p ?o } #@de',
    "Dortmund'@de ; DROP ALL #@en",
    'O"Brien@en',
    "Dortmund@de } UNION { ?s ?p ?o }@de",
])
def test_injection_through_a_langstring_parameter_is_a_harmless_literal(
        api: FlaskClient, app_context: AppContext, value: str) -> None:
    before = triple_count(app_context)
    text, _, lang = value.rpartition("@")
    echoed = rows(api.get("/api/echo", query_string={"name": value}))
    assert len(echoed) == 1 and echoed[0]["name"] == text
    response = api.get("/api/named", query_string={"name": value})
    assert rows(response) == []
    binding = json.loads(api.get("/api/echo", query_string={"name": value}).data)
    assert binding["results"]["bindings"][0]["name"]["xml:lang"] == lang.lower()
    assert triple_count(app_context) == before


def test_a_langstring_with_a_bad_tag_is_refused(api: FlaskClient) -> None:
    response = api.get("/api/named", query_string={"name": 'Dortmund@de" } UNION { ?s ?p ?o }'})
    assert response.status_code == 400
    assert "parameter 'name'" in response.get_data(as_text=True)


@pytest.mark.parametrize(("param", "value"), [
    ("year", "1 } UNION { ?s ?p ?o }"),
    ("year", "1 ; DROP ALL"),
    ("year", "1) . ?s ?p ?o #"),
    ("year", "0x10"),
    ("day", '2020-01-01" } UNION { ?s ?p ?o } #'),
    ("day", "2020-01-01T00:00:00 } ; DROP ALL"),
    ("day", "2020-01-01'"),
])
def test_injection_through_numbers_and_dates_is_refused(
        api: FlaskClient, app_context: AppContext, param: str, value: str) -> None:
    before = triple_count(app_context)
    response = api.get("/api/echo", query_string={param: value})
    assert response.status_code == 400
    assert f"parameter {param!r}" in response.get_data(as_text=True)
    assert triple_count(app_context) == before


# ---------------------------------------------------------------------------------------------
# HTTP behaviour: HEAD, caching, CORS
# ---------------------------------------------------------------------------------------------

def test_head_has_the_headers_and_no_body(api: FlaskClient) -> None:
    get = api.get("/api/labels?format=csv")
    head = api.head("/api/labels?format=csv")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["ETag"] == get.headers["ETag"]
    assert api.head("/api/openapi.json").status_code == 200
    assert api.head("/api").status_code == 200


def test_etag_depends_on_parameters_and_format_and_gives_304(api: FlaskClient) -> None:
    first = api.get("/api/echo?text=a")
    other = api.get("/api/echo?text=b")
    csv_ = api.get("/api/echo?text=a&format=csv")
    tags = {first.headers["ETag"], other.headers["ETag"], csv_.headers["ETag"]}
    assert len(tags) == 3
    assert "max-age" in first.headers["Cache-Control"]
    again = api.get("/api/echo?text=a", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_cors_and_row_count_headers(api: FlaskClient) -> None:
    response = api.get("/api/labels", headers={"Origin": "http://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://example.org")
    assert response.headers["X-Citygraph-Rows"] == "2"
    assert response.headers["X-Citygraph-Truncated"] == "false"


@pytest.mark.parametrize("query_string", ["text=a&text=b", "format=csv&format=json"])
def test_a_repeated_parameter_is_a_400_naming_it(api: FlaskClient, query_string: str) -> None:
    response = api.get("/api/echo?" + query_string)
    name = query_string.split("=")[0]
    assert response.status_code == 400
    assert f"parameter {name!r}" in response.get_data(as_text=True)


def test_revalidation_is_answered_without_running_the_query(
        api: FlaskClient, app_context: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    first = api.get("/api/echo?text=a")

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the query ran although the client's copy is current")

    monkeypatch.setattr(app_context, "run_query", must_not_run)
    again = api.get("/api/echo?text=a", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_capped_answer_says_so(settings: Settings, app_context: AppContext) -> None:
    context = dataclasses.replace(app_context, queries=load_catalogue(FIXTURE_QUERIES),
                                  settings=settings.replace(max_rows=1))
    app = create_app(settings.replace(max_rows=1), {"TESTING": True}, context=context)
    response = app.test_client().get("/api/labels")
    assert response.headers["X-Citygraph-Truncated"] == "true"
    assert len(rows(response)) == 1


def test_query_form_ignores_comments_strings_and_iris() -> None:
    assert query_form("#+ title: ASK me\nPREFIX x: <http://e/#SELECT>\nASK { ?s ?p 'select' }") \
        == "ask"
    assert query_form("describe <http://e/a>") == "describe"
    assert query_form('CONSTRUCT { ?s ?p "ask" } WHERE { ?s ?p ?o }') == "construct"
