"""WSGI entry point: `gunicorn wsgi:app`."""

from kyodo_match import create_app

app = create_app()
