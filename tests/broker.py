"""Point this process's Celery publisher at another broker, for tests of a broken one."""

from config.celery import app as celery_app


def use_broker(url: str) -> None:
    """The app's pools cache the broker they were made for: drop them with the URL."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
