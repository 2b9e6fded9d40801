// 成长: the skill graph (category bars drawn with plain views), XP and level with what is still missing for the next
// one, badges and the worn title, growth points with their history (keyset "load more"). Links to 签到, 挑战 and 排行榜.
import { useEffect, useState } from 'react'
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Empty, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { mergePage } from '@/lib/hall'
import { levelLine, signed, skillBars, SOURCE_NAMES } from '@/lib/growth'
import { go } from '@/lib/navigate'

type Entry = Schemas['PointsEntryOut']

function SkillGraph({ me }: { me: Schemas['GrowthMeOut'] }) {
  const bars = skillBars(me.categories)
  const [showSkills, setShowSkills] = useState(false)
  return (
    <Section title='技能图谱' extra={me.skills.length ? (
      <Text className='link' id='toggle-skills' onClick={() => setShowSkills(!showSkills)}>{showSkills ? '按类别' : '看技能'}</Text>
    ) : null}>
      {!bars.length ? <Empty text='完成任务后，这里会按技能类别长出你的技能图谱' /> : showSkills ? (
        skillBars(me.skills.map((s) => ({ category: s.skill, name: s.name, points: s.points }))).map((b) => (
          <View key={b.key} className='bar-row' id={`skill-${b.key}`}>
            <Text className='bar-name'>{b.name}</Text>
            <View className='bar-track'><View className='bar-fill bar-fill-skill' style={{ width: `${b.width}%` }} /></View>
            <Text className='bar-value'>{b.points}</Text>
          </View>
        ))
      ) : bars.map((b) => (
        <View key={b.key} className='bar-row' id={`category-${b.key}`}>
          <Text className='bar-name'>{b.name}</Text>
          <View className='bar-track'><View className='bar-fill' style={{ width: `${b.width}%` }} /></View>
          <Text className='bar-value'>{b.points}</Text>
        </View>
      ))}
      {me.monthly.length ? (
        <View className='muted' id='this-month'>
          {me.monthly[0].month} 获得技能分 {me.monthly[0].skill_points}、经验 {me.monthly[0].xp}
        </View>
      ) : null}
    </Section>
  )
}

function Level({ me }: { me: Schemas['GrowthMeOut'] }) {
  const l = me.level
  return (
    <Section title='等级与经验'>
      <View className='between'>
        <View>
          <Text className='level-badge' id='level'>{l.level}</Text>
          <Text className='muted'>{levelLine(l)}</Text>
        </View>
        <View className='stat'><Text className='stat-value' id='xp'>{me.xp}</Text><Text className='muted'>经验值</Text></View>
      </View>
      <View className='row muted'>
        <Text>完成任务 {l.tasks}</Text>
        <Text>平均评分 {l.avg_rating ?? '暂无'}</Text>
        <Text>好评商家 {l.merchants}</Text>
        <Text>技能类别 {l.categories}</Text>
      </View>
      {l.at_risk ? <View className='error-text'>已低于 {l.level} 级门槛的 90%，宽限期内未恢复将降级</View> : null}
      {l.next_level ? (
        <View id='level-missing'>
          <View className='field-label'>升到 {l.next_level} 级还差：</View>
          {l.missing.length ? l.missing.map((m) => <View key={m} className='missing-item'>· {m}</View>)
            : <View className='muted'>条件已满足，等待评定</View>}
        </View>
      ) : null}
    </Section>
  )
}

function Badges({ title }: { title: string | null | undefined }) {
  const state = useLoad(() => api.get('/leaderboards/badges'))
  const wear = useAction()
  const set = (badge_key: string | null) => wear.run(async () => {
    state.setData(await api.put('/leaderboards/badges/title', { body: { badge_key } }))
  }, badge_key ? '已佩戴' : '已摘下')
  return (
    <Section title='徽章与头衔' extra={<Text className='muted' id='worn-title'>{state.data?.title ? `佩戴中：${state.data.title.name}` : title ? `佩戴中：${title}` : '未佩戴头衔'}</Text>}>
      <Loaded state={state} empty={(b) => (b.badges.length ? null : '还没有徽章：完成挑战、连续签到、拿到好评都能获得')}>
        {(b) => (
          <>
            {b.badges.map((badge) => {
              const worn = b.title?.key === badge.key
              return (
                <View key={badge.key} className='badge-row' id={`badge-${badge.key}`}>
                  <View className='badge-icon'>{badge.name.slice(0, 1)}</View>
                  <View className='badge-body'>
                    <View className='strong'>{badge.name}{badge.count > 1 ? ` ×${badge.count}` : ''}{worn ? <Tag tone='ok'>佩戴中</Tag> : null}</View>
                    <View className='muted'>{badge.description}</View>
                    <View className='muted'>{dateTime(badge.last_granted_at)} · {badge.reason}</View>
                  </View>
                  {badge.wearable ? (
                    <Btn size='mini' kind='default' id={`wear-${badge.key}`} busy={wear.busy}
                      onTap={() => void set(worn ? null : badge.key)}>{worn ? '摘下' : '佩戴'}</Btn>
                  ) : null}
                </View>
              )
            })}
          </>
        )}
      </Loaded>
      <ErrorText error={wear.error} />
    </Section>
  )
}

function Points({ page }: { page: Schemas['PointsPage'] }) {
  const [items, setItems] = useState<Entry[]>(page.history)
  const [cursor, setCursor] = useState<string | null>(page.next_cursor ?? null)
  const more = useAction()
  useEffect(() => {
    setItems(page.history)
    setCursor(page.next_cursor ?? null)
  }, [page])
  const loadMore = () => more.run(async () => {
    const next = await api.get('/growth/me/points', { query: { cursor, limit: 20 } })
    setItems((prev) => mergePage(prev, next.items))
    setCursor(next.next_cursor ?? null)
  })
  return (
    <Section title='成长积分' extra={<Text className='money' id='points-balance'>{page.balance}</Text>}>
      {!items.length ? <Empty text='还没有积分：签到、完成挑战和任务都能获得' /> : items.map((e) => (
        <View key={e.id} className='points-row' id={`points-${e.id}`}>
          <View className='badge-body'>
            <View>{e.reason}</View>
            <View className='muted'>{SOURCE_NAMES[e.source_class] ?? e.source_class} · {dateTime(e.created_at)}
              {e.requested !== e.delta && e.delta > 0 ? `（申请 ${e.requested}，受每日上限）` : ''}</View>
          </View>
          <Text className={e.delta < 0 ? 'points-minus' : 'points-plus'}>{signed(e.delta)}</Text>
        </View>
      ))}
      {cursor ? <Btn kind='default' id='points-more' busy={more.busy} onTap={() => void loadMore()}>加载更多</Btn>
        : items.length ? <View className='state'>没有更多了</View> : null}
      <ErrorText error={more.error} />
    </Section>
  )
}

export default function Growth() {
  useSignedIn()
  const me = useLoad(() => (isSignedIn() ? api.get('/growth/me') : Promise.reject(new Error('请先登录'))))
  return (
    <View className='page'>
      <View className='quick-links'>
        <View className='quick-link' id='go-checkin' onClick={() => go('checkin')}>签到</View>
        <View className='quick-link' id='go-challenges' onClick={() => go('challenges')}>挑战</View>
        <View className='quick-link' id='go-leaderboard' onClick={() => go('leaderboard')}>排行榜</View>
      </View>
      {me.error && !getSession()?.user.roles.includes('developer') ? (
        <Section>
          <View className='muted'>成长体系（技能图谱、等级、徽章、积分）面向开发者：填写简历卡片即可开始。</View>
          <Btn id='growth-become-developer' kind='default' onTap={() => go('resume')}>填写简历卡片</Btn>
        </Section>
      ) : null}
      <Loaded state={me}>
        {(g) => (
          <>
            <Level me={g} />
            <SkillGraph me={g} />
            <Badges title={g.title} />
            <Points page={g.points} />
          </>
        )}
      </Loaded>
    </View>
  )
}
