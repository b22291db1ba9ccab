// The case page's main image, when it shows a series of several frames, scrolls through
// them in place, as on Radiopaedia: the mouse wheel over the image, dragging up and down
// (a finger too), the slider under it, and ↑ / ↓, Page Up / Down, Home / End once it has
// focus. The frames are the server's pictures of them (the same as the viewer page's
// pictures for readers without JavaScript), listed by the page in a JSON script; they are
// fetched ahead of the reader, a few at a time. Without JavaScript the key frame stays,
// with its link to the viewer.
//
// State for tests: figure[data-index] (0-based) and figure[data-loaded] (frames fetched).

const AHEAD = 4; // frames fetched at once
const DRAG_PX = 8; // pixels of drag per frame

function setUp(figure) {
  const source = document.getElementById(figure.dataset.stack);
  const img = figure.querySelector("img");
  if (!source || !img) return;
  let data;
  try {
    data = JSON.parse(source.textContent);
  } catch {
    return;
  }
  const frames = Array.isArray(data.frames) ? data.frames.map(String) : [];
  if (frames.length < 2) return;
  const total = frames.length;
  let index = Math.min(Math.max(Number(data.start) || 0, 0), total - 1);
  const alt = img.getAttribute("alt") || "Image";

  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "0";
  slider.max = String(total - 1);
  slider.step = "1";
  slider.className = "stack-slider";
  slider.setAttribute("aria-label", `Image in the stack (${total} images)`);
  const position = document.createElement("output");
  position.className = "stack-position";
  const hint = document.createElement("span");
  hint.className = "stack-hint";
  hint.textContent = "Scroll, drag or use ↑ ↓ to move through the stack";
  const bar = document.createElement("div");
  bar.className = "stack-bar";
  bar.append(slider, position, hint);
  (img.closest("a") ?? img).after(bar);

  figure.tabIndex = 0;
  figure.setAttribute("role", "group");
  figure.setAttribute("aria-label", `${alt}: a stack of ${total} images`);

  // The pictures fetched, kept so that the browser keeps them decoded.
  const cache = new Map();
  function show(i) {
    index = Math.min(Math.max(i, 0), total - 1);
    img.src = frames[index];
    img.alt = `${alt}, image ${index + 1} of ${total}`;
    img.removeAttribute("srcset");
    slider.value = String(index);
    position.textContent = `Image ${index + 1} of ${total}`;
    figure.dataset.index = String(index);
    prefetch();
  }

  // Fetch the frames nearest the one shown first, then outwards, AHEAD at a time.
  let inFlight = 0;
  function prefetch() {
    const order = [];
    for (let d = 0; d < total; d += 1) {
      if (index + d < total) order.push(index + d);
      if (d && index - d >= 0) order.push(index - d);
    }
    for (const i of order) {
      if (inFlight >= AHEAD) return;
      if (cache.has(i)) continue;
      inFlight += 1;
      const picture = new Image();
      cache.set(i, picture);
      picture.decoding = "async";
      const done = () => {
        inFlight -= 1;
        figure.dataset.loaded = String(Number(figure.dataset.loaded || 0) + 1);
        prefetch();
      };
      picture.onload = done;
      picture.onerror = done;
      picture.src = frames[i];
    }
  }

  slider.addEventListener("input", () => show(Number(slider.value)));
  figure.addEventListener(
    "wheel",
    (evt) => {
      if (!evt.deltaY) return;
      evt.preventDefault();
      show(index + (evt.deltaY > 0 ? 1 : -1));
    },
    { passive: false },
  );
  figure.addEventListener("keydown", (evt) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[evt.key];
    if (step) show(index + step);
    else if (evt.key === "Home") show(0);
    else if (evt.key === "End") show(total - 1);
    else return;
    evt.preventDefault();
  });

  // Dragging up and down moves through the stack; a drag is not a click on the link.
  let dragFrom = null;
  let dragged = false;
  // (A link is draggable: the browser's drag of it would take the pointer away.)
  img.draggable = false;
  const link = img.closest("a");
  if (link) link.draggable = false;
  figure.addEventListener("dragstart", (evt) => evt.preventDefault());
  img.addEventListener("pointerdown", (evt) => {
    if (evt.button !== 0) return;
    dragFrom = { y: evt.clientY, index };
    dragged = false;
    img.setPointerCapture(evt.pointerId);
  });
  img.addEventListener("pointermove", (evt) => {
    if (!dragFrom) return;
    const steps = Math.trunc((evt.clientY - dragFrom.y) / DRAG_PX);
    if (steps) dragged = true;
    if (dragFrom.index + steps !== index) show(dragFrom.index + steps);
  });
  const end = () => {
    dragFrom = null;
  };
  img.addEventListener("pointerup", end);
  img.addEventListener("pointercancel", end);
  link?.addEventListener("click", (evt) => {
    if (dragged) {
      evt.preventDefault();
      dragged = false;
    }
  });

  figure.classList.add("stack-ready");
  show(index);
}

for (const figure of document.querySelectorAll("figure[data-stack]")) setUp(figure);
