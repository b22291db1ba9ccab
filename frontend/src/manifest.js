// Reads and checks the manifest Django renders for one viewer page, and turns each stack's URLs
// into Cornerstone image ids:
//   kind "dicom": wadouri:<absolute URL>, one id per frame (?frame=N, 1-based) for multi-frame
//   kind "web":   web:<absolute URL> (PNG/JPEG, decoded by webImageLoader.js)

export class ManifestError extends Error {}

function absolute(url) {
  return new URL(url, document.baseURI).href;
}

function frameId(url, frame) {
  return `wadouri:${url}${url.includes("?") ? "&" : "?"}frame=${frame}`;
}

export function expandImageIds(stack) {
  const urls = stack.imageIds.map(absolute);
  if (stack.kind === "web") {
    return urls.map((u) => `web:${u}`);
  }
  const ids = [];
  urls.forEach((u, i) => {
    const frames = Math.max(1, Number.parseInt(stack.frames?.[i] ?? 1, 10) || 1);
    if (frames === 1) {
      ids.push(`wadouri:${u}`);
    } else {
      for (let f = 1; f <= frames; f += 1) ids.push(frameId(u, f));
    }
  });
  return ids;
}

function normaliseWindow(w) {
  if (!w || typeof w !== "object") return null;
  const center = Number(w.center);
  const width = Number(w.width);
  if (!Number.isFinite(center) || !Number.isFinite(width) || width <= 0) return null;
  return { center, width };
}

export function normaliseManifest(data) {
  if (!data || typeof data !== "object" || !Array.isArray(data.stacks)) {
    throw new ManifestError("The image manifest has no list of stacks.");
  }
  const stacks = data.stacks
    .filter((s) => s && Array.isArray(s.imageIds) && s.imageIds.length > 0)
    .map((s, i) => {
      const kind = s.kind === "web" ? "web" : "dicom";
      const modality = String(s.modality || (kind === "web" ? "OT" : "")).toUpperCase();
      return {
        label: String(s.label || `Series ${i + 1}`),
        modality,
        kind,
        imageIds: expandImageIds({ ...s, kind }),
        invert: s.invert === undefined ? modality === "NM" : Boolean(s.invert),
        window: normaliseWindow(s.window),
      };
    });
  if (stacks.length === 0) {
    throw new ManifestError("This image has nothing to display.");
  }
  const layout = data.layout === "1x2" ? "1x2" : "1x1";
  return { title: String(data.title || ""), stacks, layout };
}

export async function fetchManifest(url) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch (err) {
    throw new ManifestError(`The image list could not be fetched (${err.message}).`);
  }
  if (!response.ok) {
    throw new ManifestError(`The image list could not be loaded (HTTP ${response.status}).`);
  }
  let data;
  try {
    data = await response.json();
  } catch {
    throw new ManifestError("The image list is not valid JSON.");
  }
  return normaliseManifest(data);
}
