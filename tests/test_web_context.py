"""The app's per-build state: the manifest, the named queries and two pools of query workers."""

from __future__ import annotations

import os

from citygraph.config import Settings
from citygraph.formats import GRAPH_FORMATS, SELECT_FORMATS
from citygraph.pipeline import BuildResult
from citygraph.web.context import AppContext


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_open_loads_the_build_and_starts_both_pools(settings: Settings,
                                                   built: BuildResult) -> None:
    context = AppContext.open(settings.replace(query_workers=2))
    try:
        assert context.version == built.manifest.version
        assert set(context.queries) == {p.stem for p in (settings.root / "queries").glob("*.rq")}
        public, internal = context.query_executor().pids, context.internal_executor().pids
        assert len(public) == 2 and len(internal) == 1 and not set(public) & set(internal)
        ask = context.run_query("ASK { ?s a cg:City }", select_format=SELECT_FORMATS["json"],
                                graph_format=GRAPH_FORMATS["turtle"], internal=True)
        assert ask.kind == "ask" and b"true" in ask.body
    finally:
        context.close()
    assert not any(alive(pid) for pid in public + internal)


def test_the_row_cap_defaults_to_the_setting(settings: Settings, built: BuildResult) -> None:
    context = AppContext.open(settings.replace(query_workers=1, max_rows=3))
    try:
        answer = context.run_query("SELECT * WHERE { ?s ?p ?o }",
                                   select_format=SELECT_FORMATS["csv"],
                                   graph_format=GRAPH_FORMATS["turtle"])
        assert answer.rows == 3 and answer.truncated
    finally:
        context.close()
