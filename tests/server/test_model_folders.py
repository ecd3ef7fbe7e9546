"""Motion models are found where users already keep them: models/animatediff_models, an AnimateDiff-Evolved
install's own folder, and folders named in extra_model_paths.yaml."""
import os

import comfy_server
import models
from comfy_fixtures import ARTIFACTS


def test_extra_model_paths_and_animatediff_evolved_folders(tmp_path, models_dir):
    base = str(tmp_path / "base")
    comfy_server.prepare_base(base, models_dir)
    shared = tmp_path / "shared_models" / "motion"
    shared.mkdir(parents=True)
    os.symlink(models.motion_path("mm_sd_v15_v2.ckpt"), shared / "from_yaml.ckpt")
    evolved = tmp_path / "base" / "custom_nodes" / "ComfyUI-AnimateDiff-Evolved" / "models"
    evolved.mkdir(parents=True)
    os.symlink(models.motion_path("mm_sd_v15.ckpt"), evolved / "from_evolved.ckpt")
    config = tmp_path / "extra_model_paths.yaml"
    config.write_text(f"shared:\n  base_path: {tmp_path / 'shared_models'}\n  animatediff_models: motion\n")
    comfy = comfy_server.start(base, models_dir, os.path.join(ARTIFACTS, f"server-folders-{os.getpid()}.log"),
                               ["--extra-model-paths-config", str(config)])
    try:
        choices = comfy.get_json("/object_info/TempoLoadMotionModule")["TempoLoadMotionModule"]["input"]["required"][
            "model_name"][0]
    finally:
        comfy.stop()
    assert {"mm_sd_v15_v2.ckpt", "from_yaml.ckpt", "from_evolved.ckpt"} <= set(choices)
