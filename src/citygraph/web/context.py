"""What every request needs: settings, the build's manifest, the query executor, the queries."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from flask import current_app, has_request_context, request

from ..config import Settings
from ..errors import MissingPathError, QueryTimeout
from ..executor import Executor, Worker
from ..formats import Answer, Format
from ..pipeline import build, is_stale
from ..publish import Manifest
from ..queries import NamedQuery, load_catalogue
from ..scheduler import Scheduler, Ticket, client_key
from ..store import EmbeddedStore

#: The scheduler ticket of the user query this thread runs (told when it gets a worker).
_TICKET = threading.local()


class UserPool(Executor):
    """The pool for user queries: a query is charged to its client from the moment it holds a
    worker, not while it waits for one."""

    def _acquire(self, deadline: float) -> Worker:
        worker = super()._acquire(deadline)
        ticket: Ticket | None = getattr(_TICKET, "ticket", None)
        if ticket is not None:
            ticket.start()
        return worker


def client_id() -> str | None:
    """The client of the current request (its address after ProxyFix; for IPv6 its /64), or
    None outside a request."""
    if not has_request_context():
        return None
    return client_key(request.remote_addr or "unknown")


@dataclass
class AppContext:
    """The per-app state: one build, one store (or executor), one named-query catalogue."""

    settings: Settings
    manifest: Manifest
    store: EmbeddedStore
    queries: dict[str, NamedQuery]
    executor: Executor | None = field(default=None, repr=False, compare=False)
    internal: Executor | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    scheduler: Scheduler = field(init=False, repr=False, compare=False)
    #: Who hears what the pools do, ``(pool, event, seconds)`` (the apps' metrics); weakly held.
    _listeners: list[weakref.WeakMethod[Callable[[str, str, float], None]]] = field(
        default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.scheduler = Scheduler(self.settings.client_concurrent_queries,
                                   self.settings.client_query_seconds,
                                   max_hold=self.settings.query_timeout)


    def listen(self, method: Callable[[str, str, float], None]) -> None:
        """Have a bound method hear every pool event ``(pool, event, seconds)`` (see
        :data:`citygraph.executor.Observer`); held weakly, so a discarded app stops hearing."""
        with self._lock:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            self._listeners.append(weakref.WeakMethod(method))

    def _heard(self, pool: str, event: str, seconds: float) -> None:
        for ref in self._listeners:
            method = ref()
            if method is not None:
                method(pool, event, seconds)

    @property
    def dist(self) -> Path:
        """The build directory being served."""
        return self.settings.dist_dir

    @property
    def version(self) -> str:
        """The dataset version (content hash), used for ETags."""
        return self.manifest.version

    def run_query(
        self,
        text: str,
        *,
        select_format: Format,
        graph_format: Format,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
        internal: bool = False,
        base_iri: str | None = None,
    ) -> Answer:
        """Run a query and serialise its answer (SELECT/ASK in ``select_format``, graphs in
        ``graph_format``), capped at ``max_rows`` (default: the max_rows setting).

        Raises QuerySyntaxError, UpdateForbidden or QueryTimeout (the query is stopped).
        The query runs in a worker process of the executor, which is killed at the timeout.
        ``internal``: one of the server's own queries (linked-data pages, counts); these run in
        a pool of their own, so that a crowd of slow user queries cannot keep pages from
        answering. ``base_iri``: what relative IRIs of the query resolve against.

        A user query in a request is admitted by the scheduler first: past its client's budgets
        (concurrent queries, query-seconds per minute) it raises RateLimited (429), and the
        time it held a worker is charged to its client (a timeout: the full timeout).
        """
        limit = self.settings.max_rows if max_rows is None else max_rows
        pool = self.internal_executor() if internal else self.query_executor()
        client = None if internal else client_id()
        ticket = None if client is None else self.scheduler.admit(client)
        charge: float | None = None
        _TICKET.ticket = ticket
        try:
            return pool.run(
                text, select_format=select_format, graph_format=graph_format,
                substitutions=substitutions, default_graphs=default_graphs,
                named_graphs=named_graphs, max_rows=limit, base_iri=base_iri)
        except QueryTimeout:
            if ticket is not None and ticket.started is not None:  # ran to the limit
                charge = self.settings.query_timeout
            raise
        finally:
            _TICKET.ticket = None
            if ticket is not None:
                ticket.finish(charge)

    def _pool(self, workers: int, max_waiting: int, name: str = "user",
              kind: type[Executor] = Executor) -> Executor:
        return kind(self.dist, workers=workers, timeout=self.settings.query_timeout,
                    prefixes=self.store.prefixes, services=self.settings.services,
                    memory_mb=self.settings.query_memory_mb, max_waiting=max_waiting,
                    observer=functools.partial(self._heard, name))

    def query_executor(self) -> Executor:
        """The pool of worker processes for user queries (made and started on first use)."""
        with self._lock:
            if self.executor is None:
                self.executor = self._pool(self.settings.query_workers,
                                           user_waiting(self.settings), "user", UserPool)
            return self.executor.start()

    def internal_executor(self) -> Executor:
        """The one-worker pool for the server's own queries (made and started on first use)."""
        with self._lock:
            if self.internal is None:
                self.internal = self._pool(1, self.settings.threads, "internal")  # short queries
            return self.internal.start()

    def close(self) -> None:
        """Stop the query worker processes (a later query starts new ones)."""
        with self._lock:
            pools, self.executor, self.internal = (self.executor, self.internal), None, None
        for pool in pools:
            if pool is not None:
                pool.close()

    @classmethod
    def open(cls, settings: Settings) -> AppContext:
        """Build if needed, then load the build and the named queries."""
        if is_stale(settings):
            build(settings)
        store = EmbeddedStore(settings.dist_dir)
        queries_dir = settings.root / "queries"
        if not queries_dir.is_dir():
            raise MissingPathError(queries_dir, "directory")
        context = cls(settings, Manifest.read(settings.dist_dir), store,
                      load_catalogue(queries_dir))
        context.query_executor()  # the workers load the build while the app is being set up
        context.internal_executor()
        return context


def user_waiting(settings: Settings) -> int:
    """How many user queries may wait for a busy user-query pool before more are refused (503).

    Each client's concurrent queries are bounded by the scheduler, so the waiting room is sized
    from the server's threads: user queries (running or waiting) leave two threads free for
    pages, static files and the server's own queries, and may always wait at least as many as
    there are workers.

    >>> user_waiting(Settings(threads=8, query_workers=2))
    4
    >>> user_waiting(Settings(threads=4, query_workers=4))
    4
    """
    return max(settings.query_workers, settings.threads - settings.query_workers - 2)


def ctx() -> AppContext:
    """The AppContext of the current app."""
    value = current_app.extensions["citygraph"]
    assert isinstance(value, AppContext)
    return value
