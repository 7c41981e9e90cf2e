"""A round read from the store once: its row, roster and answer sheets, the rounds before it, and scores.

A report batch and the ledger need the same round several times (the reports, the problem list, the
verification of the previous round's entries, the trend over the rounds). ``load_round`` reads each
round of the chain (the round, its ``previous``, that one's ``previous``…) from the store once; the
``LoadedRound`` it returns then flows through the layers instead of the round's code, and is scored
once per round, with the seed it was loaded with.

>>> from zuofeng.score.loaded import load_round
>>> # loaded = load_round(engine, "R2", seed=1); loaded.scores; loaded.previous.scores; loaded.chain
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .core import RoundData, Scores, refuse_draft, score_frames


@dataclass
class LoadedRound:
    """One round as read from the store, with the round before it (``previous``, loaded the same way).

    ``scores`` is computed on first use (``score_frames`` with the previous round's frames and
    ``seed``) or set by whoever scored it elsewhere (a worker process of a report batch).
    """

    info: dict
    departments: pd.DataFrame
    responses: pd.DataFrame
    instrument: object
    previous: LoadedRound | None = None
    seed: int = 1
    _scores: Scores | None = field(default=None, repr=False)

    @property
    def code(self) -> str:
        return str(self.info["code"])

    @property
    def data(self) -> RoundData:
        """The frames as :func:`zuofeng.score.score_frames` takes a previous round."""
        return RoundData(self.responses, self.departments, self.info, self.instrument)

    @property
    def scored(self) -> bool:
        return self._scores is not None

    @property
    def scores(self) -> Scores:
        if self._scores is None:
            self._scores = score_loaded(self)
        return self._scores

    @scores.setter
    def scores(self, value: Scores) -> None:
        if str(value.meta.get("round")) != self.code:
            from ..errors import ZuofengError

            raise ZuofengError(f"给出的分数属于轮次 {value.meta.get('round')!r}，而不是 {self.code!r}",
                               f"the scores given are of round {value.meta.get('round')!r}, not {self.code!r}")
        self._scores = value

    @property
    def chain(self) -> list[LoadedRound]:
        """This round and the rounds before it, oldest first."""
        out, r = [], self
        while r is not None:
            out.append(r)
            r = r.previous
        return out[::-1]

    def names(self) -> dict[str, str]:
        """Department code → name, from the roster."""
        return {str(c): str(n) for c, n in zip(self.departments["code"], self.departments["name"])}


def score_loaded(loaded: LoadedRound) -> Scores:
    """Score a loaded round (its previous round's frames give the change since then)."""
    refuse_draft(loaded.info)
    prev = loaded.previous.data if loaded.previous is not None else None
    return score_frames(loaded.responses, loaded.departments, loaded.info, loaded.instrument, prev, loaded.seed)


def load_round(engine, round_code: str, *, seed: int = 1, depth: int | None = None) -> LoadedRound:
    """Read ``round_code`` and the rounds before it (through ``previous``; a loop is cut; at most
    ``depth`` rounds before it when given) from the store, each once. Raises RoundError for an unknown
    round."""
    from ..frames import departments_frame, responses_frame
    from ..instrument import load_instrument
    from ..store import get_round

    infos: list[dict] = []
    code = round_code
    with engine.connect() as conn:
        while code and code not in [i["code"] for i in infos] and (depth is None or len(infos) <= depth):
            infos.append(get_round(conn, code))
            code = infos[-1]["previous"]
    loaded = None
    for info in reversed(infos):
        inst = load_instrument(info["instrument_id"], info["instrument_version"])
        loaded = LoadedRound(info, departments_frame(engine, info["code"], info=info),
                             responses_frame(engine, info["code"], info=info), inst, loaded, seed)
    return loaded


__all__ = ["LoadedRound", "load_round", "score_loaded"]
