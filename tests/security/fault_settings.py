"""Production settings with a slow, logging mail backend: a digest run that can be killed midway."""

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.security.slow_mail.SlowLoggingBackend"
# The rerun comes seconds after the kill, not minutes: take over the dead run's claim at once.
DIGEST_CLAIM_LEASE_SECONDS = 0
