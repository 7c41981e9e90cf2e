"""Scoring (DESIGN §5): pure functions from tidy frames to tidy frames.

>>> from zuofeng.score import score_round, score_frames, Scores, save_snapshot, load_snapshot
"""

from .core import STATISTICS, RoundData, Scores, score_frames, score_round
from .prepare import ScoreError
from .quality import Rules
from .snapshot import load_snapshot, save_snapshot

__all__ = ["STATISTICS", "RoundData", "Rules", "ScoreError", "Scores", "load_snapshot", "save_snapshot",
           "score_frames", "score_round"]
