"""Make a metadata-free copy of one image or PDF, in a child process with fixed limits.

Run by portal.reports.attachments as `python -I sanitiser.py MEDIA_TYPE`, the file on stdin and
the copy on stdout. It imports nothing from the portal (so it starts fast) and limits itself
before it reads a byte: address space, CPU seconds, no files written, a lower CPU priority. Exit codes: 0 copy on
stdout; 2 damaged or unreadable; 3 over a limit (pages, pixels, memory).
"""
from __future__ import annotations

import io
import os
import resource
import sys

MEMORY_BYTES = 768 * 1024 * 1024
CPU_SECONDS = 10
# Page views come first: a copy runs when the cores have nothing better to do.
NICENESS = 10
MAX_PIXELS = 24_000_000  # attachments.MAX_IMAGE_PIXELS, checked again on the decoded image
MAX_PDF_PAGES = 500


class OverLimit(Exception):
    pass


def _limit_self() -> None:
    os.nice(NICENESS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def image_copy(data: bytes, media_type: str) -> bytes:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(io.BytesIO(data)) as image:
        if image.size[0] * image.size[1] > MAX_PIXELS:
            raise OverLimit
        image.load()
        # Only the pixels are carried over: EXIF (GPS, camera serial), XMP and text chunks stay behind.
        pixels = Image.frombytes(image.mode, image.size, image.tobytes())
        if image.mode == "P":
            pixels.putpalette(image.getpalette())
        out = io.BytesIO()
        if media_type == "image/png":
            pixels.save(out, format="PNG")
        else:
            pixels.convert("RGB").save(out, format="JPEG", quality=92)
        return out.getvalue()


def pdf_copy(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    if len(reader.pages) > MAX_PDF_PAGES:
        raise OverLimit
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> int:
    media_type = sys.argv[1] if len(sys.argv) > 1 else ""
    _limit_self()
    data = sys.stdin.buffer.read()
    try:
        copy = pdf_copy(data) if media_type == "application/pdf" else image_copy(data, media_type)
    except (OverLimit, MemoryError):
        return 3
    except Exception:  # noqa: BLE001 - a damaged or hostile file: no copy, the original stays
        return 2
    sys.stdout.buffer.write(copy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
