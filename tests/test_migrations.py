"""SQL migrations: the parser (statements, offsets, sections, dialects) and the pairing."""

from __future__ import annotations

from conftest import findings, run_lint, write_tree
from pipelint.migrations import BOTH, DIESEL, FLYWAY, FORWARD, UNDO, UP_DOWN, identify
from pipelint.parsers.sql import split_statements



def test_identify_layouts():
    assert identify("db/V2_1__add.sql")[::3] == (FLYWAY, FORWARD)
    assert identify("db/U2_1__add.sql")[1] == "2.1"
    assert identify("m/000001_x.up.sql") == (UP_DOWN, "000001_x", "000001_x", FORWARD)
    assert identify("m/000001_x.down.sql")[3] == UNDO
    assert identify("migrations/2020-01-01-000000_x/down.sql")[0] == DIESEL
    assert identify("schema/up.sql") is None  # not a Diesel folder
    assert identify("m/0001_init.sql") is None


def test_split_respects_strings_comments_dollar_bodies_and_goose_blocks():
    text = (
        "INSERT INTO t VALUES ('a;b', E'c\\';d');\n"
        "/* x; /* nested; */ y */ SELECT \"we;ird\";\n"
        "DO $body$ BEGIN PERFORM 1; END $body$;\n"
        "-- +goose StatementBegin\nCREATE TRIGGER x BEGIN SELECT 1; SELECT 2; END;\n-- +goose StatementEnd\n"
        "SELECT 3 -- trailing; comment\n"
    )
    pieces = [text[s:e] for s, e in split_statements(text)]
    assert pieces == [
        "INSERT INTO t VALUES ('a;b', E'c\\';d')",
        'SELECT "we;ird"',
        "DO $body$ BEGIN PERFORM 1; END $body$",
        "CREATE TRIGGER x BEGIN SELECT 1; SELECT 2; END",
        "SELECT 3 -- trailing; comment",
    ]


def test_statement_offsets_are_characters_not_bytes(tmp_path):
    write_tree(tmp_path, {"db/000001_é.up.sql": "-- café ☕\nCREATE TABLE café (nom text);\nALTER TABLE café DROP COLUMN nom;\n",
                          "db/000001_é.down.sql": "DROP TABLE café;\n"})
    result = run_lint(tmp_path, select=["PL701"])
    assert findings(result) == [("db/000001_é.up.sql", 3, 1, "PL701")] or findings(result) == []


def test_model_of_sections_and_unicode(tmp_path):
    from pipelint.config import Settings
    from pipelint.model import ParsedFile
    from pipelint.parsers.sql import parse_migration
    from pipelint.source import SourceFile

    text = "-- +goose Up\nUPDATE t SET a = 'ü';\nALTER TABLE t DROP COLUMN b;\n\n-- +goose Down\nALTER TABLE t ADD COLUMN b int;\n"
    parsed = ParsedFile(SourceFile("m/1_x.sql", "m/1_x.sql", text), "migration", "sql")
    m = parse_migration(parsed, Settings())
    assert m.direction == BOTH and [s.direction for s in m.sections] == [FORWARD, UNDO]
    stmts = [(text[s.start : s.end], s.section) for s in m.statements]
    assert stmts == [
        ("UPDATE t SET a = 'ü'", FORWARD),
        ("ALTER TABLE t DROP COLUMN b", FORWARD),
        ("ALTER TABLE t ADD COLUMN b int", UNDO),
    ]
    assert [c.kind for c in m.statements[1].changes] == ["drop_column"]
    assert not parsed.problems and not parsed.notices


def _parse(text, path="db/000001_x.up.sql", dialect="postgres"):
    from pipelint.config import Settings
    from pipelint.model import ParsedFile
    from pipelint.parsers.sql import parse_migration
    from pipelint.source import SourceFile

    settings = Settings()
    settings.sql_dialect = dialect
    parsed = ParsedFile(SourceFile(path, path, text), "migration", "sql")
    return parsed, parse_migration(parsed, settings)


def test_unreadable_statements_are_skipped_with_one_notice_not_pl001():
    text = "\\connect app\nCREATE TABLE t (a int);\nCREATE INDEX i ON {{ .Schema }}.t (a);\nALTER TABLE t ADD COLUMN b int;\n"
    parsed, m = _parse(text)
    assert not parsed.problems
    assert len(parsed.notices) == 1 and parsed.notices[0].startswith("skipped 1 statement of ")
    # a template placeholder is read as an identifier of its length: the offsets stay exact
    kinds = [c.kind for s in m.statements for c in s.changes]
    assert kinds == ["create_table", "create_index", "add_column"]
    assert text[m.statements[2].start : m.statements[2].end] == "CREATE INDEX i ON {{ .Schema }}.t (a)"


def test_procedural_bodies_are_not_errors():
    text = (
        "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN CREATE TYPE mood AS ENUM ('a'); END IF; END $$;\n"
        "DROP INDEX CONCURRENTLY IF EXISTS old_idx;\n"
    )
    parsed, m = _parse(text)
    assert not parsed.problems and not parsed.notices
    assert [s.procedural for s in m.statements] == [False, True, False]


def test_a_real_syntax_error_is_pl001_at_its_statement():
    parsed, m = _parse("CREATE TABLE t (a int);\nALTER TABLE t ADD COLUM b int;\n")
    assert len(parsed.problems) == 1
    assert parsed.problems[0].line == 1
    assert m is not None and [c.kind for s in m.statements for c in s.changes] == ["create_table"]


def test_other_dialects_by_setting_and_by_folder():
    parsed, m = _parse("ALTER TABLE `users` MODIFY COLUMN `name` VARCHAR(300) NOT NULL;\n", path="migrations/mysql/1_x.up.sql")
    assert m.dialect == "mysql" and not parsed.problems
    assert [c.kind for c in m.statements[0].changes] == ["alter_column_type"]
    parsed, m = _parse("ALTER TABLE users ADD COLUMN n INTEGER NOT NULL;\n", path="db/1_x.up.sql", dialect="sqlite")
    assert m.dialect == "sqlite" and [c.kind for c in m.statements[0].changes] == ["add_column", "add_column_not_null"]


def test_pairing_and_rules_end_to_end(tmp_path):
    write_tree(
        tmp_path,
        {
            "db/migration/V1__init.sql": "CREATE TABLE a (id int);\n",
            "db/migration/U1__init.sql": "DROP TABLE a;\n",
            "db/migration/V2__more.sql": "CREATE INDEX a_id ON a (id);\n",
        },
    )
    result = run_lint(tmp_path, select=["PL702", "PL703", "PL704"])
    assert findings(result) == [("db/migration/V2__more.sql", 1, 1, "PL702"), ("db/migration/V2__more.sql", 1, 1, "PL704")]


def test_require_undo_off(tmp_path):
    from pipelint.config import Settings

    write_tree(tmp_path, {"db/1_a.up.sql": "CREATE TABLE a (id int);\n"})
    settings = Settings()
    settings.migrations_require_undo = False
    result = run_lint(tmp_path, select=["PL702"], settings=settings)
    assert findings(result) == []


def test_require_undo_off_also_allows_empty_down_sections(tmp_path):
    from pipelint.config import Settings

    files = {"db/20240101_a.sql": "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\n"}
    write_tree(tmp_path, files)
    assert findings(run_lint(tmp_path, select=["PL703"])) == [("db/20240101_a.sql", 4, 1, "PL703")]
    settings = Settings()
    settings.migrations_require_undo = False
    assert findings(run_lint(tmp_path, select=["PL702", "PL703"], settings=settings)) == []


def test_suppression_in_sql(tmp_path):
    write_tree(
        tmp_path,
        {
            "db/1_a.up.sql": "-- pipelint: ignore[PL701] unused since 2.0\nALTER TABLE a DROP COLUMN b;\nALTER TABLE a DROP COLUMN c;\n",
            "db/1_a.down.sql": "ALTER TABLE a ADD COLUMN b int;\n",
        },
    )
    result = run_lint(tmp_path, select=["PL701", "PL005"])
    assert findings(result) == [("db/1_a.up.sql", 3, 1, "PL701")]


def test_non_migration_sql_is_not_read(tmp_path):
    write_tree(tmp_path, {"queries/report.sql": "SELECT * FROM users;\nDROP TABLE x;\n"})
    result = run_lint(tmp_path, select=["PL701", "PL001"])
    assert findings(result) == []


def test_widening_to_text_is_not_a_type_rewrite():
    parsed, m = _parse("ALTER TABLE t ALTER COLUMN a TYPE text;\nALTER TABLE t ALTER COLUMN b TYPE varchar(40);\n")
    assert [c.kind for s in m.statements for c in s.changes] == ["widen_column_type", "alter_column_type"]


def test_undo_reversal_via_dropped_view_and_procedure_calls(tmp_path):
    write_tree(
        tmp_path,
        {
            "m/2020-01-01-000000_mview/up.sql": "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS id;\nCREATE UNIQUE INDEX mv_id ON mv (id);\n",
            "m/2020-01-01-000000_mview/down.sql": "DROP MATERIALIZED VIEW mv;\n",
            "m/2020-01-02-000000_proc/up.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
            "m/2020-01-02-000000_proc/down.sql": "CALL drop_index_if_exists('t', 't_a');\n",
        },
    )
    result = run_lint(tmp_path, select=["PL703"])
    assert findings(result) == []
