import { describe, expect, it } from 'vitest'
import { addComment, applyLike, enrolmentStatus, fitText, inviteeText, normaliseCode, parseTags, reviewProblem } from '../src/lib/community'

describe('fitText', () => {
  it('shows the 0–10000 score as a percentage', () => {
    expect(fitText(7200)).toBe('匹配度 72%')
    expect(fitText(10000)).toBe('匹配度 100%')
    expect(fitText(0)).toBe('匹配度 0%')
    expect(fitText(12345)).toBe('匹配度 100%')
  })
  it('shows nothing without a score (sorted by application time)', () => {
    expect(fitText(null)).toBe('')
    expect(fitText(undefined)).toBe('')
  })
})

describe('likes and comments', () => {
  const posts = [
    { id: 1, like_count: 0, liked_by_me: false, comment_count: 0 },
    { id: 2, like_count: 3, liked_by_me: false, comment_count: 1 }
  ]
  it('applies the API answer to its post only', () => {
    const after = applyLike(posts, { post_id: 2, liked: true, like_count: 4 })
    expect(after[1]).toEqual({ id: 2, like_count: 4, liked_by_me: true, comment_count: 1 })
    expect(after[0]).toBe(posts[0])
    expect(posts[1].like_count).toBe(3) // not mutated
  })
  it('an unlike takes the count the API says', () => {
    expect(applyLike(posts, { post_id: 1, liked: false, like_count: 0 })[0].liked_by_me).toBe(false)
  })
  it('a comment raises the count of its post', () => {
    expect(addComment(posts, 2).map((p) => p.comment_count)).toEqual([0, 2])
  })
})

describe('parseTags', () => {
  it('splits on spaces, commas and #, drops duplicates', () => {
    expect(parseTags('#Python #小程序, 求职，Python')).toEqual(['Python', '小程序', '求职'])
    expect(parseTags('   ')).toEqual([])
  })
  it('keeps at most 10 tags of at most 20 characters', () => {
    const many = Array.from({ length: 15 }, (_, i) => `t${i}`).join(' ')
    expect(parseTags(many)).toHaveLength(10)
    expect(parseTags('a'.repeat(30))[0]).toHaveLength(20)
  })
})

describe('invitations', () => {
  it('normalises a typed code', () => {
    expect(normaliseCode(' k7q2 mz8p ')).toEqual({ code: 'K7Q2MZ8P', valid: true })
    expect(normaliseCode('K7Q2MZ8').valid).toBe(false)
    expect(normaliseCode('K7Q2MZ8-').valid).toBe(false)
  })
  it("tells an invitee's progress", () => {
    expect(inviteeText({ status: 'pending', phone_bound: false, profile_completed: false })).toBe('待绑定手机、完善简历')
    expect(inviteeText({ status: 'pending', phone_bound: true, profile_completed: false })).toBe('待完善简历')
    expect(inviteeText({ status: 'credited', phone_bound: true, profile_completed: true })).toBe('已计入')
    expect(inviteeText({ status: 'refused', phone_bound: true, profile_completed: true })).toContain('不计入')
  })
})

describe('mentor challenges', () => {
  it('names the enrolment states, passed or not after the review', () => {
    expect(enrolmentStatus({ status: 'enrolled' }).text).toContain('待提交')
    expect(enrolmentStatus({ status: 'reviewed', accepted: true })).toEqual({ text: '已通过', tone: 'ok' })
    expect(enrolmentStatus({ status: 'reviewed', accepted: false }).text).toContain('未通过')
  })
  it("checks a review before sending it", () => {
    expect(reviewProblem('86', '实现清晰', '')).toBeNull()
    expect(reviewProblem('101', '实现清晰', '')).toContain('0–100')
    expect(reviewProblem('8.5', '实现清晰', '')).toContain('0–100')
    expect(reviewProblem('', '实现清晰', '')).toContain('0–100')
    expect(reviewProblem('86', '好', '')).toContain('评语')
    expect(reviewProblem('86', '实现清晰', '很好')).toContain('推荐信')
    expect(reviewProblem('86', '实现清晰', '该学员工程能力扎实，推荐。')).toBeNull()
  })
})
