"""`content check` names the file and line of every problem and exits 1 when there is one."""
from __future__ import annotations

import pytest

from tests.content.helpers import read_content_dir
from tests.conftest import CONTENT_DIR
from tests.content.helpers import front_matter, write_content


def problems_of(root):
    return [str(problem) for problem in read_content_dir(root).all_problems]


def test_shipped_content_is_valid():
    content = read_content_dir(CONTENT_DIR)
    assert content.all_problems == []
    slugs = {record.slug for _, record in content.disclosures}
    assert "2020-integrity-plan" in slugs
    assert [d.name for d in content.departments] == [
        "办公室", "人事教育科", "综合协调科", "执法监督科", "科技和信息化科", "矿山救援队",
    ]


def test_plan_keeps_its_official_metadata():
    content = read_content_dir(CONTENT_DIR)
    plan = next(record for _, record in content.disclosures if record.slug == "2020-integrity-plan")
    assert plan.doc_no == "梅市应急〔2020〕52号"
    assert plan.publisher == "梅州市应急管理局"
    assert plan.written_on.isoformat() == "2020-08-07"
    assert plan.disclosure_mode == "on_request"
    assert plan.demo is False
    for heading in ("## 一、总体要求", "### （二）基本原则。", "## 四、落实保障措施"):
        assert heading in plan.body
    assert "⒌建立政府诚信第三方机构评估机制" in plan.body
    assert "（办公室、矿山救援队负责）" in plan.body


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    text = front_matter().replace("topic: 政务诚信", "topic: [政务诚信")
    path = write_content(tmp_path, {"disclosures/a.md": text}) / "disclosures/a.md"
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"{path}:")
    assert "YAML" in problem
    line = int(problem.split(":")[1])
    assert 9 <= line <= 11  # the topic line is line 9; PyYAML reports where it gave up


def test_unknown_key_names_its_line(tmp_path):
    text = front_matter(colour="red")
    path = write_content(tmp_path, {"disclosures/a.md": text}) / "disclosures/a.md"
    assert problems_of(tmp_path) == [f"{path}:12: 未知字段 (unknown key) 'colour'"]


def test_missing_key_is_reported(tmp_path):
    path = write_content(tmp_path, {"disclosures/a.md": front_matter(index_no=None)}) / "disclosures/a.md"
    assert problems_of(tmp_path) == [f"{path}:2: 缺少必填字段 (missing key) 'index_no'"]


@pytest.mark.parametrize("bad", ["2020-02-30", "2020/08/07", "昨天", "2020-8-7"])
def test_bad_date_names_its_line(tmp_path, bad):
    path = write_content(tmp_path, {"disclosures/a.md": front_matter(published_on=bad)}) / "disclosures/a.md"
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"{path}:8: published_on:")


def test_bad_choice_lists_the_allowed_values(tmp_path):
    write_content(tmp_path, {"disclosures/a.md": front_matter(disclosure_mode="公开")})
    (problem,) = problems_of(tmp_path)
    assert "主动公开 / 依申请公开" in problem


def test_duplicate_slug_and_index_no_are_reported_on_the_second_file(tmp_path):
    write_content(tmp_path, {
        "disclosures/a.md": front_matter(),
        "disclosures/b.md": front_matter(index_no="TEST-2024-00002"),
        "disclosures/c.md": front_matter(slug="other"),
    })
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith(f"{tmp_path}/disclosures/b.md:2: slug 'sample-notice'")
    assert problems[1].startswith(f"{tmp_path}/disclosures/c.md:4: index_no 'TEST-2024-00001'")


def test_non_utf8_file_names_the_line_of_the_first_bad_byte(tmp_path):
    gbk = front_matter().encode("utf-8").replace("正文第一段".encode(), "正文第一段".encode("gbk"))
    path = write_content(tmp_path, {"disclosures/a.md": gbk}) / "disclosures/a.md"
    assert problems_of(tmp_path) == [f"{path}:14: 文件不是 UTF-8 编码 (file is not UTF-8; save it as UTF-8)"]


def test_utf8_with_bom_is_accepted(tmp_path):
    write_content(tmp_path, {"disclosures/a.md": "\ufeff" + front_matter()})
    assert problems_of(tmp_path) == []


def test_unknown_department_is_reported(tmp_path):
    write_content(tmp_path, {"disclosures/a.md": front_matter(departments="[office, nowhere]")})
    (problem,) = problems_of(tmp_path)
    assert problem.endswith(":11: 未知部门 (unknown department) 'nowhere'")


def test_missing_front_matter_is_reported(tmp_path):
    write_content(tmp_path, {"disclosures/a.md": "# 只有正文\n"})
    (problem,) = problems_of(tmp_path)
    assert problem.endswith(":1: 缺少以 --- 开头和结尾的 YAML 头 (missing --- front matter)")


def test_attachment_disguised_as_pdf_is_refused(tmp_path):
    text = front_matter().replace(
        "departments: [office]",
        "departments: [office]\nattachments:\n  - file: attachments/report.pdf\n    title: 报告",
    )
    write_content(tmp_path, {
        "disclosures/a.md": text,
        "attachments/report.pdf": b"<html><script>alert(1)</script></html>",
    })
    (problem,) = problems_of(tmp_path)
    assert "content does not match the file extension" in problem


def test_attachment_outside_content_dir_is_refused(tmp_path):
    secret = tmp_path.parent / "outside.txt"
    secret.write_text("secret")
    text = front_matter().replace(
        "departments: [office]",
        "departments: [office]\nattachments:\n  - file: ../outside.txt\n    title: x",
    )
    write_content(tmp_path, {"disclosures/a.md": text})
    (problem,) = problems_of(tmp_path)
    assert "inside the content directory" in problem


def test_department_file_problems_are_reported(tmp_path):
    write_content(tmp_path, {}, departments="- slug: Office!\n  name: 办公室\n- slug: office\n")
    problems = problems_of(tmp_path)
    assert any(":1: slug:" in p for p in problems)
    assert any(":3: 缺少必填字段 (missing key) 'name'" in p for p in problems)


def test_check_command_prints_problems_and_exits_1(runner, tmp_path):
    path = write_content(tmp_path, {"disclosures/a.md": front_matter(colour="red")}) / "disclosures/a.md"
    result = runner.invoke(args=["content", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}:12: 未知字段 (unknown key) 'colour'" in result.output


def test_check_command_passes_on_shipped_content(runner):
    result = runner.invoke(args=["content", "check", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
