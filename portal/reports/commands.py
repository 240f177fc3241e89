"""`flask reports init-key` and `flask reports purge`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.reports import services

reports_cli = AppGroup("reports", help="Anonymous reports: the desk key and retention.")


@reports_cli.command("init-key")
@click.password_option("--passphrase", prompt="Desk passphrase (report handlers unlock the desk with it)")
def init_key(passphrase: str) -> None:
    """Create the key pair reports are encrypted with; its private half is locked with PASSPHRASE."""
    try:
        services.create_desk_key(passphrase)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Desk key created. Keep the passphrase safe: without it no report can be read.")


@reports_cli.command("purge")
def purge() -> None:
    """Delete concluded reports older than REPORT_RETENTION_DAYS, with their files."""
    count = services.purge_expired()
    click.echo(f"Purged {count} report(s).")
