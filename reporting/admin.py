from django.contrib import admin

from .models import DeMinimisDeclaration, FundingProject, ReportingPeriod


class ReportingPeriodInline(admin.TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["number", "start", "end", "closed", "closed_at", "closed_by"]
    readonly_fields = ["closed", "closed_at", "closed_by"]


@admin.register(FundingProject)
class FundingProjectAdmin(admin.ModelAdmin):
    # Changes go through the coordinators' pages (reporting.projects.project_save),
    # which check that the periods tile the project: here staff only look.
    list_display = ["name", "region", "funder", "start", "end"]
    list_filter = ["region", "funder"]
    inlines = [ReportingPeriodInline]
    filter_horizontal = ["topics", "advisors", "owners"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DeMinimisDeclaration)
class DeMinimisDeclarationAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "aid_last_three_years_eur", "declared_at"]
    raw_id_fields = ["enterprise", "declared_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
