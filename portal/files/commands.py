"""`flask files move-to-database`: attachments from a disk store into the database store."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.files.store import DatabaseFileStore, FileAltered, disk_store

files_cli = AppGroup("files", help="Stored attachment files.")


@files_cli.command("move-to-database")
def move_to_database() -> None:
    """Copy every attachment under FILES_DIR into the database (PostgreSQL: shared by every host).
    Each file is checked against its SHA-256 name; the disk copies are left for the operator to
    remove once the site has been checked."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("the database store is used with PostgreSQL; with SQLite files stay on disk")
    disk, database = disk_store(), DatabaseFileStore()
    copied = 0
    for digest in disk.digests():
        try:
            data = disk.read(digest)  # checked against its name
        except FileAltered:
            raise click.ClickException(f"{disk.path(digest)}: its content does not match its name") from None
        database.put(data)
        copied += 1
        if copied % 100 == 0:
            db.session.commit()
    db.session.commit()
    click.echo(f"{copied} files in the database; {disk.root} can be removed once the site is checked")
