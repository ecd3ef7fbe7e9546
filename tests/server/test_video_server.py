"""Video Combine and Load Video through a real ComfyUI server, driven over HTTP the way the frontend drives it:
POST /prompt (with the UI workflow in extra_data), /history, files downloaded through /view with what the node's
ui entry says, videos uploaded through POST /upload/image. Everything written is decoded again here with PyAV
or Pillow; nothing is read off the server's disk except to prove a refused path wrote nothing."""
import io
import json
import os
import urllib.error
import uuid
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

from comfy_fixtures import saved_images
from comfy_server import PromptRejected, execution_error
from graphs import Graph, out, txt2vid
from models import CHECKPOINT
from video_graphs import combine, load_video, upload

FRAMES, SIZE, RATE = 4, 64, 12.0
# What the frontend sends as extra_data.extra_pnginfo.workflow: the UI graph. A made-up one, marked so that
# finding it in a file can only mean it came from this request.
WORKFLOW = {"last_node_id": 9, "last_link_id": 0, "nodes": [{"id": 9, "type": "TempoVideoCombine", "title": "ü-✓"}],
            "links": [], "groups": [], "version": 0.4, "extra": {"tempo_test": str(uuid.uuid4())}}

# Source clip for the Load Video tests: frame k is a flat grey at LEVEL0 + STEP * k, so the levels read back
# name the source frames that were loaded.
SOURCE_FRAMES, SOURCE_RATE, SOURCE_SIZE = 24, 24, (100, 60)
LEVEL0, STEP = 16, 8


# --- HTTP helpers ------------------------------------------------------------------------------------------------

def run(comfy, prompt, workflow=None):
    """POST /prompt as the frontend does (extra_data.extra_pnginfo.workflow), then wait for its history entry."""
    body = {"prompt": prompt, "client_id": "tempo-video-tests"}
    if workflow is not None:
        body["extra_data"] = {"extra_pnginfo": {"workflow": workflow}}
    try:
        prompt_id = json.loads(comfy.request("/prompt", body))["prompt_id"]
    except urllib.error.HTTPError as e:
        raise PromptRejected(json.loads(e.read())) from None
    return comfy.wait(prompt_id, timeout=300)


def succeeded(comfy, prompt, workflow=None):
    entry = run(comfy, prompt, workflow)
    assert entry["status"]["status_str"] == "success", execution_error(entry)
    return entry


def preview(entry, node_id):
    """The one file a Video Combine node reports in its ui entry ("videos" or "gifs", as the web/ preview reads)."""
    ui = entry["outputs"][node_id]
    (kind, items), = ui.items()
    assert kind in ("videos", "gifs") and len(items) == 1, ui
    return items[0]


def download(comfy, item, filename=None):
    return comfy.view(filename or item["filename"], item["subfolder"], item["type"])


def not_served(comfy, filename, subfolder, type):
    with pytest.raises(urllib.error.HTTPError) as missing:
        comfy.view(filename, subfolder, type)
    return missing.value.code == 404


def text_output(entry, node_id):
    """What a core PreviewAny node shows: how INT/FLOAT outputs are seen over HTTP."""
    return entry["outputs"][node_id]["text"][0]


# --- graph pieces --------------------------------------------------------------------------------------------------

def node_of(g, class_type):
    return next(node_id for node_id, node in g.nodes.items() if node["class_type"] == class_type)


# --- decoding what came back ---------------------------------------------------------------------------------------

def decode_video(data):
    """A video file's first video stream (codec, average rate, tag, pixel format, profile, RGB uint8 frames) and
    its audio summary (decode_audio)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        video = {"codec": context.codec.canonical_name, "rate": stream.average_rate, "tag": context.codec_tag,
                 "pix_fmt": context.pix_fmt, "profile": context.profile,
                 "frames": [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]}
    return video | {"audio": decode_audio(data)}


def decode_audio(data):
    """(channels, seconds, rms) of the first audio stream, or None."""
    with av.open(io.BytesIO(data)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate, chunks = stream.codec_context.sample_rate, []
        for frame in container.decode(stream):
            assert frame.format.is_planar, frame.format  # AAC decodes to planar float: (channels, samples)
            chunks.append(frame.to_ndarray())
    samples = np.concatenate(chunks, axis=1).astype(np.float64)
    return samples.shape[0], samples.shape[1] / rate, float(np.sqrt(np.mean(samples ** 2)))


def decode_image_frames(data):
    """RGB frames, per-frame durations (ms) and the loop setting of a GIF or animated WebP."""
    image = Image.open(io.BytesIO(data))
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(np.asarray(frame.convert("RGB")))
        durations.append(frame.info.get("duration"))
    return frames, durations, image.info.get("loop")


def isobmff_tags(data):
    """moov/udta/meta keys + ilst as {name: JSON value}: where the ComfyUI frontend reads a dropped MP4's prompt
    and workflow. Boxes are walked by their sizes; meta is a full box (4 bytes of version and flags first)."""
    def boxes(start, end):
        at = start
        while at + 8 <= end:
            size = int.from_bytes(data[at:at + 4], "big")
            assert size >= 8, f"box of size {size} at {at}"
            yield data[at + 4:at + 8], at + 8, at + size
            at += size

    def child(start, end, kind):
        return next((s, e) for k, s, e in boxes(start, end) if k == kind)

    udta = child(*child(0, len(data), b"moov"), b"udta")
    meta_start, meta_end = child(*udta, b"meta")
    keys_start, _ = child(meta_start + 4, meta_end, b"keys")
    names, at = {}, keys_start + 8  # version/flags, entry count
    for index in range(1, int.from_bytes(data[keys_start + 4:keys_start + 8], "big") + 1):
        size = int.from_bytes(data[at:at + 4], "big")
        names[index] = data[at + 8:at + size].decode()  # after size and the 'mdta' namespace
        at += size
    tags = {}
    for kind, start, end in boxes(*child(meta_start + 4, meta_end, b"ilst")):
        value_start, value_end = child(start, end, b"data")
        name = names[int.from_bytes(kind, "big")]
        if name.lower() in ("prompt", "workflow"):  # others (the encoder's name) are plain text
            tags[name.lower()] = json.loads(data[value_start + 8:value_end])  # after the type and locale
    return tags


def top_level_boxes(data):
    kinds, at = [], 0
    while at + 8 <= len(data):
        kinds.append(data[at + 4:at + 8])
        at += int.from_bytes(data[at:at + 4], "big")
    return kinds


def nearest_reference(frames, reference):
    """Which reference frame each frame is closest to: lossy formats (GIF's palette, lossy WebP, crf) change
    every pixel a little, far less than the frames differ from one another."""
    return [int(np.argmin([mean_error(frame, ref) for ref in reference])) for frame in frames]


def mean_error(a, b):
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# --- txt2vid -> every format, in one prompt (one sampling run) ------------------------------------------------

# format -> (options, frames expected in the file). Frame counts follow play order: ping-pong adds the way back
# without either end frame; a video file holds the clip loop_count times (GIF/WebP store it as a loop setting).
CASES = {
    "gif": ("image/gif", dict(loop_count=3, pingpong=True), [0, 1, 2, 3, 2, 1]),
    "gif_once": ("image/gif", dict(loop_count=1, dither="bayer"), [0, 1, 2, 3]),
    "webp": ("image/webp", dict(loop_count=0), [0, 1, 2, 3]),
    "h264": ("video/h264-mp4", dict(loop_count=2, pingpong=True), [0, 1, 2, 3, 2, 1] * 2),
    "h264_once": ("video/h264-mp4", dict(loop_count=1), [0, 1, 2, 3]),
    "h265": ("video/h265-mp4", dict(frame_rate=23.976), [0, 1, 2, 3]),
    "vp9": ("video/vp9-webm", dict(loop_count=3), [0, 1, 2, 3] * 3),
    "av1": ("video/av1-webm", {}, [0, 1, 2, 3]),
    "prores": ("video/prores-mov", dict(pix_fmt="yuv444p"), [0, 1, 2, 3]),
    "png": ("image/png", dict(pingpong=True), [0, 1, 2, 3, 2, 1]),
}
CODECS = {"video/h264-mp4": "h264", "video/h265-mp4": "hevc", "video/vp9-webm": "vp9", "video/av1-webm": "av1",
          "video/prores-mov": "prores"}


@pytest.fixture(scope="module")
def formats_available(comfy):
    return comfy.get_json("/object_info/TempoVideoCombine")["TempoVideoCombine"]["input"]["required"]["format"][0]


@pytest.fixture(scope="module")
def clip(comfy, formats_available):
    """One txt2vid prompt (SaveImage keeps the reference frames) feeding a Video Combine per case, plus a preview
    (save_output off) and a prefix with subfolders, queued with the workflow in extra_data."""
    g = txt2vid(frames=FRAMES, size=SIZE, steps=2, prefix="video_reference")
    images = out(node_of(g, "VAEDecode"))
    nodes = {}
    for case, (fmt, options, _) in CASES.items():
        if fmt in formats_available:
            nodes[case] = combine(g, images, fmt, prefix=f"formats/{case}", **options)
    nodes["preview"] = combine(g, images, "video/h264-mp4", prefix="preview_only", save_output=False)
    nodes["nested"] = combine(g, images, "image/gif", prefix="animations/run1/clip")
    prompt = g.prompt()
    entry = succeeded(comfy, prompt, WORKFLOW)
    return {"entry": entry, "nodes": nodes, "prompt": prompt, "reference": saved_images(comfy, entry)}


def test_reference_frames_differ(clip):
    """The frame order checks below mean something only if the four frames tell apart."""
    reference = clip["reference"]
    assert len(reference) == FRAMES and reference[0].shape == (SIZE, SIZE, 3)
    assert min(mean_error(a, b) for i, a in enumerate(reference) for b in reference[i + 1:]) > 20


@pytest.mark.parametrize("case", list(CASES))
def test_every_format_is_served_and_decodes_to_the_frames_played(comfy, clip, formats_available, case):
    fmt, options, order = CASES[case]
    if fmt not in formats_available:
        assert fmt == "video/av1-webm", f"{fmt} missing from the format choices {formats_available}"
        pytest.skip("this FFmpeg has no AV1 encoder")
    item = preview(clip["entry"], clip["nodes"][case])
    rate = Fraction(24000, 1001) if case == "h265" else options.get("frame_rate", RATE)  # 23.976 means NTSC
    assert item["type"] == "output" and item["frame_rate"] == pytest.approx(float(rate), abs=1e-9)
    expected = [clip["reference"][i] for i in order]
    if fmt == "image/png":
        assert item["subfolder"].startswith("formats/") and item["filename"].endswith("_00000.png"), item
        frames = []
        for index in range(len(order) + 1):
            name = item["filename"].replace("_00000.png", f"_{index:05}.png")
            if index == len(order):
                assert not_served(comfy, name, item["subfolder"], "output"), f"{name}: one frame too many"
            else:
                frames.append(np.asarray(Image.open(io.BytesIO(download(comfy, item, name))).convert("RGB")))
        # SaveImage truncates where Video Combine rounds: one level apart at most.
        assert max(np.abs(f.astype(int) - e.astype(int)).max() for f, e in zip(frames, expected)) <= 1
        return
    assert item["subfolder"] == "formats" and item["filename"].startswith(f"{case}_0"), item
    data = download(comfy, item)
    if fmt in ("image/gif", "image/webp"):
        assert item["format"] == fmt and item["filename"].endswith(fmt.split("/")[1])
        frames, durations, loop = decode_image_frames(data)
        assert len(frames) == len(order) and frames[0].shape == (SIZE, SIZE, 3)
        # GIF delays are whole hundredths: 12 fps alternates 8 and 9; the clip's length stays right.
        assert sum(durations) == pytest.approx(len(order) * 1000 / rate, abs=10)
        # Plays: 0 = forever (loop 0); GIF counts repeats after the first play and has no loop block for once.
        expected_loop = {"gif": 2, "gif_once": None, "webp": 0}[case]
        assert loop == expected_loop, f"{case}: loop {loop!r}"
    else:
        video = decode_video(data)
        assert video["codec"] == CODECS[fmt]
        assert len(video["frames"]) == len(order) and video["frames"][0].shape == (SIZE, SIZE, 3)
        assert video["rate"] == rate
        assert video["audio"] is None
        if case == "h265":
            assert video["tag"] == "hvc1"
        if case == "prores":
            assert video["profile"] == "4444" and video["pix_fmt"].startswith("yuv444p")  # the yuv444p choice
        frames = video["frames"]
    assert nearest_reference(frames, clip["reference"]) == order, f"{case}: frames out of play order"


def test_workflow_and_prompt_are_inside_the_mp4_and_its_first_frame_png(comfy, clip):
    item = preview(clip["entry"], clip["nodes"]["h264"])
    data = download(comfy, item)
    assert isobmff_tags(data) == {"prompt": clip["prompt"], "workflow": WORKFLOW}
    boxes = top_level_boxes(data)
    assert boxes.index(b"moov") < boxes.index(b"mdat"), boxes  # the frontend reads the head of the file
    with av.open(io.BytesIO(data)) as container:  # FFmpeg reads the same tags back
        assert json.loads(container.metadata["workflow"]) == WORKFLOW
    still = Image.open(io.BytesIO(download(comfy, item, item["filename"].rsplit(".", 1)[0] + ".png")))
    assert json.loads(still.text["workflow"]) == WORKFLOW
    assert json.loads(still.text["prompt"]) == clip["prompt"]
    assert mean_error(np.asarray(still.convert("RGB")), clip["reference"][0]) < 1


def test_workflow_is_inside_webm_webp_and_png_frames(comfy, clip):
    with av.open(io.BytesIO(download(comfy, preview(clip["entry"], clip["nodes"]["vp9"])))) as container:
        tags = {key.lower(): value for key, value in container.metadata.items()}
    assert json.loads(tags["workflow"]) == WORKFLOW and json.loads(tags["prompt"]) == clip["prompt"]
    webp = Image.open(io.BytesIO(download(comfy, preview(clip["entry"], clip["nodes"]["webp"]))))
    exif = dict(value.split(":", 1) for value in webp.getexif().values() if isinstance(value, str))
    assert json.loads(exif["workflow"]) == WORKFLOW and json.loads(exif["prompt"]) == clip["prompt"]
    frame = Image.open(io.BytesIO(download(comfy, preview(clip["entry"], clip["nodes"]["png"]))))
    assert json.loads(frame.text["workflow"]) == WORKFLOW


def test_save_output_off_writes_a_preview_into_temp_only(comfy, clip):
    item = preview(clip["entry"], clip["nodes"]["preview"])
    assert item["type"] == "temp" and item["format"] == "video/mp4"
    assert len(decode_video(download(comfy, item))["frames"]) == FRAMES
    assert not_served(comfy, item["filename"], item["subfolder"], "output")


def test_filename_prefix_subfolders_are_kept(comfy, clip):
    item = preview(clip["entry"], clip["nodes"]["nested"])
    assert (item["subfolder"], item["type"]) == ("animations/run1", "output")
    assert item["filename"].startswith("clip_") and item["filename"].endswith(".gif")
    assert len(decode_image_frames(download(comfy, item))[0]) == FRAMES


@pytest.mark.parametrize("prefix", ["../escaped", "/ABSOLUTE"])
def test_prefix_leaving_the_output_folder_is_refused_by_name(comfy, tmp_path, prefix):
    prefix = prefix.replace("/ABSOLUTE", str(tmp_path / "absolute"))
    g = Graph()
    frames = g.add("EmptyImage", width=32, height=32, batch_size=2, color=0x336699)
    combine(g, out(frames), "video/h264-mp4", prefix=prefix)
    error = execution_error(run(comfy, g.prompt()))
    assert error and "filename_prefix" in error["exception_message"] and prefix in error["exception_message"], error
    assert error["node_type"] == "TempoVideoCombine" and error["exception_type"].endswith("MediaError")
    assert not os.listdir(tmp_path)
    assert not [name for name in os.listdir(comfy.base) if name.startswith("escaped")]
    assert comfy.get_json("/system_stats")  # still serving


# --- Load Video ----------------------------------------------------------------------------------------------

def encode_clip(path, frames=SOURCE_FRAMES, rate=SOURCE_RATE, size=SOURCE_SIZE, audio_seconds=0.0):
    """An H.264 MP4 written here with PyAV: flat grey frames LEVEL0 + STEP * k, lossless (qp 0), optionally with
    a 440 Hz stereo AAC track."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate, options={"qp": "0", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv444p"
        sound = None
        if audio_seconds:
            sound = container.add_stream("aac", rate=44100)
            sound.layout = "stereo"
            t = np.arange(int(audio_seconds * 44100)) / 44100
            wave = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, wave.size, 1024):
                chunk = np.ascontiguousarray(np.stack([wave[start:start + 1024]] * 2))
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts, frame.time_base = 44100, start, Fraction(1, 44100)
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
        for k in range(frames):
            rgb = np.full((size[1], size[0], 3), LEVEL0 + STEP * k, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv444p")
            frame.pts = k
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path.read_bytes()


@pytest.fixture(scope="module")
def source_clip(comfy, tmp_path_factory):
    path = tmp_path_factory.mktemp("clips") / f"greys_{uuid.uuid4().hex[:8]}.mp4"
    name = upload(comfy, path.name, encode_clip(path), "video/mp4")
    # The node's choices (what the frontend refreshes its list from) now offer it.
    info = comfy.get_json("/object_info/TempoLoadVideo")["TempoLoadVideo"]["input"]["required"]["video"]
    assert name in info[0] and info[1].get("video_upload")
    return name


def source_indexes(frames):
    """Which source frame each loaded frame is, from its grey level (every pixel must agree)."""
    indexes = []
    for frame in frames:
        levels = (frame.astype(float) - LEVEL0) / STEP
        assert np.ptp(levels) < 0.5, "a loaded frame is not one flat source frame"
        indexes.append(int(round(levels.mean())))
    return indexes


@pytest.mark.parametrize("options, indexes, fps, size", [
    ({}, list(range(SOURCE_FRAMES)), 24.0, SOURCE_SIZE),
    # 24 fps read at 12: every other frame (0, 2, .., 22); skip 1 -> 2, 4, ..; every 2nd -> 2, 6, 10, ..; cap 4.
    (dict(force_rate=12.0, skip_first_frames=1, select_every_nth=2, frame_load_cap=4, resize="crop"),
     [2, 6, 10, 14], 6.0, (96, 56)),
    # 24 fps read at 48: each frame twice.
    (dict(force_rate=48.0, frame_load_cap=5, resize="pad"), [0, 0, 1, 1, 2], 48.0, (104, 64)),
    (dict(skip_first_frames=20, resize="none", custom_width=50), [20, 21, 22, 23], 24.0, (50, 30)),
    (dict(select_every_nth=5, resize="crop", custom_width=64, custom_height=64), [0, 5, 10, 15, 20], 4.8, (64, 64)),
])
def test_load_video_options(comfy, source_clip, options, indexes, fps, size):
    g = Graph()
    loaded = load_video(g, source_clip, **options)
    g.add("SaveImage", images=out(loaded), filename_prefix="loaded")
    count_node = g.add("PreviewAny", source=out(loaded, 1))
    fps_node = g.add("PreviewAny", source=out(loaded, 2))
    entry = succeeded(comfy, g.prompt())
    frames = saved_images(comfy, entry)
    assert frames[0].shape == (size[1], size[0], 3)
    if options.get("resize") == "pad":  # the 100x60 picture centred in 104x64, black around it
        assert all(frame[:2].max() == frame[:, :2].max() == 0 for frame in frames)
        frames = [frame[2:-2, 2:-2] for frame in frames]
    assert source_indexes(frames) == indexes
    assert int(text_output(entry, count_node)) == len(indexes)
    assert float(text_output(entry, fps_node)) == pytest.approx(fps)


def test_loaded_frames_and_rate_feed_video_combine(comfy, source_clip):
    g = Graph()
    loaded = load_video(g, source_clip, force_rate=8.0, frame_load_cap=6)
    node = combine(g, out(loaded), "video/h264-mp4", prefix="from_load", frame_rate=out(loaded, 2),
                   audio=out(loaded, 3))
    item = preview(succeeded(comfy, g.prompt()), node)
    assert item["frame_rate"] == 8.0
    video = decode_video(download(comfy, item))
    assert video["rate"] == 8 and video["audio"] is None  # the source has no sound
    assert source_indexes(video["frames"]) == [0, 3, 6, 9, 12, 15]


def test_missing_video_is_refused_at_queue_time_by_name(comfy):
    g = Graph()
    g.add("PreviewImage", images=out(load_video(g, "no_such_clip.mp4")))
    with pytest.raises(PromptRejected) as rejected:
        run(comfy, g.prompt())
    assert "no_such_clip.mp4" in str(rejected.value)


@pytest.mark.parametrize("kind", ["garbage", "cut_short"])
def test_corrupt_upload_names_the_file_and_the_server_keeps_serving(comfy, source_clip, tmp_path, kind):
    if kind == "garbage":
        data = np.random.default_rng(3).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    else:  # a download cut short: this file keeps its index (moov) at the end, which is lost
        data = encode_clip(tmp_path / "whole.mp4")
        data = data[:len(data) // 3]
    name = upload(comfy, f"corrupt_{kind}_{uuid.uuid4().hex[:6]}.mp4", data, "video/mp4")
    g = Graph()
    loaded = load_video(g, name)
    g.add("PreviewImage", images=out(loaded))
    error = execution_error(run(comfy, g.prompt()))
    assert error and error["node_type"] == "TempoLoadVideo" and name in error["exception_message"], error
    assert error["exception_type"].endswith("MediaError"), error  # Tempo's own message, not FFmpeg's raw one
    g = Graph()
    g.add("PreviewImage", images=out(load_video(g, source_clip, frame_load_cap=2)))
    assert len(saved_images(comfy, succeeded(comfy, g.prompt()))) == 2


def test_vid2vid_with_a_motion_module(comfy, source_clip):
    g = Graph()
    ckpt = g.add("CheckpointLoaderSimple", ckpt_name=CHECKPOINT)
    model = g.add("TempoLoadMotionModule", model=out(ckpt), model_name="mm_sd_v15_v2.ckpt", motion_scale=1.0, effect=1.0,
                  beta_schedule="auto")
    loaded = load_video(g, source_clip, frame_load_cap=4, resize="crop", custom_width=SIZE, custom_height=SIZE)
    latent = g.add("VAEEncode", pixels=out(loaded), vae=out(ckpt, 2))
    positive = g.add("CLIPTextEncode", clip=out(ckpt, 1), text="a paper boat drifting on a pond, watercolour")
    negative = g.add("CLIPTextEncode", clip=out(ckpt, 1), text="blurry")
    sampled = g.add("KSampler", model=out(model), positive=out(positive), negative=out(negative),
                    latent_image=out(latent), seed=5, steps=2, cfg=7.0, sampler_name="euler", scheduler="normal",
                    denoise=0.5)
    images = g.add("VAEDecode", samples=out(sampled), vae=out(ckpt, 2))
    g.add("SaveImage", images=out(images), filename_prefix="vid2vid_reference")
    from_images = combine(g, out(images), "video/h264-mp4", prefix="vid2vid", frame_rate=out(loaded, 2))
    # The same latents handed to Video Combine undecoded: it decodes them itself, a few frames at a time.
    from_latent = g.add("TempoVideoCombine", latent=out(sampled), vae=out(ckpt, 2), frame_rate=out(loaded, 2),
                        loop_count=0, filename_prefix="vid2vid_latent", format="image/png", pingpong=False,
                        save_output=True)
    entry = succeeded(comfy, g.prompt(), WORKFLOW)
    video = decode_video(download(comfy, preview(entry, from_images)))
    assert len(video["frames"]) == 4 and video["frames"][0].shape == (SIZE, SIZE, 3) and video["rate"] == 24
    reference = saved_images(comfy, entry)
    assert nearest_reference(video["frames"], reference) == [0, 1, 2, 3]
    item = preview(entry, from_latent)
    for index, expected in enumerate(reference):
        frame = np.asarray(Image.open(io.BytesIO(download(comfy, item, item["filename"].replace(
            "_00000.", f"_{index:05}.")))).convert("RGB"))
        # The same VAE decode as VAEDecode's; SaveImage truncates where Video Combine rounds.
        assert np.abs(frame.astype(int) - expected.astype(int)).max() <= 1
    assert not_served(comfy, item["filename"].replace("_00000.", "_00004."), item["subfolder"], "output")


def test_audio_goes_from_load_video_into_the_mp4(comfy, tmp_path):
    path = tmp_path / f"with_sound_{uuid.uuid4().hex[:8]}.mp4"
    name = upload(comfy, path.name, encode_clip(path, frames=24, size=(64, 64), audio_seconds=1.0), "video/mp4")
    g = Graph()
    # Half the clip: frames 0-11, so half a second of sound.
    loaded = load_video(g, name, frame_load_cap=12)
    node = combine(g, out(loaded), "video/h264-mp4", prefix="with_sound", frame_rate=out(loaded, 2),
                   audio=out(loaded, 3))
    video = decode_video(download(comfy, preview(succeeded(comfy, g.prompt()), node)))
    assert len(video["frames"]) == 12 and video["audio"] is not None, video["audio"]
    channels, seconds, rms = video["audio"]
    assert channels == 2 and seconds == pytest.approx(0.5, abs=0.06) and rms > 0.2


# --- colour ------------------------------------------------------------------------------------------------------

BAR_WIDTH = 32
BARS = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]]) * 191


def test_grey_ramp_and_colour_bars_survive_an_mp4_round_trip(comfy):
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2).repeat(32, axis=0)
    bars = np.repeat(BARS.astype(np.uint8), BAR_WIDTH, axis=0)[None].repeat(32, axis=0)
    pattern = np.concatenate([ramp, bars])  # 256x64: ramp on top, bars below
    buffer = io.BytesIO()
    Image.fromarray(pattern).save(buffer, format="PNG")
    tag = uuid.uuid4().hex[:8]
    still = upload(comfy, f"pattern_{tag}.png", buffer.getvalue(), "image/png")

    g = Graph()
    clip = g.add("RepeatImageBatch", image=out(g.add("LoadImage", image=still)), amount=3)
    node = combine(g, out(clip), "video/h264-mp4", prefix="colour/pattern", preset="medium")
    mp4 = download(comfy, preview(succeeded(comfy, g.prompt()), node))
    with av.open(io.BytesIO(mp4)) as container:
        frame = next(container.decode(video=0))
    # BT.709 primaries, transfer and matrix, limited range: what players need to show the colours right.
    assert (frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range) == (1, 1, 1, 1)

    # Back in through the upload button and Load Video; out as PNGs (rounded, not truncated like SaveImage).
    uploaded = upload(comfy, f"pattern_{tag}.mp4", mp4, "video/mp4")
    g = Graph()
    png = combine(g, out(load_video(g, uploaded)), "image/png", prefix="colour/back")
    item = preview(succeeded(comfy, g.prompt()), png)
    for index in range(3):
        data = download(comfy, item, item["filename"].replace("_00000.", f"_{index:05}."))
        error = np.abs(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int) - pattern.astype(int))
        # Chroma is shared by 2x2 pixels and filtered when upsampled: compared away from colour edges (4 pixels
        # either side of each bar's sides, and of the line where the ramp meets the bars).
        inner = np.concatenate([error[36:, i * BAR_WIDTH + 4:(i + 1) * BAR_WIDTH - 4] for i in range(8)], axis=1)
        assert error[:28].max() <= 2, f"frame {index}: grey ramp off by {error[:28].max()} levels"
        assert inner.max() <= 2, f"frame {index}: colour bars off by {inner.max()} levels"
    assert not_served(comfy, item["filename"].replace("_00000.", "_00003."), item["subfolder"], "output")
