"""Files a reporter sends: what is accepted, decided by content; and metadata-free copies.

A reporter's file name is never trusted: the type comes from the bytes, the file is stored under
a random name, and it is offered to staff under a generated name with the right extension.

Work per file is bounded (SECURITY.md, "Every page"): an image's pixel count is read from its
header before anything is decoded, an office file's member count and declared size from its
zip directory, and the metadata-free copy is made in a child process with a memory and CPU
limit and a wall-clock timeout (portal/reports/sanitiser.py). A file that cannot be copied
within them is refused with a message; the worker never waits past the timeout.

The copies of one request are made in one of the machine's sanitising slots (portal/work_slots.py):
four reporters sending five large images at once used to hold every gunicorn worker past its
timeout. Now one request per two cores copies at a time; the others are told at once that
attachments are busy, with everything they typed kept. The child runs at a lower CPU priority,
so that page views win the cores.
"""
from __future__ import annotations

import dataclasses
import io
# The sanitiser runs as a child process with a fixed argument list (this interpreter, our script).
import subprocess  # nosec B404
import sys
import time
import unicodedata
import warnings
import zipfile
from pathlib import Path

from portal.work_slots import SlotPool, half_the_cores

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# Any phone's photograph at its default setting (12 MP binned; 24 MP is 6,000 × 4,000) and most
# cameras', at a fixed cost to copy (~1 s on one core at the limit).
MAX_IMAGE_PIXELS = 24_000_000
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
SANITISER = Path(__file__).with_name("sanitiser.py")
SANITISER_TIMEOUT_SECONDS = 15
# All the copies of one request together: well inside gunicorn's 30-second worker timeout.
SANITISING_SECONDS_PER_REQUEST = 20
COPIED_TYPES = ("image/png", "image/jpeg", "application/pdf")
BUSY_MESSAGE = "附件处理繁忙，请稍后再试，您填写的内容已保留。"


class AttachmentsBusy(Exception):
    """Every sanitising slot of this machine is taken: the reporter is asked to retry shortly."""


SANITISING = SlotPool("sanitising", half_the_cores(), AttachmentsBusy)


class FileRefused(ValueError):
    """The message is shown to the reporter as is (Chinese)."""


@dataclasses.dataclass(frozen=True)
class Upload:
    name: str  # the reporter's file name, cleaned for display; never used on disk
    data: bytes
    extension: str
    media_type: str
    pixels: int = 0  # width × height from an image's header; 0 for other files


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
    return _check_bounds(upload)


def _check_bounds(upload: Upload) -> Upload:
    """Refuse what would cost more than a bounded amount of work to copy or open."""
    if upload.media_type.startswith("image/"):
        pixels = _pixel_count(upload.data)
        if pixels is None or pixels > MAX_IMAGE_PIXELS:
            raise FileRefused(
                f"图片“{upload.name}”的尺寸过大或无法识别（不超过 {MAX_IMAGE_PIXELS // 10_000} 万像素），"
                "请缩小后重新提交。"
            )
        return dataclasses.replace(upload, pixels=pixels)
    if upload.extension in ("docx", "xlsx"):
        members = _zip_members(upload.data) or []
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
            raise FileRefused(f"文件“{upload.name}”解压后过大或包含的部分过多，请另存为 PDF 后重新提交。")
    return upload


def check_pixel_total(uploads: list[Upload], limit: int) -> int:
    """The images' pixels together (UPLOAD_PIXELS_PER_REQUEST bounds one request's copying)."""
    total = sum(upload.pixels for upload in uploads)
    if total > limit:
        raise FileRefused(f"这次选择的图片合计超过 {limit // 10_000} 万像素，请缩小图片或分次提交。")
    return total


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


def clean_copies(uploads: list[Upload]) -> list[bytes | None]:
    """Each upload's metadata-free copy (None where a type has none), all made in one of the
    machine's sanitising slots. AttachmentsBusy, before any work, when no slot is free."""
    if not any(upload.media_type in COPIED_TYPES for upload in uploads):
        return [None] * len(uploads)
    with SANITISING.hold():
        deadline = time.monotonic() + SANITISING_SECONDS_PER_REQUEST
        return [metadata_free_copy(upload, deadline) for upload in uploads]


def metadata_free_copy(upload: Upload, deadline: float | None = None) -> bytes | None:
    """A copy without EXIF/XMP (images) or document information (PDF), or None for other types;
    the original is always kept as evidence. Made in a child process with fixed memory and
    time; FileRefused when the file cannot be copied within them (a decompression bomb, a PDF
    of thousands of pages) or before `deadline` (monotonic). A damaged file gets no copy; its
    original is kept."""
    if upload.media_type not in COPIED_TYPES:
        return None
    timeout = SANITISER_TIMEOUT_SECONDS
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
    try:
        if timeout <= 0:
            raise subprocess.TimeoutExpired(str(SANITISER), 0)
        # Fixed argv: this interpreter and the package's own script; the file goes in on stdin.
        done = subprocess.run(  # nosec B603
            [sys.executable, "-I", str(SANITISER), upload.media_type],
            input=upload.data, capture_output=True, timeout=timeout, check=False,
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
