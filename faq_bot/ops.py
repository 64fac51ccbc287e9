"""Operations around the views: events store, rate limits, metrics, request log, proxies.

``install_operations(app)`` wires all of it onto an app built by ``web.build_app``; the
metrics are served by ``faq_bot.health``. Each
app gets its own metrics registry, limiter and events store, so tests (and several
apps in one process) never share counters by accident.

Under ``faq-bot serve`` the counters are prometheus_client's multiprocess values (the
documented ``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics`` adds up every worker, whichever
answers the scrape. Gauges (content version, queue length) are the answering worker's.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from werkzeug.middleware.proxy_fix import ProxyFix

from faq_bot.events import EventStore, sqlite_url
from faq_bot.redaction import redact
from faq_bot.state import ServiceState, state_of

OPS = "faq_bot.ops"
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # set: counters are shared by all worker processes
request_log = logging.getLogger("faq_bot.requests")
limiter_log = logging.getLogger("faq_bot.ratelimit")
# Storage URIs of the redis client (limits passes storage options on to it).
REDIS_SCHEMES = ("redis:", "rediss:", "redis+", "valkey:", "valkeys:", "valkey+")


class WatchedLimiter(Limiter):
    """A Limiter that logs, counts and shows when its shared storage fails and comes back.

    Flask-Limiter (4.x) switches to in-memory counting by setting ``self._storage_dead``
    and tells only its own logger, which has a NullHandler; this property sees every switch.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.storage_failures = 0
        self._storage_down = False
        self._storage_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def storage_down(self) -> bool:
        """True while the shared storage failed and limits are counted in this process's memory."""
        return self._storage_down

    @property
    def _storage_dead(self) -> bool:
        return self._storage_down

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        with self._storage_lock:
            if dead == self._storage_down:
                return
            self._storage_down = dead
            if dead:
                self.storage_failures += 1
        if dead:
            limiter_log.warning("rate-limit storage unreachable: counting limits in this process's memory")
        else:
            limiter_log.warning("rate-limit storage recovered: counting limits in shared storage again")


class Operations:
    """Per-app operational objects: the events store, limiter and metrics."""

    def __init__(self, app: Flask, store: EventStore, limiter: WatchedLimiter) -> None:
        self.store = store
        self.limiter = limiter
        self.storage_scheme = str(app.config["RATELIMIT_STORAGE_URI"]).split(":", 1)[0]  # never the password
        self.registry = CollectorRegistry(auto_describe=True)
        self.replies = Counter(
            "faq_bot_replies", "Replies to /api/ask by route and reason.", ["route", "reason"], registry=self.registry
        )
        self.latency = Histogram(
            "faq_bot_request_duration_seconds",
            "Time to serve a request, by endpoint.",
            ["endpoint"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.responses = Counter(
            "faq_bot_http_responses",
            "HTTP responses by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "faq_bot_rate_limited", "Requests refused with 429.", ["endpoint"], registry=self.registry
        )
        self.events_written = Counter("faq_bot_events_written", "Events written to the store.", registry=self.registry)
        self.events_dropped = Counter(
            "faq_bot_events_dropped",
            "Events that could not be written, whatever the cause (the two below, a full queue).",
            registry=self.registry,
        )
        self.events_rejected = Counter(
            "faq_bot_events_rejected",
            "Events the database refused for their data (each dropped alone, the rest of its batch written).",
            registry=self.registry,
        )
        self.events_outage_dropped = Counter(
            "faq_bot_events_outage_dropped",
            "Events dropped in a database outage: the spill was full (EVENTS_SPILL_MAX), off or unwritable, "
            "or the outage outlasted EVENTS_RETRY_SECONDS.",
            registry=self.registry,
        )
        self.reload_failures = Counter(
            "faq_bot_content_reload_failures", "Content reloads that failed.", registry=self.registry
        )
        self.ratelimit_storage_failures = Counter(
            "faq_bot_ratelimit_storage_failures",
            "Times the shared rate-limit storage failed and limits fell back to memory.",
            registry=self.registry,
        )
        self._counted: dict[Counter, int] = {}  # what each counter below has been told so far
        self.app = app
        self.state = _StateCollector(app, store, limiter)
        self.registry.register(self.state)

    def catch_up(self) -> None:
        """Add what the events writer, the reloader and the limiter counted since the last call to the counters.

        They count in their own threads; this runs after each request and before each scrape.
        """
        reloader = state_of(self.app).reloader
        for counter, total in (
            (self.events_written, self.store.written),
            (self.events_dropped, self.store.dropped),
            (self.events_rejected, self.store.rejected),
            (self.events_outage_dropped, self.store.outage_dropped),
            (self.reload_failures, reloader.failures if reloader is not None else 0),
            (self.ratelimit_storage_failures, self.limiter.storage_failures),
        ):
            behind = total - self._counted.get(counter, 0)
            if behind > 0:
                counter.inc(behind)
                self._counted[counter] = total

    def scrape_registry(self) -> CollectorRegistry:
        """What /metrics serves: this app's registry, or every worker's counters in multiprocess mode."""
        self.catch_up()
        if METRICS_DIR_VARIABLE not in os.environ:
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.state)
        return registry

    def rate_limit_status(self) -> dict[str, Any]:
        """Where limits are counted, for /readyz: ``storage_down`` while a shared storage fails."""
        return {
            "storage": self.storage_scheme,
            "storage_down": self.limiter.storage_down,
            "storage_failures": self.limiter.storage_failures,
        }


class _StateCollector(Collector):
    """Gauges read at scrape time from this worker: content version, reload status, the events queue."""

    def __init__(self, app: Flask, store: EventStore, limiter: WatchedLimiter) -> None:
        self.app = app
        self.store = store
        self.limiter = limiter

    def collect(self) -> Iterator[Any]:
        state = state_of(self.app)
        book = state.book
        info = GaugeMetricFamily(
            "faq_bot_content_info", "The loaded content version (value 1).", labels=["answers_version"]
        )
        if book is not None:
            info.add_metric([book.version], 1)
        yield info
        yield GaugeMetricFamily(
            "faq_bot_answers", "Published answers loaded.", value=len(book.published) if book is not None else 0
        )
        reloader = state.reloader
        failed = reloader is not None and reloader.status.status == "failed"
        yield GaugeMetricFamily(
            "faq_bot_content_reload_failed",
            "1 while the last content check failed and the last good content is still served.",
            value=1 if failed else 0,
        )
        yield GaugeMetricFamily(
            "faq_bot_events_queued", "Events in memory waiting to be written.", value=self.store.queued
        )
        yield GaugeMetricFamily(
            "faq_bot_events_spilled",
            "Events in the spill files waiting for the database to be written.",
            value=self.store.spilled,
        )
        yield GaugeMetricFamily(
            "faq_bot_events_retrying",
            "1 while the events database refuses writes and events wait to be retried.",
            value=1 if self.store.retrying else 0,
        )
        yield GaugeMetricFamily(
            "faq_bot_ratelimit_storage_down",
            "1 while the shared rate-limit storage (Redis) fails and limits are counted in memory.",
            value=1 if self.limiter.storage_down else 0,
        )


def operations_of(app: Flask) -> Operations:
    ops: Operations = app.extensions[OPS]
    return ops


def events_of(app: Flask) -> EventStore:
    return operations_of(app).store


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _events_store(app: Flask) -> EventStore:
    url = str(app.config.get("DATABASE_URL") or "") or sqlite_url(app.instance_path)
    store = EventStore(
        url,
        retention_days=int(app.config["EVENTS_RETENTION_DAYS"]),
        purge_interval=float(app.config["EVENTS_PURGE_INTERVAL"]),
        queue_size=int(app.config["EVENTS_QUEUE_SIZE"]),
        retry_seconds=float(app.config["EVENTS_RETRY_SECONDS"]),
        spill_dir=str(app.config["EVENTS_SPILL_DIR"] or "") or app.instance_path,
        spill_max=int(app.config["EVENTS_SPILL_MAX"]),
    )
    return store


def _limit_from_setting(app: Flask, setting: str) -> Callable[[], str]:
    """Read the limit at request time, so a changed setting needs no new decorator."""
    return lambda: str(app.config[setting])


def _storage_options(app: Flask) -> dict[str, Any]:
    """Bound every Redis call, so a hung Redis costs a request at most this long before the fallback."""
    if not str(app.config["RATELIMIT_STORAGE_URI"]).startswith(REDIS_SCHEMES):
        return {}
    timeout = float(app.config["RATELIMIT_STORAGE_TIMEOUT"])
    if timeout <= 0:  # 0: the redis client's own waits and retries (seconds when Redis hangs)
        return {}
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def _limiter(app: Flask) -> WatchedLimiter:
    limiter = WatchedLimiter(
        _client_address,
        app=app,
        storage_uri=str(app.config["RATELIMIT_STORAGE_URI"]),
        storage_options=_storage_options(app),
        key_prefix=str(app.config["RATELIMIT_KEY_PREFIX"]),
        headers_enabled=True,
        retry_after="delta-seconds",
        swallow_errors=True,  # a Redis outage must not stop patients getting answers
        in_memory_fallback_enabled=True,
        enabled=bool(app.config["RATELIMIT_ENABLED"]),
    )
    if not limiter.enabled:  # a wrapped view still evaluates its limits, about 30 us a request, to no end
        return limiter
    limits = {
        "api.ask": "RATELIMIT_ASK",
        "api.feedback": "RATELIMIT_FEEDBACK",
        "api.picked": "RATELIMIT_FEEDBACK",
        "api.search": "RATELIMIT_LOOKUP",
        "pages.lookup": "RATELIMIT_LOOKUP",
        "pages.lookup_route": "RATELIMIT_LOOKUP",
    }
    for endpoint, setting in limits.items():
        if endpoint in app.view_functions:
            limit = limiter.limit(_limit_from_setting(app, setting))
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])  # type: ignore[assignment]
    return limiter


def _json_log_handler() -> None:
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False


def tagged_logger(name: str, tag: str) -> logging.Logger:
    """The logger ``name``, to stderr at INFO unless logging is configured elsewhere.

    Lines read ``[time] [pid] [tag] LEVEL message``, like gunicorn's own.
    """
    logger = logging.getLogger(name)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"[%(asctime)s] [%(process)d] [{tag}] %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


def _logged_path() -> str:
    """The route rule ("/api/answers/<answer_id>"), never the path's own values; an unknown path redacted.

    Never the query string either: /api/search?q= carries typed text.
    """
    if request.url_rule is not None:
        return request.url_rule.rule
    return redact(request.path)[:200]


def install_operations(app: Flask, state: ServiceState) -> Operations:
    """Add the events store, rate limits, metrics and the request log, and trust the configured proxies."""
    trusted = int(app.config["TRUSTED_PROXIES"])
    if trusted > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)  # type: ignore[method-assign]

    store = _events_store(app)
    ops = Operations(app, store, _limiter(app))
    app.extensions[OPS] = ops
    state.events = store
    _json_log_handler()
    tagged_logger(limiter_log.name, "faq-bot rate-limit")

    @app.before_request
    def start_timer() -> None:
        g.faq_bot_started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        if request.path.startswith(("/api/", "/admin")):
            response.headers["Cache-Control"] = "no-store"
        started = g.get("faq_bot_started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        endpoint = request.endpoint or "none"
        ops.latency.labels(endpoint).observe(elapsed)
        ops.responses.labels(endpoint, str(response.status_code)).inc()
        ops.catch_up()
        line: dict[str, Any] = {
            "event": "request",
            "method": request.method,
            "path": _logged_path(),
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "bytes": response.calculate_content_length(),
        }
        reply = g.get("faq_bot_reply")
        if reply is not None:
            line["route"], line["reason"] = reply
        request_log.info(json.dumps(line, separators=(",", ":")))
        return response

    return ops


def note_reply(app: Flask, route: str, reason: str) -> None:
    """Count a reply for the metrics and the request log line."""
    g.faq_bot_reply = (route, reason)
    operations_of(app).replies.labels(route, reason).inc()
