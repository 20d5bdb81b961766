"""Django's `ModelBackend`, reading a person's permissions in one statement where Django's reads
them in two.

Every admin page a sales person opens asks for their permissions (the navigation's models, the
list's actions, each object's checks): Django builds and runs two ORM queries for them, the
person's own permissions and their groups', 1.6-1.9 ms per request on the bench machine. One SQL
statement, written once from the models' tables, reads the same set in 0.4 ms; the result is
Django's own cache (`_perm_cache`), so nothing else changes: a superuser, an inactive person, an
object's permissions and `get_user_permissions`/`get_group_permissions` stay Django's.
`igv_site/tests/test_auth_backends.py` checks the set against Django's for every way of holding a
permission. No library does this; Django's backend is the one subclassed.

Django's own backend stays listed after this one, for the sessions opened before it (a session
names the backend that signed its person in). It would check a refused password a second time
(another hash, as slow as the first on purpose), so this backend's refusal is final: it stops
Django's loop over the backends the way Django provides (`PermissionDenied`), and the failed
sign-in is reported (`user_login_failed`, django-axes) once, as before.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connections, router

# The statement, written once per database vendor (`_permissions_sql`).
_PERMISSIONS_SQL: dict[str, str] = {}


def _permissions_sql(connection) -> str:
    if connection.vendor not in _PERMISSIONS_SQL:
        _PERMISSIONS_SQL[connection.vendor] = _written_permissions_sql(connection.ops.quote_name)
    return _PERMISSIONS_SQL[connection.vendor]


def _written_permissions_sql(vendor_quote) -> str:
    """`(app_label, codename)` of the permissions user %s holds, directly or through a group; the
    tables and columns are the models' (identifiers quoted by the database's own rule)."""
    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta
    member = user_model._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta
    permission, content_type = Permission._meta, ContentType._meta

    def table(meta) -> str:
        return vendor_quote(meta.db_table)

    def column(meta, name: str) -> str:
        return vendor_quote(meta.get_field(name).column)

    # Identifiers from the models, quoted; the user's key is a parameter.
    return (
        f"SELECT ct.{column(content_type, 'app_label')}, p.{column(permission, 'codename')}"  # noqa: S608
        f" FROM {table(permission)} p JOIN {table(content_type)} ct"
        f" ON ct.{column(content_type, 'id')} = p.{column(permission, 'content_type')}"
        f" WHERE p.{column(permission, 'id')} IN ("
        f"SELECT {column(own, 'permission')} FROM {table(own)} WHERE {column(own, 'user')} = %s"
        f" UNION ALL SELECT g.{column(granted, 'permission')} FROM {table(granted)} g"
        f" JOIN {table(member)} m ON m.{column(member, 'group')} = g.{column(granted, 'group')}"
        f" WHERE m.{column(member, 'user')} = %s)"
    )


class ModelBackendInOneQuery(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied  # Django's backend, next in the list, would check it again
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        user = await super().aauthenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if (
            user_obj.is_active
            and not user_obj.is_anonymous
            and not user_obj.is_superuser
            and obj is None
            and not hasattr(user_obj, "_perm_cache")
        ):
            connection = connections[router.db_for_read(Permission)]
            with connection.cursor() as cursor:
                cursor.execute(_permissions_sql(connection), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
        return super().get_all_permissions(user_obj, obj)
