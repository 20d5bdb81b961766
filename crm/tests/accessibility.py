"""`assert_accessible(page, name)`: axe-core finds no critical or serious violation on the page.

axe-core is the npm package pinned by package.json and package-lock.json (`make test` installs it
into node_modules/). It is evaluated in the page through Playwright's DevTools channel, which the
page's strict CSP does not govern, so the site itself never serves it.
"""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# The impacts that fail a test; "moderate" and "minor" are reported by axe but tolerated.
FAILING_IMPACTS = ["critical", "serious"]
RUN_AXE = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ["violations"], preload: false});
  return results.violations.filter((violation) => impacts.includes(violation.impact)).map(
    (violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    })
  );
}"""


def axe_violations(page: Page) -> list[dict]:
    """The page's critical and serious violations, as axe reports them (id, impact, help, targets)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci, from package-lock.json).")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(RUN_AXE, FAILING_IMPACTS)


def assert_accessible(page: Page, name: str) -> None:
    """Fails with one line per violation and element: what is wrong, where, and axe's rule id."""
    violations = axe_violations(page)
    lines = [
        f"{name}: {violation['impact']} {violation['id']} ({violation['help']}) at {target}"
        for violation in violations
        for target in violation["targets"]
    ]
    assert not lines, "\n".join(lines)
