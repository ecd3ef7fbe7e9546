// Previews for Tempo's video nodes: the result of Video Combine plays inside the node (pause, hide, open and
// save from the node's context menu), and Load Video shows a chosen GIF (the frontend's own upload widget
// already previews video files, but plays them in a <video> element, which cannot show a GIF).
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const COMBINE = "TempoVideoCombine";
const LOAD = "TempoLoadVideo";
const IMAGE_EXTENSIONS = /\.(gif|webp|png)$/i;

function viewUrl({ filename, subfolder = "", type = "output" }) {
  return api.apiURL(`/view?${new URLSearchParams({ filename, subfolder, type })}`);
}

// One preview per node: a <video> or <img> in a DOM widget whose height follows the media's aspect ratio.
function preview(node) {
  if (node.tempoPreview) return node.tempoPreview;
  const box = document.createElement("div");
  box.style.cssText = "width:100%;display:flex;justify-content:center";
  const state = { box, media: null, still: null, url: null, filename: null, hidden: false, paused: false, aspect: 0 };
  node.addDOMWidget("tempo_preview", "preview", box, {
    serialize: false,
    hideOnZoom: false,
    getMinHeight: () => (state.hidden || !state.aspect ? 0 : (node.size[0] - 20) * state.aspect),
  });
  node.tempoPreview = state;
  return state;
}

function fitNode(node) {
  node.setSize([node.size[0], node.computeSize([node.size[0], node.size[1]])[1]]);
  node.graph?.setDirtyCanvas(true, true);
}

function show(node, file) {
  const state = preview(node);
  const isImage = IMAGE_EXTENSIONS.test(file.filename) || (file.format ?? "").startsWith("image/");
  const media = document.createElement(isImage ? "img" : "video");
  Object.assign(media.style, { width: "100%", objectFit: "contain" });
  if (!isImage) Object.assign(media, { autoplay: true, loop: true, muted: true, playsInline: true });
  const measure = () => {
    const [w, h] = isImage ? [media.naturalWidth, media.naturalHeight] : [media.videoWidth, media.videoHeight];
    state.aspect = w ? h / w : 0;
    fitNode(node);
  };
  media.addEventListener(isImage ? "load" : "loadedmetadata", measure);
  media.addEventListener("error", () => { state.aspect = 0; fitNode(node); });
  Object.assign(state, { media, still: null, url: viewUrl(file), filename: file.filename, paused: false });
  media.src = state.url;
  state.box.replaceChildren(media);
  state.box.style.display = state.hidden ? "none" : "flex";
}

function clear(node) {
  const state = node.tempoPreview;
  if (!state) return;
  Object.assign(state, { media: null, still: null, url: null, aspect: 0 });
  state.box.replaceChildren();
  fitNode(node);
}

// Browsers cannot pause an animated <img>: its current frame is drawn onto a canvas shown in its place.
function togglePause(state) {
  state.paused = !state.paused;
  if (state.media instanceof HTMLVideoElement) {
    if (state.paused) state.media.pause();
    else state.media.play().catch(() => {});
    return;
  }
  if (state.paused) {
    state.still = document.createElement("canvas");
    Object.assign(state.still, { width: state.media.naturalWidth, height: state.media.naturalHeight });
    state.still.style.width = "100%";
    state.still.getContext("2d").drawImage(state.media, 0, 0);
    state.box.replaceChildren(state.still);
  } else {
    state.box.replaceChildren(state.media);
  }
}

function menuItems(node) {
  const state = node.tempoPreview;
  if (!state?.url) return [];
  return [
    null,
    { content: state.paused ? "Resume preview" : "Pause preview", callback: () => togglePause(state) },
    {
      content: state.hidden ? "Show preview" : "Hide preview",
      callback: () => {
        state.hidden = !state.hidden;
        state.box.style.display = state.hidden ? "none" : "flex";
        if (state.media instanceof HTMLVideoElement) state.media[state.hidden ? "pause" : "play"]()?.catch?.(() => {});
        fitNode(node);
      },
    },
    { content: "Open preview in new tab", callback: () => window.open(state.url, "_blank") },
    {
      content: "Save preview",
      callback: () => {
        const link = Object.assign(document.createElement("a"), { href: state.url, download: state.filename });
        document.body.append(link);
        link.click();
        link.remove();
      },
    },
  ];
}

function addMenu(nodeType) {
  const original = nodeType.prototype.getExtraMenuOptions;
  nodeType.prototype.getExtraMenuOptions = function (canvas, options) {
    const result = original?.apply(this, arguments);
    options.push(...menuItems(this));
    return result;
  };
}

app.registerExtension({
  name: "Tempo.VideoPreview",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData.name === COMBINE) {
      addMenu(nodeType);
      const onExecuted = nodeType.prototype.onExecuted;
      nodeType.prototype.onExecuted = function (message) {
        onExecuted?.apply(this, arguments);
        const file = (message?.videos ?? message?.gifs ?? [])[0];
        if (file) show(this, file);
      };
    } else if (nodeData.name === LOAD) {
      addMenu(nodeType);
      const onNodeCreated = nodeType.prototype.onNodeCreated;
      nodeType.prototype.onNodeCreated = function () {
        const result = onNodeCreated?.apply(this, arguments);
        const widget = this.widgets?.find((w) => w.name === "video");
        if (!widget) return result;
        const update = () => {
          // Values read "name.gif", "sub/name.gif" or, from other folders, "name.gif [output]".
          const [, path, type = "input"] = String(widget.value ?? "").match(/^(.*?)(?: \[(\w+)\])?$/);
          const slash = path.lastIndexOf("/");
          const file = { filename: path.slice(slash + 1), subfolder: path.slice(0, Math.max(slash, 0)), type };
          if (IMAGE_EXTENSIONS.test(file.filename)) show(this, file);
          else clear(this);
        };
        const callback = widget.callback;
        widget.callback = function () {
          const value = callback?.apply(this, arguments);
          update();
          return value;
        };
        requestAnimationFrame(update); // the saved value is restored after creation
        return result;
      };
    }
  },
});
