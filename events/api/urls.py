from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

# Entry points that are not a resource's list, named in the API root beside the lists.
ROOT_EXTRAS = {
    "timeline": "timeline",
    "timeline/export": "timeline-export",
    "changes": "changes",
    "auth/token": "auth-token",
}


class TrackerRouter(DefaultRouter):
    """The API root lists every entry point: the resources' lists and the timeline and token endpoint."""

    def get_api_root_view(self, api_urls=None):
        list_name = self.routes[0].name
        entries = {prefix: list_name.format(basename=basename) for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict={**entries, **ROOT_EXTRAS})


router = TrackerRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("events", views.EventViewSet, basename="event")
router.register("pledges", views.PledgeViewSet, basename="pledge")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("places", views.PlaceViewSet, basename="place")
router.register("deleted", views.DeletedRecordViewSet, basename="deleted")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="auth-token-revoke"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("timeline/export/", views.TimelineExportView.as_view(), name="timeline-export"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    *router.urls,
]
