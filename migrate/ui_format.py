"""The frontend's view of a node: which inputs become widgets, in what order their values are saved, and how an
API-format node becomes a canvas (UI-format) node. Follows /object_info as the ComfyUI frontend reads it."""
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "IMAGEUPLOAD"}
# The combos the frontend's Comfy.UploadImage extension gives an upload button.
UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")
UPLOAD = "upload"
UPLOAD_BUTTON = ("IMAGEUPLOAD", {"default": "image", "serialize": False})
NODE_WIDTH = 320


def options(spec):
    """An /object_info input spec's options (the dict after its type), empty when it has none."""
    return spec[1] if len(spec) > 1 else {}


def is_widget(spec):
    return (isinstance(spec[0], list) or spec[0] in WIDGET_TYPES) and not options(spec).get("forceInput")


def input_type(spec):
    return "COMBO" if isinstance(spec[0], list) else spec[0]


def extra_widgets(name, spec):
    """Values the frontend saves after this input's own: a seed's control mode."""
    if spec[0] == "INT" and (options(spec).get("control_after_generate") or name in ("seed", "noise_seed")):
        return ["fixed"]
    return []


def _is_upload_combo(spec):
    return (isinstance(spec[0], list) or spec[0] == "COMBO") and any(options(spec).get(f) is True
                                                                     for f in UPLOAD_FLAGS)


def frontend_inputs(info):
    """(name, spec) of a node's inputs (an /object_info entry) in the order the frontend adds their sockets and
    widgets, with the upload button it adds as an input of its own.

    The frontend appends the button to the required inputs when one of them is an upload combo. The server's
    input_order, where it sends one, then puts the inputs it lists first (required, then optional): the button,
    never listed, ends up after the optional inputs too."""
    required = dict(info["input"].get("required", {}))
    optional = info["input"].get("optional", {})
    if any(_is_upload_combo(spec) for spec in required.values()):
        required[UPLOAD] = UPLOAD_BUTTON
    everything = [*required.items(), *((n, s) for n, s in optional.items() if n not in required)]
    order = info.get("input_order")
    if not order:
        return everything
    listed = ([(n, required[n]) for n in order.get("required", []) if n in required]
              + [(n, optional[n]) for n in order.get("optional", []) if n in optional and n not in required])
    names = {n for n, _ in listed}
    return listed + [(n, s) for n, s in everything if n not in names]


def default_value(spec):
    if "default" in options(spec):
        return options(spec)["default"]
    if isinstance(spec[0], list):
        return spec[0][0] if spec[0] else ""
    return {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}.get(spec[0])


def ui_node(node_id, class_type, inputs, info, link_id, pos=(0, 0)):
    """A canvas node for an API-format node. link_id(name, spec, slot) gives the id of the link that feeds a
    linked input (inputs[name] is then a link, anything not a plain value); widgets take the values in inputs,
    or their defaults."""
    slots, widgets = [], []
    for name, spec in frontend_inputs(info):
        value = inputs.get(name)
        linked = name in inputs and not is_value(value)
        if linked:
            slot = {"name": name, "type": input_type(spec), "link": link_id(name, spec, len(slots))}
            if is_widget(spec):
                slot["widget"] = {"name": name}
            slots.append(slot)
        if is_widget(spec):
            widgets.append(default_value(spec) if value is None or linked else value)
            widgets += extra_widgets(name, spec)
    height = 60 + 26 * (len(widgets) + max(len(slots), len(info["output"])))
    names = info.get("output_name") or info["output"]
    return {"id": int(node_id), "type": class_type, "pos": list(pos), "size": [NODE_WIDTH, height], "flags": {},
            "order": 0, "mode": 0, "inputs": slots,
            "outputs": [{"name": name, "type": kind, "links": [], "slot_index": i}
                        for i, (name, kind) in enumerate(zip(names, info["output"]))],
            "properties": {"Node name for S&R": class_type}, "widgets_values": widgets}


def is_value(value):
    """Whether an input holds a value rather than a link (graph.Link, or [id, slot] in API format)."""
    return not (isinstance(value, tuple) and hasattr(value, "node"))


def read_widgets(info, values):
    """name -> value of a canvas node's widgets_values for a node type known to /object_info."""
    values = iter(values or [])
    read = {}
    for name, spec in frontend_inputs(info):
        if is_widget(spec):
            read[name] = next(values, None)
            for _ in extra_widgets(name, spec):
                next(values, None)
    return {name: value for name, value in read.items() if value is not None}
