"""Forms of the suggestion panel: 「この提案は合っていない」 with its reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..formfields import id_or_none, strip


class FeedbackForm(FlaskForm):
    """The candidate (kind and id, hidden) and the reason; the codes are checked by ``feedback.mark_wrong``."""

    kind = StringField(filters=[strip])
    candidate_id = StringField(filters=[id_or_none])
    reason = StringField(_l("合っていない理由"), filters=[strip],
                         validators=[DataRequired(_l("合っていない理由を選んでください。"))])
