"""The WDQS label service (``SERVICE wikibase:label``), answered by rewriting the query over
citygraph's own labels: through /sparql, /api's machinery and ``citygraph query``, in WDQS form."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from citygraph.config import Settings
from citygraph.errors import QuerySyntaxError, ServiceForbidden
from citygraph.federation import check_services
from citygraph.pipeline import BuildResult
from citygraph.queries import load_query
from citygraph.sparqltext import nested_services
from citygraph.vocab import PREFIXES
from citygraph.wikidata import labels
from citygraph.wikidata.labels import parse_accept_language, rewrite_labels

JSON = {"Accept": "application/sparql-results+json"}
DORTMUND = "https://w3id.org/citygraph/id/city/dortmund"
ACCRA = "https://w3id.org/citygraph/id/city/accra"


def select(client: FlaskClient, query: str, **headers: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The variables and rows of a SELECT through /sparql (asserting a 200)."""
    response = client.get("/sparql", query_string={"query": query}, headers={**JSON, **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["head"]["vars"], body["results"]["bindings"]


def value(row: dict[str, Any], name: str) -> tuple[str, str | None] | None:
    """A binding's value and language tag, or None when unbound."""
    if name not in row:
        return None
    return row[name]["value"], row[name].get("xml:lang")


def test_the_docstring_examples_run() -> None:
    from citygraph import sparqltext
    from citygraph.wikidata import hints

    for module in (labels, sparqltext, hints):
        failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0 and tried > 0


def test_automatic_mode_labels_wd_entities_through_the_qid_link(client: FlaskClient) -> None:
    names, rows = select(client, """SELECT ?city ?cityLabel WHERE {
  VALUES ?city { wd:Q1295 wd:Q3761 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "de,en". }
} ORDER BY ?cityLabel""")
    assert names == ["city", "cityLabel"]
    assert [(r["city"]["value"], value(r, "cityLabel")) for r in rows] == [
        ("http://www.wikidata.org/entity/Q3761", ("Accra", "de")),
        ("http://www.wikidata.org/entity/Q1295", ("Dortmund", "de"))]


def test_the_languages_fall_back_in_order(client: FlaskClient) -> None:
    query = """SELECT ?c ?cLabel WHERE { VALUES ?c { wd:Q145 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "%s". } }"""
    assert value(select(client, query % "xx,de,en")[1][0], "cLabel") == ("Vereinigtes Königreich", "de")
    assert value(select(client, query % "xx,en,de")[1][0], "cLabel") == ("United Kingdom", "en")
    assert value(select(client, query % "en")[1][0], "cLabel") == ("United Kingdom", "en")


def test_description_and_alt_label_are_filled_and_missing_ones_stay_unbound(client: FlaskClient) -> None:
    names, rows = select(client, """SELECT ?c ?cLabel ?cDescription ?cAltLabel WHERE {
  VALUES ?c { wd:Q145 wd:Q3761 wd:Q99999999 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "xx,de". }
} ORDER BY ?c""")
    assert names == ["c", "cLabel", "cDescription", "cAltLabel"]
    got = {r["c"]["value"].rsplit("/", 1)[1]: (value(r, "cLabel"), value(r, "cDescription"),
                                               value(r, "cAltLabel")) for r in rows}
    assert got == {
        "Q145": (("Vereinigtes Königreich", "de"), None, ("Großbritannien", "de")),
        "Q3761": (("Accra", "de"), ("Hauptstadt Ghanas.", "de"), None),
        "Q99999999": (("Q99999999", None), None, None),  # no label anywhere: the QID
    }


def test_our_own_iris_get_labels_and_the_local_name_without_one(client: FlaskClient) -> None:
    _, rows = select(client, f"""SELECT ?place ?placeLabel ?placeDescription WHERE {{
  VALUES ?place {{ <{ACCRA}> <https://w3id.org/citygraph/id/city/atlantis> }}
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "en". }}
}} ORDER BY ?place""")
    assert [(value(r, "placeLabel"), value(r, "placeDescription")) for r in rows] == [
        (("Accra", "en"), ("Capital of Ghana.", "en")), (("atlantis", None), None)]


def test_manual_mode_binds_exactly_the_variables_it_names(client: FlaskClient) -> None:
    names, rows = select(client, """SELECT ?c ?name ?about ?aliases ?cLabel WHERE {
  VALUES ?c { wd:Q145 }
  SERVICE wikibase:label {
    bd:serviceParam wikibase:language "en" .
    ?c rdfs:label ?name ; schema:description ?about .
    ?c skos:altLabel ?aliases .
  }
}""")
    assert names == ["c", "name", "about", "aliases", "cLabel"]
    (row,) = rows
    assert value(row, "name") == ("United Kingdom", "en")
    assert value(row, "aliases") == ("Great Britain", "en")
    assert value(row, "about") is None and value(row, "cLabel") is None  # manual: only those named


def test_manual_mode_with_a_constant_subject(client: FlaskClient) -> None:
    _, rows = select(client, """SELECT ?name WHERE {
  SERVICE wikibase:label { bd:serviceParam wikibase:language "de". wd:Q1295 rdfs:label ?name . }
}""")
    assert [value(r, "name") for r in rows] == [("Dortmund", "de")]


def test_auto_language_follows_accept_language_and_varies_by_it(client: FlaskClient) -> None:
    query = """SELECT ?c ?cLabel WHERE { VALUES ?c { wd:Q145 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "[AUTO_LANGUAGE],en". } }"""
    answers = {}
    for header in ("de-DE,de;q=0.9", "fr;q=0.9, en;q=0.8"):
        response = client.get("/sparql", query_string={"query": query},
                              headers={**JSON, "Accept-Language": header})
        assert response.status_code == 200
        assert "Accept-Language" in response.headers["Vary"]
        answers[header] = (response.get_json()["results"]["bindings"][0]["cLabel"]["value"],
                           response.headers["ETag"])
    assert answers["de-DE,de;q=0.9"][0] == "Vereinigtes Königreich"
    assert answers["fr;q=0.9, en;q=0.8"][0] == "United Kingdom"
    assert answers["de-DE,de;q=0.9"][1] != answers["fr;q=0.9, en;q=0.8"][1]
    # The same languages revalidate: a 304 that still says what it varies by.
    again = client.get("/sparql", query_string={"query": query},
                       headers={**JSON, "Accept-Language": "de-DE,de;q=0.9",
                                "If-None-Match": answers["de-DE,de;q=0.9"][1]})
    assert again.status_code == 304 and "Accept-Language" in again.headers["Vary"]
    # Without [AUTO_LANGUAGE] the answer does not depend on it.
    plain = client.get("/sparql", query_string={"query": query.replace("[AUTO_LANGUAGE],", "")},
                       headers={**JSON, "Accept-Language": "de"})
    assert "Accept-Language" not in plain.headers.get("Vary", "")


def test_no_accept_language_means_english() -> None:
    text = rewrite_labels('SELECT ?xLabel { BIND(wd:Q1 AS ?x) SERVICE wikibase:label '
                          '{ bd:serviceParam wikibase:language "[AUTO_LANGUAGE]". } }', PREFIXES,
                          parse_accept_language(None))
    assert text.languages == ("en",) and text.auto_language


def test_select_star_adds_no_label_columns_unless_the_query_uses_them(client: FlaskClient) -> None:
    base = """SELECT * WHERE {
  ?e cg:wikidataEntity ?c .
  VALUES ?c { wd:Q1295 wd:Q3761 wd:Q145 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
}"""
    names, rows = select(client, base)
    assert names == ["c", "e"] and len(rows) == 3  # as on WDQS: * names no label
    names, rows = select(client, base + " ORDER BY DESC(?cLabel)")
    assert names == ["c", "cLabel", "e"]  # used by ORDER BY: bound, so in * (sorted, as the engine)
    assert [r["cLabel"]["value"] for r in rows] == ["United Kingdom", "Dortmund", "Accra"]


def test_a_label_used_in_a_filter_is_bound_before_the_filter(client: FlaskClient) -> None:
    _, rows = select(client, """SELECT ?c WHERE {
  ?e cg:wikidataEntity ?c .
  FILTER(STRSTARTS(?cLabel, "Dort"))
  SERVICE wikibase:label { bd:serviceParam wikibase:language "de". }
}""")
    assert [r["c"]["value"] for r in rows] == ["http://www.wikidata.org/entity/Q1295"]


def test_an_unbound_entity_has_no_label_and_multiplies_no_rows(client: FlaskClient) -> None:
    _, rows = select(client, f"""SELECT ?e ?eLabel ?zLabel WHERE {{
  VALUES ?e {{ <{ACCRA}> }}
  OPTIONAL {{ ?e cg:noSuchProperty ?z }}
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "en". }}
}}""")
    assert len(rows) == 1 and value(rows[0], "eLabel") == ("Accra", "en")
    assert value(rows[0], "zLabel") is None


def test_a_label_variable_the_query_binds_itself_is_left_alone(client: FlaskClient) -> None:
    _, rows = select(client, f"""SELECT ?e ?eLabel WHERE {{
  VALUES ?e {{ <{DORTMUND}> }}
  ?e rdfs:label ?eLabel FILTER(LANG(?eLabel) = "en")
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "de". }}
}}""")
    assert [value(r, "eLabel") for r in rows] == [("Dortmund", "en")]


def test_labels_stated_on_wd_iris_and_through_the_link_give_one_row() -> None:
    """When a Wikidata-shaped view states the labels on the wd: IRI too, nothing is doubled."""
    store = ox.Store()
    store.load(b"""@prefix cg: <https://w3id.org/citygraph/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://w3id.org/citygraph/id/city/x> cg:wikidataEntity <http://www.wikidata.org/entity/Q1> ;
            rdfs:label "Iks"@de .
        <http://www.wikidata.org/entity/Q1> rdfs:label "Iks"@de , "Ex"@en ;
            <https://schema.org/name> "Iks"@de .""", ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode("https://w3id.org/citygraph/graph/wikidata-view"))
    text = rewrite_labels('SELECT ?q ?qLabel WHERE { VALUES ?q { wd:Q1 } SERVICE wikibase:label '
                          '{ bd:serviceParam wikibase:language "de". } }', PREFIXES).text
    rows = list(store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True))
    assert [(r["qLabel"].value, r["qLabel"].language) for r in rows] == [("Iks", "de")]


def test_a_label_service_inside_a_remote_service_is_left_to_the_remote() -> None:
    remote = "https://query.wikidata.org/sparql"
    text = (f"SELECT ?c ?cLabel WHERE {{ SERVICE <{remote}> {{ ?c wdt:P31 wd:Q515 . "
            'SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } } }')
    assert rewrite_labels(text, PREFIXES).text == text  # not rewritten
    assert nested_services(text) == [False, True]
    check_services(text, PREFIXES, {remote})  # the nested one goes with the allowed block
    with pytest.raises(ServiceForbidden, match=f"<{remote}> is not allowed"):
        check_services(text, PREFIXES, set())


def test_a_nested_label_service_is_still_refused_when_its_remote_is_not_allowed(
        client: FlaskClient) -> None:
    text = ("SELECT ?c ?cLabel WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?c ?p ?o . "
            'SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } } }')
    response = client.get("/sparql", query_string={"query": text}, headers=JSON)
    assert response.status_code == 403
    assert "http://127.0.0.1:9/sparql" in response.get_data(as_text=True)


@pytest.mark.parametrize("query,phrase", [
    ('SELECT * { { SELECT ?c WHERE { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam '
     'wikibase:language "en". } } } }', "inside a subquery is not supported"),
    ("SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { } }", "name the languages"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". ?c wdt:P31 ?t } }', "wdt:P31 is not answered by the label service"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". ?c rdfs:label "x" } }', "binds a variable"),
    ('SELECT ?x { ?x wdt:P190 wd:Q1295 SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". ?x rdfs:label ?x } }', "x is bound twice"),
    ('SELECT ?x ?n { ?x wdt:P190 wd:Q1295 SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". ?x rdfs:label ?n . ?x rdfs:label ?n } }', "n is bound twice"),
    ('SELECT ?x ?n { ?x wdt:P190 ?n SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". ?x rdfs:label ?n } }', "n is bound twice"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en_GB!". } }', "is not a language code"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:lang "en". } }',
     "unknown parameter wikibase:lang"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en". } SERVICE wikibase:label { bd:serviceParam wikibase:language "de". } }',
     "only one SERVICE wikibase:label"),
    ('SELECT ?c ?cLabel { ?c ?p ?o SERVICE wikibase:label { bd:serviceParam wikibase:language '
     '"en" }\n FILTER(?c = nope:x) }', "line 2, column 14: unknown prefix 'nope:'"),
])
def test_shapes_it_cannot_answer_are_a_clear_400(client: FlaskClient, query: str, phrase: str) -> None:
    with pytest.raises(QuerySyntaxError, match=phrase):
        rewrite_labels(query, PREFIXES)
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 400
    assert phrase in response.get_data(as_text=True)


def test_a_query_without_the_label_service_is_untouched() -> None:
    text = "SELECT ?xLabel WHERE { ?x rdfs:label ?xLabel } # SERVICE wikibase:label in a comment"
    assert rewrite_labels(text, PREFIXES).text == text


def test_accept_language_is_read_by_quality() -> None:
    assert parse_accept_language("en;q=0.5, de-AT, fr;q=0, x!;q=1") == ["de-at", "de", "en"]


def test_the_cli_answers_the_label_service(settings: Settings, built: BuildResult) -> None:
    query = """SELECT ?c ?cLabel ?cAltLabel WHERE { VALUES ?c { wd:Q145 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "[AUTO_LANGUAGE]". } }"""
    seen = []
    for extra in ((), ("--language", "xx,de")):
        result = subprocess.run([sys.executable, "-m", "citygraph", "query", "--root",
                                 str(settings.root), "--dist", str(settings.dist_dir),
                                 "--format", "csv", *extra, "-"],
                                input=query, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        seen.append(result.stdout.splitlines())
    assert seen[0] == ["c,cLabel,cAltLabel",
                       "http://www.wikidata.org/entity/Q145,United Kingdom,Great Britain"]
    assert seen[1][1] == "http://www.wikidata.org/entity/Q145,Vereinigtes Königreich,Großbritannien"
    bad = subprocess.run([sys.executable, "-m", "citygraph", "query", "--root", str(settings.root),
                          "--dist", str(settings.dist_dir), "--language", "d e", "-"],
                         input=query, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not a language code" in bad.stderr and "Traceback" not in bad.stderr


def test_a_curated_query_with_the_label_service_answers_on_api(client: FlaskClient, app_context: Any,
                                                              tmp_path: Path) -> None:
    """A named query in WDQS form (loaded from a real .rq file) is rewritten on /api too."""
    path = tmp_path / "wdqs-labels.rq"
    path.write_text("#+ title: labels in WDQS form\n#+ param: c iri = http://www.wikidata.org/entity/"
                    "Q145 | an entity\nSELECT ?c ?cLabel ?cAltLabel WHERE {\n"
                    '  SERVICE wikibase:label { bd:serviceParam wikibase:language "[AUTO_LANGUAGE],en". }\n'
                    "}\n", encoding="utf-8")
    query = load_query(path)
    app_context.queries[query.name] = query
    try:
        answers = {}
        for language in ("de", "en"):
            response = client.get("/api/wdqs-labels", headers={**JSON, "Accept-Language": language})
            assert response.status_code == 200, response.get_data(as_text=True)
            assert "Accept-Language" in response.headers["Vary"]
            (row,) = response.get_json()["results"]["bindings"]
            answers[language] = (row["cLabel"]["value"], row["cAltLabel"]["value"],
                                 response.headers["ETag"])
        assert answers["de"][:2] == ("Vereinigtes Königreich", "Großbritannien")
        assert answers["en"][:2] == ("United Kingdom", "Great Britain")
        assert answers["de"][2] != answers["en"][2]
    finally:
        del app_context.queries[query.name]


def test_construct_templates_and_ask_filters_use_labels(client: FlaskClient) -> None:
    construct = ("CONSTRUCT { ?c rdfs:label ?cLabel } WHERE { VALUES ?c { wd:Q1295 } "
                 'SERVICE wikibase:label { bd:serviceParam wikibase:language "de". } }')
    response = client.get("/sparql", query_string={"query": construct},
                          headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == (
        '<http://www.wikidata.org/entity/Q1295> <http://www.w3.org/2000/01/rdf-schema#label> '
        '"Dortmund"@de .')
    ask = ('ASK { VALUES ?c { wd:Q1295 } SERVICE wikibase:label { bd:serviceParam '
           'wikibase:language "en". } FILTER(?cLabel = "Dortmund"@en) }')
    response = client.get("/sparql", query_string={"query": ask}, headers=JSON)
    assert response.get_json()["boolean"] is True


def test_counts_per_country_group_by_the_label(client: FlaskClient) -> None:
    names, rows = select(client, """SELECT ?country ?countryLabel (COUNT(?city) AS ?n) WHERE {
  ?place cg:country ?k . ?k cg:wikidataEntity ?country . ?place cg:wikidataEntity ?city .
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
} GROUP BY ?country ?countryLabel ORDER BY DESC(?n) ?countryLabel""")
    assert names == ["country", "countryLabel", "n"]
    labels_seen = [r["countryLabel"]["value"] for r in rows]
    assert labels_seen[0] == "Germany" and len(set(labels_seen)) == len(labels_seen)


def test_a_block_inside_an_optional_still_sees_the_entities_bound_outside(client: FlaskClient) -> None:
    _, rows = select(client, """SELECT ?x ?xLabel WHERE {
  VALUES ?x { wd:Q1295 }
  OPTIONAL { ?x wdt:P17 ?country SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } }
}""")
    assert [value(r, "xLabel") for r in rows] == [("Dortmund", "en")]


def test_a_subquery_feeding_the_label_service_is_the_wdqs_idiom(client: FlaskClient) -> None:
    names, rows = select(client, """SELECT * WHERE {
  { SELECT ?x WHERE { ?e cg:wikidataEntity ?x } ORDER BY ?x LIMIT 2 }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". ?x rdfs:label ?name }
}""")
    assert names == ["name", "x"] and len(rows) == 2 and all("name" in r for r in rows)


def test_too_many_label_variables_are_a_400_before_the_engine(client: FlaskClient) -> None:
    """Found in review: 200 alt-label variables made a 5.7 KB query run into the time limit."""
    names = " ".join(f"?a{i} ?a{i}AltLabel" for i in range(41))
    values = " ".join(f"BIND(wd:Q1295 AS ?a{i})" for i in range(41))
    query = (f"SELECT {names} WHERE {{ {values} SERVICE wikibase:label "
             '{ bd:serviceParam wikibase:language "de,en". } }')
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert "asked for 41 labels" in response.get_data(as_text=True)
    fewer = query.replace(" ?a40 ?a40AltLabel", "").replace(" BIND(wd:Q1295 AS ?a40)", "")
    assert client.get("/sparql", query_string={"query": fewer}).status_code == 200


def test_a_values_clause_after_the_where_group_gets_its_labels(client: FlaskClient) -> None:
    """Found in review: a trailing VALUES joined after the generated code, so every label was empty."""
    names, rows = select(client, """SELECT ?city ?cityLabel ?twin ?twinLabel WHERE {
  ?city wdt:P190 ?twin .
  SERVICE wikibase:label { bd:serviceParam wikibase:language "de,en". }
} ORDER BY ?twinLabel
VALUES (?city ?twin) { (wd:Q1295 wd:Q40435) (wd:Q1295 wd:Q3761) }""")
    assert names == ["city", "cityLabel", "twin", "twinLabel"]
    assert [(value(r, "cityLabel"), value(r, "twinLabel")) for r in rows] == [
        (("Dortmund", "de"), ("Buffalo", "de"))]  # Accra is no twin: the join still holds
    _, only_values = select(client, """SELECT ?c ?cLabel WHERE {
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
} VALUES ?c { wd:Q1295 wd:Q99999999 }""")
    assert sorted(value(r, "cLabel") for r in only_values) == [("Dortmund", "en"), ("Q99999999", None)]


def test_a_trailing_values_is_the_querys_initial_rows_as_on_wdqs(client: FlaskClient) -> None:
    """WDQS (Blazegraph) starts from a trailing VALUES: the group's FILTERs see its variables."""
    _, rows = select(client, """SELECT ?c ?cLabel WHERE {
  OPTIONAL { ?c cg:nothing ?x }
  FILTER(?c != wd:Q1295)
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
} VALUES ?c { wd:Q1295 wd:Q40435 }""")
    assert [(r["c"]["value"], value(r, "cLabel")) for r in rows] == [
        ("http://www.wikidata.org/entity/Q40435", ("Buffalo", "en"))]
    _, star = select(client, """SELECT * WHERE {
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
  FILTER(BOUND(?cLabel))
} VALUES ?c { wd:Q1295 }""")
    assert [(r["c"]["value"], value(r, "cLabel")) for r in star] == [
        ("http://www.wikidata.org/entity/Q1295", ("Dortmund", "en"))]


def test_an_aggregating_query_keeps_its_trailing_values_where_it_is() -> None:
    query = """SELECT ?c (COUNT(?t) AS ?n) WHERE { ?c wdt:P190 ?t
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } } GROUP BY ?c
VALUES ?c { wd:Q1295 }"""
    rewritten = rewrite_labels(query, PREFIXES).text
    assert rewritten.rstrip().endswith("VALUES ?c { wd:Q1295 }")


@pytest.mark.parametrize("query", [
    # after the label block, on the line of the group's closing brace (where the code goes)
    'SELECT ?c ?cLabel WHERE { ?c wdt:P190 ?t . SERVICE wikibase:label { bd:serviceParam '
    'wikibase:language "de". } } ORDER BY ?cLabel LIMT 3',
    # on a later line
    'SELECT ?c ?cLabel WHERE {\n ?c wdt:P190 ?t .\n SERVICE wikibase:label { bd:serviceParam '
    'wikibase:language "de". }\n}\nORDER BY ?cLabel\nLIMT 3',
    # a SELECT * expanded, and a trailing VALUES moved
    'SELECT * WHERE { ?c wdt:P190 ?t SERVICE wikibase:label { bd:serviceParam wikibase:language '
    '"de". } FILTER(BOUND(?cLabel)) }\nORDER BY ?c LIMT 3 VALUES ?c { wd:Q1295 }',
    # a VALUES that is not last is no trailing VALUES: the error stays (the rewrite hides none)
    'SELECT * WHERE { ?c wdt:P190 ?t SERVICE wikibase:label { bd:serviceParam wikibase:language '
    '"de". } } VALUES ?c { wd:Q1295 } ORDER BY ?c',
])
def test_engine_errors_name_the_users_line_and_column(client: FlaskClient, query: str) -> None:
    """The engine reads the rewritten text; its error names the place in the text the user sent."""
    start = query.index("SERVICE wikibase:label")
    end = query.index("}", start) + 1
    plain = query[:start] + " " * (end - start) + query[end:]  # same places, no label service
    expected = client.get("/sparql", query_string={"query": plain}, headers=JSON)
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert expected.status_code == response.status_code == 400
    where = re.search(r"line \d+, column \d+", expected.get_data(as_text=True))
    assert where is not None
    assert response.get_data(as_text=True) == expected.get_data(as_text=True)


@pytest.mark.parametrize("hint", ['hint:Query hint:optimizer "None" .',
                                  "hint:Prior hint:runLast true .",
                                  "hint:Prior hint:runFirst true ; hint:runLast false .",
                                  "<http://www.bigdata.com/queryHints#Query> hint:optimizer 'None' ."])
def test_blazegraph_query_hints_are_dropped_not_matched(client: FlaskClient, hint: str) -> None:
    """Found in review: a WDQS hint line was a pattern matching nothing, so 0 rows and a 200."""
    plain = "SELECT ?twin WHERE { wd:Q1295 wdt:P190 ?twin . } ORDER BY ?twin"
    hinted = f"SELECT ?twin WHERE {{ {hint}\n wd:Q1295 wdt:P190 ?twin . {hint} }} ORDER BY ?twin"
    assert select(client, hinted)[1] == select(client, plain)[1] and len(select(client, plain)[1]) == 11
    labelled = hinted.replace("?twin WHERE", "?twin ?twinLabel WHERE").replace(
        "} ORDER", 'SERVICE wikibase:label { bd:serviceParam wikibase:language "en". } } ORDER')
    assert len(select(client, labelled)[1]) == 11


def test_a_hint_like_pattern_that_is_no_hint_is_kept(client: FlaskClient) -> None:
    """Only a triple whose subject and predicate are hints is a hint: data about hint IRIs stays."""
    query = "SELECT * WHERE { ?s hint:optimizer ?o }"
    assert rewrite_labels(query, PREFIXES).text == query


def test_full_text_search_is_a_clear_400(client: FlaskClient) -> None:
    query = 'SELECT ?l WHERE { ?l bds:search "Dortmund" . }'
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 400
    assert "bds:search is Blazegraph's full-text search" in response.get_data(as_text=True)


@pytest.mark.parametrize("service", ["wikibase:around", "wikibase:box", "wikibase:mwapi"])
def test_wdqs_builtin_services_are_named_for_what_they_are(client: FlaskClient, service: str) -> None:
    query = f"SELECT * WHERE {{ SERVICE {service} {{ ?place wdt:P625 ?location . }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 403
    assert f"SERVICE {service} is a service built into the Wikidata Query Service" in \
        response.get_data(as_text=True)
