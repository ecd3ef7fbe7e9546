"""Tempo's context-window handler: the host's IndexListContextHandler (comfy.context_windows, installed as
model_options["context_handler"]) extended where it falls short for AnimateDiff clips:

- window lists from sampling.windows (the host's uniform/looped lists repeat frames or index past the clip when
  context_stride > 1);
- per-frame conditioning sliced per window inside model_conds too (the host slices top-level tensors only, so a
  prompt schedule's cross-attention and SDXL's pooled/size vector `y` would give every window the first frames'
  prompts); slices are kept and reused while the windows repeat, not rebuilt every step;
- ControlNet/T2I hints given as one image per frame are sliced per window (the host hands every window the first
  frames' hints); any ControlBase from the stock ControlNetApply nodes works, chained ones too;
- the step index found for every sampler: the host matches the timestep against the schedule's sigmas exactly,
  which fails for samplers that evaluate between two sigmas (dpmpp_2s_ancestral, heun, ...);
- several windows in one UNet call when asked (windows_per_batch), each window one video of the batch, so the
  motion module still sees context_length frames per video;
- a per-window progress report; the host's per-window interrupt check is kept.
This is not a node module: nodes/context_sampler.py installs it.
"""
import collections
import contextlib
import logging

import comfy.context_windows as cw
import comfy.model_management
import comfy.patcher_extension
import comfy.samplers
import torch

from ..sampling.windows import check_settings, context_windows, step_at, windows_per_call
from ..motion.per_frame import CHUNK_FRAMES
from .encoded_hints import EncodedHints

FUSE_METHODS = ["pyramid", "flat", "overlap-linear", "relative"]
# ControlBase attributes that hold a hint and what the control computed from it for the current batch.
HINT_INPUTS = ("cond_hint_original", "extra_concat_orig")
HINT_CACHES = ("cond_hint", "control_input", "extra_concat")


class TempoWindow(cw.IndexListContextWindow):
    """The host's window, indexing with a tuple: the host indexes with a list holding the index list, which torch
    warns about on every call (a non-tuple sequence will be read as one tensor index in a later version)."""

    def _index(self, dim):
        return (slice(None),) * (self.dim if dim is None else dim) + (self.index_list,)

    def get_tensor(self, full, device=None, dim=None):
        if (self.dim if dim is None else dim) == 0 and full.shape[0] == 1:
            return full
        return full[self._index(dim)].to(device)

    def add_window(self, full, to_add, dim=None):
        full[self._index(dim)] += to_add
        return full


class TempoContextHandler(cw.IndexListContextHandler):
    def __init__(self, context_length, context_overlap=0, context_stride=1, closed_loop=False, schedule="uniform",
                 fuse_method="pyramid", windows_per_batch=1):
        check_settings(context_length, context_overlap, context_stride, schedule)
        super().__init__(cw.ContextSchedule(schedule, self._windows), cw.get_matching_fuse_method(fuse_method),
                         context_length=context_length, context_overlap=context_overlap,
                         context_stride=context_stride, closed_loop=closed_loop, dim=0)
        self.schedule = schedule
        self.windows_per_batch = windows_per_batch  # 0: as many as fit in free memory
        self.on_window = None  # callable(step, windows done, windows this step)
        self._resized = collections.OrderedDict()  # window slices of the conds, least recently used first
        self._resized_bytes = 0
        self.slice_budget = 256 * 2 ** 20  # bytes of sliced tensors kept for reuse; more are rebuilt when needed
        self.stats = collections.Counter()
        self._encoded_hints = EncodedHints()

    # ---- which windows ---------------------------------------------------------------------------------------

    def _windows(self, num_frames, handler, model_options):
        return context_windows(num_frames, self.context_length, self.context_overlap, self.context_stride,
                               self.closed_loop, self.schedule, self._step)

    def get_context_windows(self, model, x_in, model_options):
        frames = x_in.size(self.dim)
        return [TempoWindow(w, dim=self.dim) for w in self.context_schedule.func(frames, self, model_options)]

    def set_step(self, timestep, model_options):
        sigmas = model_options["transformer_options"]["sample_sigmas"].flatten().tolist()
        self._step = step_at(sigmas, float(timestep.flatten()[0]))

    # ---- per-window conditioning -----------------------------------------------------------------------------

    def get_resized_cond(self, cond_in, x_in, window, device=None):
        if cond_in is None:
            return None
        key = (id(cond_in), tuple(window.index_list), x_in.size(self.dim), str(device))
        hit = self._resized.get(key)
        if hit is not None and hit[0] is cond_in:
            self._resized.move_to_end(key)
            self.stats["cond_slices_reused"] += 1
            return hit[1]
        resized = super().get_resized_cond(cond_in, x_in, window, device)
        frames = x_in.size(self.dim)
        for original, new in zip(cond_in, resized):
            model_conds = original.get("model_conds")
            if not isinstance(model_conds, dict) or frames <= 1:
                continue
            sliced = dict(model_conds)
            for name, value in model_conds.items():
                tensor = getattr(value, "cond", None)
                if isinstance(tensor, torch.Tensor) and tensor.ndim > 0 and tensor.size(0) == frames:
                    sliced[name] = value._copy_with(window.get_tensor(tensor, device))
            new["model_conds"] = sliced
        self.stats["cond_slices_built"] += 1
        size = _sliced_bytes(cond_in, resized)
        self._resized[key] = (cond_in, resized, size)
        self._resized_bytes += size
        while self._resized_bytes > self.slice_budget and len(self._resized) > 1:
            _, (_, _, dropped) = self._resized.popitem(last=False)
            self._resized_bytes -= dropped
        return resized

    @staticmethod
    def _controls(conds):
        found = []
        for cond_list in conds:
            for cond in cond_list or []:
                control = cond.get("control")
                while control is not None:
                    if not any(control is seen for seen in found):
                        found.append(control)
                    control = getattr(control, "previous_controlnet", None)
        return found

    @contextlib.contextmanager
    def _window_hints(self, controls, window, frames):
        """While one window runs, each control whose hint has one image per frame sees that window's images."""
        saved = []
        for control in controls:
            hint = getattr(control, "cond_hint_original", None)
            if not (isinstance(hint, torch.Tensor) and hint.shape[0] == frames and frames > 1):
                continue
            state = {a: getattr(control, a) for a in HINT_INPUTS + HINT_CACHES if hasattr(control, a)}
            saved.append((control, state))
            control.cond_hint_original = window.get_tensor(hint)
            if hasattr(control, "extra_concat_orig"):
                control.extra_concat_orig = [window.get_tensor(c) if isinstance(c, torch.Tensor) and c.ndim > 0
                                             and c.shape[0] == frames else c for c in control.extra_concat_orig]
            for attr in HINT_CACHES:
                if hasattr(control, attr):
                    setattr(control, attr, None)  # recomputed from the window's hint
            if hasattr(control, "cond_hint"):
                control.cond_hint = self._encoded_hints.known(control, hint, window.index_list)
        try:
            yield
        finally:
            for control, state in saved:
                self._encoded_hints.keep(control, state["cond_hint_original"], window.index_list)
                for attr, value in state.items():
                    setattr(control, attr, value)

    # ---- running the windows ---------------------------------------------------------------------------------

    def execute(self, calc_cond_batch, model, conds, x_in, timestep, model_options):
        self.set_step(timestep, model_options)
        windows = list(enumerate(self.get_context_windows(model, x_in, model_options)))
        relative = self.fuse_method.name == cw.ContextFuseMethods.RELATIVE
        shape = cw.get_shape_for_dim(x_in, self.dim)
        conds_final = [torch.zeros_like(x_in) for _ in conds]
        counts_final = [(torch.ones if relative else torch.zeros)(shape, device=x_in.device) for _ in conds]
        biases_final = [([0.0] * x_in.shape[self.dim]) for _ in conds]
        for callback in comfy.patcher_extension.get_all_callbacks(cw.IndexListCallbacks.EXECUTE_START,
                                                                   self.callbacks):
            callback(self, model, x_in, conds, timestep, model_options)
        try:
            done = 0
            per_batch = self._windows_per_batch(model, x_in, conds, windows, model_options)
            for start in range(0, len(windows), per_batch):
                batch = windows[start:start + per_batch]
                results = self.evaluate_context_windows(calc_cond_batch, model, x_in, conds, timestep, batch,
                                                        model_options)
                for r in results:
                    self.combine_context_window_results(x_in, r.sub_conds_out, r.sub_conds, r.window, r.window_idx,
                                                        len(windows), timestep, conds_final, counts_final,
                                                        biases_final)
                done += len(batch)
                if self.on_window is not None:
                    self.on_window(self._step, done, len(windows))
            if not relative:
                for i in range(len(conds_final)):
                    conds_final[i] /= counts_final[i]
            return conds_final
        finally:
            for callback in comfy.patcher_extension.get_all_callbacks(cw.IndexListCallbacks.EXECUTE_CLEANUP,
                                                                       self.callbacks):
                callback(self, model, x_in, conds, timestep, model_options)

    def evaluate_context_windows(self, calc_cond_batch, model, x_in, conds, timestep, enumerated_context_windows,
                                 model_options, device=None, first_device=None):
        if len(enumerated_context_windows) > 1:
            comfy.model_management.throw_exception_if_processing_interrupted()
            results = self._evaluate_batched(model, x_in, conds, timestep, enumerated_context_windows,
                                             model_options)
            if results is not None:
                return results
        controls = self._controls(conds)
        results = []
        for enum_window in enumerated_context_windows:
            with self._window_hints(controls, enum_window[1], x_in.size(self.dim)):
                results += super().evaluate_context_windows(calc_cond_batch, model, x_in, conds, timestep,
                                                            [enum_window], model_options, device, first_device)
            self.stats["unet_calls"] += 1
            self.stats["windows"] += 1
        return results

    # ---- several windows per UNet call -----------------------------------------------------------------------

    def _windows_per_batch(self, model, x_in, conds, windows, model_options):
        if len(windows) < 2 or not self._batchable(conds, model_options):
            return 1
        if self.windows_per_batch > 0:
            return self.windows_per_batch
        device = x_in.device
        if device.type == "cpu":
            return 1  # no gain on CPU, and host RAM is what long clips run out of
        chunks = sum(1 for c in conds if c)
        free = comfy.model_management.get_free_memory(device)
        per_window = [self.context_length * chunks] + list(x_in.shape[1:])
        return windows_per_call(len(windows),
                                lambda k: model.memory_required([per_window[0] * k] + per_window[1:]) * 1.5 < free)

    def _batchable(self, conds, model_options):
        if comfy.patcher_extension.get_all_wrappers(comfy.patcher_extension.WrappersMP.CALC_COND_BATCH,
                                                    model_options, is_model_options=True):
            return False
        for cond_list in conds:
            for cond in cond_list or []:
                if any(k in cond for k in ("control", "hooks", "default", "gligen", "area")):
                    return False
        return True

    def _evaluate_batched(self, model, x_in, conds, timestep, enumerated_windows, model_options):
        """One UNet call for several windows: each (window, cond/uncond) pair is one chunk of the batch, as
        calc_cond_batch stacks cond and uncond, so per-video layers see one window per chunk. Returns None (the
        caller then runs the windows one by one) when the conds need the host's general path."""
        entries = []
        prepared = []
        for window_idx, window in enumerated_windows:
            model_options["transformer_options"]["context_window"] = window
            sub_x = window.get_tensor(x_in)
            sub_t = window.get_tensor(timestep, dim=0)
            sub_conds = [self.get_resized_cond(cond, x_in, window) for cond in conds]
            prepared.append((window_idx, window, sub_x, sub_conds))
            for i, cond_list in enumerate(sub_conds):
                for cond in cond_list or []:
                    p = comfy.samplers.get_area_and_mult(cond, sub_x, sub_t)
                    if p is None:
                        continue
                    if p.area is not None or p.control is not None or p.patches is not None or p.hooks is not None:
                        return None
                    entries.append((len(prepared) - 1, i, p, sub_t))
        if not entries or not all(comfy.samplers.can_concat_cond(e[2], entries[0][2]) for e in entries):
            return None
        model.current_patcher.prepare_state(timestep)
        input_x = torch.cat([p.input_x for _, _, p, _ in entries])
        c = comfy.samplers.cond_cat([p.conditioning for _, _, p, _ in entries])
        timestep_ = torch.cat([t for _, _, _, t in entries])
        transformer_options = model.current_patcher.apply_hooks(hooks=None)
        if "transformer_options" in model_options:
            transformer_options = comfy.patcher_extension.merge_nested_dicts(
                transformer_options, model_options["transformer_options"], copy_dict1=False)
        cond_or_uncond = [i for _, i, _, _ in entries]
        transformer_options["cond_or_uncond"] = cond_or_uncond[:]
        transformer_options["uuids"] = [p.uuid for _, _, p, _ in entries]
        # Per-frame motion settings follow each chunk's own window (context_window holds only the last one).
        transformer_options[CHUNK_FRAMES] = [list(prepared[w][1].index_list) for w, _, _, _ in entries]
        transformer_options["sigmas"] = timestep
        c["transformer_options"] = transformer_options
        chunks = len(entries)
        if "model_function_wrapper" in model_options:
            output = model_options["model_function_wrapper"](
                model.apply_model, {"input": input_x, "timestep": timestep_, "c": c,
                                    "cond_or_uncond": cond_or_uncond}).chunk(chunks)
        else:
            output = model.apply_model(input_x, timestep_, **c).chunk(chunks)
        outs = [[torch.zeros_like(sub_x) for _ in conds] for _, _, sub_x, _ in prepared]
        counts = [[torch.full_like(sub_x, 1e-37) for _ in conds] for _, _, sub_x, _ in prepared]
        for o, (w, i, p, _) in enumerate(entries):
            outs[w][i] += output[o] * p.mult
            counts[w][i] += p.mult
        results = []
        for w, (window_idx, window, _, sub_conds) in enumerate(prepared):
            sub_out = [outs[w][i] / counts[w][i] for i in range(len(conds))]
            results.append(cw.ContextResults(window_idx, sub_out, sub_conds, window))
        self.stats["unet_calls"] += 1
        self.stats["windows"] += len(prepared)
        logging.debug("Tempo: %d windows in one UNet call", len(prepared))
        return results


def _sliced_bytes(original, resized):
    """Bytes of the tensors a window's conds hold that the full conds do not (the slices)."""
    def tensors(cond):
        for value in cond.values():
            if isinstance(value, torch.Tensor):
                yield value
            elif isinstance(value, dict):
                for inner in value.values():
                    inner = getattr(inner, "cond", inner)
                    if isinstance(inner, torch.Tensor):
                        yield inner
    total = 0
    for full, window in zip(original, resized):
        kept = {id(t) for t in tensors(full)}
        total += sum(t.numel() * t.element_size() for t in tensors(window) if id(t) not in kept)
    return total
