// Upload page: drag and drop (files and folders), upload progress, then each file's
// processing status, polled from the API. Without this script the form still posts (up to
// data-part-files files at a time) and the status page refreshes itself.
//
// Any number of files goes as ONE upload in parts: the upload is opened
// (POST …/uploads?open=true), each part of at most data-part-files files and about
// data-part-bytes bytes is added (POST /api/v1/uploads/{id}/files), then the upload is
// finished, which queues its processing once. If a part is refused, the upload is
// cancelled so that nothing sent waits on the server.

const form = document.querySelector(".upload-form");
const zone = form.querySelector("[data-drop-zone]");
const chosen = form.querySelector("[data-chosen]");
const status = document.querySelector("[data-status]");
const summary = status.querySelector("[data-summary]");
const bar = status.querySelector("[data-bar]");
const rows = status.querySelector("[data-rows]");
let dropped = [];

function path(file) {
  return file.webkitRelativePath || file.name;
}

// In path order (IM2 before IM10): a folder's listing comes in no particular order.
function picked() {
  const inputs = [...form.querySelectorAll("input[type=file]")];
  const files = dropped.concat(inputs.flatMap((input) => [...input.files]));
  return files.sort((a, b) => path(a).localeCompare(path(b), undefined, { numeric: true }));
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
// Files chosen before this script ran (a quick hand, a page restored from history) count
// too: their change event came before the listener.
showChosen();
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
      tr.className = `state-${file.needs_pixel_review ? "review" : file.state}`;
      const outcome = cell(file.outcome);
      if (file.needs_pixel_review) {
        const link = document.createElement("a");
        link.href = status.dataset.reviewUrl;
        link.textContent = "Pixel review";
        outcome.append(" — ", link);
      }
      tr.append(cell(file.name), cell(file.progress), outcome);
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

const partFiles = Number(form.dataset.partFiles) || 200;
const partBytes = Number(form.dataset.partBytes) || 64 * 1024 * 1024;

class Refused extends Error {}

function parts(files) {
  const result = [];
  let part = [];
  let size = 0;
  for (const file of files) {
    if (part.length && (part.length >= partFiles || size + file.size > partBytes)) {
      result.push(part);
      part = [];
      size = 0;
    }
    part.push(file);
    size += file.size;
  }
  if (part.length) result.push(part);
  return result;
}

function bytes(files) {
  return files.reduce((total, file) => total + file.size, 0);
}

// POST to the API; resolves with {status, body}, rejects only when the network fails.
function post(url, data, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    request.setRequestHeader("Accept", "application/json");
    if (onProgress) {
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
    }
    request.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = {};
      }
      resolve({ status: request.status, body, statusText: request.statusText });
    });
    request.addEventListener("error", () => reject(new Error("network")));
    request.send(data);
  });
}

function expect(answer, status) {
  if (answer.status !== status) throw new Refused(answer.body.error?.message || answer.statusText);
  return answer.body;
}

async function sendParts(upload, files) {
  const all = parts(files);
  const total = bytes(files) || 1;
  let sentFiles = 0;
  let sentBytes = 0;
  for (const [index, part] of all.entries()) {
    const data = new FormData();
    for (const file of part) data.append("files", file, path(file));
    const size = bytes(part);
    const first = sentFiles + 1;
    const last = sentFiles + part.length;
    const show = (fraction) => {
      bar.max = total;
      bar.value = sentBytes + fraction * size;
      summary.textContent =
        `Sending part ${index + 1} of ${all.length} (files ${first}–${last} of ${files.length}): ` +
        `${Math.round((100 * bar.value) / total)}% of the upload sent.`;
    };
    show(0);
    expect(await post(`${upload.url}/files`, data, show), 200);
    sentFiles = last;
    sentBytes += size;
  }
  summary.textContent = `All ${files.length} files sent; starting to process them.`;
}

async function upload(files) {
  const opened = expect(await post(`${form.dataset.api}?open=true`, null), 201);
  try {
    await sendParts(opened, files);
    return expect(await post(`${opened.url}/finish`, null), 202);
  } catch (error) {
    // Wipe at once what was sent; the server cancels an abandoned upload later anyway.
    post(`${opened.url}/cancel`, null).catch(() => {});
    throw error;
  }
}

form.addEventListener("submit", async (event) => {
  const files = picked();
  if (!files.length) return; // let the server say what is missing
  event.preventDefault();
  status.hidden = false;
  status.dataset.state = "sending";
  rows.replaceChildren();
  try {
    const body = await upload(files);
    dropped = [];
    form.reset();
    showChosen();
    render(body);
    poll(body.url);
  } catch (error) {
    status.dataset.state = "refused";
    summary.textContent =
      error instanceof Refused
        ? `Not uploaded: ${error.message}`
        : "The upload was interrupted. Nothing was stored; try again.";
  }
});
