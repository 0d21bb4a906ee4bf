"""The shell renders in Japanese, with the htmx config first in <head>."""


def test_home_renders_in_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert html.index('name="htmx-config"') < html.index("<title>")
    assert "協働マッチ" in html
