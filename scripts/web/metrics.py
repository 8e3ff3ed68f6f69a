"""``GET /metrics``: the server's Prometheus text, for clients on the server's host.

Requests by method, route and status; their latencies by route; and the read model's
lag, the events of the log it has not loaded yet (head − position at the follower's
last look). Each app has a registry of its own, so that several apps can live in one
process (the tests')."""

from __future__ import annotations

import ipaddress
import time

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scripts.web.answers import Answers
from scripts.web.follower import Follower


class Metrics:
    """The app's counters, timings and gauges."""

    def __init__(self, follower: Follower, answers: Answers | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rmledger_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rmledger_http_request_seconds",
            "Time to answer an HTTP request",
            ["route"],
            registry=self.registry,
        )
        lag = Gauge(
            "rmledger_read_model_lag_events",
            "Events in the log not yet loaded into the read model",
            registry=self.registry,
        )
        lag.set_function(lambda: float(follower.lag))
        position = Gauge(
            "rmledger_read_model_position",
            "The read model's event-log position",
            registry=self.registry,
        )
        position.set_function(lambda: float(follower.position))
        failures = Gauge(
            "rmledger_follower_failures",
            "Catch-ups of the read model that failed",
            registry=self.registry,
        )
        failures.set_function(lambda: float(follower.failures))
        if answers is not None:
            kept = Gauge(
                "rmledger_answers",
                "Reads answered from kept answers (hit, stale) or computed (computed), "
                "since the server started",
                ["outcome"],
                registry=self.registry,
            )
            kept.labels("hit").set_function(lambda: float(answers.hits))
            kept.labels("stale").set_function(lambda: float(answers.stale))
            kept.labels("computed").set_function(lambda: float(answers.misses))

    def install(self, app: FastAPI) -> None:
        """Count and time every request, by its route's template (not its path, which
        would make a series per manager)."""

        app.add_middleware(_Measure, metrics=self)

        @app.get("/metrics", include_in_schema=False)
        def metrics(request: Request) -> Response:
            if not on_this_host(request):
                return JSONResponse(
                    {"error": "forbidden", "message": "the metrics are for the server's own host"},
                    status_code=403,
                )
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _Measure:
    """A plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and a
    stream per request): the status as sent, the time until the answer is sent, and
    the route the router put in the request's scope."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before sending

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)
            self.metrics.requests.labels(scope["method"], name, str(status)).inc()


def on_this_host(request: Request) -> bool:
    """Whether the client connects from the loopback (the server's own host)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
