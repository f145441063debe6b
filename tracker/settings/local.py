"""Settings for a developer's machine: `make run` uses these."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed key is acceptable only here; production.py has no default.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-insecure-key-not-for-production-use-0123456789")
# Static files are served from the apps' folders (WhiteNoise finders), so no collectstatic run is needed.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
