"""Settings for production: every secret and host comes from the environment, with no default."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
for _database in DATABASES.values():  # noqa: F405 (the primary and its read replicas alike)
    _database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True

# CACHES
# ------------------------------------------------------------------------------
# A cache shared by every app server, so that throttling counts each client once (e.g. redis://127.0.0.1:6379/0).
CACHES = {"default": env.cache("CACHE_URL")}

# STATIC
# ------------------------------------------------------------------------------
# `manage.py collectstatic` fills STATIC_ROOT; WhiteNoise serves it compressed, with cache-busting names.
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}  # noqa: F405

# SECURITY
# ------------------------------------------------------------------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto; see README "Deploying on PostgreSQL".
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]  # noqa: F405
