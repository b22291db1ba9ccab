// The case page's reveal, in place: committing an answer (or "Show diagnosis") puts the
// answer where the reveal was and moves the reader to it, instead of loading the known
// page at its top. Without this script the same forms and links work as plain requests.
// Also the session's keys: ← or p for the previous case, → or n for the next.

const FRAGMENT = { "X-Lightbox-Fragment": "1" };

function landOn(section) {
  section.scrollIntoView({ block: "start" });
  section.focus({ preventScroll: true });
}

async function reveal(reveal, request) {
  let response;
  try {
    response = await fetch(request.url, request.init);
  } catch {
    return false;
  }
  if (!response.ok) return false;
  const holder = document.createElement("div");
  holder.innerHTML = await response.text();
  const answer = holder.querySelector("#answer");
  if (!answer) return false;
  // The answer and the comments that come with it go where the reveal was; the known
  // page's links (similar cases with the answer, print) replace the unknown's.
  const parts = [...holder.children];
  for (const part of parts.filter((p) => p.dataset.replaces)) {
    document.querySelector(part.dataset.replaces)?.replaceWith(part);
  }
  reveal.replaceWith(...parts.filter((p) => !p.dataset.replaces));
  // The address becomes the known page's, at its answer: what a reload or a shared link shows.
  if (request.known) window.history.replaceState(null, "", request.known);
  document.querySelectorAll("[data-session-nav] [data-key-next]").forEach((a) => {
    a.classList.remove("secondary");
  });
  landOn(answer);
  return true;
}

function enhanceReveal() {
  const section = document.getElementById("reveal");
  if (!section) return;
  const form = section.querySelector("form[data-answer-form]");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      const done = await reveal(section, {
        url: form.action,
        known: section.querySelector("a[data-reveal]")?.href,
        init: { method: "POST", body: new FormData(form), headers: FRAGMENT, credentials: "same-origin" },
      });
      if (!done) form.submit(); // let the server say what is wrong, as without script
    });
  }
  const link = section.querySelector("a[data-reveal]");
  if (link) {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      const done = await reveal(section, {
        url: link.dataset.reveal,
        known: link.href,
        init: { headers: FRAGMENT, credentials: "same-origin" },
      });
      if (!done) window.location.assign(link.href);
    });
  }
}

function enhanceKeys() {
  const nav = document.querySelector("[data-session-nav]");
  if (!nav) return;
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const wanted = { ArrowLeft: "prev", p: "prev", ArrowRight: "next", n: "next" }[event.key];
    if (!wanted) return;
    const link = nav.querySelector(`[data-key-${wanted}]`);
    if (link) {
      event.preventDefault();
      window.location.assign(link.href);
    }
  });
}

enhanceReveal();
enhanceKeys();
if (window.location.hash === "#answer") {
  const answer = document.getElementById("answer");
  if (answer) landOn(answer);
}
