"""Signals the workflow sends inside its transaction, so receivers write in the same one.

Receivers (the feedback app's notifications and outbox) must not do I/O here;
they write rows and schedule delivery with `transaction.on_commit`.
"""

from django.dispatch import Signal

# sender=DealEvent, event=<DealEvent>
deal_event_recorded = Signal()
# sender=Comment, comment=<Comment>, mentioned=<int: how many it mentions, in comment.mentions>
comment_posted = Signal()
