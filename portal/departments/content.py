"""content/departments.yaml: the bureau's departments, in the order the plan lists them."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from portal.content.fields import Field, parse_mapping, slug_field, text_field
from portal.content.files import Problem, read_yaml

DEPARTMENTS_FILE = "departments.yaml"
DEPARTMENT_FIELDS: dict[str, Field] = {
    "slug": Field(slug_field),
    "name": Field(text_field(40)),
    "description": Field(text_field(1000), required=False),
}


@dataclasses.dataclass(frozen=True)
class DepartmentRecord:
    slug: str
    name: str
    description: str = ""
    position: int = 0


def read_departments(path: Path) -> tuple[list[DepartmentRecord], list[Problem]]:
    problems: list[Problem] = []
    node, data = read_yaml(path, problems)
    if node is None:
        return [], problems
    if not isinstance(node, yaml.SequenceNode):
        return [], [Problem(path, 1, "应为部门列表 (expected a list of departments)")]
    records: list[DepartmentRecord] = []
    seen: dict[str, int] = {}
    for position, (item_node, item) in enumerate(zip(node.value, data)):
        line = item_node.start_mark.line + 1
        if not isinstance(item_node, yaml.MappingNode):
            problems.append(Problem(path, line, "每个部门应为键值对 (each department is a mapping)"))
            continue
        before = len(problems)
        values = parse_mapping(item_node, item, DEPARTMENT_FIELDS, path, 1, problems)
        for key in ("slug", "name"):
            if key in values and values[key] in seen:
                problems.append(Problem(path, line, f"{key} 重复 (duplicate {key}) {values[key]!r}"))
            seen.setdefault(values.get(key, ""), line)
        if len(problems) == before:
            records.append(DepartmentRecord(position=position, **values))
    return records, problems
