"""The web app: ``create_app(settings)`` with one blueprint per concern.

Blueprints: ``sparql`` (SPARQL 1.1 Protocol, service description), ``api`` (named queries,
OpenAPI), ``linked_data`` (dereferenceable IRIs, ontology documentation, dumps), ``catalog``
(DCAT-AP.de catalog, VoID), ``page`` (the query page and its assets) and ``ops`` (``/health``,
``/metrics``). Views stay thin: the logic lives in the stage functions, ``formats`` and ``store``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Settings
from ..errors import RateLimited
from .context import AppContext


def create_app(settings: Settings | None = None, test_config: dict[str, Any] | None = None,
               context: AppContext | None = None) -> Flask:
    """Make the Flask app serving the build of ``settings`` (built first if missing/stale)."""
    settings = settings or Settings.from_sources({})
    app = Flask(__name__)
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=settings.max_query_bytes * 4)
    if test_config:
        app.config.update(test_config)
    ctx = context or AppContext.open(settings)
    app.extensions["citygraph"] = ctx

    from . import api, catalog, common, linked_data, ops, page, reconcile, sparql, validation

    common.install(app)
    ops.install(app)

    @app.errorhandler(RateLimited)
    def rate_limited(exc: RateLimited) -> Response:
        response = common.plain(str(exc) + "\n", exc.http_status)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(page.bp)
    app.register_blueprint(validation.bp)
    app.register_blueprint(reconcile.bp)  # the Reconciliation Service API for OpenRefine
    app.register_blueprint(linked_data.bp)  # last: it answers the catch-all IRI paths
    hops = ctx.settings.trusted_proxies
    if hops:  # the client is the address the outermost trusted proxy saw, not the proxy's own;
        # the scheme is the one it was reached by (https behind a TLS proxy)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
