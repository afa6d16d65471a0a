"""``citygraph import wikidata-p190`` on the whole 2016 crawl, side by side with its parts.

Compares, in one run: reading the crawl (relations.tsv + names.tsv, the ``wikidata diff`` reader the
import reuses), the whole import (curated data, crawl, Turtle written), and pyoxigraph parsing the
Turtle the import wrote (a floor for any consumer of the file). Prints a Markdown table; best of
``--repeat`` runs. Run from the repository root: ``python benchmarks/bench_world_import.py``.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from citygraph.wikidata.extract import _read_names, read_crawl
from citygraph.wikidata.world import import_p190, read_curated

ROOT = Path(__file__).resolve().parents[1]
CRAWL = ROOT / "reference" / "twinnings" / "l3viathan-sister-cities-2016"


def best(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    names, relations = CRAWL / "names.tsv", CRAWL / "relations.tsv"
    buffer = io.StringIO()

    def read() -> None:
        extract = read_crawl(relations)
        _read_names(names, extract)

    def whole() -> int:
        buffer.seek(0)
        buffer.truncate()
        return import_p190(names, relations, buffer, read_curated(ROOT / "data"))[0].triples

    triples = whole()
    text = buffer.getvalue().encode()

    def parse() -> None:
        sum(1 for _ in ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri="https://w3id.org/citygraph/g"))

    rows = [("read the crawl (relations + names)", best(read, args.repeat)),
            ("whole import (curated data + crawl + Turtle out)", best(whole, args.repeat)),
            ("pyoxigraph parses the output", best(parse, args.repeat))]
    base = rows[0][1]
    print(f"Output: {len(text):,} bytes, {triples:,} triples\n")
    print("| step | seconds | ratio to reading the crawl |\n| --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / base:.1f} |")


if __name__ == "__main__":
    main()
