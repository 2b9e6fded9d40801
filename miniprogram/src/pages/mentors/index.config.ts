export default definePageConfig({ navigationBarTitleText: '导师特训', enablePullDownRefresh: true })
