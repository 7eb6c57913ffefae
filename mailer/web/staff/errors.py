"""Errors of the staff console (``mailer.web.staff``), below :class:`mailer.errors.MailerError`.

The tree::

    MailerError
    └── StaffError              base of everything the staff console raises on purpose
        ├── StaffAccountError   an account cannot be added or changed (duplicate, unknown,
        │                       bad role, password too short); the CLI prints it in one line
        └── LoginRefused        a sign-in was refused: the same words for an unknown account,
            │                   a wrong password and a disabled account
            └── LockedOut       too many failures from this address (for this account or any);
                                carries the seconds until the lock ends

Kept here rather than in ``mailer/errors.py`` so the console is one self-contained subpackage.
"""

from __future__ import annotations

from mailer.errors import MailerError


class StaffError(MailerError):
    """Base class of the staff console's errors."""


class StaffAccountError(StaffError):
    """A staff account cannot be added or changed as asked."""


class LoginRefused(StaffError):
    """Wrong email or password (never says which)."""

    def __init__(self, message: str = "That email address and password do not match.") -> None:
        super().__init__(message)


class LockedOut(LoginRefused):
    """Too many failed sign-ins; ``retry_after`` seconds until the next try is allowed."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"Too many failed sign-ins. Please wait {minutes} minute"
            f"{'s' if minutes != 1 else ''} and try again."
        )
        self.retry_after = retry_after
