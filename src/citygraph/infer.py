"""Infer stage: OWL 2 RL closure (owlrl) plus SPARQL CONSTRUCT rules, keeping only new triples.

The closure runs on a copy of the asserted triples; the result is the set of derived triples
that are worth publishing. The OWL 2 RL rule set also yields axiomatic noise (``x owl:sameAs x``,
datatype declarations, literals as subjects, facts about the RDF/OWL vocabulary itself), which is
dropped so the inferred graph holds what users can use: types from the class hierarchy,
super-properties, symmetric links and the rule-derived shortcuts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import owlrl
import owlrl.OWLRL
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.plugins.sparql.sparql import Query
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.query import Result

from .errors import DataSyntaxError, MissingPathError

Triple = tuple[object, object, object]

_BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE_NOISE = {OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf,
                    OWL.equivalentProperty}
_NOISE_OBJECTS = {OWL.Thing, OWL.Nothing, RDFS.Resource}
_NOISE_TYPES = (RDFS.Datatype, OWL.AnnotationProperty)
_CLASS_EXPRESSION_PREDICATES = (RDF.type, RDFS.subClassOf, OWL.equivalentClass)
_TYPE = RDF.type
_SAME_AS = OWL.sameAs

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Rule:
    """A SPARQL CONSTRUCT rule from a file of its own."""

    name: str
    path: Path
    text: str


def load_rules(directory: Path) -> list[Rule]:
    """Every ``*.rq`` CONSTRUCT rule in ``directory`` (sorted; none if it does not exist)."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise MissingPathError(directory, "rules directory")
    rules = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        try:
            query = _prepared(text)
        except Exception as exc:  # pyparsing errors carry line and column in their message
            raise DataSyntaxError(path, getattr(exc, "lineno", None), str(exc)) from None
        if query.algebra.name != "ConstructQuery":
            raise DataSyntaxError(path, None, "a rule must be a SPARQL CONSTRUCT query")
        rules.append(Rule(path.stem, path, text))
    return rules


@lru_cache(maxsize=64)
def _prepared(text: str) -> Query:
    """The parsed and translated query of a rule text (rdflib's parser is slow; parse once)."""
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


class _Semantics(owlrl.OWLRL_Semantics):  # type: ignore[misc]
    """OWL 2 RL without the reflexive ``x owl:sameAs x`` of rule eq-ref for every term.

    eq-ref adds one such triple per subject, predicate and object (literals included), which
    roughly doubles the graph, and every later cycle runs the eq-rep-* rules over each of them
    without ever deriving anything new. They are noise (``is_noise`` drops them anyway), so
    they are not stored. Only used when the input says nothing about owl:sameAs itself (no
    sub-, super- or equivalent property of it), so no other rule could take them as premise.
    """

    def store_triple(self, t: tuple[Any, Any, Any]) -> None:
        if t[1] == _SAME_AS and t[0] == t[2]:
            return
        super().store_triple(t)


class _Terms:
    """A namespace whose terms are plain attributes once looked up.

    rdflib's OWL, RDF and RDFS namespaces check every attribute access against their term list
    (``DefinedNamespaceMeta.__getattr__``); owlrl reads ``OWL.sameAs`` and the like some
    500,000 times in a closure of this project, a third of its time.
    """

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term: URIRef = getattr(self._namespace, name)
        setattr(self, name, term)
        return term


_OWLRL_LOCK = threading.Lock()
_FAST_TERMS = {"OWL": _Terms(OWL), "RDF": _Terms(RDF), "RDFS": _Terms(RDFS)}


@contextmanager
def _fast_terms() -> Iterator[None]:
    """While active, owlrl's rule module reads the vocabulary from :class:`_Terms`."""
    with _OWLRL_LOCK:
        module = owlrl.OWLRL
        saved = {name: getattr(module, name) for name in _FAST_TERMS}
        for name, terms in _FAST_TERMS.items():
            setattr(module, name, terms)
        try:
            yield
        finally:
            for name, namespace in saved.items():
                setattr(module, name, namespace)


def _mentions_same_as(graph: Graph) -> bool:
    """True when owl:sameAs is the subject or object of a triple (an axiom about it)."""
    return (next(iter(graph.triples((_SAME_AS, None, None))), None) is not None
            or next(iter(graph.triples((None, None, _SAME_AS))), None) is not None)


def is_noise(triple: Triple) -> bool:
    """True for OWL RL axiomatic triples that carry no information about the data.

    >>> is_noise((URIRef("http://x/a"), OWL.sameAs, URIRef("http://x/a")))
    True
    >>> is_noise((URIRef("http://x/a"), RDF.type, URIRef("http://x/C")))
    False
    """
    s, p, o = triple
    if isinstance(s, Literal):
        return True
    if p in _REFLEXIVE_NOISE and s == o:
        return True
    if isinstance(s, URIRef) and str(s).startswith(_BUILTIN):
        return True
    if o in _NOISE_OBJECTS or s in _NOISE_OBJECTS:
        return True
    if p == _TYPE and o in _NOISE_TYPES:
        return True
    # Typing of anonymous class expressions (owl:unionOf lists etc.) is not data.
    return isinstance(s, BNode) and p in _CLASS_EXPRESSION_PREDICATES


def apply_rules(graph: Graph, rules: Sequence[Rule]) -> set[Triple]:
    """Run every rule over ``graph`` and return the triples it constructs."""
    out: set[Triple] = set()
    for rule in rules:
        result: Result = graph.query(_prepared(rule.text))
        out.update(result)  # type: ignore[arg-type]
    return out


def infer(asserted: Iterable[Triple], rules: Sequence[Rule] = ()) -> Graph:
    """The triples entailed by ``asserted`` under OWL 2 RL and ``rules``, minus noise and input.

    >>> from rdflib import Namespace
    >>> EX = Namespace("http://example.org/")
    >>> g = Graph()
    >>> _ = g.add((EX.City, RDFS.subClassOf, EX.Place)).add((EX.bonn, RDF.type, EX.City))
    >>> sorted(str(o) for o in infer(g).objects(EX.bonn, RDF.type))
    ['http://example.org/Place']
    """
    # A store without named-graph bookkeeping: owlrl looks triples up ~300,000 times.
    work = Graph(store=SimpleMemory())
    for triple in asserted:
        work.add(triple)  # type: ignore[arg-type]
    original = set(work)
    semantics = owlrl.OWLRL_Semantics if _mentions_same_as(work) else _Semantics
    closure = owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False)
    for triple in apply_rules(work, rules):  # rules first: they read asserted facts
        work.add(triple)  # type: ignore[arg-type]
    for _ in range(MAX_ROUNDS):
        with _fast_terms():
            closure.expand(work)
        new = apply_rules(work, rules) - set(work)
        if not new:
            break
        for triple in new:
            work.add(triple)  # type: ignore[arg-type]
    inferred = Graph()
    for triple in work:
        if triple not in original and not is_noise(triple):
            inferred.add(triple)
    return inferred
