"""Staff-only inspection of cycles and published instruments. Answers are deliberately not
registered: individual answers stay out of every page but their author's own."""

from django.contrib import admin

from .models import Cycle, InstrumentVersion


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "content_hash", "published_at"]
    readonly_fields = ["version", "title", "content_hash", "published_at"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "state", "opens_on", "closes_on", "instrument"]
    list_filter = ["state", "organization"]
