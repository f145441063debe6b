from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("events", views.EventViewSet, basename="event")
router.register("pledges", views.PledgeViewSet, basename="pledge")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("deleted", views.DeletedRecordViewSet, basename="deleted")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("timeline/export/", views.TimelineExportView.as_view(), name="timeline-export"),
    *router.urls,
]
