"""Command-line tasks: create-user, seed-reference, seed-demo (flask --app kyodo_match …)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from . import audit
from .adopt import reminders as adopt_reminders
from .applications import cli as applications_cli
from .database import write_intent
from .errors import RuleViolation
from .extensions import db
from .matching import cli as matching_cli
from .models import Department, Role
from .staffvol import reminders as staffvol_reminders


def register_cli(app: Flask) -> None:
    matching_cli.register(app)  # load-json, suggest (issue 5)
    applications_cli.register(app)  # send-digests (issue 6)
    adopt_reminders.register(app)  # adopt-reminders (issue 7)
    staffvol_reminders.register(app)  # ikka-reminders (issue 8)
    @app.cli.command("create-user")
    @click.option("--role", "roles", multiple=True, required=True,
                  type=click.Choice([r.value for r in Role]), help="役割（複数指定可）")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", default=None, help="表示名（省略時はメールアドレスの@より前）")
    @click.option("--department", default=None, help="所属課の名前（staff のとき）")
    @click.password_option(prompt="パスワード", confirmation_prompt="パスワード（確認）")
    def create_user_command(roles, email, display_name, department, password):
        """Create a staff, coordinator or admin account (prompts for a password)."""
        from .auth.services import create_user

        with write_intent():
            dept_id = None
            if department:
                dept_id = db.session.scalar(select(Department.id).where(Department.name == department))
                if dept_id is None:
                    raise click.ClickException(f"課が見つかりません: {department}")
            try:
                user = create_user(email=email, password=password, display_name=display_name or email.split("@")[0],
                                   roles=list(roles), department_id=dept_id)
            except RuleViolation as e:
                db.session.rollback()
                raise click.ClickException(" ".join([e.message, *e.problems])) from e
            audit.record("user_created", target=f"user:{user.id}", roles=sorted(roles), via="cli")
            db.session.commit()
        click.echo(f"作成しました: user {user.id} ({', '.join(roles)})")

    @app.cli.group("index")
    def index_group():
        """The search index (rebuildable from the database at any time)."""

    @index_group.command("rebuild")
    def index_rebuild():
        """Rebuild the search index from the database, with a progress bar."""
        from . import search
        from .search.documents import count_indexable

        total = sum(count_indexable().values())
        with click.progressbar(length=total, label="索引を作成しています") as bar:
            written = search.rebuild(progress=bar.update)
        click.echo(f"索引を作り直しました: {written} 件")

    @index_group.command("check")
    @click.option("--sample", default=20, show_default=True, help="種類ごとに照合する件数")
    def index_check(sample):
        """Compare the index with the database (counts, and a sample of documents)."""
        from . import search

        report = search.check(sample=sample)
        for kind, expected in report["expected"].items():
            click.echo(f"{kind}: データベース {expected} 件 / 索引 {report['indexed'][kind]} 件")
        if report["mismatched"]:
            click.echo("一致しないもの: " + ", ".join(report["mismatched"]))
        if not report["ok"]:
            raise click.ClickException("索引がデータベースと一致しません。`index rebuild` を実行してください。")
        click.echo("索引はデータベースと一致しています。")

    @app.cli.command("seed-reference")
    def seed_reference_command():
        """Load areas, regional committees, departments, fields and skills (idempotent)."""
        from .reference.services import seed_reference

        with write_intent():
            added = seed_reference()
            db.session.commit()
        click.echo("基本データ: " + ", ".join(f"{k} +{v}" for k, v in added.items()))

    @app.cli.command("remind-renewals")
    def remind_renewals_command():
        """E-mail volunteers whose registration ends within 60 days (run daily, e.g. from cron)."""
        from .i18n import today_jst
        from .volunteers.renewal import send_renewal_reminders

        # Links in the e-mails point at the public address of the site.
        with app.test_request_context("/", base_url=app.config["KYODO_BASE_URL"]), write_intent():
            sent = send_renewal_reminders(today_jst())
            db.session.commit()
        click.echo(f"更新のお願いを送りました: {sent} 件")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create demo accounts and content (refused in production)."""
        from .demo import DEMO_PASSWORD, index_demo, seed_demo

        if current_app.config["KYODO_ENV"] == "production":
            raise click.ClickException("本番環境ではデモデータを作成できません。")
        with write_intent():
            created = seed_demo(current_app.config["KYODO_PRIVACY_NOTICE_VERSION"])
            db.session.commit()
        index_demo()
        if created:
            click.echo(f"デモアカウントを作成しました（パスワード {DEMO_PASSWORD}）: " + ", ".join(created))
        else:
            click.echo("デモデータは作成済みです。")
