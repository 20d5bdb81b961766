from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with the `Authorization: Bearer <token>` header the seed uses."""

    keyword = "Bearer"
