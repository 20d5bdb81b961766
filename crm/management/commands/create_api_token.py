"""Print the API token of a user (`Authorization: Bearer <token>` on `GET /api/crm/leads`)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print the API token of a user, creating it if needed (--reset replaces it)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--reset", action="store_true", help="Replace the existing token: the old one stops working."
        )

    def handle(self, *args, username: str, reset: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would be refused.")
        if reset:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        if not user.is_staff:
            self.stderr.write(
                self.style.WARNING(f"{username!r} is not staff: the leads API will answer 403 to this token.")
            )
        # The token alone on stdout, so `TOKEN=$(manage.py create_api_token admin)` works.
        self.stdout.write(token.key)
