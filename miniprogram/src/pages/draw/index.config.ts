export default definePageConfig({ navigationBarTitleText: '抽奖公开记录', enablePullDownRefresh: true })
