// 排行榜: weekly / monthly / all-time / per-skill boards, my rank ("截至 HH:MM" when it comes from the snapshot), and
// my settings: leave the boards, show my skill portrait when I am in the top 10.
import { useState } from 'react'
import { Switch, Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Chip, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad, type Loaded as LoadState } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { getSession, isSignedIn } from '@/lib/session'
import { boardQuery, BOARDS, rankText, type BoardKey } from '@/lib/growth'

const EMPTY_BOARD = { entries: [], me: null } as unknown as Schemas['BoardOut']

function Settings({ state, onChanged }: { state: LoadState<Schemas['LeaderboardSettingsOut']>; onChanged: () => void }) {
  const save = useAction()
  const put = (body: Schemas['LeaderboardSettingsIn']) => save.run(async () => {
    const s = await api.put('/leaderboards/settings', { body })
    state.setData(s)
    onChanged()
  }, '已保存')
  return (
    <Section title='我的设置'>
      <Loaded state={state}>
        {(s) => (
          <>
            <View className='between switch-row'>
              <View><View>退出排行榜</View><View className='muted'>退出后不出现在任何榜单上</View></View>
              <Switch id='opt-out' checked={s.opted_out} disabled={save.busy}
                onChange={(e) => void put({ opted_out: e.detail.value, portrait_public: s.portrait_public })} />
            </View>
            <View className='between switch-row'>
              <View><View>展示技能画像</View><View className='muted'>上榜前 10 名时展示我的技能分布</View></View>
              <Switch id='portrait-public' checked={s.portrait_public} disabled={save.busy}
                onChange={(e) => void put({ opted_out: s.opted_out, portrait_public: e.detail.value })} />
            </View>
          </>
        )}
      </Loaded>
      <ErrorText error={save.error} />
    </Section>
  )
}

export default function Leaderboard() {
  useSignedIn()
  const [board, setBoard] = useState<BoardKey>('weekly')
  const [skill, setSkill] = useState<string | null>(null)
  const settings = useLoad(() => (isSignedIn() ? api.get('/leaderboards/settings') : Promise.reject(new Error('请先登录'))))
  const optedOut = settings.data?.opted_out ?? false
  const mySkills = useLoad(() => (isSignedIn() ? api.get('/growth/me') : Promise.reject(new Error('请先登录'))))
  const skills = mySkills.data?.skills ?? []
  const chosen = board === 'skill' ? skill ?? skills[0]?.skill ?? null : null
  const query = boardQuery(board, chosen)
  const state = useLoad(() => (query
    ? api.get('/leaderboards/{board}', { path: { board }, query })
    : Promise.resolve(EMPTY_BOARD)), [board, chosen])
  const period = state.data && state.data.period !== 'all' ? state.data.period : ''

  return (
    <View className='page'>
      <View className='chips sticky-head'>
        {BOARDS.map((b) => <Chip key={b.key} id={`board-${b.key}`} label={b.name} active={board === b.key} onTap={() => setBoard(b.key)} />)}
      </View>
      {board === 'skill' ? (
        <View className='chips'>
          {skills.length ? skills.map((s) => (
            <Chip key={s.skill} id={`board-skill-${s.skill}`} label={s.name} active={chosen === s.skill} onTap={() => setSkill(s.skill)} />
          )) : <Text className='muted'>有技能分后可以查看技能榜</Text>}
        </View>
      ) : null}
      <Section title='我的名次' extra={period ? <Text className='muted'>{period}</Text> : null}>
        <View className='between'>
          <Text className='strong' id='my-rank'>{state.data ? rankText(state.data.me, optedOut) : '…'}</Text>
          <Text className='muted' id='my-score'>{state.data?.me ? `得分 ${state.data.me.score}` : ''}</Text>
        </View>
      </Section>
      <Section title='榜单'>
        <Loaded state={state} empty={(b) => (query ? (b.entries.length ? null : '本期还没有人上榜') : '请选择技能')}>
          {(b) => b.entries.map((e) => (
            <View key={e.user_id} className={`board-row${e.user_id === getSession()?.user.id ? ' board-row-me' : ''}`} id={`rank-${e.rank}-${e.user_id}`}>
              <Text className={`board-rank${e.rank <= 3 ? ' board-rank-top' : ''}`}>{e.rank}</Text>
              <View className='badge-body'>
                <View>{e.display_name}{e.title ? <Tag tone='warn'>{e.title}</Tag> : null}</View>
                {e.portrait?.length ? <View className='muted'>{e.portrait.map((p) => `${p.skill} ${p.points}`).join(' · ')}</View> : null}
              </View>
              <Text className='strong'>{e.score}</Text>
            </View>
          ))}
        </Loaded>
      </Section>
      <Settings state={settings} onChanged={() => void state.reload()} />
    </View>
  )
}
