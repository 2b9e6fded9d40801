export default definePageConfig({ navigationBarTitleText: '任务大厅', enablePullDownRefresh: true, onReachBottomDistance: 120 })
