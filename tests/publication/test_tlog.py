"""The log's hashing, proofs, checkpoints, notes and tiles against the standards' published
answers, then properties over random trees: every honest proof verifies, any flipped bit fails.

Known answers used (as data):
- RFC 6962 tree heads and audit paths: transparency-dev/merkle, testonly/constants.go (the
  Certificate Transparency reference leaves "", 00, 10, 2021, …).
- Signed notes: golang.org/x/mod/sumdb/note, the PeterNeumann example of its documentation and
  note_test.go (Ed25519 signing is deterministic, so the signature must match byte for byte);
  and the example of the C2SP signed-note specification (example.com/foo).
- Tile paths: the C2SP tlog-tiles specification's example (1234067 → x001/x234/067).
"""
from __future__ import annotations

import random

import pytest

from portal.publication import tlog

CT_LEAVES = [bytes.fromhex(h) for h in
             ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (GO_TEXT + "\n\u2014 PeterNeumann "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_tree_heads_are_rfc_6962s():
    hashes = [tlog.leaf_hash(leaf) for leaf in CT_LEAVES]
    assert [tlog.root(hashes[:n]).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize("index, size", sorted(CT_INCLUSION))
def test_audit_paths_are_rfc_6962s(index, size):
    hashes = [tlog.leaf_hash(leaf) for leaf in CT_LEAVES]
    proof = tlog.inclusion_proof(hashes[:size], index)
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    assert tlog.verify_inclusion(hashes[index], index, size, proof, bytes.fromhex(CT_ROOTS[size]))


def test_notes_are_signed_and_keyed_as_go_sumdb_note_does():
    name, seed = tlog.parse_signer_key(GO_SKEY)
    assert name == "PeterNeumann" and tlog.signer_key(name, seed) == GO_SKEY
    from nacl.signing import SigningKey

    assert tlog.verifier_key(name, bytes(SigningKey(seed).verify_key)) == GO_VKEY
    assert tlog.sign_note(GO_TEXT, name, seed) == GO_NOTE
    assert tlog.verify_note(GO_NOTE, GO_VKEY) == GO_TEXT


def test_the_signed_note_specifications_example_verifies():
    assert tlog.verify_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"


@pytest.mark.parametrize("tamper", [
    lambda note: note.replace("cryptography", "cryptograpHy"),
    lambda note: note.replace("x08go", "x09go"),
    lambda note: note.replace("PeterNeumann x08", "PeterNewman x08"),
])
def test_an_altered_note_does_not_verify(tamper):
    with pytest.raises(ValueError):
        tlog.verify_note(tamper(GO_NOTE), GO_VKEY)


def test_a_note_signed_by_another_key_is_refused_by_name():
    other = tlog.sign_note(GO_TEXT, "PeterNeumann", b"\x07" * 32)
    with pytest.raises(ValueError, match="no signature by PeterNeumann"):
        tlog.verify_note(other, GO_VKEY)


def test_checkpoints_round_trip_and_refuse_malformed_bodies():
    body = tlog.checkpoint_body("example.com/log", 8, bytes.fromhex(CT_ROOTS[8]))
    assert body.splitlines()[1] == "8"
    assert tlog.parse_checkpoint(body) == ("example.com/log", 8, bytes.fromhex(CT_ROOTS[8]), [])
    for broken in (body[:-1], body.replace("\n8\n", "\n08\n"), body.replace("\n8\n", "\n-1\n"), "a\n1\n"):
        with pytest.raises(ValueError):
            tlog.parse_checkpoint(broken)


def test_tile_paths_are_the_specifications():
    assert tlog.tile_index_path(1234067) == "x001/x234/067"
    assert tlog.tile_index_path(5) == "005"
    assert tlog.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tlog.tile_path("entries", 5, 17) == "tile/entries/005.p/17"
    for n in (0, 5, 999, 1000, 1234067):
        assert tlog.parse_tile_index(tlog.tile_index_path(n)) == n
    for bad in ("5", "0005", "x000/005", "x1/234", "../005", "abc"):
        with pytest.raises(ValueError):
            tlog.parse_tile_index(bad)


def test_entry_bundles_round_trip():
    entries = [b"", b"a", bytes(300)]
    assert tlog.parse_entry_bundle(tlog.entry_bundle(entries)) == entries
    with pytest.raises(ValueError):
        tlog.parse_entry_bundle(tlog.entry_bundle(entries)[:-1])


def test_a_level_one_tile_holds_the_roots_of_full_level_zero_tiles():
    hashes = [tlog.leaf_hash(bytes([i % 256, i // 256])) for i in range(600)]
    assert tlog.tile_hashes(hashes, 1, 0, 600) == [tlog.root(hashes[:256]), tlog.root(hashes[256:512])]
    assert len(tlog.tile_hashes(hashes, 0, 2, 600)) == 600 - 512


def _flip(data: bytes, bit: int) -> bytes:
    return bytes(b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(data))


def test_random_trees_every_honest_proof_verifies_and_any_flipped_bit_fails():
    rng = random.Random(6962)
    for size in list(range(1, 34)) + [rng.randrange(34, 300) for _ in range(4)]:
        hashes = [tlog.leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(size)]
        tree_root = tlog.root(hashes)
        for index in range(size) if size < 34 else rng.sample(range(size), 12):
            proof = tlog.inclusion_proof(hashes, index)
            assert tlog.verify_inclusion(hashes[index], index, size, proof, tree_root)
            bit = rng.randrange(256)
            assert not tlog.verify_inclusion(_flip(hashes[index], bit), index, size, proof, tree_root)
            assert not tlog.verify_inclusion(hashes[index], index, size, proof, _flip(tree_root, bit))
            if proof:
                k = rng.randrange(len(proof))
                bad = proof[:k] + [_flip(proof[k], bit)] + proof[k + 1:]
                assert not tlog.verify_inclusion(hashes[index], index, size, bad, tree_root)
                assert not tlog.verify_inclusion(hashes[index], index, size, proof[:-1], tree_root)
            if size > 1:
                assert not tlog.verify_inclusion(hashes[index], (index + 1) % size, size, proof, tree_root)
        for old in range(1, size + 1) if size < 34 else rng.sample(range(1, size), 12):
            proof = tlog.consistency_proof(hashes, old)
            old_root = tlog.root(hashes[:old])
            assert tlog.verify_consistency(old, size, old_root, tree_root, proof)
            if proof:
                bit = rng.randrange(256)
                k = rng.randrange(len(proof))
                bad = proof[:k] + [_flip(proof[k], bit)] + proof[k + 1:]
                assert not tlog.verify_consistency(old, size, old_root, tree_root, bad)
                assert not tlog.verify_consistency(old, size, _flip(old_root, bit), tree_root, proof)
                assert not tlog.verify_consistency(old, size, old_root, _flip(tree_root, bit), proof)


def test_a_forked_history_is_not_consistent():
    honest = [tlog.leaf_hash(bytes([i])) for i in range(10)]
    forked = honest[:6] + [tlog.leaf_hash(b"rewritten")] + honest[7:]
    proof = tlog.consistency_proof(forked, 8)
    assert not tlog.verify_consistency(8, 10, tlog.root(honest[:8]), tlog.root(forked), proof)
