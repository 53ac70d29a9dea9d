"""Signals the project services send inside their transaction, so receivers write in the same one.

Receivers (the feedback app's notifications) must not do I/O here; they write
rows and schedule delivery with `transaction.on_commit`.
"""

from django.dispatch import Signal

# sender=ProjectEvent, event=<ProjectEvent>
project_event_recorded = Signal()
