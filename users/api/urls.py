"""Routes of the identity endpoints (api.md §9.5, §9.6)."""

from __future__ import annotations

from config.routes import api_path
from users.api import views

urlpatterns = [
    *api_path("frontend_users/", views.FrontendUsersApi.as_view(), "frontend-users"),
    *api_path(
        "frontend_users/<str:auth_method>/<str:username>",
        views.FrontendUserApi.as_view(),
        "frontend-user",
    ),
    *api_path(
        "frontend_users/<str:auth_method>/<str:username>/messages",
        views.FrontendUserMessagesApi.as_view(),
        "frontend-user-messages",
    ),
    *api_path(
        "frontend_users/<str:auth_method>/<str:username>/messages/cursor",
        views.FrontendUserMessageCursorApi.as_view(),
        "frontend-user-messages-cursor",
    ),
    *api_path("users/by_username", views.UsersByUsernameApi.as_view(), "users-by-username"),
    *api_path(
        "users/by_display_name", views.UsersByDisplayNameApi.as_view(), "users-by-display-name"
    ),
    *api_path("users/cursor", views.UserCursorApi.as_view(), "users-cursor"),
    *api_path("users/<str:user_id>", views.UserApi.as_view(), "user"),
    *api_path("users/<str:user_id>/messages", views.UserMessagesApi.as_view(), "user-messages"),
    *api_path(
        "users/<str:user_id>/messages/cursor",
        views.UserMessageCursorApi.as_view(),
        "user-messages-cursor",
    ),
]
