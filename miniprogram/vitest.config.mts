import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Unit tests of the client's pure parts (formatting, the hall query, the publish form, the typed API client, the
// build constants, navigation). Pages are exercised end to end in a real browser by tests/e2e/test_miniprogram.py.
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  define: {
    API_BASE: JSON.stringify('/api'),
    DEV_CONTROLS: 'false',
    FAKE_WECHAT_BASE: JSON.stringify(''),
    FAKE_WECHATPAY_BASE: JSON.stringify(''),
    SUBSCRIBE_TEMPLATES: JSON.stringify(['t1'])
  },
  test: { include: ['test/**/*.test.ts'], environment: 'node' }
})
