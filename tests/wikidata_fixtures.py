"""Shared inputs of tests/test_wikidata_diff.py and tests/test_quickstatements.py.

``extended_project`` copies the real project and adds one data file of test partnerships (never
touching data/): a planned twinning, a friendship, a month-precise twinning whose source has a URL
and a retrieval date, a twinning with a city that has no verified QID, an ended twinning with its
end, the preferred rank on dortmund.de's Buffalo start (1978), and a claim of how many twinnings Buffalo
has (so citygraph covers Buffalo's twinnings), so that those cases are built by
the real pipeline and read back from the real build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from citygraph.config import Settings
from citygraph.pipeline import build

REPO = Path(__file__).resolve().parents[1]
CRAWL = REPO / "reference" / "twinnings" / "l3viathan-sister-cities-2016"

EXTRA_DATA = """\
@prefix cg:      <https://w3id.org/citygraph/ontology#> .
@prefix cgkind:  <https://w3id.org/citygraph/id/partnership-kind/> .
@prefix cgstatus: <https://w3id.org/citygraph/id/partnership-status/> .
@prefix city:    <https://w3id.org/citygraph/id/city/> .
@prefix country: <https://w3id.org/citygraph/id/country/> .
@prefix partnership: <https://w3id.org/citygraph/id/partnership/> .
@prefix claim:   <https://w3id.org/citygraph/id/claim/> .
@prefix source:  <https://w3id.org/citygraph/id/source/> .
@prefix schema:  <https://schema.org/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix pav:     <http://purl.org/pav/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix wikibase: <http://wikiba.se/ontology#> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .

source:test-wddiff-page a cg:WebPage ;
    rdfs:label "Testseite"@de ,
        "test page"@en ;
    dcterms:title "Test page on twinnings"@en ;
    schema:url <https://example.org/test-twinnings> ;
    pav:retrievedOn "2026-01-02"^^xsd:date ;
    prov:wasDerivedFrom source:citygraph-curation .

partnership:test-dortmund-accra a cg:Partnership ;
    rdfs:label "Geplante Städtepartnerschaft Dortmund–Accra (Test)"@de ,
        "Planned Dortmund–Accra twinning (test)"@en ;
    cg:partner city:dortmund , city:accra ;
    cg:kind cgkind:twinning ;
    cg:status cgstatus:planned ;
    prov:wasDerivedFrom source:test-wddiff-page .

partnership:test-dortmund-bonn-friendship a cg:Partnership ;
    rdfs:label "Städtefreundschaft Dortmund–Bonn (Test)"@de ,
        "Dortmund–Bonn town friendship (test)"@en ;
    cg:partner city:dortmund , city:bonn ;
    cg:kind cgkind:friendship ;
    cg:status cgstatus:active ;
    prov:wasDerivedFrom source:test-wddiff-page .

partnership:test-dortmund-cape-coast a cg:Partnership ;
    rdfs:label "Städtepartnerschaft Dortmund–Cape Coast (Test)"@de ,
        "Dortmund–Cape Coast twinning (test)"@en ;
    cg:partner city:dortmund , city:cape-coast ;
    cg:kind cgkind:twinning ;
    cg:status cgstatus:active ;
    schema:startDate "2020-03"^^xsd:gYearMonth ;
    prov:wasDerivedFrom source:test-wddiff-page .

city:test-nowhere a cg:City ;
    rdfs:label "Nirgendwo (Test)"@de ,
        "Nowhere (test)"@en ;
    cg:country country:germany ;
    prov:wasDerivedFrom source:test-wddiff-page .

partnership:test-dortmund-nowhere a cg:Partnership ;
    rdfs:label "Städtepartnerschaft Dortmund–Nirgendwo (Test)"@de ,
        "Dortmund–Nowhere twinning (test)"@en ;
    cg:partner city:dortmund , city:test-nowhere ;
    cg:kind cgkind:twinning ;
    cg:status cgstatus:active ;
    schema:startDate "1999"^^xsd:gYear ;
    prov:wasDerivedFrom source:test-wddiff-page .

partnership:test-moenchengladbach-accra a cg:Partnership ;
    rdfs:label "Städtepartnerschaft Mönchengladbach–Accra (Test)"@de ,
        "Mönchengladbach–Accra twinning (test)"@en ;
    cg:partner city:moenchengladbach , city:accra ;
    cg:kind cgkind:twinning ;
    cg:status cgstatus:ended ;
    schema:startDate "2001-06-30"^^xsd:date ;
    schema:endDate "2019"^^xsd:gYear ;
    prov:wasDerivedFrom source:test-wddiff-page .

claim:dortmund-de-buffalo-twinning-start wikibase:rank wikibase:PreferredRank .

claim:test-buffalo-number-of-twinnings a cg:Claim ;
    rdfs:label "Testseite: Buffalo hat fünf Städtepartnerschaften"@de ,
        "test page: Buffalo has five town twinnings"@en ;
    rdf:subject city:buffalo ;
    rdf:predicate cg:numberOfTwinnings ;
    rdf:object 5 ;
    prov:wasDerivedFrom source:test-wddiff-page .
"""


def extended_project(directory: Path) -> Settings:
    """A copy of the project with the test partnerships added, built; its settings."""
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / name, directory / name)
    (directory / "data" / "zz-test-wikidata.ttl").write_text(EXTRA_DATA, encoding="utf-8")
    settings = Settings(root=directory, dist=directory / "dist")
    build(settings)
    return settings
