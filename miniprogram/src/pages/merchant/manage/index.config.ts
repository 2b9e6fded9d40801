export default definePageConfig({ navigationBarTitleText: '管理任务', enablePullDownRefresh: true })
