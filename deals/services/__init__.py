"""Every write with a rule on deals, by topic; the only code that sets a deal's status.

Each service runs in a transaction, locks the deal row, asks deals.rules whether the actor
may act now (raising its DomainError (409), ActionForbidden (403) or ValidationError (400)
when not), and writes a DealEvent. Callers import the package: `services.deal_submit(...)`.
"""

from deals.services._workflow import fingerprint
from deals.services.clients import client_create
from deals.services.closing import deal_lose, deal_revise, deal_win
from deals.services.comments import comment_add, mentions_left_out
from deals.services.commitments import commitment_add, commitment_remove, commitment_update
from deals.services.deals import deal_check_editable, deal_create, deal_delete, deal_update
from deals.services.escalations import escalation_decide, verdict_escalate
from deals.services.review import (
    deal_request_changes,
    deal_sign_off,
    deal_submit,
    review_assign,
    review_claim,
    review_release,
)
from deals.services.review_rules import (
    review_rule_create,
    review_rule_retire,
    review_rule_update,
)
from deals.services.rulings import commitment_rule, verdict_accept_counter
from deals.services.templates import deal_template_delete, deal_template_save

__all__ = [
    "client_create",
    "comment_add",
    "commitment_add",
    "commitment_remove",
    "commitment_rule",
    "commitment_update",
    "deal_check_editable",
    "deal_create",
    "deal_delete",
    "deal_lose",
    "deal_request_changes",
    "deal_revise",
    "deal_sign_off",
    "deal_submit",
    "deal_template_delete",
    "deal_template_save",
    "deal_update",
    "deal_win",
    "escalation_decide",
    "fingerprint",
    "mentions_left_out",
    "review_assign",
    "review_claim",
    "review_release",
    "review_rule_create",
    "review_rule_retire",
    "review_rule_update",
    "verdict_accept_counter",
    "verdict_escalate",
]
