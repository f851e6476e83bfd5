"""Writes of an advisor's own profile: who they are, what they advise on, where
and how they meet."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.errors import DomainError

from .models import Advisor

PROFILE_FIELDS = (
    "title",
    "organisation",
    "bio",
    "offers_in_person",
    "address",
    "accessibility_note",
    "offers_phone",
    "phone",
    "offers_video",
    "meeting_url",
)
PROFILE_RELATIONS = ("topics", "languages", "municipalities")


class ProfileError(DomainError):
    """A profile that would mislead the people booking: field errors by name
    (`errors`), so a form can show each next to its field."""


def meeting_mode_errors(values: dict[str, Any]) -> dict[str, list]:
    """Field errors of the meeting modes in `values` (the offers_* flags,
    address and meeting_url): at least one mode, each with its detail. Pure, so
    a form can show these next to the other field errors."""
    errors: dict[str, list] = {}
    if not (values["offers_in_person"] or values["offers_phone"] or values["offers_video"]):
        errors["offers_in_person"] = [_("Offer at least one way to meet: in person, by phone or by video.")]
    if values["offers_in_person"] and not values["address"].strip():
        errors["address"] = [_("Give the address where you meet in person.")]
    if values["offers_video"] and not values["meeting_url"].strip():
        errors["meeting_url"] = [_("Give the link to your video meetings.")]
    return errors


def advisor_profile_update(*, advisor: Advisor, data: dict[str, Any]) -> Advisor:
    """Replace the parts of an advisor's profile present in `data` (validated
    values; topics, languages and municipalities as model instances, each set
    replaced as a whole; no municipalities means the whole region).

    Keeps what the directory promises bookable: at least one meeting mode, and
    each offered mode with the detail it needs (an address to meet in person, a
    link for video); municipalities only from the advisor's region. Raises
    ProfileError with field errors and changes nothing otherwise."""
    with transaction.atomic():
        # Lock the row as availability_update does, so the checks below see the
        # same row that is written.
        advisor = Advisor.objects.select_for_update().get(pk=advisor.pk)
        values = {name: data.get(name, getattr(advisor, name)) for name in PROFILE_FIELDS}
        errors = meeting_mode_errors(values)
        if "municipalities" in data and any(m.region_id != advisor.region_id for m in data["municipalities"]):
            errors["municipalities"] = [_("Choose municipalities of your own region.")]
        if errors:
            raise ProfileError(errors=errors)
        changed = [name for name in PROFILE_FIELDS if name in data]
        for name in changed:
            setattr(advisor, name, data[name])
        if changed:
            advisor.save(update_fields=changed)
        for relation in PROFILE_RELATIONS:
            if relation in data:
                getattr(advisor, relation).set(data[relation])
    return advisor
