"""Cross-cutting web behaviour: typed errors as plain text, ETags and 304s, CORS, gzip."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from citygraph.errors import QueryTimeout
from citygraph.formats import GRAPH_FORMATS
from citygraph.web.common import cached, negotiated, plain, unchanged


def test_plain_text_errors_have_a_charset(app: Flask) -> None:
    with app.test_request_context("/"):
        response = plain("bad\n", 400)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_strong_and_weak_etags_and_revalidation(app: Flask) -> None:
    with app.test_request_context("/x"):
        strong = negotiated(b"body", GRAPH_FORMATS["turtle"], variant="v")
        weak = cached(plain("body"), "v", weak=True)
    tag = strong.headers["ETag"]
    assert not tag.startswith("W/") and weak.headers["ETag"] == "W/" + tag
    assert "public" in strong.headers["Cache-Control"] and "Accept" in strong.headers["Vary"]
    with app.test_request_context("/x", headers={"If-None-Match": tag}):
        assert negotiated(b"body", GRAPH_FORMATS["turtle"], variant="v").status_code == 304
        answered = unchanged("v")
        assert answered is not None and answered.status_code == 304  # weak comparison
    with app.test_request_context("/x", headers={"If-None-Match": '"other"'}):
        assert unchanged("v") is None
    with app.test_request_context("/x", method="POST", headers={"If-None-Match": tag}):
        assert unchanged("v") is None  # only GET and HEAD revalidate


def test_a_typed_error_becomes_its_status_with_retry_after_for_503(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise QueryTimeout("the query ran longer than the limit")

    response = app.test_client().get("/boom")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "the query ran longer than the limit\n"
    assert response.headers["Retry-After"] == "10"


def test_unknown_path_is_a_404_page_for_browsers_and_text_otherwise(client: FlaskClient) -> None:
    html = client.get("/no/such/thing", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    text = client.get("/no/such/thing", headers={"Accept": "text/html;q=0, text/plain"})
    assert text.status_code == 404 and text.mimetype == "text/plain"


def test_cors_and_gzip(client: FlaskClient) -> None:
    response = client.get("/dump/citygraph.nt", headers={"Origin": "https://portal.example",
                                                          "Accept-Encoding": "gzip"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
