"""Account endpoints: sign-up, tokens, logout and profiles."""

from django.contrib.auth import logout
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    OwnProfileSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    SignUpSerializer,
    TokenSerializer,
)
from common.ratelimit import ClientThrottle


class SignUpView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SignUpSerializer, responses={201: TokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.sign_up(**serializer.validated_data)
        token = services.issue_token(user=user)
        return Response(TokenSerializer({"token": token.key, "user": user}).data, status=status.HTTP_201_CREATED)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    throttle_classes = [ClientThrottle]
    throttle_scope = "auth"
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(responses={200: TokenSerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token = services.issue_token(user=user)
        return Response(TokenSerializer({"token": token.key, "user": user}).data)


class LogoutView(APIView):
    """End the session and revoke the API token."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.revoke_token(user=request.user)
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OwnProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(OwnProfileSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=ProfileUpdateSerializer, responses=OwnProfileSerializer)
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        avatar = data.get("avatar")
        user = services.update_profile(
            user=request.user,
            display_name=data.get("display_name"),
            bio=data.get("bio"),
            avatar=avatar.read() if avatar else None,
            remove_avatar=data["remove_avatar"],
        )
        return Response(OwnProfileSerializer(user, context={"request": request}).data)


class UserDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request, username: str) -> Response:
        user = get_object_or_404(selectors.active_users(), username=username)
        return Response(ProfileSerializer(user, context={"request": request}).data)
