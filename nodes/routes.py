"""HTTP routes the pack's frontend uses; no nodes.

POST /tempo/prompt_schedule/validate (also under /api/) with JSON {"text", "frames", "pre_text", "app_text",
"negative"} reads the schedules with the same parser Prompt Schedule runs, so the node can show the frame count
and any error (with its line and column) while the user types, before queueing. The answer is always 200 with
{"ok": true, "frames", "keyframes", "prompts", "negative_keyframes"} or {"ok": false, "error": {"input",
"message", "line", "column"}}; a request that is not such an object gets 400 with a message.
"""
import logging
import sys

from aiohttp import web

from ..prompts.schedule import ScheduleError, parse_schedule

VALIDATE_PATH = "/tempo/prompt_schedule/validate"
MAX_TEXT = 1_000_000  # characters; a schedule is a few lines, this only bounds the work one request can ask for
MAX_FRAMES = 100_000  # the node's own maximum


def _field(body, name, kind, default):
    value = body.get(name, default)
    if value is None:
        return default
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{name}: expected {kind.__name__}, got {type(value).__name__}")
    if kind is str and len(value) > MAX_TEXT:
        raise ValueError(f"{name}: longer than {MAX_TEXT} characters")
    return value


def validate_schedule(body):
    """The route's answer for a request body (a dict); raises ValueError for a malformed request."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object with text and frames")
    text = _field(body, "text", str, "")
    frames = _field(body, "frames", int, 16)
    if not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames: expected 1 to {MAX_FRAMES}, got {frames}")
    pre_text, app_text = _field(body, "pre_text", str, ""), _field(body, "app_text", str, "")
    negative = _field(body, "negative", str, "")
    try:
        schedule = parse_schedule(text, frames, pre_text, app_text, source="text")
        negative_schedule = parse_schedule(negative, frames, source="negative")
    except ScheduleError as e:
        return {"ok": False, "error": {"input": e.source, "message": str(e), "line": e.line, "column": e.column}}
    return {"ok": True, "frames": frames, "keyframes": len(schedule.keyframes), "prompts": len(schedule.prompts),
            "negative_keyframes": len(negative_schedule.keyframes)}


def json_post(answer):
    """An aiohttp handler that answers a JSON body with answer(body); a body that is not JSON, or that answer
    refuses with a ValueError, gets 400 with the message."""
    async def handle(request):
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "expected a JSON body"}, status=400)
        try:
            return web.json_response(answer(body))
        except ValueError as e:
            return web.json_response({"error": str(e)}, status=400)
    return handle


def register(path, handler):
    """Adds a POST route to the running server; a process without one (the host tests) gets none."""
    # ComfyUI's main.py imports its server module before it loads custom nodes; importing it here would start
    # a heavy import in processes that never serve (the host tests).
    server = sys.modules.get("server")
    instance = getattr(getattr(server, "PromptServer", None), "instance", None)
    if instance is None:
        return False
    instance.routes.post(path)(handler)
    logging.debug("Tempo: registered %s", path)
    return True


register(VALIDATE_PATH, json_post(validate_schedule))

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
