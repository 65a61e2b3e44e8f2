"""SQL statements per missing report, counted in this process after the timed phases.

The timed phases measure the servers from outside; they cannot say how many statements one
report costs. Here a few reserved reports of the same synthetic world go through the same API
operation in this process (Django's test client with Sightline's URLs, the production
settings of the run), and the worker's delivery loop then sends what they owe, each with a
``connection.execute_wrapper`` counting the statements the database was sent and
``time.process_time`` the Python CPU spent (the database's own CPU is in the phases' figures).
It runs after the receipts of the timed phases were collected, so its e-mails are not counted
as unexpected there.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

PROBE_REPORTS = 5


class _Counter:
    def __init__(self) -> None:
        self.statements = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.statements += 1
        return execute(sql, params, many, context)


def probe(reports: list[Any], *, api_path: str, host: str = "127.0.0.1") -> dict[str, Any]:
    """Send each planned report through the API in-process, then deliver what it owes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from sightline.notifications.delivery import deliver_due

    web_statements: list[int] = []
    web_cpu_ms: list[float] = []
    delivery_statements: list[int] = []
    delivery_cpu_ms: list[float] = []
    deliveries: list[int] = []
    client = Client(HTTP_HOST=host)
    with override_settings(ROOT_URLCONF="config.urls"):
        for planned in reports:
            counter = _Counter()
            started = time.process_time()
            with connection.execute_wrapper(counter):
                response = client.post(
                    api_path,
                    data=json.dumps(planned.body),
                    content_type="application/json",
                    secure=True,
                    HTTP_AUTHORIZATION=f"Bearer {planned.key}",
                    HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                )
            web_cpu_ms.append((time.process_time() - started) * 1000)
            if response.status_code != 201:
                raise RuntimeError(
                    f"probe report answered {response.status_code}: {response.content[:300]!r}"
                )
            web_statements.append(counter.statements)

            counter = _Counter()
            started = time.process_time()
            with connection.execute_wrapper(counter):
                sent = deliver_due()
            delivery_cpu_ms.append((time.process_time() - started) * 1000)
            delivery_statements.append(counter.statements)
            deliveries.append(sent)

    def summary(values: list[float] | list[int]) -> dict[str, float]:
        return {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }

    return {
        "reports": len(reports),
        "web_statements": summary(web_statements),
        "delivery_statements": summary(delivery_statements),
        "deliveries_per_report": summary(deliveries),
        "web_python_cpu_ms": summary(web_cpu_ms),
        "delivery_python_cpu_ms": summary(delivery_cpu_ms),
    }


def line(result: dict[str, Any]) -> str:
    web = result["web_statements"]["median"]
    delivery = result["delivery_statements"]["median"]
    return (
        f"SQL statements per report (median of {result['reports']}, in-process): "
        f"{web:g} in the request, {delivery:g} delivering its "
        f"{result['deliveries_per_report']['median']:g} deliveries, {web + delivery:g} in all; "
        f"Python CPU {result['web_python_cpu_ms']['median']:.1f} ms request, "
        f"{result['delivery_python_cpu_ms']['median']:.1f} ms delivery"
    )
