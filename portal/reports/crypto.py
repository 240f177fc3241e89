"""Encryption of reports at rest, with PyNaCl (libsodium).

Two kinds of key pair:

- The desk key: everything a reporter sends is sealed (a libsodium sealed box) to the desk's
  public key. Its private key is stored only encrypted with a passphrase that report handlers
  know (Argon2id + XSalsa20-Poly1305), so the server alone cannot read a report.
- A reporter key per report, derived from its receipt code and the server's RECEIPT_PEPPER:
  what the desk writes back to the reporter is sealed to it as well, so that the reporter, and
  only someone holding the code, reads the replies. Its public key is stored; the code never is,
  and without the pepper (kept out of the database and its backups) a database copy cannot test
  a guessed or seized code against it.

Every plaintext is padded before sealing, so a ciphertext's length tells its size bucket, not
the number of characters a reporter typed: up to 64 KiB (every text a report holds) the next
power of two, at least 1 KiB; above that (files) Padmé, from the PURB paper (at most 12% larger,
the length leaks O(log log n) bits).
"""
from __future__ import annotations

import hashlib
import hmac
import struct

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

MIN_PASSPHRASE_LENGTH = 12

# Argon2id cost of unlocking the desk key: about half a second and 256 MB, paid once per unlock.
_KDF_COST = {"opslimit": argon2id.OPSLIMIT_MODERATE, "memlimit": argon2id.MEMLIMIT_MODERATE}


class DecryptionFailed(Exception):
    """Wrong passphrase or key, or damaged ciphertext."""


def use_cheap_kdf_for_tests() -> None:
    """Argon2id at its minimal cost, for tests only (the real cost is checked by a test)."""
    _KDF_COST.update(opslimit=argon2id.OPSLIMIT_MIN, memlimit=argon2id.MEMLIMIT_MIN)


def kdf_cost() -> dict:
    return dict(_KDF_COST)


def new_desk_key(passphrase: str) -> tuple[bytes, bytes, bytes, dict]:
    """A new desk key pair: (public key, locked private key, salt, KDF cost)."""
    private = PrivateKey.generate()
    salt = nacl.utils.random(argon2id.SALTBYTES)
    cost = kdf_cost()
    locked = SecretBox(_passphrase_key(passphrase, salt, cost)).encrypt(bytes(private))
    return bytes(private.public_key), bytes(locked), salt, cost


def unlock_desk_key(locked: bytes, passphrase: str, salt: bytes, cost: dict) -> bytes:
    """The desk's private key (32 bytes), or DecryptionFailed for a wrong passphrase."""
    try:
        return SecretBox(_passphrase_key(passphrase, salt, cost)).decrypt(locked)
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionFailed from exc


def _passphrase_key(passphrase: str, salt: bytes, cost: dict) -> bytes:
    return argon2id.kdf(SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                        opslimit=cost["opslimit"], memlimit=cost["memlimit"])


# Padded plaintexts start with this marker; nothing stored before padding existed does (reports
# were JSON, text without control characters, or files that start with their format's magic).
_PADDED = b"\x00pad1"
_MIN_PADDED = 1024
_POWER_OF_TWO_UP_TO = 64 * 1024


def padded_length(length: int) -> int:
    """The size bucket of a plaintext of `length` bytes."""
    length = max(length, _MIN_PADDED)
    if length <= _POWER_OF_TWO_UP_TO:
        return 1 << (length - 1).bit_length()
    # Padmé: keep the top bits of the length, round the rest up.
    exponent = length.bit_length() - 1
    mantissa_bits = exponent.bit_length()
    low_bits = exponent - mantissa_bits
    mask = (1 << low_bits) - 1
    return (length + mask) & ~mask


def pad(plaintext: bytes) -> bytes:
    framed = _PADDED + struct.pack(">Q", len(plaintext)) + plaintext
    return framed + bytes(padded_length(len(framed)) - len(framed))


def unpad(data: bytes) -> bytes:
    if not data.startswith(_PADDED):
        return data  # sealed before padding was introduced
    (length,) = struct.unpack(">Q", data[len(_PADDED):len(_PADDED) + 8])
    start = len(_PADDED) + 8
    return data[start:start + length]


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    return SealedBox(PublicKey(public_key)).encrypt(pad(plaintext))


def unseal(private_key: bytes, ciphertext: bytes) -> bytes:
    try:
        return unpad(SealedBox(PrivateKey(private_key)).decrypt(ciphertext))
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionFailed from exc


def reporter_private_key(pepper: str, receipt_code: str) -> bytes:
    """The reporter's private key, from the (normalised) receipt code and the server's pepper.
    The code carries 120 random bits, so a fast derivation is as strong as a slow one; the
    pepper makes a database copy alone useless for testing codes."""
    return hmac.new(pepper.encode(), b"reporter-key\x00" + receipt_code.encode(), hashlib.sha256).digest()


def legacy_reporter_private_key(receipt_code: str) -> bytes:
    """How reporter keys were derived before they took the pepper (reports filed then are moved
    to the new key the first time their reporter follows up)."""
    return hashlib.blake2b(receipt_code.encode(), digest_size=32, person=b"portal-reporter").digest()


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(private_key).public_key)


def wrap(key: bytes, plaintext: bytes) -> bytes:
    """Symmetric encryption with a random 32-byte key (the unlocked desk key in a staff session)."""
    return bytes(SecretBox(key).encrypt(plaintext))


def unwrap(key: bytes, ciphertext: bytes) -> bytes:
    try:
        return SecretBox(key).decrypt(ciphertext)
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionFailed from exc


def keyed_hash(pepper: str, purpose: str, value: str) -> str:
    """HMAC-SHA-256 of `value` under the server's pepper, separated by purpose."""
    return hmac.new(pepper.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
