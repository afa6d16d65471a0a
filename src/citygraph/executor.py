"""A pool of worker processes that run SPARQL queries with a timeout that really stops them.

Neither pyoxigraph nor rdflib can be interrupted from another thread, so every query of the web
app runs in a worker process (started with the ``spawn`` context, never forked from a threaded
server). Each worker loads the build once (an :class:`~citygraph.store.EmbeddedStore` over
``dist/``), then answers jobs: it runs the query, serialises the answer with
:func:`citygraph.store.answer` and sends back the bytes, or a typed error. When no answer arrives
within the timeout, the worker process is killed — the runaway work stops with it — a fresh worker
takes its place, and :class:`~citygraph.errors.QueryTimeout` is raised. The other workers keep
answering meanwhile; a request waiting for a free worker waits at most the timeout.

A worker that dies while it runs a query is told apart by what it wrote on its standard error
(kept in a file of its own): the engine's "memory allocation of N bytes failed" is the memory cap
(:class:`~citygraph.errors.QueryTooExpensive`); any other death — a segmentation fault or a stack
overflow on deeply nested input, a panic — is :class:`~citygraph.errors.EngineCrashed`.
An optional observer hears what happens (queries and their durations, timeouts, memory-cap kills,
crashes, restarts), for metrics, without this module knowing about them.
"""

from __future__ import annotations

import faulthandler
import logging
import multiprocessing
import os
import pickle
import queue
import re
import signal
import socket
import struct
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from . import errors
from .errors import (
    CitygraphError,
    EngineCrashed,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooExpensive,
    UpdateForbidden,
)
from .formats import GRAPH_FORMATS, SELECT_FORMATS, Answer, Format
from .vocab import PREFIXES

LOG = logging.getLogger(__name__)

#: Seconds a fresh worker may take to load the build before it is given up.
STARTUP_SECONDS = 120.0

#: Seconds between two checks, in a worker, that its parent process is still alive.
PARENT_CHECK_SECONDS = 0.5

#: Seconds the parent waits for a worker whose pipe broke to finish dying (to read its exit).
DEATH_SECONDS = 2.0

#: Bytes of a dead worker's standard error that are read to tell why it died (and logged).
STDERR_TAIL = 16 * 1024

#: Size past which a worker's stderr file is emptied (between two jobs).
STDERR_KEEP = 1024 * 1024

_LINE_COLUMN = re.compile(r"error at (\d+):(\d+):\s*")

#: What a process writes when an allocation failed: Rust's allocation error handler (the engine),
#: CPython, and the C library's strerror(ENOMEM).
_OUT_OF_MEMORY = re.compile(r"memory allocation of \d+ bytes failed|\bMemoryError\b|"
                            r"Cannot allocate memory|out of memory", re.IGNORECASE)

#: Hears what an executor does: ``(event, seconds)``. Events: ``query`` (a query a worker
#: was given has ended, whatever its outcome; ``seconds`` is its duration), ``timeout``,
#: ``busy`` (refused: no worker free), ``memory`` (stopped at the memory cap), ``crash`` (the
#: engine crashed) and ``restart`` (a worker was replaced by a fresh one); ``seconds`` is 0 but
#: for ``query``.
Observer = Callable[[str, float], None]


class WorkerFailed(CitygraphError):
    """A query worker process stopped unexpectedly (or could not start)."""

    http_status = 500


#: The length prefix of a message on a worker's socket (bytes that follow: one pickle).
_HEADER = struct.Struct("!Q")

#: Bytes a channel reads at once: most answers arrive whole in one read.
_CHUNK = 256 * 1024


class Channel:
    """One end of the socket pair between the web process and a worker: pickled messages, each
    sent with one system call and, when it fits the buffer, read with one.

    One message is in flight each way at a time (a job, then its answer), so a read never
    takes in more than one message; bytes past the first, if ever, are kept for the next.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray(_CHUNK)
        self._pending = b""

    def fileno(self) -> int:
        """The socket's file descriptor."""
        return self.sock.fileno()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.sock.close()

    def send(self, message: object, timeout: float | None = None) -> None:
        """Send one message (OSError when the other end has gone)."""
        payload = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        self.sock.settimeout(timeout)
        header = _HEADER.pack(len(payload))
        if len(payload) <= _CHUNK:
            self.sock.sendall(header + payload)  # one system call; the copy is cheap
        else:
            self.sock.sendall(header)
            self.sock.sendall(payload)

    def receive(self, timeout: float | None = None) -> Any:
        """The next message: waits at most ``timeout`` seconds (None: for ever), then
        TimeoutError; EOFError when the other end has closed (a worker that died)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        buffer = self._buffer
        view = memoryview(buffer)
        got = len(self._pending)
        if got:
            view[:got] = self._pending
            self._pending = b""
        while got < _HEADER.size:
            got += self._read(view[got:], deadline)
        total = _HEADER.size + _HEADER.unpack_from(buffer)[0]
        if total > len(buffer):  # a large answer: read the rest straight into its own buffer
            buffer = bytearray(total)
            buffer[:got] = view[:got]
            view = memoryview(buffer)
        while got < total:
            got += self._read(view[got:total], deadline)
        if got > total:
            self._pending = bytes(view[total:got])
        return pickle.loads(view[_HEADER.size:total])

    def _read(self, into: memoryview, deadline: float | None) -> int:
        if deadline is None:
            self.sock.settimeout(None)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message within the time limit")
            self.sock.settimeout(left)
        count = self.sock.recv_into(into)
        if count == 0:
            raise EOFError("the other end of the channel has closed")
        return count


@dataclass(frozen=True)
class Job:
    """One query for a worker: text, format names, bound values, dataset and row cap."""

    text: str
    select_format: str
    graph_format: str
    substitutions: Mapping[str, ox.NamedNode | ox.Literal] = field(default_factory=dict)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    base_iri: str | None = None  # what relative IRIs of the query resolve against (None: an error)


def syntax_message(message: str) -> str:
    """Spell pyoxigraph's ``error at L:C:`` as ``line L, column C:`` in a syntax error message.

    >>> syntax_message("SPARQL syntax error: error at 3:10: expected one of IF, OPTIONAL")
    'SPARQL syntax error at line 3, column 10: expected one of IF, OPTIONAL'
    """
    match = _LINE_COLUMN.search(message)
    if not match:
        return message
    head = message[: match.start()].rstrip(": ")
    where = f" at line {match.group(1)}, column {match.group(2)}: "
    return head + where + message[match.end():]


def parses_as_update(text: str) -> bool:
    """True when ``text`` is SPARQL Update (told by the linear lexer, never run).

    >>> parses_as_update("INSERT DATA { cg:a cg:b cg:c }")
    True
    >>> parses_as_update("SELECT * WHERE { ?s ?p ?o }")
    False
    """
    from .sparqltext import analyse

    return analyse(text).is_update


def run_job(store: Any, job: Job) -> Answer:
    """Run one job on a store (in the worker) and serialise its answer."""
    from .store import answer

    try:
        result = store.query(job.text, substitutions=job.substitutions or None,
                             default_graphs=job.default_graphs, named_graphs=job.named_graphs,
                             base_iri=job.base_iri)
        return answer(result, SELECT_FORMATS[job.select_format], GRAPH_FORMATS[job.graph_format],
                      job.max_rows, job.text)
    except QuerySyntaxError as exc:
        if parses_as_update(job.text):
            raise UpdateForbidden(
                "SPARQL Update is not allowed: this endpoint is read-only") from None
        raise QuerySyntaxError(syntax_message(exc.message)) from None
    except SyntaxError as exc:  # an engine error found while evaluating (e.g. in a SERVICE call)
        raise QuerySyntaxError(syntax_message(f"SPARQL error: {exc}")) from None


def _watch_parent(parent: int) -> None:
    """End this worker when the process that started it has gone (no orphaned workers)."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _address_space() -> int:
    """This process's current virtual memory size in bytes (0 if unknown)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def limit_memory(megabytes: int) -> None:
    """Let this process grow by at most ``megabytes`` of address space (0: no cap).

    An allocation past the cap fails: a MemoryError in Python, an abort in the engine.
    """
    if megabytes > 0:
        import resource

        cap = _address_space() + megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def death_cause(exitcode: int | None, stderr: str, memory_mb: int) -> str:
    """Why a worker died during a query: ``memory`` (the memory cap) or ``crash`` (anything else).

    The memory cap (RLIMIT_AS) makes an allocation fail; the engine then writes "memory
    allocation of N bytes failed" and aborts (SIGABRT). A stack overflow on deep input is a
    SIGSEGV with no such line; a SIGABRT without it is a panic or a failed assertion.

    >>> death_cause(-6, "memory allocation of 12582912 bytes failed\\n", 200)
    'memory'
    >>> death_cause(-11, "Fatal Python error: Segmentation fault", 200)
    'crash'
    >>> death_cause(-6, "memory allocation of 8 bytes failed", 0)  # no cap: not the cap's doing
    'crash'
    """
    if memory_mb > 0 and _OUT_OF_MEMORY.search(stderr):
        return "memory"
    return "crash"


def describe_exit(exitcode: int | None) -> str:
    """A process's exit status in words.

    >>> describe_exit(-11), describe_exit(1), describe_exit(None)
    ('killed by signal SIGSEGV', 'exit status 1', 'exit status unknown')
    """
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


def _redirect_stderr(path: str) -> None:
    """Send this process's file descriptor 2 (C, Rust and Python alike) to the file ``path``,
    then unlink it (the parent reads it through a descriptor of its own): nothing is left behind,
    however either process ends."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError:  # the parent has given up on this worker already
        return
    os.dup2(fd, 2)
    os.close(fd)
    try:
        os.unlink(path)
    except OSError:
        pass


def worker_main(sock: socket.socket, dist: str, prefixes: Mapping[str, str], parent: int,
                services: frozenset[str] = frozenset(), memory_mb: int = 0,
                stderr_path: str = "") -> None:
    """The body of a worker process: load the build once, then answer jobs until told to stop."""
    if stderr_path:
        _redirect_stderr(stderr_path)
    faulthandler.enable()  # a fatal signal leaves the Python stack on stderr, for the log
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server; it then ends us
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    from .store import EmbeddedStore

    conn = Channel(sock)
    try:
        store = EmbeddedStore(Path(dist), prefixes=prefixes, services=services)
    except CitygraphError as exc:
        conn.send(("error", type(exc).__name__, exc.message))
        return
    except Exception as exc:  # report why the worker could not start, then end
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
        return
    limit_memory(memory_mb)  # after loading: the cap is for what a query adds
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.receive()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result = run_job(store, job)
        except CitygraphError as exc:
            conn.send(("error", type(exc).__name__, exc.message))
        except MemoryError:
            conn.send(("error", "QueryTooExpensive",
                       f"the query needed more than the memory limit of {memory_mb} MiB of a "
                       "query worker and was stopped; narrow it down or add a LIMIT"))
        except Exception:  # a bug: report it as a failed worker job, keep serving
            conn.send(("crash", traceback.format_exc(limit=5)))
        else:
            conn.send(("ok", result.body, result.kind, result.rows, result.truncated))


def _error(name: str, message: str) -> CitygraphError:
    """Rebuild, in the parent, a typed error a worker reported by class name and message."""
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, CitygraphError)):
        cls = WorkerFailed
    exc = cls.__new__(cls)
    CitygraphError.__init__(exc, message)
    return exc


class Worker:
    """The parent's handle on one worker process and its end of the pipe."""

    def __init__(self, context: multiprocessing.context.BaseContext, dist: Path,
                 prefixes: Mapping[str, str], services: frozenset[str] = frozenset(),
                 memory_mb: int = 0) -> None:
        mine, child = socket.socketpair()
        self.conn = Channel(mine)
        # The worker's standard error goes to a file of its own, read when it dies; the worker
        # unlinks it once it has opened it.
        fd, self._stderr_path = tempfile.mkstemp(prefix="citygraph-worker-", suffix=".stderr")
        self._stderr = os.fdopen(fd, "r+b")
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(child, str(dist), dict(prefixes), os.getpid(), services, memory_mb,
                  self._stderr_path),
            name="citygraph-query-worker", daemon=True)
        self.process.start()
        child.close()  # the worker has its own copy
        self.ready = False
        self.dead = False
        self._mark = 0

    @property
    def pid(self) -> int | None:
        """The worker's process id."""
        return self.process.pid

    def wait_ready(self, limit: float = STARTUP_SECONDS) -> None:
        """Wait until the worker has loaded the build; raise its error if it could not."""
        if self.ready:
            return
        try:
            message = self.conn.receive(limit)
        except TimeoutError:
            raise WorkerFailed(f"a query worker did not start within {limit:g} s") from None
        except (EOFError, OSError):
            raise WorkerFailed("a query worker stopped while loading the build") from None
        if message[0] == "error":
            raise _error(message[1], message[2])
        if message[0] != "ready":
            LOG.error("a query worker could not start: %s", message[1])
            raise WorkerFailed("a query worker could not start (the error has been logged)")
        self.ready = True

    def _unlink_stderr(self) -> None:
        try:
            os.unlink(self._stderr_path)
        except OSError:
            pass

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return not self.dead and self.process.is_alive()

    def mark_stderr(self) -> None:
        """Before a job: log what the worker wrote on stderr since the last mark, then mark."""
        try:
            end = os.fstat(self._stderr.fileno()).st_size
            if end > self._mark:
                LOG.warning("query worker %s wrote on stderr:\n%s", self.pid,
                            self.stderr_tail().rstrip())
            if end > STDERR_KEEP:  # the worker appends (O_APPEND): writes go on at the start
                os.ftruncate(self._stderr.fileno(), 0)
                end = 0
            self._mark = end
        except (OSError, ValueError):
            self._mark = 0

    def stderr_tail(self, size: int = STDERR_TAIL) -> str:
        """At most the last ``size`` bytes the worker wrote on stderr since the mark, as text."""
        try:
            end = os.fstat(self._stderr.fileno()).st_size
            self._stderr.seek(max(self._mark, end - size))
            return self._stderr.read(size).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def wait_dead(self, limit: float = DEATH_SECONDS) -> int | None:
        """Wait (briefly) for a worker whose pipe broke to end; its exit code, None if unknown."""
        self.process.join(limit)
        return self.process.exitcode

    def kill(self) -> None:
        """Kill the process (the work it does stops) and release the pipe; idempotent."""
        if self.dead:
            return
        self.dead = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()
        self._stderr.close()
        self._unlink_stderr()


def _stop_all(workers: set[Worker], lock: threading.Lock) -> None:
    """Stop every worker of a pool (used by close() and at interpreter exit)."""
    with lock:
        doomed = list(workers)
        workers.clear()
    for worker in doomed:
        try:
            worker.kill()
        except (OSError, ValueError):
            pass


class Executor:
    """A pool of query worker processes over one build, with a per-query timeout."""

    def __init__(self, dist: Path, *, workers: int = 2, timeout: float = 10.0,
                 prefixes: Mapping[str, str] = PREFIXES, services: Collection[str] = (),
                 memory_mb: int = 0, max_waiting: int | None = None,
                 start_method: str = "spawn", observer: Observer | None = None) -> None:
        self.dist = Path(dist)
        self.observer = observer
        #: Requests that may wait for a busy pool; more are refused at once (503), so that slow
        #: queries cannot hold every thread of the web server.
        self.max_waiting = workers if max_waiting is None else max_waiting
        self._waiting = 0
        self.services = frozenset(services)
        self.memory_mb = memory_mb
        self.size = workers
        self.timeout = timeout
        self.prefixes = dict(prefixes)
        self._context = multiprocessing.get_context(start_method)
        # Last in, first out: the worker that answered last (its caches warm, its CPU likely
        # free) takes the next query; under a steady trickle the others stay asleep.
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._finalizer = weakref.finalize(self, _stop_all, self._all, self._lock)

    def __enter__(self) -> Executor:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests and monitoring)."""
        with self._lock:
            return sorted(w.pid for w in self._all if w.pid is not None)

    @property
    def alive(self) -> int:
        """How many worker processes run (loading the build or ready)."""
        with self._lock:
            workers = list(self._all)
        return sum(1 for w in workers if w.alive)

    def _notify(self, event: str, seconds: float = 0.0) -> None:
        """Tell the observer (if any) what happened; its failure never fails a query."""
        if self.observer is not None:
            try:
                self.observer(event, seconds)
            except Exception:  # metrics must not break queries
                LOG.exception("the executor's observer failed on %r", event)

    def start(self) -> Executor:
        """Start the worker processes (they load the build in the background); idempotent."""
        with self._lock:
            if self._closed:
                raise WorkerFailed("the query executor is closed")
            if not self._started:
                self._started = True
                for _ in range(self.size):
                    self._spawn_locked()
        return self

    def _spawn_locked(self) -> None:
        worker = Worker(self._context, self.dist, self.prefixes, self.services, self.memory_mb)
        self._all.add(worker)
        self._idle.put(worker)

    def _acquire(self, deadline: float) -> Worker:
        """An idle worker, waiting for one to be free until the request's deadline.

        When every worker is busy and ``max_waiting`` requests wait already, the request is
        refused at once.
        """
        while True:
            worker = self._acquire_any(deadline)
            if not worker.dead and worker.process.is_alive():
                return worker
            # An idle worker that died (killed from outside): replace it, take another.
            LOG.warning("a query worker (pid %s) died while idle (%s); replacing it",
                        worker.pid, describe_exit(worker.process.exitcode))
            self._replace(worker)

    def _acquire_any(self, deadline: float) -> Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._waiting >= self.max_waiting:
                busy = QueryTimeout(f"the server is busy: every query worker is taken and "
                                    f"{self._waiting} more queries wait; try again later")
            else:
                busy = None
                self._waiting += 1
        if busy is not None:
            self._notify("busy")
            raise busy
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self._notify("busy")
            raise QueryTimeout(f"the server is busy: no query worker became free within the "
                               f"limit of {self.timeout:g} s; try again later") from None
        finally:
            with self._lock:
                self._waiting -= 1

    def _release(self, worker: Worker) -> None:
        with self._lock:
            if self._closed or worker not in self._all:
                return
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place."""
        with self._lock:
            known = worker in self._all
            self._all.discard(worker)
            spawn = known and not self._closed
            if spawn:
                self._spawn_locked()
        worker.kill()
        if spawn:
            self._notify("restart")

    def run(
        self,
        text: str,
        *,
        select_format: Format,
        graph_format: Format,
        substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int = 10_000,
        base_iri: str | None = None,
    ) -> Answer:
        """Run a query on an idle worker and return its serialised answer.

        ``base_iri``: the base that relative IRIs of the query resolve against.
        Raises the query's typed error (QuerySyntaxError, UpdateForbidden, …), QueryTimeout
        when it runs past the timeout (the worker is then killed and replaced), QueryTooExpensive
        when it needs more than the memory cap, or EngineCrashed when it crashes the engine.
        """
        for fmt, table in ((select_format, SELECT_FORMATS), (graph_format, GRAPH_FORMATS)):
            if table.get(fmt.name) != fmt:
                raise ValueError(f"format {fmt.name!r} is not one of {sorted(table)}")
        job = Job(text, select_format.name, graph_format.name, dict(substitutions or {}),
                  tuple(default_graphs), tuple(named_graphs), max_rows, base_iri)
        self.start()
        # One deadline per request: waiting for a free worker counts against the time limit.
        deadline = time.monotonic() + self.timeout
        worker = self._acquire(deadline)
        healthy = False
        sent = 0.0
        try:
            loading = time.monotonic()
            worker.wait_ready()  # a fresh worker loading the build: that time is not the query's
            left = deadline + (time.monotonic() - loading) - time.monotonic()
            if left <= 0:
                healthy = True  # never given the job: the worker is fine
                self._notify("busy")
                raise QueryTimeout(f"the server is busy: the query could not start within the "
                                   f"limit of {self.timeout:g} s; try again later")
            worker.mark_stderr()
            worker.conn.send(job, left)
            sent = time.monotonic()
            try:
                reply = worker.conn.receive(left)
            except TimeoutError:
                self._notify("timeout")
                raise QueryTimeout(f"the query ran longer than the limit of {self.timeout:g} s "
                                   f"and was stopped; narrow it down or add a LIMIT") from None
            healthy = True
        except (EOFError, OSError):
            if self._closed:
                raise WorkerFailed("the query executor is closed") from None
            if not sent:
                raise WorkerFailed("the query worker stopped unexpectedly") from None
            raise self._died(worker, text) from None
        finally:
            if sent:
                self._notify("query", time.monotonic() - sent)
            if healthy:
                self._release(worker)
            else:
                self._replace(worker)
        if reply[0] == "ok":
            _, body, kind, rows, truncated = reply
            return Answer(body, graph_format if kind == "graph" else select_format, kind, rows,
                          truncated)
        if reply[0] == "error":
            if reply[1] == QueryTooExpensive.__name__:
                self._notify("memory")  # a MemoryError in the worker, which lives on
            raise _error(reply[1], reply[2])
        LOG.error("a query failed in a worker process:\n%s", reply[1])
        raise WorkerFailed("the query failed because of an internal error (it has been logged)")

    def _died(self, worker: Worker, text: str) -> CitygraphError:
        """The error for a query whose worker died while running it: memory cap, or a crash."""
        exitcode = worker.wait_dead()
        stderr = worker.stderr_tail()
        cause = death_cause(exitcode, stderr, self.memory_mb)
        LOG.error("a query worker (pid %s) died running a query of %d characters (%s; %s); "
                  "its last words:\n%s", worker.pid, len(text), describe_exit(exitcode),
                  "memory cap" if cause == "memory" else "engine crash",
                  stderr.strip()[-2000:] or "(nothing)")
        self._notify(cause)
        if cause == "memory":
            return QueryTooExpensive(
                f"the query needed more than the memory limit of {self.memory_mb} MiB of a "
                f"query worker and was stopped; narrow it down or add a LIMIT")
        return EngineCrashed(
            "the query crashed the engine and was stopped (a fresh query worker has taken "
            "its place); very deep nesting of brackets, braces or operators is a known cause: "
            "simplify the query")

    def close(self) -> None:
        """Stop every worker process; the executor cannot be used afterwards."""
        with self._lock:
            self._closed = True
        self._finalizer()
