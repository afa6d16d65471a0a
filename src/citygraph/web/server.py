"""``citygraph serve``: the app behind waitress, a production WSGI server.

waitress reads every request (headers and body) in its event loop before a thread runs the app,
so a slow client holds a connection, never a thread. The settings that matter for a public
server: ``connection_limit`` (open connections, slow clients included; past it new clients
wait in the kernel's ``backlog``), ``channel_timeout`` (an idle connection is closed), and
``poll()`` instead of ``select()`` (which cannot watch more than 1024 file descriptors). The
soft limit of open files is raised (up to the hard limit) so that the connection limit can be
reached; in front of a public server, a reverse proxy bounds what each client may hold
(docs/deploy.md).
"""

from __future__ import annotations

from typing import Any, TextIO

from ..config import Settings
from ..errors import EXIT_OK, ConfigError

#: File descriptors kept for what is not a client connection: the listening socket, the
#: worker processes' pipes, the build's files, logs.
RESERVED_FILES = 128


def raise_open_files(wanted: int) -> int:
    """Raise this process's soft limit of open files to ``wanted`` (at most the hard limit);
    return the soft limit in force afterwards."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return wanted if soft == resource.RLIM_INFINITY else soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError):
        return soft
    return target


def waitress_options(settings: Settings, open_files: int) -> dict[str, Any]:
    """The waitress options for ``settings``, the connection limit kept within ``open_files``.

    >>> options = waitress_options(Settings(connection_limit=1000), 20000)
    >>> options["connection_limit"], options["asyncore_use_poll"]
    (1000, True)
    >>> waitress_options(Settings(connection_limit=1000), 1024)["connection_limit"]
    896
    """
    return {
        "host": settings.host, "port": settings.port, "threads": settings.threads,
        "ident": "citygraph",
        "connection_limit": max(1, min(settings.connection_limit, open_files - RESERVED_FILES)),
        "channel_timeout": settings.channel_timeout,
        "cleanup_interval": max(1, min(30, settings.channel_timeout // 2)),
        "backlog": settings.backlog,
        "asyncore_use_poll": True,  # select() fails past 1024 file descriptors
        # With trusted proxies, ProxyFix (in the app) reads X-Forwarded-For; waitress must pass
        # it on. Without, waitress drops every X-Forwarded-* header of a request.
        "clear_untrusted_proxy_headers": settings.trusted_proxies == 0,
    }


def serve(settings: Settings, out: TextIO) -> int:
    """Build if needed (saying so first), print the build's summary, then serve until interrupted.

    The socket is bound before "serving" is said: a port in use or a bad host is a clear
    error (exit 2), not a traceback after a "serving" line.
    """
    import gc

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
    # pyoxigraph's result objects may only be freed by the thread that made them: collect what
    # the build and the start-up left in reference cycles here, before request threads exist
    # (a request thread's collection would free them there and log an error).
    gc.collect()
    open_files = raise_open_files(settings.connection_limit + RESERVED_FILES)
    options = waitress_options(settings, open_files)
    try:
        server = waitress.server.create_server(app, **options)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {reason}") from None
    url = f"http://{settings.host}:{settings.port}/"
    out.write(f"citygraph serving {settings.dist_dir} on {url} (SPARQL endpoint {url}sparql)\n")
    if options["connection_limit"] < settings.connection_limit:
        out.write(f"connection_limit lowered to {options['connection_limit']}: this process may "
                  f"open only {open_files} files (raise the hard limit: ulimit -Hn)\n")
    out.flush()
    stop_on_signals()
    try:
        server.run()  # returns on Ctrl-C or SIGTERM (waitress takes the KeyboardInterrupt itself)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    out.write("citygraph stopped\n")
    out.flush()
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Stop serving, cleanly (the query workers are stopped too), on SIGTERM (what systemd and
    ``kill`` send) as on SIGINT (Ctrl-C), even when SIGINT came ignored from a shell that
    started the server in the background."""
    import signal

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
