"""bandit over portal/: no medium or high finding. Each `# nosec` in portal/ names its check and
sits under a comment saying why the line is safe."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.quality
PORTAL = Path(__file__).resolve().parents[2] / "portal"


def test_bandit_finds_nothing_of_medium_or_high_severity():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-q", "-r", str(PORTAL), "--severity-level", "medium",
         "-f", "custom", "--msg-template", "{relpath}:{line}: {test_id} {severity} {msg}"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_nosec_names_its_check_and_says_why():
    for path in PORTAL.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "# nosec" in line:
                assert "# nosec B" in line, f"{path}:{number + 1}: name the check"
                assert lines[number - 1].strip().startswith("#"), f"{path}:{number + 1}: say why above"
