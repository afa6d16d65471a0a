"""``citygraph serve``: the app behind waitress, a production WSGI server."""

from __future__ import annotations

from typing import TextIO

from ..config import Settings
from ..errors import EXIT_OK, ConfigError


def serve(settings: Settings, out: TextIO) -> int:
    """Build if needed (saying so first), print the build's summary, then serve until interrupted.

    The socket is bound before "serving" is said: a port in use or a bad host is a clear
    error (exit 2), not a traceback after a "serving" line.
    """
    import waitress.server

    from ..pipeline import build, counts_line, stale_reason
    from ..publish import Manifest
    from . import create_app

    reason = stale_reason(settings)
    if reason is not None:  # say so before the build starts: it takes a while
        out.write(f"building {settings.dist_dir} first ({reason}) …\n")
        out.flush()
        out.write(build(settings).summary())
    else:
        m = Manifest.read(settings.dist_dir)
        out.write(f"build {settings.dist_dir} (version {m.version}, built {m.built}): "
                  f"{counts_line(m)}\n")
    out.flush()
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
