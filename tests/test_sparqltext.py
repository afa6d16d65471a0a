"""The linear SPARQL lexer and the checks on it (citygraph.sparqltext): unit tests on the inputs
that once stalled or crashed the server, and a fuzzer (hypothesis) that drives every text function
with random and adversarial text and compares them with pyoxigraph on the queries it parses."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citygraph.errors import QuerySyntaxError, QueryTooDeep
from citygraph.executor import parses_as_update
from citygraph.federation import check_services
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS, negotiate
from citygraph.queries import query_form
from citygraph.sparqltext import (
    VARIABLE_TARGET,
    analyse,
    check_text,
    nesting_error,
    position,
    service_targets,
    tokens,
    unknown_prefix,
)
from citygraph.store import looks_like_update
from citygraph.vocab import PREFIXES

REPO = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_GAP = re.compile(r"(?:[ \t\r\n\f\v]|#[^\n]*)*")

#: The inputs of issue 10: each once froze the server, crashed the engine or was a 500.
WORST = {
    "quote-backslash": '"\\' * 32760,
    "apostrophe-backslash": "'\\" * 32760,
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "negations": "ASK { FILTER(" + "!" * 10000 + "true) }",
    "str-calls": "SELECT * WHERE { FILTER(" + "STR(" * 3000 + "1" + ")" * 3000 + ") }",
    "braces": "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
    "deep-service": "SELECT * WHERE { " + "{" * 5000 + "SERVICE <http://a/> {}" + "}" * 5000 + " }",
}


def engine_form(text: str, prefixes: dict[str, str] | None = None) -> str | None:
    """The form pyoxigraph gives the query on an empty store, or None when it does not parse."""
    try:
        result = ox.Store().query(text, prefixes=prefixes or {})
    except SyntaxError:
        return None
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    if isinstance(result, ox.QuerySolutions):
        return "select"
    return "graph"


def assert_tokens_cover(text: str) -> None:
    """Tokens are in order, each where it says, and between them only whitespace and comments."""
    end = 0
    for token in tokens(text):
        assert token.start >= end
        assert text.startswith(token.text, token.start)
        assert _GAP.fullmatch(text, end, token.start), (text[end:token.start], token)
        end = token.start + len(token.text)
    assert _GAP.fullmatch(text, end), text[end:]


# --- the lexer ---------------------------------------------------------------------------------

def test_comments_strings_and_iris_are_single_tokens() -> None:
    text = ('PREFIX ex: <http://e/#frag>\n# SELECT in a comment\nASK { ?s ex:p "a # b", '
            "'''it's \"SERVICE\"''', <http://e/x#y> ; ex:q\\#r _:b.  }")
    kinds = [(t.kind, t.text) for t in tokens(text)]
    assert kinds == [
        ("keyword", "PREFIX"), ("pname", "ex:"), ("iri", "<http://e/#frag>"), ("keyword", "ASK"),
        ("punct", "{"), ("var", "?s"), ("pname", "ex:p"), ("string", '"a # b"'), ("punct", ","),
        ("string", "'''it's \"SERVICE\"'''"), ("punct", ","), ("iri", "<http://e/x#y>"),
        ("punct", ";"), ("pname", "ex:q\\#r"), ("bnode", "_:b"), ("punct", "."), ("punct", "}")]
    assert_tokens_cover(text)


def test_a_name_gives_back_its_trailing_dots_and_a_long_dotted_run_is_split_once() -> None:
    assert [t.text for t in tokens("?s a ex:C. ?s ex:p ex:o.")] == [
        "?s", "a", "ex:C", ".", "?s", "ex:p", "ex:o", "."]
    run = "a." * 1000
    assert [t.text for t in tokens(run)] == ["a", "."] * 1000


def test_less_than_after_an_operand_in_an_expression_is_the_operator() -> None:
    assert [t.kind for t in tokens("FILTER(?a<?b&&?b>?a)")] == [
        "keyword", "punct", "var", "punct", "var", "punct", "var", "punct", "var", "punct"]
    # In a pattern, '<' after a term starts an IRI.
    assert [t.kind for t in tokens("{ ?s<http://e/p>?o }")] == ["punct", "var", "iri", "var", "punct"]


def test_unterminated_strings_are_one_error_token_each() -> None:
    for text in WORST["quote-backslash"], WORST["apostrophe-backslash"]:
        found = list(tokens(text))
        assert [t.kind for t in found] == ["error"]
        assert len(found[0].text) == len(text)
    # An unterminated string stops at its line; an unterminated long one is an empty string
    # and an unterminated one, as the engine reads it.
    assert [t.kind for t in tokens('"open\nASK {}')] == ["error", "keyword", "punct", "punct"]
    assert [t.kind for t in tokens('"""open\nASK {}')] == ["string", "error", "keyword", "punct",
                                                            "punct"]


def test_position_is_line_and_column() -> None:
    assert position("ab\ncd\nef", 0) == (1, 1)
    assert position("ab\ncd\nef", 4) == (2, 2)


# --- what analyse finds ------------------------------------------------------------------------

@pytest.mark.parametrize("text,form", [
    ("# ASK in a comment\nPREFIX a: <http://e/#x>\nCONSTRUCT { ?s ?p ?o } WHERE {}", "construct"),
    ("select * { ?s ?p 'ask' }", "select"),
    ('DESCRIBE <http://e/ASK>', "describe"),
    ("BASE <http://e/> ask {}", "ask"),
])
def test_query_form(text: str, form: str) -> None:
    assert query_form(text) == form
    assert analyse(text).form == form


def test_the_form_of_every_curated_query_is_the_engines() -> None:
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if service_targets(text, PREFIXES):
            continue  # running it would call out
        expected = engine_form(text, PREFIXES)
        assert expected is not None, path
        form = query_form(text)
        assert (form if form in ("select", "ask") else "graph") == expected, path
        assert unknown_prefix(text, PREFIXES) is None, path


@pytest.mark.parametrize("text", ["", "   ", "#", "# a comment only\n", "PREFIX ex: <http://e/>",
                                  "BASE <http://e/>\n# and a comment", "prefix : <http://e/> "
                                  "PREFIX ex: <http://e/ex#>"])
def test_comments_and_declarations_alone_are_no_query(text: str) -> None:
    assert analyse(text).is_empty
    with pytest.raises(QuerySyntaxError, match="missing query"):
        check_text(text, 100)


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://e/a> <http://e/b> 1 }", "# comment\nPREFIX ex: <http://e/>\ndelete where {}",
    "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "CLEAR ALL", "drop silent graph <http://e/g>",
    "LOAD <http://e/x>", "CREATE GRAPH <http://e/g>", "COPY DEFAULT TO <http://e/g>", "ADD <http://e/a> TO "
    "<http://e/b>", "MOVE DEFAULT TO <http://e/g>"])
def test_updates_are_told_by_their_first_keyword(text: str) -> None:
    assert analyse(text).is_update and looks_like_update(text) and parses_as_update(text)
    assert not analyse(text).is_empty


@pytest.mark.parametrize("text", ["SELECT * WHERE { ?s ?p 'INSERT' }", "# INSERT DATA\nASK {}",
                                  "ASK { ?s <http://e/DELETE> ?o }", "#"])
def test_queries_are_not_updates(text: str) -> None:
    assert not analyse(text).is_update and not looks_like_update(text)
    assert not parses_as_update(text)


def test_unknown_prefix_names_the_first_with_line_and_column() -> None:
    text = 'PREFIX ex: <http://e/>\nSELECT * WHERE {\n  ?s ex:p "nope:x", <http://e/no:pe> .\n' \
           "  ?s nope:x _:b . # bad:name\n}"
    message = unknown_prefix(text, {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"})
    assert message is not None
    assert message.startswith("SPARQL syntax error at line 4, column 6: unknown prefix 'nope:'")
    assert "PREFIX nope: <…>" in message and "predeclared: rdf" in message
    assert unknown_prefix(text.replace("nope:x _", "ex:x _"), {}) is None


def test_a_prefix_counts_from_its_declaration_on() -> None:
    update = "INSERT DATA { ex:a ex:b ex:c } ; PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }"
    assert unknown_prefix(update, {}) is not None
    assert unknown_prefix(update, {}).startswith(  # type: ignore[union-attr]
        "SPARQL syntax error at line 1, column 15: unknown prefix 'ex:'")
    assert unknown_prefix(update.replace("INSERT DATA { ex:a ex:b ex:c } ;", ""), {}) is None


def test_service_targets_without_a_parse() -> None:
    text = """PREFIX ex: <http://example.org/>
        SELECT * WHERE {
          OPTIONAL { SERVICE SILENT ex:one\\.x { ?s ?p ?o } }
          FILTER EXISTS { SERVICE <http://example.org/two> { ?s ?q ?r } }
          { SELECT ?s WHERE { service wd:three { ?s ?x ?y } } }
          MINUS { SERVICE $endpoint { ?s ?z ?w } }
        }"""
    assert service_targets(text, PREFIXES) == [
        "http://example.org/one.x", "http://example.org/two", "http://www.wikidata.org/entity/three",
        VARIABLE_TARGET]
    assert analyse("SELECT * WHERE { ?s ?p ?o }").services == ()


@pytest.mark.parametrize("name,depth", [
    ("parentheses", 5002), ("negations", 10002), ("str-calls", 3002), ("braces", 5000),
    ("deep-service", 5002)])
def test_depth_of_the_worst_inputs(name: str, depth: int) -> None:
    found = analyse(WORST[name])
    assert found.depth == depth
    with pytest.raises(QueryTooDeep, match=f"nests {found.effective_depth} levels deep.*limit of 256 "
                                           r"\(setting max_query_depth"):
        check_text(WORST[name], 256)


def test_depth_counts_unary_chains_and_brackets() -> None:
    assert analyse("ASK { FILTER(1 - - -1) }").depth == 4  # { ( and two unary minus
    assert analyse("ASK { FILTER(!(!(!true))) }").depth == 7
    assert analyse("ASK { ?s ?p [ ?q ( 1 ( 2 ) ) ] }").depth == 4
    assert analyse("ASK { FILTER(1 + 2 * 3 - 4) }").depth == 2
    assert nesting_error("ASK { FILTER(((1))) }", 5) is None  # 4 levels and a FILTER's quarter


def test_sequences_the_engine_nests_count_a_quarter_level_per_item() -> None:
    union = "SELECT * WHERE { {}" + "UNION{}" * 2000 + " }"
    assert (analyse(union).chain, analyse(union).effective_depth) == (2000, 502)
    plus = "SELECT * WHERE { FILTER(1" + "+1" * 1500 + ") }"  # and the FILTER's own quarter
    assert (analyse(plus).chain, analyse(plus).effective_depth) == (1500, 378)
    items = "SELECT * WHERE { ?s ?p (" + " 1" * 1200 + ") }"
    assert (analyse(items).chain, analyse(items).effective_depth) == (1200, 302)
    message = nesting_error(union, 256)
    assert message is not None and "nests 502 levels deep" in message and "quarter" in message
    # Sequences on the way to a deeper one add up, before or after it in their level: the
    # first item of a left-deep tree is as deep as the whole sequence.
    after = "SELECT * WHERE { {" + "{}MINUS" * 600 + "{ " + "{}MINUS" * 600 + "{} } } }"
    before = "SELECT * WHERE { {{ " + "{}MINUS" * 600 + "{} }" + "MINUS{}" * 600 + "} }"
    assert analyse(after).effective_depth == 304 and analyse(before).effective_depth == 304
    # Flat lists the engine keeps flat: arguments, IN lists, VALUES.
    for flat in ("SELECT * WHERE { FILTER(CONCAT(" + ",".join(['""'] * 3000) + ")) }",
                 "SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 3000) + ")) }",
                 "SELECT * WHERE { VALUES ?x {" + " 1" * 3000 + "} }"):
        assert nesting_error(flat, 256) is None, flat[:40]


def test_the_worst_inputs_never_raise_anything_but_typed_errors() -> None:
    for text in WORST.values():
        found = analyse(text)
        assert query_form(text) in ("select", "construct", "describe", "ask")
        assert found.depth >= 0 and not found.is_update
        unknown_prefix(text, PREFIXES)
        try:
            check_services(text, PREFIXES, {"http://a/"})
        except QuerySyntaxError:
            pass


# --- the fuzzer --------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(list("\"'\\<>#{}()[]!-+*/^|&=,;.?$:_@ \n\t0123456789aesASE\u00e9\u2040"))
_WORDS = st.sampled_from(["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "SERVICE", "SILENT", "PREFIX",
                          "BASE", "INSERT", "FILTER", "EXISTS", "UNION", "WHERE", "ex:", "ex:a",
                          "<http://e/>", "'''", '"""', "?x", "_:b", "\\u0041", "%2F", "^^", "a"])
ADVERSARIAL = st.lists(st.one_of(_ALPHABET, _WORDS), max_size=80).map("".join)


@FUZZ
@given(ADVERSARIAL)
def test_fuzz_text_functions_never_fail_but_with_the_typed_error(text: str) -> None:
    assert_tokens_cover(text)
    found = analyse(text)
    assert query_form(text) in ("select", "construct", "describe", "ask")
    assert found.is_update == looks_like_update(text) == parses_as_update(text)
    message = unknown_prefix(text, PREFIXES)
    assert message is None or "unknown prefix" in message
    nesting_error(text, 3)
    try:
        targets = service_targets(text, PREFIXES)
    except QuerySyntaxError as exc:
        assert "SERVICE" in exc.message
    else:
        assert len(targets) == len(found.services)
    try:
        check_text(text, 3)
    except (QuerySyntaxError, QueryTooDeep):
        pass


# Pieces of valid queries: (text, SERVICE targets it calls). Port 9 on loopback: nothing answers,
# and SILENT makes the engine carry on when it runs one.
_DEAD = "http://127.0.0.1:9/"
_PATTERNS = st.sampled_from([
    ("?s ?p ?o .", []),
    ('?s <http://e/p> "lit \\"SERVICE <http://x/>\\" ask" .', []),
    ("# SERVICE <http://evil/> { SELECT\n", []),
    ("FILTER(?o < 3 && !(?o > 5))", []),
    ("FILTER(?s<?o)", []),
    ("OPTIONAL { ?s ex:q ?r }", []),
    ("{ ?s ?p ?o } UNION { ?s ?q ?o }", []),
    ("MINUS { ?s ex:q 'x' }", []),
    ("FILTER EXISTS { ?s ?p 'ASK' }", []),
    ("{ SELECT ?s WHERE { ?s ?p ?o } }", []),
    (f"SERVICE SILENT <{_DEAD}a> {{ ?s ?p ?o }}", [_DEAD + "a"]),
    ("SERVICE SILENT ex:svc { }", [_DEAD + "ex/svc"]),
    ("?s ex:a\\.b ?o .", []),
    ("VALUES ?v { 1 2 'three' }", []),
    ("?s ?p '''long 'quote' \"\" SERVICE''' .", []),
    ("?s ?p (1 2 (3)) .", []),
    ("?s ?p [ ex:q ?x ] .", []),
    ("?s ex:p/ex:q* ?o .", []),
    ("?s a ex:C.", []),
])
_FORMS = st.sampled_from([("SELECT * WHERE {%s}", "select"), ("select ?s {%s}", "select"),
                          ("ASK {%s}", "ask"), ("ASK WHERE {%s}", "ask"),
                          ("CONSTRUCT { ?s ?p ?o } WHERE {%s}", "graph"),
                          ("DESCRIBE ?s WHERE {%s}", "graph")])
_SEPARATORS = st.sampled_from([" ", "\n", "\t", "  \n "])


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """A query from valid pieces: its text, the form the engine should see, the SERVICE targets."""
    body: list[str] = []
    targets: list[str] = []
    for text, calls in draw(st.lists(_PATTERNS, max_size=6)):
        if draw(st.booleans()):
            text = "{ " + text + " }"
        body.append(text)
        targets += calls
    separator = draw(_SEPARATORS)
    template, form = draw(_FORMS)
    prologue = draw(st.sampled_from(["", "# a PREFIX in a comment: INSERT\n", "BASE <http://e/>\n"]))
    text = (prologue + f"PREFIX ex: <{_DEAD}ex/>" + separator
            + template % (separator + separator.join(body) + separator))
    return text, form, targets


@FUZZ
@given(queries())
def test_fuzz_agrees_with_the_engine_on_queries_it_parses(case: tuple[str, str, list[str]]) -> None:
    text, form, targets = case
    assert service_targets(text, {}) == targets
    engine = engine_form(text)
    if engine is None:
        return  # the engine refuses it: nothing to agree on
    assert engine == form
    mine = query_form(text)
    assert (mine if mine in ("select", "ask") else "graph") == engine
    found = analyse(text)
    assert not found.is_update and not found.is_empty and found.error is None
    assert unknown_prefix(text, {}) is None
    assert nesting_error(text, 256) is None


_ACCEPT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(["text/turtle", "application/sparql-results+json", "*/*", "text/*",
                              "application/*", ";q=0.5", ";q=", ";q=1e999", ";q=-1", ";q=nan",
                              ',', ";charset=utf-8", ' ', '"', ";profile=\"a,b\"", "x/y",
                              "text/csv;q=0"]), max_size=12).map("".join))


@FUZZ
@given(_ACCEPT)
def test_fuzz_accept_negotiation_never_fails(accept: str) -> None:
    for table in (SELECT_FORMATS, GRAPH_FORMATS):
        chosen = negotiate(accept, table)
        assert chosen is None or chosen in table.values()


def test_docstring_examples() -> None:
    import doctest

    from citygraph import sparqltext

    failures, tried = doctest.testmod(sparqltext, optionflags=doctest.ELLIPSIS)
    assert (failures, tried > 5) == (0, True)


def test_a_list_is_never_taken_for_an_expression_that_could_hide_a_service() -> None:
    # In a list, '<' after a term starts an IRI: a '#' in it is no comment, and the SERVICE
    # clause after the list is found.
    for text in ("ASK { ?s <http://e/p> (<http://e/a> <http://e/#x>) . SERVICE <http://evil/> {} }",
                 "ASK { ?s a ex:C ; ex:q (<http://e/a> <http://e/#x>) . SERVICE <http://evil/> {} }",
                 "ASK { VALUES (?x ?y) { (<http://e/a> <http://e/#x>) } SERVICE <http://evil/> {} }"):
        assert service_targets(text, PREFIXES) == ["http://evil/"], text
