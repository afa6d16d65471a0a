"""The build: load → infer → validate → publish, each stage a plain function over graphs."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

from .catalog import describe
from .config import Settings
from .errors import DataSyntaxError, MissingPathError, ValidationFailed
from .infer import Rule, infer, load_rules
from .load import find_files, load, load_graph
from .publish import DATASET_FILE, Manifest, check_target, publish
from .queries import NamedQuery, load_query
from .terms import dataset_quads, graph_triples
from .validate import ValidationReport, published_files, validate
from .vocab import bind_prefixes
from .wikidata.view import derive_view, load_view_rules, view_graph_iri

SOURCE_DIRS = ("ontology", "data")
RULES_DIR = Path("ontology") / "rules"
QUERIES_DIR = "queries"
_SPARQL_POSITION = re.compile(r"\berror at (\d+):(\d+)")


@dataclass(frozen=True)
class Project:
    """The sources of a project directory, loaded."""

    dataset: Dataset
    shapes: Graph
    rules: tuple[Rule, ...]
    view_rules: tuple[Rule, ...] = ()

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

    def summary(self) -> str:
        """Two lines: what was built (triples, graphs, validation counts) and the time taken."""
        times = ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        return (f"built {self.dist} (version {self.manifest.version}): "
                f"{counts_line(self.manifest)}\n"
                f"  {times}; {sum(self.seconds.values()):.1f}s in all\n")


def counts_line(manifest: Manifest) -> str:
    """A build's counts in words: triples, named graphs, validation warnings and infos."""
    v = manifest.validation
    return (f"{manifest.triples} triples in {len(manifest.graphs)} named graphs; "
            f"{v.get('Violation', 0)} violation(s), {v.get('Warning', 0)} warning(s), "
            f"{v.get('Info', 0)} info(s)")


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
    return Project(dataset, shapes, rules, tuple(load_view_rules(root)))


def check_queries(root: Path) -> dict[str, NamedQuery]:
    """Load every curated query of ``root/queries`` (none if the directory does not exist).

    A query that does not parse, or whose ``#+`` header is malformed, raises DataSyntaxError
    naming the file and, when the parser gives one, the line.
    """
    directory = root / QUERIES_DIR
    if not directory.is_dir():
        return {}
    queries: dict[str, NamedQuery] = {}
    for path in sorted(directory.glob("*.rq")):
        try:
            queries[path.stem] = load_query(path)
        except DataSyntaxError as exc:
            position = _SPARQL_POSITION.search(exc.detail)
            if exc.line is not None or position is None:
                raise
            raise DataSyntaxError(path, int(position.group(1)), exc.detail) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataSyntaxError(path, None, f"cannot be read: {exc}") from None
    return queries


def asserted_graph(project: Project) -> Graph:
    """Ontology plus data, merged."""
    merged = Graph()
    bind_prefixes(merged)
    for g in project.dataset.graphs():
        merged += g
    return merged


def build(settings: Settings) -> BuildResult:
    """Run the whole build; raise ValidationFailed (dist/ untouched) on SHACL violations.

    A source file or a curated query (``queries/*.rq``) that does not parse raises
    DataSyntaxError before anything is written, so dist/ stays untouched then too.
    """
    seconds: dict[str, float] = {}
    check_target(settings.dist_dir)  # before the work: never replace a non-build
    start = time.perf_counter()
    project = load_project(settings)
    check_queries(settings.root)
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
    if project.view_rules:  # the Wikidata-shaped view, a graph of its own
        view_iri = ox.NamedNode(view_graph_iri(settings.base_iri))
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, view_iri)
                     for t in derive_view(quads, project.view_rules, settings.base_iri))
        seconds["wikidata view"] = time.perf_counter() - start
        start = time.perf_counter()
    manifest = publish(quads, settings.dist_dir, base_iri=settings.base_iri,
                       validation=report.counts(),
                       extra_files=published_files(report, project.shapes, settings.base_iri),
                       describe=lambda m, directory: describe(m, settings, directory))
    seconds["publish"] = time.perf_counter() - start
    return BuildResult(manifest, report, seconds, settings.dist_dir)


def validate_files(settings: Settings, paths: Sequence[Path] = (), *,
                   alone: bool = False) -> ValidationReport:
    """Validate data files with the project's ontology (OWL 2 RL closure, rules) and shapes.

    Without ``paths``, the project's data/ is validated and every result is reported. With
    ``paths`` (files or directories), the given files are validated together with the rest of
    data/ (so references to nodes described in other files resolve, as in the build), and the
    report keeps only the results about nodes the given files describe (subjects of their
    triples); the others are counted as omitted. ``alone`` validates the given files without
    the rest of data/.
    """
    root = settings.root
    if not root.is_dir():
        raise MissingPathError(root, "project directory")
    for directory in ("ontology", "shapes"):
        if not (root / directory).is_dir():
            raise MissingPathError(root / directory, "directory")
    data_dir = root / "data"
    given = list(paths)
    data = load_graph(given or [data_dir], root, settings.base_iri, stable=True)
    described = set(data.subjects())
    if given and not alone and data_dir.is_dir():
        own = {f.path.resolve() for f in find_files(given, root, settings.base_iri)}
        context = [f.path for f in find_files([data_dir], root, settings.base_iri)
                   if f.path.resolve() not in own]
        if context:
            data += load_graph(context, root, settings.base_iri, stable=True)
    ontology = load_graph([root / "ontology"], root, settings.base_iri)
    shapes = load_graph([root / "shapes"], root, settings.base_iri)
    rules = tuple(load_rules(root / RULES_DIR))
    report = validate(data, shapes, ontology, rules=rules)
    return report.restricted_to(described) if given else report


def stale_reason(settings: Settings) -> str | None:
    """Why dist/ must be built again (in words), or None when it is up to date.

    It must when it is missing or unreadable, built for another base IRI, or older than a
    source file (ontology, data, shapes).
    """
    dataset = settings.dist_dir / DATASET_FILE
    if not dataset.exists():
        return "no build yet"
    try:
        base_iri = Manifest.read(settings.dist_dir).base_iri
        built = dataset.stat().st_mtime
    except (OSError, ValueError, TypeError):  # no readable manifest: build again
        return "the build's manifest is unreadable"
    if base_iri != settings.base_iri:
        return f"the build is for another base IRI ({base_iri})"
    for directory in (*SOURCE_DIRS, "shapes"):
        for path in sorted((settings.root / directory).rglob("*")):
            if path.is_file() and path.stat().st_mtime > built:
                return f"stale build: {path.relative_to(settings.root)} is newer"
    return None


def is_stale(settings: Settings) -> bool:
    """True when dist/ is missing, older than any source file, or built for another base IRI."""
    return stale_reason(settings) is not None
