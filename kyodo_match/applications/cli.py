"""Command-line tasks of the notifications: send-digests (the daily e-mail digest, run from cron)."""

from __future__ import annotations

import click
from flask import Flask

from ..database import write_intent
from ..extensions import db


def register(app: Flask) -> None:
    @app.cli.command("send-digests")
    def send_digests_command():
        """E-mail each user one digest of the notices waiting for it (run once a day, e.g. from cron)."""
        from ..notifications import send_digests

        with write_intent():
            sent = send_digests()
            db.session.commit()  # the e-mails leave after this commit; a failed one is logged, never retried twice
        click.echo(f"まとめのメールを送りました: {sent} 件")
