"""migrate/: other stacks' workflows (fixture workflows in tests/fixtures/peer_workflows.py, written as each pack
saves them) converted to Tempo: settings carried, links rewired, every node of the other packs in the report."""
import copy
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "fixtures"))
sys.path.insert(0, os.path.join(TESTS, "harness"))

import peer_workflows as peers  # noqa: E402
from migrate import convert_workflow, is_peer  # noqa: E402
from migrate.targets import FALLBACK  # noqa: E402
from migrate.ui_format import default_value, frontend_inputs, is_widget  # noqa: E402
from workflow import to_api  # noqa: E402


def convert(name, fmt="api", object_info=None):
    workflow = getattr(peers.WORKFLOWS[name](), fmt)()
    converted, report = convert_workflow(workflow, object_info)
    return converted, {entry["node"]: entry for entry in report}


def of_type(prompt, class_type):
    return [node["inputs"] for node in prompt.values() if node["class_type"] == class_type]


def one(prompt, class_type):
    found = of_type(prompt, class_type)
    assert len(found) == 1, f"{len(found)} {class_type} nodes"
    return found[0]


def with_defaults(prompt):
    """Widget inputs an API prompt leaves out, filled with their defaults (what the canvas shows)."""
    out = copy.deepcopy(prompt)
    for node in out.values():
        for name, spec in frontend_inputs(FALLBACK[node["class_type"]]):
            if is_widget(spec) and name != "upload":
                node["inputs"].setdefault(name, default_value(spec))
    return out


@pytest.mark.parametrize("fmt", ["api", "ui"])
@pytest.mark.parametrize("name", peers.WORKFLOWS)
def test_no_other_pack_node_is_left_and_each_is_reported(name, fmt):
    workflow = getattr(peers.WORKFLOWS[name](), fmt)()
    converted, report = convert_workflow(workflow)
    types = [n["type"] for n in converted["nodes"]] if fmt == "ui" else [n["class_type"] for n in converted.values()]
    assert not [t for t in types if is_peer(t)]
    originals = ({str(n["id"]): n["type"] for n in workflow["nodes"]} if fmt == "ui"
                 else {k: n["class_type"] for k, n in workflow.items()})
    reported = {entry["node"]: entry["type"] for entry in report}
    assert {k: t for k, t in originals.items() if is_peer(t)}.items() <= reported.items()


@pytest.mark.parametrize("name", peers.WORKFLOWS)
def test_ui_conversion_matches_api_conversion(name):
    """The canvas file and the API prompt of one workflow convert to the same graph: every saved widget value of
    every pack version was read into the right input, and every link was rewired the same way."""
    api, _ = convert(name, "api")
    ui, _ = convert(name, "ui")
    assert to_api(ui, FALLBACK) == with_defaults(api)


def test_gen1_loader_with_loras_freenoise_and_static_windows():
    prompt, report = convert("gen1_static_freenoise")
    motion = one(prompt, "TempoLoadMotionModule")
    assert motion | {"model": None} == {"model": None, "model_name": peers.MOTION, "motion_scale": 1.2,
                                        "effect": 1.0, "beta_schedule": "auto", "start_percent": 0.0,
                                        "end_percent": 1.0}
    assert motion["model"] == ["1", 0]
    loras = {k: n["inputs"] for k, n in prompt.items() if n["class_type"] == "TempoApplyMotionLoRA"}
    [(pan_id, pan), (zoom_id, zoom)] = sorted(loras.items(), key=lambda item: item[1]["lora_name"])
    assert (pan["model"], pan["strength"], zoom["model"], zoom["strength"]) == (["8", 0], 0.5, [pan_id, 0], 0.8)
    sampler = one(prompt, "TempoContextWindowSampler")
    assert sampler["model"] == [zoom_id, 0]
    assert {k: sampler[k] for k in ("context_length", "context_overlap", "context_stride", "closed_loop",
                                    "context_schedule", "fuse_method", "freenoise", "seed", "steps", "cfg",
                                    "sampler_name", "scheduler", "denoise")} == {
        "context_length": 4, "context_overlap": 1, "context_stride": 1, "closed_loop": False,
        "context_schedule": "static", "fuse_method": "pyramid", "freenoise": True, "seed": 1, "steps": 1,
        "cfg": 1.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}
    schedule = one(prompt, "TempoPromptSchedule")
    assert schedule["text"] == '"0": "a paper boat",\n"4": "a paper ship"'
    assert schedule["negative"] == '"0": "blurry",\n"4": "dark"'
    assert (sampler["positive"], sampler["negative"]) == (["9", 0], ["9", 1])
    film = one(prompt, "TempoFILMInterpolate")
    assert (film["multiplier"], film["method"], film["mode"]) == (2, "film_net_fp32.pt", "recursive midpoints")
    combine = one(prompt, "TempoVideoCombine")
    assert (combine["format"], combine["frame_rate"], combine["images"]) == ("image/gif", 8.0, ["12", 0])
    assert report["3"]["to"] == ["10:TempoContextWindowSampler"]  # the context options went into the sampler
    assert report["6"]["to"] == ["10:TempoContextWindowSampler"]  # so did FreeNoise
    assert all(report[i]["status"] == "mapped" for i in ("3", "4", "5", "6", "7", "8", "9", "10", "12", "13"))


def test_gen2_chain_collapses_into_one_motion_module():
    prompt, report = convert("gen2_looped_rife")
    motion = one(prompt, "TempoLoadMotionModule")
    assert (motion["model"], motion["effect"], motion["start_percent"], motion["end_percent"],
            motion["beta_schedule"]) == (["1", 0], 0.9, 0.0, 0.9, "sqrt_linear (AnimateDiff)")
    sampler = one(prompt, "TempoContextWindowSampler")
    assert sampler["model"] == ["7", 0]  # Use Evolved Sampling's place
    assert (sampler["context_schedule"], sampler["closed_loop"], sampler["fuse_method"], sampler["freenoise"]) == \
        ("looped", True, "flat", False)
    rife = one(prompt, "TempoFILMInterpolate")
    assert {k: rife[k] for k in ("multiplier", "method", "mode", "rife_scale", "ensemble")} == {
        "multiplier": 3, "method": "rife47.pth", "mode": "exact times k/m", "rife_scale": 1.0, "ensemble": True}
    assert report["12"]["status"] == "mapped"
    combine = one(prompt, "TempoVideoCombine")
    assert {k: combine[k] for k in ("format", "crf", "pix_fmt", "frame_rate", "save_output")} == {
        "format": "video/h264-mp4", "crf": 22, "pix_fmt": "yuv420p", "frame_rate": 12.0, "save_output": False}
    assert {"3", "4", "5", "6", "7"} <= set(report)


def with_methods(*methods):
    info = copy.deepcopy(FALLBACK)
    info["TempoFILMInterpolate"]["input"]["required"]["method"] = [list(methods)]
    return info


@pytest.mark.parametrize("methods, used", [
    (("film_net_fp32.pt", "rife47.pth", "rife49.pth"), "rife47.pth"),  # the same file
    (("film_net_fp32.pt", "rife49.pth"), "rife49.pth"),  # another RIFE before FILM
    (("film_net_fp32.pt", "flow (no weights)"), "film_net_fp32.pt"),
    (("flow (no weights)", "crossfade (no weights)"), "flow (no weights)")])
def test_rife_vfi_uses_the_servers_files(methods, used):
    prompt, report = convert("gen2_looped_rife", "api", with_methods(*methods))
    assert one(prompt, "TempoFILMInterpolate")["method"] == used
    status = "mapped" if used == "rife47.pth" else "approximated"
    assert report["12"]["status"] == status
    if status == "approximated":
        assert any("'rife47.pth'" in note and used in note for note in report["12"]["notes"])


def test_rife_vfi_settings():
    w = peers.gen2_looped_rife()
    w.nodes[12][2].update(scale_factor=0.5, ensemble=False)
    converted, _ = convert_workflow(w.api())
    rife = one(converted, "TempoFILMInterpolate")
    assert (rife["rife_scale"], rife["ensemble"]) == (0.5, False)


def test_legacy_names():
    prompt, _ = convert("legacy_uniform")
    assert one(prompt, "TempoLoadMotionModule")["motion_scale"] == 1.1
    sampler = one(prompt, "TempoContextWindowSampler")
    # The old uniform options are AnimateDiff-Evolved's looped uniform, which fused flat by default.
    assert (sampler["context_schedule"], sampler["fuse_method"], sampler["context_length"]) == ("looped", "flat", 4)
    combine = one(prompt, "TempoVideoCombine")
    assert (combine["format"], combine["save_output"], combine["filename_prefix"]) == ("image/gif", True,
                                                                                       "migrate_legacy")


def test_v1_loader_passes_latents_through_and_keeps_the_ksampler():
    prompt, report = convert("v1_loaders")
    sampler = one(prompt, "KSampler")
    assert sampler["model"] == ["3", 0] and sampler["latent_image"] == ["2", 0]
    assert one(prompt, "TempoLoadMotionModule")["model"] == ["1", 0]
    assert report["4"]["status"] == "approximated"  # FizzNodes' one-frame PromptSchedule
    combine = one(prompt, "TempoVideoCombine")
    assert (combine["format"], combine["pingpong"], combine["crf"]) == ("video/vp9-webm", True, 30)


def test_vid2vid_with_advanced_controlnet():
    prompt, report = convert("vid2vid_controlnet")
    video = one(prompt, "TempoLoadVideo")
    assert video == {"video": "input_video.mp4", "force_rate": 0.0, "skip_first_frames": 0, "select_every_nth": 1,
                     "frame_load_cap": 5, "resize": "crop", "custom_width": 64, "custom_height": 64}
    assert one(prompt, "ControlNetLoader") == {"control_net_name": "control_v11p_sd15_canny_fp16.safetensors"}
    apply = one(prompt, "ControlNetApplyAdvanced")
    assert (apply["strength"], apply["end_percent"], apply["image"], apply["control_net"]) == (0.8, 0.9, ["3", 0],
                                                                                               ["5", 0])
    sampler = one(prompt, "TempoContextWindowSampler")
    assert (sampler["positive"], sampler["negative"], sampler["denoise"], sampler["context_schedule"]) == \
        (["8", 0], ["8", 1], 0.6, "uniform")
    assert report["3"]["status"] == "approximated"  # the resize


def test_path_loader_v2_names_and_inline_context():
    prompt, report = convert("path_loader_v2_names")
    assert one(prompt, "TempoLoadVideo")["video"] == "input_video.mp4"
    assert one(prompt, "ControlNetLoader")["control_net_name"] == "control_v11p_sd15_canny_fp16.safetensors"
    apply = one(prompt, "ControlNetApplyAdvanced")
    assert apply["positive"] == apply["negative"] == ["5", 0]
    schedule = one(prompt, "TempoPromptSchedule")
    assert schedule["latent"] == ["2", 0]
    sampler = one(prompt, "TempoContextWindowSampler")
    assert (sampler["positive"], sampler["negative"], sampler["latent_image"]) == (["6", 0], ["5", 1], ["2", 0])
    assert (sampler["context_length"], sampler["context_schedule"]) == (4, "looped")
    assert one(prompt, "TempoVideoCombine")["format"] == "image/png"
    assert report["10"]["status"] == "approximated"  # 16-bit PNG


def test_a_node_without_equivalent_is_kept_and_reported():
    w = peers.gen1_static_freenoise()
    keyframe = w.add("ADE_AnimateDiffKeyframe", [0.0, True, 1], {"start_percent": 0.0}, outputs=["AD_KEYFRAMES"])
    loader = w.nodes[8]
    loader[3]["ad_keyframes"] = (keyframe, 0, "AD_KEYFRAMES")
    converted, report = convert_workflow(w.api())
    entries = {e["node"]: e for e in report}
    assert entries[str(keyframe)]["status"] == "not converted"
    assert converted[str(keyframe)]["class_type"] == "ADE_AnimateDiffKeyframe"
    assert entries["8"]["status"] == "approximated"
    assert any("ad_keyframes" in note for note in entries["8"]["notes"])


def test_optional_inputs_the_server_lacks_are_left_out():
    info = copy.deepcopy(FALLBACK)
    del info["TempoLoadMotionModule"]["input"]["optional"]["end_percent"]
    api, _ = convert("gen2_looped_rife", "api", info)
    assert "end_percent" not in one(api, "TempoLoadMotionModule")
    ui, _ = convert("gen2_looped_rife", "ui", info)
    [motion] = [n for n in ui["nodes"] if n["type"] == "TempoLoadMotionModule"]
    assert motion["widgets_values"] == [peers.MOTION, 1.0, 0.9, "sqrt_linear (AnimateDiff)", 0.0, "", "", "auto"]


@pytest.mark.parametrize("ade, tempo, status", [
    ("autoselect", "auto", "mapped"), ("sqrt_linear (AnimateDiff)", "sqrt_linear (AnimateDiff)", "mapped"),
    ("linear (AnimateDiff-SDXL)", "linear (AnimateDiff SDXL beta)", "mapped"),
    ("linear (HotshotXL/default)", "model's own", "mapped"), ("use existing", "model's own", "mapped"),
    ("lcm >> sqrt_linear", "lcm (AnimateLCM)", "mapped"), ("lcm", "lcm (AnimateLCM)", "approximated"),
    ("cosine", "auto", "approximated")])
def test_beta_schedules(ade, tempo, status):
    w = peers.gen2_looped_rife()
    w.nodes[7][2]["beta_schedule"] = ade
    converted, report = convert_workflow(w.api())
    assert one(converted, "TempoLoadMotionModule")["beta_schedule"] == tempo
    assert {e["node"]: e for e in report}["7"]["status"] == status


def test_ui_links_are_consistent():
    ui, _ = convert("vid2vid_controlnet", "ui")
    by_id = {n["id"]: n for n in ui["nodes"]}
    for link_id, origin, slot, target, target_slot, _ in ui["links"]:
        assert link_id in by_id[origin]["outputs"][slot]["links"]
        assert by_id[target]["inputs"][target_slot]["link"] == link_id
    assert ui["last_link_id"] == len(ui["links"]) and ui["last_node_id"] == max(by_id)


def test_api_prompt_names_every_required_input():
    """The server refuses a prompt that leaves out a required input (Context Window Sampler's windows_per_batch,
    which no other pack has)."""
    prompt, _ = convert("gen1_static_freenoise")
    for node in prompt.values():
        assert set(FALLBACK[node["class_type"]]["input"]["required"]) <= set(node["inputs"]), node["class_type"]


@pytest.mark.parametrize("bad", [[], {"nodes": [{"no": "id"}]}, {"1": {"inputs": {}}}, "text"])
def test_not_a_workflow(bad):
    with pytest.raises(ValueError, match="expected"):
        convert_workflow(bad)


@pytest.mark.parametrize("node_type", ["KSampler", "ControlNetLoader", "DiffControlNetLoader", "ControlNetApplySD3",
                                       "TempoLoadMotionModule", "VAEDecode", "LoadImage"])
def test_host_and_tempo_nodes_are_not_taken_for_other_packs(node_type):
    assert not is_peer(node_type)
