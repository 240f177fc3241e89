"""Stored files: the one owner of attachment bytes on disk.

Files are stored content-addressed (by SHA-256) under FILES_DIR, outside any static folder; the
database records which published item a file belongs to and under what name it is offered.
"""
from portal.files.sealed import SealedFileStore, sealed_file_store
from portal.files.store import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    AttachmentRefused,
    FileStore,
    check_attachment,
    file_store,
)

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "AttachmentRefused",
    "FileStore",
    "SealedFileStore",
    "check_attachment",
    "file_store",
    "sealed_file_store",
]
