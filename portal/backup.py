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

A backup holds password hashes, session hashes and sealed data: its folder is 0700 and every file
0600 (the process umask is 077 while it is written). Given age public keys (`--to`, or the
BACKUP_RECIPIENTS setting), every file but the manifest is encrypted to them (the age format,
through pyrage) and only the operator's identity, kept off the portal's machines, opens it; the
manifest's checksums are of the encrypted files, so a backup is checked whole before anything is
decrypted.

`restore` goes into an empty deployment only (no tables in the database, no stored files): it
checks every checksum first, and refuses rather than mixing two deployments.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
# pg_dump and pg_restore, run with argument lists (never a shell).
import subprocess  # nosec B404
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import click
import pyrage
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, text

from portal.extensions import db
from portal.files import file_store

FORMAT = 1
MANIFEST = "manifest.json"
ENCRYPTED_SUFFIX = ".age"
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


@contextlib.contextmanager
def _private_files():
    """Everything created inside (by the portal or by pg_dump) is readable by its owner only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def create(target: Path, recipients: tuple[str, ...] | list[str] = ()) -> dict:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    try:
        keys = [pyrage.x25519.Recipient.from_str(r.strip()) for r in recipients]
    except pyrage.RecipientError as exc:
        raise BackupError(f"not an age public key: {exc}") from exc
    with _private_files():
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o700)  # an existing empty folder keeps no wider mode
        database = _write_database(target)
        _copy_files(target)
        if keys:
            database = _encrypt_all(target, keys, database)
        manifest = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "database": {"kind": db.engine.dialect.name, "file": database.name, "revision": _revision()},
            "files": {str(path.relative_to(target)): _sha256(path) for path in sorted(target.rglob("*")) if path.is_file()},
            "encrypted_to": [str(key) for key in keys],
            "keep_separately": list(KEEP_SEPARATELY),
        }
        (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_database(target: Path) -> Path:
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
    return database


def _copy_files(target: Path) -> None:
    """Attachments in the database store travel with the database; a disk store's are copied."""
    store, files = file_store(), target / "files"
    for digest in (store.digests() if store.root is not None else ()):
        path = files / digest[:2] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store.path(digest), path)


def _encrypt_all(target: Path, keys: list, database: Path) -> Path:
    """Replace every file in `target` by its age encryption to `keys`; the database file's new path."""
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        pyrage.encrypt_file(str(path), str(path) + ENCRYPTED_SUFFIX, keys)
        path.unlink()
    return database.with_name(database.name + ENCRYPTED_SUFFIX)


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


def restore(source: Path, identity_file: Path | None = None) -> dict:
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
    with _opened(source, manifest, identity_file) as (folder, database_name):
        _restore_database(folder / database_name)
        for digest_path in sorted((folder / "files").glob("??/*")):
            data = digest_path.read_bytes()
            if store.put(data) != digest_path.name:
                raise BackupError(f"{digest_path}: its content does not match its name")
    return manifest


@contextlib.contextmanager
def _opened(source: Path, manifest: dict, identity_file: Path | None):
    """The backup's plain files: the folder itself, or for an encrypted backup a private
    temporary copy decrypted with the operator's identity (removed afterwards)."""
    database = manifest["database"]["file"]
    if not manifest.get("encrypted_to"):
        yield source, database
        return
    if identity_file is None:
        raise BackupError("this backup is encrypted: give the operator's age identity with --identity FILE")
    identities = _identities(Path(identity_file))
    with _private_files(), tempfile.TemporaryDirectory(prefix="portal-restore-") as plain:
        for name in manifest["files"]:
            encrypted, opened = source / name, Path(plain) / name.removesuffix(ENCRYPTED_SUFFIX)
            opened.parent.mkdir(parents=True, exist_ok=True)
            try:
                pyrage.decrypt_file(str(encrypted), str(opened), identities)
            except pyrage.DecryptError as exc:
                raise BackupError(f"{name}: this identity does not open the backup ({exc})") from exc
        yield Path(plain), database.removesuffix(ENCRYPTED_SUFFIX)


def _identities(path: Path) -> list:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [pyrage.x25519.Identity.from_str(line.strip()) for line in lines
                if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError, pyrage.IdentityError) as exc:
        raise BackupError(f"{path}: not an age identity file ({exc})") from exc


def _restore_database(database: Path) -> None:
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
@click.option("--to", "recipients", multiple=True, metavar="AGE1…",
              help="Encrypt to this age public key (repeatable; default: the BACKUP_RECIPIENTS setting).")
def create_command(target: Path, recipients: tuple[str, ...]) -> None:
    """Write a backup into the new folder TARGET."""
    recipients = recipients or current_app.extensions["portal.settings"].backup_recipients
    manifest = create(target, recipients)
    click.echo(f"backup written to {target}: {len(manifest['files'])} files, database revision "
               f"{manifest['database']['revision']}"
               + (f", encrypted to {len(recipients)} key(s)" if recipients else ", NOT encrypted (see --to)"))
    click.echo("NOT in the backup — keep these separately: " + "; ".join(KEEP_SEPARATELY))


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--identity", "identity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The operator's age identity file, for an encrypted backup.")
def restore_command(source: Path, identity_file: Path | None) -> None:
    """Restore the backup in SOURCE into this (empty) deployment."""
    manifest = restore(source, identity_file)
    click.echo(f"restored the backup of {manifest['created_at']}; now run `flask search rebuild` "
               "and check the publication log with `flask log verify`")


@backup_cli.command("keygen")
@click.argument("identity_file", type=click.Path(dir_okay=False, path_type=Path))
def keygen_command(identity_file: Path) -> None:
    """Make an age identity in IDENTITY_FILE (0600; keep it off the portal's machines) and print
    its public key for BACKUP_RECIPIENTS. Any `age-keygen` does the same."""
    if identity_file.exists():
        raise BackupError(f"{identity_file} exists: it is not overwritten")
    identity = pyrage.x25519.Identity.generate()
    with _private_files():
        identity_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n", encoding="utf-8")
    click.echo(str(identity.to_public()))
