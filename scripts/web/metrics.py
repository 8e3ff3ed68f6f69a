"""``GET /metrics``: the server's Prometheus text, for clients on the server's host.

Requests by method, route and status; their latencies by route; and the read model's
lag, the events of the log it has not loaded yet (head − position at the follower's
last look). Each app has a registry of its own, so that several apps can live in one
process (the tests')."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable

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

from scripts.web.follower import Follower


class Metrics:
    """The app's counters, timings and gauges."""

    def __init__(self, follower: Follower) -> None:
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

    def install(self, app: FastAPI) -> None:
        """Count and time every request, by its route's template (not its path, which
        would make a series per manager)."""

        @app.middleware("http")
        async def measure(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.latency.labels(name).observe(time.perf_counter() - started)
            self.requests.labels(request.method, name, str(response.status_code)).inc()
            return response

        @app.get("/metrics", include_in_schema=False)
        def metrics(request: Request) -> Response:
            if not on_this_host(request):
                return JSONResponse(
                    {"error": "forbidden", "message": "the metrics are for the server's own host"},
                    status_code=403,
                )
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def on_this_host(request: Request) -> bool:
    """Whether the client connects from the loopback (the server's own host)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
