"""Cross-cutting web behaviour: the one error handler, CORS, gzip, caching headers, and the
absolute URLs a response may write (under the ``public_url`` setting, or else the request's Host).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request, url_for
from flask_compress import Compress
from flask_cors import CORS
from werkzeug.exceptions import HTTPException
from werkzeug.http import quote_etag

from ..errors import CitygraphError
from ..formats import Format
from .context import ctx

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/tab-separated-values", "text/turtle",
    "application/javascript", "text/javascript", "application/json", "application/ld+json",
    "application/n-triples", "application/n-quads", "application/trig", "application/rdf+xml",
    "application/sparql-results+json", "application/sparql-results+xml", "image/svg+xml",
]

#: Request headers that can make an answer conditional (304, 412) or partial (Range).
CONDITIONAL_HEADERS = ("If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since",
                       "Range", "If-Range")

#: The same as WSGI environ keys (looked up directly: cheaper than the request's header view).
CONDITIONAL_KEYS = tuple("HTTP_" + name.upper().replace("-", "_") for name in CONDITIONAL_HEADERS)

#: What every cached answer varies by.
VARY = "Accept, Accept-Encoding"


def install(app: Flask) -> None:
    """Install error handling, CORS and compression on ``app``."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip", "deflate"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    CORS(app, resources={r"/*": {"origins": "*"}}, send_wildcard=True,
         methods=["GET", "HEAD", "POST", "OPTIONS"], expose_headers=[
        "ETag", "Content-Disposition", "X-Citygraph-Truncated", "X-Citygraph-Rows",
        "X-Citygraph-Version"])

    @app.errorhandler(CitygraphError)
    def citygraph_error(exc: CitygraphError) -> Response:
        response = plain(str(exc) + "\n", exc.http_status)
        if exc.http_status == 503 and exc.retry_later:  # a timeout or a busy server
            response.headers["Retry-After"] = str(max(1, round(ctx().settings.query_timeout)))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 404 and request.accept_mimetypes.quality("text/html") > 0 and \
                "text/html" in request.headers.get("Accept", ""):
            html = render_template("not_found.html", path=request.path)
            return Response(html, status=404, content_type="text/html; charset=utf-8")
        response = plain(f"{status} {exc.name}: {exc.description}\n", status)
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response


def plain(text: str, status: int = 200) -> Response:
    """A text/plain response (errors carry the parser's message this way)."""
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def cached(response: Response, variant: str = "", weak: bool = False) -> Response:
    """Add ETag (dataset version + variant) and Cache-Control; answer 304 when it matches.

    ``weak``: the tag vouches for the meaning, not the bytes (a query answer may come with other
    blank-node labels or prefix order each time); If-None-Match compares weakly either way.
    """
    app_ctx = ctx()
    tag = app_ctx.version + (f"-{variant}" if variant else "")
    headers = response.headers
    # Written as whole header values when the response has none yet: werkzeug's Cache-Control
    # and Vary objects re-serialise the header (and rescan every header) on each change.
    headers["ETag"] = quote_etag(tag, weak)
    if "Cache-Control" in headers:
        response.cache_control.public = True
        response.cache_control.max_age = app_ctx.settings.cache_seconds
    else:
        headers["Cache-Control"] = f"public, max-age={app_ctx.settings.cache_seconds}"
    headers["X-Citygraph-Version"] = app_ctx.version
    if "Vary" in headers:
        response.vary.update(("Accept", "Accept-Encoding"))
    else:
        headers["Vary"] = VARY
    environ = request.environ
    if any(key in environ for key in CONDITIONAL_KEYS):
        response.make_conditional(request)  # in place: a 304 (or 412) when a tag matches
    return response


def unchanged(variant: str) -> Response | None:
    """A 304 when a GET/HEAD request's If-None-Match already names this answer, else None.

    Lets a query view answer a revalidation before it runs the query.
    """
    if "HTTP_IF_NONE_MATCH" not in request.environ or request.method not in ("GET", "HEAD") \
            or not request.if_none_match:
        return None
    response = cached(Response(status=200), variant, weak=True)
    return response if response.status_code == 304 else None


def negotiated(body: bytes | str, fmt: Format, *, status: int = 200, variant: str | None = None,
               cache: bool = True, weak: bool = False) -> Response:
    """A response in ``fmt`` (Content-Type with charset), cached by dataset version."""
    response = Response(body, status=status, content_type=fmt.content_type)
    if cache and status == 200:
        return cached(response, variant if variant is not None else fmt.name, weak=weak)
    return response


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of a route: under the ``public_url`` setting when it is set, else
    built from the request's scheme and Host (then mark the response :func:`host_dependent`)."""
    path = url_for(endpoint, **values)
    public = ctx().settings.public_url
    if not public:
        return request.host_url.rstrip("/") + path
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return public + path.lstrip("/")


def redirect_location(endpoint: str, **values: Any) -> str:
    """Where a redirect to a route points: the public URL when set, else a relative reference
    (resolved by the client against the URL it asked for, whatever Host it used)."""
    if ctx().settings.public_url:
        return external_url(endpoint, **values)
    return url_for(endpoint, **values)


def host_dependent(response: Response) -> Response:
    """Mark a response whose body was written with the request's Host (no ``public_url``): it
    varies by Host, and shared caches must not keep it (a forged Host could poison them)."""
    if ctx().settings.public_url:
        return response
    response.vary.add("Host")
    response.cache_control.public = False
    response.cache_control.private = True
    return response
