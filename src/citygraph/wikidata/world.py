"""``citygraph import wikidata-p190``: the world's twinning network of a Wikidata P190 crawl, in
citygraph's model.

The crawl (``reference/twinnings/l3viathan-sister-cities-2016/``: ``names.tsv`` ``QID<TAB>label``
and ``relations.tsv`` ``QID<TAB>QID``, one directed P190 statement a line) becomes one Turtle file
whose one source is the crawl (``<> prov:wasDerivedFrom source:wikidata-sister-cities-2016``):

- one ``cg:Partnership`` per unordered pair, both directions merged, of kind
  ``cgkind:wikidata-p190`` ("twinned administrative body as stated on Wikidata"), no status and no
  dates (a crawled statement says neither); ``cg:p190StatedBy`` names the partner(s) whose item
  carried the statement and ``cg:p190OneDirectional`` flags a pair stated in one direction only;
- one ``cg:AdministrativeBody`` per item (Wikidata's "twinned administrative body"; whether it is a
  city, district or region the crawl does not say), with ``cg:wikidataEntity`` (the QID, taken
  from Wikidata itself) and the crawl's label as a plain literal (its language is not recorded);
- a pair or item the curated data (``ROOT/data/*.ttl``) already holds keeps its curated IRI: the
  curated partnership node gets the crawl as one more source (and the direction facts), a
  curated place only the crawl as one more source; a pair the curated data holds as a
  ``cg:Claim`` of P190 (Dortmund–Beyoğlu) stays that claim and gets no partnership node.

IRIs are minted from QIDs: ``id/place/Q123`` and ``id/partnership/wd-Q1-Q2`` (the lower QID
number first). The output is sorted and written as it is produced. With ``--coordinates``, a
second file (its own source, Natural Earth) gives the points of the places matched by QID.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from ..errors import DataSyntaxError, ExtractError, MissingPathError
from .extract import _QID, _read_names, read_crawl

BASE = "https://w3id.org/citygraph/"
ID = BASE + "id/"
CG = BASE + "ontology#"
WD = "http://www.wikidata.org/entity/"
SOURCE = "wikidata-sister-cities-2016"
COORDINATE_SOURCE = "natural-earth-populated-places"
COUNTRY_SOURCE = "natural-earth-admin-0-countries"
PLACE = ID + "place/"
PARTNERSHIP = ID + "partnership/"
GEOMETRY = ID + "geometry/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_P190 = "http://www.wikidata.org/prop/direct/P190"

PREFIXES = f"""@prefix cg:          <{CG}> .
@prefix cgkind:      <{ID}partnership-kind/> .
@prefix place:       <{PLACE}> .
@prefix partnership: <{PARTNERSHIP}> .
@prefix geometry:    <{GEOMETRY}> .
@prefix source:      <{ID}source/> .
@prefix wd:          <{WD}> .
@prefix prov:        <http://www.w3.org/ns/prov#> .
@prefix rdfs:        <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:         <http://www.w3.org/2001/XMLSchema#> .
@prefix geo:         <http://www.opengis.net/ont/geosparql#> .
@prefix wgs:         <http://www.w3.org/2003/01/geo/wgs84_pos#> .
"""

_CURATED_QUERY = f"""
PREFIX cg: <{CG}>
SELECT ?s ?wd WHERE {{ ?s cg:wikidataEntity ?wd }}
"""
_PARTNERSHIPS_QUERY = f"""
PREFIX cg: <{CG}>
SELECT ?p ?a ?b ?kind WHERE {{
  ?p a cg:Partnership ; cg:partner ?a , ?b . FILTER (STR(?a) < STR(?b))
  OPTIONAL {{ ?p cg:kind ?kind }}
}}
"""
_CLAIMS_QUERY = f"""
PREFIX cg: <{CG}>
PREFIX rdf: <{_RDF}>
SELECT ?c ?a ?b WHERE {{
  ?c a cg:Claim ; rdf:subject ?a ; rdf:predicate <{_P190}> ; rdf:object ?b .
}}
"""
_GEOMETRY_QUERY = "SELECT ?s WHERE { ?s <http://www.opengis.net/ont/geosparql#hasGeometry> ?g }"


def _qnum(qid: str) -> int:
    """The number of a QID (``Q1295`` → 1295), for sorting."""
    return int(qid[1:])


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The unordered pair of two QIDs in canonical order (lower QID number first)."""
    return (a, b) if _qnum(a) < _qnum(b) else (b, a)


def place_iri(qid: str) -> str:
    """The minted IRI of a place of the crawl the curated data does not hold."""
    return PLACE + qid


def partnership_iri(pair: tuple[str, str]) -> str:
    """The minted IRI of the partnership of a pair the curated data does not hold."""
    return f"{PARTNERSHIP}wd-{pair[0]}-{pair[1]}"


@dataclass
class Curated:
    """What the curated data holds, by QID: place IRIs, partnership nodes and P190 claims."""

    places: dict[str, str] = field(default_factory=dict)
    partnerships: dict[tuple[str, str], str] = field(default_factory=dict)
    claims: dict[tuple[str, str], str] = field(default_factory=dict)
    with_geometry: set[str] = field(default_factory=set)


def _rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """The rows of a SELECT as tuples of the values of their IRIs ("" for unbound, blank or literal)."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return [tuple(t.value if isinstance(t, ox.NamedNode) else "" for t in row) for row in solutions]


def read_curated(data_dir: Path) -> Curated:
    """The curated data's IRIs by QID, read from the Turtle files of ``data_dir`` with pyoxigraph."""
    curated = Curated()
    if not data_dir.is_dir():
        raise MissingPathError(data_dir, "curated data directory (give --root, or --no-curated)")
    store = ox.Store()
    for path in sorted(data_dir.glob("*.ttl")):
        try:
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE,
                            base_iri=f"{BASE}graph/data/{path.stem}", to_graph=ox.DefaultGraph())
        except SyntaxError as exc:
            raise DataSyntaxError(path, None, str(exc)) from None
    qid_of: dict[str, str] = {}
    for s, wd in _rows(store, _CURATED_QUERY):
        qid = wd[len(WD):] if wd.startswith(WD) else ""
        if _QID.fullmatch(qid):
            qid_of[s] = qid
            if qid not in curated.places or s < curated.places[qid]:
                curated.places[qid] = s
    ranks: dict[tuple[str, str], tuple[bool, str]] = {}
    for node, a_iri, b_iri, kind in _rows(store, _PARTNERSHIPS_QUERY):
        a, b = qid_of.get(a_iri), qid_of.get(b_iri)
        if a is None or b is None or a == b:
            continue
        key = pair_key(a, b)
        # A pair with several curated partnerships (a twinning and a climate partnership, say):
        # the twinning is the one Wikidata's P190 speaks of; otherwise the first IRI.
        rank = (kind != ID + "partnership-kind/twinning", node)
        if key not in ranks or rank < ranks[key]:
            ranks[key] = rank
            curated.partnerships[key] = node
    for claim, a_iri, b_iri in _rows(store, _CLAIMS_QUERY):
        a, b = qid_of.get(a_iri), qid_of.get(b_iri)
        if a is not None and b is not None and a != b:
            curated.claims.setdefault(pair_key(a, b), claim)
    for (subject,) in _rows(store, _GEOMETRY_QUERY):
        if subject in qid_of:
            curated.with_geometry.add(qid_of[subject])
    return curated


@dataclass
class Point:
    """A place's point from the coordinates CSV."""

    qid: str
    latitude: str
    longitude: str
    #: The QID of the country the source places it in ("" when it gives none).
    country: str = ""


@dataclass
class Country:
    """A country's names from the countries CSV."""

    qid: str
    name_de: str
    name_en: str


@dataclass
class ImportReport:
    """Figures of one import."""

    statements: int = 0
    duplicate_statements: int = 0
    places: int = 0
    curated_places: int = 0
    unlabelled_places: int = 0
    names_without_statement: int = 0
    pairs: int = 0
    one_directional: int = 0
    curated_partnerships: int = 0
    kept_as_claims: int = 0
    triples: int = 0
    points: int = 0
    points_skipped_curated: int = 0
    coordinate_triples: int = 0
    with_country: int = 0
    countries: int = 0
    country_triples: int = 0

    def summary(self) -> str:
        """The figures in words, one per line."""
        lines = [
            f"{self.statements} P190 statement line(s) read ({self.duplicate_statements} duplicate(s))",
            f"{self.places} place(s): {self.curated_places} already curated (their IRIs kept), "
            f"{self.unlabelled_places} without a label in NAMES",
            f"{self.pairs} unordered pair(s): {self.one_directional} stated in one direction only; "
            f"{self.curated_partnerships} curated partnership(s) reused; {self.kept_as_claims} kept as "
            "the curated data's claim (no partnership)",
            f"{self.triples} triple(s) written",
        ]
        if self.names_without_statement:
            lines.append(f"{self.names_without_statement} name(s) of items without a statement "
                         "(not written)")
        if self.points or self.coordinate_triples:
            lines.append(f"{self.points} of {self.places} place(s) got a point "
                         f"({self.points_skipped_curated} curated place(s) already have one); "
                         f"{self.coordinate_triples} coordinate triple(s) written")
        if self.countries or self.country_triples:
            lines.append(f"{self.with_country} place(s) got a country; {self.countries} country node(s) "
                         f"described ({self.country_triples} triple(s))")
        return "\n".join(lines) + "\n"


def _iri(value: str) -> str:
    """An IRI in Turtle: prefixed where a prefix of the output covers it, else ``<…>``."""
    for prefix, namespace in (("place:", PLACE), ("partnership:", PARTNERSHIP), ("geometry:", GEOMETRY)):
        if value.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_-]+", value[len(namespace):]):
            return prefix + value[len(namespace):]
    return f"<{value}>"


def _literal(text: str) -> str:
    """A plain string literal in Turtle (escaped by pyoxigraph's N-Triples serialisation)."""
    return str(ox.Literal(text))


def _subject(out: TextIO, subject: str, pairs: Iterable[tuple[str, str]]) -> int:
    """Write one subject block (predicate, object text) and return the number of triples."""
    items = list(pairs)
    out.write(subject)
    for index, (predicate, obj) in enumerate(items):
        out.write(f" {predicate} {obj}" if index == 0 else f" ;\n    {predicate} {obj}")
    out.write(" .\n\n")
    return len(items)


def import_p190(names: Path, relations: Path, out: TextIO, curated: Curated) -> tuple[
        ImportReport, dict[str, str]]:
    """Write the crawl's network in citygraph's model to ``out``; return the figures and the IRI of
    every place by QID."""
    for path, what in ((names, "names file"), (relations, "relations file")):
        if not path.is_file():
            raise MissingPathError(path, what)
    extract = read_crawl(relations, names_beside=False)
    _read_names(names, extract)
    report = ImportReport(statements=extract.statements,
                          duplicate_statements=extract.statements - len(extract.edges))
    qids = sorted({q for edge in extract.edges for q in edge}, key=_qnum)
    report.places = len(qids)
    report.names_without_statement = len(set(extract.labels) - set(qids))
    iri_of = {q: curated.places.get(q, place_iri(q)) for q in qids}
    directions: dict[tuple[str, str], list[str]] = {}
    for subject, obj in extract.edges:
        directions.setdefault(pair_key(subject, obj), []).append(subject)
    src = f"source:{SOURCE}"
    out.write(
        "# citygraph — the world's twinning network of the 2016 Wikidata P190 crawl\n"
        "# (L3viathan/sister-cities @ d3028c2), written by `citygraph import wikidata-p190`. One\n"
        "# partnership per unordered pair of items with a P190 (twinned administrative body) statement;\n"
        "# cg:p190StatedBy names the item(s) that carried the statement and cg:p190OneDirectional flags\n"
        "# a pair stated in one direction only.\n"
        "# Kind cgkind:wikidata-p190 only (P190 covers twinnings and other partnership agreements); no\n"
        "# status and no dates (the crawl has no qualifiers). Labels are the crawl's names.tsv as plain\n"
        "# literals: the crawl preferred a German label, then en/fr/it/es, and did not record which one it\n"
        "# took, so no language tag is given. Pairs and places the curated data holds keep their IRIs.\n\n")
    out.write(PREFIXES + "\n")
    out.write(f"<> prov:wasDerivedFrom {src} .\n\n")
    triples = 1
    for pair in sorted(directions, key=lambda p: (_qnum(p[0]), _qnum(p[1]))):
        report.pairs += 1
        stated_by = sorted(directions[pair], key=_qnum)
        one_way = len(stated_by) == 1
        report.one_directional += one_way
        facts = [("cg:p190StatedBy", " , ".join(_iri(iri_of[q]) for q in stated_by)),
                 ("cg:p190OneDirectional", "true" if one_way else "false"),
                 ("prov:wasDerivedFrom", src)]
        node = curated.partnerships.get(pair)
        if node is None and pair in curated.claims:
            report.kept_as_claims += 1
            continue
        if node is not None:
            report.curated_partnerships += 1
            triples += _subject(out, _iri(node), facts) + len(stated_by) - 1
            continue
        body = [("a", "cg:Partnership"),
                ("cg:partner", f"{_iri(iri_of[pair[0]])} , {_iri(iri_of[pair[1]])}"),
                ("cg:kind", "cgkind:wikidata-p190"), *facts]
        triples += _subject(out, _iri(partnership_iri(pair)), body) + len(stated_by)
    for qid in qids:
        iri = iri_of[qid]
        if qid in curated.places:
            report.curated_places += 1
            triples += _subject(out, _iri(iri), [("prov:wasDerivedFrom", src)])
            continue
        body = [("a", "cg:AdministrativeBody")]
        label = extract.labels.get(qid)
        if label:
            body.append(("rdfs:label", _literal(label)))
        else:
            report.unlabelled_places += 1
        body += [("cg:wikidataEntity", f"wd:{qid}"), ("prov:wasDerivedFrom", src)]
        triples += _subject(out, _iri(iri), body)
    report.triples = triples
    return report, iri_of


COORDINATE_COLUMNS = ("qid", "latitude", "longitude")
#: An xsd:decimal lexical form (no exponent, which xsd:decimal does not allow).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def read_points(path: Path) -> Iterator[Point]:
    """The rows of a coordinates CSV (``qid,latitude,longitude,…``): bad rows are errors with their line."""
    if not path.is_file():
        raise MissingPathError(path, "coordinates file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataSyntaxError(path, None, f"not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [c.strip().lower() for c in header[:3]] != list(COORDINATE_COLUMNS):
        raise DataSyntaxError(path, 1, f"expected a header starting {','.join(COORDINATE_COLUMNS)}, got "
                              f"{','.join(header or [])[:80]!r}")
    header_names = [c.strip().lower() for c in header]
    country_column = header_names.index("country_qid") if "country_qid" in header_names else None
    seen: set[str] = set()
    for row in reader:
        number = reader.line_num
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3:
            raise DataSyntaxError(path, number, f"expected at least 3 columns (qid,latitude,longitude), "
                                  f"got {len(row)}")
        qid, lat, long = (c.strip() for c in row[:3])
        if not _QID.fullmatch(qid):
            raise DataSyntaxError(path, number, f"{qid[:40]!r} is not a QID (such as Q1295)")
        if qid in seen:
            raise DataSyntaxError(path, number, f"{qid} has a second row: one point per place")
        seen.add(qid)
        for value, name, bound in ((lat, "latitude", 90), (long, "longitude", 180)):
            if not _DECIMAL.fullmatch(value):
                raise DataSyntaxError(path, number, f"{name} {value[:40]!r} is not a decimal number in "
                                      "degrees (such as 51.53 or -7.45; no exponent)")
            if abs(Decimal(value)) > bound:
                raise DataSyntaxError(path, number, f"{name} {value} is outside -{bound}..{bound}")
        country = (row[country_column].strip()
                   if country_column is not None and country_column < len(row) else "")
        if country and not _QID.fullmatch(country):
            raise DataSyntaxError(path, number, f"country_qid {country[:40]!r} is not a QID (such as Q183)")
        yield Point(qid, lat, long, country)


COUNTRY_COLUMNS = ("qid", "iso_a2", "name_de", "name_en")


def read_countries(path: Path) -> dict[str, Country]:
    """The rows of a countries CSV (``qid,iso_a2,name_de,name_en,…``) by QID; bad rows are errors
    with their line."""
    if not path.is_file():
        raise MissingPathError(path, "countries file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataSyntaxError(path, None, f"not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [c.strip().lower() for c in header[:4]] != list(COUNTRY_COLUMNS):
        raise DataSyntaxError(path, 1, f"expected a header starting {','.join(COUNTRY_COLUMNS)}, got "
                              f"{','.join(header or [])[:80]!r}")
    countries: dict[str, Country] = {}
    for row in reader:
        number = reader.line_num
        if not row or not "".join(row).strip():
            continue
        if len(row) < 4:
            raise DataSyntaxError(path, number, f"expected at least 4 columns (qid,iso_a2,name_de,name_en), "
                                  f"got {len(row)}")
        qid, _iso, name_de, name_en = (c.strip() for c in row[:4])
        if not _QID.fullmatch(qid):
            raise DataSyntaxError(path, number, f"{qid[:40]!r} is not a QID (such as Q183)")
        if qid in countries:
            raise DataSyntaxError(path, number, f"{qid} has a second row")
        if not name_de or not name_en:
            raise DataSyntaxError(path, number, f"{qid} lacks its German or English name")
        countries[qid] = Country(qid, name_de, name_en)
    return countries


def country_iri(qid: str, curated: Curated) -> str:
    """The IRI of a country by QID: the curated one, else the minted place IRI (one IRI per QID)."""
    return curated.places.get(qid, place_iri(qid))


def write_points(points: Iterable[Point], iri_of: Mapping[str, str], curated: Curated, out: TextIO,
                 report: ImportReport, countries: Mapping[str, Country] | None = None) -> set[str]:
    """Write the points of the imported places (matched by QID) as the coordinate file, with each
    place's country where ``countries`` describes it; return the QIDs of the countries used."""
    skip = curated.with_geometry
    used: set[str] = set()
    out.write(
        "# citygraph — points of the places of the 2016 Wikidata P190 crawl, from Natural Earth 1:10m\n"
        "# populated places (public domain), matched by its wikidataid column = the place's QID; written by\n"
        "# `citygraph import wikidata-p190 --coordinates`. Places the curated data already gives a point\n"
        "# keep that one. cg:country is the country Natural Earth places the point in (its ISO_A2 code),\n"
        "# identified by QID through Natural Earth's admin-0 countries (see reference/README.md).\n\n")
    out.write(PREFIXES + "\n")
    src = f"source:{COORDINATE_SOURCE}"
    out.write(f"<> prov:wasDerivedFrom {src} .\n\n")
    triples = 1
    for point in sorted(points, key=lambda p: _qnum(p.qid)):
        iri = iri_of.get(point.qid)
        if iri is None:
            continue
        if point.qid in skip:
            report.points_skipped_curated += 1
            continue
        report.points += 1
        geometry = GEOMETRY + "wd-" + point.qid
        facts = [("geo:hasGeometry", _iri(geometry)),
                 ("wgs:lat", f'"{point.latitude}"^^xsd:decimal'),
                 ("wgs:long", f'"{point.longitude}"^^xsd:decimal')]
        if countries is not None and point.country in countries and point.country != point.qid:
            facts.append(("cg:country", _iri(country_iri(point.country, curated))))
            used.add(point.country)
            report.with_country += 1
        triples += _subject(out, _iri(iri), [*facts, ("prov:wasDerivedFrom", src)])
        triples += _subject(out, _iri(geometry), [
            ("a", "geo:Geometry"),
            ("rdfs:label", f'"Point geometry of {point.qid}"@en , "Punktgeometrie von {point.qid}"@de'),
            ("geo:asWKT", f'"POINT({point.longitude} {point.latitude})"^^geo:wktLiteral'),
            ("prov:wasDerivedFrom", src)]) + 1
    report.coordinate_triples = triples
    return used


def write_countries(used: Iterable[str], countries: Mapping[str, Country], curated: Curated, out: TextIO,
                    report: ImportReport) -> None:
    """Write the country nodes the points refer to (those the curated data does not describe)."""
    out.write(
        "# citygraph — the countries of the places of the 2016 Wikidata P190 crawl, from Natural Earth\n"
        "# 1:10m admin-0 countries 5.1.1 (public domain): QID (its WIKIDATAID), German and English name\n"
        "# (NAME_DE, NAME_EN); written by `citygraph import wikidata-p190 --countries`. Countries the\n"
        "# curated data holds keep their IRIs and descriptions.\n\n")
    out.write(PREFIXES + "\n")
    src = f"source:{COUNTRY_SOURCE}"
    out.write(f"<> prov:wasDerivedFrom {src} .\n\n")
    triples = 1
    for qid in sorted(used, key=_qnum):
        if qid in curated.places:
            continue
        country = countries[qid]
        report.countries += 1
        triples += _subject(out, _iri(country_iri(qid, curated)), [
            ("a", "cg:Country"),
            ("rdfs:label", f"{ox.Literal(country.name_de, language='de')} , "
                           f"{ox.Literal(country.name_en, language='en')}"),
            ("cg:wikidataEntity", f"wd:{qid}"),
            ("prov:wasDerivedFrom", src)]) + 1
    report.country_triples = triples


__all__ = ["ExtractError", "ImportReport", "import_p190", "read_countries", "read_curated", "read_points",
           "write_countries", "write_points"]
