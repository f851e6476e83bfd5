from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Advisor, Coordinator, ExternalBusy, Language, Municipality, Region, Topic, WeeklyHours
from .services import SETTINGS_FIELDS


class MunicipalityInline(admin.TabularInline):
    model = Municipality
    extra = 0
    fields = ["code", "name"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [MunicipalityInline]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_sv", "name_en", "position", "is_active"]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sv", "name_en"]


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


@admin.register(Advisor)
class AdvisorAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "organisation", "is_active"]
    list_filter = ["region", "is_active", "topics"]
    search_fields = ["user__email", "user__full_name", "organisation"]
    raw_id_fields = ["user"]
    # As the advisor's own settings form: an address typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    filter_horizontal = ["topics", "languages", "municipalities"]
    inlines = [WeeklyHoursInline]
    readonly_fields = [
        "busy_calendar_checked_at",
        "busy_calendar_synced_at",
        "busy_calendar_error",
        "created",
    ]
    fieldsets = [
        (None, {"fields": ["user", "region", "organisation", "title", "bio", "is_active", "created"]}),
        (_("What and where"), {"fields": ["topics", "languages", "municipalities"]}),
        (
            _("Meeting modes"),
            {
                "fields": [
                    "offers_in_person",
                    "address",
                    "accessibility_note",
                    "offers_phone",
                    "phone",
                    "offers_video",
                    "meeting_url",
                ]
            },
        ),
        (
            _("Booking settings"),
            {"fields": [*SETTINGS_FIELDS, "date_overrides", "time_off"]},
        ),
        (
            _("Busy calendar"),
            {
                "fields": [
                    "busy_calendar_url",
                    "busy_calendar_checked_at",
                    "busy_calendar_synced_at",
                    "busy_calendar_error",
                ]
            },
        ),
    ]


@admin.register(ExternalBusy)
class ExternalBusyAdmin(admin.ModelAdmin):
    list_display = ["advisor", "start", "end"]
    list_filter = ["advisor__region"]
    raw_id_fields = ["advisor"]


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "organisation"]
    list_filter = ["region"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user"]
