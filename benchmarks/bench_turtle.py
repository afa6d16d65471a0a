"""The cost of Turtle for people: serialising with every predeclared prefix against only the
prefixes that give plain local names (``formats.turtle_prefixes``), side by side in one run.

Run after ``citygraph build``, from the repository root: ``python benchmarks/bench_turtle.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from citygraph.formats import turtle_prefixes
from citygraph.publish import MERGED_FILE
from citygraph.vocab import PREFIXES

DORTMUND = "https://w3id.org/citygraph/id/city/dortmund"


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``run`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    triples = sorted(ox.parse(path=str(args.dist / MERGED_FILE), format=ox.RdfFormat.N_TRIPLES),
                     key=str)
    page = [t for t in triples if DORTMUND in (t.subject.value, getattr(t.object, "value", ""))]
    print("| document | triples | all prefixes (ms) | used prefixes (ms) | ratio | prefixes "
          "| `\\/` |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, data in (("Dortmund's page", page), ("the Turtle dump", triples)):
        before = median_ms(lambda d=data: ox.serialize(d, format=ox.RdfFormat.TURTLE,
                                                       prefixes=PREFIXES), args.repeat)
        after = median_ms(lambda d=data: ox.serialize(
            d, format=ox.RdfFormat.TURTLE, prefixes=turtle_prefixes(d, PREFIXES)), args.repeat)
        old = (ox.serialize(data, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b"").decode()
        new = (ox.serialize(data, format=ox.RdfFormat.TURTLE,
                            prefixes=turtle_prefixes(data, PREFIXES)) or b"").decode()
        print(f"| {name} | {len(data)} | {before:.2f} | {after:.2f} | {after / before:.1f} "
              f"| {old.count('@prefix')} → {new.count('@prefix')} "
              f"| {old.count(chr(92) + '/')} → {new.count(chr(92) + '/')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
