"""Blueprint 'reconcile': the Reconciliation Service API (W3C Entity Reconciliation CG, v0.2) for
OpenRefine and other clients.

``/reconcile`` answers the service manifest (GET without parameters), a batch of reconciliation
queries (``queries``: JSON, by GET or a POSTed form) and a data-extension request (``extend``).
Beside it: the suggest services (``/reconcile/suggest/entity|type|property?prefix=…``), property
proposals for data extension (``/reconcile/extend/propose?type=…``), a flyout and an HTML
preview card (``/reconcile/preview?id=…``). Every JSON answer to a GET can be JSONP
(``callback=name``; the name is checked).

Entity identifiers are the IRI's path under ``{base_iri}id/`` (``city/dortmund``; the manifest's
``identifierSpace`` is ``{base_iri}id/``, so identifierSpace + id is the IRI); full IRIs are
accepted wherever an identifier is read. Types are the ontology's class local names (``City``;
``schemaSpace`` is the ontology namespace), properties its property local names plus
``wikidata`` (QID), ``coordinates`` (``lat,long``) and ``partners``.

Matching (:mod:`citygraph.names`) compares the query with every label, alternative and native
name in every language and script, transliterated, accent-, case- and punctuation-insensitive.
The name index is read from the served build once per dataset version, by the server's own
query pool, and kept.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from .. import __version__
from ..errors import BadRequest, NotFound
from ..formats import GRAPH_FORMATS, SELECT_FORMATS
from ..names import EXACT, normalise, score_keys, starts
from ..vocab import CG
from .common import cached, host_dependent
from .context import ctx
from .linked_data import local_href

bp = Blueprint("reconcile", __name__)

#: The most queries one batch may hold (OpenRefine sends 10 at a time by default).
MAX_QUERIES = 100
#: The most candidates one query may ask for, and the number when it names none.
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
#: The most entity identifiers and properties one data-extension request may ask for.
MAX_EXTEND_IDS = 1000
MAX_EXTEND_PROPERTIES = 50
#: The longest query text and the longest request parameter read.
MAX_QUERY_CHARS = 500
#: Candidates scoring below this are not proposed.
MIN_SCORE = 60.0
#: A JSONP callback: a JavaScript identifier path (``jQuery123_456``, ``cb.fn``).
CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,3}")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SCHEMA_NAME = "https://schema.org/name"
SCHEMA_DESCRIPTION = "https://schema.org/description"
SCHEMA_ALTERNATE = "https://schema.org/alternateName"
SCHEMA_LOCATION = "https://schema.org/location"
WGS_LAT = "http://www.w3.org/2003/01/geo/wgs84_pos#lat"
WGS_LONG = "http://www.w3.org/2003/01/geo/wgs84_pos#long"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"
CG_NS = str(CG)
NATIVE_NAME = CG_NS + "nativeName"
COUNTRY = CG_NS + "country"
PARTNER = CG_NS + "partner"
PARTNER_OF = CG_NS + "partnerOf"
WIKIDATA = CG_NS + "wikidataEntity"
#: Every property whose values are names of the entity.
NAME_PROPERTIES = (RDFS_LABEL, SKOS_PREF, SKOS_ALT, NATIVE_NAME, SCHEMA_NAME, SCHEMA_ALTERNATE)
#: The manifest's default types (the ontology's local names).
DEFAULT_TYPES = ("City", "Country", "Organisation", "Partnership")

#: Properties offered for data extension beyond the ontology's own: id → (name, description).
DERIVED_PROPERTIES: dict[str, tuple[str, str]] = {
    "wikidata": ("Wikidata QID", "The verified Wikidata item of the entity (e.g. Q1295)."),
    "country": ("country", "The country the place belongs to; of an organisation, event or other "
                           "located entity without a country of its own, its location's."),
    "coordinates": ("coordinates", "Latitude and longitude, as 'lat,long' (WGS 84); of an entity "
                                   "without its own, its location's."),
    "partners": ("partners", "The partners: of a place or organisation, every party it has a "
                             "partnership with; of a partnership, its two parties."),
}

ENTITY_TRIPLES = """
SELECT ?s ?p ?o WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?space))
}
"""

ONTOLOGY_TERMS = """
SELECT ?t ?kind ?label ?broader WHERE {
  VALUES ?kind { <http://www.w3.org/2002/07/owl#Class> <http://www.w3.org/2002/07/owl#ObjectProperty>
                 <http://www.w3.org/2002/07/owl#DatatypeProperty> }
  ?t a ?kind .
  FILTER(isIRI(?t) && STRSTARTS(STR(?t), ?ns))
  OPTIONAL { ?t <http://www.w3.org/2000/01/rdf-schema#label> ?label }
  OPTIONAL { ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?broader
             FILTER(isIRI(?broader) && STRSTARTS(STR(?broader), ?ns)) }
}
"""


# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One RDF term of a SPARQL JSON binding: ``kind`` is 'uri', 'literal' or 'bnode'."""

    kind: str
    value: str
    lang: str = ""
    datatype: str = ""


@dataclass
class Entity:
    """An entity of the dataset with everything reconciliation reads of it."""

    iri: str
    id: str
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (text, lang, key)
    types: set[str] = field(default_factory=set)
    facts: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Vocabulary:
    """An ontology term (class or property): its labels by language and broader classes."""

    iri: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)
    broader: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        """The term's local name, its identifier in this service."""
        return self.iri[len(CG_NS):]


@dataclass
class Index:
    """The names, types and facts of every entity of one build, and the ontology's terms."""

    space: str
    entities: dict[str, Entity]
    classes: dict[str, Vocabulary]
    properties: dict[str, Vocabulary]
    _qids: dict[str, Entity] | None = field(default=None, repr=False)

    def entity(self, identifier: str) -> Entity | None:
        """The entity an identifier (``city/dortmund``, the full IRI) names, if any."""
        identifier = identifier.strip()
        found = self.entities.get(identifier)
        return found if found is not None else self.entities.get(self.space + identifier.lstrip("/"))

    def by_qid(self) -> dict[str, Entity]:
        """The entities by Wikidata QID (made on first use)."""
        if self._qids is None:
            self._qids = {q: e for e in self.entities.values() for q in qids(e)}
        return self._qids

    def most_specific(self, entity: Entity) -> list[Vocabulary]:
        """The entity's ontology classes that no other class of it is narrower than."""
        own = [self.classes[t] for t in sorted(entity.types) if t in self.classes]
        broader = {b for c in own for b in self._ancestors(c.iri)}
        return [c for c in own if c.iri not in broader]

    def _ancestors(self, iri: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.classes[iri].broader) if iri in self.classes else []
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.classes[current].broader if current in self.classes else ())
        return seen


def _term(binding: Mapping[str, str]) -> Term:
    return Term(binding["type"].replace("typed-literal", "literal"), binding["value"],
                binding.get("xml:lang", ""), binding.get("datatype", ""))


def _select(text: str, **values: str) -> list[dict[str, Any]]:
    """Run one of the index's SELECT queries in the internal pool; ``values`` fill ``?name``
    placeholders as escaped string literals (N-Triples form)."""
    for name, value in values.items():
        text = text.replace("?" + name, str(ox.Literal(value)))
    answer = ctx().run_query(text, select_format=SELECT_FORMATS["json"],
                             graph_format=GRAPH_FORMATS["ntriples"], internal=True,
                             max_rows=1_000_000)
    rows: list[dict[str, Any]] = json.loads(answer.body)["results"]["bindings"]
    return rows


def read_index(space: str) -> Index:
    """Read the index of the served build: every IRI under ``space`` with an ontology class."""
    entities: dict[str, Entity] = {}
    triples: dict[str, list[tuple[str, Term]]] = defaultdict(list)
    for row in _select(ENTITY_TRIPLES, space=space):
        triples[row["s"]["value"]].append((row["p"]["value"], _term(row["o"])))
    for iri, statements in triples.items():
        types = {o.value for p, o in statements if p == RDF_TYPE and o.value.startswith(CG_NS)}
        if not types:
            continue  # a geometry, an instant: not something a table's cell names
        entity = Entity(iri, iri[len(space):], types=types)
        seen: set[tuple[str, str]] = set()
        for p, o in statements:
            if p in NAME_PROPERTIES and o.kind == "literal" and (o.value, o.lang) not in seen:
                seen.add((o.value, o.lang))
                entity.names.append((o.value, o.lang, normalise(o.value)))
            if p != RDF_TYPE and o not in entity.facts[p]:
                entity.facts[p].append(o)
        entities[iri] = entity
    classes: dict[str, Vocabulary] = {}
    properties: dict[str, Vocabulary] = {}
    for row in _select(ONTOLOGY_TERMS, ns=CG_NS):
        iri, kind = row["t"]["value"], row["kind"]["value"].rsplit("#", 1)[-1]
        table = classes if kind == "Class" else properties
        term = table.setdefault(iri, Vocabulary(iri, kind))
        if "label" in row:
            term.labels.setdefault(row["label"].get("xml:lang", ""), row["label"]["value"])
        if "broader" in row:
            term.broader.add(row["broader"]["value"])
    return Index(space, entities, classes, properties)


_INDEXES: dict[tuple[str, str, str], Index] = {}
_INDEX_LOCK = threading.Lock()


def index() -> Index:
    """The index of the served build, read once per dataset version and kept."""
    app_ctx = ctx()
    space = app_ctx.settings.base_iri + "id/"
    key = (str(app_ctx.dist), app_ctx.version, space)
    with _INDEX_LOCK:
        found = _INDEXES.get(key)
        if found is None:
            found = read_index(space)
            _INDEXES.clear()  # an older build's index is never asked for again
            _INDEXES[key] = found
        return found


# ------------------------------------------------------------------------------------------------
# Names, types and values as the API writes them
# ------------------------------------------------------------------------------------------------

def languages() -> list[str]:
    """The languages to name things in: the request's Accept-Language, then English, German."""
    wanted = [lang.split("-")[0].lower() for lang, _ in request.accept_languages]
    return [lang for lang in dict.fromkeys([*wanted, "en", "de"]) if lang != "*"]


def pick(labels: Mapping[str, str], fallback: str) -> str:
    """The label in the first wanted language, else any label, else ``fallback``."""
    by_base: dict[str, str] = {}
    for lang, text in labels.items():
        by_base.setdefault(lang.split("-")[0].lower(), text)
    for lang in languages():
        if lang in by_base:
            return by_base[lang]
    return next(iter(labels.values()), fallback)


def entity_name(entity: Entity) -> str:
    """The entity's label in the wanted language (else any of its names, else its id)."""
    labels = {o.lang: o.value for o in reversed(entity.facts.get(RDFS_LABEL, []))
              if o.kind == "literal"}
    if not labels:
        labels = {lang: text for text, lang, _ in reversed(entity.names)}
    return pick(labels, entity.id)


def type_json(term: Vocabulary) -> dict[str, str]:
    """A class as the API writes a type: ``{"id": "City", "name": "city"}``."""
    return {"id": term.id, "name": pick(term.labels, term.id)}


def entity_types(idx: Index, entity: Entity) -> list[dict[str, str]]:
    """The entity's most specific classes as API types."""
    return [type_json(c) for c in idx.most_specific(entity)]


def description(idx: Index, entity: Entity) -> str:
    """A short description: the entity's own (``schema:description``) or its type and country."""
    own = {o.lang: o.value for o in reversed(entity.facts.get(SCHEMA_DESCRIPTION, []))
           if o.kind == "literal"}
    if own:
        return pick(own, "")
    parts = [t["name"] for t in entity_types(idx, entity)]
    for country in property_values(idx, entity, "country"):
        target = idx.entities.get(country.value)
        if target is not None:
            parts.append(entity_name(target))
    qid = qids(entity)
    if qid:
        parts.append(qid[0])
    return ", ".join(parts)


def qids(entity: Entity) -> list[str]:
    """The entity's Wikidata QIDs."""
    return [o.value[len(WIKIDATA_ENTITY):] for o in entity.facts.get(WIKIDATA, [])
            if o.value.startswith(WIKIDATA_ENTITY)]


def resolve_type(idx: Index, name: str) -> str:
    """The class IRI a type identifier names (``City``, ``cg:City``, the IRI, a label); 400
    when it names none."""
    text = name.strip()
    if text.startswith("cg:"):
        text = text[3:]
    if text in idx.classes:
        return text
    if CG_NS + text in idx.classes:
        return CG_NS + text
    key = normalise(text)
    for term in idx.classes.values():
        if key and (key == normalise(term.id) or key in {normalise(v) for v in term.labels.values()}):
            return term.iri
    known = ", ".join(DEFAULT_TYPES)
    raise BadRequest(f"unknown type {name!r}: a type is a class of the citygraph ontology "
                       f"(e.g. {known}; /reconcile/suggest/type?prefix=… lists them)")


def resolve_property(idx: Index, name: str) -> str:
    """The property a property identifier names: a derived one (``wikidata``, ``coordinates``,
    ``partners``, ``country``) or an ontology property (local name, ``cg:`` name, IRI, label)."""
    text = name.strip()
    if text in DERIVED_PROPERTIES:
        return text
    if text.startswith("cg:"):
        text = text[3:]
    for candidate in (text, CG_NS + text):
        if candidate in idx.properties:
            return candidate
    key = normalise(text)
    for term in idx.properties.values():
        if key and (key == normalise(term.id) or key in {normalise(v) for v in term.labels.values()}):
            return term.iri
    if text in (RDFS_LABEL, SKOS_ALT, SCHEMA_DESCRIPTION, WGS_LAT, WGS_LONG):
        return text
    raise BadRequest(f"unknown property {name!r}: use one of {', '.join(DERIVED_PROPERTIES)} "
                       "or a property of the citygraph ontology (/reconcile/suggest/property)")


def _countries(entity: Entity) -> list[Term]:
    return list(entity.facts.get(COUNTRY, []))


def _coordinates(entity: Entity) -> list[Term]:
    lats, longs = entity.facts.get(WGS_LAT, []), entity.facts.get(WGS_LONG, [])
    if len(lats) != len(longs):  # no pairing to trust
        return []
    return [Term("literal", f"{lat.value},{long.value}") for lat, long in zip(lats, longs, strict=True)]


def _own_or_location(idx: Index, entity: Entity, get: Callable[[Entity], list[Term]]) -> list[Term]:
    """The entity's own values, or where it has none those of its locations (``schema:location``:
    an organisation's seat, an event's place)."""
    own = get(entity)
    if own:
        return own
    found: list[Term] = []
    for place in entity.facts.get(SCHEMA_LOCATION, []):
        target = idx.entities.get(place.value)
        if target is not None:
            found.extend(t for t in get(target) if t not in found)
    return found


def property_values(idx: Index, entity: Entity, prop: str) -> list[Term]:
    """The values of a (derived or ontology) property of the entity."""
    if prop == "wikidata":
        return [Term("literal", q) for q in qids(entity)]
    if prop == "country":
        return _own_or_location(idx, entity, _countries)
    if prop == "coordinates":
        return _own_or_location(idx, entity, _coordinates)
    if prop == "partners":
        found: list[Term] = []
        for o in [*entity.facts.get(PARTNER, []), *entity.facts.get(PARTNER_OF, [])]:
            if o.value != entity.iri and o not in found:
                found.append(o)
        return found
    return list(entity.facts.get(prop, []))


def property_name(idx: Index, prop: str) -> str:
    """The display name of a (derived or ontology) property."""
    if prop in DERIVED_PROPERTIES:
        return DERIVED_PROPERTIES[prop][0]
    term = idx.properties.get(prop)
    return pick(term.labels, term.id) if term else prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def property_id(idx: Index, prop: str) -> str:
    """The identifier this service writes for a property."""
    if prop in DERIVED_PROPERTIES:
        return prop
    return prop[len(CG_NS):] if prop.startswith(CG_NS) else prop


# ------------------------------------------------------------------------------------------------
# Reconciliation
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """One reconciliation query of a batch, checked."""

    text: str
    types: tuple[str, ...]
    strict: str
    limit: int
    properties: tuple[tuple[str, tuple[Any, ...]], ...]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(raw: str, what: str) -> Any:
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not JSON: {exc.msg} at line {exc.lineno} column "
                           f"{exc.colno}") from None
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        if "digits" in str(exc):
            raise BadRequest(f"{what} holds a number with too many digits") from None
        raise BadRequest(f"{what} is not usable JSON: {exc}") from None
    try:  # a lone surrogate (\ud800) decodes, but no answer could carry it back
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{what} holds a string that is not valid Unicode (a lone surrogate)"
                           ) from None
    return value


def parse_batch(idx: Index, raw: str) -> dict[str, Query]:
    """Check a ``queries`` parameter (a JSON object of query objects) and read it; 400 on any
    fault, naming the query and the field."""
    batch = _parse_json(raw, "the 'queries' parameter")
    if not isinstance(batch, dict):
        raise BadRequest("the 'queries' parameter must be a JSON object of queries "
                           '({"q0": {"query": "Dortmund"}, …})')
    if len(batch) > MAX_QUERIES:
        raise BadRequest(f"too many queries in one batch: {len(batch)} (at most {MAX_QUERIES})")
    return {key: parse_query(idx, key, value) for key, value in batch.items()}


def parse_query(idx: Index, key: str, value: Any) -> Query:
    """Check and read one query object of a batch."""
    where = f"query {key!r}"
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be a JSON object, not {type(value).__name__}")
    text = value.get("query", "")
    if not isinstance(text, str):
        raise BadRequest(f"{where}: 'query' must be a string")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"{where}: 'query' is longer than {MAX_QUERY_CHARS} characters")
    raw_types = value.get("type", [])
    if isinstance(raw_types, str):
        raw_types = [raw_types] if raw_types else []
    if not isinstance(raw_types, list) or not all(isinstance(t, str) for t in raw_types):
        raise BadRequest(f"{where}: 'type' must be a string or a list of strings")
    strict = value.get("type_strict", "any")
    if strict not in ("any", "should", "all"):
        raise BadRequest(f"{where}: 'type_strict' must be 'any', 'should' or 'all'")
    limit = value.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) \
            or not math.isfinite(limit) or limit != int(limit) or not 0 < limit:
        raise BadRequest(f"{where}: 'limit' must be a positive whole number")
    raw_props = value.get("properties", [])
    if not isinstance(raw_props, list):
        raise BadRequest(f"{where}: 'properties' must be a list of {{\"pid\": …, \"v\": …}}")
    props: list[tuple[str, tuple[Any, ...]]] = []
    for item in raw_props:
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) or "v" not in item:
            raise BadRequest(f"{where}: each of 'properties' must be an object with a string "
                               "'pid' and a value 'v'")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        for v in values:
            if not (isinstance(v, (str, int, float, bool)) or
                    (isinstance(v, dict) and isinstance(v.get("id"), str))):
                raise BadRequest(f"{where}: property {item['pid']!r}: a value must be a string, "
                                   'number, boolean or {"id": …}')
        props.append((resolve_property(idx, item["pid"]), tuple(values)))
    if not text.strip() and not props:
        raise BadRequest(f"{where} has neither a 'query' text nor 'properties'")
    types = tuple(dict.fromkeys(resolve_type(idx, t) for t in raw_types))
    return Query(text, types, strict, min(int(limit), MAX_LIMIT), tuple(props))


def name_score(entity: Entity, key: str) -> float:
    """The best score of any of the entity's names against a normalised query."""
    return max((score_keys(key, name_key) for _, _, name_key in entity.names), default=0.0)


def names_entity(idx: Index, text: str) -> Entity | None:
    """The entity that a text names by identifier: its id, its IRI or its Wikidata QID."""
    text = text.strip()
    found = idx.entity(text) if text else None
    if found is None and re.fullmatch(r"[Qq][1-9]\d*", text):
        found = idx.by_qid().get(text.upper())
    return found


def value_matches(idx: Index, term: Term, wanted: Any) -> bool:
    """True when a property value of an entity is what a query's constraint gives: the same
    entity (by id, IRI, QID or one of its names), or an equal literal (normalised, or equal
    numbers)."""
    if isinstance(wanted, dict):
        wanted = wanted["id"]
    if isinstance(wanted, bool):
        return term.kind == "literal" and term.value == str(wanted).lower()
    if isinstance(wanted, (int, float)):
        try:
            return float(term.value) == float(wanted)
        except ValueError:
            return False
    text = str(wanted).strip()
    if term.kind == "uri":
        target = idx.entities.get(term.value)
        if text in (term.value, term.value[len(idx.space):]):
            return True
        if target is None:
            return term.value == WIKIDATA_ENTITY + text
        if text.upper() in qids(target) or idx.entity(text) is target:
            return True
        key = normalise(text)
        return bool(key) and any(key == name_key for _, _, name_key in target.names)
    return normalise(term.value) == normalise(text) and bool(text)


def reconcile(idx: Index, query: Query) -> list[dict[str, Any]]:
    """The candidates of one query, best first: score 0–100 (names, then the share of property
    constraints met); ``match`` only for the one candidate whose name is exactly the query and
    that meets every constraint, when no other candidate's name is also exactly the query."""
    key = normalise(query.text)
    scored: list[tuple[float, float, str, Entity, list[dict[str, Any]]]] = []
    for entity in idx.entities.values():
        if query.types:
            have = [t in entity.types for t in query.types]
            if not (all(have) if query.strict == "all" else any(have)):
                continue
        names = name_score(entity, key) if key else EXACT
        if key and names < EXACT and names_entity(idx, query.text) is entity:
            names = EXACT  # the cell holds the entity's id, IRI or Wikidata QID
        if names < MIN_SCORE and key:
            continue
        features: list[dict[str, Any]] = [{"id": "name", "value": names}]
        met = 0
        for prop, wanted in query.properties:
            values = property_values(idx, entity, prop)
            ok = any(value_matches(idx, v, w) for v in values for w in wanted)
            met += ok
            features.append({"id": f"property:{property_id(idx, prop)}", "value": ok})
        share = met / len(query.properties) if query.properties else 1.0
        total = round(names * (0.5 + 0.5 * share), 2)
        if not key and not met:
            continue
        scored.append((total, names if share == 1.0 else 0.0, entity.iri, entity, features))
    scored.sort(key=lambda item: (-item[0], item[2]))
    exact = [item for item in scored if item[1] == EXACT]
    results = []
    for total, _, _, entity, features in scored[:query.limit]:
        results.append({
            "id": entity.id, "name": entity_name(entity), "description": description(idx, entity),
            "score": total, "features": features,
            "match": bool(key) and len(exact) == 1 and exact[0][3] is entity,
            "type": entity_types(idx, entity),
        })
    return results


# ------------------------------------------------------------------------------------------------
# Data extension
# ------------------------------------------------------------------------------------------------

def cell(idx: Index, term: Term) -> dict[str, Any]:
    """A property value as a data-extension cell (``id``+``name``, ``str``, ``int``, ``float``,
    ``date``)."""
    if term.kind == "uri":
        target = idx.entities.get(term.value)
        if target is not None:
            return {"id": target.id, "name": entity_name(target)}
        return {"str": term.value}
    local = term.datatype[len(XSD):] if term.datatype.startswith(XSD) else ""
    try:
        if local in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger"):
            return {"int": int(term.value)}
        if local in ("decimal", "double", "float"):
            return {"float": float(term.value)}
    except ValueError:
        pass
    if local == "date" and re.fullmatch(r"-?\d{4,}-\d\d-\d\d", term.value):
        return {"date": term.value + "T00:00:00Z"}
    if local == "dateTime" and re.fullmatch(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?",
                                           term.value):
        return {"date": term.value}
    return {"str": term.value}


def property_range(idx: Index, prop: str) -> dict[str, str] | None:
    """The type of an entity-valued derived property (so a client can reconcile its column)."""
    if prop == "country":
        term = idx.classes.get(CG_NS + "Country")
        return type_json(term) if term else None
    return None


def extend(idx: Index, raw: str) -> dict[str, Any]:
    """Answer a data-extension request (``{"ids": [...], "properties": [{"id": ...}]}``)."""
    request_json = _parse_json(raw, "the 'extend' parameter")
    if not isinstance(request_json, dict):
        raise BadRequest('the \'extend\' parameter must be a JSON object {"ids": [...], '
                           '"properties": [{"id": ...}]}')
    ids, props = request_json.get("ids"), request_json.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("extend: 'ids' must be a list of entity identifiers (strings)")
    if not isinstance(props, list) or not all(isinstance(p, dict) and isinstance(p.get("id"), str)
                                              for p in props):
        raise BadRequest("extend: 'properties' must be a list of objects with a string 'id'")
    if len(ids) > MAX_EXTEND_IDS:
        raise BadRequest(f"extend: too many ids: {len(ids)} (at most {MAX_EXTEND_IDS})")
    if len(props) > MAX_EXTEND_PROPERTIES:
        raise BadRequest(f"extend: too many properties: {len(props)} (at most "
                           f"{MAX_EXTEND_PROPERTIES})")
    resolved = [(p["id"], resolve_property(idx, p["id"])) for p in props]
    meta: list[dict[str, Any]] = []
    for given, prop in resolved:
        entry: dict[str, Any] = {"id": given, "name": property_name(idx, prop)}
        kind = property_range(idx, prop)
        if kind is not None:
            entry["type"] = kind
        meta.append(entry)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for identifier in ids:
        entity = idx.entity(identifier)
        rows[identifier] = {given: ([cell(idx, v) for v in property_values(idx, entity, prop)]
                                    if entity is not None else [])
                            for given, prop in resolved}
    return {"meta": meta, "rows": rows}


def propose(idx: Index, type_name: str | None, limit: int) -> dict[str, Any]:
    """The properties worth fetching for entities of a type: the derived ones first, then every
    ontology property that some entity of the type has."""
    kind = resolve_type(idx, type_name) if type_name else None
    members = [e for e in idx.entities.values() if kind is None or kind in e.types]
    used: dict[str, int] = defaultdict(int)
    for entity in members:
        for prop in entity.facts:
            if prop in idx.properties:
                used[prop] += 1
    found = [{"id": p, "name": name, "description": text}
             for p, (name, text) in DERIVED_PROPERTIES.items()
             if any(property_values(idx, e, p) for e in members)]
    for prop in sorted(used, key=lambda p: (-used[p], p)):
        if prop not in (COUNTRY,):
            found.append({"id": property_id(idx, prop), "name": property_name(idx, prop)})
    answer: dict[str, Any] = {"properties": found[:limit], "limit": limit}
    if kind is not None:
        answer["type"] = idx.classes[kind].id
    return answer


# ------------------------------------------------------------------------------------------------
# Suggest
# ------------------------------------------------------------------------------------------------

def _ranked(items: Iterable[tuple[Any, Sequence[str]]], prefix: str) -> list[Any]:
    key = normalise(prefix)
    best: list[tuple[int, int, str, Any]] = []
    for item, names in items:
        ranks = [(starts(n, key), -len(n)) for n in names if n]
        top = max(ranks, default=(0, 0))
        if top[0]:
            best.append((-top[0], -top[1], str(names[0]), item))
    best.sort(key=lambda t: t[:3])
    return [item for *_, item in best]


def suggest_entities(idx: Index, prefix: str, type_name: str | None) -> list[Any]:
    """Entities with a name or a word of one that starts with ``prefix`` (of a type, if given)."""
    kind = resolve_type(idx, type_name) if type_name else None
    return _ranked(((e, [k for _, _, k in e.names]) for e in idx.entities.values()
                    if kind is None or kind in e.types), prefix)


def suggest_types(idx: Index, prefix: str) -> list[Vocabulary]:
    """Ontology classes whose local name or a label starts with ``prefix``."""
    return _ranked(((c, [normalise(c.id), *(normalise(v) for v in c.labels.values())])
                    for c in idx.classes.values()), prefix)


def suggest_properties(idx: Index, prefix: str) -> list[tuple[str, str]]:
    """(id, name) of the derived and ontology properties whose id or a label starts with
    ``prefix``."""
    items: list[tuple[tuple[str, str], list[str]]] = [
        ((p, name), [normalise(p), normalise(name)]) for p, (name, _) in DERIVED_PROPERTIES.items()]
    items += [((t.id, pick(t.labels, t.id)), [normalise(t.id), *(normalise(v) for v in
                                                               t.labels.values())])
              for t in idx.properties.values() if t.iri != COUNTRY]
    return _ranked(items, prefix)


# ------------------------------------------------------------------------------------------------
# Views
# ------------------------------------------------------------------------------------------------

def site_root() -> str:
    """This service's public root URL (the ``public_url`` setting, else the request's host)."""
    public = ctx().settings.public_url
    return public if public else request.host_url


def manifest(idx: Index) -> dict[str, Any]:
    """The service manifest."""
    root = site_root().rstrip("/")
    service = root + "/reconcile"
    return {
        "versions": ["0.1", "0.2"],
        "name": "citygraph — cities' international relations",
        "identifierSpace": idx.space,
        "schemaSpace": CG_NS,
        "documentation": root + "/reconcile/documentation",
        "serviceVersion": f"citygraph {__version__}, dataset {ctx().version}",
        "view": {"url": root + "/id/{{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": 400, "height": 160},
        "defaultTypes": [type_json(idx.classes[CG_NS + t]) for t in DEFAULT_TYPES
                         if CG_NS + t in idx.classes],
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity",
                       "flyout_service_path": "/flyout/entity?id=${id}"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/extend/propose"},
            "property_settings": [],
        },
    }


def parameter(name: str) -> str | None:
    """A request parameter from the query string or a POSTed form."""
    return request.values.get(name)


def answer(body: Any, *, variant: str = "") -> Response:
    """JSON (or JSONP, with a checked ``callback``) for the request; GET answers are cached by
    dataset version and vary by language."""
    text = json.dumps(body, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback is not None:
        if not CALLBACK.fullmatch(callback):
            raise BadRequest("the 'callback' parameter must be a JavaScript identifier "
                               "(letters, digits, _ and $, dotted at most three times)")
        response = Response(f"/**/{callback}({text});",
                            content_type="application/javascript; charset=utf-8")
    else:
        response = Response(text, content_type="application/json; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.method in ("GET", "HEAD"):
        response.vary.add("Accept-Language")
        response = cached(response, f"{variant}-{languages()[0]}", weak=True)
    else:
        response.cache_control.no_store = True
    return response


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest) -> Response:
    """A 400 with the message, as JSON; for a JSONP request whose callback is sound, the error
    object passed to the callback with a 200 (a browser runs no script from a 400, so a script-tag
    client would never learn what went wrong)."""
    body = json.dumps({"status": "error", "message": str(exc)}, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback is not None and CALLBACK.fullmatch(callback):
        response = Response(f"/**/{callback}({body});", content_type="application/javascript; charset=utf-8")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.cache_control.no_store = True
        return response
    return Response(body, status=400, content_type="application/json; charset=utf-8")


def _limit(default: int) -> int:
    raw = parameter("limit")
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
        raise BadRequest(f"'limit' must be a positive whole number, not {raw[:40]!r}")
    value = int(raw)
    if value < 1:
        raise BadRequest(f"'limit' must be a positive whole number, not {raw!r}")
    return min(value, MAX_LIMIT)


def _cursor() -> int:
    raw = parameter("cursor") or "0"
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(f"'cursor' must be a whole number, not {raw!r}")
    return int(raw)


@bp.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    """The manifest, a batch of queries (``queries``) or a data extension (``extend``)."""
    idx = index()
    queries, extension = parameter("queries"), parameter("extend")
    if queries is not None and extension is not None:
        raise BadRequest("give either 'queries' or 'extend', not both")
    if queries is not None:
        batch = parse_batch(idx, queries)
        return answer({k: {"result": reconcile(idx, q)} for k, q in batch.items()},
                      variant="queries")
    if extension is not None:
        return answer(extend(idx, extension), variant="extend")
    if request.method == "POST":
        raise BadRequest("a POST to /reconcile needs a form field 'queries' or 'extend' "
                           "(JSON)")
    return host_dependent(answer(manifest(idx), variant="manifest"))


@bp.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Entities by name prefix (the suggest service for entities)."""
    idx = index()
    found = suggest_entities(idx, _prefix(), parameter("type") or None)
    start, limit = _cursor(), _limit(DEFAULT_LIMIT)
    result = [{"id": e.id, "name": entity_name(e), "description": description(idx, e),
               "notable": entity_types(idx, e)} for e in found[start:start + limit]]
    return answer({"result": result}, variant="suggest-entity")


@bp.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    """Ontology classes by name prefix (the suggest service for types)."""
    idx = index()
    start, limit = _cursor(), _limit(DEFAULT_LIMIT)
    result = []
    for term in suggest_types(idx, _prefix())[start:start + limit]:
        item: dict[str, Any] = type_json(term)
        broader = [type_json(idx.classes[b]) for b in sorted(term.broader) if b in idx.classes]
        if broader:
            item["broader"] = broader
        result.append(item)
    return answer({"result": result}, variant="suggest-type")


@bp.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """Properties by name prefix (the suggest service for properties)."""
    idx = index()
    start, limit = _cursor(), _limit(DEFAULT_LIMIT)
    result = [{"id": pid, "name": name}
              for pid, name in suggest_properties(idx, _prefix())[start:start + limit]]
    return answer({"result": result}, variant="suggest-property")


@bp.get("/reconcile/extend/propose")
def propose_properties() -> Response:
    """The properties proposed for data extension of entities of a type."""
    idx = index()
    return answer(propose(idx, parameter("type") or None, _limit(MAX_LIMIT)),
                  variant="propose")


def _prefix() -> str:
    prefix = parameter("prefix")
    if prefix is None:
        raise BadRequest("the suggest services need a 'prefix' parameter")
    if len(prefix) > MAX_QUERY_CHARS:
        raise BadRequest(f"'prefix' is longer than {MAX_QUERY_CHARS} characters")
    return prefix


def _card(idx: Index) -> tuple[Entity, str]:
    identifier = parameter("id")
    if not identifier:
        raise BadRequest("the preview needs an 'id' parameter (e.g. city/dortmund)")
    entity = idx.entity(identifier)
    if entity is None:
        raise NotFound(f"no entity with the id {identifier!r} in this dataset")
    coordinates = property_values(idx, entity, "coordinates")
    html = render_template(
        "reconcile_preview.html", entity=entity, name=entity_name(entity),
        description=description(idx, entity), types=entity_types(idx, entity),
        href=local_href(entity.iri) or entity.iri, qids=qids(entity),
        coordinates=coordinates[0].value if coordinates else None,
        other_names=sorted({text for text, _, _ in entity.names} - {entity_name(entity)}),
        partners=[cell(idx, p) for p in property_values(idx, entity, "partners")])
    return entity, html


@bp.get("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of an entity, for OpenRefine's preview iframe."""
    _, html = _card(index())
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return cached(response, f"preview-{languages()[0]}", weak=True)


@bp.get("/reconcile/flyout/entity")
def flyout() -> Response:
    """The entity's card as the suggest flyout (``{"id": …, "html": …}``)."""
    entity, html = _card(index())
    return answer({"id": entity.id, "html": html}, variant="flyout")


@bp.get("/reconcile/documentation")
def documentation() -> Response:
    """What this reconciliation service offers, as a page (the manifest's documentation)."""
    idx = index()
    html = render_template("reconcile.html", manifest=manifest(idx),
                           properties=DERIVED_PROPERTIES, max_queries=MAX_QUERIES,
                           max_limit=MAX_LIMIT)
    return host_dependent(cached(Response(html, content_type="text/html; charset=utf-8"),
                                 "reconcile-doc", weak=True))
