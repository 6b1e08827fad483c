"""How a message's addresses are shown to staff: masked, like every other personal datum."""

from __future__ import annotations

from onewindow.core.personal import mask_phone


def mask_email(value: str) -> str:
    """l***@example.cn: the first character of the mailbox and the whole domain."""
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return "*" * len(value)
    return f"{local[:1]}***@{domain}"


def masked_address(phone: str, email: str) -> str:
    return "；".join(a for a in (mask_phone(phone), mask_email(email)) if a)
