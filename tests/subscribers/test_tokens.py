from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from subscribers.errors import (
    ExpiredToken,
    InvalidToken,
    MissingSecretKey,
    TamperedToken,
    WrongPurpose,
)
from subscribers.keys import DEV_ONLY_KEY, keys_from_env
from subscribers.tokens import Purpose, TokenSigner, signer_from_env

KEY = b"current-key-0123456789abcdef"
OLD = b"previous-key-0123456789abcdef"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SIGNER = TokenSigner([KEY])


def test_unsubscribe_token_round_trips_with_list() -> None:
    token = SIGNER.sign("unsubscribe", "pub123", "research-news", issued_at=NOW)
    claims = SIGNER.verify(token, "unsubscribe", now=NOW + timedelta(days=3650))
    assert (claims.public_id, claims.list_id, claims.issued_at) == ("pub123", "research-news", NOW)


def test_token_is_url_safe_and_never_holds_an_address() -> None:
    token = SIGNER.sign("preferences", "pub123", issued_at=NOW)
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    assert "@" not in token


def test_confirm_token_expires_after_seven_days() -> None:
    token = SIGNER.sign("confirm", "pub123", issued_at=NOW)
    assert SIGNER.verify(token, "confirm", now=NOW + timedelta(days=7)).public_id == "pub123"
    with pytest.raises(ExpiredToken):
        SIGNER.verify(token, "confirm", now=NOW + timedelta(days=7, seconds=1))


@pytest.mark.parametrize(
    ("signed", "used"),
    [
        ("preferences", "confirm"),
        ("confirm", "preferences"),
        ("preferences", "unsubscribe"),
        ("unsubscribe", "confirm"),
    ],
)
def test_token_for_another_purpose_is_refused(signed: str, used: str) -> None:
    token = SIGNER.sign(signed, "pub123", "research-news", issued_at=NOW)  # type: ignore[arg-type]
    with pytest.raises(WrongPurpose):
        SIGNER.verify(token, used, now=NOW)  # type: ignore[arg-type]


def _tamper(token: str, how: str) -> str:
    head, issued, public_id, list_id, signature = token.split(".")
    if how == "public_id":
        return ".".join([head, issued, "pub124", list_id, signature])
    if how == "list":
        return ".".join([head, issued, public_id, "appeals", signature])
    if how == "issued":
        return ".".join([head, "0", public_id, list_id, signature])
    if how == "purpose":
        return ".".join(["p1", issued, public_id, list_id, signature])
    if how == "signature":
        return token[:-1] + ("A" if token[-1] != "A" else "B")
    if how == "truncated":
        return token[:-5]
    if how == "empty":
        return ""
    if how == "extra_field":
        return ".".join([head, issued, public_id, list_id, "x", signature])
    if how == "non_ascii":
        return token.replace("pub123", "pub12é")
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "public_id",
        "list",
        "issued",
        "purpose",
        "signature",
        "truncated",
        "empty",
        "extra_field",
        "non_ascii",
    ],
)
def test_tampered_token_is_refused(how: str) -> None:
    token = SIGNER.sign("unsubscribe", "pub123", "research-news", issued_at=NOW)
    with pytest.raises(TamperedToken):
        SIGNER.verify(_tamper(token, how), "unsubscribe", now=NOW)


def test_token_errors_are_invalid_token() -> None:
    assert all(issubclass(e, InvalidToken) for e in (TamperedToken, ExpiredToken, WrongPurpose))


def test_token_signed_with_previous_key_is_accepted_after_rotation() -> None:
    token = TokenSigner([OLD]).sign("unsubscribe", "pub123", "appeals", issued_at=NOW)
    claims = TokenSigner([KEY, OLD]).verify(token, "unsubscribe", now=NOW)
    assert claims.key_index == 1


def test_token_signed_with_a_retired_key_is_refused() -> None:
    token = TokenSigner([OLD]).sign("unsubscribe", "pub123", "appeals", issued_at=NOW)
    with pytest.raises(TamperedToken):
        TokenSigner([KEY]).verify(token, "unsubscribe", now=NOW)


def test_unsubscribe_token_must_name_a_list() -> None:
    with pytest.raises(ValueError, match="names the list"):
        SIGNER.sign("unsubscribe", "pub123")


def test_signer_from_env_reads_current_and_previous_keys() -> None:
    env = {
        "NEWSLETTER_SECRET_KEY": KEY.decode(),
        "NEWSLETTER_SECRET_KEY_PREVIOUS": f" {OLD.decode()} , ",
    }
    token = TokenSigner([OLD]).sign("preferences", "pub123", issued_at=NOW)
    assert signer_from_env(env).verify(token, "preferences", now=NOW).key_index == 1


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(MissingSecretKey, match="NEWSLETTER_SECRET_KEY is not set"):
        signer_from_env({})


def test_dev_key_only_when_asked_for() -> None:
    assert keys_from_env({}, allow_dev=True) == (DEV_ONLY_KEY,)
    assert b"dev-only" in DEV_ONLY_KEY


def test_short_key_is_refused() -> None:
    with pytest.raises(MissingSecretKey, match="shorter than 16"):
        keys_from_env({"NEWSLETTER_SECRET_KEY": "short"})


@pytest.mark.parametrize(
    ("purpose", "list_id"),
    [("unsubscribe", "research-news"), ("preferences", None), ("confirm", "research-news")],
)
def test_batch_signer_gives_exactly_the_tokens_sign_gives(
    purpose: Purpose, list_id: str | None
) -> None:
    signer = TokenSigner([KEY, OLD])
    sign_one = signer.signer_for(purpose, list_id, NOW)
    for public_id in ("a", "pub-123_X", "Zz9" * 10):
        token = sign_one(public_id)
        assert token == signer.sign(purpose, public_id, list_id, NOW)
        assert signer.verify(token, purpose, NOW).public_id == public_id


@pytest.mark.parametrize(
    ("purpose", "list_id", "public_id"),
    [
        ("unsubscribe", None, "pub1"),  # an unsubscribe token names its list
        ("nonsense", "research-news", "pub1"),
        ("preferences", "bad list", "pub1"),
        ("preferences", None, "not safe"),
        ("preferences", None, ""),
    ],
)
def test_batch_signer_refuses_what_sign_refuses(
    purpose: str, list_id: str | None, public_id: str
) -> None:
    with pytest.raises(ValueError, match=r"unknown token purpose|names the list|must be URL-safe"):
        SIGNER.signer_for(purpose, list_id, NOW)(public_id)  # type: ignore[arg-type]
