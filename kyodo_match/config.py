"""Configuration read from KYODO_* environment variables (see README: 設定)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
# SRI of the npm package's dist/htmx.min.js; the browser tests serve that very file in place of the CDN.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

# Leaflet for the adopt map (an enhancement: every page works without it), pinned + SRI of the npm package's files.
LEAFLET_VERSION = "1.9.4"
LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_JS_SRI = "sha384-cxOPjt7s7Iz04uaHJceBmS+qpjv2JkIHNVcuOrM+YHwZOmJGBXI00mdUXEq65HTH"
LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"
LEAFLET_CSS_SRI = "sha384-sHL9NAb7lN7rfvG5lfHpm643Xkcjzp4jFvuavGOndn6pjVqS6ny56CAt3nsEVT4H"
# 国土地理院 standard tiles (地理院タイル)
GSI_TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"

ENVIRONMENTS = ("development", "production", "testing")
WEAK_KEYS = {"", "dev", "changeme", "secret", "development"}


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path, env: str) -> str:
    key = os.environ.get("KYODO_SECRET_KEY", "")
    if env == "production":
        if key in WEAK_KEYS or len(key) < 32:
            raise ConfigError("KYODO_SECRET_KEY must be set to a random value of 32 characters or more in production")
        return key
    if key:
        return key
    key_file = instance / "secret_key"
    if not key_file.exists():
        instance.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, then apply ``overrides`` (tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("KYODO_ENV") or os.environ.get("KYODO_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"KYODO_ENV must be one of {', '.join(ENVIRONMENTS)}")
    instance = Path(overrides.get("INSTANCE_PATH") or os.environ.get("KYODO_INSTANCE_PATH") or DEFAULT_INSTANCE)
    production = env == "production"
    idle = int(os.environ.get("KYODO_IDLE_TIMEOUT_MINUTES", "60"))
    cfg = {
        "KYODO_ENV": env,
        "TESTING": env == "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance, env),
        "SQLALCHEMY_DATABASE_URI": database_url(
            os.environ.get("KYODO_DATABASE_URL") or f"sqlite:///{instance / 'kyodo_match.sqlite3'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "KYODO_INDEX_DIR": os.environ.get("KYODO_INDEX_DIR") or str(instance / "index"),
        "KYODO_UPLOAD_DIR": os.environ.get("KYODO_UPLOAD_DIR") or str(instance / "uploads"),
        # Sessions: idle timeout enforced by the signed cookie's timestamp (refreshed on every request).
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=idle),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        # CSRF tokens live as long as the session (idle timeout above), not one hour, so long-open pages work.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "WTF_CSRF_SSL_STRICT": True,
        "MAX_CONTENT_LENGTH": int(os.environ.get("KYODO_MAX_UPLOAD_BYTES", str(8 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "KYODO_LOCALES": ("ja", "en"),
        # htmx: from its CDN (pinned + SRI) or, for networks that block CDNs, from static/vendor/.
        "KYODO_HTMX_SOURCE": os.environ.get("KYODO_HTMX_SOURCE", "cdn"),
        "KYODO_HTMX_CDN_URL": HTMX_CDN_URL,
        "KYODO_HTMX_SRI": HTMX_SRI,
        "KYODO_LEAFLET_JS_URL": LEAFLET_JS_URL,
        "KYODO_LEAFLET_JS_SRI": LEAFLET_JS_SRI,
        "KYODO_LEAFLET_CSS_URL": LEAFLET_CSS_URL,
        "KYODO_LEAFLET_CSS_SRI": LEAFLET_CSS_SRI,
        "KYODO_MAP_TILE_URL": GSI_TILE_URL,
        # Login throttling (Flask-Limiter). Use redis:// in production so every worker shares the counts.
        "RATELIMIT_STORAGE_URI": os.environ.get("KYODO_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "KYODO_LOGIN_LIMIT_ACCOUNT": "5 per 15 minutes",
        "KYODO_LOGIN_LIMIT_IP": "20 per 15 minutes",
        # Password hashing: argon2id, above ASVS 5.0 / OWASP minimum (m=19 MiB, t=2, p=1).
        "KYODO_ARGON2": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
        "KYODO_PASSWORD_RESET_MAX_AGE": 3600,
        "KYODO_WELCOME_LINK_MAX_AGE": 7 * 24 * 3600,  # first password of an account made by an administrator
        # Mail: development writes .eml files to instance/mail; production sends through SMTP.
        "KYODO_MAIL_BACKEND": os.environ.get("KYODO_MAIL_BACKEND", "smtp" if production else "file"),
        "KYODO_MAIL_DIR": str(instance / "mail"),
        "KYODO_MAIL_FROM": os.environ.get("KYODO_MAIL_FROM", "kyodo-match@example.jp"),
        "KYODO_SMTP_HOST": os.environ.get("KYODO_SMTP_HOST", "localhost"),
        "KYODO_SMTP_PORT": int(os.environ.get("KYODO_SMTP_PORT", "587")),
        "KYODO_SMTP_USER": os.environ.get("KYODO_SMTP_USER", ""),
        "KYODO_SMTP_PASSWORD": os.environ.get("KYODO_SMTP_PASSWORD", ""),
        "KYODO_SMTP_STARTTLS": _bool(os.environ.get("KYODO_SMTP_STARTTLS"), True),
        # The site's public address, for links in e-mails sent from the command line (reminders).
        "KYODO_BASE_URL": os.environ.get("KYODO_BASE_URL", "http://127.0.0.1:5000"),
        # Reverse proxy hops trusted by ProxyFix (X-Forwarded-For/Proto/Host).
        "KYODO_PROXY_HOPS": int(os.environ.get("KYODO_PROXY_HOPS", "1" if production else "0")),
        "KYODO_PRIVACY_NOTICE_VERSION": "2026-04",
    }
    if env == "testing":
        cfg["KYODO_ARGON2"] = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    cfg.update(overrides)
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    return cfg
