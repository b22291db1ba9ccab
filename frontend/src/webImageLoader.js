// A small Cornerstone image loader for ordinary web images (PNG, JPEG, GIF, WebP): image ids
// "web:<absolute URL>". The file is fetched (connect-src 'self'), decoded with createImageBitmap
// and turned into 8-bit RGB pixel data, so zoom, pan, invert, W/L and PNG export work exactly as
// for DICOM. No <img> element and no blob: URL is involved.
import { imageLoader, metaData, utilities } from "@cornerstonejs/core";

export const WEB_SCHEME = "web";
const PREFIX = `${WEB_SCHEME}:`;
const sizes = new Map(); // imageId -> { rows, columns }

function provider(type, imageId) {
  if (typeof imageId !== "string" || !imageId.startsWith(PREFIX)) return undefined;
  const size = sizes.get(imageId);
  if (!size) return undefined;
  const { rows, columns } = size;
  switch (type) {
    case "imagePixelModule":
      return {
        samplesPerPixel: 3,
        photometricInterpretation: "RGB",
        rows,
        columns,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        pixelRepresentation: 0,
        planarConfiguration: 0,
      };
    case "imagePlaneModule":
      return {
        rows,
        columns,
        frameOfReferenceUID: `lightbox.web.${imageId}`,
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        rowCosines: [1, 0, 0],
        columnCosines: [0, 1, 0],
        imagePositionPatient: [0, 0, 0],
        pixelSpacing: [1, 1],
        rowPixelSpacing: 1,
        columnPixelSpacing: 1,
        usingDefaultValues: true,
      };
    case "generalSeriesModule":
      return { modality: "OT" };
    case "voiLutModule":
      return { windowCenter: [128], windowWidth: [256] };
    case "modalityLutModule":
      return { rescaleSlope: 1, rescaleIntercept: 0 };
    default:
      return undefined;
  }
}

function makeCanvas(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

async function decode(url, signal) {
  const response = await fetch(url, { credentials: "same-origin", signal });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status} for ${url}`);
  }
  const blob = await response.blob();
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(`Not a displayable image: ${url}`);
  }
  const { width, height } = bitmap;
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { width, height, rgb, canvas };
}

function loadWebImage(imageId) {
  const controller = new AbortController();
  const url = imageId.slice(PREFIX.length);
  const promise = decode(url, controller.signal).then(({ width, height, rgb, canvas }) => {
    sizes.set(imageId, { rows: height, columns: width });
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({
      width,
      height,
      numberOfComponents: 3,
      scalarData: rgb,
      id: imageId,
    });
    return {
      imageId,
      minPixelValue: 0,
      maxPixelValue: 255,
      slope: 1,
      intercept: 0,
      windowCenter: 128,
      windowWidth: 256,
      voiLUTFunction: "LINEAR",
      getPixelData: () => voxelManager.getScalarData(),
      getCanvas: () => canvas,
      rows: height,
      columns: width,
      height,
      width,
      color: true,
      rgba: false,
      numberOfComponents: 3,
      columnPixelSpacing: 1,
      rowPixelSpacing: 1,
      invert: false,
      photometricInterpretation: "RGB",
      sizeInBytes: rgb.byteLength,
      dataType: "Uint8Array",
      voxelManager,
    };
  });
  return { promise, cancelFn: () => controller.abort() };
}

export function registerWebImageLoader() {
  imageLoader.registerImageLoader(WEB_SCHEME, loadWebImage);
  metaData.addProvider(provider, 10000);
}
