"""Tests of the SHACL shapes in shapes/ against the fixtures in tests/fixtures/shapes/.

Layout: one folder per node shape, holding ``valid.ttl`` (must give no result at all) and one file
per rule that breaks it: ``invalid-*.ttl`` (at least one sh:Violation), ``warning-*.ttl`` /
``info-*.ttl`` (only sh:Warning / sh:Info; the graph still conforms). Each breaking fixture lists
every result it must produce in header comments, resolved with the fixture's own @prefix lines:

    # expect: focus=ps:bad path=cg:partner shape=cgsh:Partnership-partner severity=Violation

Rules that OWL RL makes redundant (a class check on a property with an rdfs:range: inference
types the wrong value, and EntityShape's one-kind rule catches it) are also checked without
inference, on the fixture alone, with ``# expect-without-inference:`` lines (a subset check).

``path`` is a prefixed name or <IRI>, ``^name`` for an inverse path, ``(a|b)`` for an alternative
path and ``-`` for no path. The set of results whose focus node belongs to the fixture must equal
the set of expectations, (focus, path, source shape, severity) for (focus, path, source shape,
severity).

Every fixture is merged with ``_context.ttl`` (a few complete, valid nodes to point to) and the
ontology. For speed, all fixtures are validated together in one run of the project's validator
(OWL RL inference on, as in the build); a node belongs to the fixture that mentions it, so fixtures
never share the IRIs they mint, and no result may fall on a context or ontology node.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from citygraph.validate import ValidationReport, ValidationResult, validate

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
CONTEXT = FIXTURES / "_context.ttl"
CGSH = "https://w3id.org/citygraph/shapes#"

Key = tuple[str, str, str, str]  # focus, path, source shape, severity name


def _parse_dir(directory: Path, pattern: str = "*.ttl") -> Graph:
    graph = Graph()
    for path in sorted(directory.glob(pattern)):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return _parse_dir(SHAPES_DIR)


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return _parse_dir(ONTOLOGY_DIR)


@pytest.fixture(scope="session")
def context() -> Graph:
    return Graph().parse(CONTEXT, format="turtle")


# ---------------------------------------------------------------------------------------------
# Fixture files and their expectations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    path: Path
    graph: Graph
    expected: frozenset[Key]
    expected_without_inference: frozenset[Key]

    @property
    def name(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix()

    @property
    def kind(self) -> str:
        return self.path.stem.split("-", 1)[0]  # valid | invalid | warning | info


_PREFIX = re.compile(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*\.", re.MULTILINE)
_EXPECT = re.compile(r"^#\s*expect:\s*(.*)$", re.MULTILINE)
_EXPECT_NOINF = re.compile(r"^#\s*expect-without-inference:\s*(.*)$", re.MULTILINE)


def _expand(token: str, prefixes: dict[str, str]) -> str:
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1]
    prefix, _, local = token.partition(":")
    if prefix not in prefixes:
        raise ValueError(f"unknown prefix in {token!r}")
    return prefixes[prefix] + local


def _expand_path(token: str, prefixes: dict[str, str]) -> str:
    if token == "-":
        return "-"
    if token.startswith("^"):
        return "^" + _expand(token[1:], prefixes)
    if token.startswith("(") and token.endswith(")"):
        return "(" + "|".join(_expand(t, prefixes) for t in token[1:-1].split("|")) + ")"
    return _expand(token, prefixes)


def parse_expectations(text: str, pattern: re.Pattern[str] = _EXPECT) -> frozenset[Key]:
    """The ``# expect:`` lines of a fixture as (focus, path, shape, severity) keys."""
    prefixes = {"cgsh": CGSH}
    prefixes.update({p or "": ns for p, ns in _PREFIX.findall(text)})
    out = set()
    for line in pattern.findall(text):
        fields = dict(part.split("=", 1) for part in line.split())
        out.add(
            (
                _expand(fields["focus"], prefixes),
                _expand_path(fields.get("path", "-"), prefixes),
                _expand(fields["shape"], prefixes),
                fields["severity"],
            )
        )
    return frozenset(out)


def _load_fixtures() -> list[Fixture]:
    fixtures = []
    for path in sorted(FIXTURES.glob("*/*.ttl")):
        text = path.read_text(encoding="utf-8")
        graph = Graph().parse(data=text, format="turtle")
        fixtures.append(
            Fixture(path, graph, parse_expectations(text), parse_expectations(text, _EXPECT_NOINF))
        )
    return fixtures


FIXTURE_LIST = _load_fixtures()


# ---------------------------------------------------------------------------------------------
# Rendering results as keys
# ---------------------------------------------------------------------------------------------


def path_key(graph: Graph, path: Node | None) -> str:
    """A SHACL path as text: IRI, ``^IRI``, ``(a|b)``, or ``-`` for none."""
    if path is None:
        return "-"
    if isinstance(path, URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_key(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_key(graph, p) for p in Collection(graph, alternatives)) + ")"
    return "/".join(path_key(graph, p) for p in Collection(graph, path))


def result_key(report: ValidationReport, result: ValidationResult) -> Key:
    return (
        str(result.focus_node),
        path_key(report.graph, result.path),
        str(result.source_shape),
        result.severity_name,
    )


def top_level_keys(report: ValidationReport) -> set[Key]:
    """Keys of the results the report lists with sh:result (not nested sh:detail results)."""
    g = report.graph
    keys = set()
    for node in g.objects(None, SH.result):
        severity = g.value(node, SH.resultSeverity)
        keys.add(
            (
                str(g.value(node, SH.focusNode)),
                path_key(g, g.value(node, SH.resultPath)),
                str(g.value(node, SH.sourceShape)),
                str(severity).rsplit("#", 1)[-1],
            )
        )
    return keys


def report_keys(report: ValidationReport) -> list[tuple[ValidationResult, Key]]:
    """(result, key) for every top-level result of a report."""
    top = top_level_keys(report)
    pairs = [(r, result_key(report, r)) for r in report.results]
    return [(r, k) for r, k in pairs if k in top]


OWNABLE = ("https://w3id.org/citygraph/id/", "http://www.wikidata.org/entity/")


def _terms(graph: Graph) -> Iterator[Node]:
    """Instance nodes of a graph: blank nodes and IRIs under id/ or wd: (never vocabulary)."""
    for s, _p, o in graph:
        for term in (s, o):
            if isinstance(term, BNode) or (isinstance(term, URIRef) and str(term).startswith(OWNABLE)):
                yield term


# ---------------------------------------------------------------------------------------------
# One validation of everything
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    report: ValidationReport
    owner: dict[Node, str]  # node -> name of the fixture that mentions it
    by_fixture: dict[str, set[Key]]
    unowned: list[Key]


@pytest.fixture(scope="session")
def batch(shapes: Graph, ontology: Graph, context: Graph) -> Batch:
    shared = set(_terms(ontology)) | set(_terms(context))
    owner: dict[Node, str] = {}
    data = Graph()
    data += context
    for fixture in FIXTURE_LIST:
        for term in set(_terms(fixture.graph)) - shared:
            if isinstance(term, URIRef) and term in owner and owner[term] != fixture.name:
                raise AssertionError(f"{term} is used by {owner[term]} and {fixture.name}")
            owner[term] = fixture.name
        data += fixture.graph  # blank nodes stay distinct: each fixture was parsed on its own
    report = validate(data, shapes, ontology)
    by_fixture: dict[str, set[Key]] = {f.name: set() for f in FIXTURE_LIST}
    unowned = []
    for result, key in report_keys(report):
        name = owner.get(result.focus_node)
        if name is None:
            unowned.append(key)
        else:
            by_fixture[name].add(key)
    return Batch(report, owner, by_fixture, unowned)


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=lambda f: f.name)
def test_fixture(fixture: Fixture, batch: Batch) -> None:
    actual = batch.by_fixture[fixture.name]
    if fixture.kind == "valid":
        assert not fixture.expected, "a valid fixture expects nothing"
        assert actual == set(), f"valid fixture gives results: {sorted(actual)}"
        return
    assert fixture.kind in ("invalid", "warning", "info"), fixture.name
    assert fixture.expected, "a breaking fixture needs '# expect:' lines"
    assert actual == set(fixture.expected), (
        f"missing: {sorted(fixture.expected - actual)}\nunexpected: {sorted(actual - fixture.expected)}"
    )
    severities = {key[3] for key in actual}
    conforms = "Violation" not in severities  # our sense: warnings and infos do not fail
    if fixture.kind == "invalid":
        assert not conforms, "an invalid fixture must give at least one sh:Violation"
    else:
        assert conforms and severities == {fixture.kind.capitalize()}


def test_no_result_outside_fixtures(batch: Batch) -> None:
    assert batch.unowned == []


def test_context_and_ontology_conform_without_results(shapes: Graph, ontology: Graph, context: Graph) -> None:
    report = validate(context, shapes, ontology)
    assert report_keys(report) == [], report.text


@pytest.mark.parametrize(
    "fixture", [f for f in FIXTURE_LIST if f.kind == "invalid"][:3], ids=lambda f: f.name
)
def test_single_fixture_alone_matches_batch(
    fixture: Fixture, shapes: Graph, ontology: Graph, context: Graph, batch: Batch
) -> None:
    """Validating one fixture on its own gives the same results as in the batch."""
    data = Graph()
    data += context
    data += fixture.graph
    report = validate(data, shapes, ontology)
    assert {key for _r, key in report_keys(report)} == batch.by_fixture[fixture.name]


@pytest.mark.parametrize(
    "fixture", [f for f in FIXTURE_LIST if f.expected_without_inference], ids=lambda f: f.name
)
def test_fixture_without_inference(fixture: Fixture, shapes: Graph, ontology: Graph, context: Graph) -> None:
    """Range checks that OWL RL makes redundant still work when the validator skips inference."""
    data = Graph()
    data += context
    data += fixture.graph
    report = validate(data, shapes, ontology, inference=False)
    actual = {key for _r, key in report_keys(report)}
    assert set(fixture.expected_without_inference) <= actual, sorted(actual)
    assert not report.conforms


# ---------------------------------------------------------------------------------------------
# The shapes themselves
# ---------------------------------------------------------------------------------------------


def _iri_shapes(shapes: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef))


def test_every_shape_is_documented(shapes: Graph) -> None:
    missing = []
    for kind in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint):
        for shape in _iri_shapes(shapes, kind):
            assert str(shape).startswith(CGSH), shape
            for prop in (SH.name, SH.description, SH.message):
                if shapes.value(shape, prop) is None:
                    missing.append(f"{shape} lacks {prop}")
            for message in shapes.objects(shape, SH.message):
                if isinstance(message, Literal) and message.language not in (None, "en"):
                    missing.append(f"{shape} has a non-English sh:message")
    assert missing == []


def test_property_shapes_are_named(shapes: Graph) -> None:
    """Property shapes of targeted node shapes are IRIs, so reports name them."""
    anonymous = [
        shape
        for shape in shapes.subjects(SH.targetClass, None)
        for prop in shapes.objects(shape, SH.property)
        if isinstance(prop, BNode)
    ]
    assert anonymous == []


def test_every_targeted_shape_has_valid_and_breaking_fixtures(shapes: Graph) -> None:
    targets = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    targeted = {s for t in targets for s in shapes.subjects(t, None) if isinstance(s, URIRef)}
    folder_of = {
        shape: re.sub(r"(?<!^)(?=[A-Z])", "-", str(shape)[len(CGSH) :].removesuffix("Shape")).lower()
        for shape in targeted
    }
    problems = []
    for shape, folder in sorted(folder_of.items()):
        names = {p.stem for p in (FIXTURES / folder).glob("*.ttl")}
        if "valid" not in names:
            problems.append(f"{folder}/valid.ttl missing for {shape}")
        if not any(n.startswith(("invalid-", "warning-", "info-")) for n in names):
            problems.append(f"{folder}/invalid-*.ttl (or warning-*/info-*) missing for {shape}")
    shapes_expected = {key[2] for f in FIXTURE_LIST for key in f.expected}
    for shape in sorted(targeted):
        shape_and_parts = {str(shape)} | {str(p) for p in shapes.objects(shape, SH.property)}
        if not shape_and_parts & shapes_expected:
            problems.append(f"no fixture expects a result from {shape}")
    assert problems == []


def test_every_violation_rule_is_exercised(shapes: Graph) -> None:
    """Every named property shape and SPARQL constraint appears in some fixture's expectations."""
    expected = {key[2] for f in FIXTURE_LIST for key in f.expected | f.expected_without_inference}
    sparql_owner = {c: s for s, c in shapes.subject_objects(SH.sparql)}
    missing = []
    for prop in _iri_shapes(shapes, SH.PropertyShape):
        if str(prop) not in expected:
            missing.append(str(prop))
    for constraint, owner in sparql_owner.items():
        # SPARQL results name the node shape as source shape; require a fixture file named after it
        local = str(constraint)[len(CGSH) :]
        if not any(local.split("-", 1)[1] in f.path.stem for f in FIXTURE_LIST):
            missing.append(f"{constraint} (of {owner})")
    assert missing == []


# ---------------------------------------------------------------------------------------------
# The real data
# ---------------------------------------------------------------------------------------------


def test_data_has_no_violations(shapes: Graph, ontology: Graph) -> None:
    files = sorted(DATA_DIR.glob("**/*.ttl"))
    if not files:
        pytest.skip("no data yet")
    data = Graph()
    for path in files:
        data.parse(path, format="turtle")
    report = validate(data, shapes, ontology)
    violations = [r for r in report.results if r.severity == SH.Violation]
    assert not violations, report.text
