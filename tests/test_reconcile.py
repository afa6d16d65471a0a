"""The Reconciliation Service API at /reconcile (W3C Entity Reconciliation CG, v0.2), as OpenRefine
speaks it: every answer is checked against the spec's JSON Schemas (tests/reconciliation/), the
requests the tests send too; real-world name variants each find their entity first."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from servers import serving

from citygraph.config import Settings
from citygraph.names import normalise, score
from citygraph.pipeline import BuildResult
from citygraph.web import reconcile

SCHEMAS = Path(__file__).resolve().parent / "reconciliation" / "schemas"
BASE = "https://w3id.org/citygraph/"
CG = BASE + "ontology#"


def _registry() -> Registry:
    registry: Registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        registry = registry.with_resource(contents["$id"], resource)
        # type.json is referred to relative to the other schemas' $id (…/0.2/schemas/)
        registry = registry.with_resource(
            "https://reconciliation-api.github.io/specs/0.2/schemas/" + path.name, resource)
    return registry


REGISTRY = _registry()


def valid(name: str, document: Any) -> Any:
    """Assert ``document`` is valid against the spec's schema ``name``; return it."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema, registry=REGISTRY).iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def reconcile_batch(client: FlaskClient, queries: dict[str, Any], method: str = "POST",
                    **headers: str) -> dict[str, Any]:
    """Send a (spec-valid) batch by POSTed form or GET; return the (spec-valid) results."""
    valid("reconciliation-query-batch", queries)
    text = json.dumps(queries)
    if method == "POST":
        response = client.post("/reconcile", data={"queries": text}, headers=headers)
    else:
        response = client.get("/reconcile", query_string={"queries": text}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return valid("reconciliation-result-batch", response.get_json())  # type: ignore[no-any-return]


def candidates(client: FlaskClient, query: dict[str, Any], **headers: str) -> list[dict[str, Any]]:
    """The candidates of one query."""
    return reconcile_batch(client, {"q0": query}, **headers)["q0"]["result"]  # type: ignore[no-any-return]


def error(client: FlaskClient, response: Any) -> str:
    """The message of a 400 answer (JSON with a message)."""
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "error" and body["message"]
    return str(body["message"])


# ------------------------------------------------------------------------------------------------
# Normalisation (pure)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("Ростов-на-Дону", "Rostov na Donu"), ("西安", "Xian"), ("Xi’an", "xi'an"),
    ("Technische Universität Dortmund", "TECHNISCHE UNIVERSITAT DORTMUND"),
    ("Cluj-Napoca", "cluj napoca"), ("Mönchengladbach", "Monchengladbach"), ("Житомир", "Zhitomir"),
])
def test_normalise_is_script_accent_case_and_punctuation_insensitive(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)
    assert score(a, b) == 100.0


def test_score_ranks_part_and_typo_below_exact() -> None:
    assert 60 < score("Cluj", "Cluj-Napoca") < 100
    assert score("Schitomir", "Schytomyr") > score("Schitomir", "Trabzon")
    assert score("Cluj", "Cluj-Napoca") > score("Cluj", "Projektpartnerschaft Dortmund–Cluj-Napoca")
    assert score("", "Dortmund") == 0.0


# ------------------------------------------------------------------------------------------------
# Manifest, JSONP, CORS
# ------------------------------------------------------------------------------------------------

def test_manifest_is_valid_and_points_at_this_service(client: FlaskClient) -> None:
    response = client.get("/reconcile")
    assert response.status_code == 200
    manifest = valid("manifest", response.get_json())
    assert "0.2" in manifest["versions"]
    assert manifest["identifierSpace"] == BASE + "id/"
    assert manifest["schemaSpace"] == CG
    assert [t["id"] for t in manifest["defaultTypes"]] == ["City", "Country", "Organisation",
                                                          "Partnership"]
    assert manifest["defaultTypes"][0]["name"] == "city"
    # identifierSpace + id is the entity's IRI; view and preview URLs answer on this server
    view = urlsplit(manifest["view"]["url"].replace("{{id}}", "city/dortmund"))
    page = client.get(view.path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Dortmund" in page.get_data(as_text=True)
    preview = urlsplit(manifest["preview"]["url"].replace("{{id}}", "city/dortmund"))
    assert client.get(preview.path + "?" + preview.query).status_code == 200
    for kind in ("entity", "type", "property"):
        service = manifest["suggest"][kind]
        path = urlsplit(service["service_url"]).path + service["service_path"]
        assert client.get(path, query_string={"prefix": "d"}).status_code == 200, kind
    propose = manifest["extend"]["propose_properties"]
    path = urlsplit(propose["service_url"]).path + propose["service_path"]
    assert client.get(path, query_string={"type": "City"}).status_code == 200
    assert client.get(urlsplit(manifest["documentation"]).path).status_code == 200


def test_jsonp_callback_wraps_the_manifest(client: FlaskClient) -> None:
    response = client.get("/reconcile?callback=jQuery3410_17")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = response.get_data(as_text=True)
    assert text.startswith("/**/jQuery3410_17(") and text.endswith(");")
    valid("manifest", json.loads(text[len("/**/jQuery3410_17("):-2]))


def test_jsonp_callback_wraps_a_query_batch(client: FlaskClient) -> None:
    queries = json.dumps({"q0": {"query": "Trabzon"}})
    text = client.get("/reconcile", query_string={"queries": queries, "callback": "cb.done"}
                      ).get_data(as_text=True)
    assert text.startswith("/**/cb.done(")
    body = valid("reconciliation-result-batch", json.loads(text[len("/**/cb.done("):-2]))
    assert body["q0"]["result"][0]["id"] == "city/trabzon"


@pytest.mark.parametrize("callback", ["alert(1)//", "a b", "1abc", "x;y", "", "a" * 300,
                                      "<script>"])
def test_unsafe_callback_names_are_refused(client: FlaskClient, callback: str) -> None:
    assert "callback" in error(client, client.get("/reconcile", query_string={"callback": callback}))


def test_cors_allows_any_origin(client: FlaskClient) -> None:
    response = client.get("/reconcile", headers={"Origin": "http://localhost:3333"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ------------------------------------------------------------------------------------------------
# Name variants: each finds its entity first
# ------------------------------------------------------------------------------------------------

#: (query, expected entity, exact: match true expected, how the data holds it)
VARIANTS = [
    ("Rostow am Don", "city/rostov-on-don", True, "rdfs:label @de"),
    ("Rostov-on-Don", "city/rostov-on-don", True, "rdfs:label @en"),
    ("Ростов-на-Дону", "city/rostov-on-don", True, "cg:nativeName @ru"),
    ("Rostov na Donu", "city/rostov-on-don", True, "transliteration of the Russian native name"),
    ("Rostov", "city/rostov-on-don", False, "fuzzy: one word of the names"),
    ("Schytomyr", "city/zhytomyr", True, "rdfs:label @de"),
    ("Zhytomyr", "city/zhytomyr", True, "rdfs:label @en"),
    ("Житомир", "city/zhytomyr", True, "cg:nativeName @uk"),
    ("Zhitomir", "city/zhytomyr", True, "transliteration of the Ukrainian native name"),
    ("Schitomir", "city/zhytomyr", False, "fuzzy"),
    ("Xian", "city/xian", True, "normalisation (apostrophe dropped) of Xi'an; transliteration of 西安"),
    ("Xi'an", "city/xian", True, "rdfs:label @en"),
    ("Xi’an", "city/xian", True, "rdfs:label @de"),
    ("西安", "city/xian", True, "cg:nativeName @zh"),
    ("Netanja", "city/netanya", True, "skos:altLabel @de"),
    ("Netanya", "city/netanya", True, "rdfs:label"),
    ("נתניה", "city/netanya", True, "cg:nativeName @he"),
    ("Novi Sad", "city/novi-sad", True, "rdfs:label"),
    ("Нови Сад", "city/novi-sad", True, "cg:nativeName @sr"),
    ("Cluj", "city/cluj-napoca", False, "fuzzy: the first part of Cluj-Napoca"),
    ("Cluj-Napoca", "city/cluj-napoca", True, "rdfs:label"),
    ("cluj napoca", "city/cluj-napoca", True, "case and punctuation"),
    ("Klausenburg", "city/cluj-napoca", True, "skos:altLabel @de (Wikidata 2016 crawl label)"),
    ("Trabzon", "city/trabzon", True, "rdfs:label"),
    ("TU Dortmund", "organisation/tu-dortmund", True, "skos:altLabel"),
    ("Technische Universität Dortmund", "organisation/tu-dortmund", True, "rdfs:label @de"),
    ("Technische Universitat Dortmund", "organisation/tu-dortmund", True, "accent-insensitive"),
    ("Ghana", "country/ghana", True, "rdfs:label"),
    ("Dortmund", "city/dortmund", True, "rdfs:label (organisations named after it rank below)"),
]


def test_every_name_variant_finds_its_entity_first(client: FlaskClient) -> None:
    queries = {f"q{i}": {"query": text} for i, (text, *_) in enumerate(VARIANTS)}
    results = reconcile_batch(client, queries)
    for i, (text, expected, exact, how) in enumerate(VARIANTS):
        found = results[f"q{i}"]["result"]
        assert found, f"{text!r} ({how}) found nothing"
        first = found[0]
        assert first["id"] == expected, (text, how, found[:3])
        assert first["match"] is exact, (text, how, first)
        assert (first["score"] == 100) is exact, (text, how, first)
        assert not any(c["match"] for c in found[1:]), (text, found)
        assert [c["score"] for c in found] == sorted((c["score"] for c in found), reverse=True)


@pytest.mark.parametrize("text", ["Trapezunt", "Neusatz"])
def test_exonyms_without_a_source_are_no_match(client: FlaskClient, text: str) -> None:
    """The data holds no German exonym for Trabzon or Novi Sad (no source in the repository
    gives one): at most a fuzzy candidate, never a match."""
    assert not any(c["match"] or c["score"] == 100
                   for c in candidates(client, {"query": text}))


def test_candidates_carry_name_type_and_description(client: FlaskClient) -> None:
    first = candidates(client, {"query": "Kumasi"})[0]
    assert first["id"] == "city/kumasi" and first["name"] == "Kumasi"
    assert first["type"] == [{"id": "City", "name": "city"}]
    assert "Ghana" in first["description"]
    assert {"id": "name", "value": 100.0} in first["features"]


def test_names_follow_accept_language(client: FlaskClient) -> None:
    de = candidates(client, {"query": "Rostov-on-Don"}, **{"Accept-Language": "de"})[0]
    en = candidates(client, {"query": "Ростов-на-Дону"}, **{"Accept-Language": "en-GB,en"})[0]
    assert de["name"] == "Rostow am Don" and en["name"] == "Rostov-on-Don"
    assert de["type"][0]["name"] == "Stadt"


def test_get_and_post_forms_answer_alike(client: FlaskClient) -> None:
    queries = {"a": {"query": "Netanja", "limit": 3}, "b": {"query": "Zhytomyr", "type": "City"}}
    assert reconcile_batch(client, queries, "GET") == reconcile_batch(client, queries, "POST")


# ------------------------------------------------------------------------------------------------
# Type, limit, properties
# ------------------------------------------------------------------------------------------------

def test_type_filter_keeps_only_entities_of_the_type(client: FlaskClient) -> None:
    untyped = candidates(client, {"query": "Dortmund"})
    assert untyped[0]["id"] == "city/dortmund"
    organisations = candidates(client, {"query": "Dortmund", "type": "Organisation"})
    assert organisations and all(c["id"].startswith("organisation/") for c in organisations)
    # a University is an Organisation (subclasses count); by IRI, cg: name or label alike
    for given in (CG + "Organisation", "cg:Organisation", "organisation"):
        assert candidates(client, {"query": "TU Dortmund", "type": given})[0]["id"] == \
            "organisation/tu-dortmund"
    assert candidates(client, {"query": "Dortmund", "type": ["Country", "City"]})[0]["id"] == \
        "city/dortmund"
    assert all(c["id"].startswith("country/")
               for c in candidates(client, {"query": "Deutschland", "type": "Country"}))
    both = candidates(client, {"query": "Dortmund", "type": ["City", "Organisation"],
                               "type_strict": "all"})
    assert both == []


def test_type_filter_decides_an_ambiguous_name(client: FlaskClient) -> None:
    """'Dortmund' is the city; typed Partnership, the best candidates are partnerships."""
    found = candidates(client, {"query": "Dortmund–Amiens", "type": "Partnership"})
    assert found[0]["id"] == "partnership/dortmund-amiens"


def test_limit_caps_the_candidates(client: FlaskClient) -> None:
    many = candidates(client, {"query": "Dortmund", "limit": 50})
    assert len(many) > 3
    two = candidates(client, {"query": "Dortmund", "limit": 2})
    assert two == many[:2]


@pytest.mark.parametrize("country", ["Q117", "Ghana", "Republik Ghana", "country/ghana",
                                     BASE + "id/country/ghana", {"id": "country/ghana"}])
def test_property_only_query_by_country(client: FlaskClient, country: object) -> None:
    found = candidates(client, {"properties": [{"pid": "country", "v": country}], "type": "City",
                                "limit": 50})
    assert {c["id"] for c in found} == {"city/kumasi", "city/cape-coast", "city/accra"}
    assert not any(c["match"] for c in found)


def test_property_constraint_confirms_or_demotes(client: FlaskClient) -> None:
    right = candidates(client, {"query": "Dortmund", "type": "City",
                                "properties": [{"pid": "country", "v": "Q183"}]})[0]
    assert right["id"] == "city/dortmund" and right["match"] is True and right["score"] == 100
    assert {"id": "property:country", "value": True} in right["features"]
    wrong = candidates(client, {"query": "Dortmund", "type": "City",
                                "properties": [{"pid": "country", "v": "Ghana"}]})[0]
    assert wrong["id"] == "city/dortmund" and wrong["match"] is False and wrong["score"] < 100
    # a QID constraint through the derived 'wikidata' property
    by_qid = candidates(client, {"query": "Rostov", "properties": [{"pid": "wikidata",
                                                                    "v": "Q908"}]})[0]
    assert by_qid["id"] == "city/rostov-on-don"


# ------------------------------------------------------------------------------------------------
# Bad input: a 400 with a message, never a 500
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("queries", "words"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"q0": "Dortmund"}', "JSON object"),
    ('{"q0": {"query": 5}}', "'query' must be a string"),
    ('{"q0": {"query": "x", "type": 3}}', "'type'"),
    ('{"q0": {"query": "x", "type": "Spaceship"}}', "unknown type"),
    ('{"q0": {"query": "x", "limit": 0}}', "'limit'"),
    ('{"q0": {"query": "x", "limit": "ten"}}', "'limit'"),
    ('{"q0": {"query": "x", "limit": true}}', "'limit'"),
    ('{"q0": {"query": "x", "type_strict": "maybe"}}', "type_strict"),
    ('{"q0": {"query": "x", "properties": {"pid": "country"}}}', "'properties'"),
    ('{"q0": {"query": "x", "properties": [{"pid": "country"}]}}', "'pid'"),
    ('{"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}', "unknown property"),
    ('{"q0": {"query": "x", "properties": [{"pid": "country", "v": [null]}]}}', "value"),
    ('{"q0": {}}', "neither"),
    ('{"q0": {"query": "' + "x" * 600 + '"}}', "longer"),
    (json.dumps({f"q{i}": {"query": "x"} for i in range(reconcile.MAX_QUERIES + 1)}),
     "too many queries"),
])
def test_bad_batches_are_400_with_a_message(client: FlaskClient, queries: str, words: str) -> None:
    for response in (client.post("/reconcile", data={"queries": queries}),
                     client.get("/reconcile", query_string={"queries": queries})):
        assert words in error(client, response)


def test_a_full_batch_is_answered(client: FlaskClient) -> None:
    queries = {f"q{i}": {"query": "Dortmund", "limit": 1} for i in range(reconcile.MAX_QUERIES)}
    assert len(reconcile_batch(client, queries)) == reconcile.MAX_QUERIES


def test_post_without_a_field_and_both_fields_are_400(client: FlaskClient) -> None:
    assert "queries" in error(client, client.post("/reconcile", data={}))
    assert "not both" in error(client, client.post("/reconcile", data={
        "queries": "{}", "extend": '{"ids": [], "properties": []}'}))


@pytest.mark.parametrize("extend", [
    "nope", "[]", '{"ids": "city/dortmund", "properties": []}',
    '{"ids": ["city/dortmund"], "properties": ["country"]}',
    '{"ids": ["city/dortmund"], "properties": [{"id": "colour"}]}',
    json.dumps({"ids": ["x"] * (reconcile.MAX_EXTEND_IDS + 1), "properties": []}),
])
def test_bad_extension_requests_are_400(client: FlaskClient, extend: str) -> None:
    error(client, client.post("/reconcile", data={"extend": extend}))


@pytest.mark.parametrize("path", ["/reconcile/suggest/entity", "/reconcile/suggest/entity?prefix=a&limit=x",
                                  "/reconcile/suggest/entity?prefix=a&cursor=-1",
                                  "/reconcile/suggest/entity?prefix=a&type=Nothing",
                                  "/reconcile/suggest/type?prefix=a&limit=0",
                                  "/reconcile/extend/propose?type=Nothing", "/reconcile/preview"])
def test_bad_suggest_and_preview_parameters_are_400(client: FlaskClient, path: str) -> None:
    error(client, client.get(path))


# ------------------------------------------------------------------------------------------------
# Suggest
# ------------------------------------------------------------------------------------------------

def suggest(client: FlaskClient, kind: str, **params: str) -> list[dict[str, Any]]:
    """The (spec-valid) result of a suggest service."""
    response = client.get(f"/reconcile/suggest/{kind}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    schema = {"entity": "suggest-entities-response", "type": "suggest-types-response",
              "property": "suggest-properties-response"}[kind]
    return valid(schema, response.get_json())["result"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("prefix", "expected"), [
    ("Rost", "city/rostov-on-don"), ("Рост", "city/rostov-on-don"), ("Рос", "country/russia"),
    ("Schyt", "city/zhytomyr"),
    ("xi", "city/xian"), ("נתנ", "city/netanya"), ("Cluj", "city/cluj-napoca"),
    ("klausen", "city/cluj-napoca"), ("TU Dort", "organisation/tu-dortmund"),
])
def test_suggest_entity_completes_a_prefix(client: FlaskClient, prefix: str, expected: str) -> None:
    found = suggest(client, "entity", prefix=prefix)
    assert found[0]["id"] == expected, found[:3]
    assert found[0]["notable"]


def test_suggest_entity_by_type_word_prefix_and_paging(client: FlaskClient) -> None:
    found = suggest(client, "entity", prefix="dortm", type="Organisation", limit="50")
    assert found and all(e["id"].startswith("organisation/") for e in found)
    assert "organisation/tu-dortmund" in {e["id"] for e in found}  # a later word's prefix
    first, second = (suggest(client, "entity", prefix="d", limit="2", cursor=c) for c in ("0", "2"))
    assert len(first) == 2 and first != second
    assert suggest(client, "entity", prefix="zzzzqqq") == []


def test_suggest_type_and_property(client: FlaskClient) -> None:
    assert suggest(client, "type", prefix="cit")[0]["id"] == "City"
    assert "City" in {t["id"] for t in suggest(client, "type", prefix="Stad")}  # German label
    university = next(t for t in suggest(client, "type", prefix="univ") if t["id"] == "University")
    assert {"id": "Organisation", "name": "organisation"} in university["broader"]
    assert suggest(client, "property", prefix="coord")[0]["id"] == "coordinates"
    assert suggest(client, "property", prefix="wiki")[0]["id"] == "wikidata"
    assert "partner" in {p["id"] for p in suggest(client, "property", prefix="partner")}


# ------------------------------------------------------------------------------------------------
# Data extension and preview
# ------------------------------------------------------------------------------------------------

def test_propose_properties_for_cities(client: FlaskClient) -> None:
    response = client.get("/reconcile/extend/propose", query_string={"type": "City"})
    body = valid("data-extension-property-proposal", response.get_json())
    ids = [p["id"] for p in body["properties"]]
    assert ids[:4] == ["wikidata", "country", "coordinates", "partners"]
    assert body["type"] == "City"


def test_extend_adds_qid_country_coordinates_and_partners(client: FlaskClient) -> None:
    request = {"ids": ["city/dortmund", BASE + "id/city/kumasi", "city/tel-aviv", "city/nowhere"],
               "properties": [{"id": "wikidata"}, {"id": "country"}, {"id": "coordinates"},
                              {"id": "partners"}]}
    valid("data-extension-query", request)
    posted = client.post("/reconcile", data={"extend": json.dumps(request)})
    got = client.get("/reconcile", query_string={"extend": json.dumps(request)})
    assert posted.status_code == got.status_code == 200
    body = valid("data-extension-response", posted.get_json())
    assert body == got.get_json()
    assert [m["id"] for m in body["meta"]] == ["wikidata", "country", "coordinates", "partners"]
    assert body["meta"][1]["type"] == {"id": "Country", "name": "country"}
    dortmund = body["rows"]["city/dortmund"]
    assert dortmund["wikidata"] == [{"str": "Q1295"}]
    assert dortmund["country"] == [{"id": "country/germany", "name": "Germany"}]
    assert dortmund["coordinates"] == [{"str": "51.5299670604,7.45002559269"}]
    partners = {p["id"] for p in dortmund["partners"]}
    assert {"city/amiens", "city/zhytomyr", "city/rostov-on-don", "city/kumasi"} <= partners
    kumasi = body["rows"][BASE + "id/city/kumasi"]
    assert kumasi["wikidata"] == [{"str": "Q182059"}] and "city/dortmund" in {
        p["id"] for p in kumasi["partners"]}
    assert body["rows"]["city/tel-aviv"]["wikidata"] == []  # no verified QID
    assert body["rows"]["city/nowhere"] == {"wikidata": [], "country": [], "coordinates": [],
                                            "partners": []}


def test_extend_reads_ontology_properties(client: FlaskClient) -> None:
    request = {"ids": ["partnership/dortmund-amiens"],
               "properties": [{"id": "partner"}, {"id": "cg:status"}, {"id": "partners"}]}
    body = valid("data-extension-response", client.post(
        "/reconcile", data={"extend": json.dumps(request)}).get_json())
    row = body["rows"]["partnership/dortmund-amiens"]
    assert {p["id"] for p in row["partner"]} == {"city/dortmund", "city/amiens"}
    assert row["partners"] == row["partner"]
    assert [s["id"] for s in row["cg:status"]] == ["partnership-status/active"]


def test_preview_card(client: FlaskClient) -> None:
    response = client.get("/reconcile/preview", query_string={"id": "city/zhytomyr"},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Zhytomyr" in html and "Q156713" in html and "Житомир" in html
    assert 'href="/id/city/zhytomyr"' in html
    assert "X-Frame-Options" not in response.headers  # OpenRefine shows it in an iframe
    assert client.get("/reconcile/preview", query_string={"id": "city/atlantis"}).status_code == 404
    flyout = client.get("/reconcile/flyout/entity", query_string={"id": "city/zhytomyr"}).get_json()
    assert flyout["id"] == "city/zhytomyr" and "Zhytomyr" in flyout["html"]


# ------------------------------------------------------------------------------------------------
# The index is read once per build
# ------------------------------------------------------------------------------------------------

def test_index_is_read_once_per_dataset_version(client: FlaskClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert candidates(client, {"query": "Leeds"})[0]["id"] == "city/leeds"
    kept = dict(reconcile._INDEXES)
    assert len(kept) == 1

    def fail(space: str) -> reconcile.Index:
        raise AssertionError("the index was read again")

    monkeypatch.setattr(reconcile, "read_index", fail)
    assert candidates(client, {"query": "Leeds"})[0]["id"] == "city/leeds"
    assert reconcile._INDEXES == kept


def test_cells_holding_an_id_iri_or_qid_match_their_entity(client: FlaskClient) -> None:
    for text in ("Q1295", "q1295", "city/dortmund", BASE + "id/city/dortmund"):
        first = candidates(client, {"query": text})[0]
        assert first["id"] == "city/dortmund" and first["match"] is True, text


def _namesakes() -> reconcile.Index:
    """Two towns of one name in two countries (the real data has no namesakes)."""
    space = BASE + "id/"
    city, country = reconcile.Vocabulary(CG + "City", "Class", {"en": "city"}), \
        reconcile.Vocabulary(CG + "Country", "Class", {"en": "country"})
    entities: dict[str, reconcile.Entity] = {}
    for slug, name in (("country/usa", "United States"), ("country/canada", "Canada")):
        entities[space + slug] = reconcile.Entity(space + slug, slug, [(name, "en", normalise(name))],
                                                  {CG + "Country"})
    for slug, land in (("city/london-ontario", "country/canada"), ("city/london-ohio", "country/usa")):
        entity = reconcile.Entity(space + slug, slug, [("London", "en", "london")], {CG + "City"})
        entity.facts[reconcile.COUNTRY].append(reconcile.Term("uri", space + land))
        entities[space + slug] = entity
    return reconcile.Index(space, entities, {city.iri: city, country.iri: country}, {})


def test_namesakes_are_no_match_until_a_constraint_decides(app: Any) -> None:
    idx = _namesakes()
    with app.test_request_context("/reconcile"):
        found = reconcile.reconcile(idx, reconcile.parse_query(idx, "q", {"query": "London"}))
        assert [c["score"] for c in found] == [100.0, 100.0]
        assert not any(c["match"] for c in found)
        decided = reconcile.reconcile(idx, reconcile.parse_query(idx, "q", {
            "query": "London", "properties": [{"pid": "country", "v": "Canada"}]}))
        assert decided[0]["id"] == "city/london-ontario" and decided[0]["match"] is True
        assert decided[1]["id"] == "city/london-ohio" and decided[1]["match"] is False
        assert decided[1]["score"] < decided[0]["score"]


def test_openrefine_over_http(settings: Settings, built: BuildResult) -> None:
    """As OpenRefine does it against a real server: the manifest by GET, a batch as a POSTed
    form, a data extension as a POSTed form, from another origin (CORS preflight)."""
    with serving(settings, "query_workers=1") as served:
        with urllib.request.urlopen(served.base + "/reconcile", timeout=30) as response:
            manifest = valid("manifest", json.load(response))
        assert manifest["view"]["url"] == served.base + "/id/{{id}}"
        preflight = urllib.request.Request(served.base + "/reconcile", method="OPTIONS", headers={
            "Origin": "http://127.0.0.1:3333", "Access-Control-Request-Method": "POST"})
        with urllib.request.urlopen(preflight, timeout=30) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        queries = {"q0": {"query": "Schytomyr", "type": "City", "type_strict": "should",
                          "limit": 3}}
        form = urllib.parse.urlencode({"queries": json.dumps(queries)}).encode()
        with urllib.request.urlopen(served.base + "/reconcile", data=form, timeout=30) as response:
            result = valid("reconciliation-result-batch", json.load(response))
        assert result["q0"]["result"][0]["id"] == "city/zhytomyr"
        extension = {"ids": ["city/zhytomyr"], "properties": [{"id": "wikidata"}]}
        form = urllib.parse.urlencode({"extend": json.dumps(extension)}).encode()
        with urllib.request.urlopen(served.base + "/reconcile", data=form, timeout=30) as response:
            rows = valid("data-extension-response", json.load(response))["rows"]
        assert rows["city/zhytomyr"]["wikidata"] == [{"str": "Q156713"}]


@pytest.mark.parametrize("queries,words", [
    ('{"q0": {"query": "Dortmund", "limit": 1e400}}', "'limit' must be"),
    ('{"q0": {"query": "Dortmund", "limit": NaN}}', "not a JSON number"),
    ('{"q0": {"query": "Dortmund", "limit": ' + "9" * 5000 + "}}", "a number with too many digits"),
    ('{"q0": {"query": "Dortmund", "properties": [{"pid": "country", "v": ' + "9" * 5000 + "}]}}",
     "a number with too many digits"),
])
def test_numbers_json_allows_but_python_cannot_take_are_400(client: FlaskClient, queries: str,
                                                             words: str) -> None:
    """Found in review: these were 500s (OverflowError, ValueError)."""
    for response in (client.post("/reconcile", data={"queries": queries}),
                     client.get("/reconcile", query_string={"queries": queries})):
        message = error(client, response)
        assert words in message and "sys." not in message  # nothing of Python's own advice


@pytest.mark.parametrize("cursor", ["\u00b2", "9" * 5000, "-1", "1.5"])
def test_a_bad_suggest_cursor_is_400(client: FlaskClient, cursor: str) -> None:
    response = client.get("/reconcile/suggest/entity", query_string={"prefix": "Do", "cursor": cursor})
    assert "'cursor' must be a whole number" in error(client, response)


def test_a_lone_surrogate_is_400_not_an_answer_that_cannot_be_encoded(client: FlaskClient) -> None:
    extend = '{"ids": ["\\ud800"], "properties": [{"id": "country"}]}'
    assert "lone surrogate" in error(client, client.post("/reconcile", data={"extend": extend}))


def test_an_organisation_gets_the_country_and_coordinates_of_its_location(client: FlaskClient) -> None:
    """Found in review: an organisation (schema:location a city) had no country to match or extend."""
    found = candidates(client, {"query": "TU Dortmund", "type": "Organisation",
                                "properties": [{"pid": "country", "v": "Germany"}]})[0]
    assert found["id"] == "organisation/tu-dortmund" and found["match"] is True
    assert {"id": "property:country", "value": True} in found["features"]
    request = {"ids": ["organisation/tu-dortmund", "organisation/knust"],
               "properties": [{"id": "country"}, {"id": "coordinates"}]}
    body = client.post("/reconcile", data={"extend": json.dumps(request)}).get_json()
    assert body["rows"]["organisation/tu-dortmund"]["country"] == [
        {"id": "country/germany", "name": "Germany"}]
    assert body["rows"]["organisation/tu-dortmund"]["coordinates"] == [
        {"str": "51.5299670604,7.45002559269"}]  # Dortmund's: its location's
    assert body["rows"]["organisation/knust"]["country"] == [{"id": "country/ghana", "name": "Ghana"}]


def test_alternate_names_are_matched(client: FlaskClient) -> None:
    """schema:alternateName is a name too (found in review: "#DiWoDo" did not match)."""
    found = candidates(client, {"query": "#DiWoDo"})[0]
    assert found["id"] == "event/digital-week-dortmund" and found["match"] is True


@pytest.mark.parametrize("raw", ["9" * 5000, "1e3", "-2", "x"])
def test_a_bad_suggest_limit_is_a_short_400(client: FlaskClient, raw: str) -> None:
    response = client.get("/reconcile/suggest/entity", query_string={"prefix": "Do", "limit": raw})
    message = error(client, response)
    assert "'limit' must be a positive whole number" in message and len(message) < 200


def test_a_jsonp_error_reaches_the_callback(client: FlaskClient) -> None:
    """A script-tag client gets the error object through its callback (a 400 would run nothing)."""
    response = client.get("/reconcile", query_string={"queries": "{not json", "callback": "cb_1"})
    assert response.status_code == 200 and response.content_type.startswith("application/javascript")
    text = response.get_data(as_text=True)
    assert text.startswith("/**/cb_1(") and text.endswith(");")
    body = json.loads(text[len("/**/cb_1("):-2])
    assert body["status"] == "error" and "is not JSON" in body["message"]
    bad_callback = client.get("/reconcile", query_string={"queries": "{not json", "callback": "a-b"})
    assert bad_callback.status_code == 400 and bad_callback.is_json
