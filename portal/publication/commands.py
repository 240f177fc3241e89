"""`flask --app wsgi content check|import|export`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.publication.content import check_content, export_content, import_content
from portal.files import file_store

content_cli = AppGroup("content", help="Check, import and export the content/ directory.")

_DIR = click.Path(file_okay=False, path_type=Path)


def _content_dir(directory: Path | None) -> Path:
    return directory or current_app.extensions["portal.settings"].content_dir


@content_cli.command("check")
@click.argument("directory", required=False, type=_DIR)
def check_command(directory: Path | None) -> None:
    """Validate every content file; print `path:line: message` for each problem."""
    directory = _content_dir(directory)
    if not directory.is_dir():
        raise click.ClickException(f"{directory}: no such directory")
    problems = check_content(directory)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo(f"{directory}: all content files are valid.")


@content_cli.command("import")
@click.argument("directory", required=False, type=_DIR)
def import_command(directory: Path | None) -> None:
    """Upsert every valid content file into the database; report and skip broken ones."""
    directory = _content_dir(directory)
    if not directory.is_dir():
        raise click.ClickException(f"{directory}: no such directory")
    report = import_content(directory, file_store())
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"imported {directory}: files created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, skipped {report.skipped_files}"
    )
    if not report.search_updated:
        click.echo("search index not updated: run `flask --app wsgi search rebuild`", err=True)
    if report.problems:
        raise SystemExit(1)


@content_cli.command("export")
@click.argument("directory", type=_DIR)
def export_command(directory: Path) -> None:
    """Write the published content to DIRECTORY in the content/ format."""
    count = export_content(directory, file_store())
    click.echo(f"exported {count} file(s) to {directory}")
