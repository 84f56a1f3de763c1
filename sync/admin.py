from django.contrib import admin
from django.utils.html import format_html

from sync.models import Component, MigrationPlan, PlannedComponent, SyncRun


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["api_name", "type", "org", "manageable_state", "last_modified_date"]
    list_filter = ["type", "manageable_state"]
    list_select_related = ["org"]
    search_fields = ["api_name", "label", "org__name", "org__org_id"]
    readonly_fields = [field.name for field in Component._meta.fields]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "org", "status_badge", "created_at", "finished_at", "total"]
    list_filter = ["status"]
    list_select_related = ["org"]
    search_fields = ["org__name", "org__org_id"]
    readonly_fields = [
        *(field.name for field in SyncRun._meta.fields if field.name != "client_id"),
        "client_id_fingerprint",
    ]
    exclude = ["client_id"]

    @admin.display(description="status", ordering="status")
    def status_badge(self, run):
        css = {"succeeded": "ok", "failed": "bad"}.get(run.status, "warn")
        return format_html(
            '<span class="badge badge-{}">{}</span>', css, run.get_status_display()
        )


class PlannedComponentInline(admin.TabularInline):
    model = PlannedComponent
    raw_id_fields = ["component"]
    extra = 0


@admin.register(MigrationPlan)
class MigrationPlanAdmin(admin.ModelAdmin):
    list_display = ["pk", "owner", "source_org", "target_org", "updated_at"]
    list_select_related = ["owner", "source_org", "target_org"]
    raw_id_fields = ["source_org", "target_org"]
    inlines = [PlannedComponentInline]
