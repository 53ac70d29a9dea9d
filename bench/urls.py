"""The site's URLs plus the references: the floor (a view that only passes the middleware)
and, when the site registers no admin for deals, a stock Django admin changelist of deals."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns
from deals.models import Deal

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


class StockDealAdmin(admin.ModelAdmin):
    """What a team gets from the admin with a few lines: columns, a filter, a search."""

    list_display = ("title", "client", "owner", "status", "value", "updated_at")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("client", "owner")


peer_site = admin.AdminSite(name="bench_admin")
peer_site.register(Deal, StockDealAdmin)

urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/admin/", peer_site.urls),
    *site_urlpatterns,
]


def admin_changelist_url() -> str:
    """The site's own deal changelist when it has one, else the stock one."""
    return "/admin/deals/deal/" if admin.site.is_registered(Deal) else "/bench/admin/deals/deal/"
