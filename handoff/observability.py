"""Logs that say whose request or which task they belong to, and error reports to Sentry.

Every log record carries `request_id`, `user_id` and `task_id` (None outside a
request or a task). The request id is the caller's `X-Request-ID` when it is
well formed, else a new one, and is echoed back in the response. Settings
import this module for its logging filter and formatter, so it imports
nothing of the app's models.
"""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from celery import signals as celery_signals
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and - _ . : up to 128 characters: what proxies and tracers send, and nothing
# that could break a log line or a header.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "handoff_request", default=None
)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "handoff_request_id", default=None
)
_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "handoff_task_id", default=None
)

request_logger = logging.getLogger("handoff.request")


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_from(value: str | None) -> str:
    """The caller's id if it is well formed, else a fresh one."""
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _user_id() -> int | None:
    """The signed-in user's id, read only once authentication has run: logging never queries."""
    request = _request.get()
    if request is None:
        return None
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class ContextFilter(logging.Filter):
    """Stamps each record with the ids of the request and the task it was written in."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id()
        record.task_id = _task_id.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, the ids, and any extra fields."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "fmt", "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(task_id)s"
        )
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        # Django puts the request object on its records; the ids above already identify it.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        # An ISO 8601 time in UTC.
        kwargs.setdefault("timestamp", "time")
        super().__init__(*args, **kwargs)


class RequestIdMiddleware:
    """Gives each request its id, makes it and the user visible to logging, and logs the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Kept until the response is closed (request_finished), so that what Django logs
        # after the middleware, such as "Not Found", still carries the ids.
        _request.set(request)
        _request_id.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished, dispatch_uid="handoff.observability.request_finished")
def _request_done(**kwargs: object) -> None:
    _request.set(None)
    _request_id.set(None)


@celery_signals.setup_logging.connect(weak=False)
def _log_through_django(loglevel: int | str | None = None, **kwargs: object) -> None:
    """The worker and beat log through the settings' LOGGING like the web tier, not Celery's own
    handlers (which would write plain lines); their --loglevel still applies."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@celery_signals.task_prerun.connect(weak=False)
def _task_started(task_id: str | None = None, **kwargs: object) -> None:
    _task_id.set(task_id)


@celery_signals.task_postrun.connect(weak=False)
def _task_finished(**kwargs: object) -> None:
    _task_id.set(None)


def init_sentry(
    *, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0
) -> None:
    """Report errors of the web tier and the workers to Sentry, without personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_request_id,
    )


def _tag_request_id(event: dict, hint: dict) -> dict:
    """The request id on the event, so a report and its log lines find each other."""
    tags = event.setdefault("tags", {})
    if request_id := _request_id.get():
        tags.setdefault("request_id", request_id)
    if task_id := _task_id.get():
        tags.setdefault("task_id", task_id)
    return event
