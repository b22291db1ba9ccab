// Case and topic editor. The page works without this script (type a position, tick
// Remove, fill the empty row, press Save); with it, each ordered list gets Add, Move and
// Remove buttons and drag-to-reorder, every Markdown field a live preview, the case editor
// an autosaved draft, and leaving with unsaved changes asks first. Ctrl+S (Cmd+S) saves.

const PREVIEW_DELAY = 400; // ms after the last keystroke
const AUTOSAVE_DELAY = 2000; // ms after the last change
const AUTOSAVE_EVERY = 30000; // ms, while changes are not yet kept

const form = document.querySelector("form#case-editor, form#topic-editor");
if (form) enhance(form);

function enhance(form) {
  form.classList.add("js-editor");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("aria-live", "polite");
  form.append(announcer);
  const say = (text) => {
    announcer.textContent = text;
  };

  const guard = unsavedGuard(form);
  const autosave = form.dataset.autosaveUrl ? autosaver(form, csrf) : null;
  const changed = () => {
    guard.changed();
    autosave?.changed();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  for (const fieldset of form.querySelectorAll("fieldset[data-formset]")) {
    orderedList(fieldset, { changed, say });
  }
  for (const textarea of form.querySelectorAll("textarea[data-markdown]")) {
    livePreview(form, textarea, csrf);
  }

  form.addEventListener("submit", (event) => {
    if (autosave?.busy()) {
      // A draft still on its way could land after the save and be offered back as
      // "unsaved changes": let it arrive first.
      event.preventDefault();
      const submitter = event.submitter;
      autosave.busy().finally(() => form.requestSubmit(submitter));
      return;
    }
    for (const fieldset of form.querySelectorAll("fieldset[data-formset]")) renumber(fieldset);
    autosave?.stop();
    guard.saved();
  });

  document.addEventListener("keydown", (event) => {
    const save = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
    if (save && String(event.key).toLowerCase() === "s") {
      event.preventDefault(); // not the browser's "Save page as"
      form.requestSubmit();
    }
  });
}

// -- unsaved changes -------------------------------------------------------------------

function unsavedGuard(form) {
  let unsaved = false;
  window.addEventListener("beforeunload", (event) => {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show the prompt
  });
  const guard = {
    changed() {
      unsaved = true;
      form.dataset.unsaved = "true";
    },
    saved() {
      unsaved = false;
      delete form.dataset.unsaved;
    },
  };
  // Not saved yet: a draft brought back from autosave, or a save the server refused (a
  // field to correct, or someone else's save meanwhile) with the person's text in the form.
  const restored = new URLSearchParams(location.search).get("draft") === "restore";
  const refused = form.querySelector(".field-errors") || document.querySelector(".conflict");
  if (restored || refused) guard.changed();
  return guard;
}

// -- autosave --------------------------------------------------------------------------

function autosaver(form, csrf) {
  const status = form.querySelector("[data-autosave-status]");
  let dirty = false; // changes since the last kept draft
  let stopped = false;
  let timer = null;
  let inflight = null;
  const every = setInterval(() => dirty && keep(), AUTOSAVE_EVERY);

  function show(text, state) {
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state;
  }

  async function keep() {
    if (stopped || inflight) return;
    clearTimeout(timer);
    dirty = false;
    for (const fieldset of form.querySelectorAll("fieldset[data-formset]")) renumber(fieldset);
    inflight = (async () => {
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(body.error || `status ${response.status}`);
        const saved = new Date(body.saved);
        show(`Draft kept at ${hhmm(Number.isNaN(saved.getTime()) ? new Date() : saved)}`, "kept");
        return true;
      } catch (error) {
        dirty = true; // tried again at the next change, or at the next tick
        const why = error instanceof TypeError ? "offline?" : error.message;
        show(`Could not keep a draft (${why})`, "failed");
        return false;
      } finally {
        inflight = null;
      }
    })();
    // Changes typed while this draft was on its way get their own, a little later.
    if ((await inflight) && dirty && !stopped) schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(keep, AUTOSAVE_DELAY);
  }

  return {
    changed() {
      if (stopped) return;
      dirty = true;
      schedule();
    },
    busy: () => inflight,
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(every);
    },
  };
}

function hhmm(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// -- live Markdown preview -------------------------------------------------------------

function livePreview(form, textarea, csrf) {
  const box = form.querySelector(`[data-preview-for="${CSS.escape(textarea.id)}"]`);
  if (!box || !form.dataset.previewUrl) return;
  let timer = null;
  let latest = 0;

  async function render() {
    const ticket = ++latest;
    if (!textarea.value.trim()) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.hidden = false;
    box.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new URLSearchParams({ text: textarea.value }),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (ticket !== latest) return; // a newer keystroke has its own request
      if (!response.ok || typeof body.html !== "string") {
        throw new Error(body.error || `status ${response.status}`);
      }
      // The server sanitised this HTML (nh3): it is what the case page will show.
      box.innerHTML = body.html;
      box.classList.remove("md-preview-error");
    } catch (error) {
      if (ticket !== latest) return;
      const why = error instanceof TypeError ? "offline?" : error.message;
      box.textContent = `No preview (${why}).`;
      box.classList.add("md-preview-error");
    } finally {
      if (ticket === latest) box.removeAttribute("aria-busy");
    }
  }

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, PREVIEW_DELAY);
  });
  if (textarea.value.trim()) render();
}

// -- ordered lists (Django formsets with ORDER and DELETE) -----------------------------

function rowsOf(fieldset) {
  return [...fieldset.querySelector("[data-rows]").children].filter((li) =>
    li.matches("li[data-row]"),
  );
}

function deleteBox(row) {
  return row.querySelector("input[type=checkbox][name$='-DELETE']");
}

function orderInput(row) {
  return row.querySelector("input[name$='-ORDER']");
}

function isRemoved(row) {
  return Boolean(deleteBox(row)?.checked);
}

// The fields a person types into: not the position, not the Remove box, not hidden ones.
function valueFields(row) {
  return [...row.querySelectorAll("input, textarea, select")].filter(
    (el) =>
      el.type !== "hidden" &&
      el.type !== "radio" &&
      !el.name.endsWith("-ORDER") &&
      !el.name.endsWith("-DELETE"),
  );
}

function formIndex(row) {
  const match = orderInput(row)?.name.match(/-(\d+)-ORDER$/);
  return match ? Number(match[1]) : -1;
}

// A row added in the browser (or the server's spare row) with nothing typed in it. Django
// skips such a form only while it is unchanged, so it must not get a position either.
function isBlankNew(fieldset, row) {
  const initial = Number(management(fieldset, "INITIAL_FORMS").value);
  if (formIndex(row) < initial) return false;
  if (row.querySelector("input[type=hidden]:not([name$='-ORDER'])")) return false;
  return valueFields(row).every((el) => !el.value.trim());
}

function management(fieldset, name) {
  return fieldset.querySelector(`input[name="${fieldset.dataset.formset}-${name}"]`);
}

// Positions 1..n in page order, so that the formset's ordered_forms follow the screen.
function renumber(fieldset) {
  let n = 0;
  for (const row of rowsOf(fieldset)) {
    const input = orderInput(row);
    if (!input || isRemoved(row)) continue;
    input.value = isBlankNew(fieldset, row) ? "" : String(++n);
  }
}

function rowName(fieldset, row) {
  for (const el of valueFields(row)) {
    const text = el.tagName === "SELECT" ? "" : el.value.trim();
    if (text) return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  }
  const position = visibleRows(fieldset).indexOf(row) + 1;
  return `${fieldset.classList.contains("js-fixed") ? "image" : "item"} ${position}`;
}

function visibleRows(fieldset) {
  return rowsOf(fieldset).filter((row) => !row.hidden);
}

function button(text, className, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  if (label) {
    b.setAttribute("aria-label", label);
    b.title = label;
  }
  return b;
}

function orderedList(fieldset, { changed, say }) {
  const list = fieldset.querySelector("[data-rows]");
  const template = fieldset.querySelector("template[data-empty]");
  const total = management(fieldset, "TOTAL_FORMS");
  const title = fieldset.querySelector("legend")?.textContent.trim() || "the list";
  // Rows tied to a stored object by a hidden id (image captions) can be reordered, but
  // not made or removed here: the upload and pixel review pages do that.
  const fixed = Boolean(template?.content.querySelector("input[type=hidden]"));
  fieldset.classList.add("js-list");
  fieldset.classList.toggle("js-fixed", fixed);

  // The spare empty rows are for working without JavaScript; here "Add" makes rows.
  const rows = rowsOf(fieldset);
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i];
    if (formIndex(row) !== Number(total.value) - 1 || !isBlankNew(fieldset, row)) break;
    row.remove();
    total.value = String(Number(total.value) - 1);
  }
  for (const row of rowsOf(fieldset)) setUp(row);
  refresh();

  if (template && !fixed) {
    const add = button("Add", "row-add button-small", `Add to ${title}`);
    fieldset.append(add);
    add.addEventListener("click", () => {
      const index = Number(total.value);
      const row = template.content.querySelector("li[data-row]").cloneNode(true);
      for (const el of row.querySelectorAll("*")) {
        for (const attr of ["name", "id", "for", "aria-describedby"]) {
          const value = el.getAttribute(attr);
          if (value?.includes("__prefix__")) {
            el.setAttribute(attr, value.replaceAll("__prefix__", String(index)));
          }
        }
      }
      list.append(row);
      total.value = String(index + 1);
      setUp(row);
      refresh();
      valueFields(row)[0]?.focus();
      say(`New row ${visibleRows(fieldset).length} in ${title}.`);
    });
  }

  function setUp(row) {
    orderInput(row)?.setAttribute("tabindex", "-1");
    deleteBox(row)?.setAttribute("tabindex", "-1");
    const handle = document.createElement("span");
    handle.className = "row-handle";
    handle.draggable = true;
    handle.title = "Drag to reorder";
    handle.setAttribute("aria-hidden", "true");
    handle.textContent = "⠿";
    const tools = document.createElement("span");
    tools.className = "row-tools";
    const up = button("↑", "row-up", "");
    const down = button("↓", "row-down", "");
    const remove = button("Remove", "row-remove", "");
    tools.append(up, down);
    if (!fixed) tools.append(remove);
    row.prepend(handle);
    row.append(tools);
    up.addEventListener("click", () => move(row, -1, up));
    down.addEventListener("click", () => move(row, 1, down));
    remove.addEventListener("click", () => removeRow(row));
    if (isRemoved(row)) hideRemoved(row, false);
  }

  function refresh() {
    renumber(fieldset);
    const shown = visibleRows(fieldset);
    shown.forEach((row, i) => {
      const [up, down, remove] = row.querySelectorAll(".row-up, .row-down, .row-remove");
      if (!down) return; // not set up yet
      const name = rowName(fieldset, row);
      const label = (b, text) => {
        b?.setAttribute("aria-label", text);
        if (b) b.title = text;
      };
      label(up, `Move ${name} up`);
      label(down, `Move ${name} down`);
      label(remove, `Remove ${name}`);
      up.setAttribute("aria-disabled", String(i === 0));
      down.setAttribute("aria-disabled", String(i === shown.length - 1));
    });
    fieldset.classList.toggle("is-empty", shown.length === 0);
  }

  function move(row, step, focus) {
    const shown = visibleRows(fieldset);
    const at = shown.indexOf(row);
    const to = at + step;
    if (at < 0 || to < 0 || to >= shown.length) {
      say(`${rowName(fieldset, row)} is already ${step < 0 ? "first" : "last"}.`);
      return;
    }
    const keep = focus || document.activeElement;
    if (step < 0) shown[to].before(row);
    else shown[to].after(row);
    // Moving a node drops its focus; put it back where the person was.
    if (keep && row.contains(keep)) keep.focus();
    reordered(row);
  }

  function reordered(row) {
    refresh();
    changed();
    const shown = visibleRows(fieldset);
    say(`${rowName(fieldset, row)} moved to position ${shown.indexOf(row) + 1} of ${shown.length}.`);
  }

  function removeRow(row) {
    if (isBlankNew(fieldset, row)) {
      // Nothing typed, nothing to undo; Django treats the missing form as unchanged.
      const next = visibleRows(fieldset)[visibleRows(fieldset).indexOf(row) + 1];
      row.remove();
      refresh();
      (next?.querySelector(".row-remove") || fieldset.querySelector(".row-add"))?.focus();
      changed();
      return;
    }
    const box = deleteBox(row);
    if (box) box.checked = true;
    hideRemoved(row, true);
    changed();
  }

  function hideRemoved(row, announce) {
    const name = rowName(fieldset, row);
    row.hidden = true;
    const stub = document.createElement("li");
    stub.className = "row-removed";
    stub.dataset.stub = "";
    const text = document.createElement("span");
    text.textContent = `Removed: ${name}`;
    const undo = button("Undo", "row-undo", `Undo removing ${name}`);
    stub.append(text, " ", undo);
    row.after(stub);
    undo.addEventListener("click", () => {
      const box = deleteBox(row);
      if (box) box.checked = false;
      row.hidden = false;
      stub.remove();
      refresh();
      row.querySelector(".row-remove")?.focus();
      changed();
      say(`${name} is back.`);
    });
    refresh();
    if (announce) {
      undo.focus();
      say(`${name} removed; it goes when you save.`);
    }
  }

  // Keep the buttons' names in step with what is typed.
  list.addEventListener("input", refresh);

  // Alt+ArrowUp / Alt+ArrowDown in a row's field moves the row.
  list.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const row = event.target.closest("li[data-row]");
    if (!row || event.target.tagName === "SELECT") return; // Alt+Down opens a select
    event.preventDefault();
    move(row, event.key === "ArrowUp" ? -1 : 1, event.target);
  });

  // Drag and drop by the handle.
  let dragged = null;
  const clearMarks = () => {
    for (const li of list.querySelectorAll(".drop-before, .drop-after")) {
      li.classList.remove("drop-before", "drop-after");
    }
  };
  list.addEventListener("dragstart", (event) => {
    const handle = event.target.closest?.(".row-handle");
    if (!handle) return;
    dragged = handle.closest("li[data-row]");
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", rowName(fieldset, dragged));
    event.dataTransfer.setDragImage(dragged, 16, 16);
  });
  const target = (event) => {
    const row = event.target.closest?.("li[data-row]");
    if (!dragged || !row || row === dragged || row.parentElement !== list) return null;
    const box = row.getBoundingClientRect();
    return { row, after: event.clientY > box.top + box.height / 2 };
  };
  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks();
    const t = target(event);
    if (t) t.row.classList.add(t.after ? "drop-after" : "drop-before");
  });
  list.addEventListener("dragleave", (event) => {
    if (!list.contains(event.relatedTarget)) clearMarks();
  });
  list.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const t = target(event);
    clearMarks();
    if (!t) return;
    if (t.after) t.row.after(dragged);
    else t.row.before(dragged);
    reordered(dragged);
  });
  list.addEventListener("dragend", () => {
    clearMarks();
    dragged?.classList.remove("dragging");
    dragged = null;
  });
}
