"""The baseline: the smallest Flask application, served by the same gunicorn and the same load."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
