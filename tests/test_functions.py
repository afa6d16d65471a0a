"""WDQS's extension functions (geof:distance, geof:latitude, geof:longitude) on the endpoint."""

from __future__ import annotations

import doctest
import math
from typing import Any

import pytest
from flask.testing import FlaskClient

from citygraph import functions

JSON = {"Accept": "application/sparql-results+json"}


def rows(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    bindings: list[dict[str, Any]] = response.get_json()["results"]["bindings"]
    return bindings


def test_the_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(functions)
    assert failures == 0 and tried > 0


def test_one_degree_along_the_equator_is_its_arc(client: FlaskClient) -> None:
    found = rows(client, 'SELECT (geof:distance("Point(0 0)"^^geo:wktLiteral, '
                         '"Point(1 0)"^^geo:wktLiteral) AS ?km) {}')
    assert found[0]["km"]["datatype"] == "http://www.w3.org/2001/XMLSchema#double"
    assert float(found[0]["km"]["value"]) == pytest.approx(math.pi * functions.EARTH_RADIUS_KM / 180)


def test_a_wdqs_distance_query_runs_unchanged(client: FlaskClient) -> None:
    """The nearest twins of Dortmund, as WDQS users write it (wdt:P625 and geof:distance)."""
    found = rows(client, """SELECT ?twin ?km WHERE {
  wd:Q1295 wdt:P625 ?here ; wdt:P190 ?twin .
  ?twin wdt:P625 ?there .
  BIND(geof:distance(?here, ?there) AS ?km)
} ORDER BY ?km""")
    assert len(found) == 11 and all("km" in r for r in found)
    distances = [float(r["km"]["value"]) for r in found]
    assert distances == sorted(distances) and 0 < distances[0] < 1000 < distances[-1] < 20_050
    leeds = next(float(r["km"]["value"]) for r in found if r["twin"]["value"].endswith("/Q39121"))
    back = rows(client, """SELECT ?km WHERE { wd:Q39121 wdt:P625 ?a . wd:Q1295 wdt:P625 ?b .
  BIND(geof:distance(?a, ?b) AS ?km) }""")
    assert float(back[0]["km"]["value"]) == pytest.approx(leeds)  # symmetric


def test_latitude_and_longitude_take_a_point_apart(client: FlaskClient) -> None:
    found = rows(client, 'SELECT (geof:latitude(?p) AS ?lat) (geof:longitude(?p) AS ?long) '
                         '{ BIND("Point(7.465 51.5136)"^^geo:wktLiteral AS ?p) }')
    assert (float(found[0]["lat"]["value"]), float(found[0]["long"]["value"])) == (51.5136, 7.465)


@pytest.mark.parametrize("argument", ['"Point(7 51)"', '"Point(7)"^^geo:wktLiteral',
                                      '"POLYGON((0 0,1 0,1 1,0 0))"^^geo:wktLiteral',
                                      '"Point(200 95)"^^geo:wktLiteral', "<http://example.org/p>"])
def test_what_is_no_wkt_point_leaves_the_value_unbound(client: FlaskClient, argument: str) -> None:
    found = rows(client, f'SELECT ?km {{ BIND(geof:distance({argument}, "Point(0 0)"^^geo:wktLiteral) '
                         "AS ?km) }")
    assert found == [{}]


def test_distance_in_kilometres_only(client: FlaskClient) -> None:
    km = rows(client, 'SELECT (geof:distance("Point(0 0)"^^geo:wktLiteral, "Point(1 0)"^^geo:wktLiteral, '
                      "<http://www.opengis.net/def/uom/OGC/1.0/kilometre>) AS ?d) {}")
    metres = rows(client, 'SELECT (geof:distance("Point(0 0)"^^geo:wktLiteral, "Point(1 0)"^^geo:wktLiteral, '
                          "<http://www.opengis.net/def/uom/OGC/1.0/metre>) AS ?d) {}")
    assert "d" in km[0] and metres == [{}]
