"""Video Combine and Load Video nodes in API prompts, and uploads into the input folder as the frontend makes them."""
import json
import urllib.request
import uuid


def combine(g, images=None, format="video/h264-mp4", prefix="tempo_video", frame_rate=12.0, **options):
    inputs = dict(frame_rate=frame_rate, loop_count=0, filename_prefix=prefix, format=format, pingpong=False,
                  save_output=True, preset="veryfast") | options
    if images is not None:
        inputs["images"] = images
    return g.add("TempoVideoCombine", **inputs)


def load_video(g, video, **options):
    inputs = dict(video=video, force_rate=0.0, skip_first_frames=0, select_every_nth=1, frame_load_cap=0,
                  resize="none", custom_width=0, custom_height=0) | options
    return g.add("TempoLoadVideo", **inputs)


def upload(comfy, name, data, content_type="application/octet-stream"):
    """POST /upload/image, multipart, field "image": what the frontend's upload button sends for video_upload."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(comfy.url + "/upload/image", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert answer == {"name": name, "subfolder": "", "type": "input"}, answer
    return name
