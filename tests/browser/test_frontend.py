"""The real ComfyUI frontend in Debian's chromium (headless, loopback only) with this pack installed."""
import os

import pytest
from comfy_fixtures import ARTIFACTS
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(comfy, tmp_path_factory):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.console_messages = []
        page.on("console", lambda m: page.console_messages.append((m.type, m.text, m.location.get("url", ""))))
        page.on("pageerror", lambda e: page.console_messages.append(("pageerror", str(e), "")))
        page.goto(comfy.url)
        page.wait_for_function("window.app && window.app.graph && window.LiteGraph", timeout=90_000)
        page.wait_for_function("Object.keys(window.LiteGraph.registered_node_types).length > 100", timeout=60_000)
        yield page
        page.screenshot(path=os.path.join(ARTIFACTS, "frontend.png"))
        browser.close()


def test_pack_nodes_are_in_the_node_library(page, comfy):
    ours = [name for name, node in comfy.get_json("/object_info").items() if node["category"].startswith("Tempo/")]
    assert ours
    registered = page.evaluate(
        "(names) => names.filter(n => n in window.LiteGraph.registered_node_types)", ours)
    assert registered == ours


def test_console_has_no_errors_from_the_pack(page):
    page.wait_for_timeout(1000)
    ours = [m for m in page.console_messages
            if m[0] in ("error", "pageerror") and ("tempo" in (m[1] + m[2]).lower())]
    assert not ours, ours
