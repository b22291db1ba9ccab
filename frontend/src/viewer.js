// Lightbox image viewer: Cornerstone3D stack viewports inside
//   <div id="lightbox-viewer" data-manifest-url="..."></div>
// No inline script or style is used; everything is built with DOM calls and styled by viewer.css.
//
// State exposed for tests and for the page, updated after every render:
//   .lbv-viewport[data-label][data-voi="center,width"][data-index][data-count][data-zoom][data-invert]
//   body[data-viewer-ready="true"] once the first images are on screen (false during a re-layout)
//   body[data-viewer-error] and #lightbox-viewer[data-viewer-error] with a readable message.
import "./viewer.css";

import {
  Enums as csEnums,
  RenderingEngine,
  eventTarget,
  init as csInit,
  utilities as csUtils,
} from "@cornerstonejs/core";
import {
  EllipticalROITool,
  Enums as toolEnums,
  LengthTool,
  PanTool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  annotation as csAnnotation,
  init as toolsInit,
  synchronizers,
  utilities as toolUtils,
} from "@cornerstonejs/tools";
import { init as dicomLoaderInit } from "@cornerstonejs/dicom-image-loader";

import { ManifestError, fetchManifest } from "./manifest.js";
import { THRESHOLD_MODALITIES, presetsFor } from "./presets.js";
import { registerWebImageLoader } from "./webImageLoader.js";

const ENGINE_ID = "lightbox-engine";
const TOOL_GROUP_ID = "lightbox-tools";
const VOI_SYNC_ID = "lightbox-voi-sync";
const ZOOMPAN_SYNC_ID = "lightbox-zoompan-sync";
const { Events } = csEnums;
const { MouseBindings, KeyboardBindings } = toolEnums;

const TOOL = {
  wl: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  scroll: StackScrollTool.toolName,
  length: LengthTool.toolName,
  roi: EllipticalROITool.toolName,
};
// Tools that draw on the image: left on screen (passive) when another tool takes the button.
const MEASURES = new Set([TOOL.length, TOOL.roi]);

const SHORTCUTS = [
  ["Left-drag / one finger", "Window / level (default tool)"],
  ["Right-drag, Ctrl + wheel, pinch", "Zoom"],
  ["Middle-drag, Shift + drag, two fingers", "Pan"],
  ["Wheel, ↑ / ↓, Page Up / Down", "Previous / next image"],
  ["Home / End", "First / last image"],
  ["W / P / Z", "Left button does W/L, pan or zoom"],
  ["M / O", "Left button measures a length or an elliptical ROI (drag; drag a handle to adjust)"],
  ["C", "Clear the measurements"],
  ["I", "Invert grey scale"],
  ["R", "Reset view"],
  ["+ / −", "Zoom in / out"],
  ["Space", "Play / pause cine"],
  ["1 / 2", "One pane / two panes side by side"],
  ["L", "Link W/L and zoom between panes"],
  ["?", "Show / hide this help"],
];

// ---------------------------------------------------------------- small DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) el.append(child);
  }
  return el;
}

// A button's accessible name holds its visible text (WCAG 2.5.3: a reader who says what
// they see, "click 1×2", reaches it), followed by what it does when that says more.
function accessibleName(label, name) {
  if (!name || name.toLowerCase().includes(label.toLowerCase())) return name || label;
  return /\w/.test(label) ? `${label}: ${name}` : name;
}

function button(label, { name, shortcut, pressed, onclick, cls, id } = {}) {
  const b = h("button", {
    type: "button",
    class: `lbv-btn${cls ? ` ${cls}` : ""}`,
    id,
    "aria-label": accessibleName(label, name),
    title: shortcut ? `${name || label} (${shortcut})` : name || label,
    "aria-keyshortcuts": shortcut,
    onclick,
    text: label,
  });
  if (pressed !== undefined) b.setAttribute("aria-pressed", String(pressed));
  return b;
}

function fmt(value, digits = 2) {
  if (!Number.isFinite(value)) return "";
  return String(Number(value.toFixed(digits)) + 0);
}

function describeError(err) {
  if (!err) return "unknown error";
  if (typeof err === "string") return err;
  if (err.message) return err.message;
  if (err.error) return describeError(err.error);
  const status = err.status ?? err.request?.status ?? err.xhr?.status;
  if (status) return `HTTP ${status}`;
  return String(err);
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

// ---------------------------------------------------------------- the viewer

class Viewer {
  constructor(root, manifest) {
    this.root = root;
    this.manifest = manifest;
    this.stacks = manifest.stacks;
    this.panes = [];
    this.active = 0;
    this.layout = manifest.layout;
    this.primary = "wl";
    this.linked = true;
    this.linkChosen = false;
    this.applyingPreset = false;
    this.fps = 10;
    this.layoutToken = 0;
    this.ready = false;
    this.engine = new RenderingEngine(ENGINE_ID);
    this.toolGroup = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
    this.voiSync = synchronizers.createVOISynchronizer(VOI_SYNC_ID, {
      syncInvertState: true,
      syncColormap: false,
    });
    this.zoomPanSync = synchronizers.createZoomPanSynchronizer(ZOOMPAN_SYNC_ID);
    this.setUpTools();
    this.buildChrome();
    this.listenGlobally();
  }

  // ------------------------------------------------------------ tools

  setUpTools() {
    const tg = this.toolGroup;
    tg.addTool(TOOL.wl);
    tg.addTool(TOOL.pan);
    tg.addTool(TOOL.zoom, {
      minZoomScale: 0.1,
      maxZoomScale: 40,
      pinchToZoom: true,
      pan: true,
    });
    tg.addTool(TOOL.scroll, { loop: false, debounceIfNotLoaded: true });
    tg.addTool(TOOL.length);
    tg.addTool(TOOL.roi);
    this.applyBindings();
  }

  applyBindings() {
    const bindings = {
      [TOOL.wl]: [],
      [TOOL.pan]: [
        { mouseButton: MouseBindings.Auxiliary },
        { mouseButton: MouseBindings.Primary, modifierKey: KeyboardBindings.Shift },
      ],
      [TOOL.zoom]: [
        { mouseButton: MouseBindings.Secondary },
        { mouseButton: MouseBindings.Wheel, modifierKey: KeyboardBindings.Ctrl },
        { mouseButton: MouseBindings.Wheel, modifierKey: KeyboardBindings.Meta },
        { numTouchPoints: 2 },
      ],
      [TOOL.scroll]: [{ mouseButton: MouseBindings.Wheel }],
      [TOOL.length]: [],
      [TOOL.roi]: [],
    };
    bindings[TOOL[this.primary]].push({ mouseButton: MouseBindings.Primary });
    for (const [name, list] of Object.entries(bindings)) {
      if (list.length) this.toolGroup.setToolActive(name, { bindings: list });
      else if (MEASURES.has(name)) this.toolGroup.setToolPassive(name);
      else this.toolGroup.setToolDisabled(name);
    }
  }

  setPrimary(kind) {
    this.primary = kind;
    this.applyBindings();
    for (const [k, b] of Object.entries(this.toolButtons)) {
      b.setAttribute("aria-pressed", String(k === kind));
    }
    const what = {
      wl: "window / level",
      pan: "pan",
      zoom: "zoom",
      length: "measure a length",
      roi: "measure an elliptical region",
    };
    this.announce(`Left button: ${what[kind]}`);
  }

  // ------------------------------------------------------------ measurements

  // Each pane lists its measurements in words under the image (and in data-measurements, for
  // tests): the same figures Cornerstone draws beside them, readable by a screen reader.
  describeMeasurements(pane) {
    const vp = this.viewport(pane);
    if (!vp) return [];
    const element = vp.element;
    const out = [];
    for (const tool of [TOOL.length, TOOL.roi]) {
      for (const a of csAnnotation.state.getAnnotations(tool, element) ?? []) {
        const stats = Object.values(a.data?.cachedStats ?? {})[0];
        if (!stats) continue;
        if (tool === TOOL.length && Number.isFinite(stats.length)) {
          out.push(`Length ${fmt(stats.length, 1)} ${stats.unit || "px"}`);
        } else if (tool === TOOL.roi && Number.isFinite(stats.area)) {
          const parts = [`ROI area ${fmt(stats.area, 1)} ${stats.areaUnit || "px²"}`];
          const unit = stats.modalityUnit ? ` ${stats.modalityUnit}` : "";
          if (Number.isFinite(stats.mean)) parts.push(`mean ${fmt(stats.mean, 1)}${unit}`);
          if (Number.isFinite(stats.stdDev)) parts.push(`SD ${fmt(stats.stdDev, 1)}${unit}`);
          out.push(parts.join(", "));
        }
      }
    }
    return out;
  }

  showMeasurements() {
    for (const pane of this.panes) {
      const list = this.describeMeasurements(pane);
      pane.measures.hidden = list.length === 0;
      pane.measures.replaceChildren(...list.map((text) => h("li", { text })));
      pane.el.dataset.measurements = list.join(" | ");
    }
    this.clearButton.disabled = !this.panes.some((p) => p.el.dataset.measurements);
  }

  clearMeasurements() {
    for (const tool of [TOOL.length, TOOL.roi]) {
      for (const pane of this.panes) {
        const element = this.viewport(pane)?.element;
        if (!element) continue;
        for (const a of csAnnotation.state.getAnnotations(tool, element) ?? []) {
          csAnnotation.state.removeAnnotation(a.annotationUID);
        }
      }
    }
    for (const pane of this.panes) this.viewport(pane)?.render();
    this.showMeasurements();
    this.announce("Measurements cleared");
  }

  // ------------------------------------------------------------ chrome (toolbar, help, grid)

  buildChrome() {
    const root = this.root;
    root.classList.add("lbv");
    root.replaceChildren();

    this.toolButtons = {
      wl: button("W/L", {
        name: "Window / level with left button",
        shortcut: "W",
        pressed: true,
        onclick: () => this.setPrimary("wl"),
      }),
      pan: button("Pan", {
        name: "Pan with left button",
        shortcut: "P",
        pressed: false,
        onclick: () => this.setPrimary("pan"),
      }),
      zoom: button("Zoom", {
        name: "Zoom with left button",
        shortcut: "Z",
        pressed: false,
        onclick: () => this.setPrimary("zoom"),
      }),
      length: button("Length", {
        name: "Measure a length with left button",
        shortcut: "M",
        pressed: false,
        onclick: () => this.setPrimary("length"),
      }),
      roi: button("ROI", {
        name: "Measure an elliptical region (area, mean) with left button",
        shortcut: "O",
        pressed: false,
        onclick: () => this.setPrimary("roi"),
      }),
    };
    this.clearButton = button("Clear", {
      name: "Clear the measurements",
      shortcut: "C",
      onclick: () => this.clearMeasurements(),
    });
    this.clearButton.disabled = true;

    this.invertButton = button("Invert", {
      name: "Invert grey scale",
      shortcut: "I",
      pressed: false,
      onclick: () => this.toggleInvert(),
    });
    this.resetButton = button("Reset", {
      name: "Reset view",
      shortcut: "R",
      onclick: () => this.reset(),
    });

    this.presetSelect = h("select", {
      class: "lbv-select",
      id: "lbv-preset",
      onchange: () => this.applyPreset(this.presetSelect.value),
    });
    const presetField = h(
      "span",
      { class: "lbv-field" },
      h("label", { for: "lbv-preset", text: "Preset" }),
      this.presetSelect,
    );

    this.thresholdInput = h("input", {
      type: "range",
      id: "lbv-threshold",
      class: "lbv-range",
      min: 1,
      max: 100,
      step: 1,
      value: 100,
      oninput: () => this.applyThreshold(Number(this.thresholdInput.value)),
    });
    this.thresholdOutput = h("output", { for: "lbv-threshold", class: "lbv-out", text: "100%" });
    this.thresholdField = h(
      "span",
      { class: "lbv-field lbv-threshold" },
      h("label", { for: "lbv-threshold", text: "Upper threshold" }),
      this.thresholdInput,
      this.thresholdOutput,
    );

    this.cineButton = button("Play", {
      name: "Play cine",
      shortcut: "Space",
      pressed: false,
      onclick: () => this.toggleCine(),
      cls: "lbv-cine",
    });
    this.fpsInput = h("input", {
      type: "range",
      id: "lbv-fps",
      class: "lbv-range lbv-range-short",
      min: 1,
      max: 30,
      step: 1,
      value: this.fps,
      oninput: () => this.setFps(Number(this.fpsInput.value)),
    });
    this.fpsOutput = h("output", { for: "lbv-fps", class: "lbv-out", text: `${this.fps} fps` });
    const cineField = h(
      "span",
      { class: "lbv-field" },
      h("label", { for: "lbv-fps", class: "lbv-sr", text: "Frame rate (frames per second)" }),
      this.fpsInput,
      this.fpsOutput,
    );

    this.layoutButtons = {
      "1x1": button("1×1", {
        name: "One pane",
        shortcut: "1",
        pressed: this.layout === "1x1",
        onclick: () => this.setLayout("1x1"),
      }),
      "1x2": button("1×2", {
        name: "Two panes side by side",
        shortcut: "2",
        pressed: this.layout === "1x2",
        onclick: () => this.setLayout("1x2"),
      }),
    };
    this.linkButton = button("Link", {
      name: "Link window / level and zoom between panes",
      shortcut: "L",
      pressed: this.linked,
      onclick: () => this.setLinked(!this.linked),
    });

    const downloadButton = button("PNG", {
      name: "Download view as PNG",
      onclick: () => this.download(),
    });
    this.helpButton = button("?", {
      name: "Keyboard and mouse help",
      shortcut: "Shift+?",
      onclick: () => this.toggleHelp(),
      cls: "lbv-help-btn",
    });
    this.helpButton.setAttribute("aria-expanded", "false");
    this.helpButton.setAttribute("aria-controls", "lbv-help");

    const group = (label, ...items) =>
      h("div", { class: "lbv-group", role: "group", "aria-label": label }, ...items);

    this.toolbar = h(
      "div",
      { class: "lbv-toolbar", role: "toolbar", "aria-label": "Image viewer tools" },
      group("Left button tool", ...Object.values(this.toolButtons), this.clearButton),
      group("Grey scale", this.invertButton, presetField, this.thresholdField, this.resetButton),
      group("Cine", this.cineButton, cineField),
      group("Layout", ...Object.values(this.layoutButtons), this.linkButton),
      group("Export and help", downloadButton, this.helpButton),
    );
    this.setUpToolbarKeys();

    const title = this.manifest.title
      ? h("h2", { class: "lbv-title", text: this.manifest.title })
      : null;

    this.errorBox = h("div", { class: "lbv-error", role: "alert", hidden: true });
    this.liveRegion = h("div", { class: "lbv-sr", "aria-live": "polite" });

    this.help = h(
      "aside",
      { class: "lbv-help", id: "lbv-help", "aria-label": "Keyboard and mouse help", hidden: true },
      h("h3", { text: "Keyboard, mouse and touch" }),
      h(
        "dl",
        {},
        SHORTCUTS.map(([keys, what]) => [h("dt", { text: keys }), h("dd", { text: what })]),
      ),
    );

    this.grid = h("div", { class: "lbv-grid" });
    this.strip = this.buildStrip();
    root.append(
      h("div", { class: "lbv-bar" }, title, this.toolbar),
      this.errorBox,
      h("div", { class: "lbv-body" }, this.grid, this.help),
      ...(this.strip ? [this.strip] : []),
      this.liveRegion,
    );
  }

  // With several series, a strip of their first images: choosing one shows it in the active pane.
  buildStrip() {
    if (this.stacks.length < 2) return null;
    this.stripButtons = this.stacks.map((stack, k) => {
      const canvas = h("canvas", { width: 96, height: 96, "aria-hidden": "true" });
      const b = h(
        "button",
        {
          type: "button",
          class: "lbv-thumb",
          "aria-label": `Show series ${stack.label}${stack.modality ? ` (${stack.modality})` : ""}, ${stack.imageIds.length} image${stack.imageIds.length === 1 ? "" : "s"}, in the active pane`,
          title: `${stack.label} — ${stack.imageIds.length} image${stack.imageIds.length === 1 ? "" : "s"}`,
          onclick: () => {
            const pane = this.activePane;
            if (!pane || pane.stackIndex === k) return;
            this.loadStack(pane, k).then(() => this.relink());
          },
        },
        canvas,
        h("span", { class: "lbv-thumb-label", text: stack.label }),
      );
      // The thumbnail is drawn once, off screen, from the series' first image; a failure leaves
      // the label alone (the pane says what went wrong when the series is shown).
      csUtils
        .loadImageToCanvas({ canvas, imageId: stack.imageIds[0], thumbnail: true })
        .catch(() => canvas.classList.add("lbv-thumb-failed"));
      return b;
    });
    return h("nav", { class: "lbv-strip", "aria-label": "Series" }, this.stripButtons);
  }

  markStrip() {
    if (!this.stripButtons) return;
    const shown = this.activePane?.stackIndex;
    this.stripButtons.forEach((b, k) => b.setAttribute("aria-current", String(k === shown)));
  }

  // Roving arrow-key focus inside the toolbar (Tab still reaches every control).
  setUpToolbarKeys() {
    this.toolbar.addEventListener("keydown", (evt) => {
      if (evt.key !== "ArrowLeft" && evt.key !== "ArrowRight") return;
      if (evt.target.matches("input, select")) return;
      const items = [...this.toolbar.querySelectorAll("button:not([disabled])")];
      const i = items.indexOf(evt.target);
      if (i < 0) return;
      evt.preventDefault();
      const next = items[(i + (evt.key === "ArrowRight" ? 1 : items.length - 1)) % items.length];
      next.focus();
    });
  }

  toggleHelp(force) {
    const show = force ?? this.help.hidden;
    this.help.hidden = !show;
    this.helpButton.setAttribute("aria-expanded", String(show));
    this.engine.resize(true, true);
  }

  announce(text) {
    this.liveRegion.textContent = text;
  }

  showError(message) {
    this.errorBox.hidden = false;
    this.errorBox.textContent = message;
    this.root.dataset.viewerError = message;
    document.body.dataset.viewerError = message;
  }

  // ------------------------------------------------------------ panes and layout

  buildPane(i) {
    const viewportId = `lightbox-vp-${i}`;
    const el = h("div", {
      class: "lbv-viewport",
      tabindex: 0,
      role: "img",
      "aria-label": "Image",
      dataset: { pane: String(i) },
    });
    el.addEventListener("contextmenu", (evt) => evt.preventDefault());
    // Cornerstone's key listener on the viewport cancels every key, Tab included, which would
    // trap keyboard focus in the image: let Tab and Shift+Tab through untouched.
    el.addEventListener(
      "keydown",
      (evt) => {
        if (evt.key === "Tab") evt.stopImmediatePropagation();
      },
      true,
    );
    const label = h("span", { class: "lbv-label" });
    const info = h("span", { class: "lbv-info" });
    const voiText = h("span", { class: "lbv-voi" });
    // PACS-style corner text: the series and the image's place in it.
    const corner = h("div", { class: "lbv-corner", "aria-hidden": "true" });
    const measures = h("ul", { class: "lbv-measures", "aria-label": `Measurements in pane ${i + 1}` });
    measures.hidden = true;
    const message = h("div", { class: "lbv-pane-message", hidden: true });
    const slider = h("input", {
      type: "range",
      class: "lbv-slice",
      min: 0,
      max: 0,
      step: 1,
      value: 0,
      "aria-label": `Image in pane ${i + 1}`,
    });
    // With several series, a menu in the pane's header names and switches its series.
    let seriesMenu = null;
    let seriesField = null;
    if (this.stacks.length > 1) {
      const sid = `lbv-series-${i}`;
      seriesMenu = h(
        "select",
        { class: "lbv-select lbv-series", id: sid },
        this.stacks.map((s, k) =>
          h("option", { value: k, text: `${s.label}${s.modality ? ` (${s.modality})` : ""}` }),
        ),
      );
      seriesField = h(
        "span",
        { class: "lbv-field" },
        h("label", { for: sid, class: "lbv-sr", text: `Series in pane ${i + 1}` }),
        seriesMenu,
      );
    }
    const pane = {
      i,
      viewportId,
      el,
      label,
      info,
      voiText,
      corner,
      measures,
      message,
      slider,
      seriesSelect: seriesMenu,
      stackIndex: 0,
      autoVOI: null,
      playing: false,
      loaded: false,
    };
    const node = h(
      "section",
      { class: "lbv-pane", "aria-label": `Pane ${i + 1}` },
      h("div", { class: "lbv-pane-head" }, seriesField ? null : label, seriesField, info),
      h("div", { class: "lbv-stage" }, el, corner, h("div", { class: "lbv-overlay" }, voiText), message),
      slider,
      measures,
    );
    pane.node = node;

    const activate = () => this.setActive(pane.i);
    node.addEventListener("pointerdown", activate, true);
    el.addEventListener("focus", activate);
    slider.addEventListener("input", () => {
      this.setActive(pane.i);
      this.scrollTo(pane, Number(slider.value));
    });
    pane.seriesSelect?.addEventListener("change", () => {
      this.setActive(pane.i);
      this.loadStack(pane, Number(pane.seriesSelect.value)).then(() => this.relink());
    });
    el.addEventListener(Events.IMAGE_RENDERED, () => this.publish(pane));
    // A measurement's figures are computed as it is drawn, after the drag that made it:
    // that drawing is announced on the pane's element, not on Cornerstone's event target.
    el.addEventListener(toolEnums.Events.ANNOTATION_RENDERED, () => this.showMeasurements());
    el.addEventListener(Events.STACK_NEW_IMAGE, () => {
      pane.message.hidden = true;
      this.publish(pane);
    });
    el.addEventListener(Events.VOI_MODIFIED, () => {
      if (pane.i !== this.active) return;
      this.syncThresholdSlider();
      if (!this.applyingPreset) this.presetSelect.value = ""; // W/L moved off the preset
    });
    return pane;
  }

  viewport(pane) {
    return this.engine.getViewport(pane.viewportId);
  }

  get activePane() {
    return this.panes[this.active] ?? this.panes[0];
  }

  setActive(i) {
    if (!this.panes[i]) return;
    this.active = i;
    for (const p of this.panes) p.node.classList.toggle("lbv-active", p.i === i);
    this.updateToolbar();
    this.markStrip();
  }

  teardownPanes() {
    for (const pane of this.panes) {
      this.stopCine(pane);
      const ref = { renderingEngineId: ENGINE_ID, viewportId: pane.viewportId };
      this.voiSync.remove(ref);
      this.zoomPanSync.remove(ref);
      this.toolGroup.removeViewports(ENGINE_ID, pane.viewportId);
      if (this.engine.getViewport(pane.viewportId)) this.engine.disableElement(pane.viewportId);
    }
    this.panes = [];
    this.grid.replaceChildren();
  }

  // What a pane shows, to show it again after the panes are rebuilt (a layout change):
  // the image, window / level, zoom relative to fitting the pane, pan and invert.
  viewState(pane) {
    const vp = this.viewport(pane);
    if (!vp || !pane.loaded || !vp.getCornerstoneImage?.()) return null;
    const props = vp.getProperties();
    return {
      stackIndex: pane.stackIndex,
      index: vp.getCurrentImageIdIndex(),
      voiRange: props.voiRange ? { ...props.voiRange } : null,
      inverted: this.isInverted(pane, props),
      zoom: vp.getZoom() / (pane.baseZoom || 1),
      pan: vp.getPan?.() ?? null,
    };
  }

  async restoreView(pane, state) {
    const vp = this.viewport(pane);
    if (!vp || !state || state.stackIndex !== pane.stackIndex) return;
    if (state.index) await vp.setImageIdIndex(state.index);
    const props = { invert: this.shownInvert(pane, state.inverted) };
    if (state.voiRange) props.voiRange = state.voiRange;
    vp.setProperties(props);
    vp.setZoom(state.zoom * (pane.baseZoom || 1));
    if (state.pan) vp.setPan(state.pan);
    vp.render();
  }

  async setLayout(layout) {
    if (layout !== "1x1" && layout !== "1x2") return;
    const token = ++this.layoutToken;
    const previous = this.panes.map((p) => p.stackIndex);
    const views = this.panes.map((p) => this.viewState(p));
    document.body.dataset.viewerReady = "false";
    this.layout = layout;
    for (const [k, b] of Object.entries(this.layoutButtons)) {
      b.setAttribute("aria-pressed", String(k === layout));
    }
    this.teardownPanes();
    const n = layout === "1x2" ? 2 : 1;
    this.grid.className = `lbv-grid lbv-layout-${layout}`;
    this.panes = Array.from({ length: n }, (_, i) => this.buildPane(i));
    this.grid.append(...this.panes.map((p) => p.node));
    for (const pane of this.panes) {
      this.engine.enableElement({
        viewportId: pane.viewportId,
        type: csEnums.ViewportType.STACK,
        element: pane.el,
        defaultOptions: { background: [0, 0, 0] },
      });
      this.toolGroup.addViewport(pane.viewportId, ENGINE_ID);
    }
    this.active = Math.min(this.active, n - 1);
    this.setActive(this.active);
    // Panes keep their series; a new second pane shows the series after the first one's.
    const first = previous[0] ?? 0;
    const initial = this.panes.map((_, i) => previous[i] ?? (first + i) % this.stacks.length);
    const results = await Promise.allSettled(
      this.panes.map((p, i) => this.loadStack(p, initial[i])),
    );
    if (token !== this.layoutToken) return;
    // A pane that was there before shows what it showed (its image, W/L, zoom, invert).
    await Promise.allSettled(
      this.panes.map((p, i) => (results[i].value ? this.restoreView(p, views[i]) : null)),
    );
    if (token !== this.layoutToken) return;
    this.relink();
    this.linkButton.disabled = n < 2;
    if (results.every((r) => r.status === "fulfilled" && r.value)) {
      await Promise.all(this.panes.map((p) => this.nextRender(p)));
      if (token !== this.layoutToken) return;
      this.ready = true;
      document.body.dataset.viewerReady = "true";
      this.root.dataset.layout = layout;
    }
  }

  // Resolves on the pane's next IMAGE_RENDERED (or after a short time, whichever is first).
  nextRender(pane) {
    return new Promise((resolve) => {
      const done = () => {
        pane.el.removeEventListener(Events.IMAGE_RENDERED, done);
        clearTimeout(timer);
        this.publish(pane);
        resolve();
      };
      const timer = setTimeout(done, 1500);
      pane.el.addEventListener(Events.IMAGE_RENDERED, done);
      this.viewport(pane)?.render();
    });
  }

  relink() {
    if (!this.linkChosen && this.panes.length > 1) {
      // Until the reader decides, link panes that show the same modality (ANT/POST, two
      // CT series) and leave, say, an MR beside a photograph alone.
      const modalities = new Set(this.panes.map((p) => this.stacks[p.stackIndex].modality));
      this.linked = modalities.size === 1;
      this.linkButton.setAttribute("aria-pressed", String(this.linked));
    }
    const shouldLink = this.linked && this.panes.length > 1;
    for (const pane of this.panes) {
      const ref = { renderingEngineId: ENGINE_ID, viewportId: pane.viewportId };
      this.voiSync.remove(ref);
      this.zoomPanSync.remove(ref);
    }
    if (!shouldLink) return;
    for (const pane of this.panes) {
      const ref = { renderingEngineId: ENGINE_ID, viewportId: pane.viewportId };
      this.voiSync.add(ref);
      this.zoomPanSync.add(ref);
    }
  }

  setLinked(on) {
    this.linkChosen = true;
    this.linked = on;
    this.linkButton.setAttribute("aria-pressed", String(on));
    this.relink();
    this.announce(on ? "Panes linked" : "Panes unlinked");
  }

  // ------------------------------------------------------------ stacks

  defaultVOI(pane) {
    const stack = this.stacks[pane.stackIndex];
    if (stack.window) {
      return csUtils.windowLevel.toLowHighRange(stack.window.width, stack.window.center);
    }
    return pane.autoVOI ? { ...pane.autoVOI } : undefined;
  }

  async loadStack(pane, stackIndex) {
    const stack = this.stacks[stackIndex] ?? this.stacks[0];
    this.stopCine(pane);
    pane.stackIndex = this.stacks.indexOf(stack);
    pane.loaded = false;
    pane.failed = false;
    pane.autoVOI = null;
    pane.el.dataset.label = stack.label;
    pane.el.dataset.modality = stack.modality;
    pane.el.dataset.count = String(stack.imageIds.length);
    pane.label.textContent = stack.label;
    if (pane.seriesSelect) pane.seriesSelect.value = String(pane.stackIndex);
    if (pane.i === this.active) this.markStrip();
    pane.slider.max = String(stack.imageIds.length - 1);
    pane.slider.value = "0";
    pane.slider.hidden = stack.imageIds.length < 2;
    pane.message.hidden = true;
    pane.node.classList.add("lbv-loading");
    const vp = this.viewport(pane);
    // Detach from the links while this stack sets its own defaults.
    const ref = { renderingEngineId: ENGINE_ID, viewportId: pane.viewportId };
    this.voiSync.remove(ref);
    this.zoomPanSync.remove(ref);
    try {
      await vp.setStack(stack.imageIds, 0);
      if (!vp.getCornerstoneImage?.()) {
        throw new Error("no image was decoded");
      }
    } catch (err) {
      pane.node.classList.remove("lbv-loading");
      // The loader's error event usually said why already; keep that message.
      if (!pane.failed) this.paneError(pane, 0, err);
      return false;
    }
    if (this.viewport(pane) !== vp) return false; // pane was torn down meanwhile
    const natural = vp.getProperties().voiRange;
    // A MONOCHROME1 image (many radiographs: the lowest value is white) is shown right only
    // with Cornerstone's invert on. Our "invert" (NM's black on white) is relative to that,
    // never instead of it.
    const image = vp.getCornerstoneImage();
    pane.baseInvert = Boolean(image?.invert) || image?.photometricInterpretation === "MONOCHROME1";
    const counts = THRESHOLD_MODALITIES.has(stack.modality) && this.countRange(vp);
    if (counts) {
      pane.autoVOI = { lower: counts.min, upper: counts.max };
    } else {
      pane.autoVOI = natural ? { lower: natural.lower, upper: natural.upper } : null;
    }
    vp.resetCamera();
    pane.baseZoom = vp.getZoom() || 1;
    vp.setProperties({ voiRange: this.defaultVOI(pane), invert: this.shownInvert(pane, stack.invert) });
    vp.render();
    pane.loaded = true;
    pane.node.classList.remove("lbv-loading");
    this.publish(pane);
    if (pane.i === this.active) this.updateToolbar();
    return true;
  }

  paneError(pane, index, err) {
    pane.failed = true;
    const stack = this.stacks[pane.stackIndex];
    const text = `Could not display ${stack.label} image ${index + 1}: ${describeError(err)}`;
    pane.message.textContent = text;
    pane.message.hidden = false;
    this.showError(text);
  }

  scrollTo(pane, index) {
    const vp = this.viewport(pane);
    if (!vp || !pane.loaded) return;
    const n = vp.getImageIds().length;
    const target = clamp(Math.round(index), 0, n - 1);
    if (target === vp.getCurrentImageIdIndex()) return;
    vp.setImageIdIndex(target).catch((err) => this.paneError(pane, target, err));
  }

  scrollBy(pane, delta) {
    const vp = this.viewport(pane);
    if (!vp) return;
    this.scrollTo(pane, vp.getCurrentImageIdIndex() + delta);
  }

  // ------------------------------------------------------------ state for people and tests

  publish(pane) {
    const vp = this.viewport(pane);
    if (!vp || !vp.getCornerstoneImage?.()) return;
    const el = pane.el;
    const props = vp.getProperties();
    const index = vp.getCurrentImageIdIndex();
    const count = vp.getImageIds().length;
    const range = props.voiRange;
    let wl = "";
    if (range && Number.isFinite(range.lower) && Number.isFinite(range.upper)) {
      const { windowCenter, windowWidth } = csUtils.windowLevel.toWindowLevel(
        range.lower,
        range.upper,
      );
      el.dataset.voi = `${fmt(windowCenter)},${fmt(windowWidth)}`;
      wl = `W ${fmt(windowWidth, 0)}  L ${fmt(windowCenter, 0)}`;
    }
    // Zoom relative to "fit to pane" (the CPU renderer reports display pixels per image pixel).
    const zoom = vp.getZoom() / (pane.baseZoom || 1);
    const [panX, panY] = vp.getPan?.() ?? [0, 0];
    el.dataset.index = String(index);
    el.dataset.count = String(count);
    el.dataset.zoom = fmt(zoom, 3);
    el.dataset.pan = `${fmt(panX, 1)},${fmt(panY, 1)}`;
    const inverted = this.isInverted(pane, props);
    el.dataset.invert = String(inverted);
    const stack = this.stacks[pane.stackIndex];
    pane.info.textContent = count > 1 ? `${index + 1} / ${count}` : "";
    pane.corner.replaceChildren(
      h("span", { text: `${stack.label}${stack.modality ? ` · ${stack.modality}` : ""}` }),
      h("span", { text: `Image ${index + 1} of ${count}` }),
    );
    pane.voiText.textContent = `${wl}${wl ? "  ·  " : ""}${fmt(zoom * 100, 0)}%${inverted ? "  ·  inverted" : ""}`;
    el.setAttribute(
      "aria-label",
      `${stack.label}${stack.modality ? ` ${stack.modality}` : ""} image ${index + 1} of ${count}${wl ? `, ${wl}` : ""}`,
    );
    if (Number(pane.slider.value) !== index) pane.slider.value = String(index);
    pane.slider.setAttribute("aria-valuetext", `Image ${index + 1} of ${count}`);
    if (pane.i === this.active) {
      this.invertButton.setAttribute("aria-pressed", String(inverted));
    }
  }

  updateToolbar() {
    const pane = this.activePane;
    if (!pane) return;
    const stack = this.stacks[pane.stackIndex];
    const vp = this.viewport(pane);
    const presets = presetsFor(stack.modality);
    const options = [
      h("option", { value: "", text: "Choose…" }),
      h("option", { value: "default", text: "Default" }),
      h("option", { value: "full", text: "Full range" }),
      ...presets.map((p) =>
        h("option", { value: p.id, text: `${p.label} (W${p.width} L${p.center})` }),
      ),
    ];
    this.presetSelect.replaceChildren(...options);
    this.presetSelect.value = "";
    this.thresholdField.hidden = !THRESHOLD_MODALITIES.has(stack.modality);
    this.syncThresholdSlider();
    const multi = stack.imageIds.length > 1;
    this.cineButton.disabled = !multi;
    this.fpsInput.disabled = !multi;
    this.setCineButton(pane.playing);
    const props = vp?.getProperties?.();
    this.invertButton.setAttribute("aria-pressed", String(this.isInverted(pane, props)));
  }

  // ------------------------------------------------------------ grey scale

  imageRange(vp) {
    const image = vp.getCornerstoneImage?.();
    if (!image) return null;
    const min = Number(image.minPixelValue);
    const max = Number(image.maxPixelValue);
    if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return null;
    return { min, max };
  }

  // NM/PT counts: the grey scale starts at zero counts (at the minimum if that is above zero;
  // lossy JPEG 2000 can ring below zero, which must not lift the background).
  countRange(vp) {
    const range = this.imageRange(vp);
    if (!range) return null;
    const min = Math.max(range.min, 0);
    return range.max > min ? { min, max: range.max } : null;
  }

  syncThresholdSlider() {
    if (this.thresholdField.hidden) return;
    const vp = this.viewport(this.activePane);
    const range = vp && this.countRange(vp);
    const voi = vp?.getProperties().voiRange;
    if (!range || !voi) return;
    const pct = clamp(Math.round(((voi.upper - range.min) / (range.max - range.min)) * 100), 1, 100);
    this.thresholdInput.value = String(pct);
    this.thresholdOutput.textContent = `${pct}%`;
  }

  // NM: the top of the grey scale at pct % of the image's maximum count, the bottom at zero.
  applyThreshold(pct) {
    const vp = this.viewport(this.activePane);
    const range = vp && this.countRange(vp);
    this.thresholdOutput.textContent = `${pct}%`;
    if (!range) return;
    const upper = range.min + ((range.max - range.min) * pct) / 100;
    vp.setProperties({ voiRange: { lower: range.min, upper: Math.max(upper, range.min + 1) } });
    vp.render();
  }

  applyPreset(id) {
    const pane = this.activePane;
    const vp = this.viewport(pane);
    if (!vp || !id) return;
    const stack = this.stacks[pane.stackIndex];
    let voiRange;
    if (id === "default") {
      voiRange = this.defaultVOI(pane);
    } else if (id === "full") {
      const r = THRESHOLD_MODALITIES.has(stack.modality)
        ? this.countRange(vp)
        : this.imageRange(vp);
      voiRange = r ? { lower: r.min, upper: r.max } : undefined;
    } else {
      const p = presetsFor(stack.modality).find((x) => x.id === id);
      if (p) voiRange = csUtils.windowLevel.toLowHighRange(p.width, p.center);
    }
    if (!voiRange) return;
    this.applyingPreset = true;
    try {
      vp.setProperties({ voiRange });
    } finally {
      this.applyingPreset = false;
    }
    vp.render();
    this.announce(`Preset ${this.presetSelect.selectedOptions[0]?.textContent ?? id}`);
  }

  // Panes the active one drives: itself, plus the other pane when the two are linked.
  linkedPanes() {
    const active = this.activePane;
    if (!active) return [];
    if (!this.linked || this.panes.length < 2) return [active];
    return [active, ...this.panes.filter((p) => p !== active && p.loaded)];
  }

  // Cornerstone's invert for a pane to look `inverted` (relative to what its photometric
  // interpretation means), and back.
  shownInvert(pane, inverted) {
    return Boolean(inverted) !== Boolean(pane?.baseInvert);
  }

  isInverted(pane, props) {
    return Boolean(props?.invert) !== Boolean(pane?.baseInvert);
  }

  toggleInvert() {
    const active = this.activePane;
    const vp = this.viewport(active);
    if (!vp) return;
    const inverted = !this.isInverted(active, vp.getProperties());
    // A stack viewport sends no VOI event for invert, so the link is kept here.
    for (const pane of this.linkedPanes()) {
      const v = this.viewport(pane);
      v?.setProperties({ invert: this.shownInvert(pane, inverted) });
      v?.render();
    }
    this.invertButton.setAttribute("aria-pressed", String(inverted));
  }

  reset() {
    const pane = this.activePane;
    const vp = this.viewport(pane);
    if (!vp) return;
    const stack = this.stacks[pane.stackIndex];
    vp.resetCamera();
    pane.baseZoom = vp.getZoom() || 1;
    vp.setProperties({ voiRange: this.defaultVOI(pane), invert: this.shownInvert(pane, stack.invert) });
    vp.render();
    for (const other of this.linkedPanes().slice(1)) {
      const v = this.viewport(other);
      v?.setProperties({ invert: this.shownInvert(other, stack.invert) });
      v?.render();
    }
    this.presetSelect.value = "";
    this.updateToolbar();
  }

  zoomBy(factor) {
    const pane = this.activePane;
    const vp = this.viewport(pane);
    if (!vp) return;
    const base = pane.baseZoom || 1;
    vp.setZoom(clamp(vp.getZoom() * factor, 0.1 * base, 40 * base));
    vp.render();
  }

  // ------------------------------------------------------------ cine

  setCineButton(playing) {
    this.cineButton.setAttribute("aria-pressed", String(playing));
    this.cineButton.textContent = playing ? "Pause" : "Play";
    this.cineButton.setAttribute("aria-label", playing ? "Pause cine" : "Play cine");
  }

  startCine(pane) {
    const vp = this.viewport(pane);
    if (!vp || vp.getImageIds().length < 2) return;
    toolUtils.cine.playClip(pane.el, { framesPerSecond: this.fps, loop: true });
    pane.playing = true;
  }

  stopCine(pane) {
    if (!pane.playing) return;
    try {
      toolUtils.cine.stopClip(pane.el);
    } catch {
      // element already disabled
    }
    pane.playing = false;
  }

  toggleCine() {
    const pane = this.activePane;
    if (!pane) return;
    if (pane.playing) this.stopCine(pane);
    else this.startCine(pane);
    if (pane === this.activePane) this.setCineButton(pane.playing);
  }

  setFps(fps) {
    this.fps = clamp(fps, 1, 60);
    this.fpsOutput.textContent = `${this.fps} fps`;
    for (const pane of this.panes) {
      if (pane.playing) {
        this.stopCine(pane);
        this.startCine(pane);
      }
    }
  }

  // ------------------------------------------------------------ export

  download() {
    const pane = this.activePane;
    const vp = this.viewport(pane);
    if (!vp) return;
    const canvas = vp.getCanvas();
    const stack = this.stacks[pane.stackIndex];
    const base = `${this.manifest.title || "lightbox"}-${stack.label}-${vp.getCurrentImageIdIndex() + 1}`
      .normalize("NFKD")
      .replace(/[^\w.-]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "");
    canvas.toBlob((blob) => {
      if (!blob) {
        this.showError("The view could not be exported as PNG.");
        return;
      }
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: `${base || "view"}.png`, class: "lbv-sr" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
    }, "image/png");
  }

  // ------------------------------------------------------------ global listeners

  listenGlobally() {
    const onLoadError = (evt) => {
      const { imageId, error } = evt.detail ?? {};
      const pane = this.panes.find((p) => this.stacks[p.stackIndex]?.imageIds.includes(imageId));
      if (!pane) return;
      const index = this.stacks[pane.stackIndex].imageIds.indexOf(imageId);
      this.paneError(pane, index, error);
    };
    eventTarget.addEventListener(Events.IMAGE_LOAD_ERROR, onLoadError);
    eventTarget.addEventListener(Events.IMAGE_LOAD_FAILED, onLoadError);
    // The DICOM loader rejects some internal promises with the failed XMLHttpRequest that
    // nobody awaits; the failure is already shown through the events above.
    window.addEventListener("unhandledrejection", (evt) => {
      const reason = evt.reason;
      const xhr = reason instanceof XMLHttpRequest ? reason : reason?.request ?? reason?.xhr;
      if (xhr instanceof XMLHttpRequest) {
        evt.preventDefault();
        if (!this.root.dataset.viewerError) {
          this.showError(`An image could not be loaded (HTTP ${xhr.status || "error"}).`);
        }
      } else if (/Content Security Policy|WebAssembly/i.test(String(reason?.message ?? ""))) {
        this.showError(
          "The image decoder was blocked by the site's Content-Security-Policy: it needs " +
            "script-src 'wasm-unsafe-eval' and worker-src 'self'.",
        );
      }
    });

    document.addEventListener("keydown", (evt) => this.onKey(evt));

    const measured = () => this.showMeasurements();
    // The drag's last move may not be drawn (nor its figures computed) until something
    // renders again: render once the measurement is complete.
    eventTarget.addEventListener(toolEnums.Events.ANNOTATION_COMPLETED, () => {
      for (const pane of this.panes) this.viewport(pane)?.render();
    });
    for (const name of ["ANNOTATION_COMPLETED", "ANNOTATION_MODIFIED", "ANNOTATION_REMOVED"]) {
      eventTarget.addEventListener(toolEnums.Events[name], measured);
    }

    let pending = 0;
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => this.engine.resize(true, true));
    });
    this.resizeObserver.observe(this.grid);
  }

  onKey(evt) {
    // (Cornerstone's own key listener on the viewport calls preventDefault on every key.)
    if (evt.altKey || evt.ctrlKey || evt.metaKey) return;
    const t = evt.target;
    const inField = t instanceof Element && t.matches("input, select, textarea, [contenteditable]");
    const onButton = t instanceof Element && t.matches("button, a[href], summary");
    if (t instanceof Element && !this.root.contains(t) && t !== document.body) return;
    const pane = this.activePane;
    if (!pane) return;
    const key = evt.key;
    const handled = () => evt.preventDefault();
    if (inField && key !== "Escape") return;
    switch (key) {
      case "ArrowDown":
      case "PageDown":
        this.scrollBy(pane, key === "PageDown" ? 10 : 1);
        return handled();
      case "ArrowUp":
      case "PageUp":
        this.scrollBy(pane, key === "PageUp" ? -10 : -1);
        return handled();
      case "Home":
        this.scrollTo(pane, 0);
        return handled();
      case "End":
        this.scrollTo(pane, Number.MAX_SAFE_INTEGER);
        return handled();
      case " ":
      case "Spacebar":
        if (onButton) return; // Space presses the focused button
        this.toggleCine();
        return handled();
      case "Escape":
        if (!this.help.hidden) this.toggleHelp(false);
        return undefined;
      default:
        break;
    }
    switch (key.toLowerCase()) {
      case "i":
        this.toggleInvert();
        return handled();
      case "r":
        this.reset();
        return handled();
      case "w":
        this.setPrimary("wl");
        return handled();
      case "p":
        this.setPrimary("pan");
        return handled();
      case "z":
        this.setPrimary("zoom");
        return handled();
      case "m":
        this.setPrimary("length");
        return handled();
      case "o":
        this.setPrimary("roi");
        return handled();
      case "c":
        this.clearMeasurements();
        return handled();
      case "l":
        if (this.panes.length > 1) this.setLinked(!this.linked);
        return handled();
      case "1":
        this.setLayout("1x1");
        return handled();
      case "2":
        this.setLayout("1x2");
        return handled();
      case "+":
      case "=":
        this.zoomBy(1.25);
        return handled();
      case "-":
      case "_":
        this.zoomBy(0.8);
        return handled();
      case "?":
      case "h":
        this.toggleHelp();
        return handled();
      default:
        return undefined;
    }
  }
}

// ---------------------------------------------------------------- start-up

// Cornerstone's measurement labels are SVG text with a style attribute, which the site's
// Content-Security-Policy (style-src 'self', no inline styles) refuses. The same declarations
// set through the CSSOM are allowed: SVG elements take a style attribute that way.
function styleSvgThroughCssom() {
  const setAttribute = SVGElement.prototype.setAttribute;
  SVGElement.prototype.setAttribute = function setAttributeOrStyle(name, value) {
    if (name === "style") {
      this.style.cssText = String(value);
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
}

let started = false;

async function start() {
  const root = document.getElementById("lightbox-viewer");
  if (!root || started) return;
  started = true;
  const fail = (message) => {
    root.classList.add("lbv");
    const box = h("div", { class: "lbv-error", role: "alert", text: message });
    root.replaceChildren(box);
    root.dataset.viewerError = message;
    document.body.dataset.viewerError = message;
  };
  const url = root.dataset.manifestUrl;
  if (!url) {
    fail("This page has no image list (data-manifest-url is missing).");
    return;
  }
  root.setAttribute("aria-busy", "true");
  let manifest;
  try {
    manifest = await fetchManifest(url);
  } catch (err) {
    fail(err instanceof ManifestError ? err.message : `The viewer could not start: ${err}`);
    return;
  }
  try {
    styleSvgThroughCssom();
    csInit();
    toolsInit();
    dicomLoaderInit({
      maxWebWorkers: Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 2) - 1)),
      strict: false,
    });
    registerWebImageLoader();
    for (const Tool of [
      WindowLevelTool,
      PanTool,
      ZoomTool,
      StackScrollTool,
      LengthTool,
      EllipticalROITool,
    ]) {
      addTool(Tool);
    }
  } catch (err) {
    fail(`The viewer could not start: ${describeError(err)}`);
    return;
  }
  const viewer = new Viewer(root, manifest);
  window.lightboxViewer = viewer; // for debugging from the console
  await viewer.setLayout(manifest.layout);
  root.removeAttribute("aria-busy");
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
