"""The real ComfyUI frontend in Debian's chromium (headless, loopback only) with this pack installed."""
import os

import pytest
from comfy_fixtures import ARTIFACTS
from frontend import next_frame, open_frontend


@pytest.fixture(scope="module")
def page(comfy, frontend):
    with open_frontend(comfy.url) as page:
        yield page
        page.screenshot(path=os.path.join(ARTIFACTS, f"frontend-{frontend}.png"))


def test_pack_nodes_are_in_the_node_library(page, comfy):
    ours = [name for name, node in comfy.get_json("/object_info").items() if node["category"].startswith("Tempo/")]
    assert ours
    registered = page.evaluate(
        "(names) => names.filter(n => n in window.LiteGraph.registered_node_types)", ours)
    assert registered == ours


def test_console_has_no_errors_from_the_pack(page):
    next_frame(page)  # the canvas has drawn the (empty) graph with every extension loaded
    ours = [m for m in page.console_messages
            if m[0] in ("error", "pageerror") and ("tempo" in (m[1] + m[2]).lower())]
    assert not ours, ours
