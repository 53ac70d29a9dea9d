"""An email backend for the load test: each message made into the bytes SMTP would send, and
dropped."""

from django.core.mail.backends.base import BaseEmailBackend


class WrittenAndDropped(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            # What django.core.mail.backends.smtp.EmailBackend does before the socket.
            message.message().as_bytes(linesep="\r\n")
        return len(email_messages)
