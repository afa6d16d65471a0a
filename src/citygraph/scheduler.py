"""Fair scheduling of user queries: each client has budgets, past them it waits its turn (429).

A client (the web layer says who: a remote address) may run at most ``concurrent`` queries at
once and use at most ``seconds`` of query-worker time in any sliding ``window`` (a minute).
:meth:`Scheduler.admit` either hands out a :class:`Ticket` or raises
:class:`~citygraph.errors.RateLimited` carrying the whole seconds until that budget is back
(the response's Retry-After). A ticket is charged, when it is finished, for the time its query
held a worker (from :meth:`Ticket.start` until :meth:`Ticket.finish`), or an explicit amount
(a timeout charges the full timeout); the time a query runs counts against the budget while it
runs, so a client cannot start new queries on the strength of old ones not yet charged.

Pure logic: no I/O, thread-safe, the clock injectable for tests.

>>> now = [0.0]
>>> s = Scheduler(concurrent=1, seconds=4.0, max_hold=2.0, clock=lambda: now[0])
>>> t = s.admit("192.0.2.1")
>>> t.start(); now[0] = 2.0; t.finish()
2.0
>>> s.admit("192.0.2.1").finish(charge=2.0)
2.0
>>> try:
...     s.admit("192.0.2.1")
... except RateLimited as exc:
...     print(exc.retry_after)
60
"""

from __future__ import annotations

import functools
import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from .errors import RateLimited

#: The sliding window of the query-seconds budget, in seconds.
WINDOW = 60.0


@dataclass
class _Client:
    """What one client has running and what it was charged within the window."""

    running: set[Ticket] = field(default_factory=set)
    charges: deque[tuple[float, float]] = field(default_factory=deque)  # (when, seconds)
    used: float = 0.0

    def expire(self, cutoff: float) -> None:
        """Forget charges made at or before ``cutoff``."""
        while self.charges and self.charges[0][0] <= cutoff:
            self.used -= self.charges.popleft()[1]
        if not self.charges:
            self.used = 0.0

    @property
    def idle(self) -> bool:
        """True when nothing runs and nothing is charged: the client need not be remembered."""
        return not self.running and not self.charges


@dataclass(frozen=True)
class Usage:
    """A client's current use of its budgets."""

    running: int
    seconds: float


class Ticket:
    """One admitted query of one client; finish it exactly once (later calls do nothing)."""

    def __init__(self, scheduler: Scheduler, client: str, admitted: float) -> None:
        self.scheduler = scheduler
        self.client = client
        self.admitted = admitted
        self.started: float | None = None
        self.charged: float | None = None

    def start(self) -> None:
        """Note that the query got a worker: from now on its time is charged."""
        self.scheduler._start(self)

    def held(self, now: float) -> float:
        """Seconds the query has held a worker at ``now`` (0 before it got one)."""
        return 0.0 if self.started is None else max(0.0, now - self.started)

    def finish(self, charge: float | None = None) -> float:
        """Release the concurrency slot and charge the client; return the seconds charged.

        ``charge``: the seconds to charge instead of the time held (e.g. the full timeout).
        """
        return self.scheduler._finish(self, charge)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.finish()


class Scheduler:
    """Per-client budgets of concurrent queries and query-seconds per window; 0 disables one.

    ``max_hold`` is the longest a query can hold a worker (the query timeout): it bounds when a
    running query ends, which is what Retry-After promises for a client at its concurrency limit.
    """

    def __init__(self, concurrent: int, seconds: float, *, max_hold: float,
                 window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        if concurrent < 0 or seconds < 0 or max_hold <= 0 or window <= 0:
            raise ValueError("budgets must be 0 or more, max_hold and window positive")
        self.concurrent = concurrent
        self.seconds = seconds
        self.max_hold = max_hold
        self.window = window
        self.clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + window

    def __len__(self) -> int:
        """The number of clients remembered (running queries or charged within the window)."""
        with self._lock:
            return len(self._clients)

    def usage(self, client: str) -> Usage:
        """What ``client`` runs now and the query-seconds it has used within the window."""
        with self._lock:
            now = self.clock()
            state = self._clients.get(client)
            if state is None:
                return Usage(0, 0.0)
            state.expire(now - self.window)
            return Usage(len(state.running),
                         state.used + sum(t.held(now) for t in state.running))

    def admit(self, client: str) -> Ticket:
        """A ticket for one query of ``client``, or RateLimited when it is past a budget."""
        with self._lock:
            now = self.clock()
            self._sweep(now)
            state = self._clients.setdefault(client, _Client())
            state.expire(now - self.window)
            if self.concurrent and len(state.running) >= self.concurrent:
                soonest = min(t.admitted for t in state.running) + self.max_hold
                raise RateLimited(
                    f"too many queries at once from {client}: at most {self.concurrent} may "
                    f"run at a time; wait for an answer before you send the next query",
                    _whole(soonest - now))
            if self.seconds:
                in_flight = sum(t.held(now) for t in state.running)
                if state.used + in_flight >= self.seconds:
                    back = _whole(self._back(state, in_flight, now))
                    raise RateLimited(
                        f"query budget used up for {client}: at most {self.seconds:g} s of query "
                        f"time per {self.window:g} s; the next query may start in {back} s", back)
            ticket = Ticket(self, client, now)
            state.running.add(ticket)
            return ticket

    def _back(self, state: _Client, in_flight: float, now: float) -> float:
        """Seconds until enough of ``state``'s charges have expired to fall under the budget."""
        left = state.used
        for when, amount in state.charges:
            left -= amount
            if left + in_flight < self.seconds:
                return when + self.window - now
        # What runs now is over the budget by itself: it ends, is charged, then expires.
        return self.max_hold + self.window

    def _sweep(self, now: float) -> None:
        """Once a window, forget the clients that have nothing running and nothing charged."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for name in list(self._clients):
            state = self._clients[name]
            state.expire(now - self.window)
            if state.idle:
                del self._clients[name]

    def _start(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.started is None and ticket.charged is None:
                ticket.started = self.clock()

    def _finish(self, ticket: Ticket, charge: float | None) -> float:
        with self._lock:
            if ticket.charged is not None:
                return 0.0
            now = self.clock()
            amount = ticket.held(now) if charge is None else max(0.0, charge)
            ticket.charged = amount
            state = self._clients.get(ticket.client)
            if state is None:  # swept meanwhile: cannot happen while it runs, but be safe
                state = self._clients.setdefault(ticket.client, _Client())
            state.running.discard(ticket)
            if amount > 0:
                state.charges.append((now, amount))
                state.used += amount
            elif state.idle:
                del self._clients[ticket.client]
            return amount


@functools.lru_cache(maxsize=4096)  # parsed once per address seen lately, not per request
def client_key(address: str) -> str:
    """The client an address stands for: an IPv4 address itself, an IPv6 address its /64 network
    (one subscriber's prefix: rotating addresses within it does not buy new budgets).

    >>> client_key("192.0.2.7"), client_key("::ffff:192.0.2.7")
    ('192.0.2.7', '192.0.2.7')
    >>> client_key("2001:db8:1:2:aaaa::1")
    '2001:db8:1:2::/64'
    >>> client_key("not an address")
    'not an address'
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _whole(seconds: float) -> int:
    """Whole seconds, rounded up, at least 1 (the value of a Retry-After header)."""
    return max(1, math.ceil(seconds - 1e-9))
