"""Typed errors: each knows the HTTP status and the CLI exit code it stands for."""

from __future__ import annotations

import pytest

from citygraph import errors
from citygraph.errors import (
    EXIT_ERROR,
    EXIT_NOT_CONFORMING,
    BadParameter,
    CitygraphError,
    DataSyntaxError,
    MissingPathError,
    PublishError,
)

STATUS = {
    "ConfigError": 500, "MissingPathError": 404, "DataSyntaxError": 400, "ValidationFailed": 422,
    "BuildNotFound": 503, "BadRequest": 400, "QuerySyntaxError": 400, "BadParameter": 400,
    "UpdateForbidden": 403, "ServiceForbidden": 403, "RemoteServiceError": 502, "NotFound": 404,
    "NotAcceptable": 406, "QueryTooLarge": 413, "QueryTooExpensive": 503, "QueryTimeout": 503,
    "PublishError": 500,
    "RateLimited": 429,
    "QueryTooDeep": 400,
    "EngineCrashed": 503,
    "ExtractError": 400,
}


def every_error() -> list[type[CitygraphError]]:
    return [cls for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, CitygraphError) and cls is not
            CitygraphError]


def test_every_error_class_has_its_status() -> None:
    assert {cls.__name__: cls.http_status for cls in every_error()} == STATUS


@pytest.mark.parametrize("cls", every_error(), ids=lambda c: c.__name__)
def test_exit_codes(cls: type[CitygraphError]) -> None:
    expected = EXIT_NOT_CONFORMING if cls.__name__ == "ValidationFailed" else EXIT_ERROR
    assert cls.exit_code == expected


def test_messages_say_what_a_user_needs() -> None:
    assert str(DataSyntaxError("data/x.ttl", 7, "a dot is expected")) == \
        "data/x.ttl, line 7: a dot is expected"
    assert str(DataSyntaxError("data/x.ttl", None, "not UTF-8")) == "data/x.ttl: not UTF-8"
    assert str(MissingPathError("data/nope", "directory")) == "directory not found: data/nope"
    error = BadParameter("city", "is required")
    assert str(error) == "parameter 'city': is required" and error.name == "city"
    assert str(PublishError("dist/.dist-tmp-x/citygraph.nq", "No space left on device", "dist")) == \
        ("cannot write the build: dist/.dist-tmp-x/citygraph.nq: No space left on device; "
         "the previous build in dist is unchanged")
