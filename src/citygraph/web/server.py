"""``citygraph serve``: the app behind waitress, a production WSGI server."""

from __future__ import annotations

from typing import TextIO

from ..config import Settings
from ..errors import EXIT_OK


def serve(settings: Settings, out: TextIO) -> int:
    """Build if needed, then serve until interrupted."""
    import waitress

    from . import create_app

    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    out.write(f"citygraph serving {settings.dist_dir} on {url} (SPARQL endpoint {url}sparql)\n")
    out.flush()
    waitress.serve(app, host=settings.host, port=settings.port, threads=settings.threads,
                   ident="citygraph", clear_untrusted_proxy_headers=True)
    return EXIT_OK
