from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from pymongo.errors import PyMongoError

from crm import legacy, legacy_input
from crm.legacy_server import LegacyServerError


class Command(BaseCommand):
    help = (
        "Import a legacy MongoDB collection (mongoexport file, or --mongo-uri) as mini-analyses or leads. "
        "Re-importing the same documents changes nothing; importing mini-analyses creates no lead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file", nargs="?", type=Path, help="mongoexport output: JSON lines or a JSON array."
        )
        parser.add_argument("--collection", required=True, choices=legacy.COLLECTIONS)
        parser.add_argument(
            "--mongo-uri", help="Read the collection from this MongoDB server instead of a file."
        )
        parser.add_argument("--db", help="MongoDB database name (default: the one in --mongo-uri).")
        parser.add_argument("--batch-size", type=int, default=legacy.DEFAULT_BATCH_SIZE)

    @no_translations
    def handle(
        self, *args, file: Path | None, collection: str, mongo_uri: str | None, db: str | None, **options
    ):
        if (file is None) == (mongo_uri is None):
            raise CommandError("Give either FILE or --mongo-uri.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        batch_size = options["batch_size"]
        if file is not None:
            if not file.is_file():
                raise CommandError(f"No such file: {file}")
            documents, unit = legacy_input.read_file(file), "line"
        else:
            documents, unit = (
                legacy_input.read_mongo(mongo_uri, db, collection, batch_size=batch_size),
                "document",
            )
        result, failure = legacy.ImportResult(), None
        try:
            legacy.import_documents(documents, collection, batch_size=batch_size, result=result)
        except LegacyServerError as error:
            failure = str(error)
        except PyMongoError as error:
            failure = f"MongoDB: {error}"
        for number, reason in result.rejected:
            self.stdout.write(self.style.ERROR(f"[ERROR] {unit} {number}: {reason}"))
        self.stdout.write(f"Imported: {result.imported}")
        self.stdout.write(f"Unchanged (already imported): {result.unchanged}")
        self.stdout.write(f"Rejected: {len(result.rejected)}")
        if failure:
            raise CommandError(
                f"{failure}\nThe import stopped there: the {result.imported} document(s) counted above are "
                "imported; run the same command again to import the rest (what is imported stays unchanged)."
            )
        if result.rejected:
            raise CommandError(
                f"{len(result.rejected)} document(s) rejected, see the [ERROR] lines.", returncode=1
            )
