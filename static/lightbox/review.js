// Pixel review: drag rectangles on the image; they are sent in image pixel coordinates.
const box = document.querySelector("[data-review]");
const img = box.querySelector("img");
const field = document.querySelector("[data-rects]");
const rects = [];
let start = null;
let current = null;

function scale() {
  return Number(box.dataset.width) / img.getBoundingClientRect().width;
}

function point(event) {
  const r = img.getBoundingClientRect();
  return { x: Math.max(0, event.clientX - r.left), y: Math.max(0, event.clientY - r.top) };
}

function sync() {
  field.value = JSON.stringify(rects);
  document.querySelector("[data-review-help]").textContent =
    `${rects.length} area${rects.length === 1 ? "" : "s"} drawn. Drag to add more.`;
}

box.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  start = point(event);
  current = document.createElement("div");
  current.className = "review-rect";
  box.append(current);
  box.setPointerCapture(event.pointerId);
});

box.addEventListener("pointermove", (event) => {
  if (!start) return;
  const p = point(event);
  Object.assign(current.style, {
    left: `${Math.min(p.x, start.x)}px`,
    top: `${Math.min(p.y, start.y)}px`,
    width: `${Math.abs(p.x - start.x)}px`,
    height: `${Math.abs(p.y - start.y)}px`,
  });
});

box.addEventListener("pointerup", (event) => {
  if (!start) return;
  const p = point(event);
  const s = scale();
  const rect = {
    x: Math.round(Math.min(p.x, start.x) * s),
    y: Math.round(Math.min(p.y, start.y) * s),
    width: Math.round(Math.abs(p.x - start.x) * s),
    height: Math.round(Math.abs(p.y - start.y) * s),
  };
  start = null;
  if (rect.width < 2 || rect.height < 2) {
    current.remove();
    return;
  }
  rects.push(rect);
  sync();
});
