"""The ``citygraph`` command line: build, validate, query, serve.

Every command works on a project directory holding ontology/, data/, shapes/ and queries/
(the current directory by default, ``--root DIR`` otherwise).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from . import __version__
from .config import SETTINGS, Settings
from .errors import (
    EXIT_ERROR,
    EXIT_NOT_CONFORMING,
    EXIT_OK,
    BadParameter,
    CitygraphError,
    ConfigError,
    MissingPathError,
)

EXIT_CODES = f"""exit codes:
  {EXIT_OK}  success (for validate: the data conforms)
  {EXIT_NOT_CONFORMING}  the data does not conform to the shapes (SHACL violations)
  {EXIT_ERROR}  bad input or error (syntax error, missing path, malformed query, …)
"""

ENVIRONMENT = "settings (--setting NAME=VALUE, or the environment variable):\n" + "\n".join(
    f"  {s.env:<28} {s.help}" + ("" if s.default is None else f" (default: {s.default})")
    for s in SETTINGS
) + "\n"


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=None,
                        help="project directory (default: the current directory)")
    parser.add_argument("--base-iri", default=None,
                        help="base IRI of instances (default: https://w3id.org/citygraph/)")
    parser.add_argument("--dist", type=Path, default=None,
                        help="build output directory (default: ROOT/dist)")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="any setting listed below, e.g. --setting query_timeout=30 "
                             "(repeatable; overrides its environment variable)")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``citygraph`` command."""
    parser = argparse.ArgumentParser(
        prog="citygraph",
        description="Build, validate, query and serve the citygraph knowledge graph of cities' "
                    "international relations.",
        epilog=EXIT_CODES + ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citygraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser(
        "build", help="load → infer → validate → publish into dist/",
        description="Load every source file into its own named graph, add the OWL 2 RL closure "
                    "(own named graph), validate with SHACL and write dist/ (dataset, dumps, "
                    "manifest). A failed build leaves the previous dist/ untouched.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(build)
    build.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")

    validate = sub.add_parser(
        "validate", help="validate data files against the project's ontology and shapes",
        description="Validate data with the project's ontology (OWL 2 RL closure and rules) and "
                    "shapes; print a report grouped by focus node (within a node: violations, "
                    "warnings, infos, then by path). Without PATH, all of ROOT/data is validated "
                    "and every result reported. With PATHs, the given files are validated "
                    "together with the rest of ROOT/data, as the build would see them, so "
                    "references to nodes described in other files resolve; only results about "
                    "nodes the given files describe (subjects of their triples) are reported, "
                    "and the exit code depends on those alone (the others are counted as 'not "
                    "shown'). --alone validates the given files on their own.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(validate)
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                          help="data files or directories (default: ROOT/data)")
    validate.add_argument("--alone", action="store_true",
                          help="validate the given PATHs without the rest of ROOT/data "
                               "(references to nodes described elsewhere then fail)")
    validate.add_argument("--format", choices=("text", "json", "turtle"), default="text",
                          help="report format (default: text)")

    query = sub.add_parser(
        "query", help="run a SPARQL query over the build",
        description="Run a SPARQL query over the build (built first if missing). QUERY is a "
                    "file, '-' for standard input, or the query text itself.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(query)
    query.add_argument("query", metavar="QUERY", help="a .rq file, '-' for stdin, or query text")
    query.add_argument("--format", choices=("table", "csv", "tsv", "json", "xml", "turtle",
                                            "ntriples", "jsonld"), default=None,
                       help="SELECT/ASK: table (default), csv, tsv, json, xml; "
                            "CONSTRUCT/DESCRIBE: turtle (default), ntriples, jsonld")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="value of a parameter declared in the query's #+ header (repeatable)")

    serve = sub.add_parser(
        "serve", help="serve the build over HTTP (SPARQL endpoint, linked data, catalog)",
        description="Serve the current build with a production WSGI server (waitress); builds "
                    "first when dist/ is missing or older than the sources.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(serve)
    serve.add_argument("--host", default=None, help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: 8000)")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed arguments (then environment, then defaults)."""
    explicit = {
        "root": getattr(args, "root", None),
        "base_iri": getattr(args, "base_iri", None),
        "dist": getattr(args, "dist", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    for item in getattr(args, "setting", None) or []:
        name, sep, value = item.partition("=")
        key = name.strip().lower().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"--setting {item!r}: write NAME=VALUE, e.g. query_timeout=30")
        if explicit.get(key) is None:  # a dedicated flag (--port, --dist, …) wins
            explicit[key] = value
    return Settings.from_sources({k: v for k, v in explicit.items() if v is not None})


def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    """``citygraph build``."""
    from .pipeline import build

    result = build(settings_from(args))
    if not args.quiet:
        m = result.manifest
        counts = result.report.counts()
        out.write(f"built {result.dist} (version {m.version}): {m.triples} triples in "
                  f"{len(m.graphs)} named graphs; {counts['Warning']} warning(s), "
                  f"{counts['Info']} info(s)\n")
        out.write("  " + ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items()) + "\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    """``citygraph validate``."""
    from .pipeline import validate_files

    if args.alone and not args.paths:
        raise CitygraphError("--alone needs the PATHs to validate")
    report = validate_files(settings_from(args), args.paths, alone=args.alone)
    if args.format == "json":
        out.write(report.to_json() + "\n")
    elif args.format == "turtle":
        out.write(report.to_turtle())
    else:
        out.write(report.text)
    return EXIT_OK if report.conforms else EXIT_NOT_CONFORMING


def _read_query(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    path = Path(arg)
    if path.suffix in (".rq", ".sparql") or (len(arg) < 4096 and "\n" not in arg and path.is_file()):
        if not path.is_file():
            raise MissingPathError(path, "query file")
        return path.read_text(encoding="utf-8")
    return arg


def cmd_query(args: argparse.Namespace, out: TextIO) -> int:
    """``citygraph query``."""
    from .formats import GRAPH_FORMATS, SELECT_FORMATS, render_table, serialize_triples
    from .pipeline import build, is_stale
    from .queries import load_query
    from .store import EmbeddedStore, answer_error

    settings = settings_from(args)
    text = _read_query(args.query)
    values = dict(p.split("=", 1) if "=" in p else (p, "") for p in args.param)
    path = Path(args.query)
    if args.query != "-" and path.suffix == ".rq" and path.is_file():
        substitutions = load_query(path).bindings(values)  # declared defaults apply
    elif values:
        raise BadParameter(next(iter(values)), "--param needs a .rq query file with a #+ header")
    else:
        substitutions = {}
    if is_stale(settings):
        build(settings)
    store = EmbeddedStore(settings.dist_dir, services=settings.services,
                          max_depth=settings.max_query_depth)
    result = store.query(text, substitutions=substitutions)
    fmt = args.format
    if isinstance(result, ox.QueryTriples):
        graph_fmt = GRAPH_FORMATS.get(fmt or "turtle")
        if graph_fmt is None:
            raise CitygraphError(f"--format {fmt} is for SELECT/ASK; use turtle, ntriples or "
                                 "jsonld for CONSTRUCT/DESCRIBE")
        try:
            out.write(serialize_triples(result, graph_fmt).body.decode("utf-8"))
        except OSError as exc:  # computed while read: a SERVICE call failed, or the format
            raise answer_error(exc, text, store.prefixes) from None
        return EXIT_OK
    if fmt in (None, "table"):
        if isinstance(result, ox.QueryBoolean):
            out.write(("true" if bool(result) else "false") + "\n")
            return EXIT_OK
        variables = [v.value for v in result.variables]
        try:
            rows = [[_cell(s[v]) for v in variables] for s in result]
        except OSError as exc:  # computed while read: a SERVICE call failed, or the format
            raise answer_error(exc, text, store.prefixes) from None
        out.write(render_table(variables, rows))
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
        return EXIT_OK
    select_fmt = SELECT_FORMATS.get(fmt)
    if select_fmt is None:
        raise CitygraphError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; use table, csv, tsv, "
                             "json or xml for SELECT/ASK")
    from .store import answer

    body = answer(result, select_fmt, GRAPH_FORMATS["turtle"], max_rows=sys.maxsize,
                  text=text).body
    out.write(body.decode("utf-8"))
    if not body.endswith(b"\n"):
        out.write("\n")
    return EXIT_OK


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """``citygraph serve``."""
    from .web.server import serve

    return serve(settings_from(args), out)


COMMANDS = {"build": cmd_build, "validate": cmd_validate, "query": cmd_query, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the CLI; return the exit code (errors are printed, never raised as tracebacks)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args, out)
    except CitygraphError as exc:
        err.write(f"citygraph {args.command}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
