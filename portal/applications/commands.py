"""`flask requests …`: the annual report's table, the retention purge, the demo applications."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.applications import annual, demo, services


@click.group("requests", help="依申请公开: applications for government information.")
def requests_cli() -> None:
    pass


@requests_cli.command("annual-report")
@click.argument("year", type=int)
@click.option("--draft-as", "editor", default=None,
              help="Also draft the annual report disclosure (工作年度报告) as this editor, for review.")
@with_appcontext
def annual_report(year: int, editor: str | None) -> None:
    """Print Table 3 of the national template for YEAR and check that it balances."""
    found = annual.table(year)
    click.echo(annual.markdown(found))
    problems = found.check()
    for problem in problems:
        click.echo(f"不平衡 {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("一 + 二 = 三 + 四：各列均平衡。")
    if editor:
        from portal.staff import accounts

        author = accounts.find_user(editor)
        if author is None:
            raise click.ClickException(f"no staff account named {editor!r}")
        draft = annual.draft_report(found, author)
        click.echo(f"草稿已创建：{draft.slug}（编辑补充第四表等内容后提交审核）。")


@requests_cli.command("purge")
@with_appcontext
def purge() -> None:
    """Remove applicants' personal data kept longer than APPLICATION_RETENTION_DAYS after closing."""
    click.echo(f"purged personal data of {services.purge()} applications")


@requests_cli.command("close-expired")
@with_appcontext
def close_expired() -> None:
    """视为放弃: close applications whose 补正 or payment period passed (run daily)."""
    closed = services.close_expired()
    click.echo(f"closed {len(closed)} applications as 视为放弃" + (f": {', '.join(closed)}" if closed else ""))


@requests_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when there is no application yet.")
@with_appcontext
def load_demo(if_empty: bool) -> None:
    """Demo applications in every state, marked 示例, so the desk and statistics are not empty."""
    click.echo(f"{demo.load(if_empty)} demo applications added")
