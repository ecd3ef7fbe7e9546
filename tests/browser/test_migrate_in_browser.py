"""The frontend side of migrate/: a workflow of other animation packs (not installed) dropped on the canvas offers
"Convert to Tempo" beside the host's missing-nodes message; converting loads a graph with no missing nodes, whose
prompt is the server's conversion, and shows the report."""
import json
import os
import sys

from comfy_fixtures import ARTIFACTS
from example_runs import write_inputs
from frontend import open_frontend
import models
from workflow import to_api

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
import peer_workflows  # noqa: E402

SETTINGS = {"Comfy.TutorialCompleted": True, "Comfy.Minimap.Visible": False}
INIT_SCRIPT = "localStorage.setItem('vueNodesBannerDismissed', 'true')"
OFFER = "#tempo-migrate-offer button:has-text('Convert to Tempo')"
DROP = """(text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'animatediff_evolved.json', { type: 'application/json' }));
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


def test_dropped_workflow_converts_to_tempo_in_the_page(comfy, models_dir):
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    for setting, value in SETTINGS.items():
        comfy.request(f"/settings/{setting}", value)
    object_info = comfy.get_json("/object_info")
    workflow = peer_workflows.gen1_static_freenoise().ui()
    with open_frontend(comfy.url, INIT_SCRIPT) as page:
        page.evaluate(DROP, json.dumps(workflow))
        page.wait_for_selector(OFFER, timeout=20_000)
        page.screenshot(path=os.path.join(ARTIFACTS, "browser-migrate-offer.png"))
        page.click(OFFER)
        page.wait_for_selector("#tempo-migrate-report .tempo-migrate-entry", timeout=20_000)
        state = page.evaluate(STATE)
        page.screenshot(path=os.path.join(ARTIFACTS, "browser-migrate-report.png"))
        queued = page.evaluate("async () => (await app.graphToPrompt()).output")
    assert not state["missing"], state["missing"]
    assert {"TempoLoadMotionModule", "TempoApplyMotionLoRA", "TempoContextWindowSampler", "TempoPromptSchedule",
            "TempoFILMInterpolate", "TempoVideoCombine"} <= set(state["types"])
    answer = json.loads(comfy.request("/tempo/migrate", workflow))
    assert state["entries"] == [entry["status"] for entry in answer["report"]]
    prompt = {k: {"class_type": n["class_type"], "inputs": n["inputs"]} for k, n in queued.items()}
    assert prompt == to_api(answer["workflow"], object_info)  # what the page would queue is the conversion
