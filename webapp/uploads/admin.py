from django.contrib import admin

from webapp.uploads.models import Face, Upload


class FaceInline(admin.TabularInline):
    model = Face
    fields = ["index", "emotion", "valence", "arousal", "va_source", "model_version", "item"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["id", "original_name", "owner", "status", "model_version", "created_at"]
    list_filter = ["status", "model_version"]
    search_fields = ["original_name", "sha256", "owner__username"]
    readonly_fields = [f.name for f in Upload._meta.fields]
    inlines = [FaceInline]
