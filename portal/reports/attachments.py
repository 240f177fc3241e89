"""Files a reporter sends: what is accepted, decided by content; and metadata-free copies.

A reporter's file name is never trusted: the type comes from the bytes, the file is stored under
a random name, and it is offered to staff under a generated name with the right extension.

Work per file is bounded (SECURITY.md, "Every page"): an image's pixel count is read from its
header before anything is decoded, an office file's member count and declared size from its
zip directory, and the metadata-free copy is made in a child process with a memory and CPU
limit and a wall-clock timeout (portal/reports/sanitiser.py). A file that cannot be copied
within them is refused with a message; the worker never waits past the timeout.
"""
from __future__ import annotations

import dataclasses
import io
# The sanitiser runs as a child process with a fixed argument list (this interpreter, our script).
import subprocess  # nosec B404
import sys
import unicodedata
import warnings
import zipfile
from pathlib import Path

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Well below Pillow's own bomb limit (89 MP): 40 MP is a 7,300 × 5,500 photograph.
MAX_IMAGE_PIXELS = 40_000_000
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
SANITISER = Path(__file__).with_name("sanitiser.py")
SANITISER_TIMEOUT_SECONDS = 15


class FileRefused(ValueError):
    """The message is shown to the reporter as is (Chinese)."""


@dataclasses.dataclass(frozen=True)
class Upload:
    name: str  # the reporter's file name, cleaned for display; never used on disk
    data: bytes
    extension: str
    media_type: str


def _zip_members(data: bytes) -> list[zipfile.ZipInfo] | None:
    """The zip directory (read, never decompressed), or None for a damaged archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return None


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
        names = [member.filename for member in _zip_members(data) or ()]
        if any(name.startswith("word/") for name in names):
            return "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if any(name.startswith("xl/") for name in names):
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
    upload = Upload(clean_name(filename), data, *kind)
    _check_bounds(upload)
    return upload


def _check_bounds(upload: Upload) -> None:
    """Refuse what would cost more than a bounded amount of work to copy or open."""
    if upload.media_type.startswith("image/"):
        pixels = _pixel_count(upload.data)
        if pixels is None or pixels > MAX_IMAGE_PIXELS:
            raise FileRefused(
                f"图片“{upload.name}”的尺寸过大或无法识别（不超过 {MAX_IMAGE_PIXELS // 10_000} 万像素），"
                "请缩小后重新提交。"
            )
    elif upload.extension in ("docx", "xlsx"):
        members = _zip_members(upload.data) or []
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
            raise FileRefused(f"文件“{upload.name}”解压后过大或包含的部分过多，请另存为 PDF 后重新提交。")


def _pixel_count(data: bytes) -> int | None:
    """Width × height from the image's header; nothing is decoded."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Exception:  # noqa: BLE001 - damaged, hostile or over Pillow's own bomb limit
        return None
    return width * height


def metadata_free_copy(upload: Upload) -> bytes | None:
    """A copy without EXIF/XMP (images) or document information (PDF), or None for other types;
    the original is always kept as evidence. Made in a child process with fixed memory and
    time; FileRefused when the file cannot be copied within them (a decompression bomb, a PDF
    of thousands of pages). A damaged file gets no copy; its original is kept."""
    if upload.media_type not in ("image/png", "image/jpeg", "application/pdf"):
        return None
    try:
        # Fixed argv: this interpreter and the package's own script; the file goes in on stdin.
        done = subprocess.run(  # nosec B603
            [sys.executable, "-I", str(SANITISER), upload.media_type],
            input=upload.data, capture_output=True, timeout=SANITISER_TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        raise FileRefused(f"文件“{upload.name}”处理超时（内容过于复杂），请另存为较小的文件后重新提交。") from None
    if done.returncode == 0 and done.stdout:
        return done.stdout
    if done.returncode == 2:  # damaged or unreadable: the original alone is kept, as before
        return None
    # 3: the sanitiser's own refusal (too many pages or pixels, out of memory); negative: killed
    # by its CPU limit.
    raise FileRefused(f"文件“{upload.name}”页数或尺寸超过处理限制，请拆分或缩小后重新提交。")
