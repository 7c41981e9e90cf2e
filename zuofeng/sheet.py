"""What a survey page exchanges with the store: an answer sheet and a token's scope.

Plain dataclasses and constants without SQLAlchemy, so that a respondent's kernel can build a sheet
without importing the store (``zuofeng.collect.desk``). ``zuofeng.store`` and ``zuofeng.collect.tokens`` re-export them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .axes import CATEGORIES, FORMS, ITEMS_FORM, view_of
from .axes import SURVEYS as KINDS

__all__ = ["CATEGORIES", "COMMENT_MAX", "FORMS", "KINDS", "Sheet", "TokenScope"]
COMMENT_MAX = 500


@dataclass(frozen=True)
class Sheet:
    """One answer sheet, as a survey page, an import row or the simulator produces it.

    ``answers`` maps item number → 1..5, or None for 不了解 (don't know). Every item must be present.
    ``form`` is ``items`` (the 22 items) or ``table`` (a row of the 民主测评 table about another
    department, ``zuofeng.axes.FORMS``): then ``answers`` maps dimension position (1..5) → 1..5 or None,
    and the sheet carries no token of its own: it is stored with the peer sheet whose token opened the table.
    """

    kind: str
    rater: str
    target: str
    answers: Mapping[int, int | None]
    category: str | None = None
    overall: str | None = None
    comment: str | None = None
    too_fast: bool | None = None
    form: str = ITEMS_FORM
    token_hash: str | None = field(default=None, repr=False)
    #: the rater group; a sheet that carries a token gets its token's group when it is stored
    group: str | None = None


@dataclass(frozen=True)
class TokenScope:
    """What a token opens: the survey kind, the rater's department (``NO_DEPARTMENT`` for a rater group
    that belongs to none), the rated department and the rater group bound to the token (or None)."""

    round: str
    kind: str
    rater: str
    target: str
    group: str | None = None

    @property
    def view(self) -> str:
        return view_of(self.kind, self.rater, self.target)
