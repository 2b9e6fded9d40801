// What the phone does outside our API: wx.login, wx.requestPayment, wx.requestMerchantTransfer and
// wx.requestSubscribeMessage. On WeChat these are the real calls. A development build (DEV_CONTROLS) in a browser has
// no WeChat, so it asks the local fakes' controls to do what the user would do there — the same controls the backend
// tests use (infra/fakes): mint a login code, pay an order, confirm a transfer.
import Taro from '@tarojs/taro'

declare const wx: any // the WeChat global; present only in the weapp build

export class PlatformUnavailable extends Error {}

const inBrowser = process.env.TARO_ENV === 'h5'

/** True where the fakes' controls are usable: a development build. */
export const devControls: boolean = DEV_CONTROLS

async function control(base: string, path: string, body: unknown): Promise<any> {
  const res = await Taro.request({
    url: base + path,
    method: 'POST',
    header: { 'Content-Type': 'application/json' },
    data: JSON.stringify(body ?? {}),
    dataType: 'json'
  }).catch(() => ({ statusCode: 0, data: null }))
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const message = (res.data as any)?.message
    throw new Error(message ? `模拟操作失败：${message}` : '模拟操作失败，请确认本地平台（make dev）在运行')
  }
  return res.data
}

// The fake WeChat's openid of the development user, kept so the subscribe consent can reach the fake too (on a phone
// WeChat itself records what the user accepted).
const DEV_OPENID = 'codelink.dev.openid'

/** A wx.login code. In a development build a name picks which (fake) WeChat user logs in. */
export async function loginCode(devUser?: string): Promise<string> {
  if (devUser && devControls) {
    const answer = await control(FAKE_WECHAT_BASE, '/_fake/wechat/login-code', { user: devUser })
    Taro.setStorageSync(DEV_OPENID, answer.openid)
    return answer.code as string
  }
  if (inBrowser) throw new PlatformUnavailable('请在微信中打开 CodeLink 小程序登录')
  const { code } = await Taro.login()
  return code
}

export interface PayRequest {
  out_trade_no: string
  payment_params: { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string }
}

/** Pay an order with the signed wx.requestPayment parameters the API returned. Resolves when the user paid. */
export async function requestPayment(order: PayRequest): Promise<void> {
  if (inBrowser) {
    if (!devControls) throw new PlatformUnavailable('请在微信中打开 CodeLink 小程序支付')
    await control(FAKE_WECHATPAY_BASE, '/_fake/wechatpay/pay', { out_trade_no: order.out_trade_no })
    return
  }
  const p = order.payment_params
  await Taro.requestPayment({
    timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: p.signType as 'RSA', paySign: p.paySign
  })
}

export interface TransferRequest {
  out_bill_no: string | null
  package_info?: string | null
  merchant_transfer_params?: Record<string, string> | null
}

/** The developer confirms a merchant transfer (商家转账) into their WeChat balance. */
export async function confirmTransfer(payout: TransferRequest): Promise<void> {
  if (inBrowser) {
    if (!devControls) throw new PlatformUnavailable('请在微信中打开 CodeLink 小程序确认收款')
    if (!payout.out_bill_no) throw new Error('这笔转账还不能确认收款')
    await control(FAKE_WECHATPAY_BASE, `/_fake/wechatpay/transfers/${encodeURIComponent(payout.out_bill_no)}/confirm`, {})
    return
  }
  const params = payout.merchant_transfer_params ?? {}
  await new Promise<void>((resolve, reject) => {
    wx.requestMerchantTransfer({
      mchId: params.mchId,
      appId: params.appId,
      package: params.package ?? payout.package_info,
      success: () => resolve(),
      fail: (err: { errMsg?: string }) => reject(new Error(err?.errMsg?.includes('cancel') ? '已取消确认收款' : '确认收款失败'))
    })
  })
}

/** Ask for subscribe-message consent; returns the template ids the user accepted. */
export async function requestSubscribe(templateIds: string[]): Promise<string[]> {
  if (inBrowser) {
    // The browser has no subscribe dialog: the same question as a modal, so the consent is still the user's.
    const { confirm } = await Taro.showModal({
      title: '订阅消息提醒',
      content: '投递结果、任务进展和收款提醒将通过微信服务通知发送给你，每次同意可接收一条。',
      confirmText: '允许',
      cancelText: '暂不'
    })
    if (!confirm) return []
    const openid = devControls ? Taro.getStorageSync(DEV_OPENID) : ''
    if (openid) {
      for (const id of templateIds) await control(FAKE_WECHAT_BASE, '/_fake/wechat/subscribe', { openid, template_id: id, count: 1 })
    }
    return templateIds
  }
  const result = (await Taro.requestSubscribeMessage({ tmplIds: templateIds } as any)) as unknown as Record<string, string>
  return templateIds.filter((id) => result[id] === 'accept')
}
