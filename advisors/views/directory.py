"""The public advisor directory and each advisor's page with their free times."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..forms_directory import DirectoryFilterForm
from ..models import Advisor, Language, MeetingMode
from ..picker import free_times

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ADVISORS_PER_PAGE = 20


def _mode_labels(advisor: Advisor) -> list[StrOrPromise]:
    return [MeetingMode(mode).label for mode in advisor.meeting_modes]


@require_GET
def advisor_list(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(
        request.GET or None,
        regions=selectors.directory_regions(),
        topics=selectors.topic_list(),
        languages=Language.objects.all(),
    )
    context: dict = {"form": form}
    if form.is_bound and not form.is_valid():
        # Nothing is listed for filters we cannot read: a list that ignored
        # them would look like an answer to the question asked.
        return render(request, "advisors/directory/list.html", context, status=400)

    filters = form.filters() if form.is_bound else {}
    paginator = Paginator(selectors.advisor_directory(**filters), ADVISORS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    advisors = list(page.object_list)
    next_free = selectors.next_available(advisors, now=timezone.now())
    context |= {
        "page": page,
        "filtered": bool(filters),
        "chosen_region": next((r for r in form.regions if r.code == filters.get("region")), None),
        # For an empty answer: the same question without the place.
        "anywhere_query": urlencode(
            {k: v for k, v in filters.items() if k not in ("region", "municipality")}
        ),
        "results": [
            {"advisor": a, "modes": _mode_labels(a), "next_available": next_free.get(a.pk)} for a in advisors
        ],
    }
    return render(request, "advisors/directory/list.html", context)


@require_GET
def municipality_choices(request: HttpRequest) -> HttpResponse:
    """The municipality select of the directory's filters, narrowed to
    ?region= (htmx swaps it in when the region changes); any other region, or
    none, gives them all. The chosen ?municipality= stays chosen if it is there."""
    form = DirectoryFilterForm(
        initial={"municipality": request.GET.get("municipality", "")},
        regions=selectors.region_list(),
        topics=(),
        languages=(),
    )
    form.narrow_municipalities(request.GET.get("region") or None)
    return render(request, "advisors/directory/_municipality_select.html", {"field": form["municipality"]})


@require_GET
def advisor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    advisor = selectors.advisor_public(pk)
    if advisor is None:
        raise Http404
    context = {
        "advisor": advisor,
        "modes": _mode_labels(advisor),
        "offers_in_person": MeetingMode.IN_PERSON in advisor.meeting_modes,
        "municipalities": list(advisor.municipalities.all()),
        "picker": free_times(advisor, data=request.GET, now=timezone.now()),
    }
    return render(request, "advisors/directory/advisor.html", context)
