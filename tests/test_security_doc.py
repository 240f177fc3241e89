"""Every test SECURITY.md names for a claim exists, so the document cannot cite a test that was
renamed or removed."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_named_in_security_md_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    current_file = None
    named = 0
    for match in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(test_\w+))?`|`::(test_\w+)`", text):
        path, test, bare = match.groups()
        if path:
            current_file = ROOT / path
            assert current_file.is_file(), path
        name = test or bare
        if name:
            assert current_file is not None
            assert re.search(rf"^def {name}\(", current_file.read_text(encoding="utf-8"), re.M), f"{current_file}::{name}"
            named += 1
    assert named >= 20
