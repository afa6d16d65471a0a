"""The build: load → infer → validate → publish, each stage a plain function over graphs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

from .catalog import describe
from .config import Settings
from .errors import MissingPathError, ValidationFailed
from .infer import Rule, infer, load_rules
from .load import load, load_graph
from .publish import DATASET_FILE, Manifest, publish
from .terms import dataset_quads, graph_triples
from .validate import ValidationReport, validate
from .vocab import bind_prefixes

SOURCE_DIRS = ("ontology", "data")
RULES_DIR = Path("ontology") / "rules"


@dataclass(frozen=True)
class Project:
    """The sources of a project directory, loaded."""

    dataset: Dataset
    shapes: Graph
    rules: tuple[Rule, ...]

    def graph(self, prefix: str) -> Graph:
        """The union of the named graphs whose IRI contains ``/graph/{prefix}``."""
        out = Graph()
        bind_prefixes(out)
        for g in self.dataset.graphs():
            if f"/graph/{prefix}" in str(g.identifier):
                out += g
        return out


@dataclass(frozen=True)
class BuildResult:
    """What ``build`` did: the manifest, the validation report and the time per stage."""

    manifest: Manifest
    report: ValidationReport
    seconds: dict[str, float]
    dist: Path


def load_project(settings: Settings) -> Project:
    """Load ontology and data (one named graph per file), shapes and rules of a project."""
    root = settings.root
    if not root.is_dir():
        raise MissingPathError(root, "project directory")
    shapes_dir = root / "shapes"
    if not shapes_dir.is_dir():
        raise MissingPathError(shapes_dir, "directory")
    dataset = load(root, settings.base_iri, dirs=SOURCE_DIRS)
    shapes = load_graph([shapes_dir], root, settings.base_iri)
    rules = tuple(load_rules(root / RULES_DIR))
    return Project(dataset, shapes, rules)


def asserted_graph(project: Project) -> Graph:
    """Ontology plus data, merged."""
    merged = Graph()
    bind_prefixes(merged)
    for g in project.dataset.graphs():
        merged += g
    return merged


def build(settings: Settings) -> BuildResult:
    """Run the whole build; raise ValidationFailed (dist/ untouched) on SHACL violations."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    project = load_project(settings)
    seconds["load"] = time.perf_counter() - start

    start = time.perf_counter()
    asserted = asserted_graph(project)
    inferred = infer(asserted, project.rules)
    seconds["infer"] = time.perf_counter() - start

    start = time.perf_counter()
    data = project.graph("data/")
    ontology = project.graph("ontology/")
    report = validate(data, project.shapes, ontology, inferred=inferred)
    seconds["validate"] = time.perf_counter() - start
    if not report.conforms:
        raise ValidationFailed("the data does not conform to the shapes; nothing was published\n"
                               + report.text)

    start = time.perf_counter()
    inferred_iri = ox.NamedNode(settings.base_iri + "graph/inferred")
    quads = list(dataset_quads(project.dataset))
    quads.extend(ox.Quad(t.subject, t.predicate, t.object, inferred_iri)
                 for t in graph_triples(inferred))
    manifest = publish(quads, settings.dist_dir, base_iri=settings.base_iri,
                       validation=report.counts(),
                       describe=lambda m, directory: describe(m, settings, directory))
    seconds["publish"] = time.perf_counter() - start
    return BuildResult(manifest, report, seconds, settings.dist_dir)


def is_stale(settings: Settings) -> bool:
    """True when dist/ is missing or older than any source file."""
    dataset = settings.dist_dir / DATASET_FILE
    if not dataset.exists():
        return True
    built = dataset.stat().st_mtime
    for directory in (*SOURCE_DIRS, "shapes"):
        for path in (settings.root / directory).rglob("*"):
            if path.is_file() and path.stat().st_mtime > built:
                return True
    return False
