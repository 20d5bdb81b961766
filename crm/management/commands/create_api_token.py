"""Print an API token of a user (`Authorization: Bearer <token>` on `/api/crm/…`)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.authentication import issue_api_token


class Command(BaseCommand):
    help = (
        "Print the API token of a user, creating it if needed or when it has expired "
        "(API_TOKEN_TTL_DAYS); --read-only for a token that may only read, --reset to replace it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--read-only",
            action="store_true",
            help="The user's read-only token, for a script that lists: any method but GET answers 403.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Replace the existing token: the old one stops working."
        )

    def handle(self, *args, username: str, read_only: bool, reset: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would be refused.")
        token, created = issue_api_token(user, read_only=read_only, reset=reset)
        if not user.is_staff:
            self.stderr.write(
                self.style.WARNING(f"{username!r} is not staff: the leads API will answer 403 to this token.")
            )
        scope = "read-only" if token.read_only else "full-access"
        state = "new" if created else "existing"
        until = timezone.localtime(token.expires_at)
        self.stderr.write(
            f"{state.capitalize()} {scope} token of {username!r}, valid until {until:%Y-%m-%d %H:%M}."
        )
        # The token alone on stdout, so `TOKEN=$(manage.py create_api_token admin)` works.
        self.stdout.write(token.key)
