"""The import-fingerprint migration: appended, safe to run twice, and an older store gains it intact."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from zuofeng import store
from zuofeng.store import Sheet, answers, import_fingerprints, migrate, open_engine, responses, schema_migrations


def _names(engine):
    with engine.connect() as c:
        return set(c.scalars(select(schema_migrations.c.name)))


def test_store_created_before_the_migration_gains_it_with_data_intact(db_url, roster_file, monkeypatch):
    from zuofeng.rounds import create_round, set_status

    # A store as the first release made it: only 0001_initial.
    monkeypatch.setattr(store.migrations, "MIGRATIONS", [m for m in store.MIGRATIONS if m[0] == "0001_initial"])
    old = open_engine(db_url)
    assert "import_fingerprints" not in inspect(old).get_table_names()
    create_round(old, "R1", title="基线", roster=roster_file)
    set_status(old, "R1", "open")
    store.store_sheets(old, "R1", [Sheet("self", "BGS", "BGS", {i: 1 + i % 5 for i in range(1, 23)})] * 3)
    with old.connect() as c:
        before = sorted(c.execute(select(answers.c.item, answers.c.value)).all())
    old.dispose()
    monkeypatch.undo()

    new = open_engine(db_url)
    try:
        assert "import_fingerprints" in inspect(new).get_table_names()
        assert {"0001_initial", "0002_import_fingerprints"} <= _names(new)
        with new.connect() as c:
            assert c.scalar(select(func.count()).select_from(responses)) == 3
            assert sorted(c.execute(select(answers.c.item, answers.c.value)).all()) == before
            assert c.scalar(select(func.count()).select_from(import_fingerprints)) == 0
        assert migrate(new) == []
        # Running the migration function itself again is harmless.
        with new.begin() as c:
            dict(store.MIGRATIONS)["0002_import_fingerprints"](c)
    finally:
        new.dispose()


def test_fingerprint_table_holds_nothing_that_links_to_responses():
    cols = {c.name for c in import_fingerprints.columns}
    assert cols == {"round", "fingerprint", "format", "rows", "imported_on"}
    assert not any(fk.column.table is responses for fk in import_fingerprints.foreign_keys)
