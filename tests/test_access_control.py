"""Every route of the app declares who may use it, and the server enforces that for every role."""

from __future__ import annotations

import re

import pytest

from kyodo_match.access import ALL_ROLES, policy_for
from kyodo_match.models import Role
from tests.factories import make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app):
    return list(app.url_map.iter_rules())


def _sample_url(rule) -> str:
    """Fill URL parameters with harmless values: an object that does not exist, or a plain word."""
    url = rule.rule
    for name, conv in rule._converters.items():  # noqa: SLF001
        value = "999999" if type(conv).__name__ in {"IntegerConverter", "NumberConverter"} else "x"
        if rule.endpoint == "static":
            value = "css/app.css"
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
    return url


def test_every_route_declares_a_rule_for_anonymous_and_every_role(app):
    missing = []
    for rule in _routes(app):
        with app.test_request_context():
            policy = policy_for(rule.endpoint)
        if policy is None:
            missing.append(rule.endpoint)
            continue
        described = policy.describe()
        assert set(described) == {"anonymous", *ALL_ROLES}, rule.endpoint
    assert not missing, f"routes without an access rule: {missing}"


@pytest.mark.parametrize("who", ["anonymous", *ALL_ROLES])
def test_server_enforces_the_declared_rule_for(who, app, client, login):
    user = None
    if who != "anonymous":
        user = make_user(Role(who))
        login(user)
    checked = 0
    for rule in _routes(app):
        with app.test_request_context():
            policy = policy_for(rule.endpoint)
        allowed = policy.describe()[who]
        url = _sample_url(rule)
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        for method in sorted(methods):
            if allowed and method in UNSAFE:
                continue  # allowed writes are exercised by each domain's own tests
            response = client.open(url, method=method, data={})
            checked += 1
            status = response.status_code
            if allowed:
                assert status < 500, f"{who} {method} {url}: {status}"
                assert status != 403, f"{who} {method} {url} refused although allowed"
            elif who == "anonymous" and url.startswith("/api/"):
                assert status == 401 and response.is_json, f"anonymous {method} {url}: {status}"
            elif who == "anonymous":
                assert status in (302, 303), f"anonymous {method} {url}: {status}"
                assert "/login" in response.headers["Location"]
            else:
                assert status == 403, f"{who} {method} {url}: {status}"
    assert checked > 5
