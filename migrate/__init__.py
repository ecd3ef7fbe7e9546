"""Other stacks' animation workflows -> Tempo: plain Python, no ComfyUI or torch import.

    convert_workflow(workflow, object_info=None) -> (converted, report)
        A ComfyUI workflow in UI or API format with AnimateDiff-Evolved, VideoHelperSuite, FizzNodes,
        Frame-Interpolation and Advanced-ControlNet nodes -> the same format with Tempo's and the host's nodes.
    from_a1111(text, object_info=None) -> (workflow, report)
        The A1111 AnimateDiff extension's infotext -> a Tempo UI-format workflow.

report: one entry per node of the other packs (and per host node replaced): {"node", "type", "status" (mapped,
approximated, not converted), "to" (the nodes written, "id:type"), "notes"}.
"""
from .a1111 import from_a1111
from .convert import convert_workflow, is_peer
from .report import APPROXIMATED, MAPPED, NOT_CONVERTED

__all__ = ["convert_workflow", "from_a1111", "is_peer", "MAPPED", "APPROXIMATED", "NOT_CONVERTED"]
