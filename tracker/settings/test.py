"""Settings for the test suite."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-insecure-key-not-for-production-use-0123456789")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files are served from the apps' folders (WhiteNoise finders), so no collectstatic run is needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Failed logins in tests must not lock the test accounts out; the lockout test turns axes back on.
AXES_ENABLED = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"}}  # noqa: F405
# With DATABASE_REPLICA_URLS set, each replica alias is a TEST MIRROR of the primary (base.py): the runner creates no
# database on it. Nothing is routed to it either: a mirror is the same test database through another connection,
# which would not see a test's uncommitted rows. tests/test_replicas.py tests the routing; tests/replication/ tests
# it live on a real primary and replica (.ci/replicas.sh).
DATABASE_ROUTERS = []

# The change feed serves what was written up to now; the tests of its settle window set one.
TRACKER_CHANGES_SETTLE_SECONDS = 0
