export default definePageConfig({ navigationBarTitleText: '我的成长报告', enablePullDownRefresh: true })
