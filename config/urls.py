"""URL routes: the v1 API, its schema, the admin and the login pages."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from config.views import api_not_found

# Moderators log into the admin through allauth (AUTH-9), like everyone else.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Canopy administration"
admin.site.site_title = "Canopy"

api_v1: list[URLPattern | URLResolver] = [
    # First: the task cycle's endpoints are resolved on every request of a volunteer.
    path("", include("tasks.api.urls")),
    path(
        "openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="openapi",
    ),
    path(
        "docs",
        SpectacularSwaggerView.as_view(
            url_name="openapi", authentication_classes=[], permission_classes=[]
        ),
        name="api-docs",
    ),
    path("", include("users.api.urls")),
    path("", include("users.api.auth_urls")),
    path("", include("trees.api.urls")),
    # Last: unknown API paths answer a protocol 404, never an HTML page or a redirect
    # (this also keeps APPEND_SLASH from redirecting under /api/, GEN-2).
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
