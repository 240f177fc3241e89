"""`flask backup create DIR` and `flask backup restore DIR`: a deployment's state, restorable.

A backup folder holds the database (PostgreSQL: `pg_dump --format=custom`; SQLite: the online
backup API, consistent while the portal runs), the attachments of a disk file store (through the
store, which checks each file against its SHA-256 name; with PostgreSQL they are in the database),
and manifest.json: what is in the folder with
each file's SHA-256, the schema revision, and the secrets the backup deliberately does not hold.
Sealed report files live in the database and travel with it.

Not in a backup, on purpose (the operator keeps them apart, e.g. in a password manager or a safe):
SECRET_KEY, RECEIPT_PEPPER (without it no receipt code, application secret or applicant's data
opens), the publication log's signing key (LOG_KEY_FILE), and the report desk's passphrase.

`restore` goes into an empty deployment only (no tables in the database, no stored files): it
checks every checksum first, and refuses rather than mixing two deployments.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
# pg_dump and pg_restore, run with argument lists (never a shell).
import subprocess  # nosec B404
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, text

from portal.extensions import db
from portal.files import file_store

FORMAT = 1
MANIFEST = "manifest.json"
KEEP_SEPARATELY = (
    "SECRET_KEY", "RECEIPT_PEPPER (receipt codes, application secrets and applicants' data depend on it)",
    "LOG_KEY_FILE (the publication log's signing key)", "the report desk's passphrase",
)
backup_cli = AppGroup("backup", help="Back up and restore the portal's database and stored files.")


class BackupError(click.ClickException):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _postgres(url: str) -> tuple[str, str | None]:
    """A libpq URI for pg_dump/pg_restore, and the schema when the URL sets a search_path."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    options = parse_qs(parts.query).get("options", [""])[0]
    schema = None
    for option in unquote(options).split():
        if option.startswith("-csearch_path="):
            schema = option.split("=", 1)[1].split(",")[0]
    return parts._replace(query="").geturl(), schema


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # a database made by create_all (tests) has no Alembic table
        db.session.rollback()
        return None


def create(target: Path) -> dict:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    url = current_app.extensions["portal.settings"].database_url
    if db.engine.dialect.name == "postgresql":
        uri, schema = _postgres(url)
        database = target / "database.pgdump"
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={database}", f"--dbname={uri}"]
        if schema:
            command.append(f"--schema={schema}")
        _run(command)
    else:
        database = target / "database.sqlite3"
        source = sqlite3.connect(db.engine.url.database)
        try:
            with sqlite3.connect(database) as copy:
                source.backup(copy)  # consistent even while the portal writes
            copy.close()
        finally:
            source.close()
    # Attachments in the database store travel with the database; a disk store's are copied.
    store, files = file_store(), target / "files"
    for digest in (store.digests() if store.root is not None else ()):
        path = files / digest[:2] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store.path(digest), path)
    manifest = {
        "format": FORMAT, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "database": {"kind": db.engine.dialect.name, "file": database.name, "revision": _revision()},
        "files": {str(path.relative_to(target)): _sha256(path) for path in sorted(target.rglob("*")) if path.is_file()},
        "keep_separately": list(KEEP_SEPARATELY),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def verify(source: Path) -> dict:
    """The manifest, once every file it lists is present with its checksum."""
    try:
        manifest = json.loads((Path(source) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in {source}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest["files"].items():
        path = Path(source) / name
        if not path.is_file() or _sha256(path) != expected:
            raise BackupError(f"{name}: missing or changed since the backup (checksum mismatch)")
    return manifest


def restore(source: Path) -> dict:
    source = Path(source)
    manifest = verify(source)
    if manifest["database"]["kind"] != db.engine.dialect.name:
        raise BackupError(f"this is a {manifest['database']['kind']} backup; the portal's database is "
                          f"{db.engine.dialect.name}")
    if inspect(db.engine).get_table_names():
        raise BackupError("the database is not empty: restore into an empty deployment")
    store = file_store()
    if store.root is not None and store.digests():
        raise BackupError(f"{store.root} already holds files: restore into an empty deployment")
    database = source / manifest["database"]["file"]
    url = current_app.extensions["portal.settings"].database_url
    db.session.remove()
    db.engine.dispose()
    if db.engine.dialect.name == "postgresql":
        uri, schema = _postgres(url)
        if schema:  # the dump creates its schema; an empty one left in its place is dropped first
            with db.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}"'))
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={uri}", str(database)])
        db.engine.dispose()
    else:
        target = Path(db.engine.url.database)
        with sqlite3.connect(database) as backup, sqlite3.connect(target) as live:
            backup.backup(live)
    for digest_path in sorted((source / "files").glob("??/*")):
        data = digest_path.read_bytes()
        if store.put(data) != digest_path.name:
            raise BackupError(f"{digest_path}: its content does not match its name")
    return manifest


def _run(command: list[str]) -> None:
    try:
        # A fixed program (pg_dump/pg_restore) with arguments from the portal's own settings.
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)  # nosec B603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from exc
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


@backup_cli.command("create")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def create_command(target: Path) -> None:
    """Write a backup into the new folder TARGET."""
    manifest = create(target)
    click.echo(f"backup written to {target}: {len(manifest['files'])} files, database revision "
               f"{manifest['database']['revision']}")
    click.echo("NOT in the backup — keep these separately: " + "; ".join(KEEP_SEPARATELY))


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore the backup in SOURCE into this (empty) deployment."""
    manifest = restore(source)
    click.echo(f"restored the backup of {manifest['created_at']}; now run `flask search rebuild` "
               "and check the publication log with `flask log verify`")
