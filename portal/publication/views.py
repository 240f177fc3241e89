"""/log/: the publication log as C2SP tlog-tiles (checkpoint, tiles, entry bundles), a page that
explains it in Chinese with the site's verifier key, the verifier to download, and the proofs
a reader's verifier asks for (inclusion, consistency, lookup by the SHA-256 of an item)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from portal import clock, publication
from portal.extensions import db
from portal.publication import log, tlog
from portal.web.page_cache import page as cached_page

bp = Blueprint("log", __name__, url_prefix="/log")
ACTION_LABELS = {"published": "发布", "corrected": "更正", "redacted": "删除处理", "withdrawn": "撤回"}
IMMUTABLE = "public, max-age=31536000, immutable"


# Addresses that take no parameters: a query string would make each a new address for every
# cache on the way (the page cache, nginx's tile cache) while the portal recomputes the tiles.
BARE_ADDRESSES = {"log.checkpoint", "log.tile", "log.entries", "log.verifier"}


@bp.before_request
def _no_query_strings():
    if request.query_string and request.endpoint in BARE_ADDRESSES:
        return redirect(url_for(request.endpoint, **(request.view_args or {})), 301)
    return None


def _text(body: str | bytes, cache: str, mimetype: str = "text/plain") -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = cache
    return response


@dataclasses.dataclass(frozen=True)
class Row:
    """One entry as the table on /log/ shows it."""

    entry: log.LogEntry
    kind_label: str
    title: str | None
    url: str | None
    logged_on: dt.date | None  # the day the first checkpoint covering it was signed (Beijing)


def _rows(recent: list[log.LogEntry]) -> list[Row]:
    kinds = publication.kinds()
    covering = log.first_checkpoints_covering([entry.seq for entry in recent])
    rows = []
    for entry in recent:
        kind = kinds.get(entry.kind)
        title = kind.title(entry.item) if kind else None
        signed = covering.get(entry.seq)
        rows.append(Row(entry, kind.label if kind else entry.kind, title,
                        kind.url(entry.item) if kind and title else None,
                        clock.in_bureau_time(signed).date() if signed else None))
    return rows


@bp.get("/")
@cached_page
def index():
    key = log.signing_key()
    checkpoint = log.latest_checkpoint()
    recent = list(reversed(log.entries(start=max(0, log.tree_size() - 50))))
    return render_template("publication/log.html", key=key, checkpoint=checkpoint, rows=_rows(recent),
                           size=log.tree_size(), served=log.served_note(checkpoint) if checkpoint else "",
                           signed_at=clock.in_bureau_time(checkpoint.signed_at) if checkpoint else None,
                           witnesses=log.witnesses(), action_labels=ACTION_LABELS,
                           proof_prefix=url_for("log.proof", seq=0)[:-1])


@bp.get("/checkpoint")
def checkpoint():
    """The latest signed checkpoint; cached for seconds only (it moves with every publication)."""
    latest = log.latest_checkpoint()
    if latest is None:
        abort(404)
    return _text(log.served_note(latest), "public, max-age=5")


def _tile_request(path: str) -> tuple[int, int]:
    """(index, width) of a tile path's tail: x001/234[.p/W]."""
    index_path, _, partial = path.partition(".p/")
    try:
        index = tlog.parse_tile_index(index_path)
        width = int(partial) if partial else tlog.TILE_WIDTH
    except ValueError:
        abort(404)
    if not 1 <= width <= tlog.TILE_WIDTH or (partial and (width == tlog.TILE_WIDTH or str(width) != partial)):
        abort(404)
    return index, width


def _checkpoint_size() -> int:
    latest = log.latest_checkpoint()
    return latest.size if latest else 0


@bp.get("/tile/<int:level>/<path:path>")
def tile(level: int, path: str):
    """Hashes of tile (level, index) in the tree of the latest checkpoint: immutable once served."""
    index, width = _tile_request(path)
    size = _checkpoint_size()
    span = tlog.TILE_WIDTH ** level
    if level > 8 or (index * tlog.TILE_WIDTH + width) * span > size:
        abort(404)
    body = b"".join(log.StoredTree(size).tile(level, index, width))
    return _text(body, IMMUTABLE, "application/octet-stream")


@bp.get("/tile/entries/<path:path>")
def entries(path: str):
    """The leaves themselves (their canonical JSON), 256 to a bundle."""
    index, width = _tile_request(path)
    first = index * tlog.TILE_WIDTH
    if first + width > _checkpoint_size():
        abort(404)
    leaves = [entry.leaf.encode("utf-8") for entry in log.entries(first, first + width)]
    return _text(tlog.entry_bundle(leaves), IMMUTABLE, "application/octet-stream")


@bp.get("/verify_publication.py")
def verifier():
    """The offline verifier: the same file the portal uses (standard library and PyNaCl)."""
    source = (Path(__file__).parent / "tlog.py").read_bytes()
    response = _text(source, "public, max-age=3600", "text/x-python")
    response.headers["Content-Disposition"] = "attachment; filename=verify_publication.py"
    return response


def _size_argument(name: str, default: int) -> int:
    value = request.args.get(name, str(default))
    if not value.isdigit():
        abort(400)
    return int(value)


@bp.get("/proof/<int:seq>")
@cached_page
def proof(seq: int):
    """The inclusion proof of leaf `seq` in the tree of `size` (default: the latest checkpoint)."""
    size = _size_argument("size", _checkpoint_size())
    if not 0 <= seq < size <= log.tree_size():
        abort(404)
    entry = log.entries(seq, seq + 1)[0]
    signed = db.session.get(log.LogCheckpoint, size)
    return {"index": seq, "size": size, "leaf": entry.leaf,
            "proof": [h.hex() for h in log.StoredTree(size).inclusion_proof(seq)],
            # When the checkpoint of this size was signed (Beijing date): shown, not signed.
            "signed_on": clock.in_bureau_time(signed.signed_at).date().isoformat() if signed else None}


@bp.get("/consistency")
@cached_page
def consistency():
    """The proof that the tree of `old` leaves is a prefix of the tree of `new`."""
    old, new = _size_argument("old", 0), _size_argument("new", _checkpoint_size())
    if not 0 < old <= new <= log.tree_size():
        abort(404)
    return {"old": old, "new": new, "proof": [h.hex() for h in log.StoredTree(new).consistency_proof(old)]}


@bp.get("/lookup")
@cached_page
def lookup():
    """The leaves that commit to an item with this SHA-256 (what a reader's download hashes to)."""
    digest = request.args.get("sha256", "").lower()
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
        abort(400)
    return {"sha256": digest, "entries": [{"seq": e.seq, "leaf": e.leaf} for e in log.entries_with(digest)]}
