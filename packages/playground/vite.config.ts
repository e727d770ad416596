/**
 * Vite build of the playground: index.html + src/ -> dist/web/ (relative
 * asset paths, so the folder deploys anywhere as plain static files), the
 * race worker as an ES module worker, and digits.bin (the compact MNIST
 * subset, build/digits.ts) emitted beside them; served in dev too.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { buildDigitsBin } from './build/digits.js';

function digits(): Plugin {
  let bin: Uint8Array | null = null;
  const get = () => (bin ??= buildDigitsBin());
  return {
    name: 'normkit-digits',
    configureServer(server) {
      server.middlewares.use('/digits.bin', (_req, res) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(Buffer.from(get()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'digits.bin', source: get() });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [digits()],
  // the library's thread pool imports node:worker_threads only under Node
  resolve: { alias: { 'node:worker_threads': fileURLToPath(new URL('./build/node-stub.ts', import.meta.url)) } },
  worker: { format: 'es' },
  build: { outDir: 'dist/web', emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: {
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  },
});
