"""Files a reporter sends: what is accepted, decided by content; and metadata-free copies.

A reporter's file name is never trusted: the type comes from the bytes, the file is stored under
a random name, and it is offered to staff under a generated name with the right extension.
"""
from __future__ import annotations

import dataclasses
import io
import unicodedata
import zipfile

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5


class FileRefused(ValueError):
    """The message is shown to the reporter as is (Chinese)."""


@dataclasses.dataclass(frozen=True)
class Upload:
    name: str  # the reporter's file name, cleaned for display; never used on disk
    data: bytes
    extension: str
    media_type: str


def _zip_with(data: bytes, prefix: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith(prefix) for name in archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _plain_text(data: bytes) -> bool:
    """UTF-8 or GB18030 text that is not markup (an HTML page is not evidence text)."""
    if b"\x00" in data[:4096] or data.lstrip()[:1] == b"<":
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(data: bytes) -> tuple[str, str] | None:
    """(extension, media type) judged from the bytes alone, or None for anything not allowed."""
    if data.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        if _zip_with(data, "word/"):
            return "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if _zip_with(data, "xl/"):
            return "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    if _plain_text(data):
        return "txt", "text/plain"
    return None


def clean_name(filename: str) -> str:
    """The name to show staff: no directories, no control or bidirectional characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    return name.strip(" .")[:120] or "未命名文件"


def check(filename: str, data: bytes) -> Upload:
    if not data:
        raise FileRefused(f"文件“{clean_name(filename)}”是空文件，请重新选择。")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"文件“{clean_name(filename)}”超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请压缩或分开提交。")
    kind = sniff(data)
    if kind is None:
        raise FileRefused(
            f"文件“{clean_name(filename)}”的内容不是允许的类型。可以提交 PDF、JPG、PNG 图片、"
            "Word（docx）、Excel（xlsx）或纯文本文件。"
        )
    return Upload(clean_name(filename), data, *kind)


def metadata_free_copy(upload: Upload) -> bytes | None:
    """A copy without EXIF/XMP (images) or document information (PDF), or None when the file is
    of another type or cannot be rewritten; the original is always kept as evidence."""
    try:
        if upload.media_type in ("image/png", "image/jpeg"):
            return _image_copy(upload)
        if upload.media_type == "application/pdf":
            return _pdf_copy(upload.data)
    except Exception:  # a damaged or hostile file: no copy, the original stays  # noqa: BLE001
        return None
    return None


def _image_copy(upload: Upload) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(upload.data)) as image:
        image.load()
        # Only the pixels are carried over: EXIF (GPS, camera serial), XMP and text chunks stay behind.
        pixels = Image.frombytes(image.mode, image.size, image.tobytes())
        if image.mode == "P":
            pixels.putpalette(image.getpalette())
        out = io.BytesIO()
        if upload.media_type == "image/png":
            pixels.save(out, format="PNG")
        else:
            pixels.convert("RGB").save(out, format="JPEG", quality=92)
        return out.getvalue()


def _pdf_copy(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
