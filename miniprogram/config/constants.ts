// Build-time constants (Taro's defineConstants): the app reads them as globals declared in types/global.d.ts.
//
// CODELINK_API_BASE      where the API is. The H5 build defaults to '/api' — the same origin that serves it, where
//                        infra/local/h5.py proxies to the gateway (no CORS needed). The weapp build needs an
//                        absolute URL (WeChat DevTools with 「不校验合法域名」 for a local http:// one).
// CODELINK_DEV_CONTROLS  '1' = a development build: login, payment and transfer confirmation go through the local
//                        fakes' controls (there is no WeChat in a browser). Never set for a release build.
// CODELINK_FAKE_WECHAT / CODELINK_FAKE_WECHATPAY   the fakes' base URLs (H5 default: same origin, proxied).
// CODELINK_SUBSCRIBE_TEMPLATES  comma-separated subscribe-message template ids (the backend's WECHAT_TEMPLATE_*).
type Env = Record<string, string | undefined>

export const DEFAULT_TEMPLATES = 'tmpl-application-update,tmpl-task-update,tmpl-money-update'

export function buildConstants(env: Env): Record<string, string> {
  const h5 = env.TARO_ENV === 'h5'
  const gateway = `http://127.0.0.1:${env.CODELINK_PORT_BASE || '9000'}`
  const fakes = (offset: number) => `http://127.0.0.1:${Number(env.CODELINK_PORT_BASE || '9000') + offset}`
  return {
    API_BASE: JSON.stringify(env.CODELINK_API_BASE ?? (h5 ? '/api' : gateway)),
    DEV_CONTROLS: JSON.stringify(env.CODELINK_DEV_CONTROLS === '1'),
    FAKE_WECHAT_BASE: JSON.stringify(env.CODELINK_FAKE_WECHAT ?? (h5 ? '' : fakes(101))),
    FAKE_WECHATPAY_BASE: JSON.stringify(env.CODELINK_FAKE_WECHATPAY ?? (h5 ? '' : fakes(104))),
    SUBSCRIBE_TEMPLATES: JSON.stringify((env.CODELINK_SUBSCRIBE_TEMPLATES || DEFAULT_TEMPLATES).split(',').filter(Boolean))
  }
}
