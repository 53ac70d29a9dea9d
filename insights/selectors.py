"""Reads for the insights pages: the dashboard's capacity heat map. The home page's cards are
in insights.home."""

from insights.figures.capacity import CAPACITY_WEEKS
from insights.figures.window import Window
from projects.selectors import team_capacity


def capacity_heat_map(w: Window) -> dict:
    """Each PM's load against capacity for the dashboard's next 12 weeks, as the capacity page
    shows it; a delivery team's PMs only. At most four queries, whatever the work."""
    return team_capacity(weeks=CAPACITY_WEEKS, pm_ids=w.pms)
