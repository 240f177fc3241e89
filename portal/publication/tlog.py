#!/usr/bin/env python3
"""A transparency log's proofs and signatures, by the public standards, in one file.

This file is both the portal's implementation and the verifier a reader downloads from /log/
(as verify_publication.py): the standard library and PyNaCl (Ed25519) only, no portal import.

- RFC 6962 / RFC 9162 Merkle trees: leaf = SHA-256(0x00 ‖ leaf), node = SHA-256(0x01 ‖ left ‖ right),
  inclusion and consistency proofs.
- C2SP tlog-checkpoint: "<origin>\\n<size>\\n<base64 root>\\n" (and extension lines).
- C2SP signed-note with Ed25519: signature lines "— <name> <base64(key id ‖ signature)>", key id =
  the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key); verifier keys as
  "<name>+<hex key id>+<base64(0x01 ‖ public key)>".
- C2SP tlog-tiles: tiles of 256 hashes, paths like tile/0/x001/234 and tile/entries/005.p/17,
  entry bundles of (big-endian uint16 length ‖ bytes).

As a command (python3 verify_publication.py --help): checks that a downloaded item is in the
log, and that a newer checkpoint extends an older one, from files saved earlier or from the site;
and `witness keygen | serve` runs a witness of the log (C2SP tlog-witness).
"""
from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Sequence

TILE_WIDTH = 256
HASH_SIZE = 32
ED25519 = 0x01
COSIGNATURE_V1 = 0x04  # C2SP tlog-cosignature: a witness's Ed25519 signature with a timestamp
EM_DASH = "\u2014"


# --- RFC 6962 hashing and proofs -----------------------------------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of leaf hashes (RFC 6962 MTH); the empty tree is SHA-256("")."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(root(hashes[:k]), root(hashes[k:]))


def roots_at(hashes: Sequence[bytes], sizes: Sequence[int]) -> dict[int, bytes]:
    """The tree hash of each prefix of `hashes` whose size is in `sizes`, in one pass over the
    leaves (the frontier of perfect subtrees, folded from the right at each size asked for),
    instead of one pass per size."""
    wanted = set(sizes)
    found = {0: hashlib.sha256(b"").digest()} if 0 in wanted else {}
    frontier: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees, largest first
    for size, value in enumerate(hashes, 1):
        node, height = value, 0
        while frontier and frontier[-1][0] == height:
            node, height = node_hash(frontier.pop()[1], node), height + 1
        frontier.append((height, node))
        if size in wanted:
            tree = frontier[-1][1]
            for _, left in reversed(frontier[:-1]):
                tree = node_hash(left, tree)
            found[size] = tree
    return found


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `hashes` (RFC 6962 PATH)."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_proof(hashes[:k], index) + [root(hashes[k:])]
    return inclusion_proof(hashes[k:], index - k) + [root(hashes[:k])]


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first `old_size` hashes is a prefix of this one (RFC 6962 PROOF)."""
    if not 0 < old_size <= len(hashes):
        raise ValueError(f"no consistency proof from {old_size} to {len(hashes)}")
    return _subproof(old_size, hashes, True)


def _subproof(m: int, hashes: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root(hashes)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes[:k], complete) + [root(hashes[k:])]
    return _subproof(m - k, hashes[k:], False) + [root(hashes[:k])]


# The same tree functions over stored subtree hashes instead of a list of every leaf hash: a
# log that keeps its tree as tiles computes a root or a proof from O(log n) stored nodes. `node`
# gives the hash of the perfect subtree of 2^height leaves at position `index` (leaves
# index·2^height … (index+1)·2^height − 1). The ranges RFC 6962's recursion visits are always
# either such perfect subtrees or a right edge, which is split again.

Nodes = Callable[[int, int], bytes]


def subtree_root(node: Nodes, start: int, end: int) -> bytes:
    """MTH of leaves start … end − 1 (start aligned as RFC 6962's recursion leaves it)."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n & (n - 1) == 0 and start % n == 0:
        return node(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(subtree_root(node, start, start + k), subtree_root(node, start + k, end))


def inclusion_proof_of(node: Nodes, index: int, size: int, start: int = 0) -> list[bytes]:
    """inclusion_proof() of leaf `index` in the tree of `size` leaves, from stored nodes."""
    n = size - start
    if not start <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    if n == 1:
        return []
    k = _split(n)
    if index < start + k:
        return inclusion_proof_of(node, index, start + k, start) + [subtree_root(node, start + k, size)]
    return inclusion_proof_of(node, index, size, start + k) + [subtree_root(node, start, start + k)]


def consistency_proof_of(node: Nodes, old_size: int, size: int) -> list[bytes]:
    """consistency_proof() from `old_size` to `size`, from stored nodes."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from {old_size} to {size}")

    def subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [subtree_root(node, start, end)]
        k = _split(n)
        if m <= k:
            return subproof(m, start, start + k, complete) + [subtree_root(node, start + k, end)]
        return subproof(m - k, start + k, end, False) + [subtree_root(node, start, start + k)]

    return subproof(old_size, 0, size, True)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a perfect tree (a power-of-two count of hashes, e.g. a full tile's)."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); raise ValueError if malformed."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    try:
        return root_from_inclusion(leaf, index, size, proof) == expected_root
    except ValueError:
        return False


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does the tree of new_size extend the tree of old_size?"""
    if old_size == new_size:
        return old_root == new_root and not proof
    if old_size == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not 0 < old_size < new_size or not proof:
        return False
    proof = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        proof = [old_root] + proof
    fn, sn = old_size - 1, new_size - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- C2SP tlog-checkpoint ------------------------------------------------------------------

def checkpoint_body(origin: str, size: int, tree_root: bytes, extensions: Sequence[str] = ()) -> str:
    if not origin or "\n" in origin:
        raise ValueError("a checkpoint's origin is one non-empty line")
    lines = [origin, str(size), base64.b64encode(tree_root).decode()] + list(extensions)
    return "\n".join(lines) + "\n"


def parse_checkpoint(body: str) -> tuple[str, int, bytes, list[str]]:
    """(origin, size, root, extension lines) of a checkpoint's body; raise ValueError."""
    if not body.endswith("\n"):
        raise ValueError("a checkpoint ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise ValueError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise ValueError(f"bad tree size {size_text!r}")
    tree_root = base64.b64decode(root_text, validate=True)
    if len(tree_root) != HASH_SIZE:
        raise ValueError("the root hash is not 32 bytes")
    return origin, int(size_text), tree_root, lines[3:]


# --- C2SP signed-note (Ed25519) ------------------------------------------------------------

def key_id(name: str, public_key: bytes, key_type: int = ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(ch in name for ch in "+ \n") or not name.isprintable():
        raise ValueError(f"bad key name {name!r}")


def verifier_key(name: str, public_key: bytes, key_type: int = ED25519) -> str:
    """The note-format verifier key a reader pins: name+keyid+base64(type ‖ public key)."""
    _check_name(name)
    encoded = base64.b64encode(bytes([key_type]) + public_key).decode()
    return f"{name}+{key_id(name, public_key, key_type).hex()}+{encoded}"


def signer_key(name: str, seed: bytes) -> str:
    """The private key in the note format (PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed))."""
    from nacl.signing import SigningKey

    public = bytes(SigningKey(seed).verify_key)
    return f"PRIVATE+KEY+{name}+{key_id(name, public).hex()}+{base64.b64encode(bytes([ED25519]) + seed).decode()}"


def parse_verifier_key(text: str, key_type: int = ED25519) -> tuple[str, bytes, bytes]:
    """(name, key id, public key) of a verifier key of `key_type`; raise ValueError."""
    name, _, rest = text.strip().partition("+")
    id_hex, _, key_text = rest.partition("+")
    _check_name(name)
    raw = base64.b64decode(key_text, validate=True)
    if len(id_hex) != 8 or len(raw) != 33 or raw[0] != key_type:
        raise ValueError("not an Ed25519 verifier key" if key_type == ED25519 else "not a cosignature/v1 witness key")
    public = raw[1:]
    if key_id(name, public, key_type).hex() != id_hex:
        raise ValueError("the key id does not match the key")
    return name, bytes.fromhex(id_hex), public


def parse_signer_key(text: str) -> tuple[str, bytes]:
    """(name, seed) of a PRIVATE+KEY string; raise ValueError."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ValueError("not a signer key")
    name, id_hex, key_text = parts[2:]
    raw = base64.b64decode(key_text, validate=True)
    if len(raw) != 33 or raw[0] != ED25519:
        raise ValueError("not an Ed25519 signer key")
    if signer_key(name, raw[1:]).split("+")[3] != id_hex:
        raise ValueError("the key id does not match the key")
    return name, raw[1:]


def sign_note(text: str, name: str, seed: bytes) -> str:
    """`text` (ending in a newline) signed by the key: the text, a blank line, the signature."""
    from nacl.signing import SigningKey

    if not text.endswith("\n"):
        raise ValueError("a note's text ends with a newline")
    signing = SigningKey(seed)
    signature = signing.sign(text.encode()).signature
    blob = base64.b64encode(key_id(name, bytes(signing.verify_key)) + signature).decode()
    return f"{text}\n{EM_DASH} {name} {blob}\n"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(text, [(name, key id, signature)]) of a signed note; raise ValueError if malformed."""
    cut = note.rfind("\n\n")
    if cut == -1 or not note.endswith("\n"):
        raise ValueError("a signed note is text, a blank line and signature lines")
    text, signature_block = note[: cut + 1], note[cut + 2:]
    signatures = []
    for line in signature_block[:-1].split("\n"):
        prefix = f"{EM_DASH} "
        if not line.startswith(prefix):
            raise ValueError(f"not a signature line: {line!r}")
        name, _, blob_text = line[len(prefix):].rpartition(" ")
        blob = base64.b64decode(blob_text, validate=True)
        if len(blob) < 5:
            raise ValueError("a signature is too short")
        signatures.append((name, blob[:4], blob[4:]))
    return text, signatures


def verify_note(note: str, verifier: str) -> str:
    """The note's text if `verifier` (a verifier key) signed it; raise ValueError saying why not."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    name, wanted_id, public = parse_verifier_key(verifier)
    text, signatures = split_note(note)
    for signer, id_bytes, signature in signatures:
        if signer == name and id_bytes == wanted_id:
            try:
                VerifyKey(public).verify(text.encode(), signature)
            except BadSignatureError:
                raise ValueError(f"the signature of {name} does not verify: the note was altered") from None
            return text
    raise ValueError(f"the note carries no signature by {name} (key {wanted_id.hex()})")


# --- C2SP tlog-cosignature (witnesses) ----------------------------------------------------

def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, seed: bytes, timestamp: int) -> str:
    """A witness's cosignature line on a checkpoint body (what a witness returns)."""
    from nacl.signing import SigningKey

    signing = SigningKey(seed)
    identifier = key_id(name, bytes(signing.verify_key), COSIGNATURE_V1)
    signature = signing.sign(_cosigned_message(body, timestamp)).signature
    return f"{EM_DASH} {name} {base64.b64encode(identifier + struct.pack('>Q', timestamp) + signature).decode()}"


def verify_cosignature(body: str, name: str, blob: bytes, witness_key: str) -> int:
    """The timestamp of a witness's cosignature on `body`; raise ValueError if it is not valid."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    witness, wanted_id, public = parse_verifier_key(witness_key, COSIGNATURE_V1)
    if name != witness or blob[:4] != wanted_id or len(blob) != 4 + 8 + 64:
        raise ValueError(f"not a cosignature by {witness}")
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    try:
        VerifyKey(public).verify(_cosigned_message(body, timestamp), blob[12:])
    except BadSignatureError:
        raise ValueError(f"the cosignature of {witness} does not verify") from None
    return timestamp


# --- C2SP tlog-witness: the witness side --------------------------------------------------

MAX_PROOF_LINES = 63


def witness_verifier(name: str, seed: bytes) -> str:
    """A witness's cosignature/v1 verifier key (what a log lists in LOG_WITNESSES)."""
    from nacl.signing import SigningKey

    return verifier_key(name, bytes(SigningKey(seed).verify_key), COSIGNATURE_V1)


class Witness:
    """A witness of one log (C2SP tlog-witness): it cosigns a checkpoint of the log only when it
    proves consistent with the latest one it cosigned, which it keeps in `state` (a file, mode
    0600). A newsroom, the provincial office or anyone else runs one; a log that rewrites its
    history gets no cosignature from it, and the refusal is the evidence."""

    def __init__(self, name: str, seed: bytes, log_key: str, state: str):
        self.name, self.seed, self.log_key, self.state = name, seed, log_key, state
        self.log_origin = parse_verifier_key(log_key)[0]

    def verifier(self) -> str:
        return witness_verifier(self.name, self.seed)

    def latest(self) -> tuple[int, bytes | None]:
        """(size, root) of the latest checkpoint cosigned, (0, None) before the first."""
        try:
            with open(self.state, encoding="utf-8") as handle:
                note = handle.read()
        except FileNotFoundError:
            return 0, None
        _, size, tree_root, _ = parse_checkpoint(verify_note(note, self.log_key))
        return size, tree_root

    def add_checkpoint(self, request: bytes, now: int | None = None) -> tuple[int, str, str]:
        """Answer one add-checkpoint request: (HTTP status, content type, body)."""
        import fcntl
        import os
        import time

        try:
            text = request.decode("utf-8")
            head, _, note = text.partition("\n\n")
            lines = head.split("\n")
            if not lines[0].startswith("old ") or len(lines) - 1 > MAX_PROOF_LINES:
                raise ValueError("the request starts with an old size line and at most 63 proof lines")
            old_text = lines[0][4:]
            if not old_text.isdigit() or (old_text.startswith("0") and old_text != "0"):
                raise ValueError(f"bad old size {old_text!r}")
            old = int(old_text)
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            body, _ = split_note(note)
            origin, size, tree_root, _ = parse_checkpoint(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, "text/plain", f"{exc}\n"
        if origin != self.log_origin:
            return 404, "text/plain", f"unknown log {origin}\n"
        try:
            verify_note(note, self.log_key)
        except ValueError as exc:
            return 403, "text/plain", f"{exc}\n"
        if old > size:
            return 400, "text/plain", "the old size is larger than the checkpoint's\n"
        with open(self.state + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the check and the update are one step (the spec's race)
            known, known_root = self.latest()
            if old != known:
                return 409, "text/x.tlog.size", f"{known}\n"
            if old == size:
                if tree_root != known_root:
                    return 409, "text/plain", "a different tree of the same size: a fork\n"
            elif old == 0:
                if proof:
                    return 422, "text/plain", "the proof from size 0 is empty\n"
            elif not verify_consistency(old, size, known_root, tree_root, proof):
                return 422, "text/plain", (f"the checkpoint of {size} entries does not extend the one of {known} "
                                           "entries this witness cosigned: the log's history was rewritten\n")
            temporary = f"{self.state}.{os.getpid()}"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(note)
            os.replace(temporary, self.state)
        return 200, "text/plain", cosign(body, self.name, self.seed, int(time.time()) if now is None else now) + "\n"


def add_checkpoint_request(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """The body of an add-checkpoint request (what a log sends a witness)."""
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def serve_witness(witness: Witness, host: str, port: int) -> None:
    """The witness's HTTP interface: POST <prefix>/add-checkpoint (the submission prefix is the
    server's root here)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - the http.server interface
            if self.path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                self._answer(404, "text/plain", "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > 64 * 1024:
                self._answer(400, "text/plain", "request too large\n")
                return
            self._answer(*witness.add_checkpoint(self.rfile.read(length)))

        def _answer(self, status: int, content_type: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 - the http.server interface
            pass

    ThreadingHTTPServer((host, port), Handler).serve_forever()


# --- C2SP tlog-tiles -----------------------------------------------------------------------

def tile_index_path(n: int) -> str:
    """A tile index as path elements: 1234067 → x001/x234/067."""
    digits = f"{n:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{group}" for group in groups[:-1]] + [groups[-1]])


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    """tile/<L>/<N>[.p/<W>], or tile/entries/<N>[.p/<W>] for level "entries"."""
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{tile_index_path(n)}{partial}"


def parse_tile_index(path: str) -> int:
    """The number of x001/x234/067 (strict: the form tile_index_path writes, nothing else)."""
    parts = path.split("/")
    if not parts or any(len(p) != (4 if i < len(parts) - 1 else 3) for i, p in enumerate(parts)):
        raise ValueError("bad tile index")
    if any(not p.startswith("x") for p in parts[:-1]):
        raise ValueError("bad tile index")
    digits = "".join(p.lstrip("x") for p in parts)
    if not digits.isdigit():
        raise ValueError("bad tile index")
    n = int(digits)
    if tile_index_path(n) != path:
        raise ValueError("bad tile index")
    return n


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise ValueError("an entry is longer than 65535 bytes")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("a truncated entry bundle")
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if offset + length > len(data):
            raise ValueError("a truncated entry bundle")
        entries.append(data[offset:offset + length])
        offset += length
    return entries


def tile_hashes(leaf_hashes: Sequence[bytes], level: int, n: int, tree_size: int) -> list[bytes]:
    """The hashes tile (level, n) holds in a tree of `tree_size` leaves: at level L, each is
    the root of a complete subtree of 256^L leaves (a partial tile has fewer than 256)."""
    span = TILE_WIDTH ** level
    first = n * TILE_WIDTH
    count = min(TILE_WIDTH, tree_size // span - first)
    if count <= 0:
        raise ValueError("no such tile in a tree of this size")
    return [root(leaf_hashes[(first + i) * span:(first + i + 1) * span]) for i in range(count)]


# --- the command a reader runs -------------------------------------------------------------

def _read(path_or_url: str, site: str | None = None) -> bytes:
    if path_or_url.startswith(("http://", "https://")):
        import urllib.request

        # Only http(s) addresses the reader typed reach here (checked above): no file:// or custom scheme.
        with urllib.request.urlopen(path_or_url, timeout=30) as response:  # nosec B310
            return response.read()
    with open(path_or_url, "rb") as handle:
        return handle.read()


def _checkpoint(key: str, path: str) -> tuple[str, int, bytes]:
    note = _read(path).decode("utf-8")
    origin, size, tree_root, _ = parse_checkpoint(verify_note(note, key))
    return origin, size, tree_root


def check_inclusion(item: bytes, key: str, checkpoint_path: str, proof: dict) -> str:
    """Say where `item` is in the signed tree, or raise ValueError saying exactly why not."""
    import json

    origin, size, tree_root = _checkpoint(key, checkpoint_path)
    leaf_text = proof["leaf"]
    leaf = json.loads(leaf_text)
    digest = hashlib.sha256(item).hexdigest()
    if leaf.get("sha256") != digest:
        raise ValueError(f"the file's SHA-256 is {digest}; the log entry names {leaf.get('sha256')}: "
                         "this is not the published content (or not this entry's)")
    if proof["size"] != size:
        raise ValueError(f"the proof is for a tree of {proof['size']} entries, the checkpoint signs {size}")
    index = proof["index"]
    if leaf.get("seq") != index:
        raise ValueError("the entry's position and the proof's do not agree")
    path = [bytes.fromhex(h) for h in proof["proof"]]
    if not verify_inclusion(leaf_hash(leaf_text.encode("utf-8")), index, size, path, tree_root):
        raise ValueError("the inclusion proof does not lead to the signed root: the log was altered")
    return (f"included: entry {index} ({leaf['kind']} {leaf['id']} version {leaf['version']}, "
            f"{leaf['action']} on {leaf['published_at']}) is in the tree of {size} entries signed by {origin}")


def check_consistency(key: str, old_path: str, new_path: str, proof: dict) -> str:
    """Say that the newer signed tree extends the older, or raise ValueError showing the fork."""
    old_origin, old_size, old_root = _checkpoint(key, old_path)
    new_origin, new_size, new_root = _checkpoint(key, new_path)
    if old_origin != new_origin:
        raise ValueError(f"two different logs: {old_origin} and {new_origin}")
    if old_size > new_size:
        raise ValueError(f"the 'new' checkpoint ({new_size}) is older than the 'old' one ({old_size})")
    if (proof.get("old"), proof.get("new")) != (old_size, new_size):
        raise ValueError(f"the proof is from {proof.get('old')} to {proof.get('new')}, not {old_size} to {new_size}")
    path = [bytes.fromhex(h) for h in proof["proof"]]
    if not verify_consistency(old_size, new_size, old_root, new_root, path):
        raise ValueError(f"FORK: the tree of {new_size} entries does not extend the tree of {old_size} "
                         f"(old root {old_root.hex()}, new root {new_root.hex()}): the log's history was rewritten")
    return f"consistent: the tree of {new_size} entries extends the tree of {old_size} entries ({old_origin})"


def _witness_command(args) -> int:
    import os
    import secrets

    if args.witness_command == "keygen":
        seed = secrets.token_bytes(32)
        descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(signer_key(args.name, seed) + "\n")
        print(witness_verifier(args.name, seed))
        return 0
    with open(args.key, encoding="ascii") as handle:
        name, seed = parse_signer_key(handle.read())
    witness = Witness(name, seed, args.log_key, args.state)
    print(f"witness {witness.verifier()} of {witness.log_origin} on http://{args.host}:{args.port}/add-checkpoint",
          flush=True)
    serve_witness(witness, args.host, args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(prog="verify_publication.py", description=(
        "Check a portal's publication log offline: that a file you downloaded is in it, and that a "
        "newer checkpoint extends one you saved. Proofs come from saved files (--proof) or the site (--site)."))
    commands = parser.add_subparsers(dest="command", required=True)
    inclusion = commands.add_parser("inclusion", help="is this file in the signed log?")
    inclusion.add_argument("item", help="the downloaded file (a CSV, a source.json, ...)")
    consistency = commands.add_parser("consistency", help="does the newer checkpoint extend the older?")
    consistency.add_argument("--old", required=True, help="the checkpoint you saved earlier")
    consistency.add_argument("--new", required=True, help="the newer checkpoint")
    for command in (inclusion, consistency):
        command.add_argument("--key", required=True, help="the site's verifier key (name+id+key), as /log/ shows it")
        command.add_argument("--proof", help="a proof saved earlier (JSON from /log/proof/... or /log/consistency)")
        command.add_argument("--site", help="the site's address, to fetch the proof (e.g. https://example.gov.cn)")
    inclusion.add_argument("--checkpoint", required=True, help="the signed checkpoint (a file or /log/checkpoint)")
    witness = commands.add_parser("witness", help="run a witness of the log (C2SP tlog-witness)")
    witness_commands = witness.add_subparsers(dest="witness_command", required=True)
    keygen = witness_commands.add_parser("keygen", help="make the witness's key and print its verifier key")
    keygen.add_argument("--name", required=True, help="the witness's name, e.g. newsroom.example/witness")
    keygen.add_argument("--out", required=True, help="where to write the private key (mode 0600)")
    serve = witness_commands.add_parser("serve", help="answer add-checkpoint requests over HTTP")
    serve.add_argument("--key", required=True, help="the witness's private key file (from keygen)")
    serve.add_argument("--log-key", required=True, help="the log's verifier key, as its /log/ page shows it")
    serve.add_argument("--state", required=True, help="the file keeping the latest checkpoint cosigned")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    if args.command == "witness":
        return _witness_command(args)
    if not args.proof and not args.site:
        parser.error("give --proof (a saved proof) or --site (to fetch it)")
    try:
        if args.command == "inclusion":
            item = _read(args.item)
            if args.proof:
                proof = json.loads(_read(args.proof))
            else:
                _, size, _ = _checkpoint(args.key, args.checkpoint)
                digest = hashlib.sha256(item).hexdigest()
                found = json.loads(_read(f"{args.site.rstrip('/')}/log/lookup?sha256={digest}"))["entries"]
                if not found:
                    raise ValueError(f"no entry of the log names this file's SHA-256 ({digest})")
                seq = max(entry["seq"] for entry in found if entry["seq"] < size) if any(
                    entry["seq"] < size for entry in found) else None
                if seq is None:
                    raise ValueError("the file was logged after this checkpoint: fetch a newer checkpoint")
                proof = json.loads(_read(f"{args.site.rstrip('/')}/log/proof/{seq}?size={size}"))
            print(check_inclusion(item, args.key, args.checkpoint, proof))
        else:
            if args.proof:
                proof = json.loads(_read(args.proof))
            else:
                _, old_size, _ = _checkpoint(args.key, args.old)
                _, new_size, _ = _checkpoint(args.key, args.new)
                proof = json.loads(_read(f"{args.site.rstrip('/')}/log/consistency?old={old_size}&new={new_size}"))
            print(check_consistency(args.key, args.old, args.new, proof))
    except (ValueError, KeyError, OSError) as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
