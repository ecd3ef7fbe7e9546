"""POST /tempo/migrate (also under /api/): another stack's workflow -> Tempo, for API users and the frontend.

The body is a workflow in UI or API format, or {"a1111": infotext}. The answer is {"workflow": the converted
workflow (same format; UI format for A1111), "format": "ui" or "api", "report": one entry per node of the other
packs: mapped, approximated or not converted, with notes}. A body that is not JSON, or not one of those, gets
400 with a message naming what was expected. The nodes written are described by this server's own node classes,
so widget values follow its /object_info (optional inputs this version lacks are left out)."""
import json
import sys

from ..migrate import convert_workflow, from_a1111
from ..migrate.targets import FALLBACK
from .routes import json_post, register

MIGRATE_PATH = "/tempo/migrate"
EXPECTED = "expected a workflow (UI or API format) or {\"a1111\": infotext}"


def node_definition(name):
    """The /object_info entry of a node type this server has, or None."""
    host_nodes = sys.modules.get("nodes")
    node_class = getattr(host_nodes, "NODE_CLASS_MAPPINGS", {}).get(name)
    if node_class is None:
        return None
    if hasattr(node_class, "GET_NODE_INFO_V1"):
        info = node_class.GET_NODE_INFO_V1()
    else:
        inputs = node_class.INPUT_TYPES()
        info = {"input": inputs, "input_order": {key: list(value) for key, value in inputs.items()},
                "output": list(node_class.RETURN_TYPES),
                "output_name": list(getattr(node_class, "RETURN_NAMES", node_class.RETURN_TYPES))}
    return json.loads(json.dumps(info, default=str))


def server_object_info():
    """/object_info of the nodes a conversion writes."""
    found = {name: node_definition(name) for name in FALLBACK}
    return {name: info for name, info in found.items() if info is not None}


def migrate(body):
    """The route's answer for a parsed body; raises ValueError for one that is neither kind of request."""
    object_info = server_object_info()
    if isinstance(body, dict) and set(body) == {"a1111"}:
        workflow, report = from_a1111(body["a1111"], object_info)
        return {"workflow": workflow, "format": "ui", "report": report}
    if not isinstance(body, dict):
        raise ValueError(EXPECTED)
    converted, report = convert_workflow(body, object_info)
    return {"workflow": converted, "format": "ui" if isinstance(converted.get("nodes"), list) else "api",
            "report": report}


register(MIGRATE_PATH, json_post(migrate))

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
