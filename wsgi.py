"""Entry point for gunicorn and `flask --app wsgi`: exposes `app`."""
from portal import create_app

app = create_app()
