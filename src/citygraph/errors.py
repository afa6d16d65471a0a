"""Typed errors: each knows the HTTP status and the CLI exit code it stands for.

>>> e = DataSyntaxError("data/x.ttl", 3, "a dot is expected")
>>> (e.http_status, e.exit_code, str(e))
(400, 2, 'data/x.ttl, line 3: a dot is expected')
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NOT_CONFORMING = 1
EXIT_ERROR = 2


class CitygraphError(Exception):
    """Base class of every error citygraph reports to a user."""

    http_status = 500
    exit_code = EXIT_ERROR
    #: For a 503: whether the same request may succeed later (the answer says Retry-After).
    retry_later = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CitygraphError):
    """A setting has an invalid value."""

    http_status = 500


class MissingPathError(CitygraphError):
    """A file or directory the command needs does not exist."""

    http_status = 404

    def __init__(self, path: object, what: str = "path") -> None:
        super().__init__(f"{what} not found: {path}")
        self.path = path


class DataSyntaxError(CitygraphError):
    """A source file does not parse; names the file, line and what the parser expected."""

    http_status = 400

    def __init__(self, file: object, line: int | None, detail: str) -> None:
        where = f"{file}, line {line}" if line else f"{file}"
        super().__init__(f"{where}: {detail}")
        self.file = file
        self.line = line
        self.detail = detail


class ValidationFailed(CitygraphError):
    """The data does not conform to the shapes (SHACL violations)."""

    exit_code = EXIT_NOT_CONFORMING
    http_status = 422


class BuildNotFound(CitygraphError):
    """No build exists yet in dist/."""

    http_status = 503


class BadRequest(CitygraphError):
    """A request is malformed (HTTP 400)."""

    http_status = 400


class QuerySyntaxError(BadRequest):
    """A SPARQL query does not parse; carries the parser's message."""


class BadParameter(BadRequest):
    """A named-query parameter is missing or not of its declared type."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"parameter {name!r}: {detail}")
        self.name = name


class UpdateForbidden(CitygraphError):
    """SPARQL Update is refused: the endpoint is read-only."""

    http_status = 403


class ServiceForbidden(CitygraphError):
    """A federated query names a SERVICE endpoint that is not on the allowlist."""

    http_status = 403


class RemoteServiceError(CitygraphError):
    """An allowlisted SERVICE endpoint failed or could not be reached (HTTP 502)."""

    http_status = 502


class NotFound(CitygraphError):
    """The resource does not exist."""

    http_status = 404


class NotAcceptable(CitygraphError):
    """No representation matches the Accept header."""

    http_status = 406


class QueryTooLarge(CitygraphError):
    """The query text exceeds the configured size limit."""

    http_status = 413


class QueryTooExpensive(CitygraphError):
    """The query needed more memory than a query worker may use, and was stopped."""

    http_status = 503
    retry_later = False


class QueryTimeout(CitygraphError):
    """The query ran past its time limit and was stopped."""

    http_status = 503


class PublishError(CitygraphError):
    """Writing the build failed (disk full, permission denied, …); the previous build stays."""

    http_status = 500

    def __init__(self, path: object, reason: str, kept: object | None = None) -> None:
        after = (f"the previous build in {kept} is unchanged" if kept is not None
                 else "nothing was published")
        super().__init__(f"cannot write the build: {path}: {reason}; {after}")
        self.path = path
        self.reason = reason


class RateLimited(CitygraphError):
    """A client is past its query budget (concurrent queries or query-seconds per minute): 429.

    ``retry_after`` is the number of whole seconds until the budget is back (Retry-After).

    >>> e = RateLimited("too many queries at once", 3)
    >>> (e.http_status, e.retry_after)
    (429, 3)
    """

    http_status = 429
    retry_after = 1

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class QueryTooDeep(BadRequest):
    """A query nests deeper than the max_query_depth setting allows (HTTP 400)."""


class EngineCrashed(CitygraphError):
    """The query crashed the query engine (its worker process died, not of the memory cap)."""

    http_status = 503
    retry_later = False


class ExtractError(DataSyntaxError):
    """A Wikidata extract (crawl TSV, WDQS JSON result, RDF) cannot be read: file, line, what is wrong."""
