"""Build stage times (the Wikidata view against infer), the SHACL-SPARQL parse cache on and off.

Run from the repository root: ``python benchmarks/bench_build.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from citygraph.config import Settings
from citygraph.infer import infer
from citygraph.pipeline import asserted_graph, load_project
from citygraph.terms import dataset_quads, graph_triples
from citygraph.validate import validate
from citygraph.wikidata.view import derive_view


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(root=args.root)
    timings: dict[str, list[float]] = {"load": [], "infer": [], "validate (parse once)": [],
                                       "validate (parse per focus node)": [], "wikidata view": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        project = load_project(settings)
        timings["load"].append(time.perf_counter() - start)
        start = time.perf_counter()
        inferred = infer(asserted_graph(project), project.rules)
        timings["infer"].append(time.perf_counter() - start)
        data, ontology = project.graph("data/"), project.graph("ontology/")
        for label, once in (("validate (parse once)", True),
                            ("validate (parse per focus node)", False)):
            start = time.perf_counter()
            report = validate(data, project.shapes, ontology, inferred=inferred, parse_once=once)
            timings[label].append(time.perf_counter() - start)
            if not report.conforms:
                print("the data does not conform; fix it before benchmarking", file=sys.stderr)
                return 1
        quads = list(dataset_quads(project.dataset))
        graph = ox.NamedNode(settings.base_iri + "graph/inferred")
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in graph_triples(inferred))
        start = time.perf_counter()
        derive_view(quads, project.view_rules, settings.base_iri)
        timings["wikidata view"].append(time.perf_counter() - start)
    for label, values in timings.items():
        print(f"{label:<34} median {statistics.median(values):7.3f} s")
    ratio = (statistics.median(timings["validate (parse per focus node)"])
             / statistics.median(timings["validate (parse once)"]))
    print(f"parse cache speed-up: {ratio:.1f}x")
    share = statistics.median(timings["wikidata view"]) / statistics.median(timings["infer"])
    print(f"wikidata view / infer: {share:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
