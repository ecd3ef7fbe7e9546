"""Tempo on a GPU in one run, one table: (a) the host tier on that device; (b) SD1.5 at its released size (random
weights, random conditioning) with a released-size v2 motion model in fp16, 16 frames at 512x512: seconds per
step without and with motion, their ratio, peak VRAM; (c) 64 frames in windows of 16 through Context Window
Sampler, one window per model call vs all windows batched; (d) FILM at 512x512 in fp16, the native module vs the
TorchScript file's own forward; (e) (b) again under ComfyUI's --lowvram.

    python -P bench/device_check.py          # on a GPU: scripts/prepare_device.sh, then README's one command
    python -P bench/device_check.py --cpu    # the same code paths at tiny sizes on the CPU (a host-tier test)

Rows (b) to (d) share one host process, (e) has its own (other host flags), (a) is pytest in a third, given the
time left of BUDGET_S. Exits 1 when a row failed or a host test did not pass.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
# Sizes are all the two modes differ in, besides the device and the precision: a CPU computes fp16 some 20x slower
# than fp32 (no fast kernels), so there the fp16 files are cast to fp32, as ComfyUI does on a CPU. The CPU mode's
# host tests are a quick selection; neither mode runs tests/host/test_device_check.py, which runs this script.
SIZES = {
    "gpu": dict(precision="fp16", size=512, frames=16, steps=8, repeats=2, unet="released", motion_channels=None,
                context_frames=64, context_length=16, context_overlap=4, film_size=512, film_config="real",
                film_repeats=10, host_pytest=["tests/host", "--ignore=tests/host/test_device_check.py"]),
    "cpu": dict(precision="fp32", size=32, frames=4, steps=1, repeats=1, unet="fixture", motion_channels=320,
                context_frames=6, context_length=4, context_overlap=2, film_size=64, film_config="small",
                film_repeats=2, host_pytest=["tests/host/test_patch.py::test_effect_zero_is_the_image_model"]),
}
HOST_ARGS = {"gpu": [], "cpu": ["--cpu"]}
# ComfyUI refuses --lowvram beside --cpu (and never offloads from the CPU): in CPU mode row (e) is row (b) in a
# process of its own, which still runs every step of this script but ComfyUI's low-VRAM loading.
LOWVRAM_ARGS = {"gpu": ["--lowvram"], "cpu": ["--cpu"]}
# The host tier is stopped (and reported as interrupted) past BUDGET_S; a measuring process past WORKER_S. The CPU
# mode's are only there to end a hung run: a loaded CI machine can be many times slower than a quiet one.
BUDGET_S = {"gpu": 450, "cpu": 1800}  # --budget-s overrides
WORKER_S = {"gpu": 300, "cpu": 1800}


def measure(mode, host_args, rows):
    """{letter: (values, took)} from one device_measure.py process; a failed process fails its missing rows."""
    command = [sys.executable, "-P", os.path.join(HERE, "device_measure.py"), "--sizes", json.dumps(SIZES[mode]),
               f"--host-args={' '.join(host_args)}"] + [f"--row={letter}:{kind}" for letter, kind in rows]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=WORKER_S[mode], cwd=CHECKOUT)
        stdout, error = done.stdout, done.stderr[-3000:] if done.returncode else ""
    except subprocess.TimeoutExpired as stopped:
        stdout, error = stopped.stdout or b"", f"stopped after {WORKER_S[mode]} s"
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout  # bytes even with text=True
    results = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["row"]] = row["values"], row["took"]
    for letter, _ in rows:
        if letter not in results:
            results[letter] = [["failed", None, error.strip().splitlines()[-1] if error.strip() else "no output"]], 0
            print(f"row {letter} failed:\n{error}", file=sys.stderr)
    return results


def host_tier(mode, seconds):
    """Row (a): pytest on the host tests with ComfyUI on the default device (--cpu in CPU mode); stopped with
    SIGINT after `seconds`, which still writes the counts so far."""
    env = dict(os.environ, TEMPO_COMFY_ARGS="--cpu" if mode == "cpu" else "")
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "host.xml")
        command = [sys.executable, "-P", "-m", "pytest", "-c", "tests/pytest.ini", "-q", "--timeout=300",
                   f"--junitxml={report}", *SIZES[mode]["host_pytest"]]
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=CHECKOUT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        try:
            log, interrupted = process.communicate(timeout=max(seconds, 1))[0], 0
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            log, interrupted = process.communicate()[0], 1
        took = time.perf_counter() - start
        if not os.path.exists(report):
            return [["failed", None, (log.strip().splitlines() or ["no output"])[-1]]], took, log
        return junit_values(report, took, interrupted), took, log


def junit_values(report, took, interrupted):
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    failed = counts["failures"] + counts["errors"]
    failures = [f"{case.get('classname')}::{case.get('name')}" for case in suite.iter("testcase")
                if case.find("failure") is not None or case.find("error") is not None]
    for name in failures:
        print(f"host test failed: {name}", file=sys.stderr)
    return [["host tests passed", counts["tests"] - failed - counts["skipped"], "tests"],
            ["host tests failed", failed, "tests"], ["host tests skipped", counts["skipped"], "tests"],
            ["host tier interrupted at budget", interrupted, "0/1"], ["host tier time", took, "s"]]


def describe_device(mode):
    import torch

    if mode == "cpu":
        return f"cpu ({os.cpu_count()} cores)"
    return f"{torch.cuda.get_device_name()} ({torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB)"


def print_table(mode, results):
    import torch

    sizes = SIZES[mode]
    print(f"Tempo device check on {describe_device(mode)}, torch {torch.__version__}; {sizes['precision']}, "
          f"{sizes['size']}x{sizes['size']}, {sizes['frames']} frames, {sizes['unet']} SD1.5 UNet; context "
          f"{sizes['context_frames']} frames in windows of {sizes['context_length']}; FILM {sizes['film_config']} "
          f"at {sizes['film_size']}")
    print(f"{'row':<4} {'measurement':<40} {'value':>12}  unit")
    for letter in sorted(results):
        values, took = results[letter]
        for name, value, unit in values + [["row took", took, "s"]]:
            shown = "failed" if value is None else f"{value:.4g}"
            print(f"{letter:<4} {name:<40} {shown:>12}  {unit}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="tiny sizes on the CPU (ComfyUI's --cpu)")
    parser.add_argument("--budget-s", type=float, help="seconds for the whole check, the host tier getting the rest")
    args = parser.parse_args()
    mode = "cpu" if args.cpu else "gpu"
    budget = args.budget_s or BUDGET_S[mode]
    start = time.perf_counter()
    results = measure(mode, HOST_ARGS[mode], [("b", "motion"), ("c", "context"), ("d", "film")])
    results.update(measure(mode, LOWVRAM_ARGS[mode], [("e", "motion")]))
    values, took, log = host_tier(mode, budget - (time.perf_counter() - start))
    results["a"] = values, took
    print_table(mode, results)
    print(f"whole check: {time.perf_counter() - start:.0f} s")
    measured = all(value is not None for values, _ in results.values() for _, value, _ in values)
    host = {name: value for name, value, _ in values}
    if not measured or host["host tests failed"] or host["host tier interrupted at budget"]:
        print(log[-4000:], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
