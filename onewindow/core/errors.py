"""Domain errors. Services raise them; pages show `message` in Chinese, the API returns
`{"error": {"code", "message", "field"}}` with the same words."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken. `code` is stable (for API clients), `message` is Chinese."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "field": self.field}


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class NotAllowed(DomainError):
    """The actor may not do this (a role or separation-of-duties rule)."""

    code = "forbidden"
    status = 403


class NotFound(DomainError):
    """Absent, or outside the actor's jurisdiction: the two look the same from outside."""

    code = "not_found"
    status = 404


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
