"""The fair scheduler (pure logic, a fake clock): budgets, window expiry, Retry-After, release."""

from __future__ import annotations

import doctest
import threading

import pytest

import citygraph.scheduler as scheduler_module
from citygraph.errors import RateLimited
from citygraph.scheduler import Scheduler


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


def make(concurrent: int = 2, seconds: float = 10.0, max_hold: float = 5.0) -> tuple[Scheduler, Clock]:
    """A scheduler over a fake clock."""
    clock = Clock()
    return Scheduler(concurrent, seconds, max_hold=max_hold, clock=clock), clock


def run(s: Scheduler, clock: Clock, client: str, seconds: float) -> float:
    """One query of ``client`` that holds a worker for ``seconds``; the seconds charged."""
    ticket = s.admit(client)
    ticket.start()
    clock.advance(seconds)
    return ticket.finish()


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(scheduler_module)
    assert failures == 0 and tried > 0


def test_concurrency_budget_refuses_the_next_query_and_others_still_run() -> None:
    s, clock = make(concurrent=2)
    first, second = s.admit("a"), s.admit("a")
    clock.advance(1.5)
    with pytest.raises(RateLimited) as refused:
        s.admit("a")
    assert refused.value.http_status == 429
    # The oldest running query ends at the latest when its time limit is up: 5 - 1.5 s.
    assert refused.value.retry_after == 4
    assert "at most 2 may run at a time" in refused.value.message
    s.admit("b").finish()  # another client is served meanwhile
    first.finish()
    third = s.admit("a")  # a slot is free again
    assert s.usage("a").running == 2
    second.finish()
    third.finish()
    assert s.usage("a").running == 0


def test_query_seconds_are_charged_by_the_time_a_worker_was_held() -> None:
    s, clock = make(concurrent=1, seconds=10.0)
    ticket = s.admit("a")
    clock.advance(3.0)  # waiting for a worker: not charged
    ticket.start()
    clock.advance(2.5)
    assert ticket.finish() == 2.5
    assert s.usage("a").seconds == 2.5


def test_a_query_that_never_got_a_worker_costs_nothing() -> None:
    s, clock = make(concurrent=1)
    ticket = s.admit("a")
    clock.advance(4.0)
    assert ticket.finish() == 0.0
    assert s.usage("a").seconds == 0.0 and len(s) == 0  # nothing left to remember


def test_an_explicit_charge_replaces_the_time_held() -> None:
    s, clock = make(seconds=10.0, max_hold=5.0)
    ticket = s.admit("a")
    ticket.start()
    clock.advance(4.9)
    assert ticket.finish(charge=5.0) == 5.0  # a timeout charges the full timeout
    assert s.usage("a").seconds == 5.0


def test_past_the_seconds_budget_429_until_the_charges_expire() -> None:
    s, clock = make(concurrent=1, seconds=5.0)
    run(s, clock, "a", 1.0)   # charged at t=1
    clock.advance(9.0)
    run(s, clock, "a", 2.0)   # charged at t=12
    clock.advance(8.0)
    run(s, clock, "a", 3.0)   # charged at t=23: 6 s used of 5
    clock.advance(7.0)        # t=30
    with pytest.raises(RateLimited) as refused:
        s.admit("a")
    # Dropping the first charge leaves 5 s (not under 5); dropping the second leaves 3 s: that
    # happens when the second charge is a window old (t=12+60), 42 s from now.
    assert refused.value.retry_after == 42
    assert "at most 5 s of query time per 60 s" in refused.value.message
    s.admit("b").finish()  # others are still served
    clock.advance(41.5)       # t=71.5: the first charge has expired, 5 s remain: still refused
    with pytest.raises(RateLimited) as again:
        s.admit("a")
    assert again.value.retry_after == 1
    clock.advance(0.5)        # t=72: the second charge expires with the window
    s.admit("a").finish()
    assert s.usage("a").seconds == 3.0


def test_time_of_a_running_query_counts_against_the_budget() -> None:
    s, clock = make(concurrent=3, seconds=4.0, max_hold=10.0)
    long = s.admit("a")
    long.start()
    clock.advance(4.0)  # still running, not yet charged: 4 s of the 4 s are used already
    assert s.usage("a").seconds == 4.0
    with pytest.raises(RateLimited) as refused:
        s.admit("a")
    # No finished charge can expire to make room: the running query must end (at most 10 s),
    # then its charge must leave the window.
    assert refused.value.retry_after == 70
    long.finish()


def test_finishing_twice_charges_once_and_the_context_manager_releases_on_errors() -> None:
    s, clock = make(concurrent=1, seconds=100.0)
    ticket = s.admit("a")
    ticket.start()
    clock.advance(1.0)
    assert ticket.finish() == 1.0
    assert ticket.finish() == 0.0
    assert s.usage("a").seconds == 1.0
    with pytest.raises(ValueError), s.admit("a") as failing:
        failing.start()
        clock.advance(0.5)
        raise ValueError("the query failed")
    assert s.usage("a").running == 0 and s.usage("a").seconds == 1.5
    s.admit("a").finish()  # the slot is free again


def test_zero_disables_a_budget() -> None:
    s, clock = make(concurrent=0, seconds=0.0)
    tickets = [s.admit("a") for _ in range(50)]
    for ticket in tickets:
        ticket.start()
    clock.advance(100.0)
    for ticket in tickets:
        ticket.finish()
    s.admit("a").finish()


def test_idle_clients_are_forgotten_after_a_window() -> None:
    s, clock = make(concurrent=1, seconds=10.0)
    for n in range(100):
        run(s, clock, f"192.0.2.{n}", 0.01)
    assert len(s) == 100
    clock.advance(61.0)
    s.admit("198.51.100.1").finish()  # the first admission after a window sweeps
    assert len(s) == 0


def test_budgets_hold_under_concurrent_threads() -> None:
    s, _ = make(concurrent=2, seconds=0.0)
    admitted: list[int] = []
    refused: list[int] = []
    peaks: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)
    release = threading.Event()

    def client(n: int) -> None:
        barrier.wait()
        try:
            ticket = s.admit("a")
        except RateLimited:
            with lock:
                refused.append(n)
            return
        with lock:
            admitted.append(n)
        peaks.append(s.usage("a").running)
        release.wait(10)  # hold the slot until every other thread has tried
        ticket.finish()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for _ in range(1000):
        with lock:
            if len(admitted) + len(refused) == 16:
                break
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(20)
    assert len(admitted) == 2 and len(refused) == 14 and max(peaks) <= 2
    assert s.usage("a").running == 0


@pytest.mark.parametrize("kwargs", [{"concurrent": -1, "seconds": 1.0, "max_hold": 1.0},
                                    {"concurrent": 1, "seconds": -1.0, "max_hold": 1.0},
                                    {"concurrent": 1, "seconds": 1.0, "max_hold": 0.0}])
def test_bad_budgets_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Scheduler(int(kwargs["concurrent"]), kwargs["seconds"], max_hold=kwargs["max_hold"])


@pytest.mark.parametrize(("name", "value"), [("client_concurrent_queries", "-1"),
                                             ("client_query_seconds", "-0.5"),
                                             ("client_query_seconds", "inf"),
                                             ("trusted_proxies", "-1")])
def test_budget_settings_must_be_zero_or_more(name: str, value: str) -> None:
    from citygraph.config import Settings
    from citygraph.errors import ConfigError

    with pytest.raises(ConfigError, match=name):
        Settings.from_sources({name: value}, environ={})
