"""Staff open the interactive API docs (/api/docs/): Swagger UI renders the
operations under the site's Content-Security-Policy (no inline script), and
the browser reports no CSP violation.  Anonymous visitors are sent to the
staff sign-in."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_staff_see_the_operations_rendered_without_csp_violations(page, sign_in, consultant_a):
    console = []
    page.on("console", lambda message: console.append((message.type, message.text, message.location)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(page, consultant_a.username)
    console.clear()  # only what the docs page logs

    page.goto("/api/docs/")
    operation = page.locator('.opblock-summary-path[data-path="/api/v1/transactions/"]').first
    expect(operation).to_be_visible()
    expect(page.locator(".opblock-post").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("DealerOps API")

    operation.click()  # an operation opens with its parameters and responses
    expect(page.locator(".opblock.is-open .responses-wrapper").first).to_be_visible()

    assert page.evaluate("window.__cspViolations") == []
    assert [c for c in console if "Content Security Policy" in c[1] or c[0] == "error"] == []


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(page):
    page.goto("/api/docs/")
    page.wait_for_url("**/accounts/login/?next=/api/docs/")
    expect(page.locator("input[name=login]")).to_be_visible()
