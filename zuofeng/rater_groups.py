"""Rater groups (测评人员类别): declared per round with their weights, issued per token batch.

A round may declare rater groups such as 领导班子, 中层干部, 一般干部 and 服务对象, with the weights of
the weighted composite (民主测评 weights who rates: e.g. 0.2, 0.3, 0.3, 0.2). The group is a rater
attribute bound to the 答题码 when it is issued (:data:`zuofeng.axes.ATTRIBUTES` ``group``): the slip
prints it, the stored sheet carries it, the respondent never types it.

Tokens are issued per *batch*, a row of a small CSV file (``zuofeng tokens issue --groups FILE``)::

    department,group,count,targets
    BGS,中层干部,5,
    BGS,一般干部,9,
    ,服务对象,8,BGS KPB

A row with a department gives that many of its members the group: they get the tokens the department's
members get (self, inside view, its ``peer_targets``). A row without a department is a group that
belongs to no department (服务对象): its raters rate the departments in ``targets`` from outside. Chinese
headers work too (部门, 测评人员类别, 人数, 评价部门).

Anonymity: the group is stored on the sheet next to the rater's department, so a batch smaller than the
round's k would make the group a key to a person (the one 中层干部 of a small department). A batch of
fewer than k raters is therefore refused when it is issued; merge it into another group of the
department, or give the department one group.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .axes import NO_DEPARTMENT
from .errors import InputFileError, RoundError
from .roster import decode_bytes

NAME_RE = re.compile(r"^[^\s,，、;；=<>&\"']{1,20}$")
SEPARATORS = re.compile(r"[,，、]")
FORM = "--rater-groups 领导班子,中层干部,一般干部,服务对象 --group-weights 0.2,0.3,0.3,0.2"
HEADERS = {
    "department": ("department", "部门", "部门代码", "所在部门"),
    "group": ("group", "测评人员类别", "类别", "人员类别"),
    "count": ("count", "人数", "数量", "答题码数"),
    "targets": ("targets", "评价部门", "被评部门"),
}
MAX_BYTES = 1024 * 1024


def parse_rater_groups(names: str | None, weights: str | None = None) -> list[dict] | None:
    """``领导班子,中层干部`` and ``0.4,0.6`` → ``[{"name": "领导班子", "weight": 0.4}, …]``; None without names.

    Weights default to equal; they need not sum to 1 (the composite renormalises them). Bad input is a
    RoundError that shows the expected form.

    >>> parse_rater_groups("领导班子，中层干部、一般干部", "2,3,5")
    [{'name': '领导班子', 'weight': 2.0}, {'name': '中层干部', 'weight': 3.0}, {'name': '一般干部', 'weight': 5.0}]
    >>> parse_rater_groups("领导班子,一般干部")
    [{'name': '领导班子', 'weight': 0.5}, {'name': '一般干部', 'weight': 0.5}]
    """
    if names is None:
        if weights is not None:
            raise RoundError(f"--group-weights 需要同时给出 --rater-groups；格式：{FORM}",
                             f"--group-weights needs --rater-groups; expected form: {FORM}")
        return None
    groups = [g.strip() for g in SEPARATORS.split(names)]
    bad = [g for g in groups if not NAME_RE.match(g)]
    if not names.strip() or bad:
        raise RoundError(f"--rater-groups {names!r}：类别名称为 1-20 个字符，不含空格和标点；格式：{FORM}",
                         f"--rater-groups {names!r}: a group name is 1-20 characters without spaces or "
                         f"punctuation; expected form: {FORM}")
    if len(set(groups)) != len(groups):
        raise RoundError(f"--rater-groups {names!r} 中有重复的类别；格式：{FORM}",
                         f"--rater-groups {names!r} names a group twice; expected form: {FORM}")
    if weights is None:
        values = [1.0 / len(groups)] * len(groups)
    else:
        parts = [w.strip() for w in SEPARATORS.split(weights)]
        try:
            values = [float(w) for w in parts]
        except ValueError:
            values = []
        if (len(values) != len(groups) or any(not math.isfinite(w) or w < 0 for w in values)
                or not sum(values)):
            raise RoundError(f"--group-weights {weights!r}：请按 --rater-groups 的顺序为每个类别给一个数，共 "
                             f"{len(groups)} 个，不能为负，也不能全为 0；格式：{FORM}",
                             f"--group-weights {weights!r}: give {len(groups)} non-negative numbers, not all 0, "
                             f"one per group in the order of --rater-groups; expected form: {FORM}")
    return [{"name": g, "weight": w} for g, w in zip(groups, values)]


def check_rater_groups(groups) -> list[dict] | None:
    """Rater groups as a library caller gives them (``[{"name": …, "weight": …}, …]``, or names and
    weights as :func:`parse_rater_groups` takes them), checked; None for none."""
    if groups is None:
        return None
    if isinstance(groups, str):
        return parse_rater_groups(groups)
    try:
        names = ",".join(str(g["name"]) for g in groups)
        weights = ",".join(repr(float(g["weight"])) for g in groups)
    except (TypeError, KeyError, ValueError):
        raise RoundError(f"测评人员类别 {groups!r} 无效；格式：{FORM}",
                         f"rater groups {groups!r} are not allowed; expected form: {FORM}") from None
    return parse_rater_groups(names, weights)


def group_names(rnd: Mapping) -> list[str]:
    """The rater groups a round declares, in their order (empty when it declares none)."""
    return [g["name"] for g in rnd.get("rater_groups") or ()]


@dataclass(frozen=True)
class Batch:
    """One row of a batch file: ``count`` raters of ``group`` in ``department`` (``NO_DEPARTMENT``: none),
    who rate ``targets`` from outside when they belong to no department."""

    department: str
    group: str
    count: int
    targets: tuple[str, ...] = ()


def read_batches(path: str | Path, rnd: Mapping, depts: Mapping[str, Mapping]) -> list[Batch]:
    """The token batches of ``path`` for the round ``rnd`` with departments ``depts``, checked.

    Refused with the file's line: an unknown department, group or target; a count that is not a whole
    number of at least the round's k (a smaller group would point at a person); a department row with
    targets, or a row without a department and without targets; a department and group given twice; a
    department whose batches add up to more than its headcount.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputFileError(f"无法读取答题码批次文件 {p}：{e.strerror}",
                             f"cannot read the batch file {p}: {e.strerror}") from None
    if len(data) > MAX_BYTES:
        kb = MAX_BYTES // 1024
        raise InputFileError(f"答题码批次文件 {p} 超过 {kb} KB", f"the batch file {p} is larger than {kb} KB")
    rows = list(csv.reader(io.StringIO(decode_bytes(data, (f"答题码批次文件 {p}", f"the batch file {p}")))))
    if not rows:
        raise InputFileError(f"答题码批次文件 {p} 是空的；应有表头 department,group,count,targets",
                             f"the batch file {p} is empty; expected a header department,group,count,targets")
    header = [h.strip().lower() for h in rows[0]]
    col = {}
    for field, names in HEADERS.items():
        hit = [i for i, h in enumerate(header) if h in names]
        if hit:
            col[field] = hit[0]
    missing = [f for f in ("department", "group", "count") if f not in col]
    if missing:
        raise InputFileError(f"答题码批次文件 {p} 缺少列 {', '.join(missing)}；应有表头 "
                             "department,group,count,targets（或 部门,测评人员类别,人数,评价部门）",
                             f"the batch file {p} has no column {', '.join(missing)}; expected a header "
                             "department,group,count,targets (or 部门,测评人员类别,人数,评价部门)")
    groups = rnd.get("rater_groups") and {g["name"] for g in rnd["rater_groups"]}
    if not groups:
        raise RoundError(f"轮次 {rnd['code']} 没有设定测评人员类别（round create --rater-groups）：发放答题码时不要用 "
                         "--groups",
                         f"round {rnd['code']} declares no rater groups (round create --rater-groups): "
                         "issue its tokens without --groups")
    k = int(rnd["k_min"])
    out: list[Batch] = []
    seen: dict[tuple[str, str], int] = {}
    people: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where, where_zh = f"{p.name} line {line}", f"{p.name} 第 {line} 行"
        cell = {f: row[i].strip() if i < len(row) else "" for f, i in col.items()}
        dept, group, count = cell["department"], cell["group"], cell["count"]
        targets = cell.get("targets", "").split()
        if dept and dept not in depts:
            raise InputFileError(f"{where_zh}：没有部门 {dept!r}；名册中的部门：{', '.join(depts)}",
                                 f"{where}: unknown department {dept!r}; known: {', '.join(depts)}")
        if group not in groups:
            raise InputFileError(f"{where_zh}：测评人员类别 {group!r} 不是本轮次设定的类别：{', '.join(group_names(rnd))}",
                                 f"{where}: rater group {group!r} is not one of the round's: "
                                 f"{', '.join(group_names(rnd))}")
        if not count.isdigit() or int(count) < k:
            raise InputFileError(f"{where_zh}：{dept or '（无部门）'} {group} 的人数 {count!r} 必须是不小于 k = {k} "
                                 "的整数：人数更少的类别会指向具体的人；请把它并入另一个类别",
                                 f"{where}: count {count!r} of {dept or '(no department)'} {group} must be a whole "
                                 f"number of at least k = {k}: a smaller group would point at a person; merge it "
                                 "into another group")
        unknown = [t for t in targets if t not in depts]
        if unknown:
            raise InputFileError(f"{where_zh}：没有被评部门 {unknown[0]!r}；名册中的部门：{', '.join(depts)}",
                                 f"{where}: unknown target department {unknown[0]!r}; known: {', '.join(depts)}")
        if dept and targets:
            raise InputFileError(f"{where_zh}：targets（被评部门）只给不属于任何部门的测评人员；{dept} 的人员评价"
                                 "本部门所评价的部门",
                                 f"{where}: targets are for raters who belong to no department; members of {dept} "
                                 "rate what their department rates")
        if not dept and not targets:
            raise InputFileError(f"{where_zh}：没有部门的 {group} 需要给出所评价的部门（targets，部门代码以空格分隔）",
                                 f"{where}: {group} without a department needs the departments it rates "
                                 "(targets, codes separated by spaces)")
        if (dept, group) in seen:
            raise InputFileError(f"{where_zh}：{dept or '（无部门）'} {group} 重复（首次出现在第 {seen[(dept, group)]} 行）",
                                 f"{where}: {dept or '(no department)'} {group} is given twice "
                                 f"(first on line {seen[(dept, group)]})")
        seen[(dept, group)] = line
        if dept:
            if depts[dept].get("paper"):
                raise InputFileError(f"{where_zh}：{dept} 用纸质答卷投票，不发放答题码",
                                     f"{where}: {dept} votes on paper and is issued no tokens")
            people[dept] = people.get(dept, 0) + int(count)
            if people[dept] > depts[dept]["headcount"]:
                raise InputFileError(f"{where_zh}：{dept} 各批合计 {people[dept]} 人，超过其人数 "
                                     f"{depts[dept]['headcount']}",
                                     f"{where}: the batches of {dept} add up to {people[dept]} raters, more than "
                                     f"its headcount {depts[dept]['headcount']}")
        out.append(Batch(dept or NO_DEPARTMENT, group, int(count), tuple(dict.fromkeys(targets))))
    if not out:
        raise InputFileError(f"答题码批次文件 {p} 中没有批次", f"the batch file {p} has no batch rows")
    return out
