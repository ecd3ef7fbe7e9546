"""The ComfyUI frontend in Debian's chromium (headless, loopback only), driven by Playwright."""
import time
from contextlib import contextmanager

from playwright.sync_api import TimeoutError, sync_playwright

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


def double_click(page, x, y):
    """A double click at page position (x, y) whose two clicks are 50 ms apart by their event timestamps. The
    canvas tells a double click by the time between the two presses; Playwright's dblclick stamps each press when
    the busy browser takes it, which on a loaded machine can be more than the 300 ms the canvas allows."""
    cdp = page.context.new_cdp_session(page)
    start = time.time()
    steps = [("mousePressed", 1), ("mouseReleased", 1), ("mousePressed", 2), ("mouseReleased", 2)]
    for i, (kind, count) in enumerate(steps):
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": count,
                                              "buttons": int(kind == "mousePressed"), "timestamp": start + i * 0.025})
    cdp.detach()


OPEN_DIALOGS = "() => [...document.querySelectorAll('[role=dialog], .p-dialog')].filter((d) => d.checkVisibility())"


def close_dialogs(page):
    """Closes what a test left open (dialogs, the node search box) as a user does: Escape, or where a dialog does
    not take it (1.32's template browser), a click on the dimmed page beside it."""
    for _ in range(5):
        count = page.evaluate(f"({OPEN_DIALOGS})().length")
        if not count:
            return
        page.keyboard.press("Escape")
        fewer = f"(count) => ({OPEN_DIALOGS})().length < count"
        try:
            page.wait_for_function(fewer, arg=count, timeout=2_000)
        except TimeoutError:
            page.mouse.click(3, page.viewport_size["height"] - 3)
            page.wait_for_function(fewer, arg=count, timeout=5_000)
    raise AssertionError("dialogs keep opening")


def next_frame(page):
    """Waits until the page has drawn twice, so that what was just changed is on screen."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
