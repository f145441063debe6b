"""Settings: production refuses to start without its secrets, and the schema of the models is fully migrated."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command


def _import_production(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings.production", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_has_no_secret_default():
    """Production settings fail to load without DJANGO_SECRET_KEY."""
    result = _import_production(DJANGO_ALLOWED_HOSTS="tracker.example.org")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_requires_allowed_hosts():
    """Production settings fail to load without DJANGO_ALLOWED_HOSTS."""
    result = _import_production(DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "Set the DJANGO_ALLOWED_HOSTS environment variable" in result.stderr


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "kq7#v2N!p0zL9x@4mT8w$Rb1Yc6Hd3Fj5Gs0Ue2Ia7Oo9Pl1Kk4Jn6Mm8Bb0Vv3Cc5Xx",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def test_production_requires_a_shared_cache():
    """Production settings fail to load without CACHE_URL: throttling must be counted across app servers."""
    result = _import_production(**{k: v for k, v in PRODUCTION_ENV.items() if k != "CACHE_URL"})
    assert result.returncode != 0
    assert "Set the CACHE_URL environment variable" in result.stderr


def test_production_loads_with_its_environment():
    """With its secret, hosts and cache set, production settings load."""
    result = _import_production(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_check_deploy_passes_under_production_settings():
    """OWASP API8 (security misconfiguration): `manage.py check --deploy --fail-level WARNING` passes, so HSTS,
    secure cookies, the SSL redirect, a strong secret and explicit hosts are all in place."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings.production", **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """No model change is left without its migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_local_settings_serve_admin_and_docs_pages():
    """Under the settings `make run` uses, the admin login and both docs pages render with their assets."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "client = Client()\n"
        "for path in ('/admin/login/', '/api/docs/', '/api/redoc/', '/static/admin/css/base.css'):\n"
        "    print(path, client.get(path).status_code)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings.local"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split("\n") == [
        "/admin/login/ 200",
        "/api/docs/ 200",
        "/api/redoc/ 200",
        "/static/admin/css/base.css 200",
        "",
    ], result.stderr[-3000:]


def test_trusted_proxies_come_from_the_environment():
    """DJANGO_NUM_PROXIES sets how many proxies' X-Forwarded-For entries are trusted; 0 when unset."""
    script = (
        "import django; django.setup()\nfrom django.conf import settings\nprint(settings.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    outputs = []
    for extra in ({}, {"DJANGO_NUM_PROXIES": "2"}):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=settings.BASE_DIR,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
                **PRODUCTION_ENV,
                **extra,
                "DJANGO_SETTINGS_MODULE": "tracker.settings.production",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        outputs.append(result.stdout.strip() or result.stderr[-500:])
    assert outputs == ["0", "2"]


def test_production_serves_no_browsable_html_api():
    """Under production settings the API answers JSON only: a browser asking for HTML gets JSON, and
    ?format=api is an unknown format."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "client = Client(headers={'Accept': 'text/html,application/xhtml+xml,*/*;q=0.8'})\n"
        "response = client.get('/api/v1/', secure=True, HTTP_HOST='tracker.example.org')\n"
        "print(response.status_code, response['Content-Type'])\n"
        "for path in ('/api/v1/events/?format=api', '/api/v1/timeline/?format=api'):\n"
        "    refused = client.get(path, secure=True, HTTP_HOST='tracker.example.org')\n"
        "    print(refused.status_code, refused.json()['errors']['format'][0])\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {
        **clean,
        **PRODUCTION_ENV,
        "CACHE_URL": "locmemcache://",
        "DJANGO_SETTINGS_MODULE": "tracker.settings.production",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    known = "400 Unknown format. Known formats: csv, json, ndjson."
    assert result.stdout.split("\n")[:3] == ["200 application/json", known, known], (
        result.stdout + result.stderr[-3000:]
    )


def _database_create(url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {"DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", "database_create"],
        cwd=settings.BASE_DIR,
        env=env | {"DJANGO_SETTINGS_MODULE": "tracker.settings.local"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the step is PostgreSQL's; SQLite makes its file",
)
def test_make_run_creates_a_missing_postgresql_database_or_says_what_to_run():
    """`make run` with DATABASE_URL naming a database that does not exist yet (issue 15): created when the account
    may, else one line with the command to run; a second run finds it there."""
    import psycopg

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"tracker_created_{os.getpid()}"
    try:
        created = _database_create(f"{base}/{name}")
        assert created.returncode == 0, created.stderr
        assert f"Created the PostgreSQL database “{name}”" in created.stdout
        again = _database_create(f"{base}/{name}")
        assert (again.returncode, again.stdout) == (0, "")
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute("DROP ROLE IF EXISTS tracker_cannot_create")
        connection.execute("CREATE ROLE tracker_cannot_create LOGIN")
    try:
        refused = _database_create(base.replace("://postgres@", "://tracker_cannot_create@") + f"/{name}")
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1].endswith(f"-U tracker_cannot_create {name}")
        assert "Create it with: createdb " in refused.stderr
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute("DROP ROLE IF EXISTS tracker_cannot_create")


def _databases(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'databases': settings.DATABASES, 'routers': settings.DATABASE_ROUTERS}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings.production", **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_replica_urls_add_replica_aliases_that_the_test_runner_mirrors_to_the_primary():
    """Each of DATABASE_REPLICA_URLS is an alias replica1, replica2… routed by tracker.replicas, with the primary's
    connection settings, a short connect timeout, its alias in pg_stat_activity, and TEST MIRROR default: the suite
    never creates a database on a replica."""
    loaded = _databases(
        DATABASE_URL="postgres://tracker@db.internal:5432/tracker",
        DATABASE_REPLICA_URLS="postgres://tracker@replica-a:5432/tracker,postgres://tracker@replica-b:5433/tracker",
        DJANGO_CONN_MAX_AGE="30",
        DATABASE_DISABLE_SERVER_SIDE_CURSORS="true",
    )
    databases = loaded["databases"]
    assert sorted(databases) == ["default", "replica1", "replica2"]
    assert loaded["routers"] == ["tracker.replicas.ReplicaRouter"]
    second = databases["replica2"]
    assert (second["HOST"], second["PORT"], second["NAME"]) == ("replica-b", 5433, "tracker")
    assert second["TEST"]["MIRROR"] == "default"
    assert second["OPTIONS"] == {"connect_timeout": 2, "application_name": "tracker-replica2"}
    for database in databases.values():
        assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (30, True)
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_without_replica_urls_there_is_one_database_and_no_router():
    loaded = _databases()
    assert list(loaded["databases"]) == ["default"]
    assert loaded["routers"] == []
    assert loaded["databases"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_the_repository_tracks_no_environment_of_its_own():
    """A worktree's `.venv` symlink was once committed (`.gitignore` said `.venv/`, which matches a directory only):
    a fresh clone then held a link where `make` builds the virtualenv, and every command failed."""
    tracked = subprocess.run(
        ["git", "ls-files", "-s"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    symlinks = [line.split("\t", 1)[1] for line in tracked if line.startswith("120000 ")]
    assert symlinks == []
    paths = {line.split("\t", 1)[1] for line in tracked}
    environments = (".venv", ".clients/", "clients/ts/node_modules/")
    assert not [path for path in paths if path == ".venv" or path.startswith(environments)]
