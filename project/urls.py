from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from project.api_errors import api_not_found
from project.metrics import metrics_view
from project.spa import spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/consultations/", include("consultations.urls")),
    path("api/v1/consultations/chat/", include("chat.urls")),
    path("api/v1/notifications/", include("notifications.urls")),
    path("api/v1/integrations/", include("integrations.urls")),
    path("healthz", include("realtime.health_urls")),
    path("metrics", metrics_view, name="metrics"),
    # Any other /api/ URL (e.g. a non-integer id against <int:pk>) is a JSON 404 in the
    # error shape, in DEBUG too (handler404 only applies when DEBUG is off).
    re_path(r"^api/", api_not_found, name="api-not-found"),
    # Everything else is the single-page app; its client-side router takes over.
    re_path(r"^(?!api/|admin/|ws/|static/|healthz|metrics$).*$", spa_index, name="spa"),
]

# API paths answer Django-level failures in the JSON error shape (project/api_errors.py).
handler400 = "project.api_errors.bad_request_view"
handler403 = "project.api_errors.permission_denied_view"
handler404 = "project.api_errors.not_found_view"
handler500 = "project.api_errors.server_error_view"
