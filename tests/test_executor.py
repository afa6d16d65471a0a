"""The query executor: worker processes, typed errors, and a timeout that really stops a query."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from citygraph.config import Settings
from citygraph.errors import (
    BuildNotFound,
    EngineCrashed,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooExpensive,
    UpdateForbidden,
)
from citygraph.executor import Executor, WorkerFailed, death_cause
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS, Format
from citygraph.pipeline import BuildResult
from citygraph.store import EmbeddedStore
from citygraph.vocab import INFERRED_GRAPH

TIMEOUT = 1.0
#: A cross join of the data with itself three times: billions of solutions, runs for hours.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = SELECT_FORMATS["json"]
TURTLE = GRAPH_FORMATS["turtle"]


def alive(pid: int) -> bool:
    """True when a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def run(executor: Executor, text: str, fmt: Format = JSON, **kwargs: object) -> ox.QuerySolutions:
    """Run a SELECT query on the executor and parse its answer back."""
    answer = executor.run(text, select_format=fmt, graph_format=TURTLE, **kwargs)  # type: ignore[arg-type]
    return ox.parse_query_results(answer.body, format=fmt.writer)  # type: ignore[return-value,arg-type]


def count(executor: Executor, text: str = COUNT, **kwargs: object) -> int:
    """The single integer ?n that a counting query answers."""
    rows = list(run(executor, text, **kwargs))
    return int(rows[0]["n"].value)


@pytest.fixture(scope="module")
def dist(settings: Settings, built: BuildResult) -> Path:
    """The build directory of the session build."""
    return settings.dist_dir


@pytest.fixture(scope="module")
def reference(dist: Path) -> EmbeddedStore:
    """The same build opened in this process, to compare the workers' answers with."""
    return EmbeddedStore(dist)


def closing(dist: Path) -> Iterator[Executor]:
    """An executor with two workers and a one-second timeout; no worker outlives it."""
    pool = Executor(dist, workers=2, timeout=TIMEOUT).start()
    yield pool
    pids = pool.pids
    pool.close()
    assert not any(alive(pid) for pid in pids)


@pytest.fixture(scope="module")
def shared(dist: Path) -> Iterator[Executor]:
    """An executor shared by the tests that only read answers."""
    yield from closing(dist)


@pytest.fixture()
def executor(dist: Path) -> Iterator[Executor]:
    """A fresh executor for one test (the tests that kill workers)."""
    yield from closing(dist)


def test_answers_like_the_store_in_process(shared: Executor, reference: EmbeddedStore) -> None:
    expected = int(next(iter(reference.query(COUNT)))["n"].value)  # type: ignore[index,union-attr]
    assert expected > 100
    assert count(shared) == expected


def test_every_worker_is_a_separate_live_process(shared: Executor) -> None:
    count(shared)
    pids = shared.pids
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(alive(pid) for pid in pids)


def test_graph_answer_in_the_requested_format(shared: Executor) -> None:
    fmt = GRAPH_FORMATS["ntriples"]
    answer = shared.run("CONSTRUCT WHERE { ?s a cg:City } LIMIT 5", select_format=JSON,
                          graph_format=fmt)
    assert (answer.kind, answer.format, answer.rows, answer.truncated) == ("graph", fmt, 5, False)
    triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == 5
    assert all(str(t.object) == "<https://w3id.org/citygraph/ontology#City>" for t in triples)


def test_row_cap_is_reported(shared: Executor) -> None:
    answer = shared.run("SELECT * WHERE { ?s ?p ?o }", select_format=JSON, graph_format=TURTLE,
                          max_rows=7)
    assert (answer.kind, answer.rows, answer.truncated) == ("select", 7, True)
    assert len(list(ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON))) == 7


def test_substitutions_are_bound_in_the_worker(shared: Executor) -> None:
    rows = list(run(shared, "SELECT ?x WHERE {}", substitutions={"x": ox.Literal("a'b\"} }")}))
    assert rows[0]["x"] == ox.Literal("a'b\"} }")


def test_dataset_of_the_request(shared: Executor, reference: EmbeddedStore) -> None:
    inferred = str(INFERRED_GRAPH)
    only_inferred = count(shared, default_graphs=[inferred])
    expected = sum(1 for _ in reference.store.quads_for_pattern(None, None, None,
                                                                ox.NamedNode(inferred)))
    assert 0 < only_inferred == expected < count(shared)
    named = count(shared, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                  named_graphs=[inferred])
    assert named == expected


def test_syntax_error_carries_line_and_column(shared: Executor) -> None:
    with pytest.raises(QuerySyntaxError, match=r"line 3, column \d+"):
        shared.run("SELECT *\nWHERE {\n  ?s ?p ?o FILTER( }", select_format=JSON,
                     graph_format=TURTLE)


@pytest.mark.parametrize("update", [
    "INSERT DATA { cg:a cg:b cg:c }",
    "# a comment\nPREFIX ex: <http://example.org/>\nDELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
])
def test_update_is_forbidden_and_changes_nothing(shared: Executor, update: str) -> None:
    before = count(shared)
    with pytest.raises(UpdateForbidden):
        shared.run(update, select_format=JSON, graph_format=TURTLE)
    assert count(shared) == before


def test_runaway_query_is_killed_and_replaced(executor: Executor, reference: EmbeddedStore) -> None:
    count(executor)
    before = set(executor.pids)
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"limit of 1 s"):
        executor.run(RUNAWAY, select_format=JSON, graph_format=TURTLE)
    assert time.monotonic() - start < TIMEOUT + 2
    after = set(executor.pids)
    killed = before - after
    assert len(killed) == 1 and len(after) == 2
    assert not alive(killed.pop())  # the work really stopped with its process
    expected = int(next(iter(reference.query(COUNT)))["n"].value)  # type: ignore[index,union-attr]
    assert count(executor) == expected  # the next query is answered normally


def test_other_queries_are_answered_while_one_runs_away(executor: Executor) -> None:
    count(executor)
    failures: list[BaseException] = []

    def runaway() -> None:
        try:
            executor.run(RUNAWAY, select_format=JSON, graph_format=TURTLE)
        except QueryTimeout as exc:
            failures.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)  # the runaway query holds one worker now
    start = time.monotonic()
    answers = [count(executor) for _ in range(3)]
    assert time.monotonic() - start < TIMEOUT  # answered by the other worker, not after the kill
    assert thread.is_alive()
    thread.join(TIMEOUT + 5)
    assert not thread.is_alive() and len(failures) == 1
    assert len(set(answers)) == 1


def test_waiting_for_a_free_worker_is_bounded(dist: Path) -> None:
    with Executor(dist, workers=1, timeout=TIMEOUT) as pool:
        count(pool)
        errors: list[BaseException] = []

        def runaway() -> None:
            try:
                pool.run(RUNAWAY, select_format=JSON, graph_format=TURTLE)
            except QueryTimeout as exc:
                errors.append(exc)

        threads = [threading.Thread(target=runaway) for _ in range(2)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(3 * TIMEOUT + 5)
        assert len(errors) == 2
        # One deadline per request: waiting for the busy worker counts against the limit.
        assert time.monotonic() - start < TIMEOUT + 2
        assert sum("busy" in str(e) for e in errors) == 1
        assert count(pool) > 0


def test_a_full_queue_is_refused_at_once(dist: Path) -> None:
    # One worker, no room to wait: while a runaway query runs, another is refused at once
    # instead of holding a server thread until the limit.
    with Executor(dist, workers=1, timeout=TIMEOUT, max_waiting=0) as pool:
        count(pool)
        runaway = threading.Thread(target=lambda: pytest.raises(
            QueryTimeout, pool.run, RUNAWAY, select_format=JSON, graph_format=TURTLE))
        runaway.start()
        time.sleep(0.2)
        with pytest.raises(QueryTimeout, match="more queries wait"):
            count(pool)
        assert runaway.is_alive()  # refused while the runaway still ran: not after it
        runaway.join(TIMEOUT + 5)
        assert count(pool) > 0


def test_query_past_the_memory_limit_is_stopped_and_the_pool_recovers(dist: Path) -> None:
    # Sorting the data joined with itself needs gigabytes; the cap lets a worker add 200 MiB.
    hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c ?e LIMIT 1"
    events: list[str] = []
    with Executor(dist, workers=1, timeout=30, memory_mb=200,
                  observer=lambda event, seconds: events.append(event)) as pool:
        before = pool.pids
        with pytest.raises(QueryTooExpensive, match="memory limit of 200 MiB"):
            pool.run(hungry, select_format=JSON, graph_format=TURTLE)
        assert count(pool) > 0  # answered by the worker that took the stopped one's place
        assert pool.pids != before and not any(alive(pid) for pid in before)
    assert events.count("memory") == 1 and "crash" not in events
    assert events.count("restart") == 1


#: Inputs that overflow the engine's stack (its parser recurses): the worker dies of SIGSEGV.
CRASHERS = {
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "negations": "SELECT * WHERE { FILTER(" + "!" * 10_000 + "true) }",
    "STR": "SELECT * WHERE { FILTER(" + "STR(" * 3000 + "1" + ")" * 3000 + ") }",
    "braces": "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
}


@pytest.mark.parametrize("memory_mb", [200, 0], ids=["with-memory-cap", "without-memory-cap"])
def test_a_query_that_crashes_the_engine_is_a_crash_not_memory(dist: Path, memory_mb: int) -> None:
    events: list[str] = []
    with Executor(dist, workers=1, timeout=30, memory_mb=memory_mb,
                  observer=lambda event, seconds: events.append(event)) as pool:
        for name, text in CRASHERS.items():
            before = pool.pids
            with pytest.raises(EngineCrashed, match="crashed the engine") as caught:
                pool.run(text, select_format=JSON, graph_format=TURTLE)
            assert "memory" not in str(caught.value), name
            assert caught.value.http_status == 503
            assert not any(alive(pid) for pid in before)
            assert count(pool) > 0, name  # a fresh worker answers the next query
    assert events.count("crash") == len(CRASHERS) == events.count("restart")
    assert "memory" not in events


def test_the_cause_of_a_death_is_told_by_what_the_worker_wrote() -> None:
    abort, segv = -signal.SIGABRT, -signal.SIGSEGV
    assert death_cause(abort, "memory allocation of 12582912 bytes failed\nstack", 200) == "memory"
    assert death_cause(1, "Traceback …\nMemoryError\n", 200) == "memory"
    assert death_cause(segv, "Fatal Python error: Segmentation fault\n", 200) == "crash"
    assert death_cause(abort, "thread 'main' has overflowed its stack\n", 200) == "crash"
    assert death_cause(abort, "thread panicked at src/lib.rs:1:1", 200) == "crash"
    assert death_cause(-signal.SIGKILL, "", 200) == "crash"  # the system's OOM killer, an admin
    assert death_cause(abort, "memory allocation of 8 bytes failed", 0) == "crash"  # no cap set


def test_the_observer_hears_queries_timeouts_and_restarts(dist: Path) -> None:
    heard: list[tuple[str, float]] = []
    with Executor(dist, workers=1, timeout=TIMEOUT, max_waiting=0,
                  observer=lambda event, seconds: heard.append((event, seconds))) as pool:
        count(pool)
        assert [event for event, _ in heard] == ["query"] and heard[0][1] > 0
        runaway = threading.Thread(target=lambda: pytest.raises(
            QueryTimeout, pool.run, RUNAWAY, select_format=JSON, graph_format=TURTLE))
        runaway.start()
        time.sleep(0.2)
        with pytest.raises(QueryTimeout, match="busy"):
            count(pool)
        runaway.join(TIMEOUT + 5)
        events = [event for event, _ in heard]
        assert events == ["query", "busy", "timeout", "query", "restart"]
        assert heard[3][1] >= TIMEOUT * 0.9  # the runaway query's duration: up to its limit


def test_an_observer_that_fails_does_not_fail_the_query(shared: Executor) -> None:
    def broken(event: str, seconds: float) -> None:
        raise RuntimeError("metrics are down")

    shared.observer = broken
    try:
        assert count(shared) > 0
    finally:
        shared.observer = None


def test_a_worker_killed_while_idle_is_replaced_before_a_query_needs_it(dist: Path) -> None:
    events: list[str] = []
    with Executor(dist, workers=1, timeout=30,
                  observer=lambda event, seconds: events.append(event)) as pool:
        count(pool)
        assert pool.alive == 1
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pool.alive and time.monotonic() < deadline:  # the signal takes a moment
            time.sleep(0.05)
        assert pool.alive == 0 and not alive_and_not_reaped(pid)
        assert count(pool) > 0  # not "the worker stopped unexpectedly"
        assert pool.alive == 1 and pool.pids != [pid]
    assert events == ["query", "restart", "query"]


def alive_and_not_reaped(pid: int) -> bool:
    """True while the process runs (a zombie, dead but not yet reaped, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_close_ends_every_worker(dist: Path) -> None:
    pool = Executor(dist, workers=2, timeout=TIMEOUT)
    count(pool)
    pids = pool.pids
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    pool.close()
    assert pool.pids == [] and not any(alive(pid) for pid in pids)
    with pytest.raises(WorkerFailed):
        count(pool)


def test_missing_build_is_a_typed_error(tmp_path: Path) -> None:
    with Executor(tmp_path, workers=1, timeout=TIMEOUT) as pool, pytest.raises(BuildNotFound):
        count(pool)


def test_unknown_format_is_refused(shared: Executor) -> None:
    with pytest.raises(ValueError, match="not one of"):
        shared.run(COUNT, select_format=TURTLE, graph_format=TURTLE)


def test_a_workers_stderr_file_is_unlinked_once_it_runs(shared: Executor) -> None:
    count(shared)
    paths = [Path(worker._stderr_path) for worker in shared._all]
    assert len(paths) == 2 and not any(path.exists() for path in paths)
