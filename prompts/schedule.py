"""Prompt schedules: which prompts, with which weights, each frame of a clip gets.

Two ways of writing a schedule are accepted, detected from the text:

A1111 prompt travel, one keyframe per line, with optional head lines before the first keyframe and tail lines
after the last; head and tail are joined to every keyframe's prompt:

    masterpiece, 1girl
    0: smiling
    4: blinking
    6: smirking
    best quality

Keyframes, `"index": "prompt"` pairs separated by commas or new lines, with or without braces around them, a
trailing comma allowed (the format of FizzNodes' BatchPromptSchedule):

    "0": "a paper boat on a pond",
    "12": "a paper boat in the rain",

An index is a frame (0 is the first), a negative frame counted from the end (-1 is the last), a fraction of the
clip with a decimal point (0.5 is halfway, 1.0 the last frame), a range `a:b` (frames a to b-1 get the prompt
unblended; b is exclusive, may be negative or a fraction) or a hold `a:` (the prompt stays unblended until the next
keyframe). In A1111 lines a hold is written `8:: prompt` and a range `0:8: prompt`.

Between two keyframes the blend is linear in the frame: halfway between them each prompt has weight 0.5. Frames
before the first keyframe take the first prompt, frames after the last take the last one.
"""
import math
import re
from dataclasses import dataclass, field

INDEX = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
KEY = re.compile(rf"^\s*(?P<start>{INDEX})\s*(?:(?P<colon>:)\s*(?P<end>{INDEX})?\s*)?$")
A1111_LINE = re.compile(rf"^(?P<key>\s*{INDEX}(?:\s*:\s*(?:{INDEX})?)?)\s*:(?P<prompt>.*)$")
INDEX_HELP = ("a frame index: a frame (8), a frame from the end (-1 is the last), a fraction of the clip "
              "(0.5 is halfway), a range (0:8, end excluded) or a hold (8:)")


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message gives the input, line and column and what was expected."""

    def __init__(self, message, line=None, column=None, source="text"):
        where = source if line is None else f"{source}, line {line}, column {column}"
        super().__init__(f"{where}: {message}")
        self.line = line
        self.column = column
        self.source = source


@dataclass(frozen=True)
class Keyframe:
    start: int  # first frame
    end: int | None  # range keyframes: the frame after the last one they cover
    hold: bool  # no blending from this keyframe to the next
    relative: bool  # written as a negative index or a fraction
    prompt: str
    line: int
    column: int


@dataclass
class Schedule:
    """prompts: the distinct full prompts, in order of first use; frames: per frame, (prompt index, weight)
    pairs whose weights sum to 1 (one pair for an unblended frame, two between keyframes)."""
    prompts: list
    frames: list
    keyframes: list = field(default_factory=list)

    def describe(self):
        lines = []
        for i, parts in enumerate(self.frames):
            lines.append(f"{i}: " + " + ".join(f"{w:.3g} * {self.prompts[p]!r}" for p, w in parts))
        return "\n".join(lines)


def join_prompt(*parts):
    """Joins prompt pieces with ', ', dropping empty ones and the commas they already end or start with."""
    cleaned = [p.strip().strip(",").strip() for p in parts if p is not None]
    return ", ".join(p for p in cleaned if p)


class _Text:
    """Position bookkeeping: offsets to 1-based line and column."""

    def __init__(self, text, source):
        self.text = text
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, offset):
        line = max(i for i, start in enumerate(self.line_starts) if start <= offset)
        return line + 1, offset - self.line_starts[line] + 1

    def error(self, message, offset):
        line, column = self.where(offset)
        return ScheduleError(message, line, column, self.source)


def parse_schedule(text, frames, pre_text="", app_text="", source="text"):
    """Reads a schedule for a clip of `frames` frames; returns a Schedule or raises ScheduleError."""
    if not isinstance(frames, int) or frames < 1:
        raise ScheduleError(f"the clip needs at least 1 frame, got {frames}", source=source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    doc = _Text(text, source)
    if _is_keyframe_format(text):
        entries, head, tail = _parse_keyframe_format(doc), "", ""
    else:
        entries, head, tail = _parse_a1111(doc)
    keyframes = [_resolve(doc, key, prompt, offset, key_offset, frames, pre_text, head, tail, app_text)
                 for key, prompt, offset, key_offset in entries]
    if not keyframes:
        only = join_prompt(pre_text, head, tail, app_text)
        return Schedule([only], [[(0, 1.0)] for _ in range(frames)], [])
    return _weights(doc, keyframes, frames)


def _is_keyframe_format(text):
    stripped = text.lstrip()
    if stripped[:1] in ('{', '"'):
        return True
    for line in text.split("\n"):
        match = A1111_LINE.match(line)
        if match:
            return match.group("prompt").lstrip().startswith('"')
    return False


# ---- A1111 prompt travel -------------------------------------------------------------------------------------

def _parse_a1111(doc):
    entries, head, tail = [], [], []
    offset = 0
    for line in doc.text.split("\n"):
        match = A1111_LINE.match(line)
        if match:
            if tail:
                stray_line, stray_offset = tail[0]
                raise doc.error(
                    f"expected a keyframe line `N: prompt` here, found {stray_line.strip()!r}: text lines belong "
                    f"before the first keyframe (head) or after the last one (tail)", stray_offset)
            key = match.group("key")
            key_offset = offset + len(key) - len(key.lstrip())
            entries.append((key, match.group("prompt").strip(), offset + match.start("prompt"), key_offset))
        elif line.strip():
            (tail if entries else head).append((line, offset + len(line) - len(line.lstrip())))
        offset += len(line) + 1
    return entries, join_prompt(*(l for l, _ in head)), join_prompt(*(l for l, _ in tail))


# ---- keyframe format -----------------------------------------------------------------------------------------

def _parse_keyframe_format(doc):
    text = doc.text
    n = len(text)
    pos = 0

    def skip_space(pos, newlines=True):
        while pos < n and (text[pos] in " \t" or (newlines and text[pos] == "\n")):
            pos += 1
        return pos

    def read_string(pos):
        assert text[pos] == '"'
        out = []
        i = pos + 1
        escapes = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
        while i < n:
            c = text[i]
            if c == '"':
                return "".join(out), i + 1
            if c == "\n":
                break
            if c == "\\" and i + 1 < n:
                e = text[i + 1]
                if e in escapes:
                    out.append(escapes[e])
                    i += 2
                    continue
                if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                raise doc.error(f"unknown escape \\{e} in a string: expected one of \\\" \\\\ \\n \\t \\uXXXX", i)
            out.append(c)
            i += 1
        raise doc.error('this string has no closing quote: expected " before the end of the line', pos)

    entries = []
    pos = skip_space(pos)
    braced = pos < n and text[pos] == "{"
    if braced:
        pos += 1
    closed = False
    need_separator = False
    while True:
        pos = skip_space(pos, newlines=False)
        saw_newline = False
        while pos < n and text[pos] in ",\n \t":
            if text[pos] in ",\n":
                saw_newline = True
            pos += 1
        if pos >= n:
            break
        c = text[pos]
        if c == "}":
            if not braced:
                raise doc.error("found } without a matching { at the start", pos)
            closed = True
            pos += 1
            rest = skip_space(pos)
            while rest < n and text[rest] in ", \t\n":
                rest += 1
            if rest < n:
                raise doc.error(f"expected nothing after the closing }}, found {text[rest]!r}", rest)
            break
        if need_separator and not saw_newline:
            raise doc.error(f"expected a comma or a new line between keyframes, found {c!r}", pos)
        # key
        key_offset = pos
        if c == '"':
            key, pos = read_string(pos)
            key_offset += 1
        else:
            match = re.match(rf"{INDEX}(?:\s*:\s*(?:{INDEX})?(?=\s*:))?", text[pos:])
            if not match:
                raise doc.error(f'expected a keyframe `"index": "prompt"`, found {_snippet(text, pos)}', pos)
            key = match.group(0)
            pos += len(key)
        pos = skip_space(pos, newlines=False)
        if pos >= n or text[pos] != ":":
            found = "the end of the line" if pos >= n or text[pos] == "\n" else repr(text[pos])
            raise doc.error(f'expected ":" after the index {key!r}, found {found}', pos)
        pos = skip_space(pos + 1, newlines=False)
        if pos >= n or text[pos] != '"':
            found = "the end of the line" if pos >= n or text[pos] == "\n" else _snippet(text, pos)
            raise doc.error(f'expected a prompt in double quotes after {key!r}:, found {found}', pos)
        prompt_offset = pos
        prompt, pos = read_string(pos)
        entries.append((key, prompt, prompt_offset, key_offset))
        need_separator = True
    if braced and not closed:
        raise doc.error("expected a closing } at the end of the schedule", n)
    return entries


def _snippet(text, pos):
    word = text[pos:pos + 20].split("\n")[0]
    return repr(word)


# ---- indexes and weights -------------------------------------------------------------------------------------

def _resolve(doc, key, prompt, offset, key_offset, frames, pre_text, head, tail, app_text):
    match = KEY.match(key)
    if not match:
        raise doc.error(f"{key!r} is not {INDEX_HELP}", key_offset)
    start = _frame(doc, match.group("start"), frames, key_offset, key)
    end, hold = None, False
    if match.group("colon"):
        if match.group("end") is None:
            hold = True
        else:
            end = _range_end(doc, match.group("end"), frames, key_offset, key)
            if end <= start:
                raise doc.error(f"the range {key!r} covers no frame (frames {start} to {end - 1}): the end "
                                f"(excluded) must come after the start", key_offset)
    line, column = doc.where(key_offset)
    relative = match.group("start").startswith("-") or "." in match.group("start")
    return Keyframe(start, end, hold, relative, join_prompt(pre_text, head, prompt, tail, app_text), line, column)


def _frame(doc, token, frames, offset, key):
    last = frames - 1
    if "." in token:
        f = float(token)
        if not 0.0 <= f <= 1.0:
            raise doc.error(f"the fraction {token} in {key!r} is outside the clip: expected 0.0 (first frame) to "
                            f"1.0 (last frame)", offset)
        return int(math.floor(f * last + 0.5))
    i = int(token)
    if i >= frames:
        raise doc.error(f"keyframe {i} is past the last frame: the clip has {frames} frames, 0 to {last} "
                        f"(raise the frame count, or use -1 or 1.0 for the last frame)", offset)
    if i < 0:
        if i < -frames:
            raise doc.error(f"keyframe {i} is before the first frame: the clip has {frames} frames, so -1 to "
                            f"-{frames} count from the end", offset)
        i += frames
    return i


def _range_end(doc, token, frames, offset, key):
    if "." in token:
        f = float(token)
        if not 0.0 <= f <= 1.0:
            raise doc.error(f"the fraction {token} in {key!r} is outside the clip: expected 0.0 to 1.0", offset)
        return int(math.floor(f * frames + 0.5))
    i = int(token)
    if i > frames:
        raise doc.error(f"the range {key!r} ends past the clip: the end is excluded, so it can be at most "
                        f"{frames} for {frames} frames", offset)
    if i < 0:
        if i < -frames:
            raise doc.error(f"the range end {i} in {key!r} is before the first frame", offset)
        i += frames
    return i


def _weights(doc, keyframes, frames):
    # Relative indexes (-1, 0.5) written for a longer clip may land on one frame of a short one: the keyframe
    # written later wins. Two absolute indexes on one frame are a mistake in the text.
    kept = {}
    for k in keyframes:
        other = kept.get(k.start)
        if other is not None and (k.relative or other.relative):
            del kept[k.start]
        elif other is not None:
            raise ScheduleError(f"frame {k.start} already has a keyframe (line {other.line}): expected one "
                                f"keyframe per frame", k.line, k.column, doc.source)
        kept[k.start] = k
    keyframes = list(kept.values())
    ordered = sorted(keyframes, key=lambda k: k.start)
    for previous, current in zip(ordered, ordered[1:]):
        if current.start == previous.start:
            raise ScheduleError(f"frame {current.start} already has a keyframe (line {previous.line}): expected "
                                f"one keyframe per frame", current.line, current.column, doc.source)
        if previous.end is not None and current.start < previous.end:
            raise ScheduleError(f"keyframe at frame {current.start} falls inside the range of line "
                                f"{previous.line} (frames {previous.start} to {previous.end - 1})",
                                current.line, current.column, doc.source)
    prompts = []
    index = {}
    for k in keyframes:  # prompt order follows the text
        if k.prompt not in index:
            index[k.prompt] = len(prompts)
            prompts.append(k.prompt)
    weights = [None] * frames
    first = ordered[0]
    for i in range(first.start):
        weights[i] = [(index[first.prompt], 1.0)]
    for n, k in enumerate(ordered):
        p = index[k.prompt]
        following = ordered[n + 1] if n + 1 < len(ordered) else None
        if k.end is not None:
            fixed_until, anchor = k.end, k.end - 1
        elif k.hold or following is None:
            fixed_until, anchor = (following.start if following else frames), None
        else:
            fixed_until, anchor = k.start + 1, k.start
        for i in range(k.start, min(fixed_until, frames)):
            weights[i] = [(p, 1.0)]
        if following is None:
            for i in range(fixed_until, frames):
                weights[i] = [(p, 1.0)]
        elif anchor is not None:
            q = index[following.prompt]
            span = following.start - anchor
            for i in range(anchor + 1, following.start):
                t = (i - anchor) / span
                weights[i] = [(p, 1.0)] if p == q else [(p, 1.0 - t), (q, t)]
    return Schedule(prompts, weights, ordered)
