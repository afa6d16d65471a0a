"""Named-query catalogue: header parsing and typed parameter binding."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.errors import BadParameter, DataSyntaxError, MissingPathError
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS
from citygraph.pipeline import BuildResult
from citygraph.queries import NamedQuery, Parameter, load_catalogue, load_query
from citygraph.store import EmbeddedStore, answer

QUERY = """#+ title: Partners of a city
#+ description: Every partner of the city,
#+ description: with the kind.
#+ param: city iri = https://w3id.org/citygraph/id/city/dortmund | the city
#+ param: since integer | earliest start year
#+ tags: partnerships, twinning
SELECT ?partner ?city ?since WHERE {
  ?p cg:partner ?city, ?partner ; schema:startDate ?start .
  FILTER(?partner != ?city && YEAR(?start) >= ?since)
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_fields_and_parameters(tmp_path: Path) -> None:
    q = load_query(write(tmp_path, "partners.rq", QUERY))
    assert q.name == "partners"
    assert q.title == "Partners of a city"
    assert q.description == "Every partner of the city, with the kind."
    assert q.tags == ("partnerships", "twinning")
    city, since = q.parameters
    assert (city.name, city.type, city.required) == ("city", "iri", False)
    assert city.default == "https://w3id.org/citygraph/id/city/dortmund"
    assert (since.name, since.type, since.required, since.description) == (
        "since", "integer", True, "earliest start year")


def test_bindings_use_defaults_and_refuse_unknown_or_missing(tmp_path: Path) -> None:
    q = load_query(write(tmp_path, "partners.rq", QUERY))
    bound = q.bindings({"since": "1990"})
    assert bound["city"] == ox.NamedNode("https://w3id.org/citygraph/id/city/dortmund")
    assert bound["since"] == ox.Literal("1990", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))
    with pytest.raises(BadParameter, match="'since'.*required"):
        q.bindings({})
    with pytest.raises(BadParameter, match="'colour'"):
        q.bindings({"since": "1", "colour": "red"})


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("iri", "https://w3id.org/citygraph/id/city/amiens",
     ox.NamedNode("https://w3id.org/citygraph/id/city/amiens")),
    ("string", 'x" } ; DROP ALL', ox.Literal('x" } ; DROP ALL')),
    ("langstring", "Dortmund@de", ox.Literal("Dortmund", language="de")),
    ("langstring", "a@b@en", ox.Literal("a@b", language="en")),
    ("integer", "+42", ox.Literal("42", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))),
    ("date", "2023-02-01", ox.Literal("2023-02-01", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))),
])
def test_each_type_binds_to_a_typed_term(kind: str, raw: str, expected: object) -> None:
    assert Parameter("p", kind).bind(raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [
    ("iri", "not an iri"), ("iri", "http://x/> } ; DROP ALL ; <http://y"), ("iri", "relative/path"),
    ("langstring", "no tag"), ("langstring", "x@not a tag"),
    ("integer", "1 } UNION { ?s ?p ?o }"), ("integer", "1.5"),
    ("date", "2023-02-30"), ('date', '2020-01-01" } #'),
    ("date", "20200101"), ("date", "2020-W01-1"), ("date", " 2020-01-01"),
    ("integer", "\u0663"), ("integer", " 3"),  # an Arabic-Indic digit; surrounding space
])
def test_malformed_values_are_bad_parameters_naming_the_parameter(kind: str, raw: str) -> None:
    with pytest.raises(BadParameter) as info:
        Parameter("p", kind).bind(raw)
    assert "parameter 'p'" in str(info.value)
    assert info.value.http_status == 400


def test_bad_header_line_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rq", "#+ title: x\n#+ param: city url\nSELECT * WHERE { ?s ?p ?city }")
    with pytest.raises(DataSyntaxError) as info:
        load_query(path)
    assert info.value.line == 2 and "TYPE one of" in str(info.value)


def test_parameter_must_be_a_query_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "x.rq", "#+ param: town iri\nSELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(DataSyntaxError, match="'town'"):
        load_query(path)


def test_invalid_sparql_is_reported_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.rq", "SELECT * WHERE { ?s ?p }")
    with pytest.raises(DataSyntaxError) as info:
        load_query(path)
    assert "broken.rq" in str(info.value) and "SPARQL syntax error" in str(info.value)


def test_catalogue_needs_the_directory(tmp_path: Path) -> None:
    with pytest.raises(MissingPathError):
        load_catalogue(tmp_path / "queries")
    write(tmp_path, "b.rq", "SELECT * WHERE { ?s ?p ?o }")
    write(tmp_path, "a.rq", "ASK { ?s ?p ?o }")
    assert list(load_catalogue(tmp_path)) == ["a", "b"]


def test_parameter_must_be_projected_to_be_bindable(tmp_path: Path) -> None:
    path = write(tmp_path, "hidden.rq", "#+ param: city iri\nSELECT ?o WHERE { ?city ?p ?o }")
    with pytest.raises(DataSyntaxError, match="'city' cannot be bound"):
        load_query(path)


# --- every curated query against the real build, compared with its expected answer ----------

EXPECTED = Path(__file__).parent / "expected" / "queries"
CURATED = sorted((Path(__file__).resolve().parents[1] / "queries").glob("*.rq"))


def answer_rows(store: EmbeddedStore, query: NamedQuery) -> tuple[list[str], list[str]]:
    """The TSV header and rows of a named query's answer with its default parameters."""
    result = store.query(query.text, substitutions=query.bindings({}))
    body = answer(result, SELECT_FORMATS["tsv"], GRAPH_FORMATS["ntriples"], 1_000_000).body
    lines = body.decode("utf-8").splitlines()
    if isinstance(result, ox.QueryTriples):
        return [], sorted(lines)  # a graph: its N-Triples lines, in a fixed order
    return lines[:1], lines[1:]


@pytest.fixture(scope="module")
def real_store(settings: Settings, built: BuildResult) -> EmbeddedStore:
    """The session build, opened once for this module."""
    return EmbeddedStore(settings.dist_dir)


@pytest.mark.parametrize("path", CURATED, ids=[p.stem for p in CURATED])
def test_curated_query_gives_its_expected_answer(path: Path, real_store: EmbeddedStore) -> None:
    """Run with CITYGRAPH_UPDATE_EXPECTED=1 to rewrite the files after a deliberate change."""
    store = real_store
    query = load_query(path)
    header, rows = answer_rows(store, query)
    import os

    expected_file = EXPECTED / f"{path.stem}.tsv"
    got = "\n".join(header + rows) + "\n"
    if os.environ.get("CITYGRAPH_UPDATE_EXPECTED") == "1":
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(got, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8")
    assert rows, f"{path.name} answers nothing with its defaults"
    ordered = "ORDER BY" in query.text.upper()
    want = expected.splitlines()
    if ordered:
        assert got.splitlines() == want
    else:  # no ORDER BY: the engine may give the rows in any order
        assert got.splitlines()[:1] == want[:1] and sorted(rows) == sorted(want[1:])


def test_an_undeclared_prefix_in_a_query_file_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.rq", "#+ title: labels\nSELECT * WHERE {\n  ?c cg:wikidataEntity ?q .\n"
                 '  SERVICE wikibase:label { nosuch:serviceParam wikibase:language "en". }\n}\n')
    with pytest.raises(DataSyntaxError, match=r"labels.rq, line 4: .*unknown prefix 'nosuch:'"):
        load_query(path)
    declared = write(tmp_path, "declared.rq", "#+ title: labels\nPREFIX nosuch: <http://www.bigdata.com/rdf#>\n"
                     + path.read_text(encoding="utf-8").split("\n", 1)[1])
    assert load_query(declared).name == "declared"  # calls out: parsed, never run


def test_a_service_target_with_an_undeclared_prefix_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "remote.rq", "#+ title: remote\nASK { SERVICE nope:sparql { ?s ?p ?o } }\n")
    with pytest.raises(DataSyntaxError, match="remote.rq: .*unknown prefix 'nope:' in the SERVICE target"):
        load_query(path)


def test_the_form_of_a_named_query_ignores_comments_strings_and_iris(tmp_path: Path) -> None:
    text = ("#+ title: form\n# SELECT in a comment\nCONSTRUCT { ?s <http://e/ASK> 'SELECT' } "
            "WHERE { ?s ?p ?o }\n")
    from citygraph.queries import query_form

    assert query_form(load_query(write(tmp_path, "form.rq", text)).text) == "construct"
