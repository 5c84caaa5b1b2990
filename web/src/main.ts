import { Locale } from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import { createApp } from 'vue'
import App from './App.vue'
import { createAppRouter } from './router'
import './styles/base.css'

Locale.use('zh-CN', zhCN)

const app = createApp(App)
app.use(createAppRouter())
app.mount('#app')
