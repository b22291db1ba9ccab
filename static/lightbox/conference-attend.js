// An attendee's phone (templates/conference/attend.html): follows the presenter by
// polling a tiny state document every 1.5 s, redrawing the page only when the presenter
// moved; sends the answer without leaving the page. Without this script the page
// refreshes itself (except while an answer can be typed) and the form posts as usual.
const root = document.querySelector("[data-attend]");
const POLL_MS = 1500;
let timer = null;

function say(text) {
  const status = root.querySelector("[data-status]");
  if (status) status.textContent = text;
}

async function poll() {
  clearTimeout(timer);
  try {
    if (!document.hidden) {
      const response = await fetch(root.dataset.stateUrl, { cache: "no-store" });
      if (response.status === 404) {
        ended();
        return;
      }
      if (response.ok) {
        const state = await response.json();
        if (String(state.version) !== root.dataset.version) await redraw();
      }
    }
  } catch (error) {
    console.warn(error); // the wifi dropped: try again at the next tick
  }
  timer = setTimeout(poll, POLL_MS + Math.random() * 300);
}

function ended() {
  const p = document.createElement("p");
  p.className = "waiting";
  p.textContent = "The conference has ended. Thank you for taking part.";
  root.replaceChildren(p);
  say(p.textContent);
}

async function redraw() {
  const response = await fetch(window.location.href, { cache: "no-store" });
  if (response.status === 404) {
    ended();
    return;
  }
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("[data-attend]");
  if (!fresh) return;
  // Keep what is being typed if the question is still open after the redraw.
  const typing = root.querySelector("#answer");
  const draft = typing && document.activeElement === typing ? typing.value : null;
  root.replaceChildren(...fresh.childNodes);
  root.dataset.version = fresh.dataset.version;
  root.dataset.stage = fresh.dataset.stage;
  const input = root.querySelector("#answer");
  if (input && draft !== null) {
    input.value = draft;
    input.focus();
  }
  say(
    {
      unknown: "A new case is shown.",
      open: "The question is open: type your answer.",
      closed: "The question is closed.",
      revealed: "The diagnosis is revealed.",
    }[root.dataset.stage] || "",
  );
}

root.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-answer-form]");
  if (!form) return;
  event.preventDefault();
  const error = form.querySelector("[data-answer-error]");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
    });
    const data = await response.json();
    if (!response.ok) {
      error.textContent = data.error || "Your answer was not sent. Try again.";
      if (response.status === 409) await redraw();
      return;
    }
    error.textContent = "";
    root.querySelector("[data-own-answer]").textContent = data.answer;
    root.querySelector("[data-own-answer-line]").hidden = false;
    button.textContent = "Change my answer";
    say(`Your answer is in: ${data.answer}`);
  } catch (failure) {
    console.warn(failure);
    error.textContent = "Your answer was not sent (no connection?). Try again.";
  } finally {
    button.disabled = false;
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) poll();
});

timer = setTimeout(poll, POLL_MS);
