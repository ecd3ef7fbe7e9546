"""FizzNodes' prompt schedules -> Prompt Schedule. Both read `"frame": "prompt"` keyframes with pre_text and
app_text and blend linearly between keyframes; FizzNodes' `--neg` parts become Tempo's negative schedule."""
import re


KEYFRAME = re.compile(r'"\s*(-?[\d.]+)\s*"\s*:\s*"((?:[^"\\]|\\.)*)"', re.S)
NEGATIVE_MARK = "--neg"
FIZZ_TYPES = {"BatchPromptSchedule", "PromptSchedule", "BatchPromptScheduleLatentInput", "StringSchedule",
              "BatchStringSchedule", "PromptScheduleEncodeSDXL", "BatchPromptScheduleEncodeSDXL",
              "BatchPromptScheduleEncodeSDXLLatentInput", "ValueSchedule", "BatchValueSchedule",
              "BatchValueScheduleLatentInput", "BatchGLIGENSchedule", "StringConcatenate", "Init FizzFrame",
              "FizzFrame", "FizzFrameConcatenate", "SinWave", "InvSinWave", "CosWave", "InvCosWave", "SquareWave",
              "SawtoothWave", "TriangleWave", "AbsSinWave", "AbsCosWave"}


def split_negative(text):
    """(positive schedule, negative schedule) of a schedule whose prompts may hold `positive --neg negative`."""
    positive, negative = [], []
    for frame, prompt in KEYFRAME.findall(text):
        pos, mark, neg = prompt.partition(NEGATIVE_MARK)
        positive.append(f'"{frame}": "{pos.strip()}"')
        if mark:
            negative.append(f'"{frame}": "{neg.strip()}"')
    return ",\n".join(positive), ",\n".join(negative)


def prompt_schedule(conv, node):
    get = node.inputs.get
    text = get("text", "")
    negative = ""
    if NEGATIVE_MARK in text:
        text, negative = split_negative(text)
        conv.report.note(node.id, node.type, "--neg parts: moved to Prompt Schedule's negative schedule")
    inputs = {"clip": get("clip"), "text": text, "frames": get("max_frames", 120), "interpolation": "linear",
              "pre_text": get("pre_text"), "app_text": get("app_text"), "negative": negative or None}
    slots = {0: 0, 1: 1}
    if node.type == "BatchPromptScheduleLatentInput":
        inputs["latent"] = get("num_latents")
        conv.rewire[(node.id, 2)] = get("num_latents")  # the latents passed through
    new_id = conv.replace(node, "TempoPromptSchedule", inputs, slots)
    conv.report.mapped(node.id, node.type, f"{new_id}:TempoPromptSchedule")
    if node.type == "PromptSchedule":
        conv.report.approximated(node.id, node.type, "current_frame: Prompt Schedule gives every frame's prompt "
                                 "at once (one conditioning per frame) instead of one frame's")
    if any(conv.linked(node, w) for w in ("pw_a", "pw_b", "pw_c", "pw_d")):
        conv.report.approximated(node.id, node.type, "pw_a..pw_d: prompt weight expressions are not evaluated; "
                                 "write the weights into the prompts")
    if not negative:
        conv.report.note(node.id, node.type, "NEG output: Prompt Schedule's negative output (the --neg parts; "
                         "an empty prompt without them)")


HANDLERS = {"BatchPromptSchedule": prompt_schedule, "PromptSchedule": prompt_schedule,
            "BatchPromptScheduleLatentInput": prompt_schedule}
