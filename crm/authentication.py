"""The API's tokens: issued by `create_api_token` (`issue_api_token`), checked on every request.

The scope is enforced here, while authenticating, rather than by a permission class: every view
of the API authenticates through this class, whatever permissions it lists, so a read-only token
cannot write through an endpoint added later that forgot to list a scope permission.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS

from .models import ApiToken


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with the `Authorization: Bearer <token>` header the seed uses,
    on `ApiToken`: an expired token is a 401, a read-only token on a method that writes a 403."""

    keyword = "Bearer"
    model = ApiToken

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[1].read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(_("This token is read-only: it may only read."))
        return result

    def authenticate_credentials(self, key: str):
        user, token = super().authenticate_credentials(key)
        if token.has_expired():
            raise exceptions.AuthenticationFailed(_("This token has expired: ask for a new one."))
        return user, token


def issue_api_token(
    user: AbstractBaseUser, *, read_only: bool = False, reset: bool = False
) -> tuple[ApiToken, bool]:
    """The user's token of this scope, created when there is none, or a new one when it has
    expired or `reset` asks for it (the old key stops working). Returns it and whether it is new."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, read_only=read_only).first()
        if token is not None and not reset and not token.has_expired():
            return token, False
        if token is not None:
            token.delete()
        return ApiToken.objects.create(user=user, read_only=read_only), True
