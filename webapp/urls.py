from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("webapp.core.urls")),
    path("accounts/", include("webapp.accounts.urls")),
    path("", include("webapp.health.urls")),
    path("", include("webapp.datasets.urls")),
    path("", include("webapp.labeling.urls")),
    path("", include("webapp.modelzoo.urls")),
    path("", include("webapp.uploads.urls")),
    path("", include("webapp.training.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL, not inline: the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
