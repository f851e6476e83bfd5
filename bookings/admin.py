from django.contrib import admin

from backend.admin import PersonalDataAccessMixin

from .models import Booking, Enterprise, EntrepreneurProfile, Feedback, WaitlistEntry


@admin.register(Enterprise)
class EnterpriseAdmin(PersonalDataAccessMixin, admin.ModelAdmin):
    list_display = ["name", "org_number", "kind", "municipality", "created"]
    list_filter = ["kind", "municipality__region"]
    search_fields = ["name", "org_number"]
    raw_id_fields = ["municipality"]
    filter_horizontal = ["members"]

    def subjects_of(self, obj: Enterprise) -> list[int | None]:
        return list(obj.members.values_list("pk", flat=True))


@admin.register(EntrepreneurProfile)
class EntrepreneurProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "gender"]
    raw_id_fields = ["user"]


class FeedbackInline(admin.StackedInline):
    model = Feedback
    extra = 0
    readonly_fields = ["rating", "comment", "created"]
    can_delete = False


@admin.register(Booking)
class BookingAdmin(PersonalDataAccessMixin, admin.ModelAdmin):
    """Staff see bookings to help people; changes go through the services (API or pages)."""

    list_display = ["start", "advisor", "entrepreneur", "status", "topic", "mode"]
    list_filter = ["status", "mode", "advisor__region", "topic"]
    search_fields = ["uid", "entrepreneur__email", "advisor__user__email"]
    date_hierarchy = "start"
    raw_id_fields = ["advisor", "entrepreneur", "enterprise"]
    inlines = [FeedbackInline]
    exclude = ["private_notes"]  # the advisor's alone (invariant 7)
    readonly_fields = [f.name for f in Booking._meta.fields if f.name != "private_notes"]

    def has_add_permission(self, request):
        return False

    def subjects_of(self, obj: Booking) -> list[int | None]:
        return [obj.entrepreneur_id, obj.advisor.user_id]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "entrepreneur", "advisor", "region", "topic", "status", "offer_expires_at"]
    list_filter = ["status", "region"]
    raw_id_fields = ["entrepreneur", "advisor", "offered_advisor", "enterprise", "booking"]
