"""Command-line tasks: create-user, seed-reference, seed-demo (flask --app kyodo_match …)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from . import audit
from .database import write_intent
from .errors import RuleViolation
from .extensions import db
from .models import Department, Role


def register_cli(app: Flask) -> None:
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

    @app.cli.command("seed-reference")
    def seed_reference_command():
        """Load areas, regional committees, departments, fields and skills (idempotent)."""
        from .reference.services import seed_reference

        with write_intent():
            added = seed_reference()
            db.session.commit()
        click.echo("基本データ: " + ", ".join(f"{k} +{v}" for k, v in added.items()))

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create demo accounts and content (refused in production)."""
        from .demo import DEMO_PASSWORD, seed_demo

        if current_app.config["KYODO_ENV"] == "production":
            raise click.ClickException("本番環境ではデモデータを作成できません。")
        with write_intent():
            created = seed_demo(current_app.config["KYODO_PRIVACY_NOTICE_VERSION"])
            db.session.commit()
        if created:
            click.echo(f"デモアカウントを作成しました（パスワード {DEMO_PASSWORD}）: " + ", ".join(created))
        else:
            click.echo("デモデータは作成済みです。")
