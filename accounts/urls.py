from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from common.ratelimit import limit_posts

urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    # One allowance per client address with the API's token and sign-up endpoints (common/ratelimit.py).
    path("login/", limit_posts("auth")(auth_views.LoginView.as_view(template_name="accounts/login.html")), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/profile/", views.edit_profile, name="edit_profile"),
]
