"""Settings: declared once; flag, then environment, then default."""

from __future__ import annotations

from pathlib import Path

import pytest

from citygraph.config import SETTINGS, Settings
from citygraph.errors import ConfigError


def test_precedence_flag_then_environment_then_default() -> None:
    env = {"CITYGRAPH_QUERY_TIMEOUT": "3.5", "CITYGRAPH_PORT": "9001"}
    s = Settings.from_sources({"port": 8080}, environ=env)
    assert s.port == 8080
    assert s.query_timeout == 3.5
    assert s.max_rows == 10_000


def test_every_setting_has_help_and_an_environment_variable() -> None:
    names = {s.name for s in SETTINGS}
    assert names <= set(Settings.__dataclass_fields__)
    for setting in SETTINGS:
        assert setting.help and setting.env == "CITYGRAPH_" + setting.name.upper()


def test_dist_defaults_under_root() -> None:
    assert Settings(root=Path("/x")).dist_dir == Path("/x/dist")


@pytest.mark.parametrize("changes", [{"CITYGRAPH_PORT": "eighty"},
                                     {"CITYGRAPH_MAX_ROWS": "0"},
                                     {"CITYGRAPH_BASE_IRI": "http://example.org/no-slash"},
                                     {"CITYGRAPH_PORT": "99999"}, {"CITYGRAPH_PORT": "0"},
                                     {"CITYGRAPH_QUERY_MEMORY_MB": "-1"},
                                     {"CITYGRAPH_BASE_IRI": "not an iri/"},
                                     {"CITYGRAPH_BASE_IRI": "http://exa mple.org/"},
                                     {"CITYGRAPH_THREADS": "0"},
                                     {"CITYGRAPH_QUERY_TIMEOUT": "nan"},
                                     {"CITYGRAPH_QUERY_TIMEOUT": "inf"}])
def test_bad_values_are_config_errors(changes: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_sources({}, environ=changes)


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        Settings.from_sources({"colour": "blue"}, environ={})


def test_the_setting_flag_sets_any_setting_and_dedicated_flags_win(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from citygraph.cli import make_parser, settings_from

    monkeypatch.setenv("CITYGRAPH_QUERY_TIMEOUT", "3")
    args = make_parser().parse_args(["serve", "--port", "8123", "--setting", "query-timeout=30",
                                     "--setting", "port=9000", "--setting",
                                     "service_allowlist=http://127.0.0.1:7878/query"])
    settings = settings_from(args)
    assert settings.query_timeout == 30.0 and settings.port == 8123
    assert settings.services == frozenset({"http://127.0.0.1:7878/query"})
    for bad in (["--setting", "colour=blue"], ["--setting", "no-equals-sign"]):
        with pytest.raises(ConfigError):
            settings_from(make_parser().parse_args(["serve", *bad]))


def test_help_lists_every_setting_once_with_its_default() -> None:
    from citygraph.cli import make_parser

    text = make_parser().format_help()
    for setting in SETTINGS:
        assert text.count(setting.env) == 1
    assert "(default: None)" not in text
