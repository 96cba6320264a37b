"""The teacher's worker goes first in the training turnstile (app/gate.py), but never takes
two turns in a row while another worker waits, nor more than its share of the time."""

from __future__ import annotations

import threading
import time

from app.gate import Gate

HOLD = 0.02  # seconds each worker keeps the slot: the others have time to queue up


def _wait_users(gate: Gate, n: int) -> None:
    deadline = time.monotonic() + 5
    while gate.users < n:
        assert time.monotonic() < deadline, f"{gate.users} of {n} workers reached the gate"
        time.sleep(0.001)


def _worker(gate: Gate, name: str, turns: int, order: list[str],
            prioritized: bool = False) -> threading.Thread:
    def run() -> None:
        if prioritized:
            gate.prioritize(threading.get_ident())
        for _ in range(turns):
            with gate.slot():
                order.append(name)
                time.sleep(HOLD)
    return threading.Thread(target=run, daemon=True)


def _queue_then_release(gate: Gate, workers: list[threading.Thread]) -> None:
    """Hold the slot while each worker starts and queues (in the list's order), then let go."""
    gate.acquire()
    for i, w in enumerate(workers):
        w.start()
        _wait_users(gate, i + 2)
    gate.release()
    for w in workers:
        w.join(10)
        assert not w.is_alive()


def test_a_prioritized_worker_that_queued_last_is_served_first():
    gate, order = Gate(1, priority_share=1.0), []
    workers = [_worker(gate, n, 1, order) for n in "abc"]
    workers.append(_worker(gate, "T", 1, order, prioritized=True))
    _queue_then_release(gate, workers)
    assert order == ["T", "a", "b", "c"]


def test_a_prioritized_worker_gets_every_other_turn_never_two_in_a_row():
    gate, order = Gate(1, priority_share=1.0), []
    workers = [_worker(gate, n, 1, order) for n in "abcd"]
    workers.append(_worker(gate, "T", 5, order, prioritized=True))
    _queue_then_release(gate, workers)
    assert order == ["T", "a", "T", "b", "T", "c", "T", "d", "T"]


def test_without_priority_the_gate_is_first_come_first_served():
    gate, order = Gate(1), []
    workers = [_worker(gate, n, 1, order) for n in "abc"]
    t = _worker(gate, "T", 1, order, prioritized=False)
    _queue_then_release(gate, [*workers, t])
    assert order == ["a", "b", "c", "T"]


def test_priority_can_be_taken_back():
    gate, order = Gate(1), []
    ident: list[int] = []

    def run() -> None:
        ident.append(threading.get_ident())
        gate.prioritize(ident[0])
        gate.prioritize(ident[0], False)
        with gate.slot():
            order.append("T")

    workers = [_worker(gate, "a", 1, order), threading.Thread(target=run, daemon=True)]
    _queue_then_release(gate, workers)
    assert order == ["a", "T"]


def test_past_its_share_of_the_time_a_prioritized_worker_queues_like_the_others():
    gate, order = Gate(1, priority_share=0.0, priority_window=60.0), []
    workers = [_worker(gate, n, 1, order) for n in "abc"]
    workers.append(_worker(gate, "T", 2, order, prioritized=True))
    _queue_then_release(gate, workers)
    # first in line while it had held nothing; then at the back, behind b and c
    assert order == ["T", "a", "b", "c", "T"]


def test_the_share_is_counted_again_in_each_window():
    gate = Gate(1, priority_share=0.0, priority_window=0.05)
    gate.prioritize(threading.get_ident())
    with gate.slot():
        time.sleep(0.01)
    assert gate._priority_held > 0
    time.sleep(0.06)
    with gate._lock:
        assert gate._first_in_line(time.monotonic())  # a new window: nothing held yet
    assert gate._priority_held == 0.0
