"""The on-disk cache (pipelint.cache) and the schema checkers kept in it."""

from __future__ import annotations

import pytest

from pipelint import cache, schema


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PIPELINT_NO_CACHE", raising=False)
    return tmp_path / "cache"


def test_store_then_load(cache_dir):
    key = cache.digest("schema", b"\x00bytes", "version")
    assert cache.load("things", key) is None
    cache.store("things", key, b"payload")
    assert cache.load("things", key) == b"payload"
    assert [p.name for p in (cache_dir / "things").iterdir()] == [key]  # no temporary left


def test_digest_separates_its_parts():
    assert cache.digest("ab", "c") != cache.digest("a", "bc")


def test_turned_off(cache_dir, monkeypatch):
    monkeypatch.setenv("PIPELINT_NO_CACHE", "1")
    assert cache.directory() is None
    cache.store("things", "k", b"x")
    assert cache.load("things", "k") is None
    assert not cache_dir.exists()


def test_unwritable_cache_is_silent(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PIPELINT_CACHE_DIR", str(blocker / "cache"))
    cache.store("things", "k", b"x")  # no exception
    assert cache.load("things", "k") is None


SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
OPTIONS = dict(use_default=False, use_formats=False, detailed_exceptions=False)


def _check(code_object, entry):
    namespace: dict = {}
    exec(code_object, namespace)
    namespace["JsonSchemaValueException"] = schema._Fail
    return namespace[entry]


def test_schema_checker_is_generated_once_then_read_back(cache_dir, monkeypatch):
    first = schema._generated_checker(SCHEMA, OPTIONS)
    assert len(list((cache_dir / "schema-checkers").iterdir())) == 1
    import fastjsonschema

    def fail(*args, **kwargs):
        raise AssertionError("generated again although cached")

    monkeypatch.setattr(fastjsonschema, "compile_to_code", fail)
    code_object, entry = schema._generated_checker(SCHEMA, OPTIONS)
    assert entry == first[1]
    check = _check(code_object, entry)
    check({"name": "x"})
    with pytest.raises(schema._Fail):
        check({"name": 1})


def test_damaged_entry_is_generated_again(cache_dir):
    schema._generated_checker(SCHEMA, OPTIONS)
    (entry_file,) = (cache_dir / "schema-checkers").iterdir()
    entry_file.write_bytes(b"validate\x00not marshal data")
    code_object, entry = schema._generated_checker(SCHEMA, OPTIONS)
    with pytest.raises(schema._Fail):
        _check(code_object, entry)({})
