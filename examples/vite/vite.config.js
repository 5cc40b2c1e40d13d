// simdnet trains on several threads only in a cross-origin isolated page: these two headers make
// Vite's dev and preview servers isolate it (serve the built dist/ with them too).
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  // simdnet/web finds its worker and wasm files with new URL('./file', import.meta.url); Vite's
  // dependency pre-bundling would move the module away from them (production builds are fine).
  optimizeDeps: { exclude: ['simdnet'] },
});
