"""The content pipeline: content/ files ⇄ typed records ⇄ the database (check, import, export)."""
