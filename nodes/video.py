"""Video Combine and Load Video: ComfyUI's side of media/ (folders, hidden prompt/workflow, preview results).

The type names carry a Tempo prefix: ComfyUI core already registers "LoadVideo" and "SaveVideo"."""
import os

import comfy.model_management
import comfy.utils
import folder_paths
from comfy.cli_args import args

from ..media import (CHROMA, DITHERS, FORMATS, PRESETS, RESIZE_MODES, CombineOptions, DecodedFrames, ImageFrames,
                     MediaError, available_formats, combine, load_video)
from .files import FileInputError, input_file

VIDEO_EXTENSIONS = (".mp4", ".webm", ".mkv", ".mov", ".m4v", ".avi", ".gif", ".mpg", ".mpeg", ".ts", ".flv", ".wmv")


class VideoCombine:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "frame_rate": ("FLOAT", {
                    "default": 8.0, "min": 0.01, "max": 240.0, "step": 0.001,
                    "tooltip": "Frames per second. Fractions are kept exactly: 23.976, 29.97 and 59.94 are the "
                               "NTSC rates 24000/1001, 30000/1001, 60000/1001. Browsers show GIFs above 50 fps "
                               "slower than asked."}),
                "loop_count": ("INT", {
                    "default": 0, "min": 0, "max": 100,
                    "tooltip": "How many times the clip plays: 0 = forever, 1 = once, N = N times. GIF and WebP "
                               "store it as their loop setting; video files have none, so they hold the clip N "
                               "times (0 and 1: once; players and the preview loop it). PNG sequences ignore it."}),
                "filename_prefix": ("STRING", {
                    "default": "Tempo",
                    "tooltip": "File name start, optionally with subfolders ('animations/run1/clip'), inside "
                               "ComfyUI's output folder. A counter is added; '..' and absolute paths are refused."}),
                "format": (available_formats(), {
                    "default": "video/h264-mp4",
                    "tooltip": "GIF, animated WebP, MP4 (H.264, H.265), WebM (VP9, AV1 when this FFmpeg has it), "
                               "ProRes .mov, or a folder of PNGs. The workflow is saved in the file where the "
                               "format allows and always in a first-frame PNG beside animations."}),
                "pingpong": ("BOOLEAN", {
                    "default": False,
                    "tooltip": "Play forward then backward (without repeating the end frames), for seamless loops."}),
                "save_output": ("BOOLEAN", {
                    "default": True,
                    "tooltip": "On: the file goes to the output folder. Off: a preview in the temp folder, "
                               "deleted when ComfyUI restarts."}),
            },
            "optional": {
                "images": ("IMAGE", {"tooltip": "The frames. Leave unconnected to use latent + vae instead."}),
                "latent": ("LATENT", {
                    "tooltip": "Instead of images: latents decoded by vae a few frames at a time while writing, "
                               "so a long clip never needs all its images in RAM."}),
                "vae": ("VAE", {"tooltip": "Decodes latent; only used with latent."}),
                "audio": ("AUDIO", {
                    "tooltip": "Sound muxed into MP4 (AAC), WebM (Opus) or MOV (PCM), cut at the video's end. "
                               "GIF, WebP and PNG carry no sound."}),
                "crf": ("INT", {
                    "default": 19, "min": 0, "max": 63,
                    "tooltip": "Quality for H.264/H.265 (0-51) and VP9/AV1 (0-63): lower is better and larger. "
                               "About 17-23 for H.264, 30 for VP9/AV1."}),
                "preset": (list(PRESETS), {
                    "default": "medium",
                    "tooltip": "Encoder speed for H.264/H.265/VP9/AV1: slower presets give smaller files at the "
                               "same crf."}),
                "pix_fmt": (list(CHROMA), {
                    "default": "yuv420p",
                    "tooltip": "Chroma: yuv420p plays everywhere; yuv444p keeps full colour detail but browsers "
                               "may not play it. ProRes: yuv420p gives 422 HQ, yuv444p gives 4444."}),
                "dither": (list(DITHERS), {
                    "default": "floyd_steinberg",
                    "tooltip": "GIF only: how shades between the 255 palette colours are approximated. "
                               "floyd_steinberg is smoothest, bayer is a stable pattern (smaller files), none bands."}),
                "webp_quality": ("INT", {
                    "default": 90, "min": 0, "max": 100,
                    "tooltip": "WebP only: 0-99 lossy quality, 100 lossless."}),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("filenames",)
    OUTPUT_IS_LIST = (True,)
    OUTPUT_TOOLTIPS = ("Full paths of the files written: the animation (every frame for PNG), then the "
                       "first-frame PNG carrying the workflow.",)
    OUTPUT_NODE = True
    FUNCTION = "combine"
    CATEGORY = "Tempo/video"
    DESCRIPTION = ("Writes frames as a GIF, WebP, MP4, WebM, ProRes or PNG sequence, with the prompt and workflow "
                   "embedded so that dropping the file (or its first-frame PNG) onto ComfyUI restores the graph. "
                   "Frames are encoded one at a time; colours are tagged BT.709 and kept within 2 levels. "
                   "The result plays inside the node.")

    def combine(self, frame_rate, loop_count, filename_prefix, format, pingpong, save_output, images=None,
                latent=None, vae=None, audio=None, crf=19, preset="medium", pix_fmt="yuv420p",
                dither="floyd_steinberg", webp_quality=90, prompt=None, extra_pnginfo=None):
        options = CombineOptions(format, frame_rate, loop_count, pingpong, crf, preset, pix_fmt, dither, webp_quality)
        root = folder_paths.get_output_directory() if save_output else folder_paths.get_temp_directory()
        result = combine(frame_source(images, latent, vae), root, filename_prefix, options,
                         workflow_metadata(prompt, extra_pnginfo), audio, Progress(), INTERRUPT)
        kind = "videos" if FORMATS[format].kind == "video" else "gifs"
        preview = {"filename": result.filename, "subfolder": result.subfolder,
                   "type": "output" if save_output else "temp", "format": result.mime,
                   "frame_rate": result.frame_rate}
        return {"ui": {kind: [preview]}, "result": (result.files,)}


def frame_source(images, latent, vae):
    if images is not None and latent is not None:
        raise MediaError("Video Combine: connect images or latent + vae, not both")
    if images is not None:
        return ImageFrames(images)
    if latent is None or vae is None:
        raise MediaError("Video Combine: connect images, or latent together with vae")
    return DecodedFrames(latent["samples"], vae.decode)


def workflow_metadata(prompt, extra_pnginfo):
    """What SaveImage embeds: the API prompt and every extra_pnginfo entry (the workflow), unless ComfyUI runs
    with --disable-metadata."""
    if args.disable_metadata:
        return None
    metadata = dict(extra_pnginfo or {})
    if prompt is not None:
        metadata["prompt"] = prompt
    return metadata or None


# Raises when the user pressed Cancel; media/ calls it at every frame.
INTERRUPT = comfy.model_management.throw_exception_if_processing_interrupted


class Progress:
    """media/'s progress(done, total) on the running node's progress bar, made at the first report: the total is
    known only once media/ has planned the frames."""

    def __init__(self):
        self.bar = None

    def __call__(self, done, total):
        if self.bar is None:
            self.bar = comfy.utils.ProgressBar(total)
        self.bar.update_absolute(done, total)


class LoadVideo:
    @classmethod
    def INPUT_TYPES(cls):
        folder = folder_paths.get_input_directory()
        files = sorted(name for name in os.listdir(folder)
                       if name.lower().endswith(VIDEO_EXTENSIONS) and os.path.isfile(os.path.join(folder, name)))
        return {
            "required": {
                "video": (files, {
                    "video_upload": True,
                    "tooltip": "A video or GIF from ComfyUI's input folder; the button uploads one."}),
                "force_rate": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 240.0, "step": 0.001,
                    "tooltip": "0 keeps the file's frame rate. Otherwise frames are dropped or repeated to play at "
                               "this rate (before skip, every-nth and cap apply)."}),
                "skip_first_frames": ("INT", {
                    "default": 0, "min": 0, "max": 1_000_000,
                    "tooltip": "Frames to leave out at the start."}),
                "select_every_nth": ("INT", {
                    "default": 1, "min": 1, "max": 1000,
                    "tooltip": "Keep one frame in every N (1 keeps all); fps is divided by N so timing is kept."}),
                "frame_load_cap": ("INT", {
                    "default": 0, "min": 0, "max": 1_000_000,
                    "tooltip": "Most frames to return (0 = all). Reading stops once they are loaded."}),
                "resize": (list(RESIZE_MODES), {
                    "default": "none",
                    "tooltip": "none: keep the size (or stretch to the custom size). crop / pad: keep the aspect "
                               "ratio and make the sides multiples of 8, cutting the edges or adding black bars."}),
                "custom_width": ("INT", {
                    "default": 0, "min": 0, "max": 8192, "step": 8,
                    "tooltip": "Target width; 0 = from the height and the video's aspect ratio, or the video's."}),
                "custom_height": ("INT", {
                    "default": 0, "min": 0, "max": 8192, "step": 8,
                    "tooltip": "Target height; 0 = from the width and the video's aspect ratio, or the video's."}),
            },
        }

    RETURN_TYPES = ("IMAGE", "INT", "FLOAT", "AUDIO")
    RETURN_NAMES = ("images", "frame_count", "fps", "audio")
    OUTPUT_TOOLTIPS = ("The frames, float RGB in [0, 1].", "How many frames were loaded.",
                       "Frame rate of the loaded frames (the file's or force_rate, divided by select_every_nth).",
                       "The sound under the loaded frames, or None when the file has none.")
    FUNCTION = "load"
    CATEGORY = "Tempo/video"
    DESCRIPTION = ("Loads a video or GIF as IMAGE frames with its sound. Frames are decoded one at a time into a "
                   "single tensor; a load that would not fit in RAM is refused with its size, before decoding.")

    def load(self, video, force_rate, skip_first_frames, select_every_nth, frame_load_cap, resize, custom_width,
             custom_height):
        loaded = load_video(input_file(video, "video"), force_rate, skip_first_frames, select_every_nth,
                            frame_load_cap, resize, custom_width, custom_height, progress=Progress(),
                            interrupt=INTERRUPT)
        return (loaded.images, loaded.images.shape[0], loaded.fps, loaded.audio)

    @classmethod
    def IS_CHANGED(cls, video, **_):
        # The modification time stands in for a hash: hashing a long video on every queue would be slow.
        return os.path.getmtime(input_file(video, "video"))

    @classmethod
    def VALIDATE_INPUTS(cls, video):
        """Takes the place of the host's list check for video only, which would refuse annotated names
        ('clip.mp4 [output]') and files in subfolders; the other inputs keep the host's range and list checks,
        which a **kwargs here would switch off."""
        if video is None:
            return True  # linked: checked when the node runs
        try:
            input_file(video, "video")
        except FileInputError as error:
            return str(error)
        return True


NODE_CLASS_MAPPINGS = {"TempoVideoCombine": VideoCombine, "TempoLoadVideo": LoadVideo}
NODE_DISPLAY_NAME_MAPPINGS = {"TempoVideoCombine": "Video Combine (Tempo)", "TempoLoadVideo": "Load Video (Tempo)"}
