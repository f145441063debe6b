"""API tokens in the admin: who holds one and until when, never the token. knox keeps only a digest of each; its own
admin lists the digest and prints a new token in a message, so it is replaced by this one, which lists and revokes
(deletes) tokens and cannot create them: tokens are issued by POST /api/v1/auth/token/ to the account's owner."""

from django.contrib import admin
from knox.models import AuthToken

admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created", "expiry")
    list_filter = ("expiry",)
    search_fields = ("user__username",)
    fields = ("user", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Who holds which token, and each token's digest (its key in the URL), is for administrators only.
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser
