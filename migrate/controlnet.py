"""Advanced-ControlNet's loaders and apply nodes -> the host's ControlNetLoader / DiffControlNetLoader /
ControlNetApplyAdvanced, which apply the same strength over the same percent range. What only Advanced-ControlNet
has (timestep and latent keyframes, masks, weights) is left out and reported."""

EXTRAS = {"timestep_kf": "timestep keyframes", "_tk_opt": "timestep keyframes", "tk_optional": "timestep keyframes",
          "latent_kf_override": "latent keyframes", "weights_override": "ControlNet weights",
          "mask_optional": "mask", "model_optional": "model (SparseCtrl / reference)"}


def _extras(conv, node):
    for name, what in EXTRAS.items():
        if conv.linked(node, name):
            conv.report.approximated(node.id, node.type, f"{name}: {what} not in the host's nodes; left out")


def loader(conv, node):
    name = node.inputs.get("control_net_name", node.inputs.get("cnet"))
    diff = "Diff" in node.type
    inputs = {"control_net_name": name, "model": node.inputs.get("model") if diff else None}
    new_type = "DiffControlNetLoader" if diff else "ControlNetLoader"
    new_id = conv.replace(node, new_type, inputs)
    conv.report.mapped(node.id, node.type, f"{new_id}:{new_type}")
    _extras(conv, node)


def apply(conv, node):
    get = node.inputs.get
    single = "Single" in node.type
    inputs = {"positive": get("conditioning") if single else get("positive"),
              "negative": get("conditioning") if single else get("negative"),
              "control_net": get("control_net"), "image": get("image"), "strength": get("strength", 1.0),
              "start_percent": get("start_percent", 0.0), "end_percent": get("end_percent", 1.0),
              "vae": get("vae_optional")}
    # the v1 apply nodes passed model_optional through as a third output
    slots = {0: 0} if single else {0: 0, 1: 1}
    new_id = conv.replace(node, "ControlNetApplyAdvanced", inputs, slots)
    if not single:
        conv.rewire[(node.id, 2)] = get("model_optional")
    conv.report.mapped(node.id, node.type, f"{new_id}:ControlNetApplyAdvanced")
    if single:
        conv.report.note(node.id, node.type, "one conditioning: fed to both inputs, the positive output used")
    _extras(conv, node)


HANDLERS = {"ControlNetLoaderAdvanced": loader, "ACN_ControlNetLoaderAdvanced": loader,
            "DiffControlNetLoaderAdvanced": loader, "ACN_DiffControlNetLoaderAdvanced": loader,
            "ACN_AdvancedControlNetApply": apply, "ACN_AdvancedControlNetApply_v2": apply,
            "ACN_AdvancedControlNetApplySingle": apply, "ACN_AdvancedControlNetApplySingle_v2": apply}
