"""Funding projects and de minimis in the HTTP API (DESIGN.md, "Funder reporting"):

- GET, POST /api/v1/funding-projects/: the region's coordinators (their own
  region's projects) and staff (all). For everyone else the endpoint does not
  exist: 404, signed in or not, as for the statistics (invariant 7).
- GET /api/v1/funding-projects/{id}/report/?period=N[&format=xlsx]: the
  project's indicators in a reporting period and since its start, exact for
  the project's owners, with disclosure control for the region's other
  coordinators. `format=xlsx` is the funder's workbook; for the owners it
  carries the participant list, which leaves only with a `reason` (and is
  written in the export ledger). DRF would read `?format=` as a renderer
  choice: these views negotiate on nothing but JSON (as the statistics do).
- POST /api/v1/funding-projects/{id}/periods/{n}/close/: the owners close a
  period that is over into a snapshot (409 when closed, 400 when not over,
  403 for the region's coordinators without the owner right).
- GET /api/v1/funding-projects/{id}/snapshots/: the closed periods' values as
  handed in, and the difference today's values make.
- GET, PUT /api/v1/enterprises/{id}/de-minimis/: the enterprise's members read
  and declare; its advisors read (PUT: 403); everyone else 404.

A project that is not the caller's to see (another region's, or anyone's
for those who may not use projects) is not there: 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advisors.models import Advisor, Region, Topic
from backend import fields
from backend.models import User
from backend.openapi import CONFLICT

from . import deminimis, periods
from .api import JSONOnlyNegotiation
from .deminimis import MAX_DECLARED_EUR
from .export import XLSX_CONTENT_TYPE
from .export_projects import project_report_filename, project_report_xlsx
from .models import ExportReason, Funder, FundingProject, PeriodSnapshot
from .project_report import (
    INDICATORS,
    PROJECT_DEFINITIONS_VERSION,
    SCOPES,
    ProjectReport,
    current_period,
    live_difference,
    participant_list_export,
    period_close,
    period_of,
    project_report,
    project_sessions,
    shown_values,
)
from .projects import (
    MAX_PERIODS,
    ProjectData,
    is_owner,
    may_use_projects,
    project_save,
    projects_visible_to,
)


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


# --- A project's report, its periods' closing and snapshots -----------------------------------

VALUE_HELP = (
    "A number; for those without the owner right a count of 1 to T-1 enterprises or people is the "
    'text "<T", and advice hours may be null (hidden).'
)
IndicatorValuesSerializer = type(
    "IndicatorValuesSerializer",
    (serializers.Serializer,),
    {key: serializers.JSONField(read_only=True, help_text=VALUE_HELP) for key in INDICATORS},
)


class ScopesSerializer(serializers.Serializer):
    in_period = IndicatorValuesSerializer(read_only=True)
    cumulative = IndicatorValuesSerializer(read_only=True)


class DifferenceSerializer(serializers.Serializer):
    """Live minus handed in, for each indicator that changed (null where one of the two is hidden)."""

    in_period = serializers.DictField(child=serializers.JSONField(), read_only=True)
    cumulative = serializers.DictField(child=serializers.JSONField(), read_only=True)


class ReportProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    funder = serializers.ChoiceField(choices=Funder.choices, read_only=True)
    reference = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True)


class ReportPeriodSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    closed = serializers.BooleanField(read_only=True)


class ProjectReportSerializer(serializers.Serializer):
    project = ReportProjectSerializer(read_only=True)
    period = ReportPeriodSerializer(read_only=True)
    in_period = IndicatorValuesSerializer(read_only=True)
    cumulative = IndicatorValuesSerializer(read_only=True)
    definitions_version = serializers.IntegerField(read_only=True)


class SnapshotSerializer(serializers.Serializer):
    period = serializers.IntegerField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True)
    closed_by = serializers.EmailField(read_only=True, allow_null=True, help_text="Null when erased.")
    values = ScopesSerializer(read_only=True, help_text="The values handed in.")
    live_difference = DifferenceSerializer(read_only=True)
    definitions_version = serializers.IntegerField(read_only=True)


class ReportQuerySerializer(serializers.Serializer):
    period = serializers.CharField(
        required=False, max_length=10, help_text="The reporting period's number; by default today's."
    )
    format = serializers.ChoiceField(choices=["json", "xlsx"], default="json", required=False)
    reason = serializers.ChoiceField(
        choices=ExportReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="xlsx for the project's owners: why the participant list leaves Rådtid.",
    )
    reason_text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text='The reason in a few words, when `reason` is "other" (at most 200 characters).',
    )


PROJECT_NOT_FOUND = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="No such project, or not yours to see (another region's; or you are not a coordinator "
    "or staff).",
)


class ProjectObjectView(APIView):
    """A view of one project: it is there for those who may see it (404
    otherwise, before any input is read), and answers JSON whatever
    `?format=` says (the statistics' JSONOnlyNegotiation)."""

    permission_classes = [AllowAny]  # who may is the projects' business: 404 otherwise
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not may_use_projects(cast(User, request.user)):
            raise Http404

    def project(self, pk: Any) -> FundingProject:
        project = projects_visible_to(cast(User, self.request.user)).filter(pk=pk).first()
        if project is None:
            raise Http404
        return project


def report_data(report: ProjectReport, *, exact: bool) -> dict[str, Any]:
    project, period = report.project, report.period
    values = report.values()
    return {
        "project": {
            "id": project.pk,
            "name": project.name,
            "funder": project.funder,
            "reference": project.reference,
            "region": project.region_id,
        },
        "period": {
            "number": period.number,
            "start": period.start,
            "end": period.end,
            "closed": period.closed,
        },
        **{scope: shown_values(values[scope], exact=exact) for scope in SCOPES},
        "definitions_version": PROJECT_DEFINITIONS_VERSION,
    }


def snapshot_data(report: ProjectReport, snapshot: PeriodSnapshot, *, exact: bool) -> dict[str, Any]:
    period = report.period
    return {
        "period": period.number,
        "closed_at": period.closed_at,
        "closed_by": period.closed_by.email if period.closed_by else None,
        "values": {scope: shown_values(snapshot.values[scope], exact=exact) for scope in SCOPES},
        "live_difference": live_difference(report, snapshot, exact=exact),
        "definitions_version": snapshot.definitions_version,
    }


def closed_reports(project: FundingProject) -> list[tuple[ProjectReport, PeriodSnapshot]]:
    """Each closed period's live report and snapshot, in order, its sessions
    read once for them all (six queries, whatever the number of periods)."""
    snapshots = list(
        PeriodSnapshot.objects.filter(period__project=project, period__closed=True)
        .select_related("period__closed_by")
        .order_by("period__number")
    )
    if not snapshots:
        return []
    sessions = project_sessions(project, first=project.start, last=snapshots[-1].period.end)
    return [
        (
            ProjectReport(project, snapshot.period, [s for s in sessions if s.day <= snapshot.period.end]),
            snapshot,
        )
        for snapshot in snapshots
    ]


class ProjectReportView(ProjectObjectView):
    """A funding project's indicators in a reporting period and since the
    project's start: exact for the project's owners, with the statistics'
    disclosure control for the region's other coordinators. `format=xlsx`:
    the funder's workbook; for the owners with the participant list, which
    needs a `reason` and is written in the export ledger."""

    @extend_schema(
        operation_id="funding_project_report",
        parameters=[ReportQuerySerializer],
        responses={
            (200, "application/json"): ProjectReportSerializer,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: PROJECT_NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse | Response:
        user = cast(User, request.user)
        project = self.project(pk)
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data.get("period")
        period = current_period(project, periods.today()) if number is None else period_of(project, number)
        exact = is_owner(user, project)
        report = project_report(project, period)
        response: HttpResponse | Response
        if query.validated_data["format"] == "xlsx":
            rows = None
            if exact:
                rows = participant_list_export(
                    by=user,
                    report=report,
                    reason=query.validated_data["reason"],
                    reason_text=query.validated_data["reason_text"],
                )
            snapshot = PeriodSnapshot.objects.filter(period=period).first() if period.closed else None
            data = project_report_xlsx(report, exact=exact, participant_rows=rows, snapshot=snapshot)
            response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{project_report_filename(report)}"'
        else:
            response = Response(ProjectReportSerializer(report_data(report, exact=exact)).data)
        patch_cache_control(response, private=True, no_store=True)
        return response


class PeriodCloseView(ProjectObjectView):
    """Close a reporting period that is over: its values are kept as they are
    now, whatever later happens to its sessions. The project's owners only."""

    @extend_schema(
        operation_id="funding_project_period_close",
        request=None,
        responses={
            201: SnapshotSerializer,
            403: OpenApiResponse(description="You are not one of the project's owners."),
            404: PROJECT_NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, pk: int, number: int) -> Response:
        project = self.project(pk)
        user = cast(User, request.user)
        snapshot = period_close(by=user, project=project, number=number, now=timezone.now())
        period = snapshot.period
        report = ProjectReport(
            project, period, project_sessions(project, first=project.start, last=period.end)
        )
        body = SnapshotSerializer(snapshot_data(report, snapshot, exact=is_owner(user, project))).data
        return Response(body, status=status.HTTP_201_CREATED)


class SnapshotListView(ProjectObjectView):
    """The closed periods, in order: the values handed in (as you may see
    them) and how today's values differ."""

    @extend_schema(
        operation_id="funding_project_snapshots",
        responses={200: SnapshotSerializer(many=True), 404: PROJECT_NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        project = self.project(pk)
        exact = is_owner(cast(User, request.user), project)
        items = [snapshot_data(report, snapshot, exact=exact) for report, snapshot in closed_reports(project)]
        response = Response(SnapshotSerializer(items, many=True).data)
        patch_cache_control(response, private=True, no_store=True)
        return response
