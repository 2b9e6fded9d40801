// Pure helpers for the community, invitation and mentor pages (unit-tested in test/community.test.ts).

/** The applicants' sorts the API knows (GET /applications?sort=…), with their labels. */
export const APPLICANT_SORTS = [
  { key: 'applied', text: '投递先后' },
  { key: 'fit', text: '按匹配度' }
] as const
export type ApplicantSort = (typeof APPLICANT_SORTS)[number]['key']

/** The fit score (0–10000) as a percentage, "匹配度 72%"; nothing when the list was not sorted by fit. */
export function fitText(score: number | null | undefined): string {
  if (score === null || score === undefined) return ''
  const pct = Math.round(Math.max(0, Math.min(10000, score)) / 100)
  return `匹配度 ${pct}%`
}

interface Likeable { id: number; like_count: number; liked_by_me: boolean }

/** Apply the API's like answer to the post it is about; the other posts are kept as they are (same objects). */
export function applyLike<T extends Likeable>(posts: T[], like: { post_id: number; liked: boolean; like_count: number }): T[] {
  return posts.map((p) => (p.id === like.post_id ? { ...p, liked_by_me: like.liked, like_count: like.like_count } : p))
}

/** A new comment raises its post's count. */
export function addComment<T extends { id: number; comment_count: number }>(posts: T[], postId: number): T[] {
  return posts.map((p) => (p.id === postId ? { ...p, comment_count: p.comment_count + 1 } : p))
}

/** A composer's tags: "#Python #小程序, 求职" → ["Python", "小程序", "求职"] (no duplicates, at most 10, each ≤ 20 chars). */
export function parseTags(text: string): string[] {
  const seen: string[] = []
  for (const raw of text.split(/[\s,，、#]+/)) {
    const tag = raw.trim().slice(0, 20)
    if (tag && !seen.includes(tag)) seen.push(tag)
  }
  return seen.slice(0, 10)
}

/** An invitation code as typed: spaces dropped, upper-case; valid when it is 8 letters or digits. */
export function normaliseCode(text: string): { code: string; valid: boolean } {
  const code = text.replace(/\s+/g, '').toUpperCase()
  return { code, valid: /^[A-Z0-9]{8}$/.test(code) }
}

/** An invitee's progress, in words. */
export function inviteeText(i: { status: string; phone_bound: boolean; profile_completed: boolean }): string {
  if (i.status === 'credited') return '已计入'
  if (i.status === 'refused') return '判定为同一人，不计入'
  const missing = [i.phone_bound ? null : '绑定手机', i.profile_completed ? null : '完善简历'].filter(Boolean)
  return missing.length ? `待${missing.join('、')}` : '处理中'
}

/** An enrolment's state in words: enrolled → submitted → reviewed (passed or not, from `accepted`). */
export function enrolmentStatus(e: { status: string; accepted?: boolean | null }): { text: string; tone?: 'ok' | 'warn' | 'muted' } {
  if (e.status === 'enrolled') return { text: '已报名，待提交作品', tone: 'warn' }
  if (e.status === 'submitted') return { text: '已提交，待导师点评', tone: 'warn' }
  if (e.status === 'reviewed') return e.accepted ? { text: '已通过', tone: 'ok' } : { text: '已点评，未通过', tone: 'muted' }
  return { text: e.status }
}

/** A mentor's review: the score must be a whole number 0–100, the comment ≥ 2 chars, the letter empty or ≥ 10 chars. */
export function reviewProblem(score: string, comment: string, letter: string): string | null {
  const n = Number(score)
  if (!/^\d{1,3}$/.test(score.trim()) || n > 100) return '评分为 0–100 的整数'
  if (comment.trim().length < 2) return '请填写评语（至少 2 个字）'
  if (letter.trim() && letter.trim().length < 10) return '推荐信至少 10 个字，或留空'
  return null
}
