export default definePageConfig({ navigationBarTitleText: '简历卡片' })
