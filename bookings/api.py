from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from backend import throttling
from backend.errors import ErrorKind
from backend.openapi import CONFLICT

from . import callers, selectors, services
from .serializers import (
    AdvisorBookingSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    CancelSerializer,
    FeedbackSerializer,
    OutcomeSerializer,
    RescheduleSerializer,
)


def _book_for(by, person: dict, data: dict):
    """An advisor's booking for `person` (on_behalf_of): bookings.callers,
    its refusals about the person under on_behalf_of, as the serializer's are."""
    data.pop("enterprise", None)  # the person's enterprise is in on_behalf_of
    phone = data.pop("phone", "") or person["phone"]
    enterprise = person["enterprise"]
    try:
        return callers.booking_create_for(
            by=by,
            caller=callers.Caller(name=person["name"], email=person["email"], phone=phone),
            enterprise=callers.CallerEnterprise(
                name=enterprise["name"],
                org_number=enterprise["org_number"],
                municipality=enterprise["municipality"],
                kind=enterprise["kind"],
            ),
            **data,
        )
    except services.BookingError as error:
        if error.kind is not ErrorKind.INVALID or error.field not in callers.CALLER_FIELDS:
            raise
        about_enterprise = {
            "enterprise_name": "name",
            "org_number": "org_number",
            "municipality": "municipality",
            "kind": "kind",
        }
        detail: dict[str, Any]
        if error.field in about_enterprise:
            detail = {"enterprise": {about_enterprise[error.field]: [error.message]}}
        else:
            detail = {error.field: [error.message]}
        raise ValidationError({"on_behalf_of": detail}) from None


class BookingViewSet(viewsets.GenericViewSet):
    """Your bookings, as the entrepreneur who booked or as the advisor. Others'
    bookings do not exist for you (404)."""

    permission_classes = [IsAuthenticated]
    lookup_field = "uid"
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"
    serializer_class = BookingSerializer

    @property
    def throttle_scope(self) -> str | None:
        # Only booking is rate-limited: one person grabbing slot after slot.
        return throttling.BOOKING_CREATE if self.action == "create" else None

    def get_queryset(self):
        return selectors.bookings_visible_to(self.request.user).select_related("feedback")

    def get_serializer_class(self):
        if self.action == "create":
            return BookingCreateSerializer
        return BookingSerializer

    def show(self, booking, **kwargs) -> Response:
        """One booking in the shape its viewer may see."""
        is_advisor = booking.advisor.user_id == self.request.user.pk
        serializer = (AdvisorBookingSerializer if is_advisor else BookingSerializer)(booking)
        return Response(serializer.data, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        user = request.user
        data = [
            (AdvisorBookingSerializer if b.advisor.user_id == user.pk else BookingSerializer)(b).data
            for b in page
        ]
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return self.show(self.get_object())

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingSerializer, 409: CONFLICT})
    def create(self, request, *args, **kwargs):
        body = BookingCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        person = data.pop("on_behalf_of", None)
        if person is None:
            booking = services.booking_create(entrepreneur=request.user, **data)
        else:
            booking = _book_for(request.user, person, data)
        return self.show(selectors.booking_for(request.user, booking.uid), status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, uid=None):
        booking = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_cancel(booking=booking, by=request.user, reason=body.validated_data["reason"])
        return self.show(self.get_object())

    @extend_schema(request=RescheduleSerializer, responses={200: BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, uid=None):
        booking = self.get_object()
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_reschedule(booking=booking, by=request.user, **body.validated_data)
        return self.show(self.get_object())

    @extend_schema(request=OutcomeSerializer, responses={200: BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def outcome(self, request, uid=None):
        booking = self.get_object()
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_record_outcome(
            booking=booking,
            by=request.user,
            attended=body.validated_data["outcome"] == "attended",
            private_notes=body.validated_data.get("private_notes"),
            outcome_note=body.validated_data.get("outcome_note"),
            needs_not_met=body.validated_data.get("needs_not_met"),
        )
        return self.show(self.get_object())

    @extend_schema(request=FeedbackSerializer, responses={201: BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def feedback(self, request, uid=None):
        booking = self.get_object()
        body = FeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_give_feedback(booking=booking, by=request.user, **body.validated_data)
        return self.show(self.get_object(), status=status.HTTP_201_CREATED)
