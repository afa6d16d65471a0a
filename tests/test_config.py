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
                                     {"CITYGRAPH_BASE_IRI": "http://example.org/no-slash"}])
def test_bad_values_are_config_errors(changes: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_sources({}, environ=changes)


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        Settings.from_sources({"colour": "blue"}, environ={})
