from django.contrib import admin

from .models import Attachment, LinkPreview


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read and remove: files are added through the pages and the API, which check them."""

    list_display = (
        "original_name",
        "kind",
        "content_type",
        "size",
        "owner_type",
        "owner_id",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("kind", "owner_type")
    search_fields = ("original_name", "alt")
    readonly_fields = [field.name for field in Attachment._meta.fields if field.name != "alt"]
    raw_id_fields = ("uploaded_by",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(LinkPreview)
class LinkPreviewAdmin(admin.ModelAdmin):
    list_display = ("url", "title", "status", "fetched_at")
    list_filter = ("status",)
    search_fields = ("url", "title")
    readonly_fields = ("url_hash", "url", "fetched_at", "created_at")
