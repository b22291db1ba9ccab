// The presenter's page (templates/conference/present.html): keys and buttons move through
// the agenda without leaving the page (a navigation would leave full screen), and the
// histogram of the open question refreshes every 1.5 s. Without this script the same
// buttons are plain forms.
const root = document.querySelector("[data-present]");
const KEYS = {
  ArrowRight: "next", n: "next", N: "next", PageDown: "next",
  ArrowLeft: "previous", p: "previous", P: "previous", PageUp: "previous",
  q: "question", Q: "question", r: "reveal", R: "reveal",
};
const POLL_MS = 1500;
let busy = false;
let timer = null;

function csrf() {
  return root.querySelector("[name=csrfmiddlewaretoken]").value;
}

async function move(action, extra = {}) {
  if (busy) return;
  busy = true;
  try {
    const body = new URLSearchParams({ action, ...extra });
    const response = await fetch(root.dataset.moveUrl, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`move ${action}: ${response.status}`);
    await redraw();
  } catch (error) {
    console.warn(error);
    // Out of step (signed out, another tab moved on): the page as the server has it.
    window.location.reload();
  } finally {
    busy = false;
  }
}

// Replace the page's content with the server's current one, in place.
async function redraw() {
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`redraw: ${response.status}`);
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("[data-present]");
  if (!fresh) throw new Error("redraw: no presenter page");
  root.replaceChildren(...fresh.childNodes);
  for (const name of ["stage", "question", "version"]) root.dataset[name] = fresh.dataset[name];
  document.title = page.title;
  setUp();
}

function setUp() {
  const full = root.querySelector("[data-fullscreen]");
  if (full && document.fullscreenEnabled) {
    full.hidden = false;
    full.textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
  }
  clearTimeout(timer);
  if (root.dataset.question) timer = setTimeout(poll, POLL_MS);
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else root.requestFullscreen().catch((error) => console.warn(error));
}

// -- the histogram ------------------------------------------------------------------------

async function poll() {
  try {
    if (!document.hidden) {
      const response = await fetch(root.dataset.resultsUrl, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const state = await response.json();
        if (String(state.version) !== root.dataset.version) {
          await redraw(); // moved elsewhere (another tab): follow it
          return;
        }
        drawHistogram(state.histogram);
      }
    }
  } catch (error) {
    console.warn(error);
  }
  if (root.dataset.question) timer = setTimeout(poll, POLL_MS);
}

function drawHistogram(data) {
  const box = root.querySelector("[data-histogram]");
  if (!box) return;
  box.querySelector("[data-total]").textContent = data.total;
  const list = box.querySelector("[data-bars]");
  const items = data.bars.map((bar) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.className = "bar-label";
    label.textContent = bar.label; // typed by attendees: text, never HTML
    const meter = document.createElement("meter");
    meter.min = 0;
    meter.max = data.total;
    meter.value = bar.count;
    const count = document.createElement("span");
    count.className = "bar-count";
    count.textContent = bar.count;
    li.append(label, meter, count);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No answers yet.";
    items.push(li);
  }
  list.replaceChildren(...items);
  const other = box.querySelector("[data-other]");
  other.hidden = !data.other.count;
  other.textContent = `and ${data.other.count} other answer${data.other.count === 1 ? "" : "s"} (${data.other.groups} different)`;
}

// -- keys and buttons ---------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "f" || event.key === "F") {
    event.preventDefault();
    toggleFullscreen();
  } else if (event.key === "v" || event.key === "V") {
    const link = root.querySelector("[data-viewer-link]");
    if (link) window.open(link.href, "_blank", "noopener");
  } else if (KEYS[event.key]) {
    event.preventDefault();
    move(KEYS[event.key]);
  }
});

root.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-move-form]");
  if (!form) return;
  event.preventDefault();
  const action = event.submitter?.value || "next";
  const extra = action === "goto" ? { item: form.elements.item.value } : {};
  move(action, extra);
});

root.addEventListener("click", (event) => {
  if (event.target.closest("[data-fullscreen]")) toggleFullscreen();
});

document.addEventListener("fullscreenchange", setUp);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && root.dataset.question) {
    clearTimeout(timer);
    poll();
  }
});

setUp();
