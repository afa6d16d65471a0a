"""``citygraph serve``: the app behind waitress, a production WSGI server."""

from __future__ import annotations

from typing import TextIO

from ..config import Settings
from ..errors import EXIT_OK, ConfigError


def serve(settings: Settings, out: TextIO) -> int:
    """Build if needed, then serve until interrupted.

    The socket is bound before anything is said: a port in use or a bad host is a clear
    error (exit 2), not a traceback after a "serving" line.
    """
    import waitress.server

    from . import create_app

    app = create_app(settings)
    try:
        server = waitress.server.create_server(
            app, host=settings.host, port=settings.port, threads=settings.threads,
            ident="citygraph", clear_untrusted_proxy_headers=True)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {reason}") from None
    url = f"http://{settings.host}:{settings.port}/"
    out.write(f"citygraph serving {settings.dist_dir} on {url} (SPARQL endpoint {url}sparql)\n")
    out.flush()
    try:
        server.run()
    finally:
        server.close()
    return EXIT_OK
