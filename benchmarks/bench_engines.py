"""Speed of the serving engine (pyoxigraph) against rdflib's SPARQL engine, side by side.

Run from the repository root after a build::

    python benchmarks/bench_engines.py [--dist dist] [--scale 1 10 50] [--repeat 5]

For each scale factor the build's triples are copied that many times under distinct instance
IRIs (so joins, grouping and filters grow with the data), both engines load the same triples,
and each query runs ``--repeat`` times on each engine; the table gives the median times and the
ratio rdflib / pyoxigraph. Both engines answer with the same number of rows (checked).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from citygraph.terms import to_rdflib
from citygraph.vocab import PREFIXES

ID = "https://w3id.org/citygraph/id/"
PROLOGUE = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

QUERIES = {
    "join: partners with labels and countries": """
        SELECT ?p ?a ?b ?label ?country WHERE {
          ?p a cg:Partnership ; cg:partner ?a, ?b . FILTER(?a != ?b)
          ?b rdfs:label ?label . FILTER(LANG(?label) = "en")
          OPTIONAL { ?b cg:country ?country }
        }""",
    "group: triples per class": """
        SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)""",
    "filter: labels containing a string": """
        SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), "dort")) }""",
    "path: sources of partnerships": """
        SELECT ?p (COUNT(DISTINCT ?src) AS ?n) WHERE {
          ?p a cg:Partnership ; prov:wasDerivedFrom+ ?src } GROUP BY ?p""",
}


def scaled_triples(dist: Path, factor: int) -> list[ox.Triple]:
    """The build's triples, copied ``factor`` times with instance IRIs suffixed per copy."""
    base = [q.triple for q in ox.parse(path=str(dist / "citygraph.nq"),
                                       format=ox.RdfFormat.N_QUADS)]
    out: list[ox.Triple] = []
    for i in range(factor):
        def move(term: object, i: int = i) -> object:
            if i and isinstance(term, ox.NamedNode) and term.value.startswith(ID):
                return ox.NamedNode(term.value + f"-copy{i}")
            return term
        out.extend(ox.Triple(move(t.subject), t.predicate, move(t.object))  # type: ignore[arg-type]
                   for t in base)
    return out


def median_seconds(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10, 40])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if not (args.dist / "citygraph.nq").exists():
        print(f"no build in {args.dist}: run `citygraph build` first", file=sys.stderr)
        return 2
    figures = []
    print(f"{'triples':>8}  {'query':<42} {'rdflib s':>9} {'oxigraph s':>10} {'ratio':>7}")
    for factor in args.scale:
        triples = scaled_triples(args.dist, factor)
        store = ox.Store()
        store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
        graph = Graph()
        for t in triples:
            graph.add((to_rdflib(t.subject), URIRef(t.predicate.value), to_rdflib(t.object)))
        for name, body in QUERIES.items():
            text = PROLOGUE + body
            def rdflib_run(graph: Graph = graph, text: str = text) -> int:
                return len(list(graph.query(text)))

            def oxigraph_run(store: ox.Store = store, text: str = text) -> int:
                return len(list(store.query(text)))  # type: ignore[arg-type]

            slow, rows_rdflib = median_seconds(rdflib_run, args.repeat)
            fast, rows_ox = median_seconds(oxigraph_run, args.repeat)
            if rows_rdflib != rows_ox:
                print(f"row counts differ for {name!r}: rdflib {rows_rdflib}, oxigraph {rows_ox}",
                      file=sys.stderr)
                return 1
            ratio = slow / fast if fast else float("inf")
            figures.append({"triples": len(triples), "query": name, "rdflib_s": slow,
                            "oxigraph_s": fast, "ratio": ratio, "rows": rows_ox})
            print(f"{len(triples):>8}  {name:<42} {slow:>9.4f} {fast:>10.4f} {ratio:>6.1f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
