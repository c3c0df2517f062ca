import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `vite build --outDir <dir>` (CMake passes the build tree's web folder);
// `npm run dev` proxies the API to a bridge on KB_BRIDGE_URL.
const bridge = process.env.KB_BRIDGE_URL || 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': bridge, '/metrics': bridge },
  },
});
