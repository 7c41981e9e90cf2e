"""The instrument matches the campaign plan character for character, and bad files name the bad field."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from tests.support.store import DATA
from zuofeng.errors import InstrumentError
from zuofeng.instrument import instrument_text, load_instrument, parse_instrument


def plan_section_three():
    """Parse section 三 of the plan (a copy of the official text) independently of the instrument file."""
    text = (DATA / "campaign_plan_2022.txt").read_text(encoding="utf-8")
    body = text[text.index("三、提升重点"):text.index("四、有关要求")]
    heads, items, current = {}, {}, None
    for line in body.splitlines():
        if m := re.fullmatch(r"\((.)\)(.+)", line):
            current = m.group(1)
            heads[current] = m.group(2)
        elif m := re.fullmatch(r"(\d+)[. ]\s?(.+)", line):
            items[int(m.group(1))] = (current, m.group(2))
    return body, heads, items


def test_items_and_headings_are_the_plan_verbatim():
    inst = load_instrument()
    _, heads, items = plan_section_three()
    assert len(items) == 22 and len(heads) == 5
    assert [d.id for d in inst.dimensions] == list(heads)
    for d in inst.dimensions:
        assert d.heading.zh == heads[d.id]
    got = {i.number: (i.dimension, i.text.zh) for i in inst.items}
    assert got == items


def test_plan_quirks_are_kept():
    inst = load_instrument()
    assert inst.item(4).text.zh.count(",") == 1  # a half-width comma in the official text
    assert "考察*重要讲话精神" in inst.item(3).text.zh  # redacted place names stay redacted
    assert inst.dimensions[1].heading.zh.startswith("对照整治")
    assert inst.dimensions[0].heading.zh.startswith("对照政治")


def test_announced_versus_listed_counts():
    inst = load_instrument()
    body, _, _ = plan_section_three()
    assert "6个方面27个问题" in body and "求真务实不力" in body
    assert (inst.announced_aspects, inst.announced_problems) == (6, 27)
    assert (len(inst.dimensions), len(inst.items)) == (5, 22)
    assert inst.sixth_aspect.zh == "求真务实不力"
    assert "6" in inst.count_note.zh and "27" in inst.count_note.zh and "22" in inst.count_note.zh


def test_labels_translations_red_lines_and_scales():
    inst = load_instrument()
    for it in inst.items:
        assert 0 < len(it.label.zh) <= 12
        assert it.text.en.isascii() and it.label.en.isascii() and len(it.text.en) > 40
    reds = {i.number for i in inst.items if i.red_line}
    assert {10, 11} <= reds
    assert [o.text.zh for o in inst.item_scale.options] == ["不存在", "个别存在", "一定程度存在", "比较突出", "非常突出"]
    assert inst.item_scale.values == (1, 2, 3, 4, 5) and inst.item_scale.missing.zh == "不了解"
    assert [(o.value, o.score, o.satisfied) for o in inst.overall_scale.options] == [
        ("好", 100, True), ("较好", 80, True), ("一般", 60, False), ("差", 40, False)]


def _doc():
    return yaml.safe_load(instrument_text())


@pytest.mark.parametrize("mutate, field, field_en", [
    (lambda d: d["dimensions"][0]["items"][0].pop("text"), r"问卷字段 dimensions\[0\].items\[0\].text 缺失",
     r"dimensions\[0\].items\[0\].text is missing"),
    (lambda d: d["dimensions"][1]["items"][0].update(number=1), r"dimensions\[1\].items\[0\].number 与第 1 题重复",
     r"dimensions\[1\].items\[0\].number duplicates item 1"),
    (lambda d: d["dimensions"][0]["items"][0]["label"].update(en=""), r"items\[0\].label.en 为空",
     r"items\[0\].label.en is empty"),
    (lambda d: d["dimensions"][2].update(id="一"), r"dimensions\[2\].id 与方面 一 重复",
     r"dimensions\[2\].id duplicates dimension 一"),
    (lambda d: d["scales"]["item"]["options"].pop(), r"problem_values 不是量表中的值",
     r"problem_values are not scale values"),
    (lambda d: d["scales"]["overall"]["options"][0].pop("score"), r"options\[0\] 需要 score",
     r"options\[0\] needs score"),
    (lambda d: d["listed"].update(items=27), r"listed 与文件中的方面数和题数不符", r"listed does not match"),
    (lambda d: d["dimensions"][4]["items"].pop(), r"listed 与文件中的方面数和题数不符", r"listed does not match"),
    (lambda d: d["dimensions"][0]["items"][0].update(red_line="yes"), r"red_line 必须是 bool",
     r"red_line must be bool"),
])
def test_bad_instrument_names_the_field(mutate, field, field_en):
    doc = copy.deepcopy(_doc())
    mutate(doc)
    with pytest.raises(InstrumentError, match=field) as e:
        parse_instrument(doc)
    assert re.search(field_en, e.value.en), e.value.en


def test_unknown_instrument_version_lists_what_exists():
    with pytest.raises(InstrumentError, match=r"没有问卷 zuofeng-2022 v9；可用的问卷：zuofeng-2022.v1") as e:
        load_instrument("zuofeng-2022", 9)
    assert e.value.en == "unknown instrument zuofeng-2022 v9; available: zuofeng-2022.v1"


def test_instrument_is_frozen():
    inst = load_instrument()
    with pytest.raises(AttributeError):
        inst.items[0].text = None  # type: ignore[misc]
