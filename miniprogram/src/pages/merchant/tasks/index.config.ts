export default definePageConfig({ navigationBarTitleText: '我发布的任务', enablePullDownRefresh: true, onReachBottomDistance: 120 })
