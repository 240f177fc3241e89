"""`flask --app wsgi log init-key | sign | verify`: the publication log's key, checkpoints and self-audit."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.publication import log
from portal.publication.audit import backfill, verify_log
from portal.publication.version import bump_content_version

log_cli = AppGroup("log", help="The publication log (公开记录): its signing key, checkpoints and self-audit.")


@log_cli.command("init-key")
@click.option("--development", is_flag=True,
              help="a development key (`make run`: a signed log at once; production refuses it); "
                   "nothing is done if a key exists")
def init_key_command(development: bool) -> None:
    """Create the signing key (LOG_KEY_FILE, mode 0600); print the verifier key readers pin."""
    settings = current_app.extensions["portal.settings"]
    if development and settings.env == "production":
        raise click.ClickException("a development key is refused in production: run `flask log init-key`")
    try:
        key = log.create_key(settings.log_key_file, settings.public_base_url, development=development)
    except FileExistsError:
        if development:
            return
        raise click.ClickException(f"{settings.log_key_file} exists: a log keeps its key (readers pinned it)") from None
    click.echo(f"signing key written to {settings.log_key_file} (keep it, and a copy, outside the database backups)")
    click.echo(f"verifier key (publish it; /log/ shows it): {key.verifier}")
    # A portal that published before it had a log (upgraded to migration 0009): its log starts
    # from what is published now, instead of the audit calling every item unlogged.
    added = backfill()
    db.session.commit()
    if added:
        click.echo(f"logged {added} item(s) published before the log existed")
    checkpoint = log.sign_checkpoint()
    if checkpoint is not None:
        click.echo(f"signed the tree of {checkpoint.size} entries")
    bump_content_version()  # every worker's cached /log/ shows the key from the next request on


@log_cli.command("sign")
def sign_command() -> None:
    """Sign a checkpoint of the log as it is now (after checking it extends the last one)."""
    if log.signing_key() is None:
        raise click.ClickException("no signing key: run `flask --app wsgi log init-key` first")
    try:
        checkpoint = log.sign_checkpoint()
    except log.LogInconsistent as exc:
        raise click.ClickException(f"not signed: {exc}") from None
    click.echo(f"checkpoint: {checkpoint.size if checkpoint else 0} entries")
    refused = False
    for answer in log.ask_witnesses(checkpoint) if checkpoint else []:
        click.echo(f"witness {answer.witness}: {answer.message}", err=not answer.cosigned)
        refused |= not answer.cosigned
    if refused:
        raise SystemExit(1)


@log_cli.command("add-cosignature")
@click.argument("note_file", type=click.File("r", encoding="utf-8"))
def add_cosignature_command(note_file) -> None:
    """Accept a witness's cosignatures: NOTE_FILE is a checkpoint as the witness returned it."""
    try:
        added = log.add_cosignatures(note_file.read())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{added} new cosignature(s) kept")
    if not added:
        raise SystemExit(1)


@log_cli.command("verify")
def verify_command() -> None:
    """Recompute every published item's hash and the tree; report each mismatch (exit 1)."""
    report = verify_log()
    for problem in report.problems:
        click.echo(f"{problem.kind}/{problem.item}: {problem.message}", err=True)
    click.echo(f"{report.entries} entries, {report.items} items checked, {len(report.problems)} problem(s)")
    if report.problems:
        raise SystemExit(1)
