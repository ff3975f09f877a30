"""The apps depend downward only (ARCHITECTURE.md): a module imports the apps below its own,
plus followups.services, the one upward call. Function-level imports count like the others."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top; an app may import any app to its left.
LAYERS = ("crm", "staff", "webhooks", "guests", "visits", "bookings", "calls", "followups", "reports", "demo")
UPWARD_ALLOWED = "followups.services"
# Module → the upper modules it may import, each with why. A new entry needs a reason in review.
EXCEPTIONS = {
    "crm.urls": {app: "mounts every app's pages" for app in LAYERS},
    # The exported card and register are the whole paper record: its table of visits and
    # complaints, and the 12-month figures columns, computed by the visits selector the profile uses.
    "guests.cards.export": {"visits.models": "the card's visit and complaint tables", "visits.selectors": "figures"},
}


def project_modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield ".".join(p for p in parts if p != "__init__"), path


def imports_of(module: str, path: Path):
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            # `from followups import services` imports followups.services
            yield from (f"{target}.{alias.name}" for alias in node.names)


def upward_imports():
    for module, path in project_modules():
        own = LAYERS.index(module.split(".")[0])
        allowed = EXCEPTIONS.get(module, {})
        for target in imports_of(module, path):
            app = target.split(".")[0]
            if app not in LAYERS or LAYERS.index(app) <= own:
                continue
            if target == UPWARD_ALLOWED or target.startswith(UPWARD_ALLOWED + "."):
                continue
            if any(target == name or target.startswith(name + ".") for name in allowed):
                continue
            yield f"{module} imports {target}"


def test_every_app_imports_only_the_apps_below_it_and_followups_services():
    assert sorted(set(upward_imports())) == []


def test_the_walk_sees_an_upward_import_and_a_relative_one(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from reports.review import review_start\nfrom ..followups import services\n", encoding="utf-8")
    assert list(imports_of("guests.cards.views", module)) == [
        "reports.review.review_start", "guests.followups.services"
    ]  # fmt: skip


def test_no_app_is_missing_from_the_layers():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps <= set(LAYERS)
