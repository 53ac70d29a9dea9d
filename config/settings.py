"""Settings for Handoff, read from the environment (see .env.example).

Defaults are safe for development: SQLite in var/, no Redis, console email.
With DEBUG off the app refuses to start on the development secret.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.email_url import mail_folder
from handoff.auth.claims import MAPPABLE_ROLES, parse_role_map

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEVELOPMENT_SECRET_KEY = "development-only-not-secret-handoff-0000000000000000000000000000000"  # noqa: S105 - refused when DEBUG is off

DEBUG = env.bool("DEBUG", default=False)
# A blank SECRET_KEY (as in .env.example) is no secret at all: the development one, refused below.
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development secret while DEBUG is off. "
        "Set SECRET_KEY to a long random value (or DEBUG=true for development)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Absolute links in emails. In development, unless set, the address `make run` serves on.
SITE_URL = env.str("SITE_URL", default="") or (
    (DEBUG and env.str("DEV_SERVER_URL", default="")) or "http://127.0.0.1:8000"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "handoff",
    "handoff.auth",
    "deals",
    "projects",
    "feedback",
    "insights",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "handoff.user_cache.CachedUserAuthenticationMiddleware",
    "handoff.web.timezones.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "handoff.auth.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "handoff.security.OutOfRangeInputMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handoff.context_processors.navigation",
                "feedback.context_processors.unread",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "handoff.templatetags.formats",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'handoff.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, taken at BEGIN, so two writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # JIT compilation pays off for long analytical scans, not for a web app's short queries;
    # it made the dashboard's computation about a fifth slower, so the app turns it off.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
    # Parallel query pays off for the worker's long scans (the dashboard's figures: 552 → 499
    # ms at 100,000 deals), not for a page's short queries, where starting a helper process
    # costs more than it saves (the PM's home page: 73 → 65 ms). The web's processes, marked
    # by config/wsgi.py and config/asgi.py, turn it off; the worker, beat and commands keep
    # the server's own.
    if env.str("HANDOFF_PROCESS", default="") == "web":
        _options["options"] += " -c max_parallel_workers_per_gather=0"
    # Prepared statements: a query is planned once per connection, not at every run (planning
    # was 9 of the 23 ms a won deal's page spent in PostgreSQL). Behind a pooler in transaction
    # mode without prepared-statement support, DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        _options["server_side_binding"] = True
        _options["prepare_threshold"] = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
# A read replica, when there is one: the dashboard's computations and the CSV exports read it
# (handoff.db_router); every write and every other read go to the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"].startswith("django.db.backends.postgresql"):
        DATABASES["replica"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["replica"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASE_ROUTERS = ["handoff.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL is the Celery broker; the cache may live in another Redis database (or server).
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_REDIS_URL = env.str("CACHE_REDIS_URL", default="") or REDIS_URL
# A Redis that stops answering (not refusing) must not hold a request: every call is bounded.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
# After a failed cache call this process leaves Redis alone for this long (every call a miss).
CACHE_RETRY_AFTER_SECONDS = env.float("CACHE_RETRY_AFTER_SECONDS", default=5.0)
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "handoff.security.ResilientRedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The capacity check's shared loads (open work, tentative deals) are rebuilt at most this often
# after a change (handoff.settled_cache): each costs most of a second at 100,000 deals.
CACHED_LOAD_SETTLE_SECONDS = env.int("CACHED_LOAD_SETTLE_SECONDS", default=30)

AUTH_USER_MODEL = "handoff.User"
# The signed-in user is read from the shared cache for this long (handoff.user_cache),
# saving each request a query; off (0) without a shared cache, where processes cannot agree.
AUTH_USER_CACHE_SECONDS = env.int("AUTH_USER_CACHE_SECONDS", default=60 if CACHE_REDIS_URL else 0)
# With a shared cache a session is read from it (for SESSION_CACHE_SECONDS at most) and written
# through to the database (handoff.sessions), so a request, a live page's poll included, costs
# no query for its session; a per-process cache could not see another process's sign-out, so
# without a shared one, the database.
SESSION_ENGINE = "handoff.sessions" if CACHE_REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=60)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "handoff.auth.oidc.OIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (handoff.auth.oidc), on when OIDC_ISSUER is set: the
# endpoints come from the issuer's discovery document, fetched when first needed and cached.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=5.0)
OIDC_DISCOVERY_MAX_AGE = env.int("OIDC_DISCOVERY_MAX_AGE", default=3600)
# The claim that lists the user's groups, and which group gives which role.
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="groups")
try:
    OIDC_ROLE_MAP = parse_role_map(env.str("OIDC_ROLE_MAP", default=""))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error
# The claim that says the email is the user's (Microsoft Entra ID: xms_edov).
OIDC_EMAIL_VERIFIED_CLAIM = env.str("OIDC_EMAIL_VERIFIED_CLAIM", default="email_verified")
# The role of a user in none of the mapped groups; blank refuses such users.
OIDC_DEFAULT_ROLE = env.str("OIDC_DEFAULT_ROLE", default="sales")
if OIDC_DEFAULT_ROLE and OIDC_DEFAULT_ROLE not in MAPPABLE_ROLES:
    raise ImproperlyConfigured(f"OIDC_DEFAULT_ROLE must be one of {', '.join(MAPPABLE_ROLES)}.")
# Users signing in for the first time get an account (else only existing emails may).
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USER", default=True)
# Off: only admins may sign in with a password (the page and the API token endpoint).
PASSWORD_LOGIN = env.bool("PASSWORD_LOGIN", default=True)

# Two-factor authentication for password sign-ins (django-otp: TOTP and recovery codes).
MFA_REQUIRED_FOR_MANAGERS = env.bool("MFA_REQUIRED_FOR_MANAGERS", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Handoff")
# The Django admin lists devices without their secret keys.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
MFA_RECOVERY_CODES = 10
# Seconds between the password and the code of one sign-in, and to finish setting up an app.
MFA_LOGIN_MAX_AGE = 300
MFA_SETUP_MAX_AGE = 900

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Lock the pair: a username tried from one address. Locking by address alone would lock out
# every account behind a shared proxy or office NAT after one person's five typos.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "handoff.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "handoff.security.client_ip"
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none is trusted,
# the header is ignored). The documented stack has one: the TLS proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# A refused single sign-on is no password guess and carries no username to lock.
AXES_WHITELIST_CALLABLE = "handoff.auth.oidc.single_sign_on_attempt"

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Lower case, so not a setting: the URL may carry the SMTP password.
_email_url = env.str("EMAIL_URL", default="") or "consolemail://"
EMAIL_CONFIG = env.email_url_config(_email_url)
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = mail_folder(_email_url, base=BASE_DIR, default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Handoff <handoff@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Behind TLS in production: HTTPS=true turns on every transport protection at once.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "handoff.tokens.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "handoff.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "handoff.api.FilterBackend",
        "handoff.api.StableOrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "handoff.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "handoff.schema.AutoSchema",
    "EXCEPTION_HANDLER": "handoff.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Handoff API",
    "DESCRIPTION": "Deals, commitments, feasibility review, projects and feedback.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "handoff.schema.CachedSchemaGenerator",
    "ENUM_NAME_OVERRIDES": {
        "DealStatusEnum": "deals.models.DealStatus",
        "CommitmentKindEnum": "deals.models.CommitmentKind",
        "DealEventKindEnum": "deals.models.EventKind",
        "VerdictKindEnum": "deals.models.VerdictKind",
        "CurrencyEnum": "deals.models.Currency",
        "ApproverKindEnum": "deals.models.ApproverKind",
        "RuleApproverEnum": "deals.api.review_serializers.RULE_APPROVERS",
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "DeliverableStatusEnum": "projects.models.DeliverableStatus",
        "WebhookEventEnum": "feedback.webhooks_models.WebhookEvent",
        "WebhookDeliveryKindEnum": "feedback.webhooks_models.DeliveryKind",
        "WebhookDeliveryStatusEnum": "feedback.webhooks_models.DeliveryStatus",
        "ChatKindEnum": "feedback.webhooks_models.ChatKind",
        "CalendarFeedScopeEnum": "feedback.calendar_models.FeedScope",
        "ApiTokenScopeEnum": "handoff.token_models.TokenScope",
        "ApiTokenStatusEnum": "handoff.token_models.TokenStatus",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "MeetingKindEnum": "meetings.models.MeetingKind",
        "ActionItemStatusEnum": "meetings.models.ActionItemStatus",
        "AgendaItemActionEnum": "meetings.models.ItemAction",
    },
}

# Background jobs. Without REDIS_URL the broker is a folder (kombu's filesystem
# transport): a real worker and beat run with no server to install.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any countdown or retry delay, so a delayed task is not redelivered early.
        "visibility_timeout": 2 * 3600,
        # Longer than the worker's one-second BRPOP, so an idle worker never times out.
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        "health_check_interval": 25,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request publishes its after-commit task once, within this; else the sweep sends it.
CELERY_PUBLISH_TIMEOUT = env.float("CELERY_PUBLISH_TIMEOUT", default=REDIS_SOCKET_TIMEOUT)
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# The feedback loop: outbox sweep, SLA and lateness checks, digests.
DIGEST_DAILY_HOUR = env.int("DIGEST_DAILY_HOUR", default=7)
DIGEST_WEEKLY_DAY = env.str("DIGEST_WEEKLY_DAY", default="mon")
DIGEST_WEEKLY_HOUR = env.int("DIGEST_WEEKLY_HOUR", default=7)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_SWEEP_GRACE_SECONDS = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=120)
CELERY_BEAT_SCHEDULE.update(
    {
        "feedback-sweep-outbox": {"task": "feedback.tasks.sweep_outbox", "schedule": 60.0},
        # Due soon, past the SLA, then each working day: each (round, kind, day) once.
        "feedback-review-reminders": {
            "task": "feedback.tasks.send_review_reminders",
            "schedule": 300.0,
        },
        "feedback-late-deliverables": {
            "task": "feedback.tasks.notify_late_deliverables",
            "schedule": crontab(minute=15),
        },
        "feedback-daily-digest": {
            "task": "feedback.tasks.send_digests",
            "schedule": crontab(minute=0, hour=DIGEST_DAILY_HOUR),
            "args": ("daily",),
        },
        "feedback-weekly-digest": {
            "task": "feedback.tasks.send_digests",
            "schedule": crontab(minute=0, hour=DIGEST_WEEKLY_HOUR, day_of_week=DIGEST_WEEKLY_DAY),
            "args": ("weekly",),
        },
    }
)

# Webhooks and team chat (feedback.webhooks_delivery): hosts that may resolve to a private or
# loopback address and may use plain http (comma list); attempts per event, retry backoff,
# and the run of events failed for good after which an endpoint or channel is turned off.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_MAX_FAILURES = env.int("WEBHOOK_MAX_FAILURES", default=10)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
CELERY_BEAT_SCHEDULE["feedback-sweep-webhooks"] = {
    "task": "feedback.tasks.sweep_webhooks",
    "schedule": 60.0,
}

# Retention (feedback.retention): finished outbox emails and webhook/chat delivery logs older
# than this many days, spent approval-link nonces and expired sessions are deleted each hour
# in batches; pending rows stay, and the audit trails are never pruned.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
DELIVERY_LOG_RETENTION_DAYS = env.int("DELIVERY_LOG_RETENTION_DAYS", default=90)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
RETENTION_TIME_BUDGET_SECONDS = env.float("RETENTION_TIME_BUDGET_SECONDS", default=45.0)
CELERY_BEAT_SCHEDULE["feedback-prune-operational-rows"] = {
    "task": "feedback.tasks.prune_operational_rows",
    "schedule": crontab(minute=40),
    "options": {"expires": 3000.0},
}

# The dashboard and goal panels read stored figures; the job refreshes the default ranges
# more often than this. A reader finding a result older queues its recomputation and is
# answered with it as it is, unless it is older than the stale limit (no worker keeps up):
# then the request computes it.
METRICS_SNAPSHOT_MAX_AGE_SECONDS = env.int("METRICS_SNAPSHOT_MAX_AGE_SECONDS", default=120)
METRICS_SNAPSHOT_STALE_LIMIT_SECONDS = env.int("METRICS_SNAPSHOT_STALE_LIMIT_SECONDS", default=900)
# Every minute the job folds the events into the summaries, then sums the stored figures.
METRICS_REFRESH_SECONDS = env.int("METRICS_REFRESH_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["handoff-refresh-metrics"] = {
    "task": "insights.tasks.refresh_metrics",
    "schedule": float(METRICS_REFRESH_SECONDS),
    # A run the worker could not start before the next one is due is dropped.
    "options": {"expires": float(METRICS_REFRESH_SECONDS)},
}

# The weekly sync: this week's meetings made ready, overdue action items carried into them.
CELERY_BEAT_SCHEDULE["meetings-prepare-weekly"] = {
    "task": "meetings.tasks.prepare_weekly_meetings",
    "schedule": crontab(minute=30),
}

# The append-only event tables are partitioned by month on PostgreSQL (handoff.partitions):
# each night the job makes this month's partition and this many months ahead.
EVENT_PARTITION_MONTHS_AHEAD = env.int("EVENT_PARTITION_MONTHS_AHEAD", default=3)
CELERY_BEAT_SCHEDULE["handoff-create-event-partitions"] = {
    "task": "handoff.tasks.create_event_partitions",
    "schedule": crontab(minute=50, hour=2),
}

# Logs: plain lines in development, one JSON object a line in production (LOG_FORMAT), each
# record with the ids of its request, user and task (handoff.observability).
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "handoff.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "handoff.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The request line of each request, in development too noisy beside runserver's own.
        "handoff.request": {
            "level": env.str("REQUEST_LOG_LEVEL", default="WARNING" if DEBUG else "INFO")
        },
    },
}

# Product rules
REVIEW_SLA_WORKING_DAYS = env.int("REVIEW_SLA_WORKING_DAYS", default=2)
# The "due soon" reminder goes out once this share of the SLA has passed, in working time.
REVIEW_REMINDER_AT = env.float("REVIEW_REMINDER_AT", default=0.75)
if not 0 <= REVIEW_REMINDER_AT < 1:
    raise ImproperlyConfigured("REVIEW_REMINDER_AT must be at least 0 and less than 1.")
# How a PM who never chose hears of a deal any PM may claim (a first submission nobody leads,
# a released review), which is told to every PM: "digest" (the bell and the queue page at once,
# the digest, the SLA reminders), "immediate" (an email each: a small team) or "off".
REVIEW_QUEUE_EMAIL = env.str("REVIEW_QUEUE_EMAIL", default="digest")
if REVIEW_QUEUE_EMAIL not in ("immediate", "digest", "off"):
    raise ImproperlyConfigured("REVIEW_QUEUE_EMAIL must be immediate, digest or off.")
# Seconds an "Approve" link in a review email stays valid (72 hours).
APPROVAL_LINK_MAX_AGE = env.int("APPROVAL_LINK_MAX_AGE", default=72 * 3600)
# The most commitments a deal holds, on the API and the form alike: each write stays short.
MAX_COMMITMENTS_PER_DEAL = env.int("MAX_COMMITMENTS_PER_DEAL", default=100)
# Imports of deals from a file: bounds of one file, and the size past which a job runs it.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5_000_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20_000)
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=300)
# Deals planned and written together (a few queries a chunk); 1 takes each through the intake alone.
IMPORT_BATCH_DEALS = env.int("IMPORT_BATCH_DEALS", default=200)
DEFAULT_WEEKLY_CAPACITY_DAYS = env.float("DEFAULT_WEEKLY_CAPACITY_DAYS", default=4.0)
# Tentative load: the chance a deal in review / signed off is won, when history is too thin.
TENTATIVE_WIN_FALLBACK_IN_REVIEW = env.float("TENTATIVE_WIN_FALLBACK_IN_REVIEW", default=0.4)
TENTATIVE_WIN_FALLBACK_SIGNED_OFF = env.float("TENTATIVE_WIN_FALLBACK_SIGNED_OFF", default=0.75)
# Calibrated promises: resolved promises a figure needs before it is shown.
CALIBRATION_MIN_SAMPLE = env.int("CALIBRATION_MIN_SAMPLE", default=5)

# Input bounds: a date a user enters lies within this many years of today (before or after).
DATE_INPUT_RANGE_YEARS = env.int("DATE_INPUT_RANGE_YEARS", default=10)

# Observability: a request id on every request and every log line (handoff.observability).
MIDDLEWARE.insert(0, "handoff.observability.RequestIdMiddleware")

# Error reports to Sentry, when SENTRY_DSN is set (Django and Celery; no personal data sent).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from handoff.observability import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
