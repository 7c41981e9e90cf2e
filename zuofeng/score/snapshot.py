"""A scoring snapshot: one zip file holding every frame of a :class:`Scores` as Parquet plus ``meta.json``.

Written atomically (a temporary file in the same folder, then a rename), so a reader never sees half a
snapshot. Reports load it instead of scoring again.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..private import FILE_MODE, owner_only
from .core import Scores
from .prepare import ScoreError

FORMAT = "zuofeng-scores"
FORMAT_VERSION = 1
MAX_MEMBER_BYTES = 512 * 1024 * 1024


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp") -> Iterator[str]:
    """A temporary file beside ``path`` to write: on success it takes ``path``'s place atomically, owner-only
    (mode 0600, as ``tempfile.mkstemp`` creates it: figures on small groups are confidential); on any
    failure it is removed and ``path`` is untouched."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        with owner_only():  # a writer that replaces the file rather than writing into it
            yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_snapshot(scores: Scores, path: str | os.PathLike) -> Path:
    """Write ``scores`` to ``path`` (a .zip) atomically; return the path.

    Usage (with ``scores`` from :func:`zuofeng.score.score_round`)::

        save_snapshot(scores, "reports/R1/scores.zip")
        load_snapshot("reports/R1/scores.zip").meta["round"]   # 'R1'
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ScoreError(f"无法写入快照 {path}：文件夹 {path.parent} 不存在",
                         f"cannot write snapshot {path}: folder {path.parent} does not exist")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "meta": scores.meta,
            "frames": list(Scores.FRAMES)}
    with replacing(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("meta.json", json.dumps(meta, ensure_ascii=False, indent=1, default=str))
        for name in Scores.FRAMES:
            buf = io.BytesIO()
            getattr(scores, name).to_parquet(buf, index=False)
            zf.writestr(f"{name}.parquet", buf.getvalue())
    return path


def load_snapshot(path: str | os.PathLike) -> Scores:
    """Read a snapshot written by :func:`save_snapshot`; a file that is not one is a ScoreError."""
    path = Path(path)
    if not path.is_file():
        raise ScoreError(f"{path} 处没有快照",
                         f"no snapshot at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            meta = json.loads(_read(zf, "meta.json", names))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ScoreError(f"{path} 不是 zuofeng 的分数快照",
                                 f"{path} is not a zuofeng scores snapshot")
            if meta.get("format_version") != FORMAT_VERSION:
                raise ScoreError(f"{path}：不支持快照格式版本 {meta.get('format_version')!r}；支持的版本：{FORMAT_VERSION}",
                                 f"{path}: snapshot format version {meta.get('format_version')!r} is not supported; "
                                 f"allowed: {FORMAT_VERSION}")
            frames = {n: pd.read_parquet(io.BytesIO(_read(zf, f"{n}.parquet", names))) for n in Scores.FRAMES
                      if n != "groups" or "groups.parquet" in names}  # snapshots before rater groups have none
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as e:
        raise ScoreError(f"{path} 不是可读的 zuofeng 分数快照（{type(e).__name__}）",
                         f"{path} is not a readable zuofeng scores snapshot ({type(e).__name__})") from None
    return Scores(**frames, meta=meta["meta"])


def _read(zf: zipfile.ZipFile, name: str, names: set[str]) -> bytes:
    if name not in names:
        raise ScoreError(f"快照缺少 {name}",
                         f"snapshot lacks {name}")
    if zf.getinfo(name).file_size > MAX_MEMBER_BYTES:
        raise ScoreError(f"快照成员 {name} 太大",
                         f"snapshot member {name} is too large")
    return zf.read(name)
