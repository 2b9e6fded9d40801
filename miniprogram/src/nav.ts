// Every page of the app in one place: routes, the tab bar and the 「我的」 menu. A new feature (growth, check-in,
// challenges, leaderboards, chat, reports …) adds its page folder, one line in PAGES and, if it belongs in the menu,
// one entry in MENU — nothing else changes.

export const PAGES = {
  hall: 'pages/hall/index',
  applications: 'pages/applications/index',
  notifications: 'pages/notifications/index',
  me: 'pages/me/index',
  login: 'pages/login/index',
  task: 'pages/task/index',
  work: 'pages/work/index',
  payouts: 'pages/payouts/index',
  resume: 'pages/resume/index',
  dispute: 'pages/dispute/index',
  disputes: 'pages/disputes/index',
  memberships: 'pages/memberships/index',
  growth: 'pages/growth/index',
  leaderboard: 'pages/leaderboard/index',
  checkin: 'pages/checkin/index',
  challenges: 'pages/challenges/index',
  draw: 'pages/draw/index',
  community: 'pages/community/index',
  invite: 'pages/invite/index',
  mentors: 'pages/mentors/index',
  merchantProfile: 'pages/merchant/profile/index',
  merchantTasks: 'pages/merchant/tasks/index',
  publish: 'pages/merchant/publish/index',
  manage: 'pages/merchant/manage/index',
  card: 'pages/card/index',
  reports: 'pages/reports/index',
  chat: 'pages/chat/index',
  chats: 'pages/chats/index'
} as const

export type PageName = keyof typeof PAGES

/** The tab bar (WeChat allows 2–5 tabs). */
export const TABS: { page: PageName; text: string }[] = [
  { page: 'hall', text: '任务大厅' },
  { page: 'applications', text: '我的投递' },
  { page: 'growth', text: '成长' },
  { page: 'notifications', text: '消息' },
  { page: 'me', text: '我的' }
]

export type Role = 'developer' | 'merchant'

export interface MenuEntry { page: PageName; text: string; role: Role | 'any'; id: string }

/** The 「我的」 menu, per role. */
export const MENU: MenuEntry[] = [
  { page: 'resume', text: '简历卡片', role: 'developer', id: 'menu-resume' },
  { page: 'payouts', text: '收入与收款', role: 'developer', id: 'menu-payouts' },
  { page: 'checkin', text: '每日签到', role: 'developer', id: 'menu-checkin' },
  { page: 'challenges', text: '挑战与抽奖', role: 'developer', id: 'menu-challenges' },
  { page: 'leaderboard', text: '排行榜', role: 'developer', id: 'menu-leaderboard' },
  { page: 'reports', text: '我的成长报告', role: 'developer', id: 'menu-reports' },
  { page: 'publish', text: '发布任务', role: 'merchant', id: 'menu-publish' },
  { page: 'merchantTasks', text: '我发布的任务', role: 'merchant', id: 'menu-merchant-tasks' },
  { page: 'merchantProfile', text: '商家资料', role: 'merchant', id: 'menu-merchant-profile' },
  { page: 'mentors', text: '导师特训', role: 'developer', id: 'menu-mentors' },
  { page: 'chats', text: '任务会话', role: 'any', id: 'menu-chats' },
  { page: 'community', text: '社区', role: 'any', id: 'menu-community' },
  { page: 'invite', text: '邀请好友', role: 'any', id: 'menu-invite' },
  { page: 'disputes', text: '我的纠纷', role: 'any', id: 'menu-disputes' },
  { page: 'memberships', text: '会员与权益', role: 'any', id: 'menu-memberships' }
]

export function menuFor(roles: string[]): MenuEntry[] {
  return MENU.filter((m) => m.role === 'any' || roles.includes(m.role))
}

/** A page URL with its query ("/pages/task/index?id=3"). */
export function url(page: PageName, query: Record<string, string | number | undefined> = {}): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&')
  return `/${PAGES[page]}${q ? `?${q}` : ''}`
}
