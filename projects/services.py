"""Every write with a rule on projects and deliverables."""

from deals.models import Deal, SignOff
from handoff.models import User


def project_create_from_won_deal(
    *, deal: Deal, sign_off: SignOff, actor: User, project_manager: User | None = None
) -> None:
    """Called by deals.services.deal_win inside its transaction."""
