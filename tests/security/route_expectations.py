"""What each role gets from each route: the table the route matrix checks.

One entry per route name. `params` names the world object that fills each path parameter
(see tests/security/world.py: "deal.in_review" is rep's deal in review, which rep2 may not
see). A status is an int or a set of ints; an API write with an empty body answers 400 or
409 to a role that may take it, and 403/404 to one that may not.

To add a route: copy the entry of a route like it and adjust who gets what.
"""

from dataclasses import dataclass, field

ROLES = ("anonymous", "rep", "rep2", "pm", "manager")
SIGNED_IN = ROLES[1:]

LOGIN = 302  # a page sends the anonymous to the login page
UNAUTHENTICATED = 401  # the API asks the anonymous for a token
FORM = frozenset({200, 302})  # the form was processed: errors shown again, or done and redirected
API_WRITE = frozenset({200, 201, 204, 400, 409})  # taken: done, bad input or wrong status
PAGE_ACTION = frozenset({200, 302, 400, 409})  # an action POSTed from a page, refused or done
NOT_ALLOWED = 405
LIVE = frozenset({200, 204})  # a live page's version check: changed, or not
HIDDEN = 404
FORBIDDEN = 403


def roles(default=None, **by_role) -> dict[str, object]:
    """roles(200, anonymous=LOGIN) -> every role 200 but the anonymous."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    table = {role: by_role.get(role, default) for role in ROLES}
    missing = [role for role, status in table.items() if status is None]
    assert not missing, f"no expectation for {missing}"
    return table


def page(**by_role) -> dict[str, object]:
    """A page every signed-in role opens."""
    return roles(200, anonymous=LOGIN, **by_role)


def api(**by_role) -> dict[str, object]:
    """An API read every signed-in role may make."""
    return roles(200, anonymous=UNAUTHENTICATED, **by_role)


def everyone(status) -> dict[str, object]:
    return roles(status)


@dataclass(frozen=True)
class Expect:
    methods: dict[str, dict[str, object]]
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""
    # The body of a write; "@user.pm" is replaced by that world object's id.
    data: dict[str, object] = field(default_factory=dict)


def E(get=None, *, post=None, put=None, patch=None, delete=None, params=None, query="", data=None):
    methods = {
        m: t
        for m, t in (
            ("GET", get),
            ("POST", post),
            ("PUT", put),
            ("PATCH", patch),
            ("DELETE", delete),
        )
        if t is not None
    }
    return Expect(methods=methods, params=params or {}, query=query, data=data or {})


# Path parameters filled when an entry names none: by route-name prefix, then parameter.
# Values are world keys; "literal:x" is used as is, "username:rep" is that user's username.
DEFAULT_PARAMS: dict[str, dict[str, str]] = {
    "password_reset_confirm": {"uidb64": "password_reset.uidb64", "token": "password_reset"},
    "deals:": {
        "pk": "deal.in_review",
        "commitment_pk": "commitment.in_review",
        "escalation_pk": "escalation",
    },
    "api:deal-": {"pk": "deal.in_review", "deal_pk": "deal.in_review"},
    "api:commitment-": {"pk": "commitment.in_review"},
    "api:verdict-": {"pk": "verdict.flagged"},
    "api:escalation-": {"pk": "escalation"},
    "api:review-rule-": {"pk": "review_rule"},
    "api:client-": {"pk": "client"},
    "api:project-": {"pk": "project"},
    "api:deliverable-": {"pk": "deliverable"},
    "api:webhook-delivery-": {"webhook_pk": "webhook", "pk": "webhook_delivery"},
    "api:webhook-": {"pk": "webhook"},
    "api:chat-delivery-": {"channel_pk": "chat_channel", "pk": "chat_delivery"},
    "api:chat-channel-": {"pk": "chat_channel"},
    "webhooks:": {"pk": "webhook", "delivery_pk": "webhook_delivery"},
    "chat:": {"pk": "chat_channel"},
    "api:feedback-note-": {"pk": "note"},
    "api:notification-": {"pk": "notification"},
    "projects:kickoff_toggle": {"pk": "kickoff_item"},
    "projects:kickoff_remove": {"pk": "kickoff_item"},
    "projects:deliverable_": {"pk": "deliverable"},
    "projects:time_off_": {"pk": "time_off"},
    "projects:": {"pk": "project"},
    "feedback:note": {"pk": "note"},
    "feedback:notification": {"pk": "notification"},
    "dashboard-goal": {"pk": "goal"},
    "dashboard-export": {"table": "literal:figures"},
    "scorecard": {"username": "username:rep"},
}


def default_param(route_key: str, param: str) -> str | None:
    for prefix, params in DEFAULT_PARAMS.items():
        if route_key.startswith(prefix) and param in params:
            return params[param]
    return None


EXPECTATIONS: dict[str, Expect] = {
    # Site and accounts
    "home": E(page()),
    # The deliverables the home page's cards link to: a PM's own, else those the user may see.
    "home_deliverables": E(page(), query="due=late"),
    "healthz": E(everyone(200), post=everyone(NOT_ALLOWED)),
    # 200 while the database, the cache and the broker answer (503 naming what failed).
    "readyz": E(everyone(200), post=everyone(NOT_ALLOWED)),
    "login": E(
        roles(302, anonymous=200),  # a signed-in user is sent on to the home page
        post=roles(302, anonymous=200),
    ),
    "logout": E(everyone(NOT_ALLOWED), post=everyone(302)),
    # The code after the password: with no sign-in waiting for one, back to the login page
    # (or, signed in without an app, on to setting one up).
    "mfa_verify": E(everyone(302), post=everyone(302)),
    # Single sign-on answers 404 while OIDC_ISSUER is not set (the test settings).
    "oidc_authentication_init": E(everyone(HIDDEN)),
    "oidc_authentication_callback": E(everyone(HIDDEN)),
    # Two-factor pages of one's own account; with no app set up, renew and disable send on.
    "mfa_setup": E(page(), post=roles(400, anonymous=LOGIN)),
    "mfa_recovery_codes": E(everyone(302), post=everyone(302)),
    "mfa_disable": E(everyone(302), post=everyone(302)),
    "api:two-factor": E(api()),
    "api:two-factor-setup": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED), post=roles(200, anonymous=UNAUTHENTICATED)
    ),
    "api:two-factor-confirm": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED), post=roles(400, anonymous=UNAUTHENTICATED)
    ),
    "api:two-factor-recovery-codes": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED),
    ),
    "api:two-factor-disable": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED), post=roles(400, anonymous=UNAUTHENTICATED)
    ),
    "password_change": E(page(), post=roles(200, anonymous=LOGIN)),
    "password_change_done": E(page(), post=roles(NOT_ALLOWED, anonymous=LOGIN)),
    "password_reset": E(everyone(200), post=everyone(200)),
    "password_reset_done": E(everyone(200), post=everyone(NOT_ALLOWED)),
    # An unknown link shows "invalid link" instead of a form.
    "password_reset_confirm": E(everyone(200), post=everyone(200)),
    "password_reset_complete": E(everyone(200), post=everyone(NOT_ALLOWED)),
    # The admin's sign-in page; the rest of the admin is staff only.
    "admin:login": E(everyone(200), post=everyone(200)),
    # API plumbing
    "api:token": E(everyone(NOT_ALLOWED), post=everyone(400)),
    "schema": E(everyone(200)),
    "api-docs": E(everyone(200)),
    # Deal pages: rep owns deal.in_review (unclaimed); rep2 may not see it; pm sees it since
    # it was submitted; a draft never submitted is the owner's alone.
    "deals:list": E(page()),
    "deals:create": E(page(pm=FORBIDDEN), post=roles(200, anonymous=LOGIN, pm=FORBIDDEN)),
    "deals:commitment_row": E(page()),
    "deals:client_search": E(page(pm=FORBIDDEN), query="client_search=acme"),
    "deals:queue": E(page(rep=FORBIDDEN, rep2=FORBIDDEN)),
    # Version checks of the live pages: the anonymous get 401, never the login page.
    "deals:queue_version": E(
        roles(LIVE, anonymous=UNAUTHENTICATED, rep=FORBIDDEN, rep2=FORBIDDEN),
        post=everyone(NOT_ALLOWED),
        query="v=0",
    ),
    "deals:escalations": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    # Lists as CSV: whoever opens the list downloads what it shows them.
    "deals:list_csv": E(page()),
    # Deal templates: managers define them (an empty form comes back, 400); reps read them
    # through the API and start new deals from them.
    "deals:templates": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "deals:template_create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "deals:template_edit": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
        params={"pk": "deal_template"},
    ),
    "deals:template_delete": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
        params={"pk": "deal_template"},
    ),
    "deals:queue_csv": E(page(rep=FORBIDDEN, rep2=FORBIDDEN)),
    "projects:list_csv": E(page()),
    "home_deliverables_csv": E(page(), query="due=open"),
    "feedback:inbox_csv": E(page()),
    "feedback:notifications_csv": E(page()),
    # Import deals: sales and managers; the world's import is rep's, a manager sees it too.
    "deals:import_start": E(page(pm=FORBIDDEN), post=roles(400, anonymous=LOGIN, pm=FORBIDDEN)),
    "deals:import_detail": E(page(rep2=HIDDEN, pm=HIDDEN), params={"pk": "import"}),
    "deals:import_confirm": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(HIDDEN, anonymous=LOGIN, rep=302, manager=FORBIDDEN),
        params={"pk": "import"},
    ),
    "deals:import_report": E(page(rep2=HIDDEN, pm=HIDDEN), params={"pk": "import"}),
    # An email's approval link: a token that is not one answers 400 to anyone signed in, and
    # changes nothing (tests/deals/test_approval_links.py has the real links).
    "deals:approve_link": E(
        roles(400, anonymous=LOGIN),
        post=roles(400, anonymous=LOGIN),
        params={"token": "literal:not-a-real-link"},
    ),
    "deals:detail": E(page(rep2=HIDDEN)),
    "deals:version": E(
        roles(LIVE, anonymous=UNAUTHENTICATED, rep2=HIDDEN), post=everyone(NOT_ALLOWED), query="v=1"
    ),
    "deals:edit": E(
        page(rep2=HIDDEN, pm=HIDDEN, manager=FORBIDDEN),
        post=roles(200, anonymous=LOGIN, rep2=HIDDEN, pm=HIDDEN, manager=FORBIDDEN),
        params={"pk": "deal.draft"},
    ),
    "deals:comment": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN),
        data={"comment-body": "Can we start earlier?"},
    ),
    "deals:submit": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=HIDDEN, manager=FORBIDDEN),
        params={"pk": "deal.draft"},
    ),
    "deals:claim": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
    ),
    "deals:assign": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, manager=302),
        data={"assign-reviewer": "@user.pm2"},
    ),
    "deals:rule": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
        data={"rule-{commitment.in_review}-verdict": "approved"},
    ),
    # What cannot be undone asks first: GET is the confirmation page (for whom the rule
    # allows it; a rule's "not yet" sends the lead reviewer back to the deal), POST acts.
    "deals:request_changes": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION),
        params={"pk": "deal.claimed"},
    ),
    "deals:sign_off": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION),
        params={"pk": "deal.claimed"},
    ),
    # The lead reviewer (pm on deal.claimed) gives the review back or hands it on; a manager
    # may hand it on too (that is assigning it).
    "deals:release": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
        params={"pk": "deal.claimed"},
        data={"release-note": "Away until Monday"},
    ),
    "deals:hand_on": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302, manager=302),
        params={"pk": "deal.claimed"},
        data={"hand_on-reviewer": "@user.pm2", "hand_on-note": "Knows the client"},
    ),
    # The owner accepts a counter-proposal; the world's flag has none, so rep is refused in words.
    "deals:accept_counter": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep=PAGE_ACTION, rep2=HIDDEN),
        params={"pk": "deal.changes_requested", "verdict_pk": "verdict.flagged"},
    ),
    "deals:escalate": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, rep=PAGE_ACTION),
        params={"pk": "deal.changes_requested", "verdict_pk": "verdict.flagged"},
        data={"escalate-{verdict.flagged}-argument": "The client agreed to it."},
    ),
    "deals:escalation_decide": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
        data={
            "decide-{escalation}-decision": "upheld",
            "decide-{escalation}-reason": "Capacity is short.",
        },
    ),
    "deals:revise": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep=200, rep2=HIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep=302, rep2=HIDDEN),
        params={"pk": "deal.signed_off"},
    ),
    "deals:win": E(
        roles(200, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
        params={"pk": "deal.signed_off"},
    ),
    "deals:lose": E(
        roles(200, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
        data={"lose-reason": "Budget cut"},
    ),
    # Review rules: managers' pages; an empty form comes back with its errors (400).
    "deals:review_rules": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "deals:review_rule_create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "deals:review_rule_edit": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
        params={"rule_pk": "review_rule"},
    ),
    "deals:review_rule_retire": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
        params={"rule_pk": "review_rule"},
    ),
    # Deals API
    "api:client-list": E(api(), post=roles(400, anonymous=UNAUTHENTICATED)),
    "api:client-detail": E(api()),
    "api:deal-list": E(api(), post=roles(400, anonymous=UNAUTHENTICATED)),
    "api:deal-detail": E(
        api(rep2=HIDDEN),
        put=roles(400, anonymous=UNAUTHENTICATED, rep2=HIDDEN),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
    ),
    "api:deal-event-list": E(api(rep2=HIDDEN)),
    # Imports of deals (the world's is rep's, previewed): sales and managers; an empty body
    # is bad input; one's own imports only, a manager's everyone's.
    "api:deal-import-list": E(
        api(pm=FORBIDDEN), post=roles(400, anonymous=UNAUTHENTICATED, pm=FORBIDDEN)
    ),
    "api:deal-import-detail": E(api(rep2=HIDDEN, pm=FORBIDDEN), params={"pk": "import"}),
    "api:deal-template-list": E(
        api(pm=FORBIDDEN), post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400)
    ),
    "api:deal-template-detail": E(
        api(pm=FORBIDDEN),
        put=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=204),
        params={"pk": "deal_template"},
    ),
    # A CRM's upsert: sales and managers may; an empty body is bad input.
    "api:deal-external": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED, pm=FORBIDDEN),
        put=roles(400, anonymous=UNAUTHENTICATED, pm=FORBIDDEN),
        params={"source": "literal:hubspot", "external_id": "literal:d-1"},
    ),
    "api:deal-comment-list": E(
        api(rep2=HIDDEN),
        post=roles(201, anonymous=UNAUTHENTICATED, rep2=HIDDEN),
        data={"body": "Any news?"},
    ),
    "api:deal-submit": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=200, rep2=HIDDEN, pm=HIDDEN),
        params={"pk": "deal.draft"},
    ),
    "api:deal-claim": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=200),
    ),
    "api:deal-assign": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, manager=200),
        data={"reviewer": "@user.pm2"},
    ),
    # The lead reviewer (pm on deal.claimed) gives up the claim.
    "api:deal-release": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=200),
        params={"pk": "deal.claimed"},
        data={"note": "Away this week"},
    ),
    # Who must approve each commitment: everyone who sees the deal may read it.
    "api:deal-approvals": E(api(rep2=HIDDEN)),
    "api:deal-request-changes": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=409),
        params={"pk": "deal.claimed"},
    ),
    "api:deal-sign-off": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=409),
        params={"pk": "deal.claimed"},
    ),
    "api:deal-revise": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=200, rep2=HIDDEN),
        params={"pk": "deal.signed_off"},
    ),
    "api:deal-win": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=FORBIDDEN),
        params={"pk": "deal.signed_off"},
    ),
    "api:deal-lose": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=FORBIDDEN),
        data={"reason": "Budget cut"},
    ),
    "api:commitment-list": E(api(), post=roles(400, anonymous=UNAUTHENTICATED)),
    "api:commitment-detail": E(
        api(rep2=HIDDEN),
        put=roles(400, anonymous=UNAUTHENTICATED, rep2=HIDDEN),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
    ),
    "api:commitment-verdict": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=200),
        data={"verdict": "approved"},
    ),
    "api:verdict-list": E(api()),
    "api:verdict-detail": E(api(rep2=HIDDEN)),
    "api:verdict-escalate": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
        data={"argument": "The client agreed to it."},
    ),
    # The owner accepts a flag's counter-proposal; verdict.flagged has none, so rep gets 409.
    "api:verdict-accept-counter": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep=409, rep2=HIDDEN),
    ),
    "api:escalation-list": E(api()),
    "api:escalation-detail": E(api(rep2=HIDDEN)),
    "api:escalation-decide": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, manager=200),
        data={"decision": "upheld", "reason": "Capacity is short."},
    ),
    # Review rules: managers only, on every verb (the id of a live rule, review_rule).
    "api:review-rule-list": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=201),
        data={"name": "Pricing needs a manager", "kinds": ["pricing"], "approver": "manager"},
    ),
    "api:review-rule-detail": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        put=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
        data={
            "name": "Integrations need two managers",
            "approver": "manager",
            "approvals_required": 2,
        },
    ),
    "api:review-rule-retire": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    # Projects: the project of rep's won deal, run by pm.
    "projects:list": E(page()),
    "projects:detail": E(page(rep2=HIDDEN)),
    "projects:brief": E(
        page(rep2=HIDDEN, pm=FORBIDDEN),
        post=roles(FORM, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
    ),
    # Actions that cannot be undone: a GET is their confirmation page, for who may act.
    "projects:accept": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=200),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
    ),
    # The project is in kickoff: its page says it cannot be completed yet (302).
    "projects:complete": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302, manager=302),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION, manager=PAGE_ACTION),
    ),
    "projects:questions": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
        data={"questions": "Who signs the acceptance?"},
    ),
    "projects:status": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=PAGE_ACTION, manager=PAGE_ACTION),
        data={"status": "on_hold", "reason": "Client paused"},
    ),
    "projects:kickoff_add": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
        data={"text": "Book the workshop"},
    ),
    "projects:kickoff_toggle": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
    ),
    "projects:kickoff_remove": E(
        roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=200),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302),
    ),
    "projects:deliverable_status": E(
        page(rep=FORBIDDEN, rep2=HIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, rep2=HIDDEN, pm=302, manager=302),
        data={"status": "in_progress"},
    ),
    "projects:capacity": E(page(rep=FORBIDDEN, rep2=FORBIDDEN)),
    "projects:capacity_set": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(400, anonymous=LOGIN, pm=302),  # one's own capacity; only a PM has one
        data={"weekly_days": "4"},
    ),
    "projects:time_off_add": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(400, anonymous=LOGIN),
    ),
    # Time off is removed from one's own calendar only, so others' ids are unknown (404).
    "projects:time_off_remove": E(
        roles(HIDDEN, anonymous=LOGIN, pm=200),
        post=roles(HIDDEN, anonymous=LOGIN, pm=302),
    ),
    "settings": E(page(), post=roles(FORM, anonymous=LOGIN)),
    "settings_time_zone": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN),
        data={"tz-time_zone": "Europe/Berlin"},
    ),
    "api:project-list": E(api()),
    "api:project-detail": E(api(rep2=HIDDEN)),
    "api:deliverable-list": E(api()),
    "api:deliverable-detail": E(
        api(rep2=HIDDEN),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=200, manager=200),
        data={"status": "in_progress"},
    ),
    "api:capacity-list": E(api(rep=FORBIDDEN, rep2=FORBIDDEN)),
    # Feedback: pm's note to rep about rep's deal; rep's first notification.
    "feedback:inbox": E(page()),
    "feedback:lessons": E(page()),
    "feedback:note_new": E(page(), post=roles(200, anonymous=LOGIN)),
    "feedback:note": E(page(rep2=HIDDEN)),
    "feedback:note_acknowledge": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
    ),
    "feedback:note_reply": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
        data={"reply": "Thanks, noted."},
    ),
    "feedback:notifications": E(page()),
    "feedback:bell": E(page()),
    "feedback:bell_version": E(
        roles(LIVE, anonymous=UNAUTHENTICATED), post=everyone(NOT_ALLOWED), query="v=0"
    ),
    "feedback:notification_open": E(roles(HIDDEN, anonymous=LOGIN, rep=302)),
    "feedback:notification_read": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(HIDDEN, anonymous=LOGIN, rep=302),
    ),
    "feedback:notifications_read_all": E(
        roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(302, anonymous=LOGIN)
    ),
    # The preferences are a section of /settings/: a GET goes there, a bad POST shows it (400).
    "feedback:preferences": E(roles(302), post=roles(400, anonymous=LOGIN)),
    "api:feedback-note-list": E(api(), post=roles(400, anonymous=UNAUTHENTICATED)),
    "api:feedback-note-detail": E(api(rep2=HIDDEN)),
    "api:feedback-note-acknowledge": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=FORBIDDEN),
    ),
    # Webhooks and team chat: managers only, pages and API (world: webhook, chat_channel and
    # one delivery of each). An empty form or body is bad input (400).
    "webhooks:list": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "webhooks:create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "webhooks:detail": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "webhooks:edit": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "webhooks:rotate": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
    ),
    "webhooks:set_active": E(
        roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(FORBIDDEN, anonymous=LOGIN, manager=302)
    ),
    "webhooks:delete": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
    ),
    "webhooks:redeliver": E(
        roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(FORBIDDEN, anonymous=LOGIN, manager=302)
    ),
    "chat:list": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "chat:create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "chat:detail": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "chat:edit": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=400),
    ),
    "chat:set_active": E(
        roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(FORBIDDEN, anonymous=LOGIN, manager=302)
    ),
    "chat:delete": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
    ),
    "api:webhook-list": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400),
    ),
    "api:webhook-detail": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        put=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=204),
    ),
    "api:webhook-rotate-secret": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    "api:webhook-enable": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    "api:webhook-disable": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    "api:webhook-delivery-list": E(api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "api:webhook-delivery-detail": E(api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "api:webhook-delivery-redeliver": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=201),
    ),
    "api:chat-channel-list": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400),
    ),
    "api:chat-channel-detail": E(
        api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        put=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400),
        patch=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
        delete=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=204),
    ),
    "api:chat-channel-enable": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    "api:chat-channel-disable": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=200),
    ),
    "api:chat-delivery-list": E(api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "api:chat-delivery-detail": E(api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "api:chat-delivery-redeliver": E(
        roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=201),
    ),
    "api:notification-list": E(api()),
    "api:notification-detail": E(api(rep2=HIDDEN, pm=HIDDEN, manager=HIDDEN)),
    "api:notification-read": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(HIDDEN, anonymous=UNAUTHENTICATED, rep=200),
    ),
    "api:notification-read-all": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED), post=roles(200, anonymous=UNAUTHENTICATED)
    ),
    # Managers' pages; a rep may open their own scorecard.
    "dashboard": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "dashboard-agenda": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "dashboard-export": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "dashboard-recompute": E(
        roles(FORBIDDEN, anonymous=LOGIN, manager=NOT_ALLOWED),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
    ),
    # Without htmx the recalculation's progress is a message on the dashboard (302).
    "dashboard-recompute-status": E(roles(FORBIDDEN, anonymous=LOGIN, manager=302)),
    "dashboard-goals": E(page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    "dashboard-goal-create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=200),
    ),
    "dashboard-goal-edit": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=200),
    ),
    "dashboard-goal-delete": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=302),
    ),
    "api:metrics-alignment": E(api(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN)),
    # The site search: every signed-in role searches, and finds only what it may see
    # (tests/security/test_object_access.py, TestSearch).
    "search": E(page(), query="q=Warehouse"),
    "api:search": E(api(), query="q=Warehouse"),
    "scorecard": E(page(rep2=FORBIDDEN, pm=FORBIDDEN)),
}


def _take_in_areas() -> None:
    from tests.security.areas import area_modules

    for module in area_modules():
        twice = EXPECTATIONS.keys() & module.EXPECTATIONS.keys()
        assert not twice, f"{module.__name__} repeats the entries of {sorted(twice)}"
        EXPECTATIONS.update(module.EXPECTATIONS)
        DEFAULT_PARAMS.update(getattr(module, "DEFAULT_PARAMS", {}))


_take_in_areas()
