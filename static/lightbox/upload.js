// Upload page: drag and drop (files and folders), upload progress, then each file's
// processing status, polled from the API. Without this script the form still posts and
// the status page refreshes itself.

const form = document.querySelector(".upload-form");
const zone = form.querySelector("[data-drop-zone]");
const chosen = form.querySelector("[data-chosen]");
const status = document.querySelector("[data-status]");
const summary = status.querySelector("[data-summary]");
const bar = status.querySelector("[data-bar]");
const rows = status.querySelector("[data-rows]");
let dropped = [];

function picked() {
  const inputs = [...form.querySelectorAll("input[type=file]")];
  return dropped.concat(inputs.flatMap((input) => [...input.files]));
}

function showChosen() {
  const n = picked().length;
  chosen.textContent = n ? `${n} file${n === 1 ? "" : "s"} chosen.` : "No files chosen.";
}

async function entryFiles(entry) {
  if (entry.isFile) {
    return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  }
  const reader = entry.createReader();
  const files = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return files;
    for (const child of batch) files.push(...(await entryFiles(child)));
  }
}

form.addEventListener("change", showChosen);
zone.addEventListener("dragover", (event) => {
  event.preventDefault();
  zone.classList.add("over");
});
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", async (event) => {
  event.preventDefault();
  zone.classList.remove("over");
  const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.());
  if (entries.every(Boolean)) {
    for (const entry of entries) dropped.push(...(await entryFiles(entry)));
  } else {
    dropped.push(...event.dataTransfer.files);
  }
  showChosen();
});

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function render(upload) {
  const done = upload.state === "done" || upload.state === "failed";
  summary.textContent =
    `${done ? (upload.state === "done" ? "Done" : "Failed") : "Processing"}: ` +
    `${upload.processed} of ${upload.total} file${upload.total === 1 ? "" : "s"} processed` +
    (upload.failed ? `, ${upload.failed} failed.` : ".");
  bar.max = upload.total || 1;
  bar.value = upload.processed;
  rows.replaceChildren(
    ...upload.files.map((file) => {
      const tr = document.createElement("tr");
      tr.className = `state-${file.state}`;
      let outcome = file.state;
      if (file.state === "failed") outcome = file.error;
      else if (file.state === "done" && file.report.needs_pixel_review) outcome = "stored; needs pixel review";
      tr.append(cell(file.name), cell(file.step), cell(outcome));
      return tr;
    }),
  );
  status.dataset.state = upload.state;
  return done;
}

async function poll(url) {
  for (;;) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      summary.textContent = `Could not read the upload's status (${response.status}).`;
      return;
    }
    if (render(await response.json())) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

form.addEventListener("submit", (event) => {
  const files = picked();
  if (!files.length) return; // let the server say what is missing
  event.preventDefault();
  const data = new FormData();
  for (const file of files) data.append("files", file, file.webkitRelativePath || file.name);
  const request = new XMLHttpRequest();
  request.open("POST", form.dataset.api);
  request.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
  request.setRequestHeader("Accept", "application/json");
  status.hidden = false;
  rows.replaceChildren();
  request.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    bar.max = e.total;
    bar.value = e.loaded;
    summary.textContent = `Uploading: ${Math.round((100 * e.loaded) / e.total)}%`;
  });
  request.addEventListener("load", () => {
    let body = {};
    try {
      body = JSON.parse(request.responseText);
    } catch {
      body = {};
    }
    if (request.status !== 202) {
      summary.textContent = `Not uploaded: ${body.error?.message || request.statusText}`;
      status.dataset.state = "refused";
      return;
    }
    dropped = [];
    form.reset();
    showChosen();
    render(body);
    poll(body.url);
  });
  request.addEventListener("error", () => {
    summary.textContent = "The upload was interrupted. Nothing was stored; try again.";
  });
  request.send(data);
});
