"""Password hashing (argon2id, rehash on login) and the password rules: 8–128 characters, not a common one."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["KYODO_ARGON2"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: an absent hash is checked against a dummy."""
    hasher = _hasher()
    try:
        return hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def _dummy_hash() -> str:
    return _cached_dummy(tuple(sorted(current_app.config["KYODO_ARGON2"].items())))


@lru_cache(maxsize=4)
def _cached_dummy(params: tuple) -> str:
    return PasswordHasher(**dict(params)).hash("not-a-real-password")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most frequent passwords from real leaks.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str = "", display_name: str = "") -> list[str]:
    """Why a new password is refused, in plain Japanese (empty list: acceptable). No composition rules."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("パスワードは%(n)d文字以上にしてください。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("パスワードは%(n)d文字以内にしてください。", n=MAX_LENGTH))
    folded = unicodedata.normalize("NFKC", password).lower()
    if folded in _common_passwords() or len(set(folded)) <= 2:
        problems.append(_("よく使われていて推測されやすいパスワードです。別のものにしてください。"))
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in folded) or (display_name and folded == display_name.lower()):
        problems.append(_("メールアドレスや名前を含まないパスワードにしてください。"))
    return problems
