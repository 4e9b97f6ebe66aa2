"""URL routes: the v1 API, its schema, the admin and the login pages."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

# Moderators log into the admin through allauth (AUTH-9), like everyone else.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Canopy administration"
admin.site.site_title = "Canopy"

api_v1 = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
