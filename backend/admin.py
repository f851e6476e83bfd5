from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, AuditEntry, User
from .privacy import record_access
from .views_privacy import export_response


class PersonalDataAccessMixin:
    """Writes an audit entry (who, whom, what, when) each time staff open one
    object's page; `subjects_of(obj)` names the people it is about."""

    def subjects_of(self, obj) -> list[int | None]:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original") if request.method == "GET" else None
        if obj is not None and response.status_code == 200:
            label = obj._meta.label_lower
            record_access(
                actor=request.user,
                subject=obj,
                subjects=self.subjects_of(obj),
                what=f"admin:{label}:{obj.pk}",
            )
        return response


@admin.register(User)
class UserAdmin(PersonalDataAccessMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active", "language"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "role", "language", "timezone"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]}),
    ]

    def subjects_of(self, obj: User) -> list[int | None]:
        return [obj.pk]

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [
            path("<int:object_id>/export/", export, name="backend_user_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, object_id: int):
        """A person's export (for a request made to the staff); audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = get_object_or_404(User, pk=object_id)
        record_access(actor=request.user, subject=user, subjects=[user.pk], what=f"export:{user.pk}")
        return export_response(user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "created", "last_used"]
    search_fields = ["user__email", "prefix"]
    readonly_fields = ["prefix", "created", "last_used"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False  # a token's key is shown once, to its owner, through the API


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read only: entries are written by backend.audit.audit()
    alone. Search finds a subject by its id or a booking by its uid."""

    list_display = ["created", "action", "actor", "content_type", "object_id", "subject_link"]
    list_filter = [
        "action",
        ("created", admin.DateFieldListFilter),
        ("content_type", admin.RelatedOnlyFieldListFilter),  # only the kinds of subject in the trail
    ]
    list_select_related = ["actor", "content_type"]
    date_hierarchy = "created"
    # object_id__exact compares as text, so a search for a word is no error.
    search_fields = ["object_id__exact", "booking__uid", "actor__email"]
    readonly_fields = ("created", "action", "actor", "content_type", "object_id", "subject_link", "data")
    fields = readonly_fields
    show_full_result_count = False  # a long trail: no second COUNT(*) per page

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("subject")

    @admin.display(description=_("concerns"))
    def subject_link(self, entry: AuditEntry) -> str:
        subject = entry.subject
        if subject is None:
            return "—"
        meta = subject._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[subject.pk])
        except NoReverseMatch:
            return str(subject)
        return format_html('<a href="{}">{}</a>', url, subject)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
