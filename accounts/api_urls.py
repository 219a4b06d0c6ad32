from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/signup/", api.SignUpView.as_view(), name="api-signup"),
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("users/me/", api.MeView.as_view(), name="api-me"),
    path("users/<str:username>/", api.UserDetailView.as_view(), name="api-user"),
]
