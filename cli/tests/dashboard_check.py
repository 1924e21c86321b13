"""Checks a rendered dashboard against the reports it was made from, in headless Chromium, and
prints its size and open time (ci/dashboard --check: the page of everything ci/test produced).

  python3 cli/tests/dashboard_check.py PAGE.html REPORT.json...
"""

import os
import sys

from cli_support import Checks
from dashboard_page import Dom, compare, dump_dom, expectations, external_references, run_browser


def main():
    page, reports = sys.argv[1], sys.argv[2:]
    checks = Checks()
    with open(page, encoding="utf-8") as f:
        text = f.read()
    checks.expect(external_references(text) == [], "the page references nothing outside itself",
                  external_references(text)[:5])
    checks.expect(len(text.encode("utf-8")) < 2 * 1024 * 1024, "the page weighs under 2 MB",
                  f"{len(text.encode('utf-8'))} bytes")
    # Open time: Chromium on the page minus Chromium on an empty page (start-up, not the page).
    _, blank = run_browser("about:blank", "--dump-dom")
    dom_text, seconds = dump_dom(page)
    print(f"dashboard_check: {os.path.getsize(page)} bytes; chromium --dump-dom {seconds:.2f} s "
          f"(about:blank {blank:.2f} s: the page itself {max(0.0, seconds - blank):.2f} s)")
    compare(Dom(dom_text), expectations(reports), checks)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
