"""Handing a task to the job queue from a request, without ever hanging the request."""

import logging
from typing import Any

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def publish(task: Any, args: tuple, *, lost: str) -> bool:
    """Enqueue task(*args) once; False (logged with what is lost) when the broker is down.

    One try, every socket call bounded by CELERY_PUBLISH_TIMEOUT: a broker that stops
    answering (not refusing) costs a request that long, never a hang.
    """
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    bounded = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    try:
        with task.app.connection_for_write(transport_options=bounded) as connection:
            task.apply_async(args, connection=connection, retry=False)
    except (OperationalError, RedisError, OSError) as error:
        logger.warning("Broker unavailable (%s); %s", error, lost)
        return False
    return True
