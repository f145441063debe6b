"""Settings for the test suite."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-insecure-key-not-for-production-use-0123456789")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files are served from the apps' folders (WhiteNoise finders), so no collectstatic run is needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
