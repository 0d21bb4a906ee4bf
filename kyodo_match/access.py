"""Who may open which route: every view declares a policy, enforced on the server and enumerated by tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from flask import current_app
from flask_login import current_user

from .errors import NotAllowed
from .models import Role

ALL_ROLES: tuple[str, ...] = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Policy:
    """``anonymous``: open without login. ``roles``: which logged-in roles may enter (all by default)."""

    anonymous: bool
    roles: frozenset[str]

    def allows(self, user) -> bool:
        if not getattr(user, "is_authenticated", False):
            return self.anonymous
        return bool(self.roles.intersection(user.role_names)) or not user.role_names and self.anonymous

    def describe(self) -> dict[str, bool]:
        """The declared rule for anonymous visitors and for each role (used by the access test)."""
        return {"anonymous": self.anonymous} | {r: r in self.roles for r in ALL_ROLES}


PUBLIC = Policy(anonymous=True, roles=frozenset(ALL_ROLES))
SIGNED_IN = Policy(anonymous=False, roles=frozenset(ALL_ROLES))

# Endpoints that are not our views but are still routes of the app.
FRAMEWORK_ENDPOINTS = {"static": PUBLIC}


def _guard(policy: Policy, refusal: str | None = None) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated and not policy.anonymous:
                return current_app.login_manager.unauthorized()
            if not policy.allows(current_user):
                raise NotAllowed(refusal)  # 403, audited; ``refusal`` is shown on the error page
            return view(*args, **kwargs)

        wrapped.access_policy = policy  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Anyone, signed in or not."""
    return _guard(PUBLIC)(view)


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""
    return _guard(SIGNED_IN)(view)


def roles_required(*roles: Role | str, refusal: str | None = None) -> Callable:
    """Only signed-in users holding at least one of ``roles``; the others get 403 with ``refusal`` (a lazy
    string telling them how to get the role), if given."""
    return _guard(Policy(anonymous=False, roles=frozenset(str(r) for r in roles)), refusal)


def policy_for(endpoint: str) -> Policy | None:
    if endpoint in FRAMEWORK_ENDPOINTS:
        return FRAMEWORK_ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def is_centre(user) -> bool:
    """市民活動センター (coordinators) and administrators: they oversee every project, section and activity."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.COORDINATOR, Role.ADMIN))


def staff_like(user) -> bool:
    return user.is_authenticated and user.has_role(Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def any_role(user, roles: Iterable[str]) -> bool:
    return user.is_authenticated and user.has_role(*roles)


def permitted(obj, may) -> object:
    """``obj`` when ``may(current_user, obj)``: 404 (abort) when it is missing, 403 (NotAllowed) when not allowed.

    The one way views load an object a user asked for by id and check the object-level rule on the server.
    """
    from flask import abort

    if obj is None:
        abort(404)
    if not may(current_user, obj):
        raise NotAllowed()
    return obj
