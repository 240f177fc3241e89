"""The content/ toolkit: reading files (text, YAML with line numbers, spreadsheets) and checking
their fields, with every problem named by file and line. A library: each published kind owns
its own files, schema and vocabulary (departments/content.py, disclosures/content.py,
ratings/importer.py and ratings/content.py) and builds them from these parts; import and export
across the kinds is portal.publication.content."""
