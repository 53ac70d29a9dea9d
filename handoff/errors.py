"""Domain errors: a rule said no. Pages show the message, the API answers 409."""


class DomainError(Exception):
    code = "not_allowed"
    http_status: int | None = None  # None: 409 Conflict

    def __init__(self, message: str, *, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Machine-readable particulars the API adds to the problem (what is missing, say).
        self.extra = extra or {}
        if code:
            self.code = code


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class ConcurrentChange(DomainError):
    code = "concurrent_change"


class ActionForbidden(DomainError):
    """The user may see the object but not take this action: 403."""

    code = "forbidden"
    http_status = 403
