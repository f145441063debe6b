from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ModelPermissionsOrReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """Anyone may read; writing needs the model's Django permission (add, change or delete).

    Writes on a record's sub-resources (its citations, a pledge's status) change the record, so a POST to them
    needs the change permission rather than add.
    """

    def has_permission(self, request, view):
        if getattr(view, "detail", False) and getattr(view, "action", None) in getattr(view, "change_actions", ()):
            model = view.get_queryset().model
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return True
            return bool(
                request.user
                and request.user.is_authenticated
                and request.user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
            )
        return super().has_permission(request, view)
