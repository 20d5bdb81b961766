"""A sales person's contacts and companies include their deals' (`crm.visibility`): each list query
of contacts or companies (its count and its page, a search's too) reads the contact or company of
every deal the person owns. Through the owner's index that was a heap row per deal (16 666 rows,
13 ms of each of the two queries of a contacts list search at bench/search.py's scale); through
(owner, contact) and (owner, company) it is an index-only scan. The header's per-row `EXISTS`
(`visibility.visible_among_few`) probes the same indexes.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0033_search_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["owner", "contact"], name="opportunity_owner_contact"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["owner", "company"], name="opportunity_owner_company"),
        ),
    ]
