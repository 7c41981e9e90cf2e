"""The instrument: a versioned YAML data file inside the package, validated into frozen dataclasses.

Adding the announced sixth dimension means a new file ``<id>.v<version>.yaml``, never a code change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from .errors import InstrumentError

LANGS = ("zh", "en")
DEFAULT_ID = "zuofeng-2022"
DEFAULT_VERSION = 1


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Option:
    value: Any
    text: Text
    score: float | None = None
    satisfied: bool | None = None


@dataclass(frozen=True)
class Scale:
    question: Text
    options: tuple[Option, ...]
    missing: Text

    @property
    def values(self) -> tuple:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Item:
    number: int
    dimension: str
    text: Text
    label: Text
    red_line: bool

    @property
    def key(self) -> str:
        return f"q{self.number:02d}"


@dataclass(frozen=True)
class Dimension:
    id: str
    heading: Text
    label: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    title: Text
    source: Text
    announced_aspects: int
    announced_problems: int
    sixth_aspect: Text
    count_note: Text
    item_scale: Scale
    problem_values: tuple[int, ...]
    overall_scale: Scale
    red_line_share: float
    red_line_values: tuple[int, ...]
    red_line_note: Text
    dimensions: tuple[Dimension, ...]
    sha256: str
    clue_words: tuple[str, ...] = ()  # optional red_line.clue_words: words that mark a suggestion as a clue

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for d in self.dimensions for i in d.items)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items)

    def item(self, number: int) -> Item:
        for i in self.items:
            if i.number == number:
                return i
        raise InstrumentError(f"问卷 {self.id} v{self.version} 没有第 {number} 题",
                              f"instrument {self.id} v{self.version} has no item {number}")

    def to_records(self) -> list[dict]:
        """One dict per item, in item order: the `instrument show --format json` view."""
        return [
            {
                "number": i.number,
                "key": i.key,
                "dimension": i.dimension,
                "text_zh": i.text.zh,
                "label_zh": i.label.zh,
                "text_en": i.text.en,
                "label_en": i.label.en,
                "red_line": i.red_line,
            }
            for i in self.items
        ]


def _get(node: Any, key: str, where: str, kind: type | tuple = object) -> Any:
    if not isinstance(node, dict) or key not in node:
        raise InstrumentError(f"问卷字段 {where}.{key} 缺失", f"instrument field {where}.{key} is missing")
    value = node[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        kind_name = getattr(kind, '__name__', kind)
        raise InstrumentError(f"问卷字段 {where}.{key} 必须是 {kind_name}",
                              f"instrument field {where}.{key} must be {kind_name}")
    return value


def _text(node: Any, key: str, where: str) -> Text:
    t = _get(node, key, where, dict)
    out = {}
    for lang in LANGS:
        s = _get(t, lang, f"{where}.{key}", str)
        if not s.strip():
            raise InstrumentError(f"问卷字段 {where}.{key}.{lang} 为空", f"instrument field {where}.{key}.{lang} is empty")
        out[lang] = s
    return Text(**out)


def _scale(node: Any, where: str) -> Scale:
    opts = _get(node, "options", where, list)
    if len(opts) < 2:
        raise InstrumentError(f"问卷字段 {where}.options 至少要有两个选项",
                              f"instrument field {where}.options needs at least two options")
    options = []
    for n, o in enumerate(opts):
        w = f"{where}.options[{n}]"
        value = _get(o, "value", w, (int, str))
        text = Text(zh=_get(o, "zh", w, str), en=_get(o, "en", w, str))
        score = o.get("score")
        if score is not None and not isinstance(score, (int, float)):
            raise InstrumentError(f"问卷字段 {w}.score 必须是数字", f"instrument field {w}.score must be a number")
        options.append(Option(value, text, score, o.get("satisfied")))
    if len({o.value for o in options}) != len(options):
        raise InstrumentError(f"问卷字段 {where}.options 有重复的值", f"instrument field {where}.options has duplicate values")
    return Scale(_text(node, "question", where), tuple(options), _text(node, "missing", where))


def parse_instrument(doc: Any, sha256: str = "") -> Instrument:
    """Validate a parsed instrument document; raise InstrumentError naming the bad field."""
    if not isinstance(doc, dict):
        raise InstrumentError("问卷文件的内容必须是映射（键：值）", "instrument document must be a mapping")
    scales = _get(doc, "scales", "", dict)
    item_scale = _scale(_get(scales, "item", "scales", dict), "scales.item")
    if item_scale.values != tuple(range(1, len(item_scale.options) + 1)):
        raise InstrumentError("问卷字段 scales.item.options 的值必须依次为 1..n",
                              "instrument field scales.item.options values must be 1..n in order")
    overall = _scale(_get(scales, "overall", "scales", dict), "scales.overall")
    for n, o in enumerate(overall.options):
        if o.score is None or o.satisfied is None:
            raise InstrumentError(f"问卷字段 scales.overall.options[{n}] 需要 score 和 satisfied",
                                  f"instrument field scales.overall.options[{n}] needs score and satisfied")
    problem_values = tuple(_get(scales["item"], "problem_values", "scales.item", list))
    if not set(problem_values) <= set(item_scale.values):
        raise InstrumentError("问卷字段 scales.item.problem_values 不是量表中的值",
                              "instrument field scales.item.problem_values are not scale values")

    dims, seen_ids, seen_numbers = [], set(), set()
    for dn, d in enumerate(_get(doc, "dimensions", "", list)):
        w = f"dimensions[{dn}]"
        did = _get(d, "id", w, str)
        if did in seen_ids:
            raise InstrumentError(f"问卷字段 {w}.id 与方面 {did} 重复", f"instrument field {w}.id duplicates dimension {did}")
        seen_ids.add(did)
        items = []
        for n, it in enumerate(_get(d, "items", w, list)):
            wi = f"{w}.items[{n}]"
            num = _get(it, "number", wi, int)
            if num in seen_numbers:
                raise InstrumentError(f"问卷字段 {wi}.number 与第 {num} 题重复",
                                      f"instrument field {wi}.number duplicates item {num}")
            seen_numbers.add(num)
            items.append(Item(num, did, _text(it, "text", wi), _text(it, "label", wi),
                              bool(_get(it, "red_line", wi, bool))))
        if not items:
            raise InstrumentError(f"问卷字段 {w}.items 为空", f"instrument field {w}.items is empty")
        dims.append(Dimension(did, _text(d, "heading", w), _text(d, "label", w), tuple(items)))
    if not dims:
        raise InstrumentError("问卷字段 dimensions 为空", "instrument field dimensions is empty")
    if sorted(seen_numbers) != list(range(1, len(seen_numbers) + 1)):
        raise InstrumentError("问卷的题号必须从 1 到 n 连续编号", "instrument item numbers must run 1..n without gaps")

    listed = _get(doc, "listed", "", dict)
    if _get(listed, "dimensions", "listed", int) != len(dims) or _get(listed, "items", "listed", int) != len(seen_numbers):
        raise InstrumentError("问卷字段 listed 与文件中的方面数和题数不符",
                              "instrument field listed does not match the dimensions and items in the file")
    announced = _get(doc, "announced", "", dict)
    red = _get(doc, "red_line", "", dict)
    share = _get(red, "min_share", "red_line", (int, float))
    if not 0 < share <= 1:
        raise InstrumentError("问卷字段 red_line.min_share 必须在 (0, 1] 之内",
                              "instrument field red_line.min_share must be in (0, 1]")
    return Instrument(
        id=_get(doc, "id", "", str),
        version=_get(doc, "version", "", int),
        title=_text(doc, "title", ""),
        source=_text(doc, "source", ""),
        announced_aspects=_get(announced, "aspects", "announced", int),
        announced_problems=_get(announced, "problems", "announced", int),
        sixth_aspect=_text(announced, "sixth_aspect", "announced"),
        count_note=_text(doc, "count_note", ""),
        item_scale=item_scale,
        problem_values=problem_values,
        overall_scale=overall,
        red_line_share=float(share),
        red_line_values=tuple(_get(red, "values", "red_line", list)),
        red_line_note=_text(red, "note", "red_line"),
        dimensions=tuple(dims),
        sha256=sha256,
        clue_words=_clue_words(red),
    )


def _clue_words(red: dict) -> tuple[str, ...]:
    words = red.get("clue_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise InstrumentError("问卷字段 red_line.clue_words 必须是非空字符串的列表",
                              "instrument field red_line.clue_words must be a list of non-empty strings")
    return tuple(w.strip() for w in words)


def parse_instrument_text(text: str) -> Instrument:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        detail = str(e).splitlines()[0]
        raise InstrumentError(f"问卷文件不是有效的 YAML：{detail}",
                              f"instrument file is not valid YAML: {detail}") from None
    return parse_instrument(doc, hashlib.sha256(text.encode("utf-8")).hexdigest())


def instrument_text(instrument_id: str = DEFAULT_ID, version: int = DEFAULT_VERSION) -> str:
    name = f"{instrument_id}.v{version}.yaml"
    path = resources.files("zuofeng") / "instruments" / name
    if not path.is_file():
        names = ', '.join(available())
        raise InstrumentError(f"没有问卷 {instrument_id} v{version}；可用的问卷：{names}",
                              f"unknown instrument {instrument_id} v{version}; available: {names}")
    return path.read_text(encoding="utf-8")


def available() -> list[str]:
    folder = resources.files("zuofeng") / "instruments"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_instrument(instrument_id: str = DEFAULT_ID, version: int = DEFAULT_VERSION) -> Instrument:
    """Load and validate a packaged instrument (cached: instruments are immutable)."""
    inst = parse_instrument_text(instrument_text(instrument_id, version))
    if (inst.id, inst.version) != (instrument_id, version):
        raise InstrumentError(f"问卷文件 {instrument_id}.v{version}.yaml 声明的是 {inst.id} v{inst.version}",
                              f"instrument file {instrument_id}.v{version}.yaml declares {inst.id} v{inst.version}")
    return inst


def instrument_json(inst: Instrument) -> str:
    return json.dumps(
        {"id": inst.id, "version": inst.version, "items": inst.to_records()}, ensure_ascii=False, indent=2
    )
