"""`flask reports init-key` and `flask reports purge`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.reports import crypto, services

reports_cli = AppGroup("reports", help="Anonymous reports: the desk key and retention.")


def _long_enough(ctx, param, value: str) -> str:
    if value is not None and len(value) < crypto.MIN_PASSPHRASE_LENGTH:
        raise click.BadParameter(f"口令至少 {crypto.MIN_PASSPHRASE_LENGTH} 个字符。")
    return value


@reports_cli.command("init-key")
@click.option("--passphrase", callback=_long_enough, hide_input=True,
              prompt=f"举报受理台口令（至少 {crypto.MIN_PASSPHRASE_LENGTH} 个字符；举报受理人凭它解锁受理台）",
              confirmation_prompt="再输入一次口令", help="The desk passphrase (prompted for when not given).")
def init_key(passphrase: str) -> None:
    """Create the key pair reports are encrypted with; its private half is locked with PASSPHRASE."""
    try:
        services.create_desk_key(passphrase)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("举报加密密钥已创建，网上举报已开通。请妥善保管口令：遗失口令将无法阅读任何举报。")


@reports_cli.command("purge")
def purge() -> None:
    """Delete concluded reports older than REPORT_RETENTION_DAYS, with their files."""
    count = services.purge_expired()
    click.echo(f"Purged {count} report(s).")
