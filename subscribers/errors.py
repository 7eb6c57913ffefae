"""Errors raised by the ``subscribers`` package.

The whole tree::

    SubscriberError             base of everything this package raises on purpose
    ├── DatabaseError           no database, unreachable, or its schema is not migrated
    ├── ImportFileError         a CSV file cannot be imported at all (encoding, no email column)
    ├── InvalidAddress          an email address is not syntactically valid
    ├── InvalidBasis            an unknown lawful basis, or a soft opt-in without its evidence
    ├── UnknownSubscriber       no subscriber with that address / id
    ├── Suppressed              unsubscribed, bounced, complained or forgotten: needs a new opt-in
    ├── MissingSecretKey        NEWSLETTER_SECRET_KEY is not set (and no dev key was asked for)
    └── InvalidToken            a signed link token cannot be accepted
        ├── TamperedToken       malformed, or not signed by any of our keys
        ├── ExpiredToken        signed by us but too old for its purpose
        └── WrongPurpose        issued for another purpose (preferences used to confirm)

Nothing here is an HTTP error: the CLI turns each into one line and exit status 1, the web app
maps them to status codes in one place.
"""

from __future__ import annotations


class SubscriberError(Exception):
    """Base class for errors the user can act on."""


class DatabaseError(SubscriberError):
    """The database is unreachable or not at the schema this code expects."""


class ImportFileError(SubscriberError):
    """The import file cannot be read at all; nothing was imported."""


class InvalidAddress(SubscriberError):
    """An email address failed syntax validation."""


class InvalidBasis(SubscriberError):
    """A lawful basis the store does not know, or a soft opt-in without its evidence."""


class UnknownSubscriber(SubscriberError):
    """No subscriber matches the address or id given."""


class Suppressed(SubscriberError):
    """The address is suppressed; only an explicit new opt-in may make it active again."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class MissingSecretKey(SubscriberError):
    """No secret key in the environment."""


class InvalidToken(SubscriberError):
    """A signed token cannot be accepted."""


class TamperedToken(InvalidToken):
    """The token is malformed or its signature matches none of our keys."""


class ExpiredToken(InvalidToken):
    """The token is genuine but older than its purpose allows."""


class WrongPurpose(InvalidToken):
    """The token is genuine but was issued for another purpose."""

    def __init__(self, message: str, expected: str, actual: str) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual
