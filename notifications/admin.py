"""The outbox as staff see it: what went out, what failed and why, and a way
to send failed or missed messages again. Rows are written by the services and
the sender only; staff change nothing by hand but through the action."""

from django.contrib import admin, messages
from django.db.models.functions import Length
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import CalendarFeed, NotificationSettings, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "recipient",
        "booking_link",
        "due_at",
        "state",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["booking__uid", "user__email"]
    date_hierarchy = "due_at"
    ordering = ["-due_at", "-pk"]
    list_select_related = ["booking", "user"]
    # Nothing secret is on a row: an invitation's password link is made when
    # it is sent, never stored. Attached files show by name and size only.
    readonly_fields = [*(field.name for field in OutboxMessage._meta.fields), "attachment_list"]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False  # rows come from bookings (invariant 3), never by hand

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is the record of what was sent

    @admin.display(description=_("about"), ordering="booking__start")
    def booking_link(self, obj: OutboxMessage) -> str:
        if obj.user_id is not None:  # an invitation, a monthly report: about the person's role
            url = reverse("admin:backend_user_change", args=[obj.user_id])
            return format_html('<a href="{}">{}</a>', url, obj.user.email if obj.user else "")
        if obj.booking_id is None:  # a waitlist offer
            url = reverse("admin:bookings_waitlistentry_change", args=[obj.waitlist_entry_id])
            return format_html(
                '<a href="{}">{}</a>', url, _("waitlist entry %(id)s") % {"id": obj.waitlist_entry_id}
            )
        url = reverse("admin:bookings_booking_change", args=[obj.booking_id])
        return format_html('<a href="{}">{}</a>', url, obj.booking.uid if obj.booking else "")

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("attachments"))
    def attachment_list(self, obj: OutboxMessage) -> str:
        files = obj.attachments.annotate(size=Length("content")).values_list("filename", "size")
        return ", ".join(f"{name} ({filesizeformat(size)})" for name, size in files) or "–"

    @admin.action(description=_("Send again (failed and missed messages)"), permissions=["change"])
    def send_again(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        count = outbox.outbox_messages_resend(ids=chosen, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d message will be sent again.", "%(count)d messages will be sent again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if count < len(chosen):
            self.message_user(
                request,
                _("Only failed and missed messages are sent again; the others were left as they are."),
                messages.WARNING,
            )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created", "last_used"]
    search_fields = ["user__email"]
    fields = ["user", "created", "last_used"]  # the digest is of no use to anyone
    readonly_fields = ["user", "created", "last_used"]

    def has_add_permission(self, request):
        return False  # the address is made, and shown once, by its owner


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "reminder_2h"]
    list_filter = ["reminder_2h"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
