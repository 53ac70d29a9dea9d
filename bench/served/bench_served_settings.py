"""The settings a served stack runs under load, this checkout's and an older commit's alike.

Each tree's own bench settings, with email changed: those keep every message in memory (the
worker held about 600 MB after a load run). Here a message is written to bytes as the SMTP
backend writes it and then dropped, so the worker pays what sending costs, less the network,
and keeps nothing. This folder is put on the path after the tree, so `bench.settings` is the
tree's own.
"""

from bench.settings import *  # noqa: F403

EMAIL_BACKEND = "bench_served_mail.WrittenAndDropped"
