"""Funding projects and de minimis in the HTTP API (DESIGN.md, "Funder reporting"):

- GET, POST /api/v1/funding-projects/: the region's coordinators (their own
  region's projects) and staff (all). For everyone else the endpoint does not
  exist: 404, signed in or not, as for the statistics (invariant 7).
- GET, PUT /api/v1/enterprises/{id}/de-minimis/: the enterprise's members read
  and declare; its advisors read (PUT: 403); everyone else 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advisors.models import Advisor, Region, Topic
from backend import fields
from backend.models import User

from . import deminimis, periods
from .deminimis import MAX_DECLARED_EUR
from .models import Funder, FundingProject
from .projects import MAX_PERIODS, ProjectData, may_use_projects, project_save, projects_visible_to


class PeriodSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=MAX_PERIODS, required=False)
    start = fields.DateField()
    end = fields.DateField()
    closed = serializers.BooleanField(read_only=True)


class FundingProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    name = serializers.CharField(max_length=200)
    funder = serializers.ChoiceField(choices=Funder.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    start = fields.DateField()
    end = fields.DateField()
    hourly_aid_value_sek = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal(0), coerce_to_string=False
    )
    periods = PeriodSerializer(many=True, allow_empty=False)
    topics = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Topic.objects.all(), required=False
    )
    advisors = serializers.PrimaryKeyRelatedField(many=True, queryset=Advisor.objects.all(), required=False)

    def to_representation(self, project: FundingProject) -> dict[str, Any]:
        return {
            "id": project.pk,
            "region": project.region_id,
            "name": project.name,
            "funder": project.funder,
            "reference": project.reference,
            "start": project.start.isoformat(),
            "end": project.end.isoformat(),
            "hourly_aid_value_sek": project.hourly_aid_value_sek,
            "periods": [
                {
                    "number": p.number,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "closed": p.closed,
                }
                for p in project.periods.all()
            ],
            "topics": [t.slug for t in project.topics.all()],
            "advisors": sorted(a.pk for a in project.advisors.all()),
        }

    def validate_name(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value

    validate_reference = validate_name

    def validate_periods(self, value: list) -> list:
        if len(value) > MAX_PERIODS:
            raise serializers.ValidationError(
                _("A project can have at most %(count)d reporting periods.") % {"count": MAX_PERIODS}
            )
        return value

    def validate(self, data: dict) -> dict:
        numbers = [p.get("number") for p in data["periods"]]
        if any(n is not None for n in numbers) and sorted(numbers, key=lambda n: n or 0) != list(
            range(1, len(numbers) + 1)
        ):
            raise serializers.ValidationError(
                {"periods": [_("Number the periods 1, 2, 3 … without gaps, or leave the numbers out.")]}
            )
        return data

    def project_data(self) -> ProjectData:
        data = self.validated_data
        ordered = sorted(data["periods"], key=lambda p: (p.get("number") or 0, p["start"]))
        return ProjectData(
            region=data["region"],
            name=data["name"],
            funder=data["funder"],
            reference=data["reference"],
            start=data["start"],
            end=data["end"],
            hourly_aid_value_sek=data["hourly_aid_value_sek"],
            periods=[(p["start"], p["end"]) for p in ordered],
            topics=list(data.get("topics", [])),
            advisors=list(data.get("advisors", [])),
        )


NOT_FOUND = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Not a coordinator or staff: for you there are no funding projects.",
)


class FundingProjectListView(GenericAPIView):
    """The funding projects you may see: your region's as its coordinator, all
    as staff. Create one for your region: you become its owner."""

    permission_classes = [AllowAny]  # who may is the projects' business: 404 otherwise
    serializer_class = FundingProjectSerializer

    def get_queryset(self):
        return projects_visible_to(self.request.user).order_by("-start", "pk")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not may_use_projects(cast(User, request.user)):
            raise Http404

    @extend_schema(operation_id="funding_projects_list", responses={200: FundingProjectSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FundingProjectSerializer(page, many=True).data)

    @extend_schema(
        operation_id="funding_projects_create",
        request=FundingProjectSerializer,
        responses={201: FundingProjectSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        serializer = FundingProjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = project_save(by=cast(User, request.user), project=None, data=serializer.project_data())
        project = self.get_queryset().get(pk=project.pk)
        return Response(FundingProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class DeMinimisSerializer(serializers.Serializer):
    declared_at = serializers.DateTimeField(read_only=True, allow_null=True)
    aid_last_three_years_eur = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_DECLARED_EUR,
        coerce_to_string=False,
        allow_null=True,  # null until declared; a declaration must give a number (below)
    )
    received_here_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, coerce_to_string=False
    )
    ceiling_eur = serializers.IntegerField(read_only=True)
    remaining_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, coerce_to_string=False
    )

    def validate_aid_last_three_years_eur(self, value: Decimal | None) -> Decimal:
        if value is None:
            raise serializers.ValidationError(_("Give the amount in euros, 0 or more."))
        return value


class DeMinimisView(APIView):
    """An enterprise's de minimis aid: what it declared it received in the
    last three years, what its sessions here were worth, and what is left
    under the EUR 300,000 ceiling (Regulation (EU) 2023/2831)."""

    # An APIView: a generic view's OPTIONS would look the object up without the access check.
    permission_classes = [IsAuthenticated]

    def _access(self, pk: int) -> deminimis.Access:
        access = deminimis.enterprise_access(cast(User, self.request.user), pk)
        if access is None:
            raise Http404
        return access

    def _state(self, access: deminimis.Access) -> dict:
        state = deminimis.de_minimis_state(access.enterprise, today=periods.today())
        return {**state, "ceiling_eur": int(state["ceiling_eur"])}

    @extend_schema(operation_id="enterprise_de_minimis", responses={200: DeMinimisSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(DeMinimisSerializer(self._state(self._access(pk))).data)

    @extend_schema(
        operation_id="enterprise_de_minimis_declare",
        request=DeMinimisSerializer,
        responses={200: DeMinimisSerializer},
    )
    def put(self, request: Request, pk: int) -> Response:
        access = self._access(pk)
        if not access.may_write:
            raise PermissionDenied(_("Only the enterprise's members can declare its de minimis aid."))
        serializer = DeMinimisSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deminimis.de_minimis_declare(
            enterprise=access.enterprise,
            by=cast(User, request.user),
            aid_last_three_years_eur=serializer.validated_data["aid_last_three_years_eur"],
            now=timezone.now(),
        )
        return Response(DeMinimisSerializer(self._state(access)).data)
