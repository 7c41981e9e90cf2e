"""What a format parser hands to the importer: answer sheets and the normalised content."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store import Sheet


@dataclass
class Parsed:
    """The result of parsing one file in one format.

    ``rows`` holds the cells of every data row read (the columns in use); ``sheets`` one answer
    sheet per row that could be read (the importer stores none of them when any problem was
    found); ``notes`` says what was left out on purpose and why; ``columns`` says which column
    became which item and how it was found: ``(item, column header, how)``, how being ``text``,
    ``position``, ``subquestion code``, ``question number``, ``pattern``, ``mapping`` or ``column name``.
    """

    format: str
    rows: list[tuple[str, ...]] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: list[tuple[int, str, str]] = field(default_factory=list)
    tokenless: list[tuple[int, str]] = field(default_factory=list)  # template rows without a token: (row, rater)
    table_rows: int = 0  # of ``sheets``, the rows of the 民主测评 table typed on inside-view peer ballots

    @property
    def too_fast(self) -> int:
        return sum(1 for s in self.sheets if s.too_fast)
