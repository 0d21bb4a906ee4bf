"""協働マッチ (kyodo_match): the app factory reads like a table of contents."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if hops := app.config["KYODO_PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)

    from .cli import register_cli
    from .errors import register_error_handlers
    from .security import register_security
    from .templating import register_templating

    register_security(app)
    register_error_handlers(app)
    register_templating(app)
    register_cli(app)

    from . import notifications, search

    search.init_app(app)
    notifications.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every model registered before migrations look)
    from .auth.session import init_login
    from .database import configure_engine
    from .extensions import babel, csrf, db, limiter, migrate
    from .i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=app.config[
        "BABEL_TRANSLATION_DIRECTORIES"])
    limiter.init_app(app)
    init_login(app)


def _register_blueprints(app: Flask) -> None:
    from .account.views import bp as account_bp
    from .admin.views import bp as admin_bp
    from .adopt.views import bp as adopt_bp
    from .applications.views import bp as applications_bp
    from .auth.views import bp as auth_bp
    from .coordination.views import bp as coordination_bp
    from .groups.views import bp as groups_bp
    from .main.views import bp as main_bp
    from .matching.views import bp as matching_bp
    from .projects.views import bp as projects_bp
    from .proposals.views import bp as proposals_bp
    from .staffvol.views import bp as staffvol_bp
    from .volunteers.views import bp as volunteers_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(coordination_bp, url_prefix="/coordination")
    app.register_blueprint(volunteers_bp, url_prefix="/volunteers")
    app.register_blueprint(groups_bp, url_prefix="/groups")
    app.register_blueprint(projects_bp, url_prefix="/issues")
    app.register_blueprint(proposals_bp, url_prefix="/proposals")
    app.register_blueprint(applications_bp)  # full paths: /applications/…, /issues/<id>/apply
    app.register_blueprint(matching_bp)
    app.register_blueprint(adopt_bp, url_prefix="/adopt")
    app.register_blueprint(staffvol_bp, url_prefix="/ikka")
