"""A region's usage statistics in the HTTP API:
GET /api/v1/statistics/regions/{code}/?start=YYYY-MM-DD&end=YYYY-MM-DD[&format=csv|xlsx][&dialect=excel].

Only the region's coordinators and staff see a region's statistics; for
everyone else, signed in or not, the region does not exist (404, invariant 7).
`format` picks the download (csv, xlsx) or JSON (json, or none). DRF would
read `?format=` as a renderer choice and answer 404 for a format without a
renderer; this view negotiates on nothing but its JSON renderer and validates
`format` with the period, so an unknown format is a 400 with a field error.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backend import fields

from .export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, filename, report_csv, report_xlsx
from .periods import MAX_YEARS, reported_period, years_later
from .selectors import region_report, region_visible_to


class StatisticsQuerySerializer(serializers.Serializer):
    start = fields.DateField(help_text="First day, YYYY-MM-DD: a Monday or the first of a month.")
    end = fields.DateField(
        help_text="Last day (included), YYYY-MM-DD. A period that is not whole calendar months is widened "
        "to whole ISO weeks (Monday to Sunday); the report's start and end say which days it covers."
    )
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], default="json", required=False)
    dialect = serializers.ChoiceField(
        choices=["plain", "excel"],
        default="plain",
        required=False,
        help_text="CSV only: plain (comma, decimal point, API names) or excel (the reader's language; "
        "in Swedish semicolons and a decimal comma).",
    )

    def validate(self, data: dict) -> dict:
        start, end = data["start"], data["end"]
        if end < start:
            raise serializers.ValidationError({"end": [_("The period cannot end before it starts.")]})
        start, end = data["start"], data["end"] = reported_period(start, end)
        if end >= years_later(start, MAX_YEARS):
            raise serializers.ValidationError({"end": [_("The period can be at most three years long.")]})
        return data


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` chooses a download here, not a DRF renderer: always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class RegionStatisticsView(APIView):
    permission_classes = [AllowAny]  # who may see is the region's business: 404 otherwise
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation

    @extend_schema(
        operation_id="statistics_region",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"], required=False),
            OpenApiParameter("dialect", OpenApiTypes.STR, enum=["plain", "excel"], required=False),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, code: str):
        region = region_visible_to(request.user, code)
        if region is None:
            raise Http404
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = region_report(
            region=region, start=query.validated_data["start"], end=query.validated_data["end"]
        )
        kind = query.validated_data["format"]
        if kind == "csv":
            excel = query.validated_data["dialect"] == "excel"
            response = HttpResponse(report_csv(report, for_excel=excel), content_type=CSV_CONTENT_TYPE)
        elif kind == "xlsx":
            response = HttpResponse(report_xlsx(report), content_type=XLSX_CONTENT_TYPE)
        else:
            response = Response(report)
        if kind != "json":
            response["Content-Disposition"] = f'attachment; filename="{filename(report, kind)}"'
        patch_cache_control(response, private=True, no_store=True)
        return response
