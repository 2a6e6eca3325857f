"""What ops ask a running worker: ``/health``, ``/ready`` (with the reasons) and ``/metrics``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

#: A readiness check: ``None`` when all is well, else the reason the worker is not ready.
Check = Callable[[], "str | None | Awaitable[str | None]"]


class Readiness:
    """Named checks that must all pass for ``GET /ready``; a failing one says why.

    ``streams.worker.app`` registers ``kafka`` (input partitions assigned), ``broker`` (the
    broker answers) and ``redis`` (PING answered); other parts of the worker add theirs with :meth:`register`.
    """

    def __init__(self, timeout_seconds: float = 2.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout_seconds

    def register(self, name: str, check: Check) -> None:
        """Add the check ``name`` (replacing one of the same name); it may be sync or async."""
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def reasons(self) -> list[str]:
        """Why the worker is not ready, one line per failing check; empty when it is."""
        results = await asyncio.gather(*(self._run(name, check) for name, check in self._checks.items()))
        return [reason for reason in results if reason]

    async def _run(self, name: str, check: Check) -> str | None:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, self._timeout)
        except asyncio.TimeoutError:
            return f"{name}: no answer within {self._timeout:g}s"
        except Exception as exc:  # a broken check makes the worker not ready, it does not break /ready
            return f"{name}: check failed: {exc!r}"
        return result or None


def register(app: faust.App, readiness: Readiness, registry: CollectorRegistry) -> None:
    """Add ``/health``, ``/ready`` and ``/metrics`` to the worker's web server."""

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            reasons = await readiness.reasons()
            status = 503 if reasons else 200
            return self.json({"ready": not reasons, "reasons": reasons}, status=status)

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])
