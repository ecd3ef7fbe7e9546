"""The websocket messages a ComfyUI server sends one client (progress, executing, errors), read as the frontend
reads them: connect to /ws with a client id, then queue prompts under that id."""
import json
import time
import uuid

import websocket


class Messages:
    def __init__(self, comfy):
        self.comfy = comfy
        self.client_id = f"tempo-ws-{uuid.uuid4().hex[:8]}"
        self.socket = websocket.create_connection(f"ws://127.0.0.1:{comfy.port}/ws?clientId={self.client_id}",
                                                  timeout=5)
        self.received = []  # (type, data) of every JSON message, in order; binary previews are skipped

    def close(self):
        self.socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def queue(self, prompt):
        return self.comfy.queue(prompt, client_id=self.client_id)

    def until(self, done, timeout=300):
        """Reads messages until done(type, data) is true for one; returns that message."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                raw = self.socket.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if isinstance(raw, bytes):
                continue
            message = json.loads(raw)
            self.received.append((message["type"], message.get("data", {})))
            if done(*self.received[-1]):
                return self.received[-1]
        raise TimeoutError(f"no awaited websocket message in {timeout}s\n{self.comfy.tail()}")

    def until_finished(self, prompt_id, timeout=300):
        """Reads until the prompt succeeded (executing with node None), failed or was interrupted."""
        return self.until(lambda kind, data: finished(prompt_id, kind, data), timeout)

    def until_progress(self, prompt_id, node_id, timeout=300):
        """Reads until the node reports progress; returns None if the prompt finishes first."""
        kind, data = self.until(lambda kind, data: finished(prompt_id, kind, data) or (
            kind == "progress" and data.get("prompt_id") == prompt_id and data.get("node") == node_id), timeout)
        return data if kind == "progress" else None

    def progress(self, prompt_id, node_id):
        """The (value, max) of every progress message the node sent while running the prompt."""
        return [(data["value"], data["max"]) for kind, data in self.received
                if kind == "progress" and data.get("prompt_id") == prompt_id and data.get("node") == node_id]


def finished(prompt_id, kind, data):
    return data.get("prompt_id") == prompt_id and (
        (kind == "executing" and data.get("node") is None)
        or kind in ("execution_error", "execution_interrupted", "execution_success"))
