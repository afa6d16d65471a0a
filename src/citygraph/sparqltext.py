"""A linear SPARQL lexer and what the web process needs to know of a query's text.

Everything the server learns from a query before the engine sees it comes from one pass of
:func:`tokens` over the text: no regular expression here can backtrack over unbounded input (every
repetition is possessive, every token is matched once from where the last one ended), so the time
is linear in the length of the text whatever it holds. Comments, strings (long strings and escapes
included), IRIs, variables and blank node labels are single tokens, so a keyword or a prefixed name
inside them is never taken for one.

On the tokens, :func:`analyse` finds in the same pass: the query form, whether the text is an
update, whether it is empty (only comments, PREFIX and BASE), the prefixed names used and the
prefixes declared, the targets of SERVICE clauses, and how deep the query nests — the depth of
(), {}, [] and chains of unary ``!``/``-``/``+``, and the longest sequence the engine nests as deeply
(a chain of binary operators, UNION, MINUS, OPTIONAL, FILTER or BIND, joined patterns, the items of a
list).

``<`` is ambiguous in SPARQL: an IRI in a pattern, less-than between two operands of an expression.
The lexer follows the engine: inside an expression's parentheses a ``<`` after an operand is the
operator, elsewhere it starts an IRI.

>>> [t.text for t in tokens('SELECT ?s { ?s ex:p "a b", <http://e/#x> } # a comment')]
['SELECT', '?s', '{', '?s', 'ex:p', '"a b"', ',', '<http://e/#x>', '}']
>>> a = analyse("PREFIX ex: <http://e/>\\nASK { SERVICE ex:sparql { ?s ?p ?o } FILTER(!!(1<2)) }")
>>> (a.form, a.is_update, a.is_empty, a.depth)
('ask', False, False, 5)
>>> service_targets("SELECT * { SERVICE ?where { ?s ?p ?o } }", {})
['?']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from .errors import QuerySyntaxError, QueryTooDeep

#: What a SERVICE clause names when its target is a variable.
VARIABLE_TARGET = "?"

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                             "ADD", "WITH"})

# Characters of names (PN_CHARS and friends, slightly wider: the engine has the last word).
_NAME_START = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF" \
              r"\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD" \
              r"\U00010000-\U000EFFFF"
_NAME_CHAR = _NAME_START + r"_0-9\-\u00B7\u0300-\u036F\u203F\u2040"
_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]|%[0-9A-Fa-f]{2}"

# One token, after any whitespace and comments. Groups, in order: IRI, long strings, short strings,
# an unterminated string's opening quote, variable, blank node, name (keyword or prefix) with an
# optional ':' local part, ':' local part alone, number, language tag, operator or punctuation.
# Every repetition is possessive (*+, ++): a failed alternative gives nothing back.
_SKIP = r"(?:[ \t\r\n\f\v]++|\#[^\n]*+)*+"
_IRI = r"(<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>)"
_REST = (
    r"|('''(?:[^'\\]|\\[\s\S]|'(?!''))*+'''|\"\"\"(?:[^\"\\]|\\[\s\S]|\"(?!\"\"))*+\"\"\")"
    r"|('(?:[^'\\\n\r]|\\[^\n\r])*+'|\"(?:[^\"\\\n\r]|\\[^\n\r])*+\")"
    r"|('|\")"
    rf"|([?$][{_NAME_CHAR}]++)"
    rf"|(_:[{_NAME_CHAR}.]++)"
    rf"|([{_NAME_START}][{_NAME_CHAR}.]*+)(:(?:[{_NAME_CHAR}:.]|{_LOCAL_ESC})*+)?"
    rf"|(:(?:[{_NAME_CHAR}:.]|{_LOCAL_ESC})*+)"
    r"|([0-9]*+\.[0-9]++(?:[eE][+-]?+[0-9]++)?+|[0-9]++(?:\.[0-9]*+)?+[eE][+-]?+[0-9]++|[0-9]++)"
    r"|(@[A-Za-z]++(?:-[A-Za-z0-9]++)*+)"
    r"|(\^\^|<=|>=|!=|&&|\|\||[{}()\[\];,.!=<>+\-*/^|?])"
    r"|([\s\S])"
)
#: Where an IRI may start, and where ``<`` after an operand is less-than.
_WITH_IRI = re.compile(_SKIP + "(?:" + _IRI + _REST + ")")
_NO_IRI = re.compile(_SKIP + "(?:(?!)" + _IRI + _REST + ")")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)", re.DOTALL)

# Group numbers of _WITH_IRI / _NO_IRI.
(_G_IRI, _G_LONG, _G_SHORT, _G_OPEN, _G_VAR, _G_BNODE, _G_WORD, _G_LOCAL, _G_EMPTY_PREFIX,
 _G_NUMBER, _G_LANG, _G_PUNCT, _G_OTHER) = range(1, 14)


class Token(NamedTuple):
    """One token: its kind, its text and where it starts (an offset into the query text).

    Kinds: ``iri``, ``string``, ``var``, ``bnode``, ``keyword``, ``pname``, ``number``, ``lang``,
    ``punct``, and ``error`` (an unterminated string, to the end of its line, or a
    character no token starts with).
    """

    kind: str
    text: str
    start: int


#: Tokens after which ``<`` is less-than, inside an expression.
_OPERANDS = frozenset({"iri", "string", "var", "bnode", "pname", "number", "lang"})
_OPERAND_WORDS = frozenset({"TRUE", "FALSE", "UNDEF", "A"})
_BINARY = frozenset({"||", "&&", "=", "!=", "<", ">", "<=", ">=", "*", "/", "+", "-"})
_GROUP_CHAIN = frozenset({".", ",", ";", "/", "|", "UNION", "MINUS", "OPTIONAL", "FILTER", "BIND"})
_CLOSE = {")": "(", "]": "[", "}": "{"}
_SINGLE = frozenset("(){}[],;.")


def tokens(text: str) -> Iterator[Token]:
    """The tokens of a SPARQL text, in order, skipping whitespace and comments; never fails.

    >>> [(t.kind, t.text) for t in tokens("?x<?y && 'it''s")]
    [('var', '?x'), ('punct', '<'), ('var', '?y'), ('punct', '&&'), ('string', "'it'"), ('error', "'s")]
    """
    yield from _Scanner(text).run()


class _Scanner:
    """The lexer's state: the bracket stack tells an expression's ``(`` from a list's."""

    def __init__(self, text: str) -> None:
        self.text = text
        #: One entry per open bracket: 'e' expression parenthesis, 'c' list, '[' and '{'.
        self.stack: list[str] = []

    def _bracket(self, char: str, prev: Token, prev2: Token) -> None:
        """Keep the bracket stack: ``(`` opens an expression after a keyword (FILTER, BIND, a
        function), after a function's IRI that follows a keyword, at the top level (SELECT,
        ORDER BY, …) and inside an expression; elsewhere it opens a list."""
        stack = self.stack
        if char == "(":
            expression = not stack or stack[-1] == "e" or (
                prev.kind == "keyword" and prev.text.upper() not in _OPERAND_WORDS) or (
                prev.kind in ("iri", "pname") and prev2.kind == "keyword"
                and prev2.text.upper() not in _OPERAND_WORDS)
            stack.append("e" if expression else "c")
        elif char in "[{":
            stack.append(char)
        elif char in _CLOSE and stack:
            stack.pop()

    def run(self) -> Iterator[Token]:
        """The tokens, in order."""
        text, n, stack = self.text, len(self.text), self.stack
        pos = 0
        prev = prev2 = Token("punct", "", 0)
        with_iri, no_iri = _WITH_IRI.match, _NO_IRI.match
        while pos < n:
            char = text[pos]
            if char in _SINGLE:  # the commonest tokens, without a regular expression
                if char == "." and text[pos + 1:pos + 2].isdigit():
                    pass  # a decimal such as .5
                else:
                    token = Token("punct", char, pos)
                    self._bracket(char, prev, prev2)
                    yield token
                    prev2, prev = prev, token
                    pos += 1
                    continue
            elif char in " \t\r\n":
                pos += 1
                continue
            if char in "<#\f\v" and stack and stack[-1] == "e" and (
                    prev.kind in _OPERANDS or prev.text in (")", "]") or (
                        prev.kind == "keyword" and prev.text.upper() in _OPERAND_WORDS)):
                m = no_iri(text, pos)  # a '<' here (after comments, maybe) is less-than
            else:
                m = with_iri(text, pos)
            if m is None:  # only whitespace and comments are left
                return
            group = m.lastindex
            start = m.start(group) if group else m.end()
            end = m.end()
            if group is None:
                return
            if group in (_G_WORD, _G_LOCAL):
                start = m.start(_G_WORD)
                word = m.group(_G_WORD)
                if m.group(_G_LOCAL) is not None:
                    token, end = _pname(text, start, end)
                elif "." in word:  # 'a.' or 'x.y' without ':' are words and dots, not a name
                    head, _, _ = word.partition(".")
                    token, end = Token("keyword", head, start), start + len(head)
                else:
                    token = Token("keyword", word, start)
            elif group == _G_EMPTY_PREFIX:
                token, end = _pname(text, start, end)
            elif group == _G_BNODE:
                label = m.group(group).rstrip(".")
                token, end = Token("bnode", label, start), start + len(label)
            elif group == _G_OPEN:
                # An unterminated string: the rest of its line. (An unterminated long string is
                # an empty string and an unterminated one, as the engine reads it too.)
                stop = text.find("\n", start)
                end = n if stop < 0 else stop
                token = Token("error", text[start:end], start)
            elif group == _G_PUNCT:
                token = Token("punct", m.group(group), start)
                self._bracket(token.text, prev, prev2)
            else:
                token = Token(_KINDS[group], m.group(group), start)
            if end != m.end():
                # A word or name gave back its trailing dots: lex them, and only them, as dots
                # (never rescanning a long run: 'a.a.a…' is one word and its pieces).
                yield token
                prev2, prev = prev, token
                rest = text[end:m.end()]
                if token.kind == "keyword" and "." in rest:
                    for piece in re.split(r"(\.)", rest):
                        if piece:
                            kind = "punct" if piece == "." else "keyword"
                            token = Token(kind, piece, end)
                            yield token
                            prev2, prev = prev, token
                            end += len(piece)
                    pos = m.end()
                    continue
                pos = end
                continue
            yield token
            prev2, prev = prev, token
            pos = end


_KINDS = {_G_IRI: "iri", _G_LONG: "string", _G_SHORT: "string", _G_VAR: "var",
          _G_NUMBER: "number", _G_LANG: "lang", _G_OTHER: "error"}


def _pname(text: str, start: int, end: int) -> tuple[Token, int]:
    """A prefixed name ending at ``end``, without trailing dots (a name cannot end with one)."""
    while end > start and text[end - 1] == "." and not _escaped(text, start, end - 1):
        end -= 1
    return Token("pname", text[start:end], start), end


def _escaped(text: str, start: int, at: int) -> bool:
    """True when the character at ``at`` is escaped by a backslash (``ex:a\\.``)."""
    slashes = 0
    while at - 1 - slashes >= start and text[at - 1 - slashes] == "\\":
        slashes += 1
    return slashes % 2 == 1


def unescape_iri(raw: str) -> str:
    r"""The IRI of an IRIREF token, its \u and \U escapes decoded.

    >>> unescape_iri("<http://e/\\u0073parql>")
    'http://e/sparql'
    """
    return _ESCAPE.sub(_decode, raw[1:-1])


def _decode(m: re.Match[str]) -> str:
    if m.group(3) is not None:  # a local-name escape: the character itself
        return m.group(3)
    return chr(int(m.group(1) or m.group(2), 16))


@dataclass(frozen=True)
class Service:
    """A SERVICE clause: its target token, and how many prefix declarations precede it."""

    kind: str  # 'iri', 'pname', 'var' or 'error' (a SERVICE followed by no target)
    text: str
    start: int
    declared: int


@dataclass(frozen=True)
class Analysis:
    """What one pass over a query's text found (see the module's description)."""

    #: The first query-form keyword, lower case ('select', …), or None.
    form: str | None
    #: The first keyword after the prologue, upper case, or None.
    first_keyword: str | None
    #: True when nothing but comments, PREFIX and BASE declarations is there.
    is_empty: bool
    #: Prefix declarations in order: (offset, prefix without ':', namespace IRI).
    declarations: tuple[tuple[int, str, str], ...]
    #: Prefixed names used, in order: (offset, prefix without ':').
    names: tuple[tuple[int, str], ...]
    services: tuple[Service, ...]
    #: How deep () {} [] and unary operators nest.
    depth: int
    #: The longest sequence the engine nests (binary operators, UNION/OPTIONAL/MINUS, '.', ',',
    #: ';' of one level, items of one list).
    chain: int
    #: The depth of the engine's tree: ``depth``, plus a quarter level for each item of the
    #: sequences on the way (the limit max_query_depth is for this).
    effective_depth: int
    #: The first token that no SPARQL token can be (an unterminated string, a stray character).
    error: Token | None

    @property
    def is_update(self) -> bool:
        """True when the text is a SPARQL Update request (its first keyword after the prologue)."""
        return self.first_keyword in UPDATE_KEYWORDS


#: Texts up to this many characters are remembered in the larger cache: every curated query and
#: the usual hand-written ones, so a server answering a mix of them lexes each once.
SHORT_TEXT = 4096


def analyse(text: str) -> Analysis:
    """Everything the checks need from one pass over ``text`` (cached: a request asks several).

    Two caches, shared by the threads: 256 texts of up to :data:`SHORT_TEXT` characters, and 16
    longer ones (a 64 KiB text's analysis holds an entry per prefixed name: few of those are kept).
    """
    if len(text) <= SHORT_TEXT:
        return _analyse_short(text)
    return _analyse_long(text)


def forget_analyses() -> None:
    """Forget every remembered analysis (for benchmarks that time the lexer itself)."""
    _analyse_short.cache_clear()
    _analyse_long.cache_clear()


@lru_cache(maxsize=256)
def _analyse_short(text: str) -> Analysis:
    return _analyse(text)


@lru_cache(maxsize=16)
def _analyse_long(text: str) -> Analysis:
    return _analyse(text)


def _analyse(text: str) -> Analysis:
    """One pass over ``text``: what :func:`analyse` returns."""
    form: str | None = None
    first_keyword: str | None = None
    empty = True
    declarations: list[tuple[int, str, str]] = []
    names: list[tuple[int, str]] = []
    services: list[Service] = []
    error: Token | None = None
    # Prologue state: '' outside a declaration, 'PREFIX', 'PREFIX:' (name seen), 'BASE'.
    declaring = ""
    declared_name = ""
    prologue = True
    service_at: int | None = None  # offset of a SERVICE still waiting for its target
    # Depth: levels below the current bracket, unary operators open at it; chain lengths.
    base, unary, depth = 0, 0, 0
    # The engine's tree, in quarter levels: 4 per bracket or unary operator, 1 per item of a
    # sequence (a left-deep tree: its first item is as deep as the whole sequence, so every item
    # of a level counts for whatever is nested anywhere in it). ``deepest``: the costliest
    # bracket or unary chain inside the current level.
    deepest = 0
    #: (bracket, base, chain, deepest, unary before it) of each open bracket.
    levels: list[tuple[str, int, int, int, int]] = []
    kind_here, chain_here, chain = "", 0, 0
    prev_operand = False
    scanner = _Scanner(text)
    for token in scanner.run():
        kind, value = token.kind, token.text
        upper = value.upper() if kind == "keyword" else ""
        if kind == "error" and error is None:
            error = token
        # The prologue (PREFIX p: <iri>, BASE <iri>), and the prefix declarations of updates.
        if declaring == "PREFIX" and kind == "pname" and value.endswith(":"):
            declaring, declared_name = "PREFIX:", value[:-1]
            continue
        if declaring == "PREFIX:" and kind == "iri":
            declarations.append((token.start, declared_name, unescape_iri(value)))
            declaring = ""
            continue
        if declaring == "BASE" and kind == "iri":
            declaring = ""
            continue
        declaring = ""
        if upper in ("PREFIX", "BASE"):
            declaring = upper
            continue
        if prologue:
            prologue = False
            empty = False
            first_keyword = upper or None
        if service_at is not None:
            if upper == "SILENT":
                continue
            target_kind = kind if kind in ("iri", "pname", "var") else "error"
            services.append(Service(target_kind, value, token.start, len(declarations)))
            service_at = None
        if kind == "keyword":
            if form is None and upper in FORMS:
                form = upper.lower()
            if upper == "SERVICE":
                service_at = token.start
        elif kind == "pname":
            names.append((token.start, value.partition(":")[0]))
        # Depth and chains.
        operand = kind in _OPERANDS or (kind == "keyword" and upper in _OPERAND_WORDS)
        if kind == "punct" and value in ("(", "[", "{"):
            # A list or blank node inside a list is one of its items; so is an expression of the
            # outermost level (a projection, ORDER BY or GROUP BY condition), which the engine
            # nests as deeply as a chain.
            if kind_here == "c" or (kind_here == "" and value == "("):
                chain_here += 1
                chain = max(chain, chain_here)
            levels.append((kind_here, base, chain_here, deepest, unary))
            base, unary, deepest = base + unary + 1, 0, 0
            depth = max(depth, base)
            kind_here = scanner.stack[-1] if value == "(" else value
            chain_here = 0
            prev_operand = False
            continue
        if kind == "punct" and value in _CLOSE:
            if levels:
                chain_here, deepest = _close(levels, chain_here, deepest)
                kind_here, base = levels[-1][0], levels[-1][1]
                levels.pop()
            unary = 0
            prev_operand = True
            continue
        if kind == "punct" and value in ("!", "-", "+") and not prev_operand:
            unary += 1
            depth = max(depth, base + unary)
            deepest = max(deepest, 4 * unary)
        else:
            unary = 0 if operand else unary
            if (kind_here == "e" and kind == "punct" and value in _BINARY and prev_operand) or (
                    kind_here in ("", "{", "[") and (
                        (kind == "punct" and value in _GROUP_CHAIN) or upper in _GROUP_CHAIN)) or (
                    kind_here in ("c", "") and operand):  # outermost: DESCRIBE <a> <b> …, ?v …
                chain_here += 1
                chain = max(chain, chain_here)
        prev_operand = operand
    if service_at is not None:
        services.append(Service("error", "", len(text), len(declarations)))
    while levels:  # brackets left open count as closed at the end
        chain_here, deepest = _close(levels, chain_here, deepest)
        levels.pop()
    weight = chain_here + deepest
    return Analysis(form, first_keyword, empty, tuple(declarations), tuple(names), tuple(services),
                    depth, chain, -(-weight // 4), error)


def _close(levels: list[tuple[str, int, int, int, int]], chain: int, deepest: int
           ) -> tuple[int, int]:
    """The chain and costliest child of the enclosing level once its innermost bracket closes."""
    _, _, outer_chain, outer_deepest, unary = levels[-1]
    return outer_chain, max(outer_deepest, 4 + 4 * unary + chain + deepest)


def position(text: str, offset: int) -> tuple[int, int]:
    """The line and column (both from 1) of an offset into ``text``.

    >>> position("a\\nbc", 3)
    (2, 2)
    """
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def query_form(text: str) -> str:
    """The form of a SPARQL query: ``select``, ``construct``, ``describe`` or ``ask``.

    >>> query_form("# ASK in a comment\\nPREFIX a: <http://e/#x>\\nCONSTRUCT { ?s ?p ?o } WHERE {}")
    'construct'
    >>> query_form("select * { ?s ?p 'ask' }")
    'select'
    """
    return analyse(text).form or "select"


def unknown_prefix(text: str, prefixes: Mapping[str, str]) -> str | None:
    """A message naming the first prefixed name whose prefix is not declared, else None.

    A prefix counts from its declaration on (updates may declare one between operations), or
    when ``prefixes`` predeclares it.

    >>> print(unknown_prefix("SELECT * WHERE {\\n  ?s nope:x ?o }", {"rdf": "…"}))
    SPARQL syntax error at line 2, column 6: unknown prefix 'nope:' (declare it with PREFIX nope: <…>; ...
    """
    found = analyse(text)
    declared = set(prefixes)
    declarations = iter(found.declarations)
    upcoming = next(declarations, None)
    for offset, name in found.names:
        while upcoming is not None and upcoming[0] < offset:
            declared.add(upcoming[1])
            upcoming = next(declarations, None)
        if name in declared:
            continue
        line, column = position(text, offset)
        return (f"SPARQL syntax error at line {line}, column {column}: unknown prefix '{name}:' "
                f"(declare it with PREFIX {name}: <…>; predeclared: "
                f"{', '.join(sorted(prefixes)) or 'none'})")
    return None


def service_targets(text: str, prefixes: Mapping[str, str]) -> list[str]:
    """The target IRIs of every SERVICE clause of a query (``'?'`` for a variable), in order.

    Prefixed names are expanded with the query's declarations before the clause, else with
    ``prefixes``. Raises QuerySyntaxError when a target cannot be told (an undeclared prefix, no
    IRI or variable after SERVICE). A query without the keyword SERVICE costs one cached lookup.
    """
    found = analyse(text)
    out: list[str] = []
    for service in found.services:
        line, column = position(text, service.start)
        if service.kind == "var":
            out.append(VARIABLE_TARGET)
        elif service.kind == "iri":
            out.append(unescape_iri(service.text))
        elif service.kind == "pname":
            prefix, _, local = service.text.partition(":")
            namespaces = dict(prefixes)
            namespaces.update((p, iri) for _, p, iri in found.declarations[:service.declared])
            if prefix not in namespaces:
                raise QuerySyntaxError(
                    f"SPARQL syntax error at line {line}, column {column}: unknown prefix "
                    f"'{prefix}:' in the SERVICE target {service.text} (declare it with PREFIX "
                    f"{prefix}: <…>)")
            out.append(namespaces[prefix] + _ESCAPE.sub(_decode, local))
        else:
            raise QuerySyntaxError(f"SPARQL syntax error at line {line}, column {column}: SERVICE "
                                   "must be followed by the IRI of an endpoint (or SILENT and one)")
    return out


def nesting_error(text: str, limit: int) -> str | None:
    """A message when the query nests deeper than ``limit`` (setting max_query_depth), else None.

    Each (), {}, [] and unary operator is a level; each item of a sequence that the engine nests
    as a left-deep tree (binary operators, UNION, MINUS, OPTIONAL, FILTER, BIND, joined patterns,
    list items, the outermost expressions and terms: projection, DESCRIBE, ORDER BY, GROUP BY) is a
    quarter of one: what counts is the deepest path through both.

    >>> print(nesting_error("ASK { FILTER(((1))) }", 4))
    the query nests 5 levels deep, more than the limit of 4 (...
    >>> nesting_error("ASK { FILTER(1" + " || 1" * 3 + ") }", 3) is None  # 2 levels, 1 + 3 quarters
    True
    """
    found = analyse(text)
    if found.effective_depth <= limit:
        return None
    return (f"the query nests {found.effective_depth} levels deep, more than the limit of {limit} "
            "(setting max_query_depth, CITYGRAPH_MAX_QUERY_DEPTH): each (), {}, [] and unary "
            "operator is a level, each item of a sequence the engine nests (binary operators, UNION, "
            "MINUS, OPTIONAL, FILTER, BIND, joined patterns, list items, the expressions and terms "
            "of the projection, DESCRIBE, ORDER BY and GROUP BY) a quarter of one")


def check_text(text: str, max_depth: int | None) -> Analysis:
    """The analysis of a query's text; QuerySyntaxError when it holds no query, QueryTooDeep when
    it nests deeper than ``max_depth`` (None: not checked); both 400, before the engine runs.

    >>> check_text("# only a comment", 100)
    Traceback (most recent call last):
    ...
    citygraph.errors.QuerySyntaxError: missing query: the text holds only comments, PREFIX or BASE ...
    """
    found = analyse(text)
    if found.is_empty:
        raise QuerySyntaxError("missing query: the text holds only comments, PREFIX or BASE "
                               "declarations" if text.strip() else "missing query: the text is empty")
    message = None if max_depth is None else nesting_error(text, max_depth)
    if message is not None:
        raise QueryTooDeep(message)
    return found


def nested_services(text: str) -> list[bool]:
    """For each SERVICE clause of a query, in order, whether it lies inside another SERVICE's block
    (that endpoint, not this one, then runs it).

    >>> nested_services("SELECT * { SERVICE <http://a/> { SERVICE <http://b/> { ?s ?p ?o } } "
    ...                 "SERVICE <http://c/> {} }")
    [False, True, False]
    """
    out: list[bool] = []
    stack: list[bool] = []  # one per open '{': True when it opens a SERVICE block
    open_services = 0
    pending = False
    for token in tokens(text):
        if token.kind == "keyword" and token.text.upper() == "SERVICE":
            out.append(open_services > 0)
            pending = True
        elif token.kind == "punct" and token.text == "{":
            stack.append(pending)
            open_services += pending
            pending = False
        elif token.kind == "punct" and token.text == "}" and stack:
            open_services -= stack.pop()
    return out
