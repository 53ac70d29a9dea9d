"""Reads for the insights pages: the dashboard's capacity heat map. The home page's cards are
in insights.home."""

from decimal import Decimal

from insights.figures.capacity import CAPACITY_WEEKS
from insights.figures.results import PAGE_ROWS
from insights.figures.window import Window
from projects.selectors import PMWeeks, team_capacity

# A week with load and no capacity at all is fuller than any ratio.
NO_CAPACITY = Decimal("Infinity")


def peak_load(row: PMWeeks) -> Decimal:
    """A PM's fullest week: its load over its capacity."""
    peak = Decimal(0)
    for cell in row.cells:
        load, capacity = cell["load"], cell["capacity"]
        if load > 0:
            peak = max(peak, load / capacity if capacity > 0 else NO_CAPACITY)
    return peak


def capacity_heat_map(w: Window, shown: int = PAGE_ROWS) -> dict:
    """Each PM's load against capacity for the dashboard's next 12 weeks, as the capacity page
    shows it; a delivery team's PMs only. At most four queries, whatever the work.

    The page shows the `shown` PMs with the fullest week, fullest first (the others keep
    their order), so that its height does not grow with the organisation; the capacity page
    has them all. `of` is how many there are.
    """
    heat_map = team_capacity(weeks=CAPACITY_WEEKS, pm_ids=w.pms)
    rows = heat_map["rows"]
    heat_map["of"] = len(rows)
    if len(rows) > shown:
        heat_map["rows"] = sorted(rows, key=peak_load, reverse=True)[:shown]
    return heat_map
