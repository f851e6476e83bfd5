from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, logout
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import throttling
from .openapi import CONFLICT
from .privacy import password_matches, person_erase, person_export
from .services import api_token_issue


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        user = authenticate(self.context["request"], email=attrs["email"], password=attrs["password"])
        # The same answer for an unknown email and a wrong password: no account enumeration.
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("The email address or the password is wrong."), code="authorization"
            )
        # Only the owner (right password) learns that the address is unverified.
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
            raise serializers.ValidationError(
                _("Verify your email address first: follow the link in the mail we sent you."),
                code="unverified",
            )
        attrs["user"] = user
        return attrs


class TokenView(APIView):
    """Exchange email and password for an API token (`Authorization: Token <key>`)."""

    authentication_classes: list = []
    throttle_scope = throttling.TOKEN  # password guessing: counted by client address
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = api_token_issue(user=serializer.validated_data["user"])
        return Response({"token": key}, status=status.HTTP_200_OK)


class ErasureRequestSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    def validate_password(self, value: str) -> str:
        if not password_matches(self.context["request"].user, value):
            raise serializers.ValidationError(_("The password is wrong."), code="authorization")
        return value


class ExportView(APIView):
    """Everything Rådtid holds about the signed-in person (GDPR access and portability)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(person_export(request.user))


class EraseView(APIView):
    """Erase the signed-in account: future sessions are cancelled (the advisors
    are told), personal data removed, anonymous statistics kept. Needs the
    current password; 409 for an advisor who still has sessions ahead."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ErasureRequestSerializer,
        responses={200: inline_serializer("Erased", {"detail": serializers.CharField()}), 409: CONFLICT},
    )
    def post(self, request):
        serializer = ErasureRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        person_erase(user=request.user)  # ErasureRefused: 409 (backend.errors)
        # The password is unusable now, so other sessions are dead already; end this one too.
        logout(request._request)
        return Response({"detail": _("Your account has been erased.")}, status=status.HTTP_200_OK)
