"""An open-loop load generator: requests leave on a fixed schedule (``rate`` a second),
whether or not earlier ones have been answered, as reports from many homes would.

Latency is measured from the moment a request was *due* to leave, not from when a thread got
round to sending it, so a server that falls behind shows as queueing in the numbers instead
of slowing the generator down ("coordinated omission"). Each thread keeps its own
``http.client`` connection to 127.0.0.1; nothing leaves the host.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

# Small stacks: a saturated server can leave a thousand threads waiting at once.
THREAD_STACK_BYTES = 512 * 1024
MAX_THREADS = 4000


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    index: int
    due: float  # time.time() when the request was due to leave
    sent: float  # time.time() when it left
    latency: float  # seconds from due to the whole answer read
    status: int | None  # None: no answer (connection error or time-out)
    error: str = ""
    body: bytes = b""


class _Connections(threading.local):
    conn: http.client.HTTPConnection | None = None


def run_open_loop(
    *,
    port: int,
    requests: list[Request],
    rate: float,
    timeout: float = 60.0,
    keep_body: Callable[[int], bool] = lambda status: False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Send ``requests`` in order, ``rate`` a second, and wait for every answer (each within
    ``timeout``). Returns one outcome per request, in order.

    There are enough threads for every request that can be waiting at once (``rate`` x
    ``timeout``), so that requests leave on time even when the server falls behind: they
    then queue in the server's listen backlog, as they would from many clients, and those
    not answered within ``timeout`` count as time-outs. Threads start only when needed."""
    threads = min(MAX_THREADS, math.ceil(rate * (timeout + 5)) + 8)
    local = _Connections()
    outcomes: list[Outcome | None] = [None] * len(requests)
    done = 0
    lock = threading.Lock()
    start_perf = time.perf_counter() + 0.2
    start_wall = time.time() + (start_perf - time.perf_counter())

    def send(index: int, due_perf: float) -> None:
        nonlocal done
        request = requests[index]
        due_wall = start_wall + (due_perf - start_perf)
        sent = time.time()
        status: int | None = None
        error = ""
        body = b""
        try:
            if local.conn is None:
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            local.conn.request("POST", request.path, body=request.body, headers=request.headers)
            response = local.conn.getresponse()
            data = response.read()
            status = response.status
            # Errors are kept so that the report can say what went wrong.
            body = data if keep_body(status) or status >= 400 else b""
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
            if local.conn is not None:
                local.conn.close()
                local.conn = None
        latency = time.perf_counter() - due_perf
        outcomes[index] = Outcome(index, due_wall, sent, latency, status, error, body)
        with lock:
            done += 1

    # The pool starts its threads as requests are submitted: the small stack size holds
    # until every request has left.
    previous_stack = threading.stack_size(THREAD_STACK_BYTES)
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="load") as pool:
            report_at = time.perf_counter() + 10
            for index in range(len(requests)):
                due = start_perf + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, index, due)
                if progress is not None and time.perf_counter() >= report_at:
                    report_at += 10
                    progress(index + 1, done)
            threading.stack_size(previous_stack)
    finally:
        threading.stack_size(previous_stack)
    return [o for o in outcomes if o is not None]
