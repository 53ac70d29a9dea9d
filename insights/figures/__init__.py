"""Every alignment figure, one module per topic: the range (window), the result types
(results), their shown text (format), and the review, flag, promise, capacity and
feedback figures, the dashboard as a whole (alignment), goals, scorecards and the agenda."""
