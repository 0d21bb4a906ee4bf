"""Forms for the evaluation sheet (資料2, one radio group and comment per item), the outcome report and its files."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation

from ..formfields import strip
from .evaluation import ANSWERS, Item, item_label, sheet
from .outcome import MAX_TEXT


class Answer(RadioField):
    """はい / いいえ / 該当なし for one item; an unanswered item is refused in Japanese, naming the item."""

    def __init__(self, item: Item, **kwargs):
        choices = [SelectChoice(value, label) for value, label in ANSWERS.items()]
        super().__init__(item.text, choices=choices, validate_choice=False, **kwargs)
        self.item = item

    def pre_validate(self, form):
        if self.data not in ANSWERS:
            raise StopValidation(str(_l("%(item)sに回答してください。", item=item_label(self.item))))


def answer_name(item: Item) -> str:
    return "answer_" + item.key.replace("-", "_")


def comment_name(item: Item) -> str:
    return "comment_" + item.key.replace("-", "_")


class _SheetBase(FlaskForm):
    def submitted(self) -> dict[str, tuple[str, str]]:
        """{item_key: (answer, comment)} for the answered items."""
        return {i.key: (self[answer_name(i)].data, self[comment_name(i)].data or "") for i in sheet()
                if self[answer_name(i)].data in ANSWERS}

    @staticmethod
    def data_from(saved: dict) -> dict:
        """Form data from one side's saved answers ({item_key: EvaluationAnswer})."""
        data = {}
        for key, a in saved.items():
            slug = key.replace("-", "_")
            data[f"answer_{slug}"], data[f"comment_{slug}"] = a.answer, a.comment
        return data


@lru_cache(maxsize=1)
def sheet_form_class() -> type[_SheetBase]:
    """A form class with the 25 items of 資料2 (built once, from the sheet's data)."""
    fields = {}
    for item in sheet():
        fields[answer_name(item)] = Answer(item)
        fields[comment_name(item)] = TextAreaField(_l("コメント（任意）"), filters=[strip], validators=[
            Length(max=1000, message=_l("%(max)d文字以内で入力してください。"))])
    return type("EvaluationSheetForm", (_SheetBase,), fields)


def _text(label, description=None):
    return TextAreaField(label, description=description, filters=[strip], validators=[
        Length(max=MAX_TEXT, message=_l("%(max)d文字以内で入力してください。"))])


class OutcomeForm(FlaskForm):
    outcome_achieved = _text(_l("達成したこと"), _l("成果目標に対して、何をどこまで達成できたかを書いてください。"))
    outcome_figures = _text(_l("数字で見る成果"), _l("例: 参加者 延べ120人、回収したごみ 45袋"))
    improvement_notes = _text(_l("改善（次に向けて）"),
                              _l("パートナーと話し合って決めた、次回に向けて改善することを書いてください。"))


class FileForm(FlaskForm):
    file = FileField(_l("ファイル（PDF・JPEG・PNG、5MBまで）"),
                     validators=[FileRequired(_l("登録するファイルを選んでください。"))])
    public = BooleanField(_l("事業の完了後に、成果として公開する"))


class FilePublicForm(FlaskForm):
    public = HiddenField()


class FileDeleteForm(FlaskForm):
    """Only the CSRF token: deleting needs no other input."""
