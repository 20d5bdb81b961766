"""The shape of the code: modules depend one way. Every `import` of the project's apps counts,
also one inside a function (the usual way to hide a cycle)."""

import ast
from pathlib import Path

from django.conf import settings

APPS = ["igv_site", "mini_analysis", "crm"]


def project_modules() -> dict[str, Path]:
    """Every module of the apps but migrations and tests: dotted name -> file."""
    modules = {}
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            parts = path.relative_to(settings.BASE_DIR).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that `name` imports (a name imported from a package counts as its
    module when it is one, else as the package)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(f"{target}."):
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                on_stack.discard(member)
                component.append(member)
            on_stack.discard(node)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_the_imports_it_must_see():
    modules = project_modules()
    assert "mini_analysis.generation" in imports_of(
        "mini_analysis.tasks", modules["mini_analysis.tasks"], modules
    )
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_the_project_imports_itself_back():
    modules = project_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert cycles(graph) == []


# Past this, a module does several jobs: split it by concept (see docs/architecture.md).
MAX_MODULE_LINES = 400


def test_no_module_of_the_project_is_over_four_hundred_lines():
    lengths = {name: len(path.read_text().splitlines()) for name, path in project_modules().items()}
    assert {name: length for name, length in lengths.items() if length > MAX_MODULE_LINES} == {}


# The modules people and programs act through: the admin, the APIs, the dashboard, the commands.
# They change leads, contacts, companies, opportunities and activities through `crm.services`
# only (one write path: the history's actor, the row locks, what follows from a change).
ENTRY_POINTS = ["crm.admin", "crm.api", "crm.api_pipeline", "crm.dashboard", "crm.management.commands"]
WRITING_METHODS = {"save", "delete", "create", "update", "bulk_create", "bulk_update", "get_or_create"}
# Writes an entry point makes itself, each with its reason.
ALLOWED_WRITES = {
    # An uploaded file kept for the preview: storage, not a record.
    ("crm.admin.imports", "save"),
    # The demo's requests (not CRM records: their leads follow by the signal), dated in the past
    # once written, and the typed-in leads, saved as the admin's add form saves them.
    ("crm.management.commands.seed_demo", "create"),
    ("crm.management.commands.seed_demo", "update"),
}


def writes_of(path: Path) -> set[str]:
    """The writing methods called in a module (`x.save()`, `Model.objects.update(...)`, …); a
    form's `save(commit=False)` and a dict's `update` are not writes of a record."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            uncommitted = any(
                keyword.arg == "commit" and getattr(keyword.value, "value", True) is False
                for keyword in node.keywords
            )
            if (
                node.func.attr in WRITING_METHODS
                and not uncommitted
                and not (isinstance(receiver, ast.Name) and receiver.id in {"context", "kwargs"})
            ):
                found.add(node.func.attr)
    return found


def test_the_admin_apis_and_commands_change_crm_records_through_the_services_only():
    modules = {
        name: path
        for name, path in project_modules().items()
        if any(name == entry or name.startswith(f"{entry}.") for entry in ENTRY_POINTS)
    }
    assert "crm.admin.leads" in modules and "crm.management.commands.seed_demo" in modules
    writes = {(name, method) for name, path in modules.items() for method in writes_of(path)}
    assert writes - ALLOWED_WRITES == set()


def test_the_write_check_sees_a_write(tmp_path):
    module = tmp_path / "writer.py"
    module.write_text(
        "def f(lead, form):\n    lead.save(update_fields=['notes'])\n    form.data.update({})\n"
    )
    assert writes_of(module) == {"save", "update"}
