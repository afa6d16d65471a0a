"""Settings, declared once with their defaults and help text.

Precedence: an explicit value (CLI flag or keyword), then the ``CITYGRAPH_<NAME>`` environment
variable, then the default declared here.

>>> s = Settings.from_sources({"port": "8123"}, environ={"CITYGRAPH_PORT": "9000"})
>>> s.port
8123
>>> Settings.from_sources({}, environ={"CITYGRAPH_PORT": "9000"}).port
9000
>>> Settings.from_sources({}, environ={}).base_iri
'https://w3id.org/citygraph/'
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_BASE = "https://w3id.org/citygraph/"
#: The engine crashes (stack overflow) from about 800 levels (SUM( or FILTER EXISTS { nested): a
#: wide margin below that. Measured in benchmarks/README.md.
DEFAULT_MAX_QUERY_DEPTH = 256
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"{}|\\^`]+$")
_PUBLIC_URL = re.compile(r"^https?://[^\s/?#<>\"{}|\\^`]+(/[^\s?#<>\"{}|\\^`]*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Setting:
    """One declared setting: its name, type, default and help text."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def env(self) -> str:
        """The environment variable that overrides this setting."""
        return "CITYGRAPH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("root", Path, Path("."), "project directory holding ontology/, data/, shapes/, queries/"),
    Setting("base_iri", str, DEFAULT_BASE, "base IRI of instances (…/id/{kind}/{slug})"),
    Setting("dist", Path, None, "output directory of the build (default: ROOT/dist)"),
    Setting("host", str, "127.0.0.1", "interface the server listens on"),
    Setting("port", int, 8000, "port the server listens on"),
    Setting("threads", int, 8, "threads of the WSGI server"),
    Setting("query_timeout", float, 10.0, "seconds a SPARQL query may run before it is stopped"),
    Setting("max_query_bytes", int, 64 * 1024, "largest accepted SPARQL query text, in bytes"),
    Setting("max_rows", int, 10_000, "largest number of result rows returned by /sparql and /api"),
    Setting("query_workers", int, 2, "worker processes that run SPARQL queries"),
    Setting("query_memory_mb", int, 2048,
            "memory (MiB) a query may take in its worker beyond the loaded build; 0: no limit"),
    Setting("cache_seconds", int, 300, "max-age of Cache-Control on data responses"),
    Setting("service_allowlist", str, "https://query.wikidata.org/sparql",
            "SPARQL endpoints a federated query (SERVICE) may call, comma-separated; "
            "'' allows none"),
    Setting("trusted_proxies", int, 0,
            "reverse proxies in front of the server: the client is the address that many "
            "X-Forwarded-For hops back; 0: X-Forwarded-For is ignored"),
    Setting("client_concurrent_queries", int, 1,
            "SPARQL/API queries one client may run at once (more: 429); 0: no limit"),
    Setting("client_query_seconds", float, 30.0,
            "seconds of query-worker time one client may use per minute (more: 429); 0: no limit"),
    Setting("connection_limit", int, 1000,
            "open connections the server accepts at once (slow clients included)"),
    Setting("channel_timeout", int, 60,
            "seconds an idle connection (no bytes received) stays open"),
    Setting("backlog", int, 2048, "connections the kernel queues while the server is at its limit"),
    Setting("max_query_depth", int, DEFAULT_MAX_QUERY_DEPTH,
            "deepest nesting of a query: each (), {}, [] and unary operator a level, each item of "
            "a sequence the engine nests (operators, UNION, FILTER, BIND, joined patterns, list items, "
            "projected or ordered expressions) a quarter "
            "of one; deeper is a 400 before the engine sees it"),
    Setting("public_url", str, "",
            "the server's public URL (e.g. https://citygraph.example.org/), written into the "
            "service description and redirects instead of the request's Host; '' uses the Host"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any) -> Any:
    if value is None or isinstance(value, setting.type):
        return value
    try:
        return setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {setting.name} ({setting.env}): {value!r} is not a valid "
                          f"{setting.type.__name__}") from exc


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run of the CLI or the web app."""

    root: Path = Path(".")
    base_iri: str = DEFAULT_BASE
    dist: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8
    query_timeout: float = 10.0
    max_query_bytes: int = 64 * 1024
    max_rows: int = 10_000
    query_workers: int = 2
    query_memory_mb: int = 2048
    cache_seconds: int = 300
    service_allowlist: str = "https://query.wikidata.org/sparql"
    trusted_proxies: int = 0
    client_concurrent_queries: int = 1
    client_query_seconds: float = 30.0
    connection_limit: int = 1000
    channel_timeout: int = 60
    backlog: int = 2048
    max_query_depth: int = DEFAULT_MAX_QUERY_DEPTH
    public_url: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.base_iri.endswith(("/", "#")):
            raise ConfigError(f"base IRI must end with '/' or '#': {self.base_iri!r}")
        if not _ABSOLUTE_IRI.match(self.base_iri):
            raise ConfigError(f"base IRI must be an absolute IRI such as https://example.org/cg/, "
                              f"without spaces or <>\"{{}}|\\^`: {self.base_iri!r}")
        if not math.isfinite(self.query_timeout):
            raise ConfigError(f"setting query_timeout must be a finite number of seconds, "
                              f"got {self.query_timeout!r}")
        for name in ("query_timeout", "max_query_bytes", "max_rows", "query_workers", "port",
                     "threads"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"setting {name} must be positive, got {getattr(self, name)!r}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"setting port must be between 1 and 65535, got {self.port!r}")
        if self.query_memory_mb < 0:
            raise ConfigError(f"setting query_memory_mb must be 0 or more, "
                              f"got {self.query_memory_mb!r}")
        for name in ("trusted_proxies", "client_concurrent_queries", "client_query_seconds"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"setting {name} must be 0 or more, got {value!r}")
        for name in ("connection_limit", "channel_timeout", "backlog"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"setting {name} must be positive, got {getattr(self, name)!r}")
        if self.max_query_depth <= 0:
            raise ConfigError(f"setting max_query_depth must be positive, "
                              f"got {self.max_query_depth!r}")
        if self.public_url:
            if not _PUBLIC_URL.match(self.public_url):
                raise ConfigError(f"setting public_url must be an absolute http(s) URL without "
                                  f"query or fragment, such as https://citygraph.example.org/, "
                                  f"got {self.public_url!r}")
            if not self.public_url.endswith("/"):  # the root of the app: a directory
                object.__setattr__(self, "public_url", self.public_url + "/")

    @property
    def services(self) -> frozenset[str]:
        """The endpoint IRIs a SERVICE clause may call."""
        from .federation import parse_allowlist

        return parse_allowlist(self.service_allowlist)

    @property
    def dist_dir(self) -> Path:
        """The build output directory."""
        return self.dist if self.dist is not None else self.root / "dist"

    @classmethod
    def from_sources(
        cls, explicit: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Resolve every setting: explicit value, then environment variable, then default."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            if explicit.get(setting.name) is not None:
                raw = explicit[setting.name]
            elif setting.env in env:
                raw = env[setting.env]
            else:
                raw = setting.default
            values[setting.name] = _coerce(setting, raw)
        unknown = set(explicit) - set(_BY_NAME)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)
