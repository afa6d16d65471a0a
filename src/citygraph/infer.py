"""Infer stage: OWL 2 RL closure (owlrl) plus SPARQL CONSTRUCT rules, keeping only new triples.

The closure runs on a copy of the asserted triples; the result is the set of derived triples
that are worth publishing. The OWL 2 RL rule set also yields axiomatic noise (``x owl:sameAs x``,
datatype declarations, literals as subjects, facts about the RDF/OWL vocabulary itself), which is
dropped so the inferred graph holds what users can use: types from the class hierarchy,
super-properties, symmetric links and the rule-derived shortcuts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.query import Result

from .errors import DataSyntaxError, MissingPathError

Triple = tuple[object, object, object]

_BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE_NOISE = {OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf,
                    OWL.equivalentProperty}
_NOISE_OBJECTS = {OWL.Thing, OWL.Nothing, RDFS.Resource}

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
            from rdflib.plugins.sparql import prepareQuery

            query = prepareQuery(text)
        except Exception as exc:  # pyparsing errors carry line and column in their message
            raise DataSyntaxError(path, getattr(exc, "lineno", None), str(exc)) from None
        if query.algebra.name != "ConstructQuery":
            raise DataSyntaxError(path, None, "a rule must be a SPARQL CONSTRUCT query")
        rules.append(Rule(path.stem, path, text))
    return rules


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
    if p == RDF.type and o in (RDFS.Datatype, OWL.AnnotationProperty):
        return True
    # Typing of anonymous class expressions (owl:unionOf lists etc.) is not data.
    return isinstance(s, BNode) and p in (RDF.type, RDFS.subClassOf, OWL.equivalentClass)


def apply_rules(graph: Graph, rules: Sequence[Rule]) -> set[Triple]:
    """Run every rule over ``graph`` and return the triples it constructs."""
    out: set[Triple] = set()
    for rule in rules:
        result: Result = graph.query(rule.text)
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
    work = Graph()
    for triple in asserted:
        work.add(triple)  # type: ignore[arg-type]
    original = set(work)
    closure = owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    )
    for triple in apply_rules(work, rules):  # rules first: they read asserted facts
        work.add(triple)  # type: ignore[arg-type]
    for _ in range(MAX_ROUNDS):
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
