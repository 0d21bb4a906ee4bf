"""Form pieces every domain's forms share: filters and fields that accept Japanese input politely."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .validation import nfkc


def strip(value):
    """Filter: surrounding spaces removed from text input."""
    return value.strip() if isinstance(value, str) else value


def id_or_none(value):
    """Select values: an integer id, or None for the empty choice (and for anything that is not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Checkboxes(SelectMultipleField):
    """A set of checkboxes (rendered by the template); odd values are refused in Japanese."""

    def process_formdata(self, valuelist):
        try:
            self.data = [self.coerce(v) for v in valuelist[:200]]
        except (ValueError, TypeError):
            self.data = []
            raise ValueError(_l("選択肢にない値が送られました。画面を読み込み直してください。")) from None

    def pre_validate(self, form):
        allowed = {c.value if isinstance(c, SelectChoice) else c[0] for c in self.choices or []}
        if any(v not in allowed for v in self.data or []):
            raise ValidationError(_l("選択肢にない値が送られました。画面を読み込み直してください。"))


class Number(IntegerField):
    """A whole number; full-width digits are accepted (NFKC)."""

    def process_formdata(self, valuelist):
        raw = nfkc(valuelist[0]) if valuelist else ""
        if not raw:
            self.data = None
            return
        if not raw.isdigit() or len(raw) > 9:
            self.data = None
            raise ValueError(_l("半角または全角の数字で入力してください。"))
        self.data = int(raw)


def parse_hours(raw: str, *, half_hours: bool = False) -> tuple[int, str | None]:
    """Hours as typed on an attendance sheet (「2.5」「２．５」「2時間」) → (whole minutes, None), or (0, the Japanese
    message) when it is empty, not a number or outside 0–24 hours; ``half_hours`` also asks for 0.5-hour steps."""
    text = nfkc((raw or "").strip()).replace("時間", "")
    if not text:
        return 0, str(_l("活動時間を入力してください（例: 2.5）。"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        return 0, str(_l("活動時間は数字で入力してください（例: 2.5）。"))
    if not value.is_finite() or value < 0 or value > 24:
        return 0, str(_l("活動時間は0〜24時間で入力してください。"))
    if half_hours and (value * 2) % 1:
        return 0, str(_l("活動時間は0.5時間（30分）きざみで入力してください。"))
    return int((value * 60).to_integral_value(ROUND_HALF_UP)), None
