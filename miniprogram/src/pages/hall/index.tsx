// The task hall: filters, sorts, and infinite scroll on the API's keyset cursor.
import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { Input, Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, Chip, Empty, ErrorText, Field, Loading, Section } from '@/components/ui'
import { TaskCard } from '@/components/TaskCard'
import { SkillPicker } from '@/components/SkillPicker'
import { errorText } from '@/lib/hooks'
import { useSkills } from '@/lib/skills'
import { activeFilterCount, DEADLINE_WINDOWS, DEFAULT_FILTERS, hallQuery, mergePage, SORTS, type HallFilters } from '@/lib/hall'
import { go } from '@/lib/navigate'

export default function Hall() {
  const { categories, name } = useSkills()
  const [filters, setFilters] = useState<HallFilters>(DEFAULT_FILTERS)
  const [draft, setDraft] = useState<HallFilters>(DEFAULT_FILTERS)
  const [showFilters, setShowFilters] = useState(false)
  const [items, setItems] = useState<Schemas['TaskCard'][]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [done, setDone] = useState(false)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const generation = useRef(0) // a newer filter wins over a slower older page

  const load = useCallback(async (reset: boolean) => {
    const gen = reset ? ++generation.current : generation.current
    setLoading(true)
    try {
      const page = await api.get('/tasks', { query: hallQuery(filters, new Date(), reset ? null : cursor) })
      if (gen !== generation.current) return
      setItems((prev) => (reset ? page.items : mergePage(prev, page.items)))
      setCursor(page.next_cursor)
      setDone(!page.next_cursor)
      setError(null)
    } catch (err) {
      if (gen === generation.current) setError(errorText(err))
    } finally {
      if (gen === generation.current) setLoading(false)
      Taro.stopPullDownRefresh()
    }
  }, [filters, cursor])

  useEffect(() => {
    void load(true)
  }, [filters]) // eslint-disable-line react-hooks/exhaustive-deps
  usePullDownRefresh(() => void load(true))
  useReachBottom(() => {
    if (!loading && !done) void load(false)
  })

  const setSort = (sort: HallFilters['sort']) => setFilters({ ...filters, sort })
  const count = activeFilterCount(filters)

  return (
    <View className='page'>
      <View className='sticky-head'>
        <View className='between'>
          <View className='chips'>
            {SORTS.map((s) => <Chip key={s.value} id={`sort-${s.value}`} label={s.label} active={filters.sort === s.value} onTap={() => setSort(s.value)} />)}
          </View>
          <Chip id='toggle-filters' label={count ? `筛选 (${count})` : '筛选'} active={showFilters}
            onTap={() => { setDraft(filters); setShowFilters(!showFilters) }} />
        </View>
      </View>
      {showFilters ? (
        <Section title='筛选'>
          <Field label='技能'>
            <SkillPicker categories={categories} selected={draft.tags} idPrefix='filter-skill' onChange={(tags) => setDraft({ ...draft, tags })} />
            <View className='chips'>
              <Chip label='含任一技能' active={draft.tagMode === 'any'} onTap={() => setDraft({ ...draft, tagMode: 'any' })} />
              <Chip id='tag-mode-all' label='包含全部技能' active={draft.tagMode === 'all'} onTap={() => setDraft({ ...draft, tagMode: 'all' })} />
            </View>
          </Field>
          <Field label='难度'>
            <View className='row'>
              <Text className='muted'>最低</Text>
              {[1, 2, 3, 4, 5].map((d) => (
                <Chip key={d} id={`difficulty-min-${d}`} label={`${d}`} active={draft.difficultyMin === d}
                  onTap={() => setDraft({ ...draft, difficultyMin: d, difficultyMax: Math.max(d, draft.difficultyMax) })} />
              ))}
            </View>
            <View className='row'>
              <Text className='muted'>最高</Text>
              {[1, 2, 3, 4, 5].map((d) => (
                <Chip key={d} id={`difficulty-max-${d}`} label={`${d}`} active={draft.difficultyMax === d}
                  onTap={() => setDraft({ ...draft, difficultyMax: d, difficultyMin: Math.min(d, draft.difficultyMin) })} />
              ))}
            </View>
          </Field>
          <Field label='最低赏金（元）'>
            <Input id='reward-min' className='input' type='digit' value={draft.rewardMinYuan} placeholder='不限'
              onInput={(e) => setDraft({ ...draft, rewardMinYuan: e.detail.value })} />
          </Field>
          <Field label='截止时间'>
            <View className='chips'>
              {DEADLINE_WINDOWS.map((w) => (
                <Chip key={w.label} label={w.label} active={draft.deadlineDays === w.days} onTap={() => setDraft({ ...draft, deadlineDays: w.days })} />
              ))}
            </View>
          </Field>
          <View className='actions'>
            <Btn id='apply-filters' size='mini' onTap={() => { setFilters({ ...draft, sort: filters.sort }); setShowFilters(false) }}>确定</Btn>
            <Btn size='mini' kind='default' onTap={() => { setDraft(DEFAULT_FILTERS); setFilters({ ...DEFAULT_FILTERS, sort: filters.sort }); setShowFilters(false) }}>重置</Btn>
          </View>
        </Section>
      ) : null}
      <ErrorText error={error} />
      {items.map((t) => <TaskCard key={t.id} task={t} skillName={name} onTap={() => go('task', { id: t.id })} />)}
      {loading ? <Loading /> : null}
      {!loading && !error && items.length === 0 ? <Empty text='没有符合条件的任务，换个筛选试试' /> : null}
      {!loading && done && items.length > 0 ? <View className='state'>没有更多了</View> : null}
      {!loading && !done && items.length > 0 ? (
        <View className='state' id='load-more' onClick={() => void load(false)}>上拉加载更多</View>
      ) : null}
    </View>
  )
}
