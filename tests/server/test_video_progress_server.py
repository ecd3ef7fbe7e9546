"""Video Combine and Load Video over a real server: progress messages over the websocket, as the frontend's
progress bar reads them, and Cancel (POST /interrupt) stopping a long encode with no finished-looking file left."""
import os
import uuid

import pytest

from comfy_server import execution_error
from graphs import Graph, out
from messages import Messages
from video_graphs import combine, load_video


@pytest.fixture
def messages(comfy):
    with Messages(comfy) as listener:
        yield listener


def outputs_named(comfy, prefix):
    return [name for name in os.listdir(os.path.join(comfy.base, "output")) if name.startswith(prefix)]


def test_combine_and_load_video_report_progress_up_to_their_totals(comfy, messages):
    prefix = f"progress_{uuid.uuid4().hex[:8]}"
    g = Graph()
    frames = g.add("EmptyImage", width=64, height=64, batch_size=5, color=0x204060)
    first = combine(g, out(frames), prefix=prefix, pingpong=True)  # 5 frames played as 8
    prompt_id = messages.queue(g.prompt())
    assert messages.until_finished(prompt_id)[0] != "execution_error", execution_error(comfy.wait(prompt_id))
    assert messages.progress(prompt_id, first) == [(done, 8) for done in range(1, 9)]

    written = comfy.wait(prompt_id)["outputs"][first]["videos"][0]["filename"]
    g = Graph()
    loaded = load_video(g, f"{written} [output]", select_every_nth=2)
    second = combine(g, out(loaded), "image/gif", prefix=prefix)
    prompt_id = messages.queue(g.prompt())
    assert messages.until_finished(prompt_id)[0] != "execution_error", execution_error(comfy.wait(prompt_id))
    assert messages.progress(prompt_id, loaded) == [(done, 4) for done in range(1, 5)]
    assert messages.progress(prompt_id, second) == [(done, 4) for done in range(1, 5)]


def test_an_interrupt_stops_a_long_encode_and_leaves_no_output(comfy, messages):
    prefix = f"interrupted_{uuid.uuid4().hex[:8]}"
    g = Graph()
    frames = g.add("EmptyImage", width=512, height=512, batch_size=30, color=0x808080)
    # 100 plays of 30 frames: 3000 frames to encode at the slowest preset, far longer than the interrupt takes.
    node = combine(g, out(frames), prefix=prefix, loop_count=100, preset="veryslow")
    prompt_id = messages.queue(g.prompt())
    assert messages.until_progress(prompt_id, node), "the encode finished without reporting progress"
    comfy.interrupt()
    kind, _ = messages.until_finished(prompt_id)
    assert kind == "execution_interrupted"
    entry = comfy.wait(prompt_id)
    assert entry["status"]["status_str"] == "error" and node not in entry["outputs"]
    done, total = messages.progress(prompt_id, node)[-1]
    assert total == 3000 and done < total
    assert outputs_named(comfy, prefix) == []  # neither the MP4, nor its workflow PNG, nor a partial file
