"""Time of each query-text function of the web process against the size of its input.

Run from the repository root::

    python benchmarks/bench_text.py [--sizes 1 4 16 64] [--old-limit 3]

For every input kind (worst cases of issue 10 and typical text: the curated queries repeated) and
every size (KiB), each function is timed (the fastest of enough runs to fill ~0.2 s, at least one);
the last column is time(64 KiB) / time(16 KiB): about 4 means linear, about 16 quadratic. The old
implementations (before the lexer, kept verbatim below) run on the same inputs while a size takes
less than ``--old-limit`` seconds; larger sizes are then skipped ('-').
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from citygraph import sparqltext
from citygraph.formats import SELECT_FORMATS, negotiate
from citygraph.vocab import PREFIXES

REPO = Path(__file__).resolve().parents[1]

# --- the old implementations (citygraph before issue 10), verbatim --------------------------------

_FORM = re.compile(r"\b(SELECT|CONSTRUCT|DESCRIBE|ASK)\b", re.IGNORECASE)
_IRI_REF = re.compile(r"<[^<>\s\"{}|\\^`]*>")
_STRING = re.compile(r"'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_COMMENT = re.compile(r"#[^\n]*")


def old_query_form(text: str) -> str:
    """queries.query_form before the lexer."""
    cleaned = _COMMENT.sub(" ", _STRING.sub('""', _IRI_REF.sub("<>", text)))
    match = _FORM.search(cleaned)
    return match.group(1).lower() if match else "select"


_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*(?:\n|$))\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


def old_looks_like_update(text: str) -> bool:
    """store.looks_like_update before the lexer."""
    return bool(_UPDATE.match(text))


_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*"
    r"|(?P<declare>PREFIX\s+(?P<declared>[A-Za-z][\w.-]*)?:)"
    r"|(?<![\w?$:.-])(?P<pname>(?P<prefix>[A-Za-z][\w.-]*)?:)",
    re.IGNORECASE,
)


def old_unknown_prefix(text: str, prefixes: Mapping[str, str]) -> str | None:
    """store.unknown_prefix before the lexer."""
    declared = set(prefixes)
    for match in _TOKENS.finditer(text):
        if match.group("declare") is not None:
            declared.add(match.group("declared") or "")
            continue
        if match.group("pname") is None:
            continue
        name = match.group("prefix") or ""
        if name in declared:
            continue
        return name
    return None


def old_states_form(text: str) -> bool:
    """web.sparql._states_form before the lexer."""
    return bool(re.search(r"\b(SELECT|ASK)\b", text, re.IGNORECASE))


def old_service_targets(text: str, prefixes: Mapping[str, str]) -> list[str]:
    """federation.service_targets before the lexer: rdflib parses a query that says 'service'."""
    if not re.search(r"service", text, re.IGNORECASE):
        return []
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        translateQuery(parseQuery(text), initNs=dict(prefixes))
    except Exception:  # the old code let some through as a 500; here any failure ends it
        return []
    return []


# --- inputs ---------------------------------------------------------------------------------------

def _curated() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "queries").glob("*.rq")))


def inputs(size: int) -> dict[str, str]:
    """Every input kind, ``size`` characters long."""
    half = size // 2
    deep = size // 2 - 20
    typical = _curated()
    return {
        'quote-backslash ("\\)': '"\\' * half,
        "apostrophe-backslash ('\\)": "'\\" * half,
        "nested parentheses": "ASK { FILTER(" + "(" * deep + "1" + ")" * deep + ") }",
        "negations (!)": "ASK { FILTER(" + "!" * (size - 25) + "true) }",
        "dotted words (a.)": "a." * half,
        "IRI starts (<a)": "<a" * half,
        "variables (?a )": "?a " * (size // 3),
        "unterminated long strings": '"""a' * (size // 4),
        "typical: curated queries": (typical * (size // len(typical) + 1))[:size],
        "typical, says 'service'": ("# no service called\n" + typical * (size // len(typical) + 1)
                                    )[:size],
    }


def timed(function: Callable[[str], object], text: str, cold: bool) -> float:
    """Fastest of several calls, in seconds (the least disturbed by other load; the lexer's cache
    cleared before each call when ``cold``)."""
    runs: list[float] = []
    spent = 0.0
    while spent < 0.2 and len(runs) < 200:
        if cold:
            sparqltext.forget_analyses()
        started = time.perf_counter()
        function(text)
        runs.append(time.perf_counter() - started)
        spent += runs[-1]
    return min(runs)


NEW: dict[str, Callable[[str], object]] = {
    "tokens (lexer)": lambda t: sum(1 for _ in sparqltext.tokens(t)),
    "analyse (one pass)": sparqltext.analyse,
    "query_form": sparqltext.query_form,
    "is_update": lambda t: sparqltext.analyse(t).is_update,
    "unknown_prefix": lambda t: sparqltext.unknown_prefix(t, PREFIXES),
    "service_targets": lambda t: _safely(sparqltext.service_targets, t),
    "nesting_error": lambda t: sparqltext.nesting_error(t, 256),
}
OLD: dict[str, Callable[[str], object]] = {
    "old query_form": old_query_form,
    "old _states_form": old_states_form,
    "old looks_like_update": old_looks_like_update,
    "old unknown_prefix": lambda t: old_unknown_prefix(t, PREFIXES),
    "old service_targets (rdflib)": lambda t: old_service_targets(t, PREFIXES),
}


def _safely(function: Callable[[str, Mapping[str, str]], object], text: str) -> object:
    try:
        return function(text, PREFIXES)
    except sparqltext.QuerySyntaxError:
        return None


def accept_inputs(size: int) -> dict[str, str]:
    """Accept headers of ``size`` characters."""
    return {
        "Accept: many ranges": ("text/turtle;q=0.5, " * (size // 19 + 1))[:size],
        "Accept: many parameters": ("a/b" + ";x=1" * (size // 4))[:size],
        "Accept: quotes": ('a/b;x="' + '\\"' * size)[:size],
    }


def main(argv: list[str] | None = None) -> int:
    """Print one table per input kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16, 64], help="KiB")
    parser.add_argument("--old-limit", type=float, default=3.0,
                        help="seconds after which an old function is not run on larger inputs")
    args = parser.parse_args(argv)
    sizes = [s * 1024 for s in args.sizes]
    header = "| function | " + " | ".join(f"{s // 1024} KiB" for s in sizes) + " | ratio |"
    rule = "| --- |" + " ---: |" * (len(sizes) + 1)

    def row(name: str, function: Callable[[str], object], texts: list[str], cold: bool,
            limit: float | None) -> str:
        cells: list[str] = []
        times: list[float | None] = []
        for text in texts:
            if limit is not None and times and times[-1] is not None and times[-1] > limit:
                times.append(None)
            elif limit is not None and times and times[-1] is None:
                times.append(None)
            else:
                times.append(timed(function, text, cold))
        for value in times:
            cells.append("-" if value is None else f"{value * 1000:.2f} ms")
        last, before = times[-1], times[-2] if len(times) > 1 else None
        ratio = f"{last / before:.1f}" if last and before else "-"
        return f"| {name} | " + " | ".join(cells) + f" | {ratio} |"

    kinds = list(inputs(1024))
    for kind in kinds:
        texts = [inputs(size)[kind] for size in sizes]
        print(f"\n{kind}\n\n{header}\n{rule}")
        for name, function in NEW.items():
            print(row(name, function, texts, True, None), flush=True)
        for name, function in OLD.items():
            print(row(name, function, texts, False, args.old_limit), flush=True)
    print("\nEach curated query (cold: the lexer's cache cleared; old: rdflib parses one that says "
          "'service')\n\n| query | bytes | analyse | query_form | service_targets | old query_form "
          "| old service_targets (rdflib) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        cells = [timed(f, text, True) for f in (sparqltext.analyse, sparqltext.query_form,
                                                NEW["service_targets"])]
        cells += [timed(f, text, False) for f in (old_query_form, OLD["old service_targets (rdflib)"])]
        print(f"| {path.stem} | {len(text.encode())} | "
              + " | ".join(f"{c * 1000:.2f} ms" for c in cells) + " |", flush=True)
    for kind in accept_inputs(1024):
        texts = [accept_inputs(size)[kind] for size in sizes]
        print(f"\n{kind}\n\n{header}\n{rule}")
        print(row("negotiate (werkzeug parse_accept_header)",
                  lambda t: negotiate(t, SELECT_FORMATS), texts, False, None), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
