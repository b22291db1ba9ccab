// Builds the Lightbox viewer into dist/ with fixed entry names (viewer.js, viewer.css), served by
// Django at /static/viewer/. The decode worker, its code-split chunks and the decoders'
// WebAssembly files are emitted, hashed, under dist/assets/, and every reference to them is
// written as `new URL("assets/…", import.meta.url)`: relative to the bundle that loads them, so
// dist/ works wherever it is served. Nothing is inlined as a data: URL.
import { defineConfig } from "vite";

// Emscripten glue in the codecs mentions Node's fs/path behind a runtime check; Vite stubs them
// for the browser and says so once per import. Those notes are expected, not problems.
function quiet(log, handler) {
  const text = String(log.message ?? log);
  if (text.includes("externalized for browser compatibility")) return;
  if (log.code === "PLUGIN_TIMINGS") return;
  handler(log);
}

const chunkNames = {
  entryFileNames: "assets/[name]-[hash].js",
  chunkFileNames: "assets/[name]-[hash].js",
  assetFileNames: "assets/[name]-[hash][extname]",
};

export default defineConfig({
  base: "/static/viewer/",
  publicDir: false,
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: false, // no injected polyfill; chunks are plain ES imports
    assetsInlineLimit: 0, // never turn an asset (wasm) into a data: URL
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      input: { viewer: "src/viewer.js" },
      checks: { pluginTimings: false },
      onLog(level, log, handler) {
        quiet(log, (l) => handler(level, l));
      },
      output: {
        ...chunkNames,
        entryFileNames: "[name].js",
        assetFileNames: (asset) =>
          (asset.names ?? [asset.name]).some((n) => n?.endsWith(".css"))
            ? "viewer.css"
            : "assets/[name]-[hash][extname]",
      },
    },
  },
  worker: {
    format: "es",
    rolldownOptions: {
      checks: { pluginTimings: false },
      onLog(level, log, handler) {
        quiet(log, (l) => handler(level, l));
      },
      output: chunkNames,
    },
  },
  experimental: {
    // URLs of built assets inside JS resolve against import.meta.url, not the site root.
    renderBuiltUrl: (_filename, { hostType }) => (hostType === "js" ? { relative: true } : undefined),
  },
});
