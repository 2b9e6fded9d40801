import Taro from '@tarojs/taro'
import { TABS, url, type PageName } from '@/nav'

/** Go to a page: tabs with switchTab, others pushed on the stack. */
export function go(page: PageName, query?: Record<string, string | number | undefined>): void {
  if (TABS.some((t) => t.page === page)) void Taro.switchTab({ url: url(page) })
  else void Taro.navigateTo({ url: url(page, query) })
}

/** Replace the current page (after a form is done). */
export function replace(page: PageName, query?: Record<string, string | number | undefined>): void {
  if (TABS.some((t) => t.page === page)) void Taro.switchTab({ url: url(page) })
  else void Taro.redirectTo({ url: url(page, query) })
}
