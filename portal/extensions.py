"""Extension objects, created unbound and attached to an app in create_app()."""
import sqlite3

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from portal.ratelimit import ALIGNED_STRATEGY, hashed_client


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter them the same way on SQLite and PostgreSQL.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()


def hashed_client_address() -> str:
    """The rate limiter's key: a keyed hash of the client's address (its /64 for IPv6) under a
    random key made for the day and kept only in the limiter's storage (portal.ratelimit), so
    that no limiter storage, Redis included, ever holds an address or a reversible hash of one."""
    return hashed_client(limiter.storage)


# Limits are declared per view (the report form and follow-up, the login); nothing else is
# limited. Windows are aligned to fixed clock boundaries (portal.ratelimit).
limiter = Limiter(key_func=hashed_client_address, headers_enabled=False, strategy=ALIGNED_STRATEGY)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    """WAL lets readers go on while one writer writes; the busy timeout makes a second writer
    wait for the lock instead of failing at once; SQLite leaves foreign keys off unless asked."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
