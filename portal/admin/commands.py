"""`flask users create`: the first administrator, from the command line (no default account)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.staff import accounts, passwords
from portal.staff.models import Role

users_cli = AppGroup("users", help="Staff accounts of the back office.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name as staff see it.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([role.value for role in Role]), help="Repeat for several roles.")
@click.password_option(help="Prompted for (twice) when not given; at least 12 characters.")
def create(username: str, display_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff account. It enrols two-factor authentication at its first login."""
    try:
        user = accounts.create_user(username, display_name, password, [Role(role) for role in roles])
    except (accounts.AccountError, passwords.PasswordRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.username} ({', '.join(sorted(roles))}). "
               "At first login they scan a QR code with an authenticator app.")


@users_cli.command("sweep-sessions")
def sweep_sessions() -> None:
    """End expired staff sessions and wipe the desk keys they hold (run from cron, e.g. every 5 minutes)."""
    count = accounts.sweep_expired_sessions()
    click.echo(f"{count} session(s) ended or wiped.")


@users_cli.command("list")
def list_users() -> None:
    """Accounts with their roles and whether two-factor authentication is set up."""
    for user in accounts.list_users():
        state = "active" if user.active else "disabled"
        totp = "2FA on" if user.totp_confirmed else "2FA not enrolled"
        click.echo(f"{user.username}\t{user.display_name}\t{','.join(sorted(r.value for r in user.role_set))}\t{state}\t{totp}")
