export default definePageConfig({ navigationBarTitleText: '任务沟通' })
