import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from comfy_fixtures import comfy, models_dir  # noqa: E402,F401
from example_runs import write_inputs  # noqa: E402
import models  # noqa: E402

# No tutorial or minimap over the canvas; widget text drawn at every zoom, so tests can read it.
SETTINGS = {"Comfy.TutorialCompleted": True, "Comfy.Minimap.Visible": False, "LiteGraph.Canvas.MinFontSizeForLOD": 0}


def frontends():
    """Every browser test runs on the frontend the host pins and on the newest one, which scripts/install.sh
    puts in its own folder and exports as TEMPO_FRONTEND_NEW."""
    newest = os.environ.get("TEMPO_FRONTEND_NEW")
    if not newest or not os.path.isfile(os.path.join(newest, "index.html")):
        raise RuntimeError(f"TEMPO_FRONTEND_NEW={newest!r} is not a frontend folder: run the tier through "
                           "scripts/test.sh, or eval \"$(scripts/install.sh)\" first")
    return {"pinned": (), "newest": ("--front-end-root", newest)}


FRONTENDS = frontends()


@pytest.fixture(scope="session", params=list(FRONTENDS))
def frontend(request):
    return request.param


@pytest.fixture(scope="session")
def comfy_args(frontend):
    return FRONTENDS[frontend]


@pytest.fixture(scope="module")
def object_info(comfy, models_dir):
    """The server's node definitions, once the example models and inputs are in place and the page settings set."""
    models.populate_examples(models_dir)
    write_inputs(os.path.join(comfy.base, "input"))
    for setting, value in SETTINGS.items():
        comfy.request(f"/settings/{setting}", value)
    return comfy.get_json("/object_info")
