"""The frontend side of migrate/: a workflow of other animation packs (not installed) dropped on the canvas offers
"Convert to Tempo" beside the host's missing-nodes message; converting loads a graph with no missing nodes, whose
prompt is the server's conversion, and shows the report."""
import base64
import io
import json
import os
import sys

import pytest
from PIL import Image, PngImagePlugin

from comfy_fixtures import ARTIFACTS
from frontend import open_frontend
from workflow import to_api

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import peer_workflows  # noqa: E402

INIT_SCRIPT = "localStorage.setItem('vueNodesBannerDismissed', 'true')"
OFFER = "#tempo-migrate-offer button:has-text('Convert to Tempo')"
DROP = """([data, name, type]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    const canvas = app.canvas.canvas, rect = canvas.getBoundingClientRect();
    const options = { dataTransfer: transfer, bubbles: true, cancelable: true,
                      clientX: rect.left + 500, clientY: rect.top + 400 };
    for (const type of ['dragenter', 'dragover', 'drop']) canvas.dispatchEvent(new DragEvent(type, options));
}"""
STATE = """() => ({
    types: app.graph.nodes.map((n) => n.type),
    missing: app.graph.nodes.filter((n) => !(n.type in LiteGraph.registered_node_types) || n.has_errors)
                            .map((n) => n.type),
    entries: [...document.querySelectorAll('#tempo-migrate-report .tempo-migrate-entry')]
             .map((e) => e.dataset.status),
})"""
INFOTEXT = """a paper boat on a pond
Negative prompt: blurry
Steps: 2, Sampler: Euler a, CFG scale: 7, Seed: 3, Size: 64x64, Model: v1-5-pruned-emaonly, AnimateDiff: "model: \
mm_sd_v15_v2.ckpt, video_length: 6, fps: 8, loop_number: 0, closed_loop: N, batch_size: 4, stride: 1, overlap: 1, \
interp: Off, interp_x: 10\""""


@pytest.fixture(scope="module")
def page(comfy, object_info):
    with open_frontend(comfy.url, INIT_SCRIPT) as page:
        yield page


def drop(page, data, name, kind):
    page.evaluate(DROP, [base64.b64encode(data).decode(), name, kind])


def convert_in_page(page, shot):
    page.wait_for_selector(OFFER, timeout=20_000)
    page.screenshot(path=os.path.join(ARTIFACTS, f"browser-migrate-{shot}-offer.png"))
    page.click(OFFER)
    page.wait_for_selector("#tempo-migrate-report .tempo-migrate-entry", timeout=20_000)
    page.screenshot(path=os.path.join(ARTIFACTS, f"browser-migrate-{shot}-report.png"))
    state = page.evaluate(STATE)
    page.evaluate("document.getElementById('tempo-migrate-report')?.remove()")
    return state


def test_dropped_workflow_converts_to_tempo_in_the_page(comfy, object_info, page):
    workflow = peer_workflows.gen1_static_freenoise().ui()
    drop(page, json.dumps(workflow).encode(), "animatediff_evolved.json", "application/json")
    state = convert_in_page(page, "workflow")
    queued = page.evaluate("async () => (await app.graphToPrompt()).output")
    assert not state["missing"], state["missing"]
    assert {"TempoLoadMotionModule", "TempoApplyMotionLoRA", "TempoContextWindowSampler", "TempoPromptSchedule",
            "TempoFILMInterpolate", "TempoVideoCombine"} <= set(state["types"])
    answer = json.loads(comfy.request("/tempo/migrate", workflow))
    assert state["entries"] == [entry["status"] for entry in answer["report"]]
    prompt = {k: {"class_type": n["class_type"], "inputs": n["inputs"]} for k, n in queued.items()}
    assert prompt == to_api(answer["workflow"], object_info)  # what the page would queue is the conversion


def test_dropped_a1111_png_converts_to_tempo_in_the_page(page):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", INFOTEXT)
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 80, 120)).save(png, "PNG", pnginfo=info)
    drop(page, png.getvalue(), "a1111.png", "image/png")
    state = convert_in_page(page, "a1111")
    assert not state["missing"], state["missing"]
    assert {"TempoLoadMotionModule", "TempoContextWindowSampler", "TempoVideoCombine"} <= set(state["types"])
    assert state["entries"]
