"""`flask --app wsgi search rebuild | follow`."""
import os

import click
from flask.cli import AppGroup

from portal import search

search_cli = AppGroup("search", help="Maintain the full-text search index.")


@search_cli.command("rebuild")
@click.option("--if-missing", is_flag=True, help="Only when there is no readable index (for `make run`).")
@click.option("--processes", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default=True,
              help="Writer processes (one per core by default).")
def rebuild_command(if_missing: bool, processes: int) -> None:
    """Rebuild the search index from the database (repairs a missing or corrupt index)."""
    index = search.search_index()
    if if_missing:
        try:
            count = index.document_count()
            click.echo(f"search index present ({count} documents); nothing to do")
            return
        except search.SearchUnavailable:
            pass
    count = search.rebuild(processes=processes)
    click.echo(f"search index rebuilt: {count} documents in {index.root}")


@search_cli.command("follow")
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True,
              help="Seconds between checks when no notification arrives (SQLite: always).")
@click.option("--once", is_flag=True, help="Apply what is pending and stop.")
def follow_command(poll: float, once: bool) -> None:
    """This host's indexer: follow the publication log into this host's search index (one per host)."""
    from portal.search import follower

    if once:
        done = follower.step()
        click.echo(f"applied {done.applied} log entries" + (" after a rebuild" if done.rebuilt else ""))
        return
    follower.follow(poll_seconds=poll)
