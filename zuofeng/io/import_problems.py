"""Problems found in an imported file: collected, never fixed silently, reported all at once."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputFileError


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, said in Chinese (the default) and English.

    Parameters
    ----------
    row : int or None
        1-based row of the file as a spreadsheet shows it (the header is row 1), or None for the
        whole file.
    column : str or None
        The column's header, or None for the whole row or file.
    message : str
        What is wrong and what is allowed, in Chinese.
    en : str or None
        The same in English; None says ``message`` in both languages.

    >>> p = Problem(3, "token", "答题码已用过", "the token was already used")
    >>> str(p), p.in_lang("en")
    ('第 3 行，token 列：答题码已用过', 'row 3, column token: the token was already used')
    """

    row: int | None
    column: str | None
    message: str
    en: str | None = None

    def __post_init__(self) -> None:
        if self.en is None:
            object.__setattr__(self, "en", self.message)

    def __str__(self) -> str:
        return self.in_lang("zh")

    def in_lang(self, lang: str) -> str:
        """The problem with its place in ``lang``: "row N, column X: …" in English (``"en"``), else
        "第 N 行，X 列：…"."""
        row, column, sep, colon = _PLACE["en" if lang == "en" else "zh"]
        where = ([row.format(self.row)] if self.row is not None else []) + (
            [column.format(self.column)] if self.column is not None else [])
        text = str(self.en) if lang == "en" else self.message
        return f"{sep.join(where)}{colon}{text}" if where else text


#: how a problem says its place: (row, column, separator, before the message), per language
_PLACE = {"zh": ("第 {} 行", "{} 列", "，", "："), "en": ("row {}", "column {}", ", ", ": ")}


class ImportProblems(InputFileError):
    """A file with one or more bad rows: nothing was imported.

    ``problems`` holds every :class:`Problem` found; the message is one line naming the file, the
    number of problems and the first of them.
    """

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = (), en: str | None = None):
        super().__init__(message, en)
        self.problems = tuple(problems)

    @classmethod
    def of(cls, what: str, problems: list[Problem]) -> ImportProblems:
        n = len(problems)
        first = problems[0].in_lang("en") if problems else ""
        noun = "problem" if n == 1 else "problems"
        first_zh = problems[0].in_lang("zh") if problems else ""
        return cls(f"{what}：{n} 处问题，未导入任何内容；第一处：{first_zh}", problems,
                   en=f"{what}: {n} {noun}, nothing imported; first: {first}")

    def __reduce__(self):
        return (self.__class__, (self.message, self.problems, self.en))


class Collector:
    """Gathers problems while a file is read, up to ``limit`` (then only counts them)."""

    def __init__(self, limit: int = 10_000):
        self.problems: list[Problem] = []
        self.limit = limit
        self.dropped = 0

    def add(self, row: int | None, column: str | None, message: str, en: str | None = None) -> None:
        """Note a problem: ``message`` in Chinese, ``en`` the same in English."""
        if len(self.problems) < self.limit:
            self.problems.append(Problem(row, column, message, en))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, what: str) -> None:
        if self.problems:
            if self.dropped:
                self.problems.append(Problem(None, None, f"另有 {self.dropped} 处问题未列出",
                                             f"{self.dropped} more problems not listed"))
            raise ImportProblems.of(what, self.problems)
