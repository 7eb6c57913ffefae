"""Staff accounts: add, list, disable, reset a password, and sign in with a lock-out.

Passwords are hashed with argon2id (``argon2-cffi``'s defaults). Roles are cumulative
(:data:`ROLE_RANK`): an approver may do what an editor may, and so on up to admin; what each
action needs is the table :data:`ACTIONS`.

Signing in (:func:`authenticate`) answers an unknown account, a wrong password and a disabled
account with the same :class:`LoginRefused`, after the same argon2 work (an unknown account is
checked against a dummy hash). Failures are counted in the database per (account, client
address) and per client address over :data:`LOCK_WINDOW`: at :data:`ACCOUNT_LIMIT` failures
for one account from one address, or :data:`ADDRESS_LIMIT` from one address in all, further
tries from that address are refused with :class:`LockedOut` until the window has passed.
Tries refused while locked are not counted, so a lock always ends; and because the account
lock is per address, an attacker elsewhere cannot lock its owner out at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from mailer.web.staff.errors import LockedOut, LoginRefused, StaffAccountError
from mailer.web.staff.tables import staff, staff_login_failures, staff_sessions
from subscribers.db import read_connection, write_transaction


class Role(StrEnum):
    EDITOR = "editor"
    APPROVER = "approver"
    OPERATOR = "operator"
    ADMIN = "admin"


ROLE_RANK: dict[str, int] = {role.value: rank for rank, role in enumerate(Role)}

#: What each console action needs (roles are cumulative).
ACTIONS: dict[str, Role] = {
    "view": Role.EDITOR,  # issues, previews, campaigns, reports
    "proof": Role.EDITOR,
    "approve": Role.APPROVER,
    "withdraw": Role.APPROVER,
    "campaign": Role.OPERATOR,  # pause, resume, cancel, resolve
    "supporters": Role.OPERATOR,  # search, unsubscribe, resend link, forget, import
    "audit": Role.OPERATOR,
    "staff": Role.ADMIN,
}

MIN_PASSWORD = 12
LOCK_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20

#: argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile). The tests swap in
#: the cheapest parameters (tests/plugins/staff.py): the same code, less CPU.
hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password made with the current parameters (for unknown accounts)."""
    key = id(hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @property
    def who(self) -> str:
        """How the audit log names this person."""
        return f"staff:{self.email}"

    def may(self, action: str) -> bool:
        return self.active and ROLE_RANK[self.role] >= ROLE_RANK[ACTIONS[action]]

    def as_dict(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


def account_from_row(row: Any) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        active=bool(row.active),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise StaffAccountError(f"role {role!r} is not one of {names}") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffAccountError(f"the password must be at least {MIN_PASSWORD} characters")


def add_staff(
    engine: Engine, email: str, *, name: str, role: str, password: str, now: datetime
) -> StaffAccount:
    """A new active account; ``StaffAccountError`` when the address is taken."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise StaffAccountError(f"{email!r} is not an email address")
    if not name.strip():
        raise StaffAccountError("a name is needed (the audit log shows it)")
    checked = check_role(role)
    check_password(password)
    values = {
        "email": address,
        "name": name.strip()[:120],
        "role": checked.value,
        "password_hash": hasher.hash(password),
        "active": True,
        "created_at": now,
        "password_changed_at": now,
    }
    try:
        with write_transaction(engine) as connection:
            connection.execute(staff.insert().values(**values))
    except IntegrityError:
        raise StaffAccountError(f"there is already a staff account for {address}") from None
    found = get_staff(engine, address)
    if found is None:  # pragma: no cover - just inserted
        raise StaffAccountError(f"could not add {address}")
    return found


def get_staff(engine: Engine, email: str) -> StaffAccount | None:
    with read_connection(engine) as connection:
        row = connection.execute(
            select(staff).where(staff.c.email == normalise_email(email))
        ).first()
    return None if row is None else account_from_row(row)


def list_staff(engine: Engine) -> list[StaffAccount]:
    with read_connection(engine) as connection:
        rows = connection.execute(select(staff).order_by(staff.c.email)).all()
    return [account_from_row(row) for row in rows]


def _existing(connection: Connection, email: str) -> int:
    found = connection.execute(
        select(staff.c.id).where(staff.c.email == normalise_email(email))
    ).scalar()
    if found is None:
        raise StaffAccountError(f"no staff account for {email}; `newsletter staff list`")
    return int(found)


def disable_staff(engine: Engine, email: str) -> None:
    """Disable the account and end its sessions at once."""
    with write_transaction(engine) as connection:
        staff_id = _existing(connection, email)
        connection.execute(update(staff).where(staff.c.id == staff_id).values(active=False))
        connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))


def reset_password(engine: Engine, email: str, password: str, *, now: datetime) -> None:
    """A new password (re-enabling the account); its sessions and lock-outs end."""
    check_password(password)
    address = normalise_email(email)
    with write_transaction(engine) as connection:
        staff_id = _existing(connection, address)
        connection.execute(
            update(staff)
            .where(staff.c.id == staff_id)
            .values(password_hash=hasher.hash(password), password_changed_at=now, active=True)
        )
        connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))
        connection.execute(
            delete(staff_login_failures).where(staff_login_failures.c.email == address)
        )


def authenticate(
    engine: Engine, email: str, password: str, *, ip: str, now: datetime
) -> StaffAccount:
    """The account whose password this is; ``LockedOut`` or ``LoginRefused`` otherwise."""
    address = normalise_email(email)[:254]
    ip = ip[:64]
    _refuse_if_locked(engine, address, ip, now)
    with read_connection(engine) as connection:
        row = connection.execute(select(staff).where(staff.c.email == address)).first()
    if not _verify(row.password_hash if row is not None else None, password):
        _record_failure(engine, address, ip, now)
        raise LoginRefused()
    if row is None or not row.active:
        _record_failure(engine, address, ip, now)
        raise LoginRefused()
    with write_transaction(engine) as connection:
        connection.execute(update(staff).where(staff.c.id == row.id).values(last_login_at=now))
        connection.execute(
            delete(staff_login_failures).where(
                staff_login_failures.c.email == address, staff_login_failures.c.ip == ip
            )
        )
    return account_from_row(row)


def _verify(stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no."""
    try:
        ok = hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored is not None


def _refuse_if_locked(engine: Engine, email: str, ip: str, now: datetime) -> None:
    since = now - LOCK_WINDOW
    recent = staff_login_failures.c.at > since
    from_ip = staff_login_failures.c.ip == ip
    with read_connection(engine) as connection:
        for limit, where in (
            (ADDRESS_LIMIT, (from_ip, recent)),
            (ACCOUNT_LIMIT, (from_ip, recent, staff_login_failures.c.email == email)),
        ):
            count = connection.execute(select(func.count()).where(*where)).scalar_one()
            if count >= limit:
                # the lock ends when the oldest failure in the window leaves it
                ends = _newest_first(connection, where, limit) + LOCK_WINDOW
                raise LockedOut(max(1, int((ends - now).total_seconds())))


def _newest_first(connection: Connection, where: tuple[Any, ...], limit: int) -> datetime:
    """The ``limit``-th newest failure: once it leaves the window, fewer than ``limit`` remain."""
    at: datetime = connection.execute(
        select(staff_login_failures.c.at)
        .where(*where)
        .order_by(staff_login_failures.c.at.desc())
        .offset(limit - 1)
        .limit(1)
    ).scalar_one()
    return at


def _record_failure(engine: Engine, email: str, ip: str, now: datetime) -> None:
    with write_transaction(engine) as connection:
        connection.execute(staff_login_failures.insert().values(email=email, ip=ip, at=now))
        # keep the table small: failures older than a day count for nothing
        connection.execute(
            delete(staff_login_failures).where(staff_login_failures.c.at < now - timedelta(days=1))
        )
