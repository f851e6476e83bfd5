"""What a person needs to take part in a session: an interpreter (a spoken
language or Swedish sign language), step-free access, a hearing loop, a
companion or supervisor (handledare) attending, easy-to-read material, and
anything else in their own words.

A booking keeps them in two forms. `Booking.needs` is the person's own
answer, shown to them and their advisor and cleared with the rest of what
they wrote when they are erased or the booking is pseudonymised.
`Booking.stat_needs` keeps only which kinds of need there were (no language,
no words), a statistical fact like the other stat_* fields, so a report's
counts outlive erasure (invariant 5).

An interpreter has to be booked ahead: a session with an interpreter need
starts no sooner than the advisor's `interpreter_lead_days` working days
(Monday–Friday, Swedish public holidays and eves excluded) after today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from advisors.availability import interpreter_earliest as earliest_for_interpreter
from advisors.models import Advisor

# The interpreter languages a person may ask for: BCP 47 codes, Swedish sign
# language first, then the languages most asked for at Swedish interpreter
# services. A booking stores the code; the label is for the page.
INTERPRETER_LANGUAGES: tuple[tuple[str, Any], ...] = (
    ("sgn-SE", _("Swedish sign language")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("prs", _("Dari")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("tr", _("Turkish")),
    ("ku", _("Kurdish")),
    ("bs", _("Bosnian, Croatian or Serbian")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("en", pgettext_lazy("interpreter language", "English")),
    ("fi", _("Finnish")),
    ("th", _("Thai")),
    ("zh", _("Chinese")),
    ("am", _("Amharic")),
)
LANGUAGE_LABELS = dict(INTERPRETER_LANGUAGES)

# The needs that are a yes or a no, in the order pages show them.
FLAGS: tuple[tuple[str, Any], ...] = (
    ("step_free", _("Step-free access")),
    ("hearing_loop", _("A hearing loop")),
    ("companion", pgettext_lazy("need", "A companion or supervisor (handledare) comes along")),
    ("easy_read", _("Easy-to-read material")),
)
FLAG_NAMES = tuple(name for name, _label in FLAGS)
FLAG_LABELS = dict(FLAGS)
OTHER_MAX = 500
# The kinds of need statistics count (Booking.stat_needs), each with the key
# of the needs value that holds it, in the order they are kept.
_KIND_KEYS = {"interpreter": "interpreter_language", **{name: name for name in FLAG_NAMES}, "other": "other"}
KINDS = tuple(_KIND_KEYS)
# Each kind in a few words, for reports and for the advisor's "could not be met".
KIND_LABELS: dict[str, Any] = {
    "interpreter": _("Interpreter"),
    **FLAG_LABELS,
    "other": _("Other needs"),
}


class NeedsError(ValueError):
    """Needs that cannot be read; `field` names the key at fault."""

    def __init__(self, message: Any, field: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def no_needs() -> dict[str, Any]:
    return {"interpreter_language": None, **dict.fromkeys(FLAG_NAMES, False), "other": ""}


def clean_needs(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """`data` as a complete needs value (missing keys are no need), or
    NeedsError for an unknown key, an unknown language, a flag that is not
    true or false, or an `other` that is not text of at most OTHER_MAX characters."""
    if data is None:
        return no_needs()
    if not isinstance(data, Mapping):
        raise NeedsError(_("Give the needs as an object."), "needs")
    unknown = sorted(set(data) - {"interpreter_language", *FLAG_NAMES, "other"})
    if unknown:
        raise NeedsError(_("Unknown need: %(name)s.") % {"name": unknown[0]}, unknown[0])
    needs = no_needs()
    language = data.get("interpreter_language")
    if language not in (None, ""):
        if not isinstance(language, str) or language not in LANGUAGE_LABELS:
            raise NeedsError(_("Choose one of the interpreter languages offered."), "interpreter_language")
        needs["interpreter_language"] = language
    for name in FLAG_NAMES:
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise NeedsError(_("Answer true or false."), name)
        needs[name] = value
    other = data.get("other", "")
    if not isinstance(other, str) or "\x00" in other:
        raise NeedsError(_("Write the other needs as text."), "other")
    other = other.replace("\r\n", "\n").strip()
    if len(other) > OTHER_MAX:
        raise NeedsError(_("Write at most 500 characters."), "other")
    needs["other"] = other
    return needs


def as_shown(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """A booking's stored needs in the whole shape ({} is no need, as after erasure)."""
    shown = no_needs()
    shown.update({k: v for k, v in (stored or {}).items() if k in shown})
    return shown


def kinds_of(needs: Mapping[str, Any]) -> list[str]:
    """The kinds of need in a cleaned needs value, as statistics keep them."""
    return [kind for kind, key in _KIND_KEYS.items() if needs.get(key)]


def clean_not_met(value: Any, kinds: list[str]) -> list[str]:
    """The kinds of need recorded as not met, or NeedsError: each must be one
    of the booking's `kinds` (Booking.stat_needs). In the order of KINDS."""
    if not isinstance(value, list | tuple) or not all(isinstance(kind, str) for kind in value):
        raise NeedsError(_("Give the needs not met as a list of kinds of need."), "needs_not_met")
    strange = [kind for kind in value if kind not in kinds]
    if strange:
        raise NeedsError(
            _("This booking has no need of the kind “%(kind)s”.") % {"kind": strange[0]}, "needs_not_met"
        )
    return [kind for kind in KINDS if kind in value]


def kind_described(kind: str, needs: Mapping[str, Any] | None) -> Any:
    """One kind of a booking's needs in words: the language of an interpreter
    and the words of other needs when they are still kept, else the kind's label."""
    needs = needs or {}
    if kind == "interpreter" and needs.get("interpreter_language"):
        return _("Interpreter: %(language)s") % {"language": language_label(needs["interpreter_language"])}
    if kind == "other" and needs.get("other"):
        return needs["other"]
    return KIND_LABELS[kind]


def language_label(code: str | None) -> Any:
    return LANGUAGE_LABELS.get(code or "", code or "")


def described(needs: Mapping[str, Any] | None) -> list[Any]:
    """The needs in words, for pages and mails: ["Interpreter: Arabic", "Step-free access", …]."""
    return [kind_described(kind, needs) for kind in kinds_of(needs or {})]


def interpreter_earliest(advisor: Advisor, now: datetime | None = None) -> datetime:
    """The earliest start of a session with an interpreter with `advisor`
    (advisors.availability.interpreter_earliest with the advisor's lead time)."""
    return earliest_for_interpreter(advisor.zone, advisor.interpreter_lead_days, now or timezone.now())
