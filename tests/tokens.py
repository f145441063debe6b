"""API tokens for tests: knox keeps only a digest, so the key exists only as returned at creation."""

from knox.models import AuthToken


def token_for(user) -> str:
    return AuthToken.objects.create(user=user)[1]
