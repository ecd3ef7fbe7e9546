"""bench/device_check.py --cpu: the GPU check's code paths at tiny sizes on the CPU, so the check a GPU runs once
is known to work. Only the table's shape and signs are checked, never how long anything took."""
import math
import os
import re
import subprocess
import sys

import pytest

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINE = re.compile(r"^([a-e])\s+(.+?) {2,}(\S+)  (\S.*)$")
EXPECTED = {
    "a": ["host tests passed", "host tests failed", "host tests skipped", "host tier interrupted at budget",
          "host tier time"],
    "b": ["model load", "plain step", "motion step", "motion overhead", "plain peak", "motion peak",
          "motion peak / plain peak"],
    "c": ["windows one per call", "windows batched (2 per call)", "batched speed-up"],
    "d": ["native", "torchscript", "native / torchscript", "max |native - torchscript|"],
    "e": ["model load", "plain step", "motion step", "motion overhead", "plain peak", "motion peak",
          "motion peak / plain peak"],
}


@pytest.mark.slow
def test_cpu_mode_prints_every_row_with_numbers():
    done = subprocess.run([sys.executable, "-P", os.path.join(CHECKOUT, "bench", "device_check.py"), "--cpu"],
                          capture_output=True, text=True, cwd=CHECKOUT, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows = {}
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match:
            letter, name, value, unit = match.groups()
            rows.setdefault(letter, {})[name] = float(value), unit
    assert {letter: list(values)[:-1] for letter, values in rows.items()} == EXPECTED
    assert all(list(values)[-1] == "row took" for values in rows.values())
    for letter, values in rows.items():
        assert all(math.isfinite(value) and value >= 0 for value, _ in values.values()), (letter, values)
        assert all(value > 0 for value, unit in values.values() if unit in ("ratio", "s/step", "frames/s")), values
        assert all(value > 0 for value, unit in values.values() if unit.startswith("MiB")), values
    assert rows["a"]["host tests passed"][0] >= 1 and rows["a"]["host tests failed"][0] == 0
    assert rows["a"]["host tier interrupted at budget"][0] == 0
    assert rows["b"]["plain peak"][1] == "MiB RSS"
    assert rows["d"]["max |native - torchscript|"][0] < 1e-3  # fp32 on the CPU: the same network
