"""`crm.pagination`: the prospects and activities pages count exactly up to a bound; a large
unfiltered PostgreSQL table is estimated; the page says which. A sales person's activities are
counted part by part, and the count is the number of rows they see."""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import pagination, visibility
from crm.admin import activities as activities_admin
from crm.models import Activity, ActivityKind, Lead, LeadStage
from crm.pagination import CountedInPartsChangeList, EstimatedCountPaginator
from mini_analysis.models import Status

from .factories import ActivityFactory, LeadFactory, OpportunityFactory, SalesPersonFactory

pytestmark = pytest.mark.django_db


class TinyThreshold(EstimatedCountPaginator):
    estimate_above = 2


class TinyBound(EstimatedCountPaginator):
    count_up_to = 3


def test_a_filtered_list_is_counted_exactly():
    LeadFactory.create_batch(3, status=Status.GENERATED)
    LeadFactory(status=Status.ERROR)
    paginator = TinyThreshold(Lead.objects.filter(status=Status.GENERATED), per_page=2)
    assert paginator.count == 3


def test_a_small_table_is_counted_exactly():
    LeadFactory.create_batch(3)
    assert EstimatedCountPaginator(Lead.objects.all(), per_page=2).count == 3


@pytest.mark.postgres_only
def test_an_unfiltered_large_postgresql_table_uses_the_planner_estimate_instead_of_count():
    LeadFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads")
        cursor.execute("UPDATE pg_class SET reltuples = 1000000 WHERE oid = 'leads'::regclass")
    assert TinyThreshold(Lead.objects.all(), per_page=2).count == 1_000_000
    assert TinyThreshold(Lead.objects.filter(status=Status.NEW), per_page=2).count == 5


def test_a_filtered_list_is_counted_up_to_the_bound_and_no_further():
    LeadFactory.create_batch(6, status=Status.GENERATED)
    paginator = TinyBound(Lead.objects.filter(status=Status.GENERATED), per_page=2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 3  # the rows offered; the list is longer
    assert "LIMIT 4" in queries[0]["sql"]
    assert paginator.count_is_lower_bound and not paginator.count_is_estimate
    assert paginator.num_pages == 2
    LeadFactory.create_batch(3, status=Status.ERROR)
    exact = TinyBound(Lead.objects.filter(status=Status.ERROR), per_page=2)
    assert exact.count == 3 and not exact.count_is_lower_bound


@pytest.mark.parametrize(
    ("language", "more_than", "select_all"),
    [
        ("fr", "plus de 3 prospects", "Sélectionner tous les prospects de la liste"),
        ("en", "more than 3 prospects", "Select all the prospects of the list"),
        ("he", "יותר מ־3 לידים", "בחירת כל הלידים ברשימה"),
    ],
)
def test_the_page_says_more_than_the_bound_and_never_a_wrong_total(
    client, signed_in_boss, monkeypatch, language, more_than, select_all
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_up_to", 3)
    LeadFactory.create_batch(5, status=Status.GENERATED)
    client.cookies["django_language"] = language
    page = client.get(reverse("admin:crm_lead_changelist") + "?status__exact=GENERATED").content.decode()
    assert page.count(more_than) == 2  # the pagination and the search bar
    assert select_all in page
    assert not re.search(r"\b[45] (results|résultats|תוצאות)", page)
    assert "4 prospects" not in page and "4 לידים" not in page


@pytest.mark.parametrize("user", ["signed_in_boss", "signed_in_seller"])
def test_a_search_is_counted_up_to_its_own_lower_bound_and_a_filter_to_the_lists(
    client, request, monkeypatch, user
):
    """A search that finds too much is typed again, not paged through: its matches are counted to
    `search_count_up_to`, the same rows reached by a filter to `count_up_to`."""
    request.getfixturevalue(user)
    monkeypatch.setattr(EstimatedCountPaginator, "search_count_up_to", 2)
    LeadFactory.create_batch(4, brand_name="Maison Lumière", status=Status.GENERATED, assigned_to=None)
    LeadFactory(brand_name="Atelier Nova", status=Status.ERROR, assigned_to=None)
    client.cookies["django_language"] = "en"
    url = reverse("admin:crm_lead_changelist")
    with CaptureQueriesContext(connection) as queries:
        searched = client.get(url, {"q": "lumiere"})
    cl = searched.context["cl"]
    assert cl.result_count == 2 and cl.paginator.count_is_lower_bound
    assert any(" LIMIT 3" in query["sql"] and "COUNT(" in query["sql"] for query in queries)
    assert searched.content.decode().count("more than 2 prospects") == 2  # pagination, search bar
    filtered = client.get(url, {"status__exact": "GENERATED"}).context["cl"]
    assert filtered.result_count == 4 and not filtered.paginator.count_is_lower_bound
    few = client.get(url, {"q": "nova"}).context["cl"]
    assert few.result_count == 1 and not few.paginator.count_is_lower_bound


def test_a_search_on_a_sales_persons_activities_is_counted_to_the_search_bound_across_the_parts(
    client, signed_in_seller, activities_of_three_owners, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "search_count_up_to", 3)
    Activity.objects.update(subject="Appel de suivi")
    cl = client.get(reverse("admin:crm_activity_changelist"), {"q": "suivi"}).context["cl"]
    assert len(cl.queryset.count_parts) == 2
    assert cl.result_count == 3 and cl.paginator.count_is_lower_bound  # 6 visible, counted to 3


def test_an_exact_count_is_shown_as_django_shows_it(client, signed_in_boss):
    LeadFactory.create_batch(3, status=Status.GENERATED)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:crm_lead_changelist") + "?status__exact=GENERATED").content.decode()
    assert "\n3 prospects\n" in page


@pytest.mark.postgres_only
def test_the_estimate_of_a_large_table_is_shown_as_about_n(client, signed_in_boss):
    LeadFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads")
        cursor.execute("UPDATE pg_class SET reltuples = 1234567 WHERE oid = 'leads'::regclass")
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "about 1,234,567 prospects" in page
    assert "Select all the prospects of the list" in page


@pytest.mark.parametrize("name", ["pagination.html", "search_form.html"])
def test_the_lists_count_templates_are_djangos_but_for_the_inexact_count(name):
    """Our copy of an admin template is Django's with one branch added around the count: a Django
    upgrade that changes the template fails here, and the copy is redone from the new one."""
    django_admin = Path(admin.__file__).parent / "templates" / "admin"
    ours = (Path(__file__).parents[1] / "templates" / "admin" / "crm" / "lead" / name).read_text()
    inexact_branch = re.compile(
        r"\{% if cl\.paginator\.count_is_estimate.*?\{% else %\}(.*?)\{% endif %\}\{# exact #\}\n?", re.S
    )
    without_comment = ours.split("\n", 1)[1]
    assert inexact_branch.search(without_comment)
    assert inexact_branch.sub(r"\1", without_comment) == (django_admin / name).read_text()


# --- A sales person's activities: counted part by part (`visibility.visible_activity_parts`) ---


@pytest.fixture
def activities_of_three_owners(seller):
    """Activities on the seller's leads, on a colleague's and on unassigned ones (2, 3 and 4 of
    them; the open tasks among them: 1, 1 and 2), and 2 calls on a deal of the colleague's."""
    colleague = SalesPersonFactory(username="colleague")
    for owner, count in [(seller, 2), (colleague, 3), (None, 4)]:
        for number in range(count):
            lead = LeadFactory(assigned_to=owner)
            if number % 2:
                ActivityFactory(lead=lead, kind=ActivityKind.TASK, done_at=None, due_at=timezone.now())
            else:
                ActivityFactory(lead=lead)
    deal = OpportunityFactory(owner=colleague)
    ActivityFactory.create_batch(2, opportunity=deal)
    return colleague


@pytest.mark.parametrize(
    ("query", "among", "expected"),
    [
        ("", Q(), 6),
        ("?open=yes", Q(kind=ActivityKind.TASK, done_at__isnull=True), 3),
        ("?kind__exact=call", Q(kind=ActivityKind.CALL), 3),
    ],
)
def test_a_sales_persons_activity_list_shows_exactly_the_visible_rows_and_their_count(
    client, signed_in_seller, activities_of_three_owners, query, among, expected
):
    cl = client.get(reverse("admin:crm_activity_changelist") + query).context["cl"]
    visible = set(visibility.visible_activities(signed_in_seller).filter(among))
    assert set(cl.result_list) == visible and len(visible) == expected
    assert cl.result_count == expected and not cl.paginator.count_is_lower_bound
    assert len(cl.queryset.count_parts) == 2  # on their leads; on unassigned ones or none (NULL)


def test_a_sales_persons_activities_are_counted_up_to_the_bound_across_the_parts(
    client, signed_in_seller, activities_of_three_owners, monkeypatch
):
    monkeypatch.setattr(activities_admin.ActivityPaginator, "count_up_to", 3)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("admin:crm_activity_changelist"))
    assert response.context["cl"].paginator.count_is_lower_bound
    page = response.content.decode()
    assert page.count("more than 3 activities") == 2  # the pagination and the search bar
    assert "Select all the activities of the list" in page


def test_the_parts_past_the_one_that_reaches_the_bound_are_not_built(
    client, signed_in_seller, activities_of_three_owners, monkeypatch
):
    """A part's list (its filters, search, order) is built when the count reads it: the seller's
    2 activities reach a bound of 1, so the other part (on unassigned leads or none) is never built."""
    monkeypatch.setattr(activities_admin.ActivityPaginator, "count_up_to", 1)
    built = []
    list_from = CountedInPartsChangeList._list_from
    monkeypatch.setattr(
        CountedInPartsChangeList,
        "_list_from",
        lambda self, request, root: built.append(root) or list_from(self, request, root),
    )
    cl = client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    assert cl.paginator.count_is_lower_bound and len(cl.queryset.count_parts) == 2
    assert len(built) == 1 and set(built[0]) == set(visibility.visible_activity_parts(signed_in_seller)[0])


@pytest.mark.parametrize("user", ["signed_in_boss", "signed_in_seller"])
def test_the_activities_are_counted_to_2000_where_the_prospects_are_to_10000(client, request, user):
    """A log is narrowed by its filters, not paged through: past 2 000 rows the activities say
    "more than 2 000" (40 pages); the prospects' bound stays 10 000."""
    seller = request.getfixturevalue(user)
    lead = LeadFactory(assigned_to=seller if not seller.is_superuser else None)
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(lead=lead, kind=ActivityKind.NOTE, subject=f"Note {n}", done_at=now) for n in range(2_001)
    )
    client.cookies["django_language"] = "en"
    response = client.get(reverse("admin:crm_activity_changelist"), {"kind__exact": ActivityKind.NOTE})
    cl = response.context["cl"]
    assert cl.result_count == 2_000 and cl.paginator.count_is_lower_bound
    assert response.content.decode().count("more than 2,000 activities") == 2  # pagination, search bar
    assert cl.paginator.num_pages == 40
    prospects = client.get(reverse("admin:crm_lead_changelist")).context["cl"].paginator
    assert prospects.count_up_to == 10_000


def test_a_managers_activities_are_one_part(client, signed_in_boss, activities_of_three_owners):
    cl = client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    assert cl.result_count == Activity.objects.count() == 11
    assert not hasattr(cl.queryset, "count_parts")


def test_a_sales_persons_activity_list_makes_as_many_queries_for_6_rows_as_for_60(client, signed_in_seller):
    """The count reads each part once, whatever the number of rows."""

    def queries_for(rows: int) -> int:
        for _ in range(rows):
            ActivityFactory(lead=LeadFactory(assigned_to=signed_in_seller))
            ActivityFactory(lead=LeadFactory())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:crm_activity_changelist")).status_code == 200
        return len(queries)

    few = queries_for(3)
    assert queries_for(27) == few


def test_a_short_lists_ids_are_read_with_its_count_not_by_a_query_of_their_own(
    client, signed_in_seller, activities_of_three_owners
):
    """Each part's count statement brings its ids (at most `read_by_ids_up_to`): the page then
    reads its rows by them, and no statement reads the parts again."""
    with CaptureQueriesContext(connection) as queries:
        cl = client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    visible = visibility.visible_activities(signed_in_seller)
    assert sorted(cl.paginator.ids) == sorted(visible.values_list("pk", flat=True))
    assert cl.rows_read_from == "ids" and set(cl.result_list) == set(visible)
    counts = [query["sql"] for query in queries if "COUNT(*)" in query["sql"]]
    assert len(counts) == 2  # one per part, each with its ids
    assert not any("UNION" in query["sql"] and "crm_activity" in query["sql"] for query in queries)


def test_a_list_longer_than_the_ids_bound_is_counted_without_its_ids(
    client, signed_in_seller, activities_of_three_owners, monkeypatch
):
    monkeypatch.setattr(CountedInPartsChangeList, "read_by_ids_up_to", 5)
    cl = client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    assert cl.result_count == 6 and cl.paginator.ids is None and cl.rows_read_from != "ids"


def test_a_list_with_no_row_is_read_by_its_empty_ids(client, signed_in_seller, activities_of_three_owners):
    cl = client.get(reverse("admin:crm_activity_changelist"), {"q": "no activity says this"}).context["cl"]
    assert cl.result_count == 0 and cl.paginator.ids == [] and list(cl.result_list) == []


@pytest.mark.parametrize(
    ("limit", "ids_up_to", "found", "read"),
    [
        (11, 3, 3, True),
        (11, 2, 3, False),
        (3, 3, 3, True),
        (2, 3, 2, True),
        (10_001, 3, 3, True),  # past `_IDS_BESIDE_UP_TO`: the ids by their own subquery
        (10_001, 2, 3, False),
    ],
)
def test_a_part_is_counted_up_to_its_limit_with_its_ids_when_it_has_no_more_than_asked(
    limit, ids_up_to, found, read
):
    leads = LeadFactory.create_batch(3)
    counted, ids = pagination._count_and_ids(Lead.objects.order_by("pk"), limit, ids_up_to)
    assert counted == found
    if read:
        assert len(ids) == found and set(ids) <= {lead.pk for lead in leads}
    else:
        assert ids is None


@pytest.mark.postgres_only
def test_a_long_parts_ids_are_never_read_past_the_bound_of_the_ids_beside_the_count():
    """Past `_IDS_BESIDE_UP_TO` (the prospects' 10 000), the ids' subquery runs only for a part
    short enough to be read by them: aggregated beside every count, they made a long list's count
    read its rows where an index alone counted them."""
    LeadFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        assert pagination._count_and_ids(Lead.objects.order_by(), 10_001, 2) == (5, None)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    (init_plan,) = [line for line in plan.splitlines() if "Aggregate" in line and "never executed" in line]
    assert init_plan


# --- A sales person's prospects: counted part by part (`visibility.visible_lead_parts`) ---


@pytest.fixture
def leads_of_three_owners(seller):
    """Prospects of the seller's, a colleague's and unassigned (3, 4 and 4), generated and in
    error by turns, attempted or new by turns."""
    colleague = SalesPersonFactory(username="colleague")
    for owner, count in [(seller, 3), (colleague, 4), (None, 4)]:
        for number in range(count):
            LeadFactory(
                assigned_to=owner,
                status=[Status.GENERATED, Status.ERROR][number % 2],
                stage=[LeadStage.ATTEMPTING, LeadStage.NEW][number % 2],
            )
    return colleague


@pytest.mark.parametrize(
    ("query", "among", "expected"),
    [
        ("", Q(), 7),
        ("?status__exact=GENERATED", Q(status=Status.GENERATED), 4),
        ("?stage__exact=ATTEMPTING", Q(stage=LeadStage.ATTEMPTING), 4),
    ],
)
def test_a_sales_persons_prospect_list_shows_exactly_the_visible_rows_and_their_count(
    client, signed_in_seller, leads_of_three_owners, query, among, expected
):
    cl = client.get(reverse("admin:crm_lead_changelist") + query).context["cl"]
    visible = set(visibility.visible_leads(signed_in_seller).filter(among))
    assert set(cl.result_list) == visible and len(visible) == expected
    assert cl.result_count == expected and not cl.paginator.count_is_lower_bound
    assert len(cl.queryset.count_parts) == 2  # their leads, the unassigned ones


def test_a_sales_persons_prospects_are_counted_up_to_the_bound_across_the_parts(
    client, signed_in_seller, leads_of_three_owners, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_up_to", 5)
    cl = client.get(reverse("admin:crm_lead_changelist")).context["cl"]
    assert cl.result_count == 5 and cl.paginator.count_is_lower_bound


def test_a_managers_prospects_are_one_part(client, signed_in_boss, leads_of_three_owners):
    cl = client.get(reverse("admin:crm_lead_changelist")).context["cl"]
    assert cl.result_count == Lead.objects.count() == 11
    assert not hasattr(cl.queryset, "count_parts")


# --- A sales person's long list of activities, page by page: the visible rows, in order ---


@pytest.mark.parametrize(
    ("order", "ordering"),
    [
        ("", ["-created_at", "-id"]),  # the list's own order, newest first
        ("&o=1.2", ["kind", "subject", "-pk"]),  # by kind, then subject, as a click on the headers asks
        ("&o=-6", ["-owner__username", "-pk"]),  # by owner, descending
    ],
)
def test_a_sales_persons_activity_pages_hold_the_visible_rows_in_the_order_asked(
    client,
    signed_in_seller,
    activities_of_three_owners,
    monkeypatch,
    order,
    ordering,
):
    """Past the bound of a list read by its ids, each page is read from the list's own query: page
    after page, the rows `visibility` gives the seller, each once, in the order asked."""
    model_admin = admin.site._registry[Activity]
    monkeypatch.setattr(model_admin, "list_per_page", 2)
    monkeypatch.setattr(CountedInPartsChangeList, "read_by_ids_up_to", 1)  # 6 rows: a long list
    expected = list(visibility.visible_activities(signed_in_seller).order_by(*ordering))
    url = reverse("admin:crm_activity_changelist")
    pages = client.get(url).context["cl"].paginator.num_pages
    assert pages == 3 and len(expected) == 6
    for number in range(pages):
        cl = client.get(f"{url}?p={number + 1}{order}").context["cl"]
        assert cl.rows_read_from == "list"
        assert list(cl.result_list) == expected[number * 2 : number * 2 + 2]


@pytest.mark.parametrize("model_name", ["lead", "activity"])
def test_a_sales_persons_list_reads_its_filters_choices_once_for_all_its_parts(
    client, signed_in_seller, activities_of_three_owners, model_name
):
    """The staff of the owner filter are read once per view, not once per part."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:crm_{model_name}_changelist"))
    assert len(response.context["cl"].queryset.count_parts) >= 2
    staff = [query for query in queries if 'FROM "auth_user" WHERE "auth_user"."is_staff"' in query["sql"]]
    assert len(staff) == 1


def read_by_listed_ids(cl) -> bool:
    """The page's rows are those of a list of ids the parts gave (read with their counts), and
    nothing else narrows them: no subquery for the page's joins to be planned over."""
    children = cl.result_list.query.where.children
    if len(children) != 1:
        return False
    (condition,) = children
    return (
        condition.lookup_name == "in"
        and condition.lhs.target.primary_key
        and isinstance(condition.rhs, (list, tuple, set))
    )


@pytest.mark.parametrize("query", ["", "?q=activity", "?all=&kind__exact=task"])
def test_a_sales_persons_list_that_fits_on_one_page_is_read_by_its_parts_ids(
    client, signed_in_seller, activities_of_three_owners, query
):
    """Django reads a one-page list whole, without a LIMIT: through the visibility `OR` a sparse
    list walked every activity by date (`bench/prospects.py`, skewed owners, the search). The
    count has shown it is short, so its rows are read by the ids its parts give: the same rows,
    in the list's order."""
    cl = client.get(reverse("admin:crm_activity_changelist") + query).context["cl"]
    assert not cl.multi_page
    assert cl.rows_read_from == "ids"
    assert read_by_listed_ids(cl)  # the ids of its parts
    assert list(cl.result_list) == list(cl.queryset)
    assert len(cl.result_list) == cl.result_count > 0


def test_a_short_lists_rows_are_read_by_their_ids_alone(client, signed_in_seller, activities_of_three_owners):
    """The ids hold the visibility, the filters and the search already: the rows' query reads no
    condition of its own again (through the `OR`, the visibility cost a third of a short list's
    page, `bench/prospects.py`, skewed owners)."""
    cl = client.get(reverse("admin:crm_activity_changelist") + "?q=activity&kind__exact=task").context["cl"]
    assert cl.rows_read_from == "ids" and len(cl.result_list) == cl.result_count == 3
    (condition,) = cl.result_list.query.where.children
    assert condition.lhs.target.primary_key and condition.lookup_name == "in"
    assert set(cl.result_list) == set(cl.queryset)


@pytest.mark.parametrize("order", ["", "&o=1.2", "&o=-6"])
def test_each_page_of_a_sales_persons_short_list_is_read_by_its_parts_ids_in_the_lists_order(
    client, signed_in_seller, activities_of_three_owners, monkeypatch, order
):
    monkeypatch.setattr(admin.site._registry[Activity], "list_per_page", 2)
    url = reverse("admin:crm_activity_changelist")
    pages = client.get(url).context["cl"].paginator.num_pages
    assert pages == 3  # 6 rows
    for number in range(pages):
        cl = client.get(f"{url}?p={number + 1}{order}").context["cl"]
        assert cl.rows_read_from == "ids" and read_by_listed_ids(cl)
        assert list(cl.result_list) == list(cl.queryset)[number * 2 : number * 2 + 2]


def test_a_sales_persons_list_longer_than_the_bound_is_read_in_its_own_order(
    client, signed_in_seller, activities_of_three_owners, monkeypatch
):
    """Past `read_by_ids_up_to` the ids would cost more than the walk of a dense list's order."""
    monkeypatch.setattr(CountedInPartsChangeList, "read_by_ids_up_to", 5)
    cl = client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    assert cl.result_count == 6
    assert cl.rows_read_from != "ids" and not read_by_listed_ids(cl)
    assert list(cl.result_list) == list(cl.queryset)
