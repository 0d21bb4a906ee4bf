"""Form pieces every domain's forms share: filters and fields that accept Japanese input politely."""

from __future__ import annotations

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
