"""Command-line tasks of the matcher: load-json FILE, suggest --issue KEY / --for KEY."""

from __future__ import annotations

import json

import click
from flask import Flask

from ..database import write_intent
from ..extensions import db


def register(app: Flask) -> None:
    @app.cli.command("load-json")
    @click.argument("file", type=click.File("rb"))
    def load_json_command(file):
        """Load volunteers, groups and issues (matcher-dev.json format); all or nothing; again = update."""
        from .. import search
        from ..i18n import today_jst
        from .loader import LoadError, load_records

        try:
            data = json.loads(file.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise click.ClickException(f"JSON として読めません: {e}") from e
        with write_intent():
            try:
                counts = load_records(data, today=today_jst())
            except LoadError as e:
                db.session.rollback()
                for problem in e.problems:
                    click.echo(problem, err=True)
                raise click.ClickException(str(e)) from e
            db.session.commit()
        search.drain()
        for name, c in counts.items():
            click.echo(f"{name}: 追加 {c['added']} 件 / 更新 {c['updated']} 件")

    @app.cli.command("suggest")
    @click.option("--issue", "issues", multiple=True, help="課題のキー（複数指定可）: 候補の個人・団体")
    @click.option("--for", "for_keys", multiple=True, help="個人・団体のキー（複数指定可）: おすすめの課題")
    @click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
    @click.option("--json", "as_json", is_flag=True, help="1 行に 1 つの JSON オブジェクト")
    def suggest_command(issues, for_keys, limit, as_json):
        """Suggestions for issues (--issue KEY) or for volunteers and groups (--for KEY)."""
        from .services import suggestions_by_key

        if not issues and not for_keys:
            raise click.UsageError("--issue か --for を指定してください。")
        failed = []
        for option, keys in (("issue", issues), ("for", for_keys)):
            for key in keys:
                found = suggestions_by_key(key, limit=limit)
                if found is None or (option == "issue") != (found[0] == "issue"):
                    failed.append(key)
                    click.echo(f"見つかりません: {key}", err=True)
                    continue
                kind, suggestions = found
                if as_json:
                    items = [{"key": s.key, "kind": s.kind, "score": s.score, "reasons": list(s.reasons)}
                             for s in suggestions]
                    click.echo(json.dumps({option: key, "suggestions": items}, ensure_ascii=False))
                else:
                    click.echo(f"== {key}")
                    for n, s in enumerate(suggestions, 1):
                        click.echo(f"{n:>3}. {s.key} ({s.kind}) {s.score:.3f}  " + " / ".join(s.reasons))
        if failed:
            raise click.ClickException(f"見つからないキーがあります: {', '.join(failed)}")
