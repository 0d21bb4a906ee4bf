"""Outgoing mail: .eml files under instance/mail in development and tests, SMTP in production."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["KYODO_MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=cfg["KYODO_MAIL_FROM"].split("@")[-1])
    msg.set_content(body, charset="utf-8")
    if cfg["KYODO_MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(cfg["KYODO_SMTP_HOST"], cfg["KYODO_SMTP_PORT"], timeout=15) as smtp:
            if cfg["KYODO_SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if cfg["KYODO_SMTP_USER"]:
                smtp.login(cfg["KYODO_SMTP_USER"], cfg["KYODO_SMTP_PASSWORD"])
            smtp.send_message(msg)
    else:
        folder = Path(cfg["KYODO_MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = msg["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (folder / f"{name}.eml").write_bytes(bytes(msg))
    return msg
