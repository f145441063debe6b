"""Settings shared by every environment; each value can come from the environment.

See https://docs.djangoproject.com/en/5.2/ref/settings/ and .env.example.
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is read only when asked for, so that a stray file never overrides the real environment.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# DATABASES
# ------------------------------------------------------------------------------
# The embedded default is an SQLite file in the project; production sets DATABASE_URL to PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction begins, and wait up to the timeout for it: racing writers queue instead
    # of failing with "database is locked" when a reader's transaction tries to turn into a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Streaming read replicas of a PostgreSQL primary (README, "Read replicas"): aliases replica1, replica2… that
# tracker.replicas routes the API's reads to. None by default, and then nothing is routed. Each holds its
# connections as long as the primary, gives up connecting after 2 s (a dead replica must cost little), names its
# alias in pg_stat_activity, and is a test mirror of the primary: the test runner never creates a database on it.
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = env.db_url_config(_url)
    _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["OPTIONS"].setdefault("application_name", f"tracker-replica{_number}")
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
DATABASE_ROUTERS = ["tracker.replicas.ReplicaRouter"] if len(DATABASES) > 1 else []
# A replica further behind than this is skipped; each process checks each replica at most this often.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=10.0)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=1.0)
# Behind a transaction pooler (PgBouncer with pool_mode=transaction) a server-side cursor does not outlive its
# transaction; exports read in keyset chunks and need none, and this keeps any other .iterator() from using one.
for _database in DATABASES.values():
    _database["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "simple_history",
    "knox",
    "corsheaders",
    "csp",
    "axes",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Where each request reads (primary or a replica); inert without DATABASE_REPLICA_URLS.
    "tracker.replicas.ReplicaMiddleware",
    # Repeated anonymous reads: 304 from the data generation's ETag, or the answer from the shared cache, before
    # the session, authentication and view run (events/api/conditional.py). After the replica decision it reads.
    "events.api.conditional.ResponseCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "events.middleware.ChangeOriginMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# AUTHENTICATION
# ------------------------------------------------------------------------------
# django-axes first, so that repeated failed logins (admin or token endpoint) lock the username and address out.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("DJANGO_AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("DJANGO_AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# CACHES
# ------------------------------------------------------------------------------
# Throttling counts requests in this cache; with several app servers it must be shared (REDIS_URL).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# CONTENT SECURITY POLICY (django-csp)
# ------------------------------------------------------------------------------
# On every response (admin, docs, API). Everything loads from this server: no third-party asset, so the docs work
# offline and no visit is reported elsewhere (ReDoc's bundle asks for a logo on cdn.redoc.ly; img-src stops it).
# Scripts run only from files here, or inline with this response's nonce (the ReDoc page's init). Inline styles
# stay allowed: Swagger UI, ReDoc and the admin's widgets set style attributes, and a style cannot run code.
# ReDoc renders in a worker it builds from a blob: URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# CORS
# ------------------------------------------------------------------------------
# Downstream browser tools may read the API from any origin; writes are not offered cross-origin.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Location", "X-Without-Place", "X-Undated-Excluded"]

# REQUEST LIMITS
# ------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_BODY_BYTES", default=2_621_440)

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates override third-party ones (e.g. an offline ReDoc page).
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# TRACKER
# ------------------------------------------------------------------------------
TRACKER_SEEDS_DIR = BASE_DIR / "seeds"
TRACKER_FIXTURES_DIR = BASE_DIR / "fixtures"

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "events.api.pagination.TrackerPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["events.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "events.api.schema.TrackerAutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["events.api.permissions.ModelPermissionsOrReadOnly"],
    # Writes are JSON only (one unambiguous encoding: an empty form field is not mistaken for null). DRF reads JSON
    # as a stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so this parser enforces the limit itself.
    "DEFAULT_PARSER_CLASSES": ["events.api.parsers.LimitedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("DJANGO_THROTTLE_ANON", default="600/minute"),
        "user": env("DJANGO_THROTTLE_USER", default="3000/minute"),
    },
    # Anonymous clients are counted by address. X-Forwarded-For is read only through this many proxies of our own
    # (their count from the right of the header); 0 means REMOTE_ADDR, since a client can send any header it likes.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    # Token first, so that an anonymous write is answered 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "events.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "events.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "events.api.negotiation.TrackerContentNegotiation",
}

# API TOKENS (django-rest-knox)
# ------------------------------------------------------------------------------
# Tokens are stored as digests and expire: a leaked token (a script's log, a shared terminal) works for a day at
# most, which is long enough for a working session or a nightly job that logs in when it starts.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=env.float("DJANGO_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# How long a list's count may be served from the cache (events/api/pagination.py); every write advances the data
# generation the counts are keyed by, so this only bounds writes that bypass the model signals. 0: count each time.
TRACKER_COUNT_CACHE_SECONDS = env.int("TRACKER_COUNT_CACHE_SECONDS", default=60)
# The shared response cache for anonymous API reads (events/api/conditional.py): answers are keyed by the data
# generation, so a write on any app server retires them at once; the time bounds the memory they hold, and any
# change made outside the services (a database edited by hand). Off: every read runs its view (ETags still answer
# 304). Answers larger than the bound (a page of 1,000 full records) are not kept.
TRACKER_RESPONSE_CACHE = env.bool("TRACKER_RESPONSE_CACHE", default=True)
TRACKER_RESPONSE_CACHE_SECONDS = env.int("TRACKER_RESPONSE_CACHE_SECONDS", default=300)
TRACKER_RESPONSE_CACHE_MAX_BYTES = env.int("TRACKER_RESPONSE_CACHE_MAX_BYTES", default=1024 * 1024)
# How long a source's proposals (events/proposals) may be served from the cache. They are keyed by the data
# generation as counts are, so a write shows at once; this bounds the memory they hold. 0: read the text each time.
TRACKER_PROPOSALS_CACHE_SECONDS = env.int("TRACKER_PROPOSALS_CACHE_SECONDS", default=3600)
# The longest text proposals are read from, in characters. Reading grows faster than the text (every sentence is
# compared with the story's actors and records) and runs within the request: a book-length upload would outlast
# a worker's timeout on every try. A long news article is a tenth of this.
TRACKER_PROPOSALS_MAX_CHARACTERS = env.int("TRACKER_PROPOSALS_MAX_CHARACTERS", default=100_000)

# The change feed's settle window (events/changes.py): it serves only entries written this many seconds before the
# oldest running write transaction began (or before now), so that resuming after the last one never skips a commit.
TRACKER_CHANGES_SETTLE_SECONDS = env.float("TRACKER_CHANGES_SETTLE_SECONDS", default=2)

SPECTACULAR_SETTINGS = {
    "TITLE": "tracker API",
    "DESCRIPTION": (
        "An open event-tracking API for following a geopolitical story through the news: actors, events, "
        "pledges and statements, each traced to verbatim excerpts of its source articles."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc load their assets from drf-spectacular-sidecar, so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would send the schema URL to an outside service.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI 3.1: null is a type (`type: [string, "null"]`, `oneOf: [{$ref}, {type: "null"}]`), which strict
    # validators apply as written; 3.0's `nullable` beside an `allOf` $ref made them reject every null reference.
    # openapi-python-client and openapi-typescript generate the same clients from either (README, "Generate a client").
    "OAS_VERSION": "3.1.0",
    # operationIds without the version ({resource}_{action}); servers relative, so the schema serves any host.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SERVERS": [{"url": "/", "description": "The server that serves this schema."}],
    # Each JSON operation declares JSON alone; exports declare their own media types (events/api/views.py).
    "RENDERER_WHITELIST": ["rest_framework.renderers.JSONRenderer"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "events.api.schema.describe_common_parameters",
        "events.api.schema.document_http",
        "events.api.schema.describe_once",
        "events.api.schema.link_operations",
        "events.api.schema.refuse_what_no_field_takes",
        "events.api.schema.document_sparse_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "events.models.Event.Status",
        "PledgeStatusEnum": "events.models.Pledge.Status",
        "DatePrecisionEnum": "events.dates.DatePrecision",
        "ActorKindEnum": "events.models.Actor.Kind",
        "DeletedRecordKindEnum": "events.models.DeletedRecord.Kind",
        "HistoryTypeEnum": "events.api.serializers.VERSION_TYPES",
        "ChangeTypeEnum": "events.api.serializers.CHANGE_TYPES",
        "CitedKindEnum": "events.api.serializers.CITED_KINDS",
        "TypeEnum": "events.api.serializers.TIMELINE_TYPES",
        "ResourceEnum": "events.api.proposals.BASENAMES",
    },
}
