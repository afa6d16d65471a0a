"""The data (``data/``): every fact of the article, the reader comment and DOMAIN.md is in the build.

Each test asks the built dataset (``dist/citygraph.nq``, union of all named graphs) with SPARQL and
names the missing fact when it fails. Entities are found by their verified Wikidata QID, their class
and their labels rather than by slug, so the tests check the facts, not the spelling of an IRI.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
DATA = Path(__file__).resolve().parents[1] / "data"
COORDINATES_CSV = REFERENCE / "coordinates.csv"
QIDS_CSV = REFERENCE / "qids-verified.csv"
DATA_GRAPHS = "https://w3id.org/citygraph/graph/data/"
WD = "http://www.wikidata.org/entity/"

# Sources, described by what they are (not by slug).
ARTICLE = "?{v} a cg:NewsArticle ."
COMMENT = "?{v} a cg:ReaderComment ."
DORTMUND_DE = "?{v} dcterms:publisher ?{v}_pub . ?{v}_pub cg:wikidataEntity wd:Q1295 ."
DORTMUND_DE_TWIN_PAGE = (
    DORTMUND_DE
    + ' ?{v} a cg:WebPage ; dcterms:title ?{v}_t . FILTER(CONTAINS(STR(?{v}_t), "Städtepartnerschaften"))'
)
DORTMUND_DE_PRESS = DORTMUND_DE + " ?{v} a cg:PressRelease ."
DORTMUND_DE_CLIMATE = (
    DORTMUND_DE + ' ?{v} dcterms:title ?{v}_t . FILTER(CONTAINS(LCASE(STR(?{v}_t)), "klimapartnerschaft"))'
)
WIKIPEDIA = (
    "?{v} a/rdfs:subClassOf* cg:Source ; (dcterms:title|rdfs:label) ?{v}_t ."
    ' FILTER(CONTAINS(STR(?{v}_t), "Wikipedia"))'
)
WIKIDATA_CRAWL = (
    '?{v} a cg:ReferenceDataset ; schema:url ?{v}_u . FILTER(CONTAINS(STR(?{v}_u), "sister-cities"))'
)


def src(pattern: str, var: str) -> str:
    """A source pattern bound to variable ``?var``."""
    return pattern.replace("{v}", var)


@pytest.fixture(scope="module")
def store(built: BuildResult) -> EmbeddedStore:
    """The built dataset in an embedded store (default graph = union of all graphs)."""
    return EmbeddedStore(built.dist)


def ask(store: EmbeddedStore, where: str) -> bool:
    result = store.query(f"ASK {{ {where} }}")
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def select(store: EmbeddedStore, query: str) -> list[dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in result]


def check(store: EmbeddedStore, where: str, fact: str) -> None:
    assert ask(store, where), f"missing fact: {fact}\n--- pattern that found nothing ---\n{where}"


def derived(node: str, source_pattern: str, var: str) -> str:
    """``node`` prov:wasDerivedFrom a source matching ``source_pattern``."""
    return f"{node} prov:wasDerivedFrom ?{var} . {src(source_pattern, var)}"


def stated(node: str, statement: str, source_pattern: str, var: str) -> str:
    """``statement`` about ``node`` sits in a data graph (file) that attributes ``node`` to a source
    matching ``source_pattern``: the provenance of the very triples, not just of the node."""
    return (
        f"GRAPH ?{var}_g {{ {statement} {node} prov:wasDerivedFrom ?{var} . }}"
        f' FILTER(STRSTARTS(STR(?{var}_g), "{DATA_GRAPHS}")) {src(source_pattern, var)}'
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------------------------
# The nine formal twinnings (article) with their countries


TWINNINGS = [
    # label, city QID, country QID, status
    ("Amiens", "Q41604", "Q142", "active"),
    ("Leeds", "Q39121", "Q145", "active"),
    ("Zwickau", "Q3778", "Q183", "active"),
    ("Novi Sad", "Q55630", "Q403", "active"),
    ("Trabzon", "Q45301", "Q43", "active"),
    ("Buffalo", "Q40435", "Q30", "active"),
    ("Netanya", "Q192225", "Q801", "active"),
    ("Xi'an", "Q5826", "Q148", "active"),
    ("Rostov-on-Don", "Q908", "Q159", "paused"),
]


@pytest.mark.parametrize(("label", "qid", "country", "status"), TWINNINGS, ids=[t[0] for t in TWINNINGS])
def test_formal_twinning_with_country(
    store: EmbeddedStore, label: str, qid: str, country: str, status: str
) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 .
      ?city a cg:City ; cg:wikidataEntity wd:{qid} ; rdfs:label "{label}"@en ;
            cg:country ?country .
      ?country a cg:Country ; cg:wikidataEntity wd:{country} .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?city ; cg:kind cgkind:twinning ;
         cg:status cgstatus:{status} .
      {derived("?p", ARTICLE, "s")}
    """
    check(
        store,
        where,
        f"twinning Dortmund–{label} (city wd:{qid}, cg:country wd:{country}), "
        f"cg:kind cgkind:twinning, cg:status cgstatus:{status}, derived from the article",
    )


def test_exactly_nine_twinnings_named_by_the_article(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT DISTINCT ?city WHERE {
        ?dortmund cg:wikidataEntity wd:Q1295 .
        ?p a cg:Partnership ; cg:partner ?dortmund , ?city ; cg:kind cgkind:twinning ;
           prov:wasDerivedFrom ?s . ?s a cg:NewsArticle .
        FILTER(?city != ?dortmund)
        FILTER NOT EXISTS { ?p cg:statusChange/cg:toStatus cgstatus:planned }
      }""",
    )
    cities = sorted(str(r["city"]) for r in rows)
    assert len(cities) == 9, f"the article names nine formal twinnings (not planned ones); found {cities}"


def test_twinned_with_is_derived_not_asserted(store: EmbeddedStore) -> None:
    assert not ask(
        store,
        f"""GRAPH ?g {{ ?a cg:twinnedWith ?b }}
                          FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))""",
    ), "cg:twinnedWith must be derived from the partnership nodes, never asserted in data/"
    check(
        store,
        "?d cg:wikidataEntity wd:Q1295 . ?a cg:wikidataEntity wd:Q41604 ."
        " ?d cg:twinnedWith ?a . ?a cg:twinnedWith ?d .",
        "derived cg:twinnedWith Dortmund <-> Amiens (both directions)",
    )


# ---------------------------------------------------------------------------------------------
# Rostov-on-Don: contact paused because of the Russian war against Ukraine


def test_rostov_paused_with_cause_russian_war_against_ukraine(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?rostov cg:wikidataEntity wd:Q908 .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?rostov ; cg:status cgstatus:paused ;
         cg:statusChange ?sc .
      ?sc a cg:StatusChange ; cg:toStatus cgstatus:paused ; cg:cause ?war .
      ?war a cg:War ; cg:perpetrator ?ru ; cg:target ?ua .
      ?ru cg:wikidataEntity wd:Q159 . ?ua cg:wikidataEntity wd:Q212 .
      {derived("?sc", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Dortmund–Rostov-on-Don cg:status paused; a cg:StatusChange cg:toStatus paused with "
        "cg:cause a cg:War (cg:perpetrator Russia, cg:target Ukraine), from the article",
    )


# ---------------------------------------------------------------------------------------------
# Zhytomyr


def test_zhytomyr_council_approval_february_2023(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?z cg:wikidataEntity wd:Q156713 .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?z ; cg:kind cgkind:twinning ;
         cg:relatedResolution ?r .
      ?r a cg:Resolution ; schema:legislationDate "2023-02"^^xsd:gYearMonth ;
         cg:decidingBody ?council ; cg:outcome cgoutcome:approved ; dcterms:subject ?p .
      ?council a cg:CityCouncil ; schema:location ?dortmund .
      {derived("?r", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Dortmund–Zhytomyr twinning with cg:relatedResolution a cg:Resolution "
        "(schema:legislationDate 2023-02, cg:decidingBody Dortmund's cg:CityCouncil, "
        "cg:outcome approved, dcterms:subject the partnership), from the article",
    )


def test_zhytomyr_planned_status_change_decided_by_the_resolution(store: EmbeddedStore) -> None:
    where = f"""
      ?z cg:wikidataEntity wd:Q156713 .
      ?p a cg:Partnership ; cg:partner ?z ; cg:statusChange ?sc ; cg:relatedResolution ?r .
      ?sc cg:toStatus cgstatus:planned ; cg:decidedBy ?r ; cg:date "2023-02"^^xsd:gYearMonth .
      {derived("?sc", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Zhytomyr status change to planned, cg:decidedBy the Feb 2023 resolution, cg:date 2023-02",
    )


def test_zhytomyr_to_be_realised_by_2025(store: EmbeddedStore) -> None:
    where = f"""
      ?z cg:wikidataEntity wd:Q156713 .
      ?p a cg:Partnership ; cg:partner ?z ; cg:kind cgkind:twinning ;
         cg:plannedCompletion "2025"^^xsd:gYear .
      {derived("?p", ARTICLE, "s")}
    """
    check(store, where, 'Dortmund–Zhytomyr cg:plannedCompletion "2025"^^xsd:gYear, from the article')


# ---------------------------------------------------------------------------------------------
# Kumasi


def test_kumasi_planned_first_african_twinning(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?k ; cg:kind cgkind:twinning ;
         cg:statusChange ?sc .
      ?sc cg:toStatus cgstatus:planned .
      {derived("?sc", ARTICLE, "s")}
      ?p (schema:description|skos:note|rdfs:label) ?text .
      FILTER(REGEX(STR(?text), "first.*Africa", "i") && LANG(?text) = "en")
    """
    check(
        store,
        where,
        "Dortmund–Kumasi twinning planned (status change to planned from the article) and "
        "described (@en) as Dortmund's first twinning in Africa",
    )


def test_kumasi_no_earlier_african_twinning(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT DISTINCT ?city WHERE {
        ?dortmund cg:wikidataEntity wd:Q1295 .
        ?p a cg:Partnership ; cg:partner ?dortmund , ?city ; cg:kind cgkind:twinning .
        ?city cg:country ?c . VALUES ?c_qid { wd:Q117 wd:Q1006 }
        ?c cg:wikidataEntity ?c_qid .
        FILTER NOT EXISTS { ?city cg:wikidataEntity wd:Q182059 }
      }""",
    )
    assert not rows, f"Kumasi is the first African twinning; other African twins found: {rows}"


def test_kumasi_council_meeting_in_november_without_a_year(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?k ; cg:kind cgkind:twinning .
      ?meeting a cg:CouncilMeeting ; cg:heldBy ?council ; cg:agendaItem ?item ;
               cg:dateText "im November"@de ; schema:eventStatus schema:EventScheduled .
      ?council a cg:CityCouncil .
      ?item a cg:AgendaItem ; dcterms:subject ?p .
      {derived("?meeting", ARTICLE, "s")}
      {derived("?item", ARTICLE, "s2")}
    """
    check(
        store,
        where,
        "Kumasi twinning: the council's meeting \"im November\" (cg:CouncilMeeting held by the city "
        "council, cg:dateText verbatim) with an agenda item (cg:AgendaItem) about the partnership",
    )
    assert not ask(store, "?m a cg:CouncilMeeting ; schema:startDate|cg:plannedDate|cg:date ?d"), (
        "the article gives no year for the November meeting: no date may be recorded"
    )
    assert not ask(store, """?r a cg:Resolution ; dcterms:subject ?p . ?p cg:partner ?k .
                             ?k cg:wikidataEntity wd:Q182059"""), (
        "no source reports a council resolution on the Kumasi twinning: a deliberation to come is not one"
    )


def test_no_month_of_an_undated_year_is_recorded(store: EmbeddedStore) -> None:
    rows = select(store, f"""
      SELECT ?s ?p ?o WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        FILTER(isLiteral(?o) && DATATYPE(?o) IN (xsd:gYearMonth, xsd:date, xsd:gYear)
               && STRSTARTS(STR(?o), "2023-1"))
      }}""")
    assert not rows, f"no source dates anything in Oct.-Dec. 2023 (the article's date is inferred): {rows}"


def test_the_retired_resolution_iri_is_replaced_by_the_agenda_item(store: EmbeddedStore) -> None:
    old = "<https://w3id.org/citygraph/id/resolution/2023-11-dortmund-council-kumasi>"
    rows = select(store, f"SELECT ?new ?t WHERE {{ {old} owl:deprecated true ; dcterms:isReplacedBy ?new . "
                         "OPTIONAL { ?new a ?t } }")
    assert {(str(r["new"].value), str(r["t"].value)) for r in rows} >= {
        ("https://w3id.org/citygraph/id/agenda-item/dortmund-city-council-november-kumasi-twinning",
         "https://w3id.org/citygraph/ontology#AgendaItem")}
    assert len({r["new"] for r in rows}) == 1
    assert not ask(store, f"{old} a ?type"), "the retired IRI names nothing any more"


def test_kumasi_climate_partnership_start_two_disagreeing_claims(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?k ; cg:kind cgkind:climate-partnership ;
         schema:startDate "2011"^^xsd:gYear .
      ?c1 a cg:Claim ; rdf:subject ?p ; rdf:predicate schema:startDate ; rdf:object ?o1 .
      {derived("?c1", COMMENT, "s1")}
      ?o1 a time:Instant .
      ?c2 a cg:Claim ; rdf:subject ?p ; rdf:predicate schema:startDate ; rdf:object "2011"^^xsd:gYear .
      {derived("?c2", DORTMUND_DE_CLIMATE, "s2")}
      {{ ?c1 cg:disagreesWith ?c2 }} UNION {{ ?c2 cg:disagreesWith ?c1 }}
    """
    check(
        store,
        where,
        "Dortmund–Kumasi climate partnership with two claims on schema:startDate kept side by side: "
        '"about ten years earlier" (reader comment, a time:Instant) and 2011 (dortmund.de), '
        "linked by cg:disagreesWith",
    )


def test_kumasi_climate_partnership_ten_years_before_the_undated_comment(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?k ; cg:kind cgkind:climate-partnership .
      ?c a cg:Claim ; rdf:subject ?p ; rdf:predicate schema:startDate ; rdf:object ?start .
      {derived("?c", COMMENT, "s")}
      ?start a time:Instant ; rdfs:label ?l .
      ?span a time:Interval ; time:hasBeginning ?start ; time:hasEnd ?published ;
            time:hasXSDDuration "P10Y"^^xsd:duration ; cg:approximation cgqty:approximately .
      {derived("?span", COMMENT, "s2")}
      ?s cg:publicationTime ?published .
      ?published a time:Instant .
    """
    check(
        store,
        where,
        "the comment's 'vor 10 Jahren': the claim's value is a time:Instant that begins a time:Interval "
        'of about "P10Y"^^xsd:duration ending at the comment\'s cg:publicationTime',
    )
    positioned = select(
        store,
        """
      SELECT ?i ?p ?v WHERE {
        ?c a cg:ReaderComment ; cg:publicationTime ?pub .
        ?span time:hasEnd ?pub ; time:hasBeginning ?start .
        { ?span time:hasEnd ?i } UNION { ?span time:hasBeginning ?i }
        ?i ?p ?v FILTER(?p IN (time:inXSDDate, time:inXSDgYear, time:inXSDgYearMonth,
                               time:inXSDDateTimeStamp, time:inDateTime, time:inTimePosition))
      }""",
    )
    assert not positioned, f"the comment is undated: no calendar position may be invented: {positioned}"


def test_claim_values_of_date_properties_are_typed(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?c ?o WHERE {
        ?c a cg:Claim ; rdf:predicate ?pred ; rdf:object ?o .
        FILTER(?pred IN (schema:startDate, schema:endDate, cg:date, dcterms:date))
        FILTER(!(isIRI(?o) && EXISTS { ?o a time:Instant })
               && !(isLiteral(?o) && DATATYPE(?o) IN (xsd:gYear, xsd:gYearMonth, xsd:date)))
      }""",
    )
    assert not rows, f"claims whose date value is neither a typed date nor a time:Instant: {rows}"


def test_kumasi_in_ashanti_region(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 ; schema:containedInPlace ?r .
      ?r a cg:Region ; cg:wikidataEntity wd:Q398417 .
      {derived("?k", COMMENT, "s")}
    """
    check(
        store,
        where,
        "Kumasi schema:containedInPlace Ashanti Region (a cg:Region, wd:Q398417),"
        " Kumasi derived from the comment",
    )


def test_kumasi_second_largest_city_of_ghana(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 ; cg:country ?gh ; prov:wasDerivedFrom ?s .
      ?gh cg:wikidataEntity wd:Q117 .
      {src(COMMENT, "s")}
      ?k (schema:description|skos:note) ?en , ?de .
      FILTER(LANG(?en) = "en" && REGEX(STR(?en), "second[- ]largest", "i"))
      FILTER(LANG(?de) = "de" && REGEX(STR(?de), "zweitgrö(ß|ss)te", "i"))
    """
    check(
        store,
        where,
        "Kumasi described (@de/@en) as Ghana's second-largest city, cg:country Ghana, from the comment",
    )


def test_kumasi_population_rank_two_within_ghana(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 . ?gh cg:wikidataEntity wd:Q117 .
      ?q a cg:QuantitativeStatement ; cg:quantityKind cgqty:population-rank ; schema:value ?v ;
         cg:area ?k ; cg:referencePlace ?gh .
      FILTER(?v = 2 && DATATYPE(?v) = xsd:integer)
      {derived("?q", COMMENT, "s")}
    """
    check(
        store,
        where,
        "Kumasi 'Ghanas zweitgrößte Stadt' as a cg:QuantitativeStatement (population-rank 2, "
        "cg:area Kumasi, cg:referencePlace Ghana), from the comment",
    )


def test_december_2021_resolution_sub_saharan_partner(store: EmbeddedStore) -> None:
    where = f"""
      ?r a cg:Resolution ; schema:legislationDate "2021-12"^^xsd:gYearMonth ;
         cg:decidingBody ?council ; cg:outcome cgoutcome:mandate ;
         (dcterms:subject|schema:description) ?text .
      ?council a cg:CityCouncil .
      FILTER(CONTAINS(STR(?text), "Sahara"))
      {derived("?r", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "December 2021 council resolution (schema:legislationDate 2021-12, cg:decidingBody the "
        "council, cg:outcome mandate) asking for a partner city in sub-Saharan Africa",
    )


def test_sub_saharan_africa_as_a_world_region_on_the_continent_africa(store: EmbeddedStore) -> None:
    where = f"""
      ?r a cg:Resolution ; schema:legislationDate "2021-12"^^xsd:gYearMonth ; dcterms:spatial ?area .
      ?area a cg:WorldRegion ; rdfs:label ?de ; cg:continent ?africa .
      FILTER(LANG(?de) = "de" && CONTAINS(?de, "südlich der Sahara"))
      ?africa a cg:Continent ; rdfs:label "Africa"@en .
      FILTER NOT EXISTS {{ ?area a/rdfs:subClassOf* cg:AdministrativeBody }}
      {derived("?area", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the 2021 resolution's area (dcterms:spatial) 'Afrika südlich der Sahara', a cg:WorldRegion "
        "(not an administrative body) on the continent Africa, from the article",
    )


# ---------------------------------------------------------------------------------------------
# Continents, only as the sources state them


EUROPE_PER_ARTICLE = [
    # "Innerhalb Europas bestehen Städtepartnerschaften mit Amiens (Frankreich), Leeds (Großbritannien),
    # Zwickau (Deutschland), Novi Sad (Serbien) und Trabzon in der Türkei."
    ("Amiens", "Q41604"),
    ("Leeds", "Q39121"),
    ("Zwickau", "Q3778"),
    ("Novi Sad", "Q55630"),
    ("Trabzon", "Q45301"),
    ("France", "Q142"),
    ("United Kingdom", "Q145"),
    ("Germany", "Q183"),
    ("Serbia", "Q403"),
]


@pytest.mark.parametrize(("label", "qid"), EUROPE_PER_ARTICLE, ids=[e[0] for e in EUROPE_PER_ARTICLE])
def test_within_europe_per_the_article(store: EmbeddedStore, label: str, qid: str) -> None:
    where = f"""
      ?place cg:wikidataEntity wd:{qid} .
      ?europe a cg:Continent ; rdfs:label "Europe"@en , "Europa"@de .
      {stated("?place", "?place cg:continent ?europe .", ARTICLE, "s")}
    """
    check(store, where, f"{label} cg:continent Europe, stated in the article's graph ('innerhalb Europas')")


@pytest.mark.parametrize(
    ("label", "qid", "source"),
    [("Kumasi", "Q182059", ARTICLE), ("Ghana", "Q117", COMMENT)],
    ids=["kumasi-article", "ghana-comment"],
)
def test_in_africa_per_the_sources(store: EmbeddedStore, label: str, qid: str, source: str) -> None:
    where = f"""
      ?place cg:wikidataEntity wd:{qid} .
      ?africa a cg:Continent ; rdfs:label "Africa"@en , "Afrika"@de .
      {stated("?place", "?place cg:continent ?africa .", source, "s")}
    """
    check(store, where, f"{label} cg:continent Africa, stated in the graph of the source that says so")


def test_continent_statements_all_come_from_a_source_that_says_so(store: EmbeddedStore) -> None:
    rows = select(
        store,
        f"""
      SELECT DISTINCT ?place ?continent ?g WHERE {{
        GRAPH ?g {{ ?place cg:continent ?continent }}
        FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?place prov:wasDerivedFrom ?s }}
                            ?s a ?type FILTER(?type IN (cg:NewsArticle, cg:ReaderComment)) }}
      }}""",
    )
    assert not rows, f"continents only as the article or the comment state them: {rows}"
    unsourced = select(
        store,
        """
      SELECT ?country WHERE {
        VALUES ?qid { wd:Q43 wd:Q1006 wd:Q30 wd:Q801 wd:Q159 }
        ?country cg:wikidataEntity ?qid ; cg:continent ?c .
      }""",
    )
    assert not unsourced, (
        "no source states a continent for Turkey (transcontinental; the article places only Trabzon), "
        f"Guinea, the USA, Israel or Russia: {unsourced}"
    )


def test_continents_are_places_not_administrative_bodies(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?c ?problem WHERE {
        ?c a cg:Continent .
        BIND(IF(EXISTS { ?c a cg:AdministrativeBody }, "administrative body",
             IF(NOT EXISTS { ?c a schema:Continent }, "not a schema:Continent",
             IF(EXISTS { ?c cg:wikidataEntity ?q }, "unverified Wikidata link", ""))) AS ?problem)
        FILTER(?problem != "")
      }""",
    )
    assert not rows, rows
    assert len(select(store, "SELECT ?c WHERE { ?c a cg:Continent }")) == 2


# ---------------------------------------------------------------------------------------------
# The five project partnerships; Dura paused after the Hamas attacks


PROJECT_PARTNERS = [
    # label, city QIDs accepted, country/territory pattern, status
    ("Pittsburgh", ("Q1342",), "?city cg:country/cg:wikidataEntity wd:Q30 .", "active"),
    ("Vancouver", ("Q24639",), "?city cg:country/cg:wikidataEntity wd:Q16 .", "active"),
    ("Cluj-Napoca", ("Q100188",), "?city cg:country/cg:wikidataEntity wd:Q218 .", "active"),
    ("Dabola", ("Q1100543", "Q1156587"), "?city cg:country/cg:wikidataEntity wd:Q1006 .", "active"),
    ("Dura", ("Q2435966",), "?city schema:containedInPlace/cg:wikidataEntity wd:Q36678 .", "paused"),
]


@pytest.mark.parametrize(
    ("label", "qids", "country", "status"), PROJECT_PARTNERS, ids=[t[0] for t in PROJECT_PARTNERS]
)
def test_project_partnership(
    store: EmbeddedStore, label: str, qids: tuple[str, ...], country: str, status: str
) -> None:
    values = " ".join(f"wd:{q}" for q in qids)
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 .
      VALUES ?qid {{ {values} }}
      ?city a cg:City ; cg:wikidataEntity ?qid ; rdfs:label "{label}"@en .
      {country}
      ?p a cg:Partnership ; cg:partner ?dortmund , ?city ; cg:kind cgkind:project-partnership ;
         cg:status cgstatus:{status} .
      {derived("?p", ARTICLE, "s")}
    """
    check(
        store,
        where,
        f"project partnership Dortmund–{label} ({country.strip()}), cg:status {status}, from the article",
    )


def test_dura_paused_after_hamas_attacks(store: EmbeddedStore) -> None:
    where = f"""
      ?dura cg:wikidataEntity wd:Q2435966 .
      ?p a cg:Partnership ; cg:partner ?dura ; cg:kind cgkind:project-partnership ;
         cg:status cgstatus:paused ; cg:statusChange ?sc .
      ?sc cg:toStatus cgstatus:paused ; cg:cause ?attack .
      ?attack a cg:Attack ; cg:perpetrator ?hamas .
      ?hamas rdfs:label "Hamas"@en .
      {derived("?sc", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Dortmund–Dura status change to paused with cg:cause a cg:Attack whose cg:perpetrator is Hamas",
    )


def test_dura_youth_centre_groundbreaking(store: EmbeddedStore) -> None:
    where = f"""
      ?dura cg:wikidataEntity wd:Q2435966 .
      ?p a cg:Partnership ; cg:partner ?dura ; cg:kind cgkind:project-partnership .
      ?project a cg:Project ; cg:partnerIn ?p ; schema:location ?dura .
      ?event a cg:Event ; schema:about ?project ; rdfs:label ?l .
      FILTER(REGEX(STR(?l), "Spatenstich|groundbreaking", "i"))
      {derived("?project", ARTICLE, "s1")}
      {derived("?event", ARTICLE, "s2")}
    """
    check(
        store,
        where,
        "youth-centre cg:Project in Dura (cg:partnerIn the Dura partnership) and its groundbreaking "
        "cg:Event (schema:about the project) that was due",
    )


def test_no_date_is_inferred_for_the_undated_article() -> None:
    # The article prints no date ("noch in diesem Monat" is relative to it): none is recorded,
    # neither on the source nor on the groundbreaking that was due "this month".
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS

    sources = Graph().parse(DATA / "sources.ttl")
    article = URIRef("https://w3id.org/citygraph/id/source/nordstadtblogger-dortmund-international"
                     "-relations")
    assert (article, DCTERMS.date, None) not in sources
    events = Graph().parse(DATA / "article.ttl")
    groundbreaking = URIRef("https://w3id.org/citygraph/id/event/dura-youth-centre-groundbreaking")
    assert not list(events.objects(groundbreaking, URIRef(
        "https://w3id.org/citygraph/ontology#plannedDate")))


# ---------------------------------------------------------------------------------------------
# The article's own disagreement on the count


def test_count_of_twinnings_ten_vs_nine_side_by_side(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 .
      ?c10 a cg:Claim ; rdf:subject ?dortmund ; rdf:predicate ?pred ; rdf:object ?ten ;
           cg:sourceLocator ?loc10 .
      ?c9 a cg:Claim ; rdf:subject ?dortmund ; rdf:predicate ?pred ; rdf:object ?nine ;
          cg:sourceLocator ?loc9 .
      FILTER(?ten = 10 && ?nine = 9 && ?loc10 != ?loc9)
      {derived("?c10", ARTICLE, "s")}
      ?c9 prov:wasDerivedFrom ?s .
      {{ ?c10 cg:disagreesWith ?c9 }} UNION {{ ?c9 cg:disagreesWith ?c10 }}
    """
    check(
        store,
        where,
        "two cg:Claims of the article on Dortmund's number of twinnings, 10 (heading) and 9 (body), "
        "different cg:sourceLocator, linked by cg:disagreesWith",
    )


def test_count_of_project_partnerships_five(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 .
      ?c a cg:Claim ; rdf:subject ?dortmund ; rdf:predicate ?pred ; rdf:object ?five .
      FILTER(?five = 5)
      {derived("?c", ARTICLE, "s")}
    """
    check(store, where, "the article's claim: Dortmund has five project partnerships")


# ---------------------------------------------------------------------------------------------
# Administration, programmes, Europe, lord mayor


def test_merger_of_the_two_administration_units(store: EmbeddedStore) -> None:
    where = f"""
      ?u1 a cg:AdministrativeUnit ; rdfs:label ?l1 ; org:unitOf ?admin .
      ?u2 a cg:AdministrativeUnit ; rdfs:label ?l2 ; org:unitOf ?admin .
      ?admin a cg:CityAdministration .
      FILTER(LANG(?l1) = "de" && CONTAINS(?l1, "Städtepartnerschaften"))
      FILTER(LANG(?l2) = "de" && CONTAINS(?l2, "Internationale Beziehungen"))
      ?merger a cg:Event ; cg:participant ?u1 , ?u2 .
      {derived("?merger", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the merger (a cg:Event with cg:participant both units) of the administration units "
        "„Städtepartnerschaften“ and „Internationale Beziehungen“"
        " (cg:AdministrativeUnit, org:unitOf the administration)",
    )


def test_diwodo_event_series(store: EmbeddedStore) -> None:
    where = f"""
      ?e a cg:EventSeries ; (rdfs:label|schema:alternateName|skos:altLabel) ?n .
      FILTER(CONTAINS(STR(?n), "#DiWoDo"))
      {derived("?e", ARTICLE, "s")}
    """
    check(store, where, "#DiWoDo (Digitale Woche Dortmund) as a cg:EventSeries, from the article")


def test_klima_luft_2030_action_programme(store: EmbeddedStore) -> None:
    where = f"""
      ?e a cg:ActionProgramme ; rdfs:label ?n .
      FILTER(CONTAINS(STR(?n), "Klima-Luft-2030"))
      {derived("?e", ARTICLE, "s")}
    """
    check(store, where, "Handlungsprogramm Klima-Luft-2030 as a cg:ActionProgramme, from the article")


@pytest.mark.parametrize(
    ("label_de", "what"),
    [
        ("Europawahl", "2024 European elections"),
        ("Fußball-Europameisterschaft", "Euro 2024 football championship"),
    ],
    ids=["european-elections-2024", "euro-2024"],
)
def test_europe_focus_events_2024(store: EmbeddedStore, label_de: str, what: str) -> None:
    where = f"""
      ?e a cg:Event ; rdfs:label ?l ; schema:startDate ?d .
      FILTER(LANG(?l) = "de" && CONTAINS(?l, "{label_de}") && YEAR(?d) = 2024)
      ?programme (dcterms:relation|cg:participant|schema:about) ?e .
      {derived("?e", ARTICLE, "s")}
    """
    check(store, where, f"the {what} as a cg:Event dated 2024 that the article's Europe focus refers to")


def test_thomas_westphal_lord_mayor(store: EmbeddedStore) -> None:
    where = f"""
      ?person a cg:Person ; rdfs:label "Thomas Westphal"@de .
      ?ra a cg:RoleAssignment ; org:member ?person ; org:role cgrole:lord-mayor ;
          org:organization ?dortmund ; cg:current true .
      ?dortmund cg:wikidataEntity wd:Q1295 .
      {derived("?ra", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Thomas Westphal holds cgrole:lord-mayor of Dortmund (cg:RoleAssignment, cg:current true)",
    )


def test_lord_mayor_quotation(store: EmbeddedStore) -> None:
    where = f"""
      ?person rdfs:label "Thomas Westphal"@de .
      ?q a cg:Quotation ; prov:wasAttributedTo ?person ; schema:text ?t .
      FILTER(CONTAINS(?t, "internationalen Netzwerk"))
      {derived("?q", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the lord mayor's quotation („In einem starken internationalen Netzwerk …“) attributed to Westphal",
    )


# ---------------------------------------------------------------------------------------------
# Netanya


def netanya_verein() -> str:
    return """?verein a cg:TwinningAssociation ; (rdfs:label|skos:altLabel) ?vn .
              FILTER(CONTAINS(STR(?vn), "Netanya-Verein"))"""


def test_netanya_verein(store: EmbeddedStore) -> None:
    where = f"""{netanya_verein()}
      ?netanya cg:wikidataEntity wd:Q192225 .
      ?p cg:partner ?netanya ; cg:kind cgkind:twinning ; cg:carriedBy ?verein .
      {derived("?verein", ARTICLE, "s")}
    """
    check(store, where, "the Netanya-Verein (cg:TwinningAssociation) carrying the Dortmund–Netanya twinning")


def test_netanya_verein_board_statement(store: EmbeddedStore) -> None:
    where = f"""{netanya_verein()}
      ?q a cg:Quotation ; (prov:wasAttributedTo|cg:onBehalfOf) ?verein ; schema:text ?t .
      FILTER(CONTAINS(?t, "Massaker"))
      {derived("?q", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the Netanya-Verein board's statement (cg:Quotation condemning the Hamas massacre)"
        " on behalf of the association",
    )


def test_klaus_wegener_is_quoted_for_the_netanya_verein_without_a_stated_role(store: EmbeddedStore) -> None:
    where = f"""{netanya_verein()}
      ?person a cg:Person ; rdfs:label "Klaus Wegener"@de .
      ?q a cg:Quotation ; prov:wasAttributedTo ?person ; cg:onBehalfOf ?verein ; schema:text ?t .
      FILTER(CONTAINS(?t, "Das unfassbar grausame Massaker an der israelischen Bevölkerung durch die Hamas"))
      {derived("?q", ARTICLE, "s")}
    """
    check(store, where, "Klaus Wegener quoted verbatim for the Netanya-Verein (\"so Klaus Wegener\")")
    assert not ask(store, f"""{netanya_verein()}
      ?person rdfs:label "Klaus Wegener"@de . ?ra org:member ?person ; org:organization ?verein ."""), (
        "the article names no office of Klaus Wegener in the Netanya-Verein: no role assignment"
    )


def test_netanya_verein_planned_solidarity_visit(store: EmbeddedStore) -> None:
    where = f"""{netanya_verein()}
      ?netanya cg:wikidataEntity wd:Q192225 .
      ?visit a cg:Event ; cg:organiser ?verein ; schema:location ?netanya ;
             schema:eventStatus schema:EventScheduled .
      {derived("?visit", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the planned solidarity visit (cg:Event, schema:EventScheduled,"
        " cg:organiser Netanya-Verein, location Netanya)",
    )


def test_netanya_about_25_km_north_of_tel_aviv(store: EmbeddedStore) -> None:
    where = f"""
      ?netanya cg:wikidataEntity wd:Q192225 ; ?rel ?tlv ; schema:description ?d .
      ?tlv a cg:City ; rdfs:label "Tel Aviv"@en .
      FILTER(LANG(?d) = "en" && REGEX(?d, "25 ?km north of Tel Aviv"))
      {derived("?netanya", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Netanya about 25 km north of Tel Aviv (description @en and a link to the Tel Aviv node)",
    )


def test_netanya_distance_from_tel_aviv_as_a_quantitative_statement(store: EmbeddedStore) -> None:
    where = f"""
      ?netanya cg:wikidataEntity wd:Q192225 .
      ?tlv a cg:City ; rdfs:label "Tel Aviv"@en .
      ?q a cg:QuantitativeStatement ; cg:quantityKind cgqty:distance ; schema:value ?v ;
         schema:unitCode "KMT" ; cg:approximation cgqty:approximately ;
         cg:area ?netanya ; cg:referencePlace ?tlv ;
         cg:direction <https://w3id.org/citygraph/id/compass-direction/north> .
      FILTER(?v = 25 && DATATYPE(?v) = xsd:integer)
      {derived("?q", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "Netanya 'rund 25 km nördlich von Tel Aviv' as a cg:QuantitativeStatement (distance 25, "
        "unit KMT, approximately, cg:referencePlace Tel Aviv, cg:direction north), from the article",
    )


def test_westphal_contact_with_the_mayor_of_netanya(store: EmbeddedStore) -> None:
    where = f"""
      ?westphal a cg:Person ; rdfs:label "Thomas Westphal"@de .
      ?netanya cg:wikidataEntity wd:Q192225 .
      ?contact a cg:Event ; prov:wasAssociatedWith ?westphal , ?mayor ; cg:participant ?netanya .
      FILTER(?mayor != ?westphal)
      ?mayor a cg:Person .
      ?ra a cg:RoleAssignment ; org:member ?mayor ; org:role cgrole:mayor ; org:organization ?netanya .
      {derived("?contact", ARTICLE, "s")}
      {derived("?ra", ARTICLE, "s2")}
      FILTER NOT EXISTS {{ ?mayor schema:name ?name }}
    """
    check(
        store,
        where,
        "Westphal's contact with his counterpart (Amtskollege) in Netanya: a cg:Event associated with "
        "Westphal and an unnamed cg:Person holding cgrole:mayor of Netanya, from the article",
    )


def test_luetgendortmund_associations_partnership_with_netanya(store: EmbeddedStore) -> None:
    where = f"""
      ?ltd cg:wikidataEntity wd:Q1250674 ; a cg:District .
      ?assoc a/rdfs:subClassOf* cg:Organisation ; schema:location ?ltd .
      ?netanya cg:wikidataEntity wd:Q192225 .
      ?p a cg:Partnership ; cg:partner ?assoc , ?netanya ; cg:kind ?kind ; cg:status ?status .
      {derived("?p", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "partnership of the Lütgendortmund associations (located in district Lütgendortmund) with Netanya",
    )


# ---------------------------------------------------------------------------------------------
# Auslandsgesellschaft


def test_auslandsgesellschaft_building_bridges_13_years(store: EmbeddedStore) -> None:
    where = f"""
      ?ag a cg:ForeignRelationsSociety ; rdfs:label "Auslandsgesellschaft"@de .
      ?bb a cg:ExchangeProgramme ; cg:organiser ?ag ; cg:durationYears ?years ; rdfs:label ?l .
      FILTER(?years = 13 && CONTAINS(?l, "Building Bridges"))
      {derived("?bb", ARTICLE, "s")}
    """
    check(
        store,
        where,
        "the Auslandsgesellschaft (cg:ForeignRelationsSociety) organises the exchange programme "
        "„Building Bridges“ with cg:durationYears 13",
    )


def test_auslandsgesellschaft_registered_name_is_attributed_to_qids_verified(store: EmbeddedStore) -> None:
    qids = '?{v} a cg:ReferenceDataset ; dcterms:identifier "reference/qids-verified.csv" .'
    where = f"""
      ?ag a cg:ForeignRelationsSociety ; rdfs:label "Auslandsgesellschaft"@de .
      {stated("?ag", '?ag skos:altLabel "Auslandsgesellschaft.de e.V."@de .', qids, "s")}
    """
    check(
        store,
        where,
        "the name 'Auslandsgesellschaft.de e.V.' stated in the data file of its source, qids-verified.csv",
    )
    assert not ask(
        store,
        f"""?ag skos:altLabel "Auslandsgesellschaft.de e.V."@de .
            {stated("?ag", '?ag skos:altLabel "Auslandsgesellschaft.de e.V."@de .', ARTICLE, "s")}""",
    ), "the article never names 'Auslandsgesellschaft.de e.V.': that label must not sit in its graph"


def test_evacuated_youth_group(store: EmbeddedStore) -> None:
    where = f"""
      ?e a cg:Event ; rdfs:label ?l ; schema:location ?il .
      ?il cg:wikidataEntity wd:Q801 .
      FILTER(LANG(?l) = "en" && REGEX(?l, "evacuat", "i") && REGEX(?l, "youth", "i"))
      {derived("?e", ARTICLE, "s")}
    """
    check(store, where, "the evacuation of a youth group from Israel (cg:Event, schema:location Israel)")


def test_deutsch_ghanaischer_laenderkreis(store: EmbeddedStore) -> None:
    where = f"""
      ?ag a cg:ForeignRelationsSociety ; rdfs:label "Auslandsgesellschaft"@de .
      ?circle a cg:OrganisationalUnit ; org:unitOf ?ag ; rdfs:label ?l .
      FILTER(LANG(?l) = "de" && CONTAINS(?l, "Ghana"))
      {derived("?circle", COMMENT, "s")}
    """
    check(
        store,
        where,
        "the Auslandsgesellschaft's Deutsch-Ghanaischer Länderkreis (cg:OrganisationalUnit, org:unitOf),"
        " from the comment",
    )


# ---------------------------------------------------------------------------------------------
# The reader comment: Kumasi, Ghana, NRW


def test_emschergenossenschaft_helps_kumasi_on_river_renaturation(store: EmbeddedStore) -> None:
    where = f"""
      ?wb a cg:WaterBoard ; rdfs:label "Emschergenossenschaft"@de .
      ?k cg:wikidataEntity wd:Q182059 .
      ?help cg:participant ?wb , ?k ; dcterms:relation ?p ; schema:description ?t .
      ?p a cg:Partnership ; cg:partner ?k ; cg:kind cgkind:climate-partnership .
      FILTER(CONTAINS(STR(?t), "Die Emschergenossenschaft konnte Kumasi mit ihrem know how weiterhelfen."))
      FILTER(REGEX(STR(?t), "Renaturierung", "i"))
      {derived("?wb", COMMENT, "s")}
      {derived("?help", COMMENT, "s2")}
    """
    check(
        store,
        where,
        "the Emschergenossenschaft (cg:WaterBoard) helping Kumasi with river renaturation: a participant "
        "(cg:participant, with Kumasi) of an activity related to the climate partnership, quoted verbatim",
    )
    assert not ask(store, "?p cg:carriedBy ?wb . ?wb a cg:WaterBoard"), (
        "the comment says the Emschergenossenschaft helped Kumasi, not that it carries the partnership"
    )


def test_tu_dortmund_knust_exchange(store: EmbeddedStore) -> None:
    where = f"""
      ?tu a cg:University ; (rdfs:label|skos:altLabel) "TU Dortmund"@de .
      ?knust a cg:University ; (rdfs:label|skos:altLabel) "KNUST"@en ; schema:location ?k .
      ?k cg:wikidataEntity wd:Q182059 .
      {{ ?x a cg:Partnership ; cg:partner ?tu , ?knust . }}
      UNION {{ ?x a cg:ExchangeProgramme ; (cg:organiser|cg:participant) ?tu ; cg:participant ?knust . }}
      {derived("?x", COMMENT, "s")}
    """
    check(
        store,
        where,
        "TU Dortmund's exchange with KNUST (Kumasi), as a partnership or exchange programme,"
        " from the comment",
    )


def test_ghana_nrw_partner_country_since_2007(store: EmbeddedStore) -> None:
    where = f"""
      ?nrw cg:wikidataEntity wd:Q1198 . ?gh cg:wikidataEntity wd:Q117 .
      ?p a cg:Partnership ; cg:partner ?nrw , ?gh ; schema:startDate "2007"^^xsd:gYear ;
         cg:kind cgkind:state-partnership .
      cgkind:state-partnership a cg:PartnershipKind ; skos:inScheme cg:PartnershipKindScheme ;
         skos:prefLabel "Länderpartnerschaft"@de , ?en .
      FILTER(LANG(?en) = "en")
      {derived("?p", COMMENT, "s")}
    """
    check(
        store,
        where,
        "Ghana NRW's partner country since 2007 (cg:Partnership NRW–Ghana, schema:startDate 2007, "
        "cg:kind cgkind:state-partnership 'Länderpartnerschaft')",
    )


def test_nrw_government_relations_with_accra(store: EmbeddedStore) -> None:
    where = f"""
      ?nrw cg:wikidataEntity wd:Q1198 . ?accra cg:wikidataEntity wd:Q3761 .
      ?gov a cg:StateGovernment ; schema:areaServed ?nrw .
      ?p a cg:Partnership ; cg:partner ?gov , ?other .
      FILTER(?other != ?gov)
      {{ ?other schema:location ?accra }} UNION {{ FILTER(?other = ?accra) }}
      {derived("?p", COMMENT, "s")}
    """
    check(
        store, where, "the NRW state government's relations with the government in Accra (a cg:Partnership)"
    )


@pytest.mark.parametrize(
    ("value", "approx", "kind", "area_qid", "what"),
    [
        (13000, "more-than", "residents-of-ghanaian-origin", "Q1198", "more than 13,000 Ghanaians in NRW"),
        (
            600,
            "approximately",
            "residents-of-ghanaian-origin",
            "Q1295",
            "about 600 Ghanaians around Dortmund",
        ),
        (
            70,
            "more-than",
            "companies-trading-with-ghana",
            "Q1198",
            "more than 70 NRW companies trading with Ghana",
        ),
    ],
    ids=["ghanaians-nrw-13000", "ghanaians-dortmund-600", "nrw-companies-70"],
)
def test_quantitative_statements(
    store: EmbeddedStore, value: int, approx: str, kind: str, area_qid: str, what: str
) -> None:
    where = f"""
      ?q a cg:QuantitativeStatement ; cg:quantityKind cgqty:{kind} ; schema:value ?v ;
         cg:approximation cgqty:{approx} ; cg:area ?area .
      ?area cg:wikidataEntity wd:{area_qid} .
      FILTER(?v = {value} && DATATYPE(?v) = xsd:integer)
      {derived("?q", COMMENT, "s")}
    """
    check(
        store,
        where,
        f"{what} (cg:QuantitativeStatement {kind}, {value}, {approx}, area wd:{area_qid}), from the comment",
    )


def test_comment_quantities_hold_at_the_comments_unknown_date(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?q ?problem WHERE {
        ?q a cg:QuantitativeStatement ; prov:wasDerivedFrom ?s . ?s a cg:ReaderComment .
        OPTIONAL { ?q cg:referenceTime ?t }
        OPTIONAL { ?s cg:publicationTime ?pub }
        BIND(IF(EXISTS { ?q cg:referenceDate ?d }, "has a cg:referenceDate",
             IF(!BOUND(?t) || !BOUND(?pub) || ?t != ?pub,
                "cg:referenceTime is not the comment's cg:publicationTime", "")) AS ?problem)
        FILTER(?problem != "")
      }""",
    )
    assert not rows, f"the comment is undated; its numbers hold at its publication instant: {rows}"
    assert len(select(store, "SELECT ?q WHERE { ?q cg:referenceTime ?t }")) >= 3


def test_bonn_partnership_with_a_ghanaian_city(store: EmbeddedStore) -> None:
    city, qid = "Bonn", "Q586"
    where = f"""
      ?city cg:wikidataEntity wd:{qid} .
      ?p a cg:Partnership ; cg:partner ?city , ?ghanaian .
      ?ghanaian cg:country/cg:wikidataEntity wd:Q117 .
      FILTER(?ghanaian != ?city)
      {{ ?p prov:wasDerivedFrom ?s . {src(COMMENT, "s")} }}
      UNION {{ ?q a cg:Quotation ; schema:about ?city ; prov:wasDerivedFrom ?s2 . {src(COMMENT, "s2")} }}
    """
    check(
        store,
        where,
        f"{city}'s partnership with a city in Ghana: a cg:Partnership with {city} and a partner "
        f"whose cg:country is Ghana, the comment linked as source (or by a quotation about {city})",
    )


def test_moenchengladbach_partner_in_ghana_not_invented(store: EmbeddedStore) -> None:
    where = f"""
      ?mg cg:wikidataEntity wd:Q2758 .
      ?q a cg:Quotation ; schema:about ?mg ; schema:text ?t .
      FILTER(CONTAINS(?t, "Mönchengladbach"))
      {derived("?q", COMMENT, "s")}
      ?mg skos:editorialNote ?note .
      FILTER(REGEX(?note, "names no partner", "i"))
    """
    check(
        store,
        where,
        "the comment's mention of Mönchengladbach (quotation about it) and an editorial note on "
        "Mönchengladbach saying the comment names no partner",
    )
    assert not ask(
        store,
        "?mg cg:wikidataEntity wd:Q2758 . ?p a cg:Partnership ; cg:partner ?mg , ?x . FILTER(?x != ?mg)",
    ), "no source names Mönchengladbach's Ghanaian partner: no partnership node may be made"
    assert not ask(
        store, '?x rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "offinso"))'
    ), "Offinso rests only on an unverified note: it must not be in the graph"


def test_klaus_wegener_former_honorary_consul_of_ghana(store: EmbeddedStore) -> None:
    where = f"""
      ?person a cg:Person ; rdfs:label "Klaus Wegener"@de .
      ?ra a cg:RoleAssignment ; org:member ?person ; org:role cgrole:honorary-consul ;
          org:organization ?gh ; cg:current false .
      ?gh cg:wikidataEntity wd:Q117 .
      {derived("?ra", COMMENT, "s")}
    """
    check(
        store,
        where,
        "Klaus Wegener, former (cg:current false) cgrole:honorary-consul of Ghana, from the comment",
    )


# ---------------------------------------------------------------------------------------------
# Sources


def test_article_and_reader_comment_are_two_sources_with_different_authors(store: EmbeddedStore) -> None:
    where = """
      ?article a cg:NewsArticle ; (dcterms:creator|schema:author|dcterms:publisher) ?a1 .
      ?comment a cg:ReaderComment ; (dcterms:creator|schema:author) ?a2 ;
               (schema:parentItem|dcterms:isPartOf) ?article .
      ?a2 rdfs:label "Klaus Wegener"@de .
      FILTER(?article != ?comment)
      FILTER NOT EXISTS { ?article (dcterms:creator|schema:author|dcterms:publisher) ?a2 }
    """
    check(
        store,
        where,
        "the article body (cg:NewsArticle) and the reader comment (cg:ReaderComment by Klaus Wegener, "
        "part of the article) are two sources with different authors",
    )


RELATED_ARTICLES = [
    "Israel-Mahnwache: Ein deutliches Zeichen der Solidarität und gegen Antisemitismus",
    "Auf dem Weg zu einer neuen Städtepartnerschaft: Delegation aus Schytomyr besuchte Dortmund",
    "Der russische Angriff auf die Ukraine löst auch in Dortmund Wut, Sorgen und Proteste aus",
    "Dortmund will seine internationalen Beziehungen ausbauen – erste Partnerschaft mit Afrika geplant",
]


@pytest.mark.parametrize("title", RELATED_ARTICLES, ids=[f"related-{i}" for i in range(1, 5)])
def test_more_on_the_topic_related_articles(store: EmbeddedStore, title: str) -> None:
    where = f"""
      ?article a cg:NewsArticle ; dcterms:identifier "000_e40029d45451858d" ; dcterms:relation ?page .
      ?page a cg:NewsArticle ; dcterms:title "{title}"@de ; dcterms:publisher ?pub ;
            dcterms:isReferencedBy ?article .
      ?article dcterms:publisher ?pub .
      {derived("?page", ARTICLE, "s")}
    """
    check(
        store,
        where,
        f"the related article „{title}“ (German title, dcterms:relation from the article, "
        "same publisher), derived from the article",
    )


def test_related_articles_have_no_invented_url_or_date(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?page ?p ?o WHERE {
        ?article dcterms:identifier "000_e40029d45451858d" ; dcterms:relation ?page .
        ?page a cg:NewsArticle ; ?p ?o .
        FILTER(?p IN (schema:url, dcterms:date, dcterms:identifier, prov:generatedAtTime))
      }""",
    )
    assert not rows, f"the article gives only headlines: no URL, date or identifier: {rows}"
    assert len(select(store, """SELECT ?page WHERE {
        ?a dcterms:identifier "000_e40029d45451858d" ; dcterms:relation ?page }""")) == 4


def test_comment_facts_are_not_attributed_to_the_article(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?q WHERE {
        ?q a cg:QuantitativeStatement ; cg:quantityKind ?kind ; prov:wasDerivedFrom ?s .
        ?s a cg:NewsArticle .
        FILTER(?kind IN (cgqty:residents-of-ghanaian-origin, cgqty:companies-trading-with-ghana,
                         cgqty:population-rank))
      }""",
    )
    assert not rows, f"the Ghana numbers come from the reader comment, not the article body: {rows}"


# ---------------------------------------------------------------------------------------------
# DOMAIN.md facts beyond the seed, each with its own source


START_YEARS = [
    ("Amiens", "Q41604", 1960),
    ("Leeds", "Q39121", 1969),
    ("Rostov-on-Don", "Q908", 1977),
    ("Buffalo", "Q40435", 1978),
    ("Netanya", "Q192225", 1981),
    ("Novi Sad", "Q55630", 1982),
    ("Zwickau", "Q3778", 1988),
    ("Xi'an", "Q5826", 1992),
    ("Trabzon", "Q45301", 2014),
]


@pytest.mark.parametrize(("label", "qid", "year"), START_YEARS, ids=[s[0] for s in START_YEARS])
def test_start_year_from_dortmund_de(store: EmbeddedStore, label: str, qid: str, year: int) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?city cg:wikidataEntity wd:{qid} .
      ?p a cg:Partnership ; cg:partner ?dortmund , ?city ; cg:kind cgkind:twinning ;
         schema:startDate "{year}"^^xsd:gYear .
      {derived("?p", DORTMUND_DE_TWIN_PAGE, "s")}
    """
    check(
        store,
        where,
        f'Dortmund–{label} schema:startDate "{year}"^^xsd:gYear,'
        " the partnership derived from dortmund.de's twinning page",
    )


@pytest.mark.parametrize(
    ("label", "qid", "city_year", "wiki_year"),
    [
        ("Rostov-on-Don", "Q908", 1977, 1973),
        ("Buffalo", "Q40435", 1978, 1977),
    ],
    ids=["rostov-1977-vs-1973", "buffalo-1978-vs-1977"],
)
def test_disagreeing_start_years_side_by_side(
    store: EmbeddedStore, label: str, qid: str, city_year: int, wiki_year: int
) -> None:
    where = f"""
      ?city cg:wikidataEntity wd:{qid} .
      ?p a cg:Partnership ; cg:partner ?city ;
         schema:startDate "{city_year}"^^xsd:gYear , "{wiki_year}"^^xsd:gYear .
      ?c1 a cg:Claim ; rdf:subject ?p ; rdf:predicate schema:startDate ; rdf:object "{city_year}"^^xsd:gYear .
      {derived("?c1", DORTMUND_DE_TWIN_PAGE, "s1")}
      ?c2 a cg:Claim ; rdf:subject ?p ; rdf:predicate schema:startDate ; rdf:object "{wiki_year}"^^xsd:gYear .
      {derived("?c2", WIKIPEDIA, "s2")}
      {{ ?c1 cg:disagreesWith ?c2 }} UNION {{ ?c2 cg:disagreesWith ?c1 }}
    """
    check(
        store,
        where,
        f"{label}: start {city_year} (claim from dortmund.de) and {wiki_year} (claim from English "
        "Wikipedia) side by side, both on the partnership, claims linked by cg:disagreesWith",
    )


def test_no_claim_merges_sources(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
        ?c a cg:Claim ; prov:wasDerivedFrom ?s .
        FILTER NOT EXISTS { ?s a cg:Source ; rdfs:label ?l FILTER(CONTAINS(?l, "curation")) }
      } GROUP BY ?c HAVING (COUNT(DISTINCT ?s) != 1)""",
    )
    assert not rows, f"each cg:Claim must come from exactly one source: {rows}"


def test_zwickau_earlier_innerdeutsche_staedtefreundschaft(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?z cg:wikidataEntity wd:Q3778 .
      ?f a cg:Partnership ; cg:partner ?dortmund , ?z ; cg:kind cgkind:friendship ; cg:status cgstatus:ended .
      {derived("?f", DORTMUND_DE_TWIN_PAGE, "s")}
    """
    check(
        store,
        where,
        "Dortmund–Zwickau's earlier intra-German town friendship: a cg:Partnership of cg:kind "
        "cgkind:friendship, cg:status ended, derived from dortmund.de",
    )


def test_kumasi_deed_signed_14_may_2024(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?k ; cg:kind cgkind:twinning ;
         cg:status cgstatus:active ; schema:startDate "2024-05-14"^^xsd:date ; cg:statusChange ?sc .
      ?sc cg:toStatus cgstatus:active ; cg:date "2024-05-14"^^xsd:date ; cg:cause ?signing .
      ?signing a cg:Event ; schema:startDate "2024-05-14"^^xsd:date ; ?r1 ?westphal ; ?r2 ?pyne .
      ?westphal rdfs:label "Thomas Westphal"@de . ?pyne rdfs:label "Samuel Pyne"@de .
      ?ra org:member ?pyne ; org:role cgrole:mayor ; org:organization ?k .
      {derived("?sc", DORTMUND_DE_PRESS, "s")}
      {derived("?ra", DORTMUND_DE_PRESS, "s2")}
    """
    check(
        store,
        where,
        "Kumasi twinning deed signed 14 May 2024 by Thomas Westphal and Kumasi's mayor Samuel Pyne "
        "(status change to active, signing event, Pyne's mayor role), from the press release",
    )


def test_kumasi_tenth_partner_city(store: EmbeddedStore) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 .
      ?c a cg:Claim ; rdf:subject ?dortmund ; rdf:object ?ten . FILTER(?ten = 10)
      {derived("?c", DORTMUND_DE_PRESS, "s")}
    """
    check(
        store, where, "the press release's claim that Kumasi is Dortmund's tenth partner city (10 twinnings)"
    )


def test_zhytomyr_partner_city_since_2025(store: EmbeddedStore) -> None:
    where = f"""
      ?z cg:wikidataEntity wd:Q156713 .
      ?p a cg:Partnership ; cg:partner ?z ; cg:kind cgkind:twinning ; cg:status cgstatus:active ;
         schema:startDate "2025"^^xsd:gYear .
      {derived("?p", DORTMUND_DE_TWIN_PAGE, "s")}
    """
    check(
        store,
        where,
        "Zhytomyr partner city since 2025 (status active, schema:startDate 2025, from dortmund.de)",
    )


def test_kumasi_climate_partnership_since_2011_within_skew(store: EmbeddedStore) -> None:
    where = f"""
      ?k cg:wikidataEntity wd:Q182059 .
      ?p a cg:Partnership ; cg:partner ?k ; cg:kind cgkind:climate-partnership ;
         schema:startDate "2011"^^xsd:gYear ; cg:carriedBy ?prog .
      ?prog a/rdfs:subClassOf* cg:Programme ; rdfs:label ?l .
      FILTER(CONTAINS(?l, "50 Kommunale Klimapartnerschaften"))
      {derived("?p", DORTMUND_DE_CLIMATE, "s")}
    """
    check(
        store,
        where,
        "Dortmund–Kumasi climate partnership since 2011 within SKEW's „50 Kommunale "
        "Klimapartnerschaften bis 2015“, from dortmund.de",
    )


@pytest.mark.parametrize(("qid", "label"), [("Q217411", "Beyoğlu"), ("Q774015", "City of Leeds")])
def test_wikidata_2016_extra_twins_kept_as_claims(store: EmbeddedStore, qid: str, label: str) -> None:
    where = f"""
      ?dortmund cg:wikidataEntity wd:Q1295 . ?x cg:wikidataEntity wd:{qid} .
      ?c a cg:Claim ; rdf:subject ?dortmund ; rdf:object ?x .
      {derived("?c", WIKIDATA_CRAWL, "s")}
    """
    check(
        store,
        where,
        f"Wikidata 2016 lists {label} (wd:{qid}) as Dortmund twin: a cg:Claim from the 2016 crawl",
    )
    assert not ask(
        store,
        f"""?dortmund cg:wikidataEntity wd:Q1295 . ?x cg:wikidataEntity wd:{qid} .
                              ?p cg:partner ?dortmund , ?x .""",
    ), f"{label} is not on dortmund.de: it must not be a Dortmund partnership, only a claim"


# ---------------------------------------------------------------------------------------------
# Labels and native-script names


def test_labels_de_and_en_on_every_typed_entity(store: EmbeddedStore) -> None:
    rows = select(
        store,
        f"""
      SELECT DISTINCT ?s ?missing WHERE {{
        GRAPH ?g {{ ?s a ?type }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        VALUES ?missing {{ "de" "en" }}
        FILTER NOT EXISTS {{ ?s rdfs:label ?l FILTER(LANG(?l) = ?missing) }}
      }} ORDER BY ?s""",
    )
    assert not rows, "entities without rdfs:label in a language:\n" + "\n".join(
        f"{r['s']} lacks rdfs:label @{r['missing'].value}" for r in rows
    )


NATIVE_NAMES = [
    ("Xi'an", "Q5826", "西安", "zh"),
    ("Rostov-on-Don", "Q908", "Ростов-на-Дону", "ru"),
    ("Netanya", "Q192225", "נתניה", "he"),
    ("Zhytomyr", "Q156713", "Житомир", "uk"),
]


@pytest.mark.parametrize(("label", "qid", "name", "lang"), NATIVE_NAMES, ids=[n[0] for n in NATIVE_NAMES])
def test_native_script_name(store: EmbeddedStore, label: str, qid: str, name: str, lang: str) -> None:
    check(
        store,
        f'?c cg:wikidataEntity wd:{qid} ; cg:nativeName "{name}"@{lang} .',
        f'{label} cg:nativeName "{name}"@{lang}',
    )


# ---------------------------------------------------------------------------------------------
# Coordinates (coordinates.csv) with their source and licence


LICENCES = {  # how the CSV's licence text shows as a dcterms:license IRI
    "public domain": "creativecommons.org/publicdomain/zero/1.0/",
    "CC BY 3.0": "creativecommons.org/licenses/by/3.0/",
}
#: Licences a CC BY 4.0 dataset cannot take coordinates under (share-alike).
SHARE_ALIKE = ("opendatacommons.org/licenses/odbl", "creativecommons.org/licenses/by-sa")
COORDINATES = read_csv(COORDINATES_CSV)


def licence_iri_part(text: str) -> str:
    for key, part in LICENCES.items():
        if text.startswith(key):
            return part
    raise AssertionError(f"unknown licence in coordinates.csv: {text}")


@pytest.mark.parametrize("row", COORDINATES, ids=[r["label"] for r in COORDINATES])
def test_coordinates_as_in_csv(store: EmbeddedStore, row: dict[str, str]) -> None:
    # The place is the one with the row's QID; where the data chose another verified QID for the same
    # named place (Dabola: town vs prefecture), it is found by its English label.
    rows = select(
        store,
        f"""
      SELECT ?place ?wkt ?lat ?long WHERE {{
        {{ ?place cg:wikidataEntity wd:{row["qid"]} }}
        UNION {{ ?place a/rdfs:subClassOf* cg:AdministrativeBody ; rdfs:label "{row["label"]}"@en
                 FILTER NOT EXISTS {{ ?other cg:wikidataEntity wd:{row["qid"]} }} }}
        OPTIONAL {{ ?place geo:hasGeometry/geo:asWKT ?wkt }}
        OPTIONAL {{ ?place wgs:lat ?lat }}
        OPTIONAL {{ ?place wgs:long ?long }}
      }}""",
    )
    assert len({str(r["place"]) for r in rows}) == 1, (
        f"{row['label']} ({row['qid']}): expected one place, found {rows}"
    )
    r = rows[0]
    lat, lon = Decimal(row["latitude"]), Decimal(row["longitude"])
    assert "wkt" in r, (
        f"{r['place']} lacks geo:hasGeometry/geo:asWKT"
        f' "POINT({row["longitude"]} {row["latitude"]})"^^geo:wktLiteral'
    )
    wkt = r["wkt"]
    assert isinstance(wkt, ox.Literal), wkt
    assert wkt.datatype == ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral"), wkt
    m = re.fullmatch(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", wkt.value)
    assert m, f"{r['place']}: not a WKT point: {r['wkt'].value}"
    assert (Decimal(m[1]), Decimal(m[2])) == (lon, lat), (
        f"{r['place']}: WKT {r['wkt'].value} != POINT({row['longitude']} {row['latitude']})"
    )
    for key, expected in (("lat", lat), ("long", lon)):
        assert key in r, f'{r["place"]} lacks wgs:{key} "{expected}"^^xsd:decimal'
        value = r[key]
        assert isinstance(value, ox.Literal), value
        assert value.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"), value
        assert Decimal(value.value) == expected, f"{r['place']}: wgs:{key} {r[key].value} != {expected}"


@pytest.mark.parametrize("row", COORDINATES, ids=[r["label"] for r in COORDINATES])
def test_coordinates_source_and_licence(store: EmbeddedStore, row: dict[str, str]) -> None:
    url = "https://" + row["source_repo"]
    licence = licence_iri_part(row["licence"])
    where = f"""
      {{ ?place cg:wikidataEntity wd:{row["qid"]} }}
      UNION {{ ?place a/rdfs:subClassOf* cg:AdministrativeBody ; rdfs:label "{row["label"]}"@en
               FILTER NOT EXISTS {{ ?other cg:wikidataEntity wd:{row["qid"]} }} }}
      ?place geo:hasGeometry ?geom ; prov:wasDerivedFrom ?src .
      ?geom prov:wasDerivedFrom ?src .
      ?src a/rdfs:subClassOf* cg:Source ; schema:url <{url}> ; dcterms:license ?lic .
      FILTER(CONTAINS(STR(?lic), "{licence}"))
      ?src ?p ?mention . FILTER(CONTAINS(STR(?mention), "{row["source_commit"]}"))
    """
    check(
        store,
        where,
        f"{row['label']}: place and geometry prov:wasDerivedFrom the coordinate source <{url}> "
        f"(commit {row['source_commit'][:8]} recorded) with dcterms:license ~ {licence}",
    )


def test_every_point_is_a_row_of_coordinates_csv(store: EmbeddedStore) -> None:
    """No coordinates outside the table: every place with a point is a row (by QID)."""
    rows = select(store, """
      SELECT DISTINCT ?place ?qid WHERE {
        { ?place geo:hasGeometry ?g } UNION { ?place wgs:lat ?lat } UNION { ?place wgs:long ?long }
        OPTIONAL { ?place cg:wikidataEntity ?qid }
      }""")
    qids = {row["qid"] for row in COORDINATES}
    outside = [str(r["place"]) for r in rows
               if "qid" not in r or r["qid"].value.removeprefix(WD) not in qids]
    assert rows and not outside, f"points without a row in coordinates.csv: {outside}"


def test_no_share_alike_coordinates(store: EmbeddedStore) -> None:
    """The dataset is CC BY 4.0: no point or coordinate derives from a share-alike source."""
    rows = select(store, """
      SELECT DISTINCT ?node ?lic WHERE {
        { ?place geo:hasGeometry ?node } UNION { ?node wgs:lat ?x } UNION { ?node geo:asWKT ?x }
        ?node prov:wasDerivedFrom ?src . ?src dcterms:license ?lic .
      }""")
    assert rows, "no coordinate with a licensed source at all"
    bad = [f"{r['node']} <- {r['lic']}" for r in rows
           if any(part in r["lic"].value for part in SHARE_ALIKE)]
    assert not bad, "coordinates under a share-alike licence:\n" + "\n".join(bad)
    assert all(not any(part in row["licence"] or part in row["source_repo"]
                       for part in ("ODbL", "dr5hn")) for row in COORDINATES)


def test_beyoglu_has_no_point(store: EmbeddedStore) -> None:
    assert not ask(store, """
      ?d cg:wikidataEntity wd:Q217411 .
      { ?d geo:hasGeometry ?g } UNION { ?d wgs:lat ?lat } UNION { ?d wgs:long ?long }
      UNION { ?d geo:asWKT ?w }"""), "Beyoğlu must have no coordinates (only a share-alike point exists)"
    assert "Q217411" not in {row["qid"] for row in COORDINATES}


def test_geonames_2016_dump_is_credited_cc_by_3(store: EmbeddedStore) -> None:
    rows = select(store, """
      SELECT ?lic ?credit WHERE {
        ?src a cg:ReferenceDataset ; schema:url <https://github.com/dutc/wmeet> ;
             dcterms:license ?lic ; schema:creditText ?credit .
      }""")
    assert [(r["lic"].value, r["credit"].value) for r in rows] == [
        ("https://creativecommons.org/licenses/by/3.0/", "GeoNames (geonames.org), CC BY 3.0")]


@pytest.mark.parametrize(("qid", "geonames"), [("Q192225", "294071"), ("Q2435966", "284011")])
def test_netanya_and_dura_take_their_geonames_points(qid: str, geonames: str) -> None:
    (row,) = [r for r in COORDINATES if r["qid"] == qid]
    assert (row["geonames_id"], row["source_repo"]) == (geonames, "github.com/dutc/wmeet")


def test_dabola_is_the_town_with_natural_earths_point(store: EmbeddedStore) -> None:
    (row,) = [r for r in COORDINATES if r["label"] == "Dabola"]
    assert (row["qid"], row["geonames_id"]) == ("Q1100543", "2422442")
    assert (Decimal(row["latitude"]), Decimal(row["longitude"])) == (Decimal("10.748"), Decimal("-11.109"))
    assert not ask(store, "?x cg:wikidataEntity wd:Q1156587"), "the prefecture is not the modelled place"


# ---------------------------------------------------------------------------------------------
# Wikidata links: only verified QIDs, only as cg:wikidataEntity wd: IRIs


VERIFIED_QIDS = {r["qid"] for r in read_csv(QIDS_CSV) if r["qid"]}
WIKIDATA_IRI = re.compile(r"^https?://(www\.)?wikidata\.org/(entity|wiki)/(Q\d+)$")
#: Constants of Wikidata's data model, not entities the data claims anything about: the calendar
#: model of every Gregorian time value (wikibase:timeCalendarModel on the Wikidata view's P580/P582)
#: and the globe of every coordinate value (wikibase:geoGlobe, Earth, on its P625 values).
WIKIBASE_CONSTANTS = {"Q1985727", "Q2"}


def test_every_wikidata_entity_is_a_verified_wd_iri(store: EmbeddedStore) -> None:
    rows = select(store, "SELECT ?s ?o WHERE { ?s cg:wikidataEntity ?o }")
    assert rows, "no cg:wikidataEntity at all"
    bad = [
        f"{r['s']} cg:wikidataEntity {r['o']}"
        for r in rows
        if not (
            isinstance(r["o"], ox.NamedNode)
            and r["o"].value.startswith(WD)
            and r["o"].value[len(WD) :] in VERIFIED_QIDS
        )
    ]
    assert not bad, "cg:wikidataEntity must be a wd: IRI of qids-verified.csv:\n" + "\n".join(bad)


def test_no_unverified_qid_anywhere(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT DISTINCT ?x WHERE {
        { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x }
        FILTER(isIRI(?x) && REGEX(STR(?x), "wikidata\\\\.org/(entity|wiki)/Q"))
      }""",
    )
    bad = []
    for r in rows:
        m = WIKIDATA_IRI.match(r["x"].value)
        if not m or m[3] not in VERIFIED_QIDS | WIKIBASE_CONSTANTS or not r["x"].value.startswith(WD):
            bad.append(r["x"].value)
    assert not bad, f"Wikidata IRIs not in qids-verified.csv (or not wd: form): {bad}"


def test_no_unverified_qid_in_text(store: EmbeddedStore) -> None:
    """Q-numbers in notes and descriptions are verified ones, or ones qids-verified.csv itself names as
    the wrong candidates (e.g. "NOT Q234053"); never one from outside the reference file."""
    known = set(re.findall(r"\bQ\d+\b", QIDS_CSV.read_text(encoding="utf-8")))
    rows = select(
        store,
        f"""
      SELECT DISTINCT ?s ?o WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        FILTER(isLiteral(?o) && REGEX(STR(?o), "Q[0-9]+"))
      }}""",
    )
    bad = [
        f"{r['s']}: {q}" for r in rows for q in re.findall(r"\bQ\d+\b", r["o"].value) if q not in known
    ]
    assert not bad, f"QIDs in text that qids-verified.csv does not list: {bad}"


def test_verified_qids_are_used_for_their_entities(store: EmbeddedStore) -> None:
    rows = select(
        store,
        "SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s cg:wikidataEntity ?o }"
        " GROUP BY ?o HAVING (COUNT(DISTINCT ?s) > 1)",
    )
    assert not rows, f"a QID names more than one entity: {rows}"


def test_no_owl_same_as_to_wikidata(store: EmbeddedStore) -> None:
    assert not ask(
        store,
        "GRAPH ?g { ?s owl:sameAs ?o }"
        ' FILTER(CONTAINS(STR(?o), "wikidata.org") || CONTAINS(STR(?s), "wikidata.org"))',
    ), "owl:sameAs to Wikidata found (use cg:wikidataEntity)"


# ---------------------------------------------------------------------------------------------
# Provenance


def test_every_typed_node_is_derived_from_a_source(store: EmbeddedStore) -> None:
    rows = select(
        store,
        f"""
      SELECT DISTINCT ?s WHERE {{
        GRAPH ?g {{ ?s a ?type }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        FILTER NOT EXISTS {{ ?s a/rdfs:subClassOf* cg:Source }}
        FILTER NOT EXISTS {{ ?s a geo:Geometry }}
        FILTER NOT EXISTS {{ ?s a skos:Concept }}
        FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom ?src . ?src a/rdfs:subClassOf* cg:Source }}
      }} ORDER BY ?s""",
    )
    assert not rows, "nodes without prov:wasDerivedFrom a cg:Source:\n" + "\n".join(str(r["s"]) for r in rows)


def test_geometries_are_derived_from_a_source(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?g WHERE { ?g a geo:Geometry
        FILTER NOT EXISTS { ?g prov:wasDerivedFrom ?s . ?s a/rdfs:subClassOf* cg:Source } }""",
    )
    assert not rows, f"geometries without a source: {rows}"


def test_every_fact_in_a_data_file_is_attributed_in_that_file(store: EmbeddedStore) -> None:
    rows = select(
        store,
        f"""
      SELECT DISTINCT ?g ?s WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{DATA_GRAPHS}"))
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?s prov:wasDerivedFrom ?src }} }}
        # the source of a graph may describe itself there without deriving from itself
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?g prov:wasDerivedFrom ?s }} }}
      }} ORDER BY ?g ?s""",
    )
    assert not rows, "subjects whose statements in a data file name no source in that file:\n" + "\n".join(
        f"{r['g']}: {r['s']}" for r in rows
    )


def test_every_partnership_has_a_source(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT ?p WHERE { ?p a cg:Partnership
        FILTER NOT EXISTS { ?p prov:wasDerivedFrom ?s . ?s a/rdfs:subClassOf* cg:Source } }""",
    )
    assert not rows, f"partnerships without a source: {rows}"


def test_sources_are_typed(store: EmbeddedStore) -> None:
    rows = select(
        store,
        """
      SELECT DISTINCT ?src WHERE { ?x prov:wasDerivedFrom ?src
        FILTER NOT EXISTS { ?src a/rdfs:subClassOf* cg:Source }
        # In the Wikidata view, statements are derived from reference nodes (Wikidata's shape),
        # each of which names its cg:Source (checked in test_wikidata_view.py).
        FILTER NOT EXISTS { ?x a wikibase:Statement . ?src a wikibase:Reference } }""",
    )
    assert not rows, f"prov:wasDerivedFrom targets that are not a cg:Source: {rows}"
