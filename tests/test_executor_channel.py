"""The socket channel between the web process and a query worker: framing, large messages,
timeouts and a closed end (no worker process needed: a socket pair in this process)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from citygraph.executor import _CHUNK, _HEADER, Channel


@pytest.fixture
def pair() -> Iterator[tuple[Channel, Channel]]:
    """Two channels over a connected socket pair, closed afterwards."""
    left, right = socket.socketpair()
    a, b = Channel(left), Channel(right)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_messages_cross_whole_and_in_order(pair: tuple[Channel, Channel]) -> None:
    a, b = pair
    a.send(("ok", b"{}", "boolean", 1, False), timeout=5)
    assert b.receive(5) == ("ok", b"{}", "boolean", 1, False)
    b.send({"reply": [1, 2, 3]})
    assert a.receive(5) == {"reply": [1, 2, 3]}


@pytest.mark.parametrize("size", [0, _CHUNK - 100, _CHUNK + 1, 5 * _CHUNK + 17])
def test_answers_of_any_size_arrive_intact(pair: tuple[Channel, Channel], size: int) -> None:
    a, b = pair
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    # A large message fills the socket's buffer: the writer needs the reader to go on.
    writer = threading.Thread(target=a.send, args=(("ok", body),))
    writer.start()
    got = b.receive(30)
    writer.join(30)
    assert got == ("ok", body)


def test_bytes_past_one_message_are_kept_for_the_next(pair: tuple[Channel, Channel]) -> None:
    a, b = pair
    a.send("first")
    a.send("second")  # both in the socket before the first read: one read takes in both
    time.sleep(0.05)
    assert b.receive(5) == "first"
    assert b.receive(5) == "second"


def test_a_message_split_across_reads_is_put_together(pair: tuple[Channel, Channel]) -> None:
    import pickle

    a, b = pair
    payload = pickle.dumps(("ok", b"y" * 1000), pickle.HIGHEST_PROTOCOL)
    frame = _HEADER.pack(len(payload)) + payload

    def trickle() -> None:
        for start in range(0, len(frame), 3):  # the header itself arrives in pieces
            a.sock.sendall(frame[start:start + 3])
            time.sleep(0.0005)

    thread = threading.Thread(target=trickle)
    thread.start()
    assert b.receive(10) == ("ok", b"y" * 1000)
    thread.join(10)


def test_no_message_within_the_timeout_is_a_timeout_error(pair: tuple[Channel, Channel]) -> None:
    _, b = pair
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        b.receive(0.2)
    assert time.monotonic() - start >= 0.2


def test_the_timeout_covers_the_whole_message_not_each_read(
        pair: tuple[Channel, Channel]) -> None:
    a, b = pair
    a.sock.sendall(_HEADER.pack(1000) + b"\x80")  # a header and one byte, then nothing
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        b.receive(0.3)
    assert 0.3 <= time.monotonic() - start < 5


def test_a_closed_end_is_eof(pair: tuple[Channel, Channel]) -> None:
    a, b = pair
    a.close()  # a worker that died
    with pytest.raises(EOFError):
        b.receive(5)


def test_a_closed_end_in_the_middle_of_a_message_is_eof(pair: tuple[Channel, Channel]) -> None:
    a, b = pair
    a.sock.sendall(_HEADER.pack(1000) + b"\x80\x05")
    a.close()
    with pytest.raises(EOFError):
        b.receive(5)
