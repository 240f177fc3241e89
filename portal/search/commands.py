"""`flask --app wsgi search rebuild`."""
import click
from flask.cli import AppGroup

from portal import search

search_cli = AppGroup("search", help="Maintain the full-text search index.")


@search_cli.command("rebuild")
@click.option("--if-missing", is_flag=True, help="Only when there is no readable index (for `make run`).")
def rebuild_command(if_missing: bool) -> None:
    """Rebuild the search index from the database (repairs a missing or corrupt index)."""
    index = search.search_index()
    if if_missing:
        try:
            count = index.document_count()
            click.echo(f"search index present ({count} documents); nothing to do")
            return
        except search.SearchUnavailable:
            pass
    count = search.rebuild()
    click.echo(f"search index rebuilt: {count} documents in {index.root}")
