"""The search results page, /search/?q=: what the user may see, grouped by kind."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from insights.search import MAX_QUERY_LENGTH, PER_KIND, search


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search deals, clients, projects and people",
        max_length=MAX_QUERY_LENGTH,
        required=False,
        error_messages={"max_length": f"Search for at most {MAX_QUERY_LENGTH} characters."},
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    result = search(request.user, q)
    return render(
        request,
        "insights/search.html",
        {
            "form": form,
            "result": result,
            "per_kind": PER_KIND,
            "site_search_q": result.q,
        },
        status=200 if not form.errors else 400,
    )
