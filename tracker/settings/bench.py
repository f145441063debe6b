"""Settings for the load benchmark (bench/run.py): production, plus a bare baseline view to compare against."""

from .production import *  # noqa: F403

ROOT_URLCONF = "tracker.bench_urls"
