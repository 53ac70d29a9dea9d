"""Everything that looks across apps: the home page's "what needs you now", the alignment
dashboard with its API and CSV exports, the sync agenda, shared goals, scorecards, and the
stored figures with their refresh task. Its models (SharedGoal, MetricsSnapshot) stay in
handoff.models, where their migrations are."""
