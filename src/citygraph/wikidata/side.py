"""citygraph's side of a comparison with Wikidata, read from a build.

The P190 statements are those of the Wikidata-shaped view (``{base}graph/wikidata-view``, see
``ontology/rules/wikidata-view/README.md``), so what ``diff`` and ``quickstatements`` say is exactly
what the endpoint answers to a WDQS query; the partnerships that are not P190 (planned twinnings,
friendships, project partnerships …) and the P190 claims kept for comparison come from the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..errors import CitygraphError
from ..store import EmbeddedStore
from ..vocab import instance_namespace
from .extract import KNOWN_EXTRACTS, ImpossibleTime, TimeValue, _qid
from .view import view_graph_iri

PREFIXES = """PREFIX cg: <https://w3id.org/citygraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>
PREFIX pr: <http://www.wikidata.org/prop/reference/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX wikibase: <http://wikiba.se/ontology#>
"""

#: The statuses under which a town twinning is a P190 statement in the view.
STARTED = ("active", "paused", "ended")


@dataclass(frozen=True)
class Reference:
    """A reference of a view statement: its citygraph source and what the view says of it."""

    source: str
    source_label: str
    url: str | None = None
    stated_in: str | None = None
    title: str | None = None
    title_language: str | None = None
    published: TimeValue | None = None
    retrieved: TimeValue | None = None


@dataclass
class Statement:
    """A P190 statement of the view: item → twin, one per direction and claimed start."""

    iri: str
    item: str
    twin: str
    partnership: str
    rank: str
    start: TimeValue | None = None
    #: The end (P582): a time value, ``"unknown"`` (Wikidata's somevalue) or None (not ended).
    end: TimeValue | str | None = None
    references: list[Reference] = field(default_factory=list)


@dataclass(frozen=True)
class Partnership:
    """A citygraph partnership between two entities with verified QIDs (any kind, any status)."""

    iri: str
    label: str
    kind: str
    status: str
    qids: frozenset[str]


@dataclass(frozen=True)
class P190Claim:
    """A ``cg:Claim`` with ``rdf:predicate wdt:P190`` kept for comparison, not made a partnership."""

    iri: str
    subject: str
    object: str
    source_label: str


@dataclass
class Citygraph:
    """What a build of citygraph says about twinnings, keyed by QID."""

    base_iri: str
    version: str
    #: QID → (entity IRI, label).
    entities: dict[str, tuple[str, str]]
    statements: list[Statement]
    partnerships: list[Partnership]
    claims: list[P190Claim]
    #: Town twinnings with a partner that has no verified QID (they cannot be compared).
    unverified: list[tuple[str, str]]
    #: The ``dcterms:date`` of the source nodes asked for (local name under ``{base}id/source/``).
    source_dates: dict[str, TimeValue] = field(default_factory=dict)
    #: The QIDs of the cities whose twinnings citygraph covers: the data states how many twinnings
    #: they have (``cg:numberOfTwinnings``, as a fact or as a ``cg:Claim``).
    covered: set[str] = field(default_factory=set)

    @property
    def qids(self) -> set[str]:
        """The QIDs of the entities citygraph holds."""
        return set(self.entities)

    def label(self, qid: str) -> str:
        """citygraph's label of an entity (empty when it holds none)."""
        return self.entities.get(qid, ("", ""))[1]



def _local(iri: str) -> str:
    """The last path segment of an IRI (``twinning`` for …/partnership-kind/twinning)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _value(term: object) -> str:
    """The lexical value of a bound term ('' when unbound)."""
    return "" if term is None else str(getattr(term, "value", term))


def _pick_label(labels: Iterable[tuple[str, str]], languages: tuple[str, ...]) -> str:
    """The label in the first language of ``languages`` that has one, else any (sorted)."""
    by_language: dict[str, str] = {}
    for text, language in sorted(labels):
        by_language.setdefault(language, text)
    for language in languages:
        if language in by_language:
            return by_language[language]
    return next(iter(sorted(by_language.values())), "")


def _rows(store: EmbeddedStore, text: str) -> list[Mapping[str, object]]:
    """The solutions of a SELECT as dictionaries of variable name → term."""
    result = store.query(PREFIXES + text)
    assert isinstance(result, ox.QuerySolutions)
    variables = [v.value for v in result.variables]
    return [{v: s[v] for v in variables} for s in result]


def load_citygraph(store: EmbeddedStore, base_iri: str, languages: tuple[str, ...] = ("en", "de"),
                   sources: Iterable[str] = ()) -> Citygraph:
    """citygraph's twinnings, statements, partnerships and claims from a loaded build."""
    view = view_graph_iri(base_iri)
    labels: dict[str, list[tuple[str, str]]] = {}
    iris: dict[str, str] = {}
    for row in _rows(store, "SELECT ?entity ?qid ?label WHERE { ?entity cg:wikidataEntity ?qid . "
                            "OPTIONAL { ?entity rdfs:label ?label } }"):
        qid = _qid(_value(row["qid"]))
        if qid is None:
            continue
        iris.setdefault(qid, _value(row["entity"]))
        label = row["label"]
        if isinstance(label, ox.Literal) and _value(row["entity"]) == iris[qid]:
            labels.setdefault(qid, []).append((label.value, label.language or ""))
    entities = {q: (iris[q], _pick_label(labels.get(q, []), languages)) for q in iris}
    source_labels: dict[str, list[tuple[str, str]]] = {}
    for row in _rows(store, "SELECT ?s ?label WHERE { ?x prov:wasDerivedFrom ?s . ?s rdfs:label ?label }"):
        label = row["label"]
        if isinstance(label, ox.Literal):
            source_labels.setdefault(_value(row["s"]), []).append((label.value, label.language or ""))

    def source_label(iri: str) -> str:
        return _pick_label(source_labels.get(iri, []), languages) or _local(iri)

    statements: dict[str, Statement] = {}
    for row in _rows(store, f"""SELECT ?statement ?item ?twin ?partnership ?rank ?start ?precision
            ?end ?endPrecision WHERE {{ GRAPH <{view}> {{
              ?item p:P190 ?statement . ?statement ps:P190 ?twin ; wikibase:rank ?rank ;
                  dcterms:source ?partnership .
              OPTIONAL {{ ?statement pq:P580 ?start .
                          OPTIONAL {{ ?statement pqv:P580/wikibase:timePrecision ?precision }} }}
              OPTIONAL {{ ?statement pq:P582 ?end .
                          OPTIONAL {{ ?statement pqv:P582/wikibase:timePrecision ?endPrecision }} }}
            }} }}"""):
        item, twin = _qid(_value(row["item"])), _qid(_value(row["twin"]))
        if item is None or twin is None:
            continue
        start = _parse(_value(row["start"]), _int(row["precision"])) if row["start"] else None
        end: TimeValue | str | None = None
        if isinstance(row["end"], ox.Literal):
            end = _parse(row["end"].value, _int(row["endPrecision"]))
        elif row["end"] is not None:
            end = "unknown"
        statements[_value(row["statement"])] = Statement(
            _value(row["statement"]), item, twin, _value(row["partnership"]),
            _local(_value(row["rank"])).removesuffix("Rank").lower(), start, end)
    for row in _rows(store, f"""SELECT ?statement ?source ?url ?statedIn ?title ?published ?retrieved
            WHERE {{ GRAPH <{view}> {{ ?statement a wikibase:Statement ; ps:P190 ?twin ;
                         prov:wasDerivedFrom ?reference . ?reference dcterms:source ?source .
              OPTIONAL {{ ?reference pr:P854 ?url }} OPTIONAL {{ ?reference pr:P248 ?statedIn }}
              OPTIONAL {{ ?reference pr:P1476 ?title }} OPTIONAL {{ ?reference pr:P577 ?published }}
              OPTIONAL {{ ?reference pr:P813 ?retrieved }} }} }} ORDER BY ?source"""):
        statement = statements.get(_value(row["statement"]))
        if statement is None:
            continue
        title = row["title"]
        statement.references.append(Reference(
            _value(row["source"]), source_label(_value(row["source"])),
            _value(row["url"]) or None, _qid(_value(row["statedIn"])) if row["statedIn"] else None,
            title.value if isinstance(title, ox.Literal) else None,
            (title.language or None) if isinstance(title, ox.Literal) else None,
            _parse(_value(row["published"]), 11) if row["published"] else None,
            _parse(_value(row["retrieved"]), 11) if row["retrieved"] else None))
    partnerships: dict[str, Partnership] = {}
    for row in _rows(store, """SELECT ?partnership ?kind ?status ?qa ?qb ?label WHERE {
              ?partnership a cg:Partnership ; cg:kind ?kind ; cg:partner ?a, ?b . FILTER (?a != ?b)
              ?a cg:wikidataEntity ?qa . ?b cg:wikidataEntity ?qb .
              OPTIONAL { ?partnership cg:status ?status }
              OPTIONAL { ?partnership rdfs:label ?label FILTER (LANG(?label) = "en") } }
            ORDER BY ?partnership ?status"""):
        qa, qb = _qid(_value(row["qa"])), _qid(_value(row["qb"]))
        if qa is None or qb is None or qa == qb:
            continue
        iri = _value(row["partnership"])
        partnerships.setdefault(iri, Partnership(
            iri, _value(row["label"]) or _local(iri), _local(_value(row["kind"])),
            _local(_value(row["status"])) if row["status"] else "unknown", frozenset((qa, qb))))
    claims = []
    for row in _rows(store, """SELECT ?claim ?qa ?qb ?source WHERE {
              ?claim a cg:Claim ; rdf:subject ?a ; rdf:predicate wdt:P190 ; rdf:object ?b .
              ?a cg:wikidataEntity ?qa . ?b cg:wikidataEntity ?qb .
              OPTIONAL { ?claim prov:wasDerivedFrom ?source } } ORDER BY ?claim"""):
        qa, qb = _qid(_value(row["qa"])), _qid(_value(row["qb"]))
        if qa and qb:
            claims.append(P190Claim(_value(row["claim"]), qa, qb,
                                    source_label(_value(row["source"])) if row["source"] else ""))
    unverified = []
    for row in _rows(store, """SELECT DISTINCT ?partnership ?label WHERE {
              ?partnership a cg:Partnership ; cg:kind ?kind ; cg:partner ?x .
              FILTER (STRENDS(STR(?kind), "/twinning"))
              FILTER NOT EXISTS { ?x cg:wikidataEntity ?q }
              OPTIONAL { ?partnership rdfs:label ?label FILTER (LANG(?label) = "en") } }
            ORDER BY ?partnership"""):
        unverified.append((_value(row["partnership"]), _value(row["label"])))
    citygraph = Citygraph(base_iri, store.version, entities, sorted(statements.values(), key=lambda s: s.iri),
                          list(partnerships.values()), claims, unverified)
    citygraph.covered = twinnings_covered(store)
    namespace = instance_namespace(base_iri) + "source/"
    for name in sources:
        for row in _rows(store, f"SELECT ?date WHERE {{ <{namespace}{name}> dcterms:date ?date }}"):
            value = _parse(_value(row["date"]), 11)
            if value is not None:
                citygraph.source_dates[name] = value
    return citygraph


def wikidata_copies(base_iri: str) -> set[str]:
    """The source nodes of the data that are copies of Wikidata itself (the extracts citygraph knows)."""
    return {instance_namespace(base_iri) + "source/" + name for name in KNOWN_EXTRACTS.values()}


def is_wikidata(reference: Reference, copies: set[str]) -> bool:
    """Whether a reference cites Wikidata itself (a known copy, or a wikidata.org URL)."""
    return reference.source in copies or bool(reference.url and re.match(
        r"https?://(www\.)?wikidata\.org/", reference.url))


def only_from_wikidata(statements: Iterable[Statement], copies: set[str]) -> bool:
    """Whether every reference of the statements cites Wikidata itself (and there is one): citygraph
    has them only from Wikidata, so comparing them with Wikidata is circular."""
    references = [r for s in statements for r in s.references]
    return bool(references) and all(is_wikidata(r, copies) for r in references)


#: The cities whose twinnings the data covers: it states how many they have, as a fact or a claim.
COVERED_QUERY = """SELECT DISTINCT ?qid WHERE {
  { ?city cg:numberOfTwinnings ?count }
  UNION { ?claim a cg:Claim ; rdf:subject ?city ; rdf:predicate cg:numberOfTwinnings }
  ?city cg:wikidataEntity ?qid }"""


def twinnings_covered(store: EmbeddedStore) -> set[str]:
    """The QIDs of the cities whose twinnings citygraph covers (see :data:`COVERED_QUERY`)."""
    return {q for row in _rows(store, COVERED_QUERY) if (q := _qid(_value(row["qid"])))}


def _parse(text: str, precision: int | None) -> TimeValue | None:
    """A time value of the build (an error, never a traceback, for a date that cannot exist)."""
    try:
        return TimeValue.parse(text, precision)
    except ImpossibleTime as exc:
        raise CitygraphError(f"the build's Wikidata view states an impossible date: {exc}") from None


def _int(term: object) -> int | None:
    """An integer literal's value (None when unbound or not an integer)."""
    try:
        return int(_value(term)) if term is not None else None
    except ValueError:
        return None
