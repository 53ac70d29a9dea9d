"""A mail backend that takes its time and writes each recipient to a file once sent."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class SlowLoggingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        delay = float(os.environ.get("SLOW_MAIL_SECONDS", "0"))
        log = os.environ["SLOW_MAIL_LOG"]
        for message in email_messages:
            time.sleep(delay)
            with open(log, "a") as sent:
                sent.write("\n".join(message.to) + "\n")
        return len(email_messages)
