"""Account pages: sign-up and profile settings."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import services
from accounts.forms import ProfileForm, SignUpForm
from common.forms import REFUSALS, add_service_error
from common.ratelimit import limit_posts
from imaging import ImageRejected


@limit_posts("auth")
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}!")
            return redirect("profile", username=user.username)
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def edit_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "bio": user.bio}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        avatar = form.cleaned_data["avatar"]
        try:
            services.update_profile(
                user=user,
                display_name=form.cleaned_data["display_name"],
                bio=form.cleaned_data["bio"],
                avatar=avatar.read() if avatar else None,
                remove_avatar=form.cleaned_data["remove_avatar"],
            )
        except REFUSALS as exc:
            add_service_error(form, exc, field="avatar" if isinstance(exc, ImageRejected) else None)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profile", username=user.username)
        user.refresh_from_db()
    return render(request, "accounts/profile_form.html", {"form": form})
