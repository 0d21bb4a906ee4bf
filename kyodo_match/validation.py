"""Japanese input rules shared by every form: NFKC first (full-width digits and hyphens), then the check.

Each ``clean_*`` returns the normalised value or raises ``ValueError`` with a plain Japanese message.
WTForms validators wrapping them are at the bottom.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from wtforms.validators import ValidationError

HYPHENS = "‐‑‒–—―−ｰー－"  # the dashes people type for 「-」 in phone numbers and postal codes


def nfkc(value: str | None) -> str:
    """NFKC-normalise and strip; every dash-like character becomes an ASCII hyphen."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return value.translate({ord(c): "-" for c in HYPHENS})


def clean_phone(value: str) -> str:
    """Japanese phone numbers: 10 digits (landline, 0575-xx-xxxx) or 11 digits (090/080/070/050 mobile)."""
    v = nfkc(value)
    digits = re.sub(r"[-() ]", "", v)
    if not digits.isdigit() or not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValueError(_("電話番号は市外局番から、数字10桁か11桁で入力してください（例: 0575-22-3131）。"))
    if len(digits) == 11 and digits[:3] not in {"090", "080", "070", "050", "020"} and not digits.startswith("0120"):
        raise ValueError(_("電話番号の桁数を確認してください（例: 090-1234-5678）。"))
    return v if re.fullmatch(r"[0-9]+(-[0-9]+){0,3}", v) else digits


def clean_postal_code(value: str) -> str:
    """〒 postal codes: 7 digits, stored as 123-4567."""
    digits = re.sub(r"[-〒 ]", "", nfkc(value))
    if not re.fullmatch(r"[0-9]{7}", digits):
        raise ValueError(_("郵便番号は数字7桁で入力してください（例: 501-3894）。"))
    return f"{digits[:3]}-{digits[3:]}"


def corporate_number_check_digit(body12: str) -> int:
    """法人番号の検査用数字: 9 − (Σ Pn·Qn mod 9), Qn = 1 for odd n and 2 for even n, counted from the right."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(body12), start=1))
    return 9 - total % 9


def clean_corporate_number(value: str) -> str:
    """法人番号: 13 digits, the first a check digit over the other twelve."""
    digits = re.sub(r"[- ]", "", nfkc(value))
    if not re.fullmatch(r"[0-9]{13}", digits):
        raise ValueError(_("法人番号は数字13桁で入力してください。"))
    if int(digits[0]) != corporate_number_check_digit(digits[1:]):
        raise ValueError(_("法人番号が正しくありません。番号をもう一度確認してください。"))
    return digits


def clean_url(value: str) -> str:
    """Only http and https addresses with a host (never javascript:, data: or a bare word)."""
    v = nfkc(value)
    parts = urlsplit(v)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or " " in v or len(v) > 300:
        raise ValueError(_("ウェブサイトは http:// か https:// で始まるアドレスを入力してください。"))
    return v


def clean_email(value: str) -> str:
    v = nfkc(value).lower()
    try:
        return validate_email(v, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(_("メールアドレスの形式が正しくありません（例: seki.taro@example.jp）。")) from e


def clean_kana(value: str) -> str:
    """ふりがな: hiragana or katakana (with spaces and ー); half-width katakana is widened by NFKC."""
    v = unicodedata.normalize("NFKC", value or "").strip()
    if v and not re.fullmatch(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\s　]+", v):
        raise ValueError(_("ふりがなは、ひらがなかカタカナで入力してください。"))
    return v


class Cleaned:
    """WTForms validator: run ``cleaner`` on an optional text field and store the normalised value back."""

    def __init__(self, cleaner):
        self.cleaner = cleaner

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = None
            return
        try:
            field.data = self.cleaner(field.data)
        except ValueError as e:
            raise ValidationError(str(e)) from e
