from allauth.account.models import EmailAddress
from django.contrib.auth import logout
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import throttling
from .openapi import CONFLICT
from .privacy import password_matches, person_erase, person_export
from .services import api_token_issue
from .signin import (
    SignInLocked,
    has_two_factor,
    password_sign_in,
    second_factor_check,
    staff_lacks_two_factor,
)


class TwoFactorRequired(exceptions.APIException):
    """401 `{"detail", "mfa_required": true}`: the password was right, the
    account signs in with two factors, and the request has no `code`."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "mfa_required"
    auth_header = "Token"

    def __init__(self) -> None:
        super().__init__()
        # Set after the base, which would turn `true` into the string "True".
        self.detail = {
            "detail": exceptions.ErrorDetail(
                force_str(
                    _(
                        "This account uses two-factor authentication: send the code from your "
                        "authenticator app (or a recovery code) as code."
                    )
                ),
                code=self.default_code,
            ),
            # The stubs allow error details only; this flag is the point of the answer.
            "mfa_required": True,  # type: ignore[dict-item]
        }


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_(
            "For an account with two-factor authentication: a code from the authenticator app or a recovery code."
        ),
    )

    def validate(self, attrs):
        request = self.context["request"]._request
        try:
            # allauth's login, its lockout included: failures here count where
            # the web sign-in's do (backend/signin.py).
            user = password_sign_in(request, email=attrs["email"], password=attrs["password"])
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
            if staff_lacks_two_factor(user):
                raise exceptions.PermissionDenied(
                    _("Set up two-factor authentication on the website before you ask for a staff token.")
                )
            if has_two_factor(user):
                if not attrs.get("code"):
                    raise TwoFactorRequired()
                if error := second_factor_check(request, user=user, code=attrs["code"]):
                    raise serializers.ValidationError({"code": [error]}, code="authorization")
        except SignInLocked as locked:
            raise exceptions.Throttled(detail=locked.message) from locked
        attrs["user"] = user
        return attrs


class TokenView(APIView):
    """Exchange email and password for an API token (`Authorization: Token <key>`).

    An account with two-factor sign-in also sends `code` (from its app, or a
    recovery code); without it: 401 with `"mfa_required": true`; a wrong or
    spent code: 400 on `code`, like a wrong password. Staff without two-factor
    sign-in set up get 403. After repeated failures here or on the website
    the account (or the address) is locked for a while: 429."""

    authentication_classes: list = []
    throttle_scope = throttling.TOKEN  # password guessing: counted by client address
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            401: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Two-factor sign-in is on: send `code` too (`{"detail", "mfa_required": true}`).',
            ),
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="Staff without two-factor sign-in set up."),
        },
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
