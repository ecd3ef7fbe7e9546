"""A real ComfyUI server on 127.0.0.1 with this pack installed, driven over its HTTP API."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HARNESS = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(os.path.dirname(HARNESS))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_base(base, models_dir):
    """A ComfyUI base directory holding only this pack and the given models: nothing of the machine leaks in."""
    for sub in ("custom_nodes", "input", "output", "temp", "user"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    link = os.path.join(base, "custom_nodes", "tempo")
    if not os.path.islink(link):
        os.symlink(CHECKOUT, link)
    models = os.path.join(base, "models")
    if not os.path.lexists(models):
        os.symlink(os.path.abspath(models_dir), models)
    return base


class ComfyServer:
    def __init__(self, base, log_path, extra_args=(), precision=None):
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        precision_args = ("--precision", precision) if precision else ()
        args = [os.environ["TEMPO_PYTHON"], "-u", os.path.join(HARNESS, "launch_comfyui.py"), *precision_args,
                os.environ["TEMPO_COMFYUI"], "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
                "--base-directory", base, "--disable-auto-launch", *extra_args]
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=base)

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.process.returncode}; log: {self.log_path}\n{self.tail()}")
            try:
                self.get_json("/system_stats")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise TimeoutError(f"ComfyUI did not answer in {timeout}s; log: {self.log_path}\n{self.tail()}")

    def tail(self, chars=4000):
        with open(self.log_path) as f:
            return f.read()[-chars:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def request(self, path, data=None, method=None):
        body = None if data is None else json.dumps(data).encode()
        req = urllib.request.Request(self.url + path, body, {"Content-Type": "application/json"}, method=method)
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.read()

    def get_json(self, path):
        return json.loads(self.request(path))

    def queue(self, prompt, client_id="tempo-tests"):
        """POST /prompt. Returns the prompt id, or raises PromptRejected with the server's JSON error."""
        try:
            reply = json.loads(self.request("/prompt", {"prompt": prompt, "client_id": client_id}))
        except urllib.error.HTTPError as e:
            raise PromptRejected(json.loads(e.read())) from None
        # ComfyUI queues a prompt when some of its outputs validate and silently drops the others; the part it
        # runs is waited for so that the next test starts on an idle server.
        if reply.get("node_errors"):
            self.wait(reply["prompt_id"])
            raise PromptRejected(reply)
        return reply["prompt_id"]

    def wait(self, prompt_id, timeout=600):
        """Polls /history until the prompt finished; returns its history entry."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            history = self.get_json(f"/history/{prompt_id}")
            if prompt_id in history and history[prompt_id].get("status", {}).get("completed") is not None:
                entry = history[prompt_id]
                if entry["status"]["status_str"] in ("success", "error"):
                    return entry
            time.sleep(0.3)
        raise TimeoutError(f"prompt {prompt_id} did not finish in {timeout}s\n{self.tail()}")

    def run(self, prompt, timeout=600):
        return self.wait(self.queue(prompt), timeout)

    def view(self, filename, subfolder="", type="output"):
        query = urllib.parse.urlencode({"filename": filename, "subfolder": subfolder, "type": type})
        return self.request(f"/view?{query}")

    def interrupt(self):
        self.request("/interrupt", {})


class PromptRejected(Exception):
    def __init__(self, body):
        super().__init__(json.dumps(body, indent=1))
        self.body = body


def execution_error(entry):
    """The execution_error message of a history entry, or None."""
    for kind, data in entry["status"].get("messages", []):
        if kind == "execution_error":
            return data
    return None


def start(base, models_dir, log_path, extra_args=(), precision=None):
    """precision: bf16, fp16 or fp8 (tests/harness/half_precision.py) for a server computing in it."""
    prepare_base(base, models_dir)
    return ComfyServer(base, log_path, extra_args, precision).wait_ready()


