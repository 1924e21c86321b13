"""Checks a rendered dashboard against the reports it was made from, in headless Chromium, and
prints its size and open time (ci/dashboard --check: the page of everything ci/test produced).

  python3 cli/tests/dashboard_check.py PAGE.html [--mutation MUTANTS.json] REPORT.json...
"""

import os
import re
import sys
import tempfile

from cli_support import Checks
from dashboard_page import (Dom, compare, compare_strength, dump_dom, expectations,
                            external_references, run_browser)

# A test-side wrapper (the page itself has no script): loads the page in an iframe, forces layout
# and writes the milliseconds from the wrapper's start to the page laid out into the title.
WRAPPER = """<!DOCTYPE html><title>-</title><iframe id="f" style="width:1400px;height:1000px"></iframe>
<script>const f = document.getElementById('f');
f.onload = () => { f.contentDocument.body.getBoundingClientRect();
  document.title = 'loaded ' + performance.now().toFixed(0); };
f.src = %s;</script>"""


def open_time_ms(page):
    """Milliseconds Chromium takes to load and lay out `page` (without its own start-up)."""
    with tempfile.TemporaryDirectory(prefix="pc-open-") as scratch:
        wrapper = os.path.join(scratch, "open.html")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write(WRAPPER % repr("file://" + os.path.abspath(page)))
        done, _ = run_browser("file://" + wrapper, "--dump-dom", "--allow-file-access-from-files")
        found = re.search(r"<title>loaded (\d+)</title>", done.stdout.decode("utf-8", "replace"))
        return int(found.group(1)) if found else None


def main():
    page, reports, mutation = sys.argv[1], sys.argv[2:], None
    if reports[:1] == ["--mutation"]:
        mutation, reports = reports[1], reports[2:]
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
    print(f"dashboard_check: loaded and laid out in {open_time_ms(page)} ms (in-browser, "
          f"load average {os.getloadavg()[0]:.1f})")
    dom = Dom(dom_text)
    compare(dom, expectations(reports), checks)
    if mutation:
        compare_strength(dom, mutation, checks)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
