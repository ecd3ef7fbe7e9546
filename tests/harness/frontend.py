"""The ComfyUI frontend in Debian's chromium (headless, loopback only), driven by Playwright."""
from contextlib import contextmanager

from playwright.sync_api import sync_playwright

# Without the background-networking flags chromium keeps reaching for Google's hosts, which this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def open_frontend(url, init_script=None):
    """A page on the ComfyUI at url, once its node library is loaded; page.console_messages collects
    (type, text, source url) of every console message and page error."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.console_messages = []
        page.on("console", lambda m: page.console_messages.append((m.type, m.text, m.location.get("url", ""))))
        page.on("pageerror", lambda e: page.console_messages.append(("pageerror", str(e), "")))
        page.goto(url)
        page.wait_for_function("window.app && window.app.graph && window.LiteGraph", timeout=90_000)
        page.wait_for_function("Object.keys(window.LiteGraph.registered_node_types).length > 100", timeout=60_000)
        try:
            yield page
        finally:
            browser.close()
