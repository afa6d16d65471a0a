"""The ``citygraph`` command line: build, validate, query, serve.

Every command works on a project directory holding ontology/, data/, shapes/ and queries/
(the current directory by default, ``--root DIR`` otherwise).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pyoxigraph as ox

from . import __version__
from .config import SETTINGS, Setting, Settings
from .errors import (
    EXIT_ERROR,
    EXIT_NOT_CONFORMING,
    EXIT_OK,
    BadParameter,
    CitygraphError,
    ConfigError,
    MissingPathError,
    NotFound,
    QuerySyntaxError,
)

if TYPE_CHECKING:
    from .queries import NamedQuery
    from .store import EmbeddedStore

EXIT_CODES = f"""exit codes:
  {EXIT_OK}  success (for validate: the data conforms)
  {EXIT_NOT_CONFORMING}  the data does not conform to the shapes (SHACL violations)
  {EXIT_ERROR}  bad input or error (syntax error, missing path, malformed query, …)
"""

#: The settings each command reads (None: every setting; ``serve`` builds, runs the app and its
#: query workers). Its ``--help`` lists them; ``--setting`` of another one is warned about.
READS: dict[str, tuple[str, ...] | None] = {
    "build": ("root", "base_iri", "dist"),
    "validate": ("root", "base_iri"),
    "query": ("root", "base_iri", "dist", "service_allowlist", "max_query_depth"),
    "serve": None,
    "wikidata": ("root", "base_iri", "dist"),
    "import": ("root",),
}


def settings_read(command: str | None) -> tuple[Setting, ...]:
    """The declared settings ``command`` reads (every setting for None or ``serve``)."""
    names = READS.get(command) if command is not None else None
    return SETTINGS if names is None else tuple(s for s in SETTINGS if s.name in names)


def settings_help(settings: Sequence[Setting], title: str) -> str:
    """The help text listing ``settings``: environment variable, what it does, default."""
    return f"{title} (--setting NAME=VALUE, or the environment variable CITYGRAPH_NAME):\n" + \
        "\n".join(f"  {s.env:<28} {s.help}" + ("" if s.default is None else f" (default: {s.default})")
                  for s in settings) + "\n"


ENVIRONMENT = settings_help(SETTINGS, "settings")


def _wrap(text: str) -> str:
    return textwrap.fill(text, 88)


def _epilog(command: str) -> str:
    return EXIT_CODES + "\n" + settings_help(settings_read(command), "settings it reads")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=None,
                        help="project directory (default: the current directory)")
    parser.add_argument("--base-iri", default=None,
                        help="base IRI of instances (default: https://w3id.org/citygraph/)")
    parser.add_argument("--dist", type=Path, default=None,
                        help="build output directory (default: ROOT/dist)")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting listed below, NAME being its variable's name in lower "
                             "case without CITYGRAPH_, e.g. --setting base_iri=http://example.org/"
                             " (repeatable; overrides the environment variable)")


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``citygraph`` command."""
    parser = argparse.ArgumentParser(
        prog="citygraph",
        description=_wrap("Build, validate, query and serve the citygraph knowledge graph of cities' "
                    "international relations."),
        epilog=EXIT_CODES + "\n" + ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citygraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser(
        "build", help="load → infer → validate → publish into dist/",
        description=_wrap("Load every source file into its own named graph, add the OWL 2 RL closure "
                    "(own named graph), validate with SHACL and write dist/ (dataset, dumps, "
                    "manifest). A failed build leaves the previous dist/ untouched."),
        epilog=_epilog("build"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(build)
    build.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")

    validate = sub.add_parser(
        "validate", help="validate data files against the project's ontology and shapes",
        description=_wrap("Validate data with the project's ontology (OWL 2 RL closure and rules) and "
                    "shapes; print a report grouped by focus node (within a node: violations, "
                    "warnings, infos, then by path). Without PATH, all of ROOT/data is validated "
                    "and every result reported. With PATHs, the given files are validated "
                    "together with the rest of ROOT/data, as the build would see them, so "
                    "references to nodes described in other files resolve; only results about "
                    "nodes the given files describe (subjects of their triples) are reported, "
                    "and the exit code depends on those alone (the others are counted as 'not "
                    "shown'). --alone validates the given files on their own."),
        epilog=_epilog("validate"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
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
        description=_wrap("Run a SPARQL query over the build (built first when missing or stale). "
                    "QUERY is a file, NAME of a curated query (ROOT/queries/NAME.rq), '-' for "
                    "standard input, or the query text itself (of any length). A curated query "
                    "or a .rq file takes the parameters its #+ header declares: --param k=v."),
        epilog=_epilog("query"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(query)
    query.add_argument("query", metavar="QUERY",
                       help="a .rq file, a query NAME of ROOT/queries, '-' for stdin, or the text")
    query.add_argument("--format", choices=("table", "csv", "tsv", "json", "xml", "turtle",
                                            "ntriples", "jsonld"), default=None,
                       help="SELECT/ASK: table (default), csv, tsv, json, xml; "
                            "CONSTRUCT/DESCRIBE: turtle (default), ntriples, jsonld")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="value of a parameter declared in the #+ header of a named query or a "
                            ".rq file (repeatable), e.g. --param city=https://w3id.org/citygraph/"
                            "id/city/dortmund")
    query.add_argument("--language", default="en", metavar="LANGS",
                       help="what [AUTO_LANGUAGE] stands for in the WDQS label service "
                            "(SERVICE wikibase:label): language codes, best first, e.g. de,en "
                            "(default: en)")

    serve = sub.add_parser(
        "serve", help="serve the build over HTTP (SPARQL endpoint, linked data, catalog)",
        description=_wrap("Serve the current build with a production WSGI server (waitress); builds "
                    "first when dist/ is missing or older than the sources (and says so), and "
                    "prints the build's summary before it serves."),
        epilog=_epilog("serve"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(serve)
    serve.add_argument("--host", default=None, help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: 8000)")
    _add_wikidata(sub)
    _add_import(sub)
    return parser


WIKIDATA_EXIT_CODES = f"""exit codes (diff):
  {EXIT_OK}  no unexpected difference (expected ones, each with its reason, may be listed; with
     --strict: no difference at all)
  1  differences (unexpected ones; with --strict: any)
  {EXIT_ERROR}  bad input or error (an extract that cannot be read: file and line; missing path, …)
exit codes (quickstatements): {EXIT_OK} commands written (maybe none), {EXIT_ERROR} bad input or error
"""

SOURCE_HELP = ("a Wikidata extract: the crawl directory of reference/twinnings/ or its relations.tsv "
               "(QID<TAB>QID), a WDQS SPARQL JSON result (.json), or Wikidata RDF (.ttl, .nt); "
               "gzip-compressed (.gz) too")


def _add_wikidata(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``wikidata`` command group: ``diff`` and ``quickstatements``."""
    wikidata = sub.add_parser(
        "wikidata", help="compare with a Wikidata extract; QuickStatements to contribute back",
        description=_wrap("Compare citygraph's twinnings (the build's Wikidata-shaped view) with a "
                          "Wikidata extract, or write QuickStatements v1 commands that add the P190 "
                          "statements citygraph holds. Both build first when the build is missing or "
                          "stale. See docs/wikidata.md."),
        epilog=WIKIDATA_EXIT_CODES + "\n" + settings_help(settings_read("wikidata"), "settings it reads"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    group = wikidata.add_subparsers(dest="wikidata_command", required=True, metavar="SUBCOMMAND")
    diff = group.add_parser(
        "diff", help="compare citygraph's twinnings with a Wikidata extract, pair by pair",
        description=_wrap("Compare citygraph's twinnings with a Wikidata extract, pair by pair: "
                          "agreement; in citygraph but missing on Wikidata; on Wikidata but not a "
                          "twinning in citygraph; one-directional on Wikidata; start (P580) and end "
                          "(P582) disagreements where the extract has qualifiers. Scope: the pairs that "
                          "are P190 on either side and have an entity citygraph holds (a verified QID); "
                          "a pair with an item citygraph does not hold is 'outside' (counted; listed "
                          "with --all), and so is one of two held items with no partnership or claim "
                          "between them unless citygraph covers one's twinnings (cg:numberOfTwinnings). "
                          "Differences with a reason that makes them no conflict (a "
                          "planned twinning; one that started after the extract's date) are "
                          "'expected'."),
        epilog=WIKIDATA_EXIT_CODES + "\n" + settings_help(settings_read("wikidata"), "settings it reads"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(diff)
    diff.add_argument("source", type=Path, metavar="SOURCE", help=SOURCE_HELP)
    diff.add_argument("--format", choices=("text", "csv", "json"), default="text",
                      help="text for a person (default), csv for spreadsheets, json for scripts")
    diff.add_argument("--as-of", default=None, metavar="DATE",
                      help="the extract's date (YYYY-MM-DD): twinnings started after it are expected to "
                           "be missing (default: from the extract, or from the data's source node for a "
                           "crawl citygraph knows)")
    diff.add_argument("--all", action="store_true",
                      help="also list the pairs outside the comparison (an item citygraph does not "
                           "hold, or two items whose twinnings citygraph does not cover)")
    diff.add_argument("--strict", action="store_true",
                      help="exit 1 on expected differences too")
    diff.add_argument("--language", default="en,de", metavar="LANGS",
                      help="languages of the labels shown next to QIDs, best first (default: en,de)")
    qs = group.add_parser(
        "quickstatements", help="QuickStatements v1 commands adding citygraph's P190 statements",
        description=_wrap("Write QuickStatements v1 commands (TAB-separated) adding the P190 statements "
                          "citygraph holds, on both items, with P580 at its precision, P582 for an ended "
                          "twinning and references (S854 URL, S248 stated in, S1476 title, S577 date, "
                          "S813 retrieved: each only where the data has it). Never for a planned "
                          "twinning, a friendship or project partnership, or an entity without a verified "
                          "QID. With --against, only the statements the extract shows Wikidata lacks (a "
                          "direction whose item has no statements in the extract is not judged, as by "
                          "diff, and is listed in the notes). Notes for the "
                          "reviewer go to standard error."),
        epilog=WIKIDATA_EXIT_CODES + "\n" + settings_help(settings_read("wikidata"), "settings it reads"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(qs)
    qs.add_argument("--against", type=Path, default=None, metavar="SOURCE",
                    help="only the statements missing on this extract; " + SOURCE_HELP)


IMPORT_EXIT_CODES = f"""exit codes:
  {EXIT_OK}  the file(s) were written
  {EXIT_ERROR}  bad input (file and line named), a missing file, or an unwritable output
"""


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``import`` command group: ``wikidata-p190``."""
    imp = sub.add_parser(
        "import", help="turn third-party data into data files in citygraph's model",
        description=_wrap("Turn a third-party dataset into a data file in citygraph's model (one source "
                          "per file, as in data/). See docs/world.md."),
        epilog=IMPORT_EXIT_CODES + "\n" + settings_help(settings_read("import"), "settings it reads"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    group = imp.add_subparsers(dest="import_command", required=True, metavar="SUBCOMMAND")
    p190 = group.add_parser(
        "wikidata-p190", help="the world's twinning network of a Wikidata P190 crawl",
        description=_wrap("Write the network of a Wikidata P190 crawl (names.tsv: QID<TAB>label; "
                          "relations.tsv: QID<TAB>QID, one directed statement a line) as a Turtle data "
                          "file derived from the crawl: one cg:Partnership per unordered pair (kind "
                          "cgkind:wikidata-p190, no status, no dates; cg:p190StatedBy and "
                          "cg:p190OneDirectional say which directions Wikidata had), one "
                          "cg:AdministrativeBody per item with its QID and the crawl's label (no "
                          "language tag: the crawl does not record it). Pairs and places the curated "
                          "data (ROOT/data) holds keep their IRIs; a pair it holds as a P190 claim stays "
                          "that claim. With --coordinates, the points of the places matched by QID go "
                          "to a second file (--coordinates-out), derived from that source."),
        epilog=IMPORT_EXIT_CODES + "\n" + settings_help(settings_read("import"), "settings it reads"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p190.add_argument("names", type=Path, metavar="NAMES", help="the crawl's names.tsv (QID<TAB>label)")
    p190.add_argument("relations", type=Path, metavar="RELATIONS",
                      help="the crawl's relations.tsv (QID<TAB>QID, one directed P190 statement a line)")
    p190.add_argument("--out", type=Path, required=True, metavar="FILE", help="the Turtle file to write")
    p190.add_argument("--root", type=Path, default=None,
                      help="project directory whose data/ is the curated data (default: the current "
                           "directory)")
    p190.add_argument("--no-curated", action="store_true",
                      help="do not read ROOT/data: mint every IRI from its QID")
    p190.add_argument("--coordinates", type=Path, default=None, metavar="CSV",
                      help="points by QID (header qid,latitude,longitude,…), e.g. "
                           "reference/natural-earth-populated-places-p190.csv")
    p190.add_argument("--coordinates-out", type=Path, default=None, metavar="FILE",
                      help="the Turtle file for the points (required with --coordinates)")
    p190.add_argument("--countries", type=Path, default=None, metavar="CSV",
                      help="countries by QID (header qid,iso_a2,name_de,name_en,…), e.g. "
                           "reference/natural-earth-admin-0-countries.csv: with it each point's "
                           "country_qid becomes the place's cg:country (needs --coordinates)")
    p190.add_argument("--countries-out", type=Path, default=None, metavar="FILE",
                      help="the Turtle file for the country nodes (required with --countries)")
    p190.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                      help="a setting listed below (repeatable)")


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


def unread_settings(args: argparse.Namespace) -> list[str]:
    """The settings given with --setting that the command does not read (warned about)."""
    read = {s.name for s in settings_read(args.command)}
    known = {s.name for s in SETTINGS}
    given = (item.partition("=")[0].strip().lower().replace("-", "_")
             for item in getattr(args, "setting", None) or [])
    return [name for name in given if name in known and name not in read]


def cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``citygraph build``."""
    from .pipeline import build

    result = build(settings_from(args))
    if not args.quiet:
        out.write(result.summary())
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


#: A bare query name (``citygraph query twins``): what ROOT/queries/NAME.rq can be called.
_QUERY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _is_file(path: Path) -> bool:
    """True when ``path`` names a file (False, not an error, for text no file can be named)."""
    try:
        return path.is_file()
    except (OSError, ValueError):  # too long a name, a NUL character, …
        return False


def read_query(arg: str, root: Path) -> tuple[str, NamedQuery | None]:
    """The query text QUERY stands for, and the named query (with its #+ header) when it is one.

    ``-`` is standard input; a .rq file or a NAME of ``root/queries`` is a named query (its
    header declares parameters); another existing file is read; anything else is the query
    text itself, of any length. A word that names nothing is an error listing the names.
    """
    from .queries import load_query

    if arg == "-":
        return sys.stdin.read(), None
    path = Path(arg)
    looks_like_path = "\n" not in arg and len(arg) < 4096 and "{" not in arg
    if looks_like_path and _is_file(path):
        if path.suffix == ".rq":
            named = load_query(path)
            return named.text, named
        return path.read_text(encoding="utf-8"), None
    directory = root / "queries"
    if len(arg) <= 255 and _QUERY_NAME.fullmatch(arg) and path.suffix not in (".rq", ".sparql"):
        if _is_file(directory / f"{arg}.rq"):
            named = load_query(directory / f"{arg}.rq")
            return named.text, named
        known = ", ".join(sorted(q.stem for q in directory.glob("*.rq"))) or "none"
        raise NotFound(f"no query file {arg!r} and no query named {arg!r} in {directory} "
                       f"(named queries: {known})")
    if looks_like_path and path.suffix in (".rq", ".sparql"):
        raise MissingPathError(path, "query file")
    return arg, None


def cmd_query(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``citygraph query``."""
    from .formats import GRAPH_FORMATS, SELECT_FORMATS, render_table, serialize_triples
    from .pipeline import build, stale_reason
    from .store import EmbeddedStore, answer_error
    from .wikidata.labels import LANGUAGE_CODE, rewrite_labels

    settings = settings_from(args)
    text, named = read_query(args.query, settings.root)
    for raw in args.param:
        if "=" not in raw:
            raise BadParameter(raw, f"--param {raw!r} has no value: write --param NAME=VALUE "
                               f"(NAME= for an empty one)")
    values = dict(p.split("=", 1) for p in args.param)
    if named is not None:
        substitutions = named.bindings(values)  # declared defaults apply
    elif values:
        raise BadParameter(next(iter(values)), "--param needs a named query (NAME of "
                           f"{settings.root / 'queries'}) or a .rq file with a #+ header")
    else:
        substitutions = {}
    reason = stale_reason(settings)
    if reason is not None:
        err.write(f"building {settings.dist_dir} first ({reason}) …\n")
        err.flush()
        err.write(build(settings).summary())
    store = EmbeddedStore(settings.dist_dir, services=settings.services,
                          max_depth=settings.max_query_depth)
    languages = [code.strip().lower() for code in args.language.split(",") if code.strip()]
    for code in languages:
        if not LANGUAGE_CODE.fullmatch(code):
            raise BadParameter("--language", f"{code!r} is not a language code (such as de, en, pt-br)")
    # The WDQS label service becomes plain SPARQL here, as on the endpoint: never a call out.
    labels = rewrite_labels(text, store.prefixes, languages or ["en"])
    text = labels.text
    try:
        result = store.query(text, substitutions=substitutions)
    except QuerySyntaxError as exc:  # at the lines and columns the user wrote
        raise QuerySyntaxError(labels.restore_positions(exc.message)) from None
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


def _open_build(settings: Settings, err: TextIO) -> EmbeddedStore:
    """The current build, loaded (built first when missing or stale, saying so on ``err``)."""
    from .pipeline import build, stale_reason
    from .store import EmbeddedStore

    reason = stale_reason(settings)
    if reason is not None:
        err.write(f"building {settings.dist_dir} first ({reason}) …\n")
        err.flush()
        err.write(build(settings).summary())
    return EmbeddedStore(settings.dist_dir)


def cmd_wikidata(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``citygraph wikidata diff`` and ``citygraph wikidata quickstatements``."""
    from datetime import date

    from .wikidata.diff import compare, render_csv, render_json, render_text
    from .wikidata.extract import read_extract
    from .wikidata.quickstatements import quickstatements
    from .wikidata.side import load_citygraph

    settings = settings_from(args)
    if args.wikidata_command == "quickstatements":
        against = read_extract(args.against) if args.against is not None else None
        citygraph = load_citygraph(_open_build(settings, err), settings.base_iri)
        batch = quickstatements(citygraph, against)
        out.write(batch.text())
        for note in batch.notes:
            err.write(f"note: {note}\n")
        err.write(f"{batch.statements} QuickStatements command(s) written\n")
        return EXIT_OK
    as_of: date | None = None
    if args.as_of is not None:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise CitygraphError(f"--as-of {args.as_of!r}: write the extract's date as YYYY-MM-DD, "
                                 "e.g. --as-of 2016-09-10") from None
    languages = tuple(code.strip().lower() for code in args.language.split(",") if code.strip())
    extract = read_extract(args.source)
    known = extract.known_source()
    citygraph = load_citygraph(_open_build(settings, err), settings.base_iri, languages + ("",),
                               [known] if known else [])
    basis = "--as-of"
    if as_of is None and extract.as_of is not None:
        as_of, basis = extract.as_of, extract.as_of_basis
    elif as_of is None and known and known in citygraph.source_dates:
        as_of = citygraph.source_dates[known].earliest()
        basis = (f"dcterms:date of the data's source:{known}, of which this file is a copy "
                 "(matched by its SHA-256)")
    report = compare(citygraph, extract, as_of=as_of, as_of_basis=basis,
                     include_outside=args.all, strict=args.strict)
    render = {"text": render_text, "csv": render_csv, "json": render_json}[args.format]
    out.write(render(report))
    return report.exit_code


def _write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write a text file through a temporary file beside it, renamed into place when complete."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as stream:
            write(stream)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``citygraph import wikidata-p190``."""
    from .wikidata.world import (
        Curated,
        ImportReport,
        import_p190,
        read_countries,
        read_curated,
        read_points,
        write_countries,
        write_points,
    )

    for option, partner in (("coordinates", "coordinates_out"), ("countries", "countries_out")):
        if (getattr(args, option) is None) != (getattr(args, partner) is None):
            raise CitygraphError(f"--{option} and --{partner.replace('_', '-')} go together: give both "
                                 "or neither")
    if args.countries is not None and args.coordinates is None:
        raise CitygraphError("--countries needs --coordinates: the points say which country a place is in")
    settings = settings_from(args)
    curated = Curated() if args.no_curated else read_curated(settings.root / "data")
    points = list(read_points(args.coordinates)) if args.coordinates is not None else []
    countries = read_countries(args.countries) if args.countries is not None else None
    report = ImportReport()
    iri_of: dict[str, str] = {}
    used: set[str] = set()

    def write(stream: TextIO) -> None:
        nonlocal report, iri_of
        report, iri_of = import_p190(args.names, args.relations, stream, curated)

    def write_coordinates(stream: TextIO) -> None:
        nonlocal used
        used = write_points(points, iri_of, curated, stream, report, countries)

    _write_atomically(args.out, write)
    if args.coordinates_out is not None:
        _write_atomically(args.coordinates_out, write_coordinates)
    if args.countries_out is not None and countries is not None:
        _write_atomically(args.countries_out,
                          lambda stream: write_countries(used, countries, curated, stream, report))
    err.write(report.summary())
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``citygraph serve``."""
    from .web.server import serve

    return serve(settings_from(args), out)


COMMANDS = {"build": cmd_build, "validate": cmd_validate, "query": cmd_query, "serve": cmd_serve,
            "wikidata": cmd_wikidata, "import": cmd_import}


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
    for name in unread_settings(args):
        err.write(f"citygraph {args.command}: warning: --setting {name}: this command does not "
                  f"read it (it reads: {', '.join(s.name for s in settings_read(args.command))})\n")
    try:
        return COMMANDS[args.command](args, out, err)
    except CitygraphError as exc:
        err.write(f"citygraph {args.command}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the file system refused something no typed error covers
        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"citygraph {args.command}: error: {where}{exc.strerror or exc}\n")
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
