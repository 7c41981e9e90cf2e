"""Opening the store: a URL (SQLite file or PostgreSQL) becomes a migrated engine, or one clear error."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from ..config import database_url, default_db_file
from ..errors import StoreError
from ..faults import write_fault
from ..private import owner_only, private_folder, warn_if_readable_by_others
from .connection import _sqlite_begin, _sqlite_pragmas, _store_folder
from .migrations import migrate


def open_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """Open (and migrate) the store at ``url``; raise StoreError with one line if it cannot be used."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} 不是数据库地址（可用 sqlite:///data/zuofeng.db 或 postgresql+psycopg://…）",
                         f"not a database URL: {url!r} (try sqlite:///data/zuofeng.db or postgresql+psycopg://…)") from None
    shown = parsed.render_as_string(hide_password=True)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        db = parsed.database
        if not db or db == ":memory:":
            raise StoreError("内存中的 SQLite 数据库不能保存轮次：请给出文件路径",
                             "an in-memory SQLite database cannot hold a round; give a file path")
        folder = Path(db).parent
        if not folder.exists():
            if create and folder.resolve() in (Path("data").resolve(), default_db_file().parent.resolve()):
                private_folder(folder)
            else:
                raise StoreError(f"无法打开数据库 {shown}：文件夹 {folder} 不存在",
                                 f"cannot open database {shown}: folder {folder} does not exist")
        if not Path(db).exists():
            if not create:
                raise StoreError(f"{db} 处没有数据库", f"no database at {db}")
            _create_private_file(Path(db))  # SQLite gives its -wal and -shm files the store's mode
        else:
            warn_if_readable_by_others(db, "store")
    elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if is_sqlite:
            # hide_parameters: SQL logging (echo, DEBUG) must never write a token hash or a response id
            engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ImportError) as e:
        raise StoreError(f"无法使用数据库 {shown}：{e}", f"cannot use database {shown}: {e}") from None
    try:
        _check_is_store(engine, shown)
        migrate(engine)
    except DBAPIError as e:
        engine.dispose()
        fault = write_fault(e, folder=_store_folder(engine))
        if fault is not None:
            raise fault from None
        first = str(e.orig).strip().splitlines()[0] if e.orig else str(e).splitlines()[0]
        raise StoreError(f"无法打开数据库 {shown}：{first}", f"cannot open database {shown}: {first}") from None
    return engine


def _create_private_file(path: Path) -> None:
    """An empty file (an empty SQLite database), mode 0600; nothing if another process made it first."""
    try:
        with owner_only():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise StoreError(f"无法创建数据库 {path}：{e.strerror}", f"cannot create database {path}: {e.strerror}") from None


def _check_is_store(engine: Engine, shown: str) -> None:
    names = set(inspect(engine).get_table_names())
    if names and "schema_migrations" not in names:
        raise StoreError(f"数据库 {shown} 不是 zuofeng 的数据库（其中有别的表）",
                         f"database {shown} is not a zuofeng store (it has other tables)")
