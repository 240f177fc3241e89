"""Write small content directories for tests."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from portal.departments.content import DEPARTMENTS_FILE, read_departments
from portal.disclosures.content import read_disclosures

DEPARTMENTS = """\
- slug: office
  name: 办公室
- slug: personnel-education
  name: 人事教育科
"""


def front_matter(**overrides) -> str:
    """A valid disclosure file, with keys replaced (None removes a key)."""
    fields = {
        "slug": "sample-notice",
        "title": "关于示例事项的通知",
        "index_no": "TEST-2024-00001",
        "doc_no": "梅市应急〔2024〕1号",
        "publisher": "梅州市应急管理局",
        "written_on": "2024-03-01",
        "published_on": "2024-03-02",
        "topic": "政务诚信",
        "disclosure_mode": "主动公开",
        "departments": "[office]",
    }
    fields.update(overrides)
    lines = [f"{key}: {value}" for key, value in fields.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n正文第一段。\n"


def write_content(root: Path, files: dict[str, str | bytes], departments: str | None = DEPARTMENTS) -> Path:
    if departments is not None:
        (root / "departments.yaml").write_text(departments, encoding="utf-8")
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


@dataclasses.dataclass
class ContentRead:
    departments: list
    disclosures: list
    all_problems: list


def read_content_dir(root: Path) -> ContentRead:
    """The departments and disclosures of a content directory as `content check` reads them,
    without a database: departments.yaml, then the disclosures checked against it."""
    path = root / DEPARTMENTS_FILE
    departments, problems = read_departments(path) if path.exists() else ([], [])
    disclosures, disclosure_problems = read_disclosures(root, {d.slug for d in departments})
    return ContentRead(departments, disclosures, problems + disclosure_problems)
