"""Errors everywhere are JSON a person can act on; never an HTML page or a traceback."""


def test_unknown_page_is_404_json(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.is_json
    assert "check the URL" in response.get_json()["description"]


def test_wrong_method_is_405_json_with_allow_header(client):
    response = client.post("/download/all.geojson")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]
