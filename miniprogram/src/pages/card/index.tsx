// Someone's public resume card: the page the card's mini-program code opens (scene `card=<id>`), also reachable from
// a link inside the app (`?id=<id>`). Reads the public card API (no sign-in needed); only what the developer chose to
// show comes back, and a card taken down answers 404.
import Taro, { useShareAppMessage } from '@tarojs/taro'
import { Text, View } from '@tarojs/components'
import { api, ApiError, type Schemas } from '@/api'
import { Empty, Loaded, Section, Tag } from '@/components/ui'
import { useLoad } from '@/lib/hooks'
import { cardUserId, starText } from '@/lib/reports'
import { PAGES } from '@/nav'

type Card = Schemas['PublicCardOut']

const params = (): Record<string, string | undefined> => Taro.getCurrentInstance().router?.params ?? {}

export default function CardPage() {
  const userId = cardUserId(params())
  const state = useLoad<Card | null>(async () => {
    if (userId === null) return null
    try {
      return await api.get('/reports/cards/{user_id}/data', { path: { user_id: userId } })
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null // not public (any more), or no such card
      throw err
    }
  }, [userId])

  useShareAppMessage(() => ({
    title: state.data?.profile.display_name ? `${state.data.profile.display_name} 的简历卡片` : 'CodeLink 简历卡片',
    path: userId ? `/${PAGES.card}?id=${userId}` : `/${PAGES.hall}`
  }))

  return (
    <View className='page' id='card-page'>
      <Loaded state={state}>
        {(card) => card ? <CardView card={card} /> : (
          <Empty text='这张简历卡片未公开或已下线' />
        )}
      </Loaded>
    </View>
  )
}

function CardView({ card: raw }: { card: Card }) {
  const p = raw.profile
  const card = { ...raw, categories: raw.categories ?? [], top_skills: raw.top_skills ?? [], badges: raw.badges ?? [],
    rated_work: raw.rated_work ?? [], challenges: raw.challenges ?? [], letters: raw.letters ?? [] }
  return (
    <>
      <Section>
        <View className='between'>
          <Text className='title' id='card-name'>{p.display_name || '开发者'}</Text>
          {card.level ? <Tag tone='ok'>等级 {card.level}</Tag> : null}
        </View>
        {p.headline ? <View className='muted' id='card-headline'>{p.headline}</View> : null}
        {card.title ? <View><Tag>{card.title}</Tag></View> : null}
        <View className='small muted'>
          {[p.city, p.years_experience ? `${p.years_experience} 年经验` : null,
            p.rating_count ? `评分 ${(p.rating_average ?? 0).toFixed(2)}（${p.rating_count} 次）` : null,
            p.completed_tasks ? `完成任务 ${p.completed_tasks} 个` : null].filter(Boolean).join(' · ')}
        </View>
        {p.bio ? <View className='small'>{p.bio}</View> : null}
      </Section>
      {p.skills?.length ? (
        <Section title='技能'>
          <View className='chips'>{p.skills.map((s) => <Tag key={s.slug}>{s.name}</Tag>)}</View>
        </Section>
      ) : null}
      {card.categories.length ? (
        <Section title='成长' extra={card.xp !== null && card.xp !== undefined ? <Text className='muted small'>经验值 {card.xp}</Text> : null}>
          {card.categories.map((c) => (
            <View key={c.name} className='between small'><Text>{c.name}</Text><Text>{c.points} 分</Text></View>
          ))}
          {card.top_skills.length ? (
            <View className='small muted'>擅长：{card.top_skills.map((s) => `${s.name} ${s.points}`).join('、')}</View>
          ) : null}
        </Section>
      ) : null}
      {card.badges.length ? (
        <Section title='徽章'><View className='chips' id='card-badges'>{card.badges.map((b) => <Tag key={b}>{b}</Tag>)}</View></Section>
      ) : null}
      {card.rated_work.length ? (
        <Section title='获得的评价'>
          {card.rated_work.map((w, i) => (
            <View key={i} className='card-work'>
              <View className='between small'><Text>{w.title}</Text><Text className='stars'>{starText(w.stars)}</Text></View>
              <View className='small muted'>{w.merchant} · {w.on}</View>
              {w.comment ? <View className='small'>“{w.comment}”</View> : null}
            </View>
          ))}
        </Section>
      ) : null}
      {card.challenges.length ? (
        <Section title='完成的挑战'><View className='chips'>{card.challenges.map((c) => <Tag key={c}>{c}</Tag>)}</View></Section>
      ) : null}
      {card.letters.length ? (
        <Section title='导师推荐'>
          {card.letters.map((l, i) => (
            <View key={i}>
              <View className='small muted'>{l.mentor}{l.challenge ? ` · ${l.challenge}` : ''}</View>
              <View className='small'>{l.body}</View>
            </View>
          ))}
        </Section>
      ) : null}
      {p.links?.length ? (
        <Section title='链接'>
          {p.links.map((l, i) => (
            <View key={i} className='small'><Text selectable>{String((l as Record<string, unknown>).title ?? '')}：{String((l as Record<string, unknown>).url ?? '')}</Text></View>
          ))}
        </Section>
      ) : null}
    </>
  )
}
