"""Load stage: parse every source file into its own named graph.

A file names its own graph with the relative IRI ``<>`` (Turtle's "this document"): it resolves to
the graph IRI of the file (``{base}graph/data/article`` for ``data/article.ttl``), so a data file
states its source as ``<> prov:wasDerivedFrom source:… .`` and the statement lands on the very
named graph the file is loaded into, whatever the base IRI or the file's location on disk.

A syntax error stops the load with a :class:`~citygraph.errors.DataSyntaxError` naming the file,
line and what the parser expected (Oxigraph's parser gives the most precise messages, so it checks
each file first; rdflib then builds the graph).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from .config import DEFAULT_BASE
from .errors import DataSyntaxError, MissingPathError
from .vocab import bind_prefixes, instance_namespace

#: File suffix → (rdflib parser name, Oxigraph format).
RDF_SUFFIXES: dict[str, tuple[str, ox.RdfFormat]] = {
    ".ttl": ("turtle", ox.RdfFormat.TURTLE),
    ".nt": ("nt", ox.RdfFormat.N_TRIPLES),
    ".rdf": ("xml", ox.RdfFormat.RDF_XML),
    ".owl": ("xml", ox.RdfFormat.RDF_XML),
    ".jsonld": ("json-ld", ox.RdfFormat.JSON_LD),
}

SOURCE_DIRS = ("ontology", "data")


@dataclass(frozen=True)
class SourceFile:
    """One curated source file and the named graph it is loaded into."""

    path: Path
    relative: str
    graph: URIRef


def graph_iri(relative: str, base_iri: str = DEFAULT_BASE) -> URIRef:
    """The named graph of a source file, from its path relative to the project root.

    >>> str(graph_iri("data/article.ttl"))
    'https://w3id.org/citygraph/graph/data/article'
    """
    stem = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
    return URIRef(base_iri + "graph/" + stem)


def find_files(paths: Iterable[Path], root: Path, base_iri: str = DEFAULT_BASE) -> list[SourceFile]:
    """Every RDF file under the given files or directories, sorted, each with its graph IRI."""
    found: list[SourceFile] = []
    for path in paths:
        if not path.exists():
            raise MissingPathError(path)
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in candidates:
            if file.is_file() and file.suffix in RDF_SUFFIXES:
                try:
                    relative = file.resolve().relative_to(root.resolve()).as_posix()
                except ValueError:
                    relative = file.name
                found.append(SourceFile(file, relative, graph_iri(relative, base_iri)))
            elif file is path:
                raise DataSyntaxError(file, None, f"not an RDF file (expected one of "
                                      f"{', '.join(RDF_SUFFIXES)})")
    return found


_RDFLIB_LINE = re.compile(r"at line (\d+)")


def parse_file(path: Path, base_iri: str = DEFAULT_BASE, *, stable: bool = True,
               graph_name: URIRef | None = None) -> Graph:
    """Parse one RDF file into a new rdflib graph, or raise DataSyntaxError.

    With ``stable``, blank nodes get canonical labels (needed for byte-identical dumps). With
    ``graph_name``, the file's own IRI (``<>`` in it) becomes that named graph's IRI.
    """
    if not path.is_file():
        raise MissingPathError(path, "file")
    rdflib_format, ox_format = RDF_SUFFIXES.get(path.suffix, ("turtle", ox.RdfFormat.TURTLE))
    base = path.resolve().as_uri()
    try:
        for _ in ox.parse(path=str(path), format=ox_format, base_iri=base):
            pass
    except SyntaxError as exc:
        detail = str(exc.msg) if hasattr(exc, "msg") else str(exc)
        detail = re.sub(r"^Parser error at line \d+ (between columns|column)[^:]*: ", "", detail)
        detail = re.sub(r" \([^()]*, line \d+\)$", "", detail)
        column = f", column {exc.offset}" if getattr(exc, "offset", None) else ""
        raise DataSyntaxError(path, exc.lineno, f"{detail}{column}") from None
    except (OSError, ValueError) as exc:
        raise DataSyntaxError(path, None, str(exc)) from None
    graph = Graph()
    try:
        graph.parse(path, format=rdflib_format, publicID=base)
    except Exception as exc:  # rdflib parsers raise assorted types; report the message
        match = _RDFLIB_LINE.search(str(exc))
        raise DataSyntaxError(path, int(match.group(1)) if match else None,
                              str(exc).splitlines()[-1] if str(exc) else type(exc).__name__) from None
    if base_iri != DEFAULT_BASE:
        graph = rebase(graph, instance_namespace(DEFAULT_BASE), instance_namespace(base_iri))
        graph = rebase(graph, DEFAULT_BASE + "graph/", base_iri + "graph/")
    if graph_name is not None:
        graph = rename(graph, URIRef(base), graph_name)
    return stable_bnodes(graph, path.name) if stable else graph


def rename(graph: Graph, old: URIRef, new: URIRef) -> Graph:
    """``graph`` with every occurrence of the IRI ``old`` replaced by ``new`` (in place)."""
    for s, p, o in list(graph):
        if old in (s, p, o):
            graph.remove((s, p, o))
            graph.add((new if s == old else s, new if p == old else p, new if o == old else o))
    return graph


def stable_bnodes(graph: Graph, salt: str) -> Graph:
    """Relabel blank nodes canonically (salted per file) so that builds are byte-identical."""
    if not any(isinstance(term, BNode) for triple in graph for term in triple):
        return graph
    prefix = "b" + hashlib.sha256(salt.encode()).hexdigest()[:8]
    stable = Graph()
    for name, namespace in graph.namespaces():
        stable.bind(name, namespace, override=True)
    for triple in to_canonical_graph(graph):
        stable.add(tuple(  # type: ignore[arg-type]
            BNode(prefix + str(t)) if isinstance(t, BNode) else t for t in triple
        ))
    return stable


def rebase(graph: Graph, old: str, new: str) -> Graph:
    """A copy of ``graph`` with every IRI under ``old`` moved under ``new``."""

    def move(term: Node) -> Node:
        if isinstance(term, URIRef) and term.startswith(old):
            return URIRef(new + term[len(old):])
        return term

    moved = Graph()
    for prefix, namespace in graph.namespaces():
        moved.bind(prefix, move(namespace), override=True)
    for s, p, o in graph:
        moved.add((move(s), move(p), move(o)))
    return moved


def load(
    root: Path,
    base_iri: str = DEFAULT_BASE,
    paths: Sequence[Path] | None = None,
    dirs: Sequence[str] = SOURCE_DIRS,
) -> Dataset:
    """Load the project's sources (or ``paths``) into a Dataset, one named graph per file."""
    if not root.is_dir():
        raise MissingPathError(root, "project directory")
    if paths is None:
        missing = [root / d for d in dirs if not (root / d).is_dir()]
        if missing:
            raise MissingPathError(missing[0], "directory")
        paths = [root / d for d in dirs]
    dataset = Dataset()
    bind_prefixes(dataset)
    for source in find_files(paths, root, base_iri):
        graph = parse_file(source.path, base_iri, graph_name=source.graph)
        named = dataset.graph(source.graph)
        for triple in graph:
            named.add(triple)
    return dataset


def load_graph(paths: Sequence[Path], root: Path, base_iri: str = DEFAULT_BASE, *,
               stable: bool = False) -> Graph:
    """Parse files or directories into one merged graph (for shapes and ad-hoc validation).

    With ``stable``, blank nodes get the canonical labels the build gives them (so a report
    naming a blank node is the same from run to run).
    """
    merged = Graph()
    bind_prefixes(merged)
    for source in find_files(paths, root, base_iri):
        merged += parse_file(source.path, base_iri, stable=stable, graph_name=source.graph)
    return merged
