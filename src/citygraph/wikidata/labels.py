"""The WDQS label service, answered over citygraph's own labels by rewriting the query's text.

``SERVICE wikibase:label { bd:serviceParam wikibase:language "de,en". }`` is how every query
copied from the Wikidata Query Service asks for names. Here it is never called out to: before the
engine sees the query, :func:`rewrite_labels` replaces the block with plain SPARQL that finds the
labels in the graph, in one linear pass over the tokens of :mod:`citygraph.sparqltext`.

As on WDQS:

- automatic mode: every variable ``?NAMELabel``, ``?NAMEAltLabel`` or ``?NAMEDescription`` that the
  query projects or uses (ORDER BY, FILTER, …) without binding it, for a variable ``?NAME`` of the
  query, gets the label (rdfs:label, skos:prefLabel, schema:name), the aliases joined by ", "
  (skos:altLabel, schema:alternateName) or the description (schema:description, rdfs:comment,
  skos:definition) of ``?NAME``; ``SELECT *`` adds none of them (WDQS looks at the projection),
  only those the query uses;
- manual mode: ``?x rdfs:label ?name``, ``?x schema:description ?d``, ``?x skos:altLabel ?a`` inside
  the block bind exactly those variables;
- the languages are tried in order (``[AUTO_LANGUAGE]`` is the request's Accept-Language), then a
  name without a language tag; a label that is found nowhere is the entity's QID (the local name of
  any other IRI); a description or alias that is found nowhere stays unbound;
- the labels of a ``wd:`` entity are its own (a Wikidata-shaped view may state them) and those of
  the citygraph entity linked to it by ``cg:wikidataEntity``;
- the bindings are made at the end of the query's WHERE group, wherever the block stands in it
  (WDQS runs the service last); a VALUES clause after the WHERE group is, as on WDQS, the query's
  initial rows (moved to the start of the group), unless the query groups or aggregates.

A label service inside another SERVICE block is left for that endpoint (the allowlist still decides
whether it may be called); inside a subquery, or in a shape not listed above, it is a 400.

>>> from citygraph.vocab import PREFIXES
>>> r = rewrite_labels('SELECT ?c ?cLabel { VALUES ?c { wd:Q1295 } '
...                    'SERVICE wikibase:label { bd:serviceParam wikibase:language "de". } }', PREFIXES)
>>> r.rewritten, r.auto_language, r.languages, "wikiba.se" in r.text
(True, False, ('de',), False)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import QuerySyntaxError
from ..sparqltext import Token, analyse, position, tokens, unescape_iri, unknown_prefix
from .hints import strip_hints

#: The IRI of the label service (``wikibase:label``).
LABEL_SERVICE = "http://wikiba.se/ontology#label"
SERVICE_PARAM = "http://www.bigdata.com/rdf#serviceParam"
LANGUAGE_PARAM = "http://wikiba.se/ontology#language"
#: The placeholder for the request's languages.
AUTO_LANGUAGE = "[AUTO_LANGUAGE]"
#: How many languages one request may try (Accept-Language can be long).
MAX_LANGUAGES = 12
#: Label variables one query may ask for: each adds a join per language, so more would turn a few
#: kilobytes of query into one that holds a worker to the time limit.
MAX_LABEL_VARIABLES = 40

_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SCHEMAS = ("https://schema.org/", "http://schema.org/")
_LINK = "https://w3id.org/citygraph/ontology#wikidataEntity"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: Where no value at all binds a key (an unbound ``?NAME``): a node no triple has.
_UNBOUND = "urn:x-citygraph:label-service:unbound"

#: Properties of each kind, in our data and in Wikidata's RDF.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "label": (_RDFS + "label", _SKOS + "prefLabel", *(s + "name" for s in _SCHEMAS)),
    "description": (*(s + "description" for s in _SCHEMAS), _RDFS + "comment", _SKOS + "definition"),
    "alt": (_SKOS + "altLabel", *(s + "alternateName" for s in _SCHEMAS)),
}
#: The predicates of manual mode, and the kind each asks for.
MANUAL: dict[str, str] = {_RDFS + "label": "label", _SKOS + "altLabel": "alt",
                          **{s + "description": "description" for s in _SCHEMAS}}
#: Variable-name suffixes of automatic mode (AltLabel before Label: it ends with it).
SUFFIXES = (("AltLabel", "alt"), ("Label", "label"), ("Description", "description"))

_NOT_NEWLINE = re.compile(r"[^\n]")
#: A position in a message of the engine: as :mod:`citygraph.executor` spells it, or as the engine does.
_LINE_COLUMN = re.compile(r"line (\d+), column (\d+)|error at (\d+):(\d+)")
#: A piece of a rewritten text: its start, its start in the original, its length, whether it is kept.
_Piece = tuple[int, int, int, bool]
#: The aggregate functions: a query that uses one groups its rows.
_AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})
#: A language code as the label service takes it (lower case).
LANGUAGE_CODE = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*")


@dataclass(frozen=True)
class Rewrite:
    """A query's text once its label service is rewritten, and what the rewrite depended on."""

    text: str
    #: True when the text was changed (it held a label service that this endpoint answers).
    rewritten: bool = False
    #: True when ``[AUTO_LANGUAGE]`` was used: the text depends on the request's languages.
    auto_language: bool = False
    #: The languages tried, in order.
    languages: tuple[str, ...] = ()
    #: Where each piece of the text comes from: (start in ``text``, start in the original, length,
    #: True when it is the original's text or a same-length blank of it); what the rewrite added
    #: points to the place it was added at.
    pieces: tuple[_Piece, ...] = ()
    original: str = ""

    def restore_positions(self, message: str) -> str:
        """An engine message on the rewritten text, its ``line L, column C`` the user's own."""
        if not self.rewritten:
            return message

        def back(match: re.Match[str]) -> str:
            if match.group(1) is not None:
                line, column = self.original_position(int(match.group(1)), int(match.group(2)))
                return f"line {line}, column {column}"
            line, column = self.original_position(int(match.group(3)), int(match.group(4)))
            return f"error at {line}:{column}"

        return _LINE_COLUMN.sub(back, message)

    def original_position(self, line: int, column: int) -> tuple[int, int]:
        """The line and column in the original query of a line and column in the rewritten one."""
        lines = self.text.split("\n")
        line = min(max(line, 1), len(lines))
        offset = sum(len(x) + 1 for x in lines[:line - 1]) + max(column - 1, 0)
        for start, origin, length, kept in self.pieces:
            if start <= offset < start + length or (offset == start + length and kept):
                return position(self.original, origin + (offset - start if kept else 0))
        return position(self.original, len(self.original))


@dataclass
class _Frame:
    """An open ``{``: what it is, where its tokens start, and the variables it binds."""

    kind: str  # 'group', 'subquery', 'remote' (another SERVICE), 'label', 'excluded', 'template'
    index: int


@dataclass
class _Block:
    """A label-service block found in the query: token span and the enclosing group's ``{``."""

    service: int  # index of the SERVICE token
    open: int  # index of its '{'
    close: int = -1  # index of its '}'
    group: int = -1  # index of the '{' of the group that holds it
    group_close: int = -1
    tail: int = -1  # index of the last token removed with it (a '.' after it)


@dataclass
class _Scan:
    """What one pass over the tokens found."""

    toks: list[Token]
    blocks: list[_Block] = field(default_factory=list)
    #: Every variable name used outside label blocks, and those bound by a pattern, BIND, VALUES or AS.
    used: dict[str, None] = field(default_factory=dict)
    bound: dict[str, None] = field(default_factory=dict)
    #: Variables in scope of the outermost query, in order (for SELECT *).
    scope: dict[str, None] = field(default_factory=dict)
    #: Index of the '*' of an outermost ``SELECT *``, else -1.
    star: int = -1
    #: Token span (VALUES .. its closing '}') of a VALUES clause after the WHERE group, else -1.
    trailing_values: int = -1
    trailing_end: int = -1
    #: True when the outermost query groups or aggregates (GROUP BY, HAVING, an aggregate).
    aggregated: bool = False


def parse_accept_language(header: str | None) -> list[str]:
    """The language codes of an Accept-Language header, best first (a region's language after it).

    >>> parse_accept_language("de-CH, fr;q=0.8, en;q=0.9, *;q=0.1")
    ['de-ch', 'de', 'en', 'fr']
    >>> parse_accept_language(None)
    []
    """
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for number, part in enumerate(header.split(",")):
        code, _, params = part.strip().partition(";")
        code = code.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if quality > 0 and LANGUAGE_CODE.fullmatch(code):
            weighted.append((-quality, number, code))
    out: list[str] = []
    for _, _, code in sorted(weighted):
        for candidate in (code, code.split("-")[0]):
            if candidate not in out:
                out.append(candidate)
    return out


def has_label_service(text: str, prefixes: Mapping[str, str]) -> bool:
    """True when some SERVICE clause of the query names the label service (cheap without SERVICE)."""
    found = analyse(text)
    if not found.services:
        return False
    return any(_service_iri(s.kind, s.text, prefixes, found.declarations[:s.declared]) == LABEL_SERVICE
               for s in found.services)


def rewrite_labels(text: str, prefixes: Mapping[str, str],
                   auto_languages: Sequence[str] = ("en",)) -> Rewrite:
    """The query with its label service rewritten into plain SPARQL (unchanged when it has none),
    and Blazegraph's query hints blanked out (:mod:`citygraph.wikidata.hints`).

    ``auto_languages``: what ``[AUTO_LANGUAGE]`` stands for (the request's languages; English when
    the request names none). Raises QuerySyntaxError (400) for a label service this rewrite cannot
    answer: inside a subquery, more than one, no language, or a triple it does not know.
    """
    text = strip_hints(text, prefixes)  # Blazegraph's hints: blanks of the same length
    if not has_label_service(text, prefixes):
        return Rewrite(text)
    undeclared = unknown_prefix(text, prefixes)  # named where the user wrote it
    if undeclared is not None:
        raise QuerySyntaxError(undeclared)
    found = analyse(text)
    namespaces = dict(prefixes)
    namespaces.update((p, iri) for _, p, iri in found.declarations)
    scan = _scan(text, namespaces)
    if not scan.blocks:  # only inside other SERVICE blocks: theirs to answer
        return Rewrite(text)
    if len(scan.blocks) > 1:
        raise _error(text, scan.toks[scan.blocks[1].service],
                     "only one SERVICE wikibase:label per query is supported")
    block = scan.blocks[0]
    languages, auto, manual = _read_block(text, scan, block, namespaces,
                                          list(auto_languages) or ["en"])
    requests: list[tuple[str, str, str]] = []  # (subject term, kind, output variable)
    if manual:
        requests = manual
        seen: set[str] = set()
        for term, _, output in manual:
            if output[1:] in scan.bound or output == term or output in seen:
                raise _error(text, scan.toks[block.service], f"{output} is bound twice: the label "
                             "service binds new variables, each once (not one the query binds, nor "
                             "the entity's own)")
            seen.add(output)
    else:
        for name in scan.used:
            if name in scan.bound:
                continue
            for suffix, kind in SUFFIXES:
                base = name[:-len(suffix)]
                if name.endswith(suffix) and base and (base in scan.used or base in scan.bound):
                    requests.append(("?" + base, kind, "?" + name))
                    break
    if len(requests) > MAX_LABEL_VARIABLES:
        raise _error(text, scan.toks[block.service],
                     f"the label service is asked for {len(requests)} labels, descriptions and "
                     f"alternative labels; at most {MAX_LABEL_VARIABLES} are answered in one query")
    taken = set(scan.used) | set(scan.bound)
    code = _generate(requests, languages, taken)
    toks = scan.toks
    start = toks[block.service].start
    end = toks[block.tail].start + len(toks[block.tail].text)
    insert_at = toks[block.group_close].start
    # The block becomes blanks (its newlines kept) and the code goes on the line of the group's
    # closing brace; the engine's errors are mapped back to the user's lines and columns.
    edits: list[tuple[int, int, str]] = [(start, end, _NOT_NEWLINE.sub(" ", text[start:end]))]
    if scan.trailing_values >= 0 and scan.trailing_end == len(scan.toks) - 1 and not scan.aggregated:
        # WDQS (Blazegraph) takes a VALUES clause after the WHERE group as the query's initial
        # rows: moved to the start of the group, the entities it binds get their labels, and the
        # group's patterns, OPTIONALs and FILTERs see its variables, as there.
        v_start = toks[scan.trailing_values].start
        v_end = toks[scan.trailing_end].start + 1
        group_open = toks[block.group].start + 1
        edits += [(group_open, group_open, f" {text[v_start:v_end]} "),
                  (insert_at, insert_at, f" {code} "),
                  (v_start, v_end, _NOT_NEWLINE.sub(" ", text[v_start:v_end]))]
    else:
        edits.append((insert_at, insert_at, f" {code} "))
    if scan.star >= 0 and requests:
        outputs = [out for _, _, out in requests]
        # The engine lists the variables of * sorted by name: so does the expansion, which leaves
        # out the rewrite's own variables.
        names = sorted({*("?" + v for v in scan.scope), *outputs})
        star = toks[scan.star].start
        edits.append((star, star + 1, " ".join(names or ["*"])))
    rewritten, pieces = _apply(text, sorted(edits, key=lambda e: (e[0], e[1])))
    return Rewrite(rewritten, True, auto, tuple(languages), pieces, text)


def _apply(text: str, edits: Sequence[tuple[int, int, str]]) -> tuple[str, tuple[_Piece, ...]]:
    """``text`` with non-overlapping edits (start, end, replacement) applied, and where each piece
    of the result comes from (see :attr:`Rewrite.pieces`)."""
    out: list[str] = []
    pieces: list[_Piece] = []
    at = 0  # in text
    length = 0  # of the result so far

    def piece(value: str, origin: int, kept: bool) -> None:
        nonlocal length
        if value:
            out.append(value)
            pieces.append((length, origin, len(value), kept))
            length += len(value)

    for begin, finish, replacement in edits:
        piece(text[at:begin], at, True)
        piece(replacement, begin, len(replacement) == finish - begin)
        at = finish
    piece(text[at:], at, True)
    return "".join(out), tuple(pieces)


def _service_iri(kind: str, value: str, prefixes: Mapping[str, str],
                 declarations: Sequence[tuple[int, str, str]]) -> str | None:
    """The IRI a SERVICE target token names, or None (a variable, an unknown prefix)."""
    if kind == "iri":
        return unescape_iri(value)
    if kind == "pname":
        namespaces = dict(prefixes)
        namespaces.update((p, iri) for _, p, iri in declarations)
        prefix, _, local = value.partition(":")
        if prefix in namespaces:
            return namespaces[prefix] + local
    return None


def _resolve(token: Token, namespaces: Mapping[str, str]) -> str | None:
    """The IRI of an IRI or prefixed-name token (None for another token or an unknown prefix)."""
    if token.kind == "iri":
        return unescape_iri(token.text)
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in namespaces:
            return namespaces[prefix] + local.replace("\\", "")
    if token.kind == "keyword" and token.text == "a":
        return "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    return None


def _error(text: str, token: Token, message: str) -> QuerySyntaxError:
    line, column = position(text, token.start)
    return QuerySyntaxError(f"SPARQL label service at line {line}, column {column}: {message}")


def _scan(text: str, namespaces: Mapping[str, str]) -> _Scan:
    """One pass over the tokens: the label blocks, the groups that hold them, and the variables."""
    toks = list(tokens(text))
    scan = _Scan(toks)
    frames: list[_Frame] = []
    open_kinds: Counter[str] = Counter()  # how many frames of each kind are open (no list scans)
    group_frame: list[int] = []  # indexes (into frames) of the open 'group'/'excluded' frames
    pending: str | None = None  # the kind of '{' a SERVICE just named: 'label' or 'remote'
    after_exists = False
    parens = 0  # open '(' inside the current braces
    paren_stack: list[tuple[int, int | None]] = []
    filter_depth: int | None = None  # the paren depth at which a FILTER's expression started
    values_header = False
    projection = False  # between the outermost SELECT and its WHERE / '{'
    outer_select_seen = False
    open_blocks: dict[int, _Block] = {}  # frame index of a label '{' -> its block
    in_label = 0
    n = len(toks)
    for i, tok in enumerate(toks):
        kind, value = tok.kind, tok.text
        upper = value.upper() if kind == "keyword" else ""
        if kind == "keyword" and upper == "SERVICE":
            target = i + 1
            if target < n and toks[target].kind == "keyword" and toks[target].text.upper() == "SILENT":
                target += 1
            iri = _resolve(toks[target], namespaces) if target < n else None
            pending = "label" if iri == LABEL_SERVICE else "remote"
            if pending == "label":
                if open_kinds["remote"] or open_kinds["label"]:
                    pending = "remote-label"  # the remote endpoint's to answer
                elif scan.blocks:
                    raise _error(text, tok, "only one SERVICE wikibase:label per query is supported")
                elif open_kinds["subquery"]:
                    raise _error(text, tok, "SERVICE wikibase:label inside a subquery is not "
                                 "supported here: move it to the outermost query")
                elif not group_frame:
                    raise _error(text, tok, "SERVICE wikibase:label must stand in a group { … }")
                else:
                    # Bound at the end of the WHERE group, whatever group holds the block (WDQS
                    # runs the service last): an OPTIONAL's or UNION branch's group would not
                    # see the entity variables bound outside it.
                    scan.blocks.append(_Block(i, -1, group=frames[group_frame[0]].index))
            continue
        if kind == "punct" and value == "{":
            if pending == "label":
                frame_kind = "label"
                scan.blocks[-1].open = i
                open_blocks[len(frames)] = scan.blocks[-1]
                in_label += 1
            elif pending in ("remote", "remote-label"):
                frame_kind = "remote"
            elif i + 1 < n and toks[i + 1].kind == "keyword" and toks[i + 1].text.upper() == "SELECT":
                frame_kind = "subquery"
            elif after_exists:
                frame_kind = "excluded"
            elif not frames and i and toks[i - 1].text.upper() == "CONSTRUCT" \
                    and toks[i - 1].kind == "keyword":
                frame_kind = "template"  # uses its variables, binds none
            else:
                frame_kind = "group"
            if projection:
                projection = False
            if frame_kind in ("group", "excluded"):
                group_frame.append(len(frames))
            open_kinds[frame_kind] += 1
            frames.append(_Frame(frame_kind, i))
            paren_stack.append((parens, filter_depth))
            parens, filter_depth = 0, None
            pending = None
            after_exists = False
            values_header = False
            continue
        if kind == "punct" and value == "}":
            if frames:
                frame = frames.pop()
                open_kinds[frame.kind] -= 1
                if group_frame and group_frame[-1] == len(frames):
                    group_frame.pop()
                parens, filter_depth = paren_stack.pop()
                if filter_depth is not None and parens == filter_depth:
                    filter_depth = None  # FILTER [NOT] EXISTS { … } ends with its group
                block = open_blocks.pop(len(frames), None)
                if block is not None:
                    in_label -= 1
                    block.close = i
                    block.tail = i + 1 if i + 1 < n and toks[i + 1].text == "." else i
                for b in scan.blocks:
                    if b.group == frame.index and b.group_close < 0:
                        b.group_close = i
                if not frames and scan.trailing_values >= 0 and scan.trailing_end < 0:
                    scan.trailing_end = i
            continue
        if in_label:
            continue
        if kind == "keyword":
            if upper in ("EXISTS", "MINUS"):
                after_exists = True
            if upper == "SELECT" and not frames and not outer_select_seen:
                outer_select_seen = True
                projection = True
            if upper == "WHERE":
                projection = False
            if upper == "FILTER" and filter_depth is None:
                filter_depth = parens
            if upper == "VALUES":
                values_header = True
                if not frames and scan.blocks and scan.blocks[0].group_close >= 0:
                    scan.trailing_values = i
            if (projection and upper in _AGGREGATES) or (not frames and upper in ("GROUP", "HAVING")):
                scan.aggregated = True
        if kind == "punct" and value == "(":
            parens += 1
        elif kind == "punct" and value == ")":
            parens -= 1
            if filter_depth is not None and parens <= filter_depth:
                filter_depth = None
        elif projection and kind == "punct" and value == "*" and parens == 0:
            scan.star = i
        if kind != "var":
            continue
        name = value[1:]
        scan.used.setdefault(name)
        prev = toks[i - 1] if i else None
        after_as = prev is not None and prev.kind == "keyword" and prev.text.upper() == "AS"
        trailing = scan.trailing_values >= 0 and values_header and not frames
        binding = trailing or after_as or bool(frames and filter_depth is None
                                               and not open_kinds["template"]
                                               and (parens == 0 or values_header))
        if not binding:
            continue
        scan.bound.setdefault(name)
        if open_kinds["excluded"]:
            continue
        if open_kinds["subquery"] and (open_kinds["subquery"] > 1 or frames[-1].kind != "subquery"):
            continue  # inside a subquery's WHERE: not in the outer scope
        scan.scope.setdefault(name)
    for b in scan.blocks:
        if b.close < 0 or b.group_close < 0:
            raise _error(text, toks[b.service], "the SERVICE wikibase:label block is not closed")
    return scan


def _read_block(text: str, scan: _Scan, block: _Block, namespaces: Mapping[str, str],
                auto_languages: list[str]) -> tuple[list[str], bool, list[tuple[str, str, str]]]:
    """The languages, whether [AUTO_LANGUAGE] was used, and the manual-mode triples of a block."""
    toks = scan.toks[block.open + 1:block.close]
    languages: list[str] = []
    auto = False
    manual: list[tuple[str, str, str]] = []
    i = 0
    subject: Token | None = None
    predicate: Token | None = None
    state = "subject"
    while i < len(toks):
        tok = toks[i]
        if state == "subject":
            if tok.text == ".":
                i += 1
                continue
            if tok.kind not in ("var", "iri", "pname"):
                raise _error(text, tok, f"unexpected {tok.text!r}: the block holds "
                             "bd:serviceParam wikibase:language \"…\" and ?x rdfs:label ?name triples")
            subject, state = tok, "predicate"
        elif state == "predicate":
            if tok.kind not in ("iri", "pname", "keyword"):
                raise _error(text, tok, f"unexpected {tok.text!r} where a predicate belongs")
            predicate, state = tok, "object"
        elif state == "object":
            assert subject is not None and predicate is not None
            subject_iri = _resolve(subject, namespaces)
            predicate_iri = _resolve(predicate, namespaces)
            if subject_iri == SERVICE_PARAM:
                if predicate_iri != LANGUAGE_PARAM:
                    raise _error(text, predicate, f"unknown parameter {predicate.text}: the label "
                                 "service here takes wikibase:language \"…\"")
                if tok.kind != "string":
                    raise _error(text, tok, "wikibase:language takes a string such as \"de,en\"")
                raw = tok.text[3:-3] if tok.text[:3] in ('"""', "'''") else tok.text[1:-1]
                for part in raw.split(","):
                    code = part.strip()
                    if code.upper() == AUTO_LANGUAGE:
                        auto = True
                        codes = auto_languages
                    else:
                        codes = [code.lower()]
                    for c in codes:
                        if not LANGUAGE_CODE.fullmatch(c):
                            raise _error(text, tok, f"{part.strip()!r} is not a language code "
                                         "(such as de, en, pt-br or [AUTO_LANGUAGE])")
                        if c not in languages:
                            languages.append(c)
            else:
                kind = MANUAL.get(predicate_iri or "")
                if kind is None:
                    raise _error(text, predicate, f"{predicate.text} is not answered by the label "
                                 "service: use rdfs:label, schema:description or skos:altLabel")
                if subject.kind == "var" or subject_iri is not None:
                    term = subject.text if subject.kind == "var" else f"<{subject_iri}>"
                else:
                    raise _error(text, subject, f"unknown prefix in {subject.text}")
                if tok.kind != "var":
                    raise _error(text, tok, f"{predicate.text} in the label service binds a "
                                 f"variable, not {tok.text}")
                manual.append((term, kind, tok.text))
            state = "after"
        elif state == "after":
            if tok.text == ".":
                state = "subject"
            elif tok.text == ";":
                state = "predicate"
            elif tok.text == ",":
                state = "object"
                i += 1
                continue
            else:
                raise _error(text, tok, f"unexpected {tok.text!r}: end a triple with '.'")
        i += 1
    if state in ("predicate", "object"):
        raise _error(text, scan.toks[block.close], "the last triple of the block is incomplete")
    if not languages:
        raise _error(text, scan.toks[block.service], "name the languages: "
                     "bd:serviceParam wikibase:language \"de,en\" (or \"[AUTO_LANGUAGE]\")")
    return languages[:MAX_LANGUAGES], auto, manual


def _path(kind: str) -> str:
    """The property path from an entity (ours or a wd: one) to its values of one kind."""
    props = "|".join(f"<{p}>" for p in PROPERTIES[kind])
    return f"({props}|^<{_LINK}>/({props}))"


def _test(variable: str, language: str) -> str:
    """The filter that keeps a value in ``language`` ('': a string without a language tag)."""
    if language:
        return f'LCASE(LANG({variable})) = "{language}"'
    return (f'isLITERAL({variable}) && LANG({variable}) = "" '
            f"&& DATATYPE({variable}) = <{_XSD_STRING}>")


def _generate(requests: Sequence[tuple[str, str, str]], languages: Sequence[str],
              taken: set[str]) -> str:
    """The plain SPARQL that binds each requested variable (subject term, kind, output)."""
    counter = 0

    def fresh(stem: str) -> str:
        nonlocal counter
        while True:
            name = f"wdlabel_{stem}{counter}"
            counter += 1
            if name not in taken:
                return "?" + name

    keys: dict[str, str] = {}
    out: list[str] = []
    for term, kind, output in requests:
        key = keys.get(term)
        if key is None:
            key = keys[term] = fresh("k")
            value = f"COALESCE({term}, <{_UNBOUND}>)" if term.startswith("?") else term
            out.append(f"BIND({value} AS {key})")
        path = _path(kind)
        found: list[str] = []
        for language in [*languages, ""]:
            helper = fresh("v")
            if kind == "alt":  # every alias of the language, joined: an aggregate, so a subquery
                out.append(f"OPTIONAL {{ SELECT {key} (GROUP_CONCAT(DISTINCT STR(?wdlabel_x); "
                           f'separator=", ") AS {helper}) WHERE {{ {key} {path} ?wdlabel_x '
                           f"FILTER({_test('?wdlabel_x', language)}) }} GROUP BY {key} }}")
                found.append(f'STRLANG({helper}, "{language}")' if language else helper)
                continue
            # One value per entity and language, for the entity of each row only (a left join the
            # engine runs row by row): the least of them, so two never make two rows. A ZeroOrOne
            # path has set semantics: a label stated twice (on the wd: IRI and through the link)
            # is one match.
            out.append(f"OPTIONAL {{ {key} {path}? {helper} FILTER({_test(helper, language)}) "
                       f"FILTER NOT EXISTS {{ {key} {path}? ?wdlabel_w "
                       f"FILTER({_test('?wdlabel_w', language)} && STR(?wdlabel_w) < STR({helper})) }} }}")
            found.append(helper)
        if kind == "label":
            found.append(f'IF(isIRI({term}), REPLACE(STR({term}), "^.*[/#]", ""), '
                         f"IF(isLITERAL({term}), {term}, ?wdlabel_none))")
        out.append(f"BIND(COALESCE({', '.join(found)}) AS {output})")
    return " ".join(out)
