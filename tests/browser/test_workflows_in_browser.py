"""The example workflows and Tempo's widgets in the real frontend (Debian's chromium, headless, loopback only),
driven the way a user works: the template browser, double-click search, dragging a link, the Run button,
dropping a file on the canvas. Screenshots go to test-artifacts/browser-*.png.
"""
import json
import os

import pytest
from PIL import Image
from comfy_fixtures import ARTIFACTS
from example_runs import EXAMPLES, load_example
from frontend import OPEN_DIALOGS, close_dialogs, double_click, next_frame, open_frontend
from graphs import Graph, out
from ui_workflow import to_ui
from workflow import to_api

# A returning user: no first-run template dialog, no banner, no minimap over the canvas; full node detail at
# every zoom, so the screenshots of whole workflows stay readable.
INIT_SCRIPT = "localStorage.setItem('vueNodesBannerDismissed', 'true')"

# JS helpers put on window.tempoTest once the page is up.
HELPERS = """
window.tempoTest = {
  node: (type) => app.graph.nodes.find((n) => n.type === type),
  nodes: (type) => app.graph.nodes.filter((n) => n.type === type),
  widget: (node, name) => node.widgets.find((w) => w.name === name),
  set(type, name, value) {
    for (const n of this.nodes(type)) this.widget(n, name).value = value;
    app.canvas.setDirty(true, true);
  },
  // graph position -> page (client) position, through the canvas transform
  toClient(pos) {
    const rect = app.canvas.canvas.getBoundingClientRect();
    const [x, y] = app.canvas.ds.convertOffsetToCanvas(pos);
    return [rect.left + x, rect.top + y];
  },
  // an empty canvas with one new node of `type` at `pos`, seen at scale 1
  alone(type, pos) {
    app.graph.clear();
    const node = LiteGraph.createNode(type);
    node.pos = pos;
    app.graph.add(node);
    this.show([0, 0], 1);
  },
  show(position = [0, 0], scale = 1) {
    app.canvas.ds.scale = scale;
    app.canvas.ds.offset = position;
    app.canvas.setDirty(true, true);
  },
  linkOf: (node, slot) => node.getInputLink(slot),
};
"""


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"browser-{page.frontend}-{name}.png"))


def pack_errors(page):
    """Errors naming the pack. The frontend's own look-ups of node names on api.comfy.org fail offline (the
    machine has no network) and are not the pack's."""
    return [m for m in page.console_messages
            if m[0] in ("error", "pageerror") and "tempo" in (m[1] + m[2]).lower()
            and not m[2].startswith("https://api.comfy.org/")]


@pytest.fixture(scope="module")
def page(comfy, object_info, frontend):
    with open_frontend(comfy.url, INIT_SCRIPT) as page:
        page.evaluate(HELPERS)
        page.frontend = frontend
        yield page


@pytest.fixture(autouse=True)
def closes_what_it_opens(page):
    """A test that fails with a dialog open must not leave it over the next test's canvas."""
    yield
    close_dialogs(page)


def fit_view(page):
    page.evaluate("app.canvas.deselectAll?.(); app.extensionManager.command.execute('Comfy.Canvas.FitView')")
    next_frame(page)


def load(page, name, workflow=None):
    page.evaluate("async ([wf, name]) => { await app.loadGraphData(wf, true, true, name); }",
                  [workflow or load_example(name), name])


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_loads_with_no_missing_nodes_or_widget_errors(page, name):
    workflow = load_example(name)
    before = len(page.console_messages)
    load(page, name, workflow)
    report = page.evaluate("""(saved) => {
        const savedById = Object.fromEntries(saved.nodes.map((n) => [n.id, n]));
        const missing = [], badValues = [], changed = [];
        for (const node of app.graph.nodes) {
          if (!(node.type in LiteGraph.registered_node_types) || node.has_errors) missing.push(node.type);
          for (const w of node.widgets ?? []) {
            const values = w.options?.values;
            if (Array.isArray(values) && !values.includes(w.value)) badValues.push(`${node.type}.${w.name}=${w.value}`);
          }
          // what the frontend would save now is what the file holds (no value dropped or shifted)
          const file = savedById[node.id]?.widgets_values ?? [];
          const now = node.serialize().widgets_values ?? [];
          if (JSON.stringify(now.slice(0, file.length)) !== JSON.stringify(file)) changed.push([node.type, file, now]);
        }
        const toasts = Array.from(document.querySelectorAll('.p-toast-message')).map((t) => t.textContent);
        return { count: app.graph.nodes.length, missing, badValues, changed, toasts };
    }""", workflow)
    assert report["count"] == len(workflow["nodes"])
    assert not report["missing"], report["missing"]
    assert not report["badValues"], report["badValues"]
    assert not report["changed"], report["changed"]
    assert not [t for t in report["toasts"] if "Validation" in t or "missing" in t.lower()], report["toasts"]
    new = page.console_messages[before:]
    assert not [m for m in new if "funky" in m[1] or "PATCH" in m[1]], "the frontend patched the file's links"
    assert not pack_errors(page), pack_errors(page)
    if any(n["type"] == "TempoPromptSchedule" for n in workflow["nodes"]):  # the example's schedule reads cleanly
        assert wait_status(page, "ok", "frames")["text"].endswith("keyframes · 3 prompts")
    fit_view(page)
    shot(page, f"example-{name}")


@pytest.mark.parametrize("name", EXAMPLES)
def test_frontend_prompt_equals_the_converter(page, object_info, name):
    """app.graphToPrompt(), what the Run button sends, against tests/harness/workflow.to_api on the same file."""
    workflow = load_example(name)
    load(page, name, workflow)
    frontend = page.evaluate("async () => (await app.graphToPrompt()).output")
    ours = to_api(workflow, object_info)
    assert set(frontend) == set(ours)
    for node_id, node in ours.items():
        declared = object_info[node["class_type"]]["input"]
        names = set(declared.get("required", {})) | set(declared.get("optional", {}))
        # The frontend also sends values of its own display widgets (a video preview's); the server ignores them.
        sent = {k: v for k, v in frontend[node_id]["inputs"].items() if k in names}
        assert frontend[node_id]["class_type"] == node["class_type"]
        assert sent == node["inputs"], (name, node_id, node["class_type"])


def test_converter_writes_what_the_frontend_saves(page, object_info):
    """ui_workflow.to_ui against the frontend's own serialize(): the upload button's value where the frontend
    keeps it (after widgets that follow the file combo, and after optional widgets when the server sends
    input_order), and every output listing the links that leave it (nodes are written before their targets)."""
    probe = json.loads(json.dumps(object_info["LoadImageMask"]))
    probe.update(name="TempoProbeUpload", display_name="TempoProbeUpload")
    probe["input"]["optional"] = {"strength": ["FLOAT", {"default": 0.5}]}
    probe["input_order"] = {"required": ["image", "channel"], "optional": ["strength"]}
    page.evaluate("async (d) => { await app.registerNodeDef(d.name, d); }", probe)
    g = Graph()
    image = g.add("LoadImage", image="start_frame.png")
    inverted = g.add("ImageInvert", image=out(image))
    g.add("ImageInvert", image=out(inverted))
    g.add("ImageToMask", image=out(inverted), channel="red")
    g.add("LoadImageMask", image="end_frame.png", channel="green")
    probed = g.add("TempoProbeUpload", image="end_frame.png", channel="blue", strength=0.25)
    g.add("LoadVideo", file="input_video.mp4")
    g.add("TempoLoadVideo", video="input_video.mp4", frame_load_cap=5, custom_height=256)
    workflow = to_ui(g.nodes, {**object_info, "TempoProbeUpload": probe})
    before = len(page.console_messages)
    load(page, "converter", workflow)
    saved = {n["id"]: n for n in page.evaluate("app.graph.serialize()")["nodes"]}
    assert not [m for m in page.console_messages[before:] if "funky" in m[1] or "PATCH" in m[1]]
    for node in workflow["nodes"]:
        now = saved[node["id"]]
        # The frontend may save values of its own display widgets (a video preview's) after the declared ones;
        # newer frontends leave widgets_values out of a node that has no widgets.
        assert now.get("widgets_values", [])[:len(node["widgets_values"])] == node["widgets_values"], node["type"]
        assert [o["links"] or [] for o in now["outputs"]] == [o["links"] for o in node["outputs"]], node["type"]
    assert saved[int(probed)]["widgets_values"][-1] == "image"  # the probe's button comes after its optional strength


def test_template_browser_lists_every_example(page):
    page.evaluate("app.graph.clear()")
    page.evaluate("app.extensionManager.command.execute('Comfy.BrowseTemplates')")
    page.get_by_text("tempo", exact=True).first.click()
    for name in EXAMPLES:
        page.get_by_test_id(f"template-workflow-{name}").wait_for(timeout=20_000)
    shot(page, "template-browser")
    page.get_by_test_id("template-workflow-motion_lora").click()
    page.wait_for_function("tempoTest.nodes('TempoApplyMotionLoRA').length === 2", timeout=20_000)
    assert page.evaluate("app.graph.nodes.length") == len(load_example("motion_lora")["nodes"])
    shot(page, "template-motion_lora-opened")


def test_user_adds_load_motion_module_by_search_and_connects_it(page):
    page.evaluate("tempoTest.alone('CheckpointLoaderSimple', [100, 200])")
    canvas = page.locator("#graph-canvas").bounding_box()
    spot = [canvas["x"] + 650, canvas["y"] + 320]
    double_click(page, *spot)
    # the search box of 1.32, or of newer frontends (a dialog); typing into it focuses it
    search = page.locator("input[id^=comfy-vue-node-search-box-input], [role=dialog] input").first
    search.press_sequentially("TempoLoadMotionModule", delay=20)
    page.get_by_text("Load Motion Module").first.wait_for(timeout=10_000)
    shot(page, "search-load-motion-module")
    page.keyboard.press("Enter")
    # the search box fades out over the canvas (1.32's mask takes the pointer until it is gone)
    page.wait_for_function(f"({OPEN_DIALOGS})().length === 0", timeout=10_000)
    # Newer frontends (those with a ghostNodeId in the canvas state) let the picked node follow the pointer until
    # a click places it: the user clicks where they double-clicked. 1.32 puts it there at once, and a click at its
    # corner could land on its input slot.
    following = page.wait_for_function("""() => { const node = tempoTest.node('TempoLoadMotionModule');
        const settled = node && (node.flags?.ghost || !('ghostNodeId' in app.canvas.state));
        return settled && { ghost: !!node.flags?.ghost };
    }""", timeout=10_000).json_value()
    if following["ghost"]:
        page.mouse.click(*spot)
        page.wait_for_function("!tempoTest.node('TempoLoadMotionModule').flags?.ghost")
    page.mouse.click(canvas["x"] + 400, canvas["y"] + 700)  # on empty canvas: drops the new node's selection

    start, end, bounds = page.evaluate("""() => {
        const motion = tempoTest.node('TempoLoadMotionModule'), [x, y, width, height] = motion.boundingRect;
        return [tempoTest.toClient(tempoTest.node('CheckpointLoaderSimple').getConnectionPos(false, 0)),
                tempoTest.toClient(motion.getConnectionPos(true, 0)), [...tempoTest.toClient([x, y]), width, height]];
    }""")
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, 11):  # a drag, not a jump: the canvas tracks the pointer
        page.mouse.move(start[0] + (end[0] - start[0]) * i / 10, start[1] + (end[1] - start[1]) * i / 10)
    page.mouse.up()
    link = page.evaluate("""() => {
        const loader = tempoTest.node('CheckpointLoaderSimple'), motion = tempoTest.node('TempoLoadMotionModule');
        const link = tempoTest.linkOf(motion, 0);
        return link && { from: link.origin_id === loader.id, slot: link.origin_slot, type: link.type,
                         input: motion.inputs[0].name };
    }""")
    assert link and (link["from"], link["slot"], link["type"], link["input"]) == (True, 0, "MODEL", "model"), link
    x, y, width, height = bounds
    assert x <= spot[0] <= x + width and y <= spot[1] <= y + height, ("placed where the user clicked", bounds, spot)
    shot(page, "connected-load-motion-module")


def schedule_status(page):
    return page.evaluate("""() => { const n = tempoTest.node('TempoPromptSchedule');
        const box = n.tempoScheduleWidget.box;
        return { kind: box.dataset.kind, text: box.textContent, colour: getComputedStyle(box).color,
                 visible: box.offsetParent !== null, height: box.getBoundingClientRect().height,
                 content: box.scrollHeight }; }""")


def wait_status(page, kind, contains):
    page.wait_for_function("""([kind, contains]) => { const box = tempoTest.node('TempoPromptSchedule')
        ?.tempoScheduleWidget?.box; return box && box.dataset.kind === kind && box.textContent.includes(contains); }""",
                           arg=[kind, contains], timeout=15_000)
    return schedule_status(page)


def test_prompt_schedule_shows_frame_count_and_errors_while_typing(page):
    page.evaluate("tempoTest.alone('TempoPromptSchedule', [480, 120])")
    status = wait_status(page, "ok", "16 frames")
    assert status["text"] == "16 frames · 2 keyframes · 2 prompts" and status["visible"], status

    text = page.locator("textarea.comfy-multiline-input").first
    text.click()
    text.press("End")
    page.keyboard.press("Control+End")
    page.keyboard.type('"24": "a paper boat under the stars",', delay=10)
    status = wait_status(page, "error", "past the last frame")
    assert "line 3" in status["text"] and "16 frames" in status["text"], status
    assert status["colour"] == "rgb(255, 123, 114)", status
    shot(page, "prompt-schedule-error")

    page.evaluate("tempoTest.set('TempoPromptSchedule', 'frames', 32)")
    status = wait_status(page, "ok", "32 frames")
    assert status["text"].startswith("32 frames · 3 keyframes · 3 prompts"), status

    page.evaluate("""() => {
        const latent = LiteGraph.createNode('EmptyLatentImage');
        latent.pos = [100, 160];
        app.graph.add(latent);
        tempoTest.widget(latent, 'batch_size').value = 48;
        app.canvas.setDirty(true, true);
        const schedule = tempoTest.node('TempoPromptSchedule');
        latent.connect(0, schedule, schedule.inputs.findIndex((i) => i.name === 'latent'));
    }""")
    status = wait_status(page, "ok", "48 frames (from the latent)")
    shot(page, "prompt-schedule-ok")


def shrunk_prompt_travel(height):
    """prompt_travel.json with Prompt Schedule saved `height` high (its file size when None)."""
    workflow = load_example("prompt_travel")
    for node in workflow["nodes"]:
        if node["type"] == "TempoPromptSchedule" and height:
            node["size"] = [node["size"][0], height]
    return workflow


@pytest.mark.parametrize("height", [None, 120])
def test_prompt_schedule_status_line_is_not_clipped_in_a_saved_workflow(page, height):
    """The status line's rendered height at scale 1 holds its text, whatever size the file saved the node at, and
    when an error needs more lines than the saved size has room for."""
    load(page, "prompt_travel", shrunk_prompt_travel(height))
    page.evaluate("""() => { const n = tempoTest.node('TempoPromptSchedule');
        tempoTest.show([-n.pos[0] + 100, -n.pos[1] + 60], 1); }""")
    status = wait_status(page, "ok", "3 keyframes")
    next_frame(page)
    status = schedule_status(page)
    assert status["height"] >= max(status["content"], 2 * 14), status  # two lines of 12 px text, none cut off
    page.evaluate("tempoTest.set('TempoPromptSchedule', 'text', '\"0\": \"a boat\",\\n\"99\": \"a ship\"')")
    wait_status(page, "error", "past the last frame")
    next_frame(page)
    status = schedule_status(page)
    assert status["height"] >= max(status["content"], 4 * 14), status
    shot(page, f"prompt-schedule-saved-{height or 'as-file'}")


def test_prompt_schedule_status_line_in_nodes_2_mode(page):
    """Newer frontends draw nodes as Vue components ("Nodes 2.0"): the status line there holds its text too."""
    if page.frontend == "pinned":
        pytest.skip("1.32 has no Nodes 2.0 mode")
    page.evaluate("app.extensionManager.setting.set('Comfy.VueNodes.Enabled', true)")
    try:
        load(page, "prompt_travel")
        page.evaluate("""() => { const n = tempoTest.node('TempoPromptSchedule');
            tempoTest.show([-n.pos[0] + 100, -n.pos[1] + 60], 1); }""")
        wait_status(page, "ok", "3 keyframes")
        page.wait_for_function("""() => { const box = tempoTest.node('TempoPromptSchedule').tempoScheduleWidget.box;
            return box.checkVisibility() && box.getBoundingClientRect().height >= box.scrollHeight; }""")
        status = schedule_status(page)
        assert status["visible"] and status["height"] >= 2 * 14, status
        shot(page, "prompt-schedule-nodes-2")
    finally:
        page.evaluate("app.extensionManager.setting.set('Comfy.VueNodes.Enabled', false)")


def test_prompt_schedule_reads_its_latent_link_through_the_frontend_api(page):
    """input.link is deprecated in newer frontends: the pack reads the link with node.getInputLink. Every read
    of the latent slot's link field whose caller is a Tempo file is recorded, while the status is worked out."""
    load(page, "prompt_travel")
    wait_status(page, "ok", "from the latent")
    reads = page.evaluate("""async () => {
        const node = tempoTest.node('TempoPromptSchedule');
        const slot = node.inputs.find((i) => i.name === 'latent');
        let holder = slot;  // a plain field on 1.32, an accessor of the slot's class on newer frontends
        while (!Object.getOwnPropertyDescriptor(holder, 'link')) holder = Object.getPrototypeOf(holder);
        const field = Object.getOwnPropertyDescriptor(holder, 'link');
        let value = slot.link;
        const reads = [];
        Object.defineProperty(slot, 'link', { configurable: true,
            get() {  // the frame below the getter, past a reactive proxy's (newer frontends wrap the slots)
                const caller = new Error().stack.split('\\n').slice(2).find((l) => !l.includes('vendor-vue')) ?? '';
                if (caller.includes('/extensions/tempo/')) reads.push(caller.trim());
                return field.get ? field.get.call(this) : value; },
            set(v) { if (field.set) field.set.call(this, v); else value = v; } });
        node.tempoScheduleKey = null;
        node.onDrawForeground(app.canvas.ctx);
        delete slot.link;
        if (holder === slot) Object.defineProperty(slot, 'link', { ...field, value });
        return reads;
    }""")
    assert reads == [], reads


@pytest.fixture(scope="module")
def played(page):
    """txt2vid at fixture size, queued with the page's Run button; returns the preview's state once it plays."""
    workflow = load_example("txt2vid")
    load(page, "txt2vid", workflow)
    page.evaluate("""() => {
        tempoTest.set('EmptyLatentImage', 'width', 64);
        tempoTest.set('EmptyLatentImage', 'height', 64);
        tempoTest.set('EmptyLatentImage', 'batch_size', 4);
        tempoTest.set('KSampler', 'steps', 2);
        tempoTest.set('KSampler', 'cfg', 1.0);
    }""")
    queued = page.evaluate("app.graph.serialize()")
    page.get_by_test_id("queue-button").click()
    page.wait_for_function("""() => { const media = tempoTest.node('TempoVideoCombine')?.tempoPreview?.media;
        return media instanceof HTMLVideoElement && media.readyState >= 2 && !media.paused && media.currentTime > 0; }""",
                           timeout=240_000, polling=500)
    state = page.evaluate("""() => { const preview = tempoTest.node('TempoVideoCombine').tempoPreview;
        const m = preview.media; return { url: preview.url, width: m.videoWidth, height: m.videoHeight,
        duration: m.duration, loop: m.loop, time: m.currentTime }; }""")
    page.evaluate("""() => { const n = tempoTest.node('TempoVideoCombine');
        tempoTest.show([-n.pos[0] + 500, -n.pos[1] + 60], 1); }""")
    next_frame(page)
    shot(page, "txt2vid-playing")
    return state, queued


def test_queued_from_the_page_the_result_plays_in_video_combine(page, played):
    state, _ = played
    assert (state["width"], state["height"]) == (64, 64), state
    assert state["duration"] == pytest.approx(4 / 8, abs=0.05), state  # 4 frames at 8 fps
    assert state["loop"], state
    # it keeps playing: the time moves on
    later = page.evaluate("tempoTest.node('TempoVideoCombine').tempoPreview.media.currentTime")
    page.wait_for_function("(t) => tempoTest.node('TempoVideoCombine').tempoPreview.media.currentTime !== t", arg=later,
                           timeout=10_000)


def test_dropping_the_mp4_on_the_canvas_restores_the_graph(page, played):
    state, queued = played
    page.evaluate("app.graph.clear()")
    page.evaluate("""async (url) => {
        const blob = await (await fetch(url)).blob();
        const name = new URL(url, location.href).searchParams.get('filename');
        const file = new File([blob], name, { type: 'video/mp4' });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        const canvas = app.canvas.canvas, rect = canvas.getBoundingClientRect();
        const options = { dataTransfer: transfer, bubbles: true, cancelable: true,
                          clientX: rect.left + 500, clientY: rect.top + 400 };
        for (const type of ['dragenter', 'dragover', 'drop']) canvas.dispatchEvent(new DragEvent(type, options));
    }""", state["url"])
    page.wait_for_function(f"app.graph.nodes.length === {len(queued['nodes'])}", timeout=20_000)
    restored = page.evaluate("app.graph.serialize()")

    def essentials(graph):
        return sorted((n["id"], n["type"], json.dumps(n.get("widgets_values"))) for n in graph["nodes"])

    assert essentials(restored) == essentials(queued)
    assert sorted(map(json.dumps, restored["links"])) == sorted(map(json.dumps, queued["links"]))
    shot(page, "txt2vid-restored-from-mp4")


def test_load_video_previews_a_chosen_gif_in_the_node(page, comfy):
    """The frontend previews video files itself, in a <video> element that cannot show a GIF: Tempo's does."""
    frames = [Image.new("RGB", (48, 32), (40 * i, 90, 200 - 40 * i)) for i in range(4)]
    frames[0].save(os.path.join(comfy.base, "input", "preview_test.gif"), save_all=True,
                   append_images=frames[1:], duration=125, loop=0)
    load(page, "vid2vid_controlnet")
    page.evaluate("""() => { const w = tempoTest.widget(tempoTest.node('TempoLoadVideo'), 'video');
                             w.value = 'preview_test.gif'; w.callback(w.value); }""")
    page.wait_for_function("tempoTest.node('TempoLoadVideo').tempoPreview?.media?.naturalWidth > 0",
                           timeout=15_000)
    state = page.evaluate("""() => { const p = tempoTest.node('TempoLoadVideo').tempoPreview;
        return { url: p.url, tag: p.media.tagName, width: p.media.naturalWidth, height: p.media.naturalHeight }; }""")
    assert (state["tag"], state["width"], state["height"]) == ("IMG", 48, 32), state
    assert "filename=preview_test.gif" in state["url"] and "type=input" in state["url"], state
    fit_view(page)
    shot(page, "load-video-gif-preview")


def test_console_has_no_errors_from_the_pack(page):
    assert not pack_errors(page), pack_errors(page)


OLD_IDS = {"TempoPromptSchedule": "PromptSchedule", "TempoLoadMotionModule": "LoadMotionModule",
           "TempoApplyMotionLoRA": "ApplyMotionLoRA", "TempoContextWindowSampler": "ContextWindowSampler",
           "TempoFILMInterpolate": "FILMInterpolate"}
# Another pack's node under Tempo's old ID (FizzNodes' PromptSchedule): its own inputs and outputs.
OTHER_PACK = """() => {
    function OtherSchedule() {
      this.addInput('clip', 'CLIP');
      this.addOutput('POS', 'CONDITIONING');
      this.addOutput('NEG', 'CONDITIONING');
      this.addWidget('number', 'max_frames', 120, () => {});
    }
    OtherSchedule.title = 'Other pack schedule';
    LiteGraph.registerNodeType('PromptSchedule', OtherSchedule);
}"""


def saved_under_old_ids(name):
    workflow = load_example(name)
    for node in workflow["nodes"]:
        node["type"] = OLD_IDS.get(node["type"], node["type"])
    return workflow


def loaded_nodes(page):
    return page.evaluate("""() => app.graph.nodes.map((n) => ({ id: n.id, type: n.type,
        registered: n.type in LiteGraph.registered_node_types, values: n.serialize().widgets_values ?? [] }))""")


@pytest.mark.parametrize("name", ["prompt_travel", "film_x4_gif", "motion_lora"])
def test_workflow_saved_under_old_node_ids_opens_with_tempo_nodes(page, name):
    """Each example saved under the IDs Tempo had before the prefix opens with no missing-node dialog, every node
    Tempo's with the file's values; while another pack has PromptSchedule, its own node under that ID stays its."""
    example = load_example(name)
    page.evaluate(OTHER_PACK)
    try:
        load(page, name, saved_under_old_ids(name))
        nodes = {str(n["id"]): n for n in loaded_nodes(page)}  # newer frontends keep ids as strings
        assert not page.evaluate(f"({OPEN_DIALOGS})().length"), "a missing-node dialog"
        for node in example["nodes"]:
            loaded, values = nodes[str(node["id"])], node.get("widgets_values", [])
            assert (loaded["type"], loaded["registered"]) == (node["type"], True), node["type"]
            assert loaded["values"][:len(values)] == values, node["type"]
        other = {"id": 1, "type": "PromptSchedule", "pos": [0, 0], "size": [300, 100], "mode": 0, "order": 0,
                 "flags": {}, "properties": {}, "widgets_values": [48],
                 "inputs": [{"name": "clip", "type": "CLIP", "link": None}],
                 "outputs": [{"name": "POS", "type": "CONDITIONING", "links": []},
                             {"name": "NEG", "type": "CONDITIONING", "links": []}]}
        load(page, "other-pack", {**load_example(name), "nodes": [other], "links": [], "groups": []})
        assert [(n["type"], n["values"]) for n in loaded_nodes(page)] == [("PromptSchedule", [48])]
    finally:
        page.evaluate("delete LiteGraph.registered_node_types['PromptSchedule']")
