// 导师特训: open challenges and enrolling (the growth pass is required: the API's refusal is shown with a way to buy
// it), my enrolments with the deliverable form (resubmittable until reviewed), the mentor's score, comment and letter;
// for an active mentor, the works waiting for a review and the review form.
import { useState } from 'react'
import { Input, Text, Textarea, View } from '@tarojs/components'
import { api, ApiError, type Schemas } from '@/api'
import { Btn, ErrorText, Field, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { dateTime, yuan } from '@/lib/format'
import { enrolmentStatus, reviewProblem } from '@/lib/community'
import { go } from '@/lib/navigate'

type Enrolment = Schemas['EnrolmentOut']
const signedIn = <T,>(load: () => Promise<T>) => () => (isSignedIn() ? load() : Promise.reject(new Error('请先登录')))

function ChallengeCard({ c, enrolled, onEnrolled }: { c: Schemas['ChallengeOut']; enrolled: boolean; onEnrolled: () => void }) {
  const action = useAction()
  const [needPass, setNeedPass] = useState(false)
  return (
    <View className='card' id={`mentor-challenge-${c.id}`}>
      <View className='between'>
        <Text className='strong'>{c.title}</Text>
        <Text className='money'>{yuan(c.bonus_fen)}</Text>
      </View>
      <View className='muted'>导师 {c.mentor_name}{c.mentor_title ? `（${c.mentor_title}）` : ''} · {c.pass_score} 分及格，通过得奖金</View>
      <View className='body-text small'>{c.brief}</View>
      {enrolled ? <Tag tone='ok'>已报名</Tag> : (
        <Btn id={`enrol-${c.id}`} size='mini' busy={action.busy} onTap={() => void action.run(async () => {
          try {
            await api.post('/mentors/challenges/{challenge_id}/enrol', { path: { challenge_id: c.id } })
          } catch (err) {
            setNeedPass(err instanceof ApiError && err.code === 'GROWTH_PASS_REQUIRED')
            throw err
          }
          onEnrolled()
        }, '报名成功')}>报名</Btn>
      )}
      <ErrorText error={action.error} />
      {needPass ? <View className='link' id='buy-growth-pass' onClick={() => go('memberships')}>去开通成长通行证 ›</View> : null}
    </View>
  )
}

function Deliverable({ e, onSaved }: { e: Enrolment; onSaved: () => void }) {
  const [link, setLink] = useState(e.deliverable_url)
  const [note, setNote] = useState(e.deliverable_note)
  const action = useAction()
  return (
    <View>
      <Field label='作品链接'>
        <Input id={`deliverable-url-${e.id}`} className='input' value={link} placeholder='https://…（代码仓库或演示地址）' onInput={(ev) => setLink(ev.detail.value)} />
      </Field>
      <Field label='说明（选填）'>
        <Textarea id={`deliverable-note-${e.id}`} className='textarea' value={note} maxlength={2000} onInput={(ev) => setNote(ev.detail.value)} />
      </Field>
      <Btn id={`deliverable-submit-${e.id}`} size='mini' busy={action.busy} disabled={!link.trim()} onTap={() => void action.run(async () => {
        await api.post('/mentors/enrolments/{enrolment_id}/deliverable', { path: { enrolment_id: e.id }, body: { url: link.trim(), note: note.trim() } })
        onSaved()
      }, '已提交')}>{e.status === 'submitted' ? '重新提交' : '提交作品'}</Btn>
      <ErrorText error={action.error} />
    </View>
  )
}

function Review({ e }: { e: Enrolment }) {
  return (
    <View id={`review-${e.id}`}>
      <View className='between'><Text className='strong'>导师评分</Text><Text className='stat-value'>{e.score}</Text></View>
      <View className='body-text'>{e.comment}</View>
      {e.accepted && e.bonus_fen ? <View className='notice'>已通过，奖金 {yuan(e.bonus_fen)}</View> : null}
      {e.letter ? (
        <View className='notice' id={`letter-${e.id}`}>推荐信：{e.letter}</View>
      ) : null}
      {e.reviewed_at ? <View className='muted'>点评于 {dateTime(e.reviewed_at)}</View> : null}
    </View>
  )
}

function MyEnrolment({ e, onChanged }: { e: Enrolment; onChanged: () => void }) {
  const status = enrolmentStatus(e)
  return (
    <View className='card' id={`enrolment-${e.id}`}>
      <View className='between'>
        <Text className='strong'>{e.challenge_title}</Text>
        <Tag tone={status.tone}><Text id={`enrolment-status-${e.id}`}>{status.text}</Text></Tag>
      </View>
      {e.submitted_at ? <View className='muted'>作品：{e.deliverable_url}（{dateTime(e.submitted_at)}）</View> : null}
      {e.status === 'reviewed' ? <Review e={e} /> : <Deliverable e={e} onSaved={onChanged} />}
    </View>
  )
}

function ReviewForm({ e, onDone }: { e: Enrolment; onDone: () => void }) {
  const [score, setScore] = useState('')
  const [comment, setComment] = useState('')
  const [letter, setLetter] = useState('')
  const action = useAction()
  return (
    <View className='card' id={`to-review-${e.id}`}>
      <View className='strong'>{e.challenge_title} · 学员 #{e.developer_id}</View>
      <View className='body-text small'>作品：{e.deliverable_url}</View>
      {e.deliverable_note ? <View className='muted'>{e.deliverable_note}</View> : null}
      <Field label='评分（0–100）'>
        <Input id={`review-score-${e.id}`} className='input' type='number' value={score} onInput={(ev) => setScore(ev.detail.value)} />
      </Field>
      <Field label='评语'>
        <Textarea id={`review-comment-${e.id}`} className='textarea' value={comment} maxlength={2000} onInput={(ev) => setComment(ev.detail.value)} />
      </Field>
      <Field label='推荐信（选填，展示在学员的简历卡片上）'>
        <Textarea id={`review-letter-${e.id}`} className='textarea' value={letter} maxlength={2000} onInput={(ev) => setLetter(ev.detail.value)} />
      </Field>
      <Btn id={`review-submit-${e.id}`} busy={action.busy} onTap={() => void action.run(async () => {
        const problem = reviewProblem(score, comment, letter)
        if (problem) throw new Error(problem)
        await api.post('/mentors/enrolments/{enrolment_id}/review', {
          path: { enrolment_id: e.id },
          body: { score: Number(score), comment: comment.trim(), letter: letter.trim() || null }
        })
        onDone()
      }, '已点评')}>提交点评</Btn>
      <ErrorText error={action.error} />
    </View>
  )
}

const NOT_A_MENTOR: Schemas['MentorOut'] = { user_id: 0, flagged: false, real_name_status: 'none', title: '', active: false }
const REAL_NAME_STATUS: Record<string, string> = { pending: '实名资料待审核', approved: '实名已通过', rejected: '实名未通过，可重新提交' }

/** Becoming a mentor: real name and public title here; an operator approves them and sets the mentor flag. */
function BecomeMentor({ mentor, onSent }: { mentor: Schemas['MentorOut']; onSent: () => void }) {
  const [realName, setRealName] = useState('')
  const [title, setTitle] = useState(mentor.title)
  const action = useAction()
  const status = REAL_NAME_STATUS[mentor.real_name_status]
  return (
    <Section title='成为导师'>
      <View className='muted' id='mentor-status'>
        {status ?? '认证导师可以出题、点评学员作品并写推荐信。'}{mentor.real_name_status === 'approved' && !mentor.flagged ? '，等待运营设为导师' : ''}
      </View>
      {mentor.real_name_status === 'pending' || mentor.real_name_status === 'approved' ? null : (
        <>
          <Field label='真实姓名（仅运营可见）'>
            <Input id='mentor-real-name' className='input' value={realName} maxlength={30} onInput={(ev) => setRealName(ev.detail.value)} />
          </Field>
          <Field label='导师头衔（公开）'>
            <Input id='mentor-title' className='input' value={title} maxlength={60} placeholder='如：资深后端工程师' onInput={(ev) => setTitle(ev.detail.value)} />
          </Field>
          <Btn id='mentor-apply' size='mini' busy={action.busy} onTap={() => void action.run(async () => {
            // docs/openapi.json names two request bodies RealNameIn (profiles' and mentors'): the generated type is
            // the profiles' one, without the title this route takes.
            await api.post('/mentors/me/real-name', { body: { real_name: realName.trim(), title: title.trim() } as Schemas['MentorRealNameIn'] })
            onSent()
          }, '已提交')}>提交认证</Btn>
          <ErrorText error={action.error} />
        </>
      )}
    </Section>
  )
}

export default function Mentors() {
  useSignedIn()
  const challenges = useLoad(signedIn(() => api.get('/mentors/challenges')))
  const mine = useLoad(signedIn(() => api.get('/mentors/enrolments', { query: { role: 'developer' } })))
  // No mentor record yet (404): not a mentor, nothing submitted.
  const mentor = useLoad(signedIn(() => api.get('/mentors/me').catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) return { ...NOT_A_MENTOR }
    throw err
  })))
  const active = Boolean(mentor.data?.active)
  const toReview = useLoad(() => (active ? api.get('/mentors/enrolments', { query: { role: 'mentor' } }) : Promise.resolve({ items: [] })), [active])
  const enrolledIn = new Set((mine.data?.items ?? []).map((e) => e.challenge_id))
  return (
    <View className='page'>
      <Section title='报名中的特训'>
        <View className='muted'>认证导师出题并点评；需开通成长通行证。通过者获得平台奖金，导师可附推荐信。</View>
        <Loaded state={challenges} empty={(l) => (l.items.length ? null : '暂时没有报名中的特训')}>
          {(l) => l.items.map((c) => <ChallengeCard key={c.id} c={c} enrolled={enrolledIn.has(c.id)} onEnrolled={() => void mine.reload()} />)}
        </Loaded>
      </Section>
      <Section title='我的特训'>
        <Loaded state={mine} empty={(l) => (l.items.length ? null : '还没有报名特训')}>
          {(l) => l.items.map((e) => <MyEnrolment key={e.id} e={e} onChanged={() => void mine.reload()} />)}
        </Loaded>
      </Section>
      {active ? (
        <Section title='待我点评'>
          <Loaded state={toReview} empty={(l) => (l.items.some((e) => e.status === 'submitted') ? null : '没有待点评的作品')}>
            {(l) => l.items.filter((e) => e.status === 'submitted').map((e) => <ReviewForm key={e.id} e={e} onDone={() => void toReview.reload()} />)}
          </Loaded>
        </Section>
      ) : mentor.data ? <BecomeMentor mentor={mentor.data} onSent={() => void mentor.reload()} /> : null}
    </View>
  )
}
