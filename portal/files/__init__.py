"""Stored files: the one owner of attachment bytes on disk.

Files are stored content-addressed (by SHA-256), on disk under FILES_DIR outside any static
folder (SQLite) or in the database (PostgreSQL, shared by every host); the database records which
published item a file belongs to and under what name it is offered.
"""
from portal.files.sealed import SealedFileStore, sealed_file_store
from portal.files.store import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    AttachmentRefused,
    DatabaseFileStore,
    FileStore,
    check_attachment,
    disk_store,
    file_store,
)

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "AttachmentRefused",
    "DatabaseFileStore",
    "FileStore",
    "SealedFileStore",
    "check_attachment",
    "disk_store",
    "file_store",
    "sealed_file_store",
]
