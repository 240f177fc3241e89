"""`flask ratings check|import`: an evaluator's delivery from the command line.

`import` never publishes: it stores the delivery as submitted, and a reviewer (not the person
named by --by) approves it in the back office at /admin/ratings/ — the same two-person rule as
every publication.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.staff import accounts, audit
from portal.staff.models import Role
from portal.extensions import db
from portal.ratings import services

ratings_cli = AppGroup("ratings", help="Integrity rating editions (诚信评价).")
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read(sheet: Path, edition: Path) -> services.Delivery:
    try:
        return services.read_delivery(edition, sheet)
    except services.DeliveryProblems as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s): nothing was imported") from exc


@ratings_cli.command("check")
@click.argument("sheet", type=FILE)
@click.option("--edition", type=FILE, required=True, help="The edition's YAML file.")
def check(sheet: Path, edition: Path) -> None:
    """Validate a score sheet (CSV, UTF-8 or GBK) against its edition file; write nothing."""
    delivery = _read(sheet, edition)
    click.echo(f"ok: {delivery.spec.slug}, {len(delivery.sheet.scores)} departments")


@ratings_cli.command("import")
@click.argument("sheet", type=FILE)
@click.option("--edition", type=FILE, required=True, help="The edition's YAML file.")
@click.option("--by", "username", required=True, help="The editor submitting it (an account with the editor role).")
def import_(sheet: Path, edition: Path, username: str) -> None:
    """Submit an evaluator's delivery for review; a reviewer publishes it in the back office."""
    user = accounts.find_user(username)
    if user is None or not user.active or not user.has_role(Role.EDITOR):
        raise click.ClickException(f"{username}: no active account with the editor role")
    delivery = _read(sheet, edition)
    try:
        version = services.add_version(delivery, state="submitted", submitted_by=user)
    except services.RatingsError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if version is None:
        click.echo(f"{delivery.spec.slug}: the same as the published version; nothing to do")
        return
    audit.record(user, "rating_submitted", "rating_edition", f"{delivery.spec.slug} v{version.number}",
                 actor_name=username)
    db.session.commit()
    click.echo(f"submitted {delivery.spec.slug} version {version.number} for review: /admin/ratings/{version.id}")
