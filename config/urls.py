"""Root URLs: pages, the REST API with its OpenAPI schema and docs, the admin, and local media (config/media.py)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views
from config.media import serve_media
from config.views import HealthView

admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = settings.SITE_NAME

api_urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("characters.api_urls")),
    path("", include("generation.api_urls")),
    path("", include("feed.api_urls")),
    path("health/", HealthView.as_view(), name="api-health"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("accounts/", include("accounts.urls")),
    path("", include("characters.urls")),
    path("", include("generation.urls")),
    path("", include("feed.urls")),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

if settings.SERVE_MEDIA:
    # With S3 the storage serves its own URLs.
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))
