"""What generated data is made of: rows per deal, the mix of statuses over time, the words."""

PASSWORD = "bench-password"  # noqa: S105 - a throwaway password of generated users
USERS = {"sales": 200, "pm": 70, "manager": 25, "admin": 5}
USERNAME_PREFIX = {"sales": "rep", "pm": "pm", "manager": "manager", "admin": "admin"}
COMMITMENTS_PER_DEAL = 4
FEEDBACK_PER_DEAL = 0.3
NOTIFICATIONS_PER_DEAL = 0.5
COMMENTS_PER_DEAL = 0.3
# Endpoints of the managers, and what the events of the last 90 days posted to them: the
# retention job keeps a delivery log that long.
WEBHOOK_ENDPOINTS = 3
DELIVERIES_PER_DEAL = 0.6
DELIVERY_DAYS = 90
WEBHOOK_EVENTS = ["deal.submitted", "verdict.recorded", "deal.signed_off", "deal.won", "deal.lost"]
CHUNK = 5_000
# From this many deals to add, worker processes make them (one per core) while this one copies.
PARALLEL_FROM = 20_000
# Ids a worker takes at a time for the rows of its deals.
ID_BLOCK = 10_000

# Deals are created evenly over three years. Older than RECENT_DAYS they are closed
# (or abandoned drafts); recent ones are anywhere in the workflow. About 21 % are won,
# so 100,000 deals make some 20,000 projects, and a 90-day window holds some 8 % of them.
HISTORY_DAYS = 3 * 365
RECENT_DAYS = 120
CLOSED_MIX = {"won": 0.22, "lost": 0.72, "draft": 0.06}
RECENT_MIX = {
    "draft": 0.25,
    "in_review": 0.15,
    "changes_requested": 0.12,
    "signed_off": 0.13,
    "won": 0.15,
    "lost": 0.20,
}
OPEN_STATUSES = frozenset({"draft", "in_review", "changes_requested", "signed_off"})
KINDS = ["scope", "timeline", "staffing", "pricing", "support", "integration", "other"]
TOPICS = [
    "hard_to_deliver",
    "scope_creep",
    "estimate_miss",
    "customer_insight",
    "market_trend",
    "competitor",
    "praise",
    "process",
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Farid", "Greta", "Hugo", "Iris", "Jon", "Kim", "Leo"]
LAST = ["Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Horvat", "Ito", "Jensen"]
WORDS = [
    "data",
    "platform",
    "migration",
    "portal",
    "analytics",
    "support",
    "rollout",
    "integration",
    "mobile",
    "billing",
    "CRM",
    "warehouse",
    "onboarding",
    "security",
]
INDUSTRIES = ["Retail", "Banking", "Insurance", "Health", "Logistics", "Energy", "Public sector"]
