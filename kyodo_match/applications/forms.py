"""Forms for the applicant side: applying, one step of an application, a message in the thread."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..formfields import Checkboxes, strip
from .reading import ApplyOptions
from .services import MESSAGE_MAX


def _max(n: int = MESSAGE_MAX) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


class ApplyForm(FlaskForm):
    """応募する: as whom (themself or a group), a message, which of their skills, which slots and dates."""

    group_id = StringField(_l("応募のしかた"))  # SELF or a group's id: radio buttons drawn by the template
    message = TextAreaField(_l("ひとこと（担当課と市民活動センターに届きます）"), filters=[strip],
                            description=_l("2000文字まで。連絡先は書かないでください（参加が確定すると、お互いに表示されます）。"),
                            validators=[_max()])
    skill_ids = Checkboxes(_l("活かせる得意なこと"), coerce=int, choices=[])
    slots = Checkboxes(_l("参加できる曜日・時間帯"), choices=[])
    dates = Checkboxes(_l("参加できる日"), choices=[])

    def setup(self, options: ApplyOptions, project, slot_label) -> ApplyForm:
        """Choices from the user's own skills and the project's own slots and dates; the first free identity."""
        self.options = options
        skills = {s.id: s.name for i in options.identities for s in i.skills}
        self.skill_ids.choices = [SelectChoice(k, v) for k, v in skills.items()]
        self.slots.choices = [SelectChoice(s, slot_label(s)) for s in project.schedule_slots or ()]
        self.dates.choices = [SelectChoice(d, d) for d in project.schedule_dates or ()]
        if not self.group_id.data and options.identities:
            self.group_id.data = (options.free or options.identities)[0].value
        return self

    def validate_group_id(self, field):
        if self.options.identity(field.data) is None:
            raise ValidationError(_l("個人として応募するか、どの団体として応募するかを選んでください。"))

    def validate_skill_ids(self, field):
        identity = self.options.identity(self.group_id.data)
        if identity is not None and set(field.data or ()) - identity.skill_ids:
            raise ValidationError(_l("選んだ応募のしかた（個人・団体）の得意なことの中から選んでください。"))

    def values(self) -> dict:
        identity = self.options.identity(self.group_id.data)
        return {"group_id": identity.group_id if identity else None, "message": self.message.data or "",
                "skill_ids": list(self.skill_ids.data or ()), "slots": list(self.slots.data or ()),
                "dates": list(self.dates.data or ())}


class StepForm(FlaskForm):
    """One step of an application (the target status) and, for some steps, the reason shown to the applicant."""

    target = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("理由"), filters=[strip], validators=[_max()])


class MessageForm(FlaskForm):
    """A plain-text message in the application's thread."""

    body = TextAreaField(_l("メッセージ"), filters=[strip], validators=[_max()],
                         description=_l("2000文字まで。この応募の担当課・市民活動センター・応募した人が読めます。"))

