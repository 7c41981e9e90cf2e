"""Read-only lookups into ``Scores`` for the report pages: rows by (department, kind, level, key,
statistic), labels of departments, kinds, dimensions and items in the report's language.

Nothing here computes a statistic; it finds, orders and labels what the scoring engine produced.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ..axes import kind_label
from ..instrument import load_instrument
from .strings import t

ALL = "ALL"
OVERALL = "overall"


class ScoreView:
    """``Scores`` seen by a report in one language."""

    def __init__(self, scores, lang: str = "zh"):
        self.scores = scores
        self.lang = "en" if lang == "en" else "zh"
        self.meta = scores.meta
        tab = scores.table
        records = tab.to_dict("records")
        self._rows = {(r["department"], r["kind"], r["level"], r["key"], r["statistic"]): r for r in records}
        self.table = tab

    # -- lookups -----------------------------------------------------------------------------------
    def row(self, department: str, kind: str, level: str, key: str, statistic: str) -> dict | None:
        """The table row, or None when the engine produced none for this cell."""
        return self._rows.get((department, kind, level, key, statistic))

    def value(self, department, kind, level, key, statistic):
        """The published value, or None when absent, suppressed or missing."""
        r = self.row(department, kind, level, key, statistic)
        if r is None or bool(r["suppressed"]) or pd.isna(r["value"]):
            return None
        return r["value"]

    def rows(self, **match) -> pd.DataFrame:
        """Table rows matching every ``column=value`` given."""
        mask = pd.Series(True, index=self.table.index)
        for col, val in match.items():
            mask &= self.table[col].isin(val) if isinstance(val, (list, tuple, set)) else self.table[col].eq(val)
        return self.table[mask]

    def has(self, statistic: str) -> bool:
        return bool(self.table["statistic"].eq(statistic).any())

    # -- labels --------------------------------------------------------------------------------------
    @cached_property
    def instrument(self):
        return load_instrument(self.meta["instrument_id"], int(self.meta["instrument_version"]))

    @cached_property
    def departments(self) -> pd.DataFrame:
        return self.scores.departments.reset_index(drop=True)

    @cached_property
    def codes(self) -> list[str]:
        return [str(c) for c in self.departments["code"]]

    @cached_property
    def _depts(self) -> dict[str, dict]:
        return {str(r["code"]): r for r in self.departments.to_dict("records")}

    def dept(self, code: str) -> dict:
        hit = self._depts.get(str(code))
        if hit is None:
            from ..errors import ZuofengError

            raise ZuofengError(f"没有部门 {code!r}；已有部门：{'、'.join(self.codes)}",
                               f"unknown department {code!r}; known: {', '.join(self.codes)}")
        return dict(hit)

    def dept_name(self, code: str) -> str:
        if code == ALL:
            return t("organisation", self.lang)
        if self.lang == "en":
            name_en = (self.meta.get("names_en") or {}).get(code)
            if name_en:
                return str(name_en)
        return str(self.dept(code)["name"])

    def kind_label(self, kind: str) -> str:
        return kind_label(kind, self.lang)

    def dim_label(self, dim_id: str) -> str:
        for d in self.instrument.dimensions:
            if d.id == dim_id:
                return f"{d.id} {d.label.get(self.lang)}" if self.lang == "zh" else f"{d.label.get(self.lang)}"
        return dim_id

    def key_label(self, key: str) -> str:
        if key == OVERALL:
            return t("overall", self.lang)
        for it in self.instrument.items:
            if it.key == key:
                return f"{it.number}. {it.label.get(self.lang)}"
        return self.dim_label(key)

    def item(self, key: str):
        return next(it for it in self.instrument.items if it.key == key)

    @cached_property
    def dim_ids(self) -> list[str]:
        return [d.id for d in self.instrument.dimensions]

    @cached_property
    def item_keys(self) -> list[str]:
        return list(self.instrument.item_keys)

    @property
    def k_min(self) -> int:
        return int(self.meta["k_min"])

    def title(self) -> str:
        """The round's title; English pages use its English title when the round has one."""
        if self.lang == "en" and self.meta.get("title_en"):
            return str(self.meta["title_en"])
        return str(self.meta.get("title") or self.meta["round"])

    def scored_on(self) -> str:
        return str(self.meta.get("scored_on", ""))[:10]
