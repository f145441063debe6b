"""API tokens: django-rest-knox's, stored as digests only and expiring (REST_KNOX["TOKEN_TTL"]).

A client sends ``Authorization: Token <key>`` or, as most HTTP tools do by default, ``Authorization: Bearer <key>``;
knox itself reads one keyword.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

KEYWORDS = (b"token", b"bearer")


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            # No header, or one meant for another scheme (a session login goes on to SessionAuthentication).
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: send “Token <key>” or “Bearer <key>”."))
        try:
            parts[1].decode("ascii")
        except UnicodeDecodeError:
            # knox decodes the key as UTF-8 and would fail with a 500 on other bytes; no key holds any.
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_credentials(parts[1])

    def authenticate_header(self, request) -> str:
        # The challenge of a 401 (WWW-Authenticate); Bearer is accepted as well.
        return "Token"


class TokenScheme(OpenApiAuthenticationExtension):
    """The scheme in the OpenAPI document, naming both keywords (drf-spectacular's knox extension names one)."""

    target_class = TokenAuthentication
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A token from POST /api/v1/auth/token/, sent as `Token <key>` or `Bearer <key>`. Tokens "
            "expire (see `expiry` in the token response) and are stored as digests only.",
        }
