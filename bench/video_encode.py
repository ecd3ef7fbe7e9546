"""Video Combine's encoding speed and memory at 512x512, measured in one run.

Speed: frames per second writing H.264 (crf 19, medium) and GIF (clip palette, Floyd-Steinberg) through
media.combine, beside the common way of doing the same with PyAV/Pillow alone: RGB frames handed to FFmpeg to
convert (swscale's default BT.601 matrix, untagged) for H.264, and Pillow's save_all with a palette per frame
(every frame held as a Pillow image until the end) for GIF. The two alternate for a few runs and the best of
each counts, so that other work on the machine weighs on both alike. Ratios > 1 mean media.combine is faster.

Memory: each format is written from a 64- and a 256-frame IMAGE tensor, each in a fresh process; the growth
of the process's peak RSS (ru_maxrss) while writing is compared with the tensor's size. Writing frame by frame,
it should be a constant (the encoders' own buffers) that does not grow with the clip.

    $TEMPO_PYTHON bench/video_encode.py [--size 512] [--frames 48] [--rss-frames 256]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CLIP = r"""
def clip(frames, size):
    # A soft gradient with a moving disc: compresses like real footage, unlike noise. Filled frame by frame so
    # that making it costs no second copy.
    import torch
    images = torch.empty(frames, size, size, 3)
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    for i in range(frames):
        t = i / max(1, frames - 1)
        disc = (((x - 0.2 - 0.6 * t) ** 2 + (y - 0.5) ** 2) < 0.02).float()
        images[i, ..., 0] = x * (1 - disc) + disc
        images[i, ..., 1] = y * 0.8
        images[i, ..., 2] = 0.5 + 0.5 * torch.sin(6.28 * (x + t)) * 0.5
    return images
"""

MEASURE_RSS = CLIP + r"""
import json, resource, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from media import CombineOptions, ImageFrames, combine
frames, size, fmt = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
images = clip(frames, size)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
with tempfile.TemporaryDirectory() as out:
    combine(ImageFrames(images), out, "bench", CombineOptions(fmt, frame_rate=8))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"tensor": images.nbytes, "before": before, "peak": peak, "seconds": seconds}))
"""


def measure_rss(frames, size, fmt):
    done = subprocess.run([sys.executable, "-c", MEASURE_RSS, CHECKOUT, str(frames), str(size), fmt],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_rates(writers, frames, runs):
    """Frames per second of each writer, best of `runs`, the writers taking turns."""
    best = [0.0] * len(writers)
    for _ in range(runs):
        for i, write in enumerate(writers):
            start = time.perf_counter()
            write()
            best[i] = max(best[i], frames / (time.perf_counter() - start))
    return best


def plain_h264(images, path):
    import av
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=8, options={"crf": "19", "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = images.shape[2], images.shape[1], "yuv420p"
        for index, image in enumerate(images):
            frame = av.VideoFrame.from_ndarray((image * 255).round().byte().numpy(), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def plain_gif(images, path):
    from PIL import Image
    frames = [Image.fromarray((image * 255).round().byte().numpy()).quantize(255, dither=Image.Dither.FLOYDSTEINBERG)
              for image in images]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=125, loop=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=48, help="frames for the speed runs")
    parser.add_argument("--rss-frames", type=int, default=256, help="frames for the memory runs")
    parser.add_argument("--runs", type=int, default=3, help="speed runs per writer")
    args = parser.parse_args()

    # Memory first, before this process grows: each run is its own process.
    print(f"peak RSS writing frames of {args.size}x{args.size} (fresh process each):")
    for fmt, frames in [(f, n) for f in ("video/h264-mp4", "image/gif") for n in (args.rss_frames // 4, args.rss_frames)]:
        r = measure_rss(frames, args.size, fmt)
        print(f"  {fmt:15} {frames:4} frames: input tensor {r['tensor'] / 2**20:6.1f} MiB   process before writing "
              f"{r['before'] / 2**20:6.1f} MiB   peak {r['peak'] / 2**20:6.1f} MiB   added by writing "
              f"{(r['peak'] - r['before']) / 2**20:5.1f} MiB = {(r['peak'] - r['before']) / r['tensor']:.1%} of the tensor "
              f"({frames / r['seconds']:.1f} frames/s)")

    sys.path.insert(0, CHECKOUT)
    import torch
    from media import CombineOptions, ImageFrames, combine

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    namespace = {}
    exec(CLIP, namespace)
    images = namespace["clip"](args.frames, args.size)
    print(f"encoding speed, {args.frames} frames of {args.size}x{args.size}:")
    with tempfile.TemporaryDirectory() as out:
        for fmt, plain, extension in (("video/h264-mp4", plain_h264, "mp4"), ("image/gif", plain_gif, "gif")):
            ours, theirs = best_rates(
                [lambda: combine(ImageFrames(images), out, "bench", CombineOptions(fmt, frame_rate=8)),
                 lambda: plain(images, os.path.join(out, f"plain.{extension}"))], args.frames, args.runs)
            print(f"  {fmt:15} media.combine {ours:6.1f} frames/s   plain PyAV/Pillow {theirs:6.1f} frames/s   "
                  f"ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
