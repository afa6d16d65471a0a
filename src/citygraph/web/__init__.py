"""The web app: ``create_app(settings)`` with one blueprint per concern.

Blueprints: ``sparql`` (SPARQL 1.1 Protocol, service description), ``api`` (named queries,
OpenAPI), ``linked_data`` (dereferenceable IRIs, ontology documentation, dumps), ``catalog``
(DCAT-AP.de catalog, VoID), ``page`` (the query page and its assets) and ``ops`` (``/health``,
``/metrics``). Views stay thin: the logic lives in the stage functions, ``formats`` and ``store``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..config import Settings
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

    from . import api, catalog, common, linked_data, ops, page, sparql

    common.install(app)
    ops.install(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(page.bp)
    app.register_blueprint(linked_data.bp)  # last: it answers the catch-all IRI paths
    return app
