"""The shell renders in Japanese, with the htmx config first in <head>."""


def test_home_renders_in_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert html.index('name="htmx-config"') < html.index("<title>")
    assert "協働マッチ" in html


def test_htmx_comes_from_the_pinned_cdn_with_sri_by_default(client, app):
    html = client.get("/").get_data(as_text=True)
    assert f'src="{app.config["KYODO_HTMX_CDN_URL"]}"' in html
    assert f'integrity="{app.config["KYODO_HTMX_SRI"]}"' in html
    assert "@2.0." in app.config["KYODO_HTMX_CDN_URL"]
    assert "https://cdn.jsdelivr.net" in client.get("/").headers["Content-Security-Policy"]


def test_htmx_can_be_served_from_our_own_static_folder(tmp_path, database_url):
    from kyodo_match import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, database_url) | {"KYODO_HTMX_SOURCE": "local"})
    response = app.test_client().get("/")
    html = response.get_data(as_text=True)
    assert 'src="/static/vendor/htmx.min.js"' in html
    assert "cdn.jsdelivr.net" not in response.headers["Content-Security-Policy"]


def test_htmx_config_is_strict(client):
    import html as html_lib
    import json
    import re

    page = client.get("/").get_data(as_text=True)
    config = json.loads(html_lib.unescape(re.search(r'name="htmx-config" content="([^"]+)"', page).group(1)))
    assert config["selfRequestsOnly"] and not config["allowEval"] and not config["allowScriptTags"]
    assert config["historyCacheSize"] == 0
    handling = {rule["code"]: rule for rule in config["responseHandling"]}
    assert handling["422"]["swap"] is True and handling["[45].."]["swap"] is False


def test_english_locale_can_be_chosen(client):
    response = client.post("/locale", data={"locale": "en", "next": "/privacy"})
    assert response.status_code == 303 and response.headers["Location"] == "/privacy"
    assert '<html lang="en">' in client.get("/privacy").get_data(as_text=True)
    client.post("/locale", data={"locale": "xx", "next": "https://evil.example/"})
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_with_local_assets_the_map_library_is_served_from_our_static_folder_too(tmp_path, database_url):
    from kyodo_match import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, database_url) | {"KYODO_HTMX_SOURCE": "local"})
    with app.app_context():
        from kyodo_match.extensions import db
        from kyodo_match.models import AdoptSection, Department
        from kyodo_match.reference.services import seed_reference

        seed_reference()
        dept = db.session.scalar(db.select(Department.id).limit(1))
        db.session.add(AdoptSection(name="川の区間", department_id=dept,
                                    geometry={"type": "LineString", "coordinates": [[136.9, 35.47], [136.91, 35.48]]}))
        db.session.commit()
        db.session.remove()
    page = app.test_client().get("/adopt/").get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.js" in page and "cdn.jsdelivr.net" not in page
