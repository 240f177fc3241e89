"""`flask --app wsgi search rebuild`."""
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
