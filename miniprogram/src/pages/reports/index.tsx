// 我的成长报告: my monthly reports (each month's current version) with their verification codes; issue this month's
// report so far; open a report's PDF (a fresh, short-lived download link each time). Anyone can check a report on the
// verify page by its code or by uploading the PDF.
import Taro from '@tarojs/taro'
import { Text, View } from '@tarojs/components'
import { api, type Schemas } from '@/api'
import { Btn, ErrorText, Loaded, Section, Tag } from '@/components/ui'
import { useAction, useLoad } from '@/lib/hooks'
import { useSignedIn } from '@/lib/auth'
import { isSignedIn } from '@/lib/session'
import { dateTime } from '@/lib/format'
import { monthLabel, reportStatus } from '@/lib/reports'
import { openPdf } from '@/lib/pdf'

type Report = Schemas['ReportOut']

export default function Reports() {
  useSignedIn()
  const state = useLoad(async () => (isSignedIn() ? (await api.get('/reports/me')).items : []))
  const issue = useAction()
  const open = useAction()

  const issueCurrent = async () => {
    const report = await issue.run(() => api.post('/reports/me/current'))
    if (!report) return
    void Taro.showToast({ title: report.created ? '已生成' : '数据未变，仍是这一份', icon: 'none' })
    await state.reload()
  }

  const openReport = (r: Report) => open.run(async () => {
    const fresh = await api.get('/reports/me/{report_id}', { path: { report_id: r.id } }) // the link lasts 5 minutes
    await openPdf(fresh.download_url)
  })

  const copyCode = (r: Report) => void Taro.setClipboardData({ data: r.code })

  return (
    <View className='page' id='reports-page'>
      <Section title='本月报告'>
        <View className='small muted'>随时生成本月至今的报告；每月 1 日会自动生成上个月的终版。数据未变时不会重复签发。</View>
        <Btn id='report-current' busy={issue.busy} onTap={() => void issueCurrent()}>生成本月报告</Btn>
        <ErrorText error={issue.error} />
      </Section>
      <ErrorText error={open.error} />
      <Loaded state={state} empty={(items) => (items.length ? null : '还没有成长报告，先完成一个任务吧')}>
        {(items) => (
          <Section title='历史报告'>
            {items.map((r) => (
              <View key={r.id} className='report-row' id={`report-${r.id}`}>
                <View className='between'>
                  <Text className='title'>{monthLabel(r.month)}</Text>
                  <Tag tone={r.final ? 'ok' : 'muted'}>{reportStatus(r)}</Tag>
                </View>
                <View className='between small'>
                  <Text>验证码 <Text className='report-code' selectable>{r.code}</Text></Text>
                  <Text className='muted' onClick={() => copyCode(r)}>复制</Text>
                </View>
                <View className='small muted'>{r.pages} 页 · 生成于 {dateTime(r.generated_at)} · 凭验证码可在 {r.verify_url.replace(/\/verify\/.*$/, '/verify')} 验证真伪</View>
                <View className='gap' />
                <Btn size='mini' kind='default' busy={open.busy} id={`open-${r.id}`} onTap={() => void openReport(r)}>打开 PDF</Btn>
              </View>
            ))}
          </Section>
        )}
      </Loaded>
    </View>
  )
}
