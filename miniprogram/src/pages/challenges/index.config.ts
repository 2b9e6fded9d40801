export default definePageConfig({ navigationBarTitleText: '挑战与抽奖', enablePullDownRefresh: true })
