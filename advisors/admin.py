from django.contrib import admin

from .models import Advisor, Coordinator, Language, Municipality, Region, Topic, WeeklyHours


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
    filter_horizontal = ["topics", "languages", "municipalities"]
    inlines = [WeeklyHoursInline]


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "organisation"]
    list_filter = ["region"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user"]
